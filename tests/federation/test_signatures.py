"""verify_request: round trips and every rejection rule (mostly draft-cavage, as Mastodon sends).

RFC 9421 policy has its own tests in test_rfc9421.py; the key-refresh rule and the fuzzing
below cover both schemes.
"""

from __future__ import annotations

import contextlib
import json
import random
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, x25519

from fediverse_skills.federation.cavage import format_signature, sign_string, signing_string
from fediverse_skills.federation.digests import make_digest
from fediverse_skills.federation.sigcore import format_http_date
from fediverse_skills.federation.signatures import (
    AnyPrivateKey,
    PublicKey,
    SignatureError,
    Verified,
    private_key_from_pem,
    public_key_from_pem,
    sign_cavage,
    sign_rfc9421,
    verify_request,
)

from . import vectors

NOW = datetime(2025, 3, 4, 5, 6, 7, tzinfo=UTC)
URL = "https://me.example/users/alice/inbox"
BODY = b'{"type": "Follow", "actor": "https://remote.example/users/bob"}'
OWNER = "https://remote.example/users/bob"
KEY_ID = f"{OWNER}#main-key"

RSA = private_key_from_pem(vectors.RFC9421_PRIVATE_KEYS["test-key-rsa"])
RSA_PUBLIC = PublicKey(
    KEY_ID, OWNER, public_key_from_pem(vectors.RFC9421_PUBLIC_KEYS["test-key-rsa"])
)
ED = private_key_from_pem(vectors.RFC9421_PRIVATE_KEYS["test-key-ed25519"])
ED_PUBLIC = PublicKey(
    KEY_ID, OWNER, public_key_from_pem(vectors.RFC9421_PUBLIC_KEYS["test-key-ed25519"])
)
OTHER_RSA = PublicKey(
    KEY_ID, OWNER, public_key_from_pem(vectors.RFC9421_PUBLIC_KEYS["test-key-rsa-pss"])
)
POST_COVERED = ("(request-target)", "host", "date", "digest", "content-type")
GET_COVERED = ("(request-target)", "host", "date")


class FakeLookup:
    """Returns ``cached`` for refresh=False and ``fresh`` for refresh=True, recording calls."""

    def __init__(self, cached: PublicKey | None, fresh: PublicKey | None = None) -> None:
        self.cached, self.fresh = cached, fresh
        self.calls: list[tuple[str, bool]] = []

    async def __call__(self, key_id: str, refresh: bool) -> PublicKey | None:
        self.calls.append((key_id, refresh))
        return self.fresh if refresh else self.cached


def cavage_headers(
    method: str = "POST",
    url: str = URL,
    body: bytes = BODY,
    *,
    private: AnyPrivateKey = RSA,
    covered: Sequence[str] | None = None,
    algorithm: str = "rsa-sha256",
    date: datetime | None = NOW,
    created: int | None = None,
    expires: int | None = None,
    key_id: str = KEY_ID,
    sign_url: str | None = None,
    sign_method: str | None = None,
) -> list[tuple[str, str]]:
    """A hand-built draft-cavage request, to exercise what sign_cavage would never produce."""
    headers = [("Host", "me.example"), ("Content-Type", "application/activity+json")]
    if date is not None:
        headers.append(("Date", format_http_date(date)))
    if body:
        headers.append(("Digest", make_digest(body)))
    if covered is None:
        covered = POST_COVERED if body else GET_COVERED
    text = signing_string(
        sign_method or method, sign_url or url, headers, covered, created=created, expires=expires
    )
    value = format_signature(
        key_id=key_id,
        algorithm=algorithm,
        headers=covered,
        signature=sign_string(private, text),
        created=created,
        expires=expires,
    )
    return [*headers, ("Signature", value)]


async def verify(
    headers: Sequence[tuple[str, str]] | dict[str, str],
    *,
    method: str = "POST",
    url: str = URL,
    body: bytes = BODY,
    key: PublicKey | None = RSA_PUBLIC,
    now: datetime = NOW,
) -> Verified:
    return await verify_request(method, url, headers, body, lookup=FakeLookup(key, key), now=now)


async def rejected(
    headers: Sequence[tuple[str, str]],
    reason: str,
    *,
    method: str = "POST",
    url: str = URL,
    body: bytes = BODY,
    key: PublicKey | None = RSA_PUBLIC,
) -> FakeLookup:
    """Assert rejection with ``reason``; returns the lookup to inspect its calls."""
    lookup = FakeLookup(key, key)
    with pytest.raises(SignatureError, match=reason) as info:
        await verify_request(method, url, headers, body, lookup=lookup, now=NOW)
    assert info.value.reason == str(info.value)
    return lookup


# ----------------------------------------------------------------------------- round trips


async def test_sign_cavage_post_roundtrip() -> None:
    headers = {"Content-Type": "application/activity+json"}
    added = sign_cavage("POST", URL, headers, BODY, key_id=KEY_ID, private_key=RSA, now=NOW)
    lookup = FakeLookup(RSA_PUBLIC)
    verified = await verify_request("POST", URL, {**headers, **added}, BODY, lookup=lookup, now=NOW)
    assert verified == Verified(key_id=KEY_ID, owner=OWNER, scheme="cavage", created=NOW)
    assert lookup.calls == [(KEY_ID, False)]


async def test_sign_cavage_get_roundtrip_with_port_and_query() -> None:
    url = "http://me.example:8080/users/alice/outbox?page=true"
    added = sign_cavage(
        "GET",
        url,
        {"Accept": "application/activity+json"},
        b"",
        key_id=KEY_ID,
        private_key=RSA,
        now=NOW,
    )
    verified = await verify(added, method="GET", url=url, body=b"")
    assert verified.scheme == "cavage"


async def test_sign_cavage_ed25519_hs2019_roundtrip() -> None:
    added = sign_cavage("POST", URL, {}, BODY, key_id=KEY_ID, private_key=ED, now=NOW)
    assert (await verify(added, key=ED_PUBLIC)).owner == OWNER


async def test_sign_rfc9421_roundtrip_through_the_facade() -> None:
    added = sign_rfc9421("POST", URL, {}, BODY, key_id=KEY_ID, private_key=RSA, now=NOW)
    assert (await verify(added)).scheme == "rfc9421"


async def test_owner_comes_from_the_key_not_the_key_id() -> None:
    """The caller compares Verified.owner with the activity's actor."""
    key = PublicKey(KEY_ID, "https://elsewhere.example/actor", RSA_PUBLIC.key)
    assert (await verify(cavage_headers(), key=key)).owner == "https://elsewhere.example/actor"


async def test_authorization_signature_header_is_accepted() -> None:
    headers = [(k, f"Signature {v}" if k == "Signature" else v) for k, v in cavage_headers()]
    headers = [("Authorization" if k == "Signature" else k, v) for k, v in headers]
    assert (await verify(headers)).key_id == KEY_ID


async def test_header_names_are_case_insensitive() -> None:
    assert await verify([(k.lower(), v) for k, v in cavage_headers()])
    assert await verify([(k.upper(), v) for k, v in cavage_headers()])


async def test_header_values_are_not_rewritten() -> None:
    """A proxy that changed the Content-Type spelling breaks the signature."""
    headers = [
        (k, "application/activity+json; charset=utf-8" if k == "Content-Type" else v)
        for k, v in cavage_headers()
    ]
    await rejected(headers, "does not verify")


# ----------------------------------------------------------------------------- what must be signed


async def test_unsigned_request() -> None:
    await rejected([("Host", "me.example")], "not signed")


async def test_post_must_sign_digest() -> None:
    headers = cavage_headers(covered=("(request-target)", "host", "date"))
    lookup = await rejected(headers, "Digest must be signed")
    assert lookup.calls == []  # policy is checked before any key is fetched


async def test_get_must_sign_host() -> None:
    headers = cavage_headers("GET", body=b"", covered=("(request-target)", "date"))
    await rejected(headers, "Host must be signed", method="GET", body=b"")


async def test_date_or_created_must_be_signed() -> None:
    headers = cavage_headers(covered=("(request-target)", "host", "digest"))
    await rejected(headers, "Date or \\(created\\) must be signed")


async def test_request_target_or_digest_must_be_signed() -> None:
    headers = cavage_headers("GET", body=b"", covered=("host", "date"))
    await rejected(headers, "\\(request-target\\) or Digest must be signed", method="GET", body=b"")


async def test_digest_without_request_target_is_enough_for_mastodon() -> None:
    await verify(cavage_headers(covered=("host", "date", "digest")))


async def test_a_signed_header_that_is_missing_fails() -> None:
    covered = (*POST_COVERED, "x-extra")
    headers = [*cavage_headers(), ("X-Extra", "1")]
    text = signing_string("POST", URL, headers, covered)
    signature = format_signature(
        key_id=KEY_ID, algorithm="rsa-sha256", headers=covered, signature=sign_string(RSA, text)
    )
    signed = [*headers[:-2], ("Signature", signature), ("X-Extra", "1")]
    await verify(signed)
    await rejected(signed[:-1], "x-extra is missing")


async def test_a_signed_header_removed_in_transit_fails() -> None:
    headers = [h for h in cavage_headers() if h[0] != "Content-Type"]
    await rejected(headers, "content-type is missing")


async def test_default_headers_for_rsa_sha256_is_date_only_and_rejected() -> None:
    """Appendix C.1's form (no headers parameter) signs only date: not enough."""
    text = f"date: {format_http_date(NOW)}"
    value = format_signature(
        key_id=KEY_ID, algorithm="rsa-sha256", headers=None, signature=sign_string(RSA, text)
    )
    headers = [("Host", "me.example"), ("Date", format_http_date(NOW)), ("Signature", value)]
    await rejected(headers, "\\(request-target\\) or Digest must be signed", method="GET", body=b"")


# ----------------------------------------------------------------------------- digest and replay


async def test_digest_mismatch() -> None:
    await rejected(cavage_headers(), "Digest does not match", body=BODY + b"\n")


async def test_digest_header_missing() -> None:
    headers = [h for h in cavage_headers() if h[0] != "Digest"]
    await rejected(headers, "digest is missing")


async def test_lowercase_digest_algorithm_is_accepted() -> None:
    headers = cavage_headers()
    digest = next(v for k, v in headers if k == "Digest").replace("SHA-256=", "sha-256=")
    # Re-sign with the lowercase spelling, as some servers send it.
    fixed = [(k, digest if k == "Digest" else v) for k, v in headers if k != "Signature"]
    text = signing_string("POST", URL, fixed, POST_COVERED)
    fixed.append(
        (
            "Signature",
            format_signature(
                key_id=KEY_ID,
                algorithm="rsa-sha256",
                headers=POST_COVERED,
                signature=sign_string(RSA, text),
            ),
        )
    )
    await verify(fixed)


async def test_get_signature_replayed_as_post() -> None:
    headers = cavage_headers("GET", body=b"")
    await rejected(headers, "Digest must be signed", method="POST", body=BODY)
    await rejected(headers, "Digest must be signed", method="POST", body=b"")


async def test_get_signature_replayed_on_another_path_or_query() -> None:
    url = "https://me.example/users/alice?page=1"
    headers = cavage_headers("GET", url, b"")
    await verify(headers, method="GET", url=url, body=b"")
    for other in (
        "https://me.example/users/alice/followers?page=1",
        "https://me.example/users/alice?page=2",
        "https://me.example/users/alice",
    ):
        await rejected(headers, "does not verify", method="GET", url=other, body=b"")


async def test_post_replayed_to_another_inbox() -> None:
    await rejected(cavage_headers(), "does not verify", url="https://me.example/inbox")


async def test_method_is_signed() -> None:
    headers = cavage_headers("PUT")
    await rejected(headers, "does not verify", method="POST")


# ----------------------------------------------------------------------------- time


@pytest.mark.parametrize(
    ("offset", "ok"),
    [
        (timedelta(0), True),
        (timedelta(hours=-1), True),
        (timedelta(hours=1), True),
        (timedelta(hours=-1, seconds=-1), False),
        (timedelta(hours=1, seconds=1), False),
        (timedelta(days=-2), False),
        (timedelta(hours=2), False),
    ],
    ids=["now", "-1h", "+1h", "-1h1s", "+1h1s", "-2d", "+2h"],
)
async def test_date_must_be_within_one_hour(offset: timedelta, ok: bool) -> None:
    headers = cavage_headers(date=NOW + offset)
    if ok:
        assert (await verify(headers)).created == NOW + offset
    else:
        lookup = await rejected(headers, "Date is (too old|in the future)")
        assert lookup.calls == []


async def test_max_skew_is_configurable() -> None:
    headers = cavage_headers(date=NOW - timedelta(minutes=10))
    lookup = FakeLookup(RSA_PUBLIC)
    with pytest.raises(SignatureError, match="too old"):
        await verify_request(
            "POST", URL, headers, BODY, lookup=lookup, now=NOW, max_skew=timedelta(minutes=5)
        )


async def test_unparsable_date() -> None:
    headers = [(k, "yesterday" if k == "Date" else v) for k, v in cavage_headers()]
    await rejected(headers, "not an HTTP date")


async def test_created_and_expires_with_hs2019() -> None:
    stamp = int(NOW.timestamp())
    covered = ("(request-target)", "(created)", "(expires)", "host", "digest")
    headers = cavage_headers(
        date=None, covered=covered, algorithm="hs2019", created=stamp, expires=stamp + 300
    )
    verified = await verify(headers)
    assert verified.created == NOW


@pytest.mark.parametrize(
    ("created", "expires", "reason"),
    [
        (-7200, 300, "created is too old"),
        (7200, 9000, "created is in the future"),
        (-600, -1, "expired"),
    ],
)
async def test_created_and_expires_are_checked(created: int, expires: int, reason: str) -> None:
    stamp = int(NOW.timestamp())
    covered = ("(request-target)", "(created)", "(expires)", "host", "digest")
    headers = cavage_headers(
        date=None,
        covered=covered,
        algorithm="hs2019",
        created=stamp + created,
        expires=stamp + expires,
    )
    await rejected(headers, reason)


async def test_created_pseudo_header_needs_hs2019() -> None:
    stamp = int(NOW.timestamp())
    covered = ("(request-target)", "(created)", "host", "digest")
    headers = cavage_headers(covered=covered, algorithm="rsa-sha256", created=stamp)
    await rejected(headers, "\\(created\\) needs algorithm hs2019")


async def test_created_pseudo_header_needs_its_parameter() -> None:
    covered = ("(request-target)", "(created)", "host", "digest")
    stamp = int(NOW.timestamp())
    headers = cavage_headers(covered=covered, algorithm="hs2019", created=stamp)
    headers = [
        (k, v.replace(f"created={stamp},", "") if k == "Signature" else v) for k, v in headers
    ]
    await rejected(headers, "\\(created\\) is signed but its parameter is missing")


# ----------------------------------------------------------------------------- algorithms


async def test_hs2019_with_rsa_key() -> None:
    await verify(cavage_headers(algorithm="hs2019"))


async def test_absent_algorithm_lets_the_key_decide() -> None:
    headers = cavage_headers(private=ED, algorithm="hs2019")
    headers = [
        (k, v.replace('algorithm="hs2019",', "") if k == "Signature" else v) for k, v in headers
    ]
    await verify(headers, key=ED_PUBLIC)


async def test_algorithm_confusion_rsa_sha256_with_ed25519_key() -> None:
    """algorithm="rsa-sha256" but the key is Ed25519 (and signed with it): refused."""
    headers = cavage_headers(private=ED, algorithm="rsa-sha256")
    lookup = await rejected(headers, "algorithm does not match the key", key=ED_PUBLIC)
    assert lookup.calls == [(KEY_ID, False), (KEY_ID, True)]


@pytest.mark.parametrize("algorithm", ["hmac-sha256", "rsa-sha512", "ecdsa-sha256", "ed25519"])
async def test_unsupported_algorithms(algorithm: str) -> None:
    lookup = await rejected(cavage_headers(algorithm=algorithm), "unsupported algorithm")
    assert lookup.calls == []


async def test_wrong_signature() -> None:
    await rejected(cavage_headers(private=ED, algorithm="hs2019"), "does not verify")


# ----------------------------------------------------------------------------- key lookup


async def test_unknown_key_id() -> None:
    lookup = await rejected(cavage_headers(), "unknown key", key=None)
    assert lookup.calls == [(KEY_ID, False), (KEY_ID, True)]


async def test_cached_key_is_used_without_refresh() -> None:
    lookup = FakeLookup(RSA_PUBLIC, OTHER_RSA)
    await verify_request("POST", URL, cavage_headers(), BODY, lookup=lookup, now=NOW)
    assert lookup.calls == [(KEY_ID, False)]


async def test_rotated_key_is_refreshed_once() -> None:
    lookup = FakeLookup(OTHER_RSA, RSA_PUBLIC)
    verified = await verify_request("POST", URL, cavage_headers(), BODY, lookup=lookup, now=NOW)
    assert verified.key_id == KEY_ID
    assert lookup.calls == [(KEY_ID, False), (KEY_ID, True)]


async def test_missing_cached_key_is_fetched_once() -> None:
    lookup = FakeLookup(None, RSA_PUBLIC)
    await verify_request("POST", URL, cavage_headers(), BODY, lookup=lookup, now=NOW)
    assert lookup.calls == [(KEY_ID, False), (KEY_ID, True)]


@pytest.mark.parametrize("fresh", [OTHER_RSA, None])
async def test_refresh_happens_at_most_once(fresh: PublicKey | None) -> None:
    lookup = FakeLookup(OTHER_RSA, fresh)
    with pytest.raises(SignatureError, match=r"does not verify|unknown key"):
        await verify_request("POST", URL, cavage_headers(), BODY, lookup=lookup, now=NOW)
    assert lookup.calls == [(KEY_ID, False), (KEY_ID, True)]


async def test_refresh_at_most_once_for_rfc9421() -> None:
    added = sign_rfc9421("POST", URL, {}, BODY, key_id=KEY_ID, private_key=RSA, now=NOW)
    lookup = FakeLookup(OTHER_RSA, OTHER_RSA)
    with pytest.raises(SignatureError, match="does not verify"):
        await verify_request("POST", URL, added, BODY, lookup=lookup, now=NOW)
    assert lookup.calls == [(KEY_ID, False), (KEY_ID, True)]


async def test_lookup_errors_propagate() -> None:
    async def broken(key_id: str, refresh: bool) -> PublicKey | None:
        raise RuntimeError("database down")

    with pytest.raises(RuntimeError, match="database down"):
        await verify_request("POST", URL, cavage_headers(), BODY, lookup=broken, now=NOW)


# ----------------------------------------------------------------------------- malformed input


@pytest.mark.parametrize(
    ("headers", "reason"),
    [
        (
            [
                ("Signature", 'keyId="k",signature="AA=="'),
                ("Signature", 'keyId="k",signature="AA=="'),
            ],
            "duplicate parameter",
        ),
        ([("Signature", "garbage")], "malformed"),
        ([("Authorization", "Signature ")], "malformed"),
        (
            [("Signature-Input", 'a=("@method" "@target-uri");created=1'), ("Signature", "a=x")],
            "no signature for label a",
        ),
    ],
)
async def test_malformed_signature_headers(headers: list[tuple[str, str]], reason: str) -> None:
    await rejected(headers, reason)


async def test_relative_url_is_refused() -> None:
    await rejected(cavage_headers(), "absolute", url="/users/alice/inbox")


async def test_non_ascii_signed_value_is_refused() -> None:
    covered = " ".join((*POST_COVERED, "x-name"))
    headers = [h for h in cavage_headers() if h[0] != "Signature"]
    signature = f'keyId="{KEY_ID}",algorithm="rsa-sha256",headers="{covered}",signature="AA=="'
    headers += [("X-Name", "caf\u00e9"), ("Signature", signature)]
    await rejected(headers, "not ASCII")


def _mutations(valid: str, rng: random.Random, count: int) -> list[str]:
    alphabet = (
        '"=,;:()?*\\ \t\r\n-_/+.aZ09@%\u00e9' + "keyIdalgorithmheaderssignaturecreatedexpires"
    )
    out = [valid[:i] for i in range(0, len(valid), max(1, len(valid) // 60))]
    while len(out) < count:
        chars = list(valid)
        for _ in range(rng.randint(1, 6)):
            pos = rng.randrange(len(chars) + 1)
            action = rng.random()
            if action < 0.4 and chars:
                chars[min(pos, len(chars) - 1)] = rng.choice(alphabet)
            elif action < 0.7:
                chars.insert(pos, rng.choice(alphabet))
            elif chars:
                del chars[min(pos, len(chars) - 1)]
        out.append("".join(chars))
    out += ["".join(rng.choice(alphabet) for _ in range(rng.randint(0, 80))) for _ in range(50)]
    return out


async def test_fuzzed_cavage_headers_only_raise_signature_error() -> None:
    rng = random.Random(9421)  # fixed seed: reproducible
    headers = cavage_headers()
    valid = next(v for k, v in headers if k == "Signature")
    rest = [h for h in headers if h[0] != "Signature"]
    for value in _mutations(valid, rng, 300):
        for name, prefix in (("Signature", ""), ("Authorization", "Signature ")):
            with contextlib.suppress(SignatureError):
                await verify([*rest, (name, prefix + value)])


async def test_fuzzed_rfc9421_headers_only_raise_signature_error() -> None:
    rng = random.Random(8941)
    added = sign_rfc9421(
        "POST", URL, {"Content-Type": "a/b"}, BODY, key_id=KEY_ID, private_key=RSA, now=NOW
    )
    base = [("Content-Type", "a/b"), ("Content-Digest", added["Content-Digest"])]
    for field in ("Signature-Input", "Signature", "Content-Digest"):
        for value in _mutations(added[field], rng, 200):
            headers = {**dict(base), **added, field: value}
            with contextlib.suppress(SignatureError):
                await verify(list(headers.items()))


async def test_fuzzed_dates_and_urls_only_raise_signature_error() -> None:
    rng = random.Random(3230)
    headers = cavage_headers()
    date = format_http_date(NOW)
    for value in _mutations(date, rng, 150):
        with contextlib.suppress(SignatureError):
            await verify([(k, value if k == "Date" else v) for k, v in headers])
    for url in _mutations(URL, rng, 150):
        with contextlib.suppress(SignatureError):
            await verify(headers, url=url)


def test_key_loading_errors_are_value_errors() -> None:
    with pytest.raises(ValueError, match="PEM public key"):
        public_key_from_pem("-----BEGIN PUBLIC KEY-----\nnope\n-----END PUBLIC KEY-----\n")
    with pytest.raises(ValueError, match="PEM private key"):
        private_key_from_pem(b"not a key")
    pem = (
        x25519.X25519PrivateKey.generate()
        .public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    )
    with pytest.raises(ValueError, match="unsupported key type"):
        public_key_from_pem(pem)


def test_sign_rfc9421_refuses_an_unsupported_curve() -> None:
    key = ec.generate_private_key(ec.SECP521R1())
    with pytest.raises(ValueError, match="curve"):
        sign_rfc9421("GET", URL, {}, b"", key_id=KEY_ID, private_key=key)


# ----------------------------------------------------------------------------- embedded vectors

SHARED = Path(__file__).resolve().parents[2].parent / "shared"


def test_embedded_vectors_match_shared() -> None:
    if not SHARED.is_dir():
        pytest.skip("../shared is not present (a fresh clone); the embedded copies are used")
    root = SHARED / "vectors"
    rfc = root / "rfc9421"
    for name, pem in vectors.RFC9421_PUBLIC_KEYS.items():
        assert pem == (rfc / "keys" / f"{name}.pub.pem").read_text(), name
    for name, pem in vectors.RFC9421_PRIVATE_KEYS.items():
        assert pem == (rfc / "keys" / f"{name}.pem").read_text(), name

    messages = json.loads((rfc / "messages.json").read_text())["messages"]
    for name, message in vectors.RFC9421_MESSAGES.items():
        source = messages[name]
        assert message["start_line"] == source["start_line"], name
        assert message["fields"] == [tuple(f) for f in source["fields"]], name
        assert message["body"] == source["body"], name
        flag = "signature_transform_expected_valid"
        assert message.get(flag) == source.get(flag), name

    cases = json.loads((rfc / "test-cases.json").read_text())["test_cases"]
    assert [c["section"] for c in vectors.RFC9421_CASES] == [c["section"] for c in cases]
    for case, source in zip(vectors.RFC9421_CASES, cases, strict=True):
        assert {k: source[k] for k in case} == dict(case), case["section"]

    cavage = root / "cavage-http-signatures-12"
    appendix = json.loads((cavage / "appendix-c.json").read_text())
    assert appendix["key"]["keyId"] == vectors.CAVAGE_KEY_ID
    assert (cavage / "test-key-rsa.pub.pem").read_text() == vectors.CAVAGE_PUBLIC_KEY_PEM
    assert (cavage / "test-key-rsa.pem").read_text() == vectors.CAVAGE_PRIVATE_KEY_PEM
    assert vectors.CAVAGE_PUBLIC_KEY_PEM.strip() == appendix["key"]["public_key_pem"].strip()
    request = appendix["request"]
    assert vectors.CAVAGE_REQUEST["start_line"] == request["start_line"]
    assert vectors.CAVAGE_REQUEST["fields"] == [tuple(f) for f in request["fields"]]
    assert vectors.CAVAGE_REQUEST["body"] == request["body"]
    assert [c["section"] for c in vectors.CAVAGE_CASES] == [
        c["section"] for c in appendix["test_cases"]
    ]
    for cavage_case, cavage_source in zip(
        vectors.CAVAGE_CASES, appendix["test_cases"], strict=True
    ):
        assert cavage_case["signing_string"] == cavage_source["signing_string"]
        assert (
            cavage_case["authorization"]
            == cavage_source["authorization_header"]["single_line_value"]
        )
        assert cavage_case["params"] == cavage_source["authorization_header"]["params"]
        signature = cavage_source.get("signature_header")
        assert cavage_case["signature"] == (signature["single_line_value"] if signature else None)

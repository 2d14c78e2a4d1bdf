"""draft-cavage-http-signatures-12: Appendix C known answers, parsing, signing strings, signing.

The Appendix C cases are checked at the signing-string level, not against the Mastodon
policy of ``verify_request``: C.1 signs only ``date`` and C.3's printed string omits the
``(created)``/``(expires)`` lines its ``headers`` parameter lists (see the vectors README).
"""

from __future__ import annotations

import base64
import re
from datetime import UTC, datetime

import pytest
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa

from fediverse_skills.federation.cavage import (
    format_signature,
    parse_signature,
    sign_cavage,
    sign_string,
    signature_field,
    signing_string,
    verify_string,
)
from fediverse_skills.federation.digests import make_digest
from fediverse_skills.federation.sigcore import (
    Headers,
    SignatureError,
    private_key_from_pem,
    public_key_from_pem,
)

from .vectors import (
    CAVAGE_CASES,
    CAVAGE_KEY_ID,
    CAVAGE_PRIVATE_KEY_PEM,
    CAVAGE_PUBLIC_KEY_PEM,
    CAVAGE_REQUEST,
    CavageCase,
)

PUBLIC = public_key_from_pem(CAVAGE_PUBLIC_KEY_PEM)
PRIVATE = private_key_from_pem(CAVAGE_PRIVATE_KEY_PEM)
METHOD, TARGET, _ = CAVAGE_REQUEST["start_line"].split(" ")
URL = "http://example.com" + TARGET
FIELDS = CAVAGE_REQUEST["fields"]
NOW = datetime(2025, 3, 4, 5, 6, 7, tzinfo=UTC)
CASES = pytest.mark.parametrize("case", CAVAGE_CASES, ids=[c["section"] for c in CAVAGE_CASES])


def _params(case: CavageCase) -> str:
    return case["authorization"].removeprefix("Signature ")


# ----------------------------------------------------------------------------- Appendix C


@CASES
def test_appendix_c_parameters_parse(case: CavageCase) -> None:
    sig = parse_signature(_params(case))
    expected = case["params"]
    assert sig.key_id == expected["keyId"] == CAVAGE_KEY_ID
    assert sig.algorithm == expected["algorithm"]
    assert base64.b64encode(sig.signature).decode() == expected["signature"]
    assert sig.headers == (
        tuple(str(expected["headers"]).split()) if "headers" in expected else None
    )
    assert sig.created == expected.get("created")
    assert sig.expires == expected.get("expires")


@CASES
def test_appendix_c_signing_string_is_rebuilt_from_the_request(case: CavageCase) -> None:
    sig = parse_signature(_params(case))
    # C.3 lists (created) (expires) but its printed string has no such lines (a defect of
    # the draft); C.1 has no headers parameter, so only date is signed.
    covered = [h for h in sig.covered if h not in ("(created)", "(expires)")]
    assert signing_string(METHOD, URL, FIELDS, covered) == case["signing_string"]


@CASES
def test_appendix_c_signature_verifies_over_the_printed_string(case: CavageCase) -> None:
    sig = parse_signature(_params(case))
    text = case["signing_string"].encode()
    assert verify_string(PUBLIC, sig.algorithm, text, sig.signature) is None
    assert verify_string(PUBLIC, sig.algorithm, text + b" ", sig.signature) is not None


@CASES
def test_appendix_c_resigning_gives_identical_bytes(case: CavageCase) -> None:
    sig = parse_signature(_params(case))
    assert isinstance(PRIVATE, rsa.RSAPrivateKey)
    signature = sign_string(PRIVATE, case["signing_string"])
    assert signature == sig.signature
    value = format_signature(
        key_id=sig.key_id,
        algorithm="rsa-sha256",
        headers=sig.headers,
        signature=signature,
        created=sig.created,
        expires=sig.expires,
    )
    assert f"Signature {value}" == case["authorization"]
    if case["signature"] is not None:
        assert value == case["signature"]


def test_appendix_c3_does_not_verify_with_the_pseudo_headers_included() -> None:
    """Documents the known defect: the signature covers the printed six-line string only."""
    case = next(c for c in CAVAGE_CASES if c["section"] == "C.3")
    sig = parse_signature(_params(case))
    full = signing_string(
        METHOD, URL, FIELDS, sig.covered, created=sig.created, expires=sig.expires
    )
    assert full != case["signing_string"]
    assert "(created): 1402170695\n(expires): 1402170699" in full
    assert verify_string(PUBLIC, sig.algorithm, full.encode(), sig.signature) is not None


def test_appendix_c_request_digest_matches_its_body() -> None:
    digest = next(v for k, v in FIELDS if k == "Digest")
    assert make_digest(CAVAGE_REQUEST["body"].encode()) == digest


# ----------------------------------------------------------------------------- parsing


def test_parse_accepts_spaces_after_commas_and_escapes() -> None:
    sig = parse_signature(
        'keyId="a\\"b", algorithm="hs2019",\tcreated=1402170695,  headers="(created) Host",'
        ' signature="AAEC"'
    )
    assert sig.key_id == 'a"b'
    assert sig.created == 1402170695
    assert sig.headers == ("(created)", "host")
    assert sig.signature == b"\x00\x01\x02"


def test_parse_ignores_unknown_parameters() -> None:
    assert parse_signature('keyId="k",foo="bar",signature="AAEC"').key_id == "k"


def test_default_covered_headers_follow_mastodon() -> None:
    assert parse_signature('keyId="k",algorithm="rsa-sha256",signature="AA=="').covered == ("date",)
    assert parse_signature('keyId="k",algorithm="hs2019",signature="AA=="').covered == (
        "(created)",
    )
    assert parse_signature('keyId="k",signature="AA=="').covered == ("(created)",)


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        ('keyId="k",keyId="k",signature="AA=="', "duplicate"),
        ('algorithm="rsa-sha256",signature="AA=="', "keyId"),
        ('keyId="",signature="AA=="', "keyId"),
        ('keyId="k"', "no signature"),
        ('keyId="k",signature="@@@"', "base64"),
        ('keyId="k",headers="",signature="AA=="', "headers"),
        ('keyId="k",headers="date date",signature="AA=="', "headers"),
        ('keyId="k",created=12.5,signature="AA=="', "created"),
        ('keyId="k",expires=-1,signature="AA=="', "expires"),
        ('keyId="k,signature="AA=="', "malformed"),
        ('keyId="k";signature="AA=="', "malformed"),
        ('keyId="k', "unterminated"),
        ("", "malformed"),
        ("keyId", "malformed"),
    ],
)
def test_parse_rejects_malformed_headers(value: str, reason: str) -> None:
    with pytest.raises(SignatureError, match=reason):
        parse_signature(value)


def test_signature_field_prefers_signature_then_authorization() -> None:
    assert signature_field(Headers([("Authorization", "Signature keyId=x")])) == "keyId=x"
    assert signature_field(Headers([("authorization", "signature  keyId=x")])) == "keyId=x"
    both = Headers([("Authorization", "Signature keyId=a"), ("Signature", "keyId=b")])
    assert signature_field(both) == "keyId=b"
    assert signature_field(Headers([("Authorization", "Bearer abc")])) is None
    assert signature_field(Headers([])) is None


# ----------------------------------------------------------------------------- signing string


def test_request_target_is_lowercase_method_path_and_query() -> None:
    text = signing_string("GET", "https://a.example/u/x?page=2&b=%20", [], ["(request-target)"])
    assert text == "(request-target): get /u/x?page=2&b=%20"
    assert signing_string("GET", "https://a.example", [], ["(request-target)"]) == (
        "(request-target): get /"
    )


def test_headers_are_case_insensitive_and_repeated_values_are_joined() -> None:
    headers = [("X-Thing", " one "), ("x-thing", "two"), ("HOST", "a.example")]
    text = signing_string("GET", "https://a.example/", headers, ["HOST", "x-thing"])
    assert text == "host: a.example\nx-thing: one, two"


def test_values_are_used_as_received() -> None:
    headers = {
        "Content-Type": 'application/ld+json; profile="https://www.w3.org/ns/activitystreams"'
    }
    text = signing_string("POST", "https://a.example/inbox", headers, ["content-type"])
    assert (
        text == 'content-type: application/ld+json; profile="https://www.w3.org/ns/activitystreams"'
    )


@pytest.mark.parametrize(
    ("covered", "headers", "reason"),
    [
        (["date"], [], "missing"),
        (["(created)"], [], r"\(created\) is signed"),
        (["(expires)"], [], r"\(expires\) is signed"),
        (["(nonsense)"], [], "unknown pseudo-header"),
        (["x-a"], [("X-A", "one\ntwo")], "line break"),
    ],
)
def test_signing_string_failures(
    covered: list[str], headers: list[tuple[str, str]], reason: str
) -> None:
    with pytest.raises(SignatureError, match=reason):
        signing_string("GET", "https://a.example/", headers, covered)


def test_pseudo_headers_use_the_parameters() -> None:
    text = signing_string(
        "GET", "https://a.example/", [], ["(created)", "(expires)"], created=1, expires=2
    )
    assert text == "(created): 1\n(expires): 2"


# ----------------------------------------------------------------------------- signing


def _signature_params(value: str) -> dict[str, str]:
    return dict(re.findall(r'(\w+)="([^"]*)"', value))


def test_sign_post_like_mastodon() -> None:
    body = b'{"type": "Follow"}'
    headers = {"Content-Type": "application/activity+json"}
    url = "https://remote.example/users/bob/inbox"
    added = sign_cavage(
        "POST",
        url,
        headers,
        body,
        key_id="https://me.example/u/a#main-key",
        private_key=PRIVATE,
        now=NOW,
    )
    assert list(added) == ["Date", "Host", "Digest", "Signature"]
    assert added["Date"] == "Tue, 04 Mar 2025 05:06:07 GMT"
    assert added["Host"] == "remote.example"
    assert added["Digest"] == make_digest(body)
    assert re.fullmatch(
        r'keyId="https://me\.example/u/a#main-key",algorithm="rsa-sha256",'
        r'headers="\(request-target\) host date digest content-type",signature="[A-Za-z0-9+/=]+"',
        added["Signature"],
    )
    sig = parse_signature(added["Signature"])
    text = signing_string("POST", url, {**headers, **added}, sig.covered)
    assert text.startswith("(request-target): post /users/bob/inbox\nhost: remote.example\n")
    assert verify_string(PUBLIC, sig.algorithm, text.encode(), sig.signature) is None


def test_sign_post_without_content_type_signs_no_content_type() -> None:
    added = sign_cavage(
        "POST", "https://r.example/inbox", {}, b"{}", key_id="k", private_key=PRIVATE, now=NOW
    )
    assert _signature_params(added["Signature"])["headers"] == "(request-target) host date digest"


def test_sign_get_like_mastodon() -> None:
    added = sign_cavage(
        "GET",
        "https://r.example:8443/users/bob?x=1",
        {"Accept": "x"},
        b"",
        key_id="k",
        private_key=PRIVATE,
        now=NOW,
    )
    assert list(added) == ["Date", "Host", "Signature"]
    assert added["Host"] == "r.example:8443"
    assert _signature_params(added["Signature"])["headers"] == "(request-target) host date"
    sig = parse_signature(added["Signature"])
    text = signing_string("GET", "https://r.example:8443/users/bob?x=1", added, sig.covered)
    assert text.startswith("(request-target): get /users/bob?x=1\n")
    assert verify_string(PUBLIC, "rsa-sha256", text.encode(), sig.signature) is None


def test_sign_keeps_existing_date_and_host() -> None:
    headers = {"date": "Sun, 05 Jan 2014 21:31:40 GMT", "host": "example.com"}
    added = sign_cavage("GET", URL, headers, b"", key_id="Test", private_key=PRIVATE, now=NOW)
    assert list(added) == ["Signature"]
    sig = parse_signature(added["Signature"])
    text = signing_string("GET", URL, headers, sig.covered)
    assert text == (
        "(request-target): get /foo?param=value&pet=dog\n"
        "host: example.com\n"
        "date: Sun, 05 Jan 2014 21:31:40 GMT"
    )
    assert verify_string(PUBLIC, "rsa-sha256", text.encode(), sig.signature) is None


def test_sign_with_ed25519_uses_hs2019() -> None:
    key = ed25519.Ed25519PrivateKey.generate()
    added = sign_cavage("GET", "https://r.example/", {}, b"", key_id="k", private_key=key, now=NOW)
    sig = parse_signature(added["Signature"])
    assert sig.algorithm == "hs2019"
    text = signing_string("GET", "https://r.example/", added, sig.covered).encode()
    assert verify_string(key.public_key(), "hs2019", text, sig.signature) is None
    assert verify_string(key.public_key(), "rsa-sha256", text, sig.signature) == (
        "algorithm does not match the key"
    )


def test_sign_with_an_ec_key_is_refused() -> None:
    key = ec.generate_private_key(ec.SECP256R1())
    with pytest.raises(ValueError, match="RSA or Ed25519"):
        sign_cavage("GET", "https://r.example/", {}, b"", key_id="k", private_key=key, now=NOW)


def test_verify_string_refuses_other_algorithms_and_key_types() -> None:
    text = b"date: x"
    assert verify_string(PUBLIC, "hmac-sha256", text, b"x") == "unsupported algorithm"
    ec_key = ec.generate_private_key(ec.SECP256R1()).public_key()
    assert verify_string(ec_key, "hs2019", text, b"x") == "unsupported key type"

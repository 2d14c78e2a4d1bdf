"""RFC 9421: Appendix B known answers, structured fields, signing and the verification policy."""

from __future__ import annotations

import base64
from datetime import UTC, datetime, timedelta

import pytest
from cryptography.hazmat.primitives.asymmetric import ec

from fediverse_skills.federation.digests import make_content_digest
from fediverse_skills.federation.rfc9421 import (
    build_signature_params,
    component,
    sign_base,
    sign_rfc9421,
    signature_base,
    verify_base,
)
from fediverse_skills.federation.sigcore import (
    AnyPrivateKey,
    PublicKey,
    SignatureError,
    Verified,
    private_key_from_pem,
    public_key_from_pem,
)
from fediverse_skills.federation.signatures import verify_request
from fediverse_skills.federation.structured_fields import (
    InnerList,
    Item,
    StructuredFieldError,
    Token,
    parse_dictionary,
    parse_item,
    parse_list,
    serialize_inner_list,
    serialize_item,
)

from .vectors import (
    RFC9421_CASES,
    RFC9421_MESSAGES,
    RFC9421_PRIVATE_KEYS,
    RFC9421_PUBLIC_KEYS,
    Message,
    Rfc9421Case,
)

REQUEST_CASES = [
    c for c in RFC9421_CASES if not RFC9421_MESSAGES[c["message"]]["start_line"].startswith("HTTP/")
]
VERIFY_CASES = [c for c in RFC9421_CASES if c["alg"] != "hmac-sha256"]
B4 = [name for name in RFC9421_MESSAGES if name.startswith("b4-")]


def _ids(cases: list[Rfc9421Case]) -> list[str]:
    return [c["section"] for c in cases]


def _url(message: Message) -> str:
    """The URL a server sees for an Appendix B request (they are all sent over TLS)."""
    _, target, _ = message["start_line"].split(" ")
    host = next(v for k, v in message["fields"] if k.lower() == "host")
    return f"https://{host}{target}"


def _method(message: Message) -> str:
    return message["start_line"].split(" ")[0]


def _covered(case: Rfc9421Case) -> tuple[str, InnerList]:
    ((label, member),) = parse_dictionary(case["signature_input_field"]).items()
    assert isinstance(member, InnerList)
    return label, member


def _public(name: str) -> PublicKey:
    return PublicKey(
        id=name,
        owner="https://example.com/owner",
        key=public_key_from_pem(RFC9421_PUBLIC_KEYS[name]),
    )


# ----------------------------------------------------------------------------- Appendix B


def test_b26_ed25519_is_reproduced_byte_for_byte() -> None:
    case = next(c for c in RFC9421_CASES if c["section"] == "B.2.6")
    message = RFC9421_MESSAGES["test-request"]
    covered = [
        component("date"),
        component("@method"),
        component("@path"),
        component("@authority"),
        component("content-type"),
        component("content-length"),
    ]
    params = build_signature_params(covered, created=1618884473, keyid="test-key-ed25519")
    assert f"sig-b26={params}" == case["signature_input_field"]
    base = signature_base(_method(message), _url(message), message["fields"], covered, params)
    assert base == case["signature_base"]
    private = private_key_from_pem(RFC9421_PRIVATE_KEYS["test-key-ed25519"])
    signature = sign_base("ed25519", private, base)
    assert base64.b64encode(signature).decode() == case["signature_base64"]
    assert f"sig-b26=:{base64.b64encode(signature).decode()}:" == case["signature_field"]


@pytest.mark.parametrize("case", REQUEST_CASES, ids=_ids(REQUEST_CASES))
def test_signature_base_is_rebuilt_from_the_message(case: Rfc9421Case) -> None:
    message = RFC9421_MESSAGES[case["message"]]
    label, member = _covered(case)
    params = serialize_inner_list(member)
    assert f"{label}={params}" == case["signature_input_field"]  # round trip
    base = signature_base(_method(message), _url(message), message["fields"], member.items, params)
    assert base == case["signature_base"]


@pytest.mark.parametrize("case", VERIFY_CASES, ids=_ids(VERIFY_CASES))
def test_published_signature_verifies(case: Rfc9421Case) -> None:
    key = public_key_from_pem(RFC9421_PUBLIC_KEYS[case["keyid"]])
    signature = base64.b64decode(case["signature_base64"])
    assert verify_base(case["alg"], key, case["signature_base"], signature)
    assert not verify_base(case["alg"], key, case["signature_base"] + " ", signature)
    ((_, member),) = parse_dictionary(case["signature_field"]).items()
    assert isinstance(member, Item) and member.value == signature


def test_hmac_is_not_supported() -> None:
    case = next(c for c in RFC9421_CASES if c["alg"] == "hmac-sha256")
    key = public_key_from_pem(RFC9421_PUBLIC_KEYS["test-key-ed25519"])
    assert not verify_base("hmac-sha256", key, case["signature_base"], b"x")


@pytest.mark.parametrize(
    "case", [c for c in VERIFY_CASES if c["deterministic"]], ids=lambda c: c["section"]
)
def test_deterministic_signatures_are_reproduced(case: Rfc9421Case) -> None:
    private = private_key_from_pem(RFC9421_PRIVATE_KEYS[case["keyid"]])
    signature = sign_base(case["alg"], private, case["signature_base"])
    assert base64.b64encode(signature).decode() == case["signature_base64"]


@pytest.mark.parametrize("alg", ["rsa-pss-sha512", "ecdsa-p256-sha256"])
def test_nondeterministic_algorithms_sign_verifiably(alg: str) -> None:
    name = {"rsa-pss-sha512": "test-key-rsa-pss", "ecdsa-p256-sha256": "test-key-ecc-p256"}[alg]
    private = private_key_from_pem(RFC9421_PRIVATE_KEYS[name])
    public = public_key_from_pem(RFC9421_PUBLIC_KEYS[name])
    signature = sign_base(alg, private, "hello")
    if alg.startswith("ecdsa"):
        assert len(signature) == 64  # raw r || s, §3.3.4
    assert verify_base(alg, public, "hello", signature)


def test_ecdsa_signature_must_be_raw_r_and_s() -> None:
    case = next(c for c in RFC9421_CASES if c["section"] == "B.2.4")
    key = public_key_from_pem(RFC9421_PUBLIC_KEYS["test-key-ecc-p256"])
    signature = base64.b64decode(case["signature_base64"])
    assert not verify_base("ecdsa-p256-sha256", key, case["signature_base"], signature[:-1])


@pytest.mark.parametrize("name", B4)
def test_b4_transformations(name: str) -> None:
    """B.4: which transformations keep the signature valid, exactly as the RFC says."""
    message = RFC9421_MESSAGES[name]
    fields = message["fields"]
    inputs = parse_dictionary(next(v for k, v in fields if k == "Signature-Input"))
    signatures = parse_dictionary(next(v for k, v in fields if k == "Signature"))
    member, signature = inputs["transform"], signatures["transform"]
    assert isinstance(member, InnerList) and isinstance(signature, Item)
    assert isinstance(signature.value, bytes)
    key = public_key_from_pem(RFC9421_PUBLIC_KEYS["test-key-ed25519"])
    base = signature_base(
        _method(message), _url(message), fields, member.items, serialize_inner_list(member)
    )
    valid = verify_base("ed25519", key, base, signature.value)
    assert valid is message["signature_transform_expected_valid"]


async def test_appendix_b_requests_do_not_meet_our_policy() -> None:
    """B.2.6 signs @path but not @query (the URL has one): not enough for an inbox."""
    case = next(c for c in RFC9421_CASES if c["section"] == "B.2.6")
    message = RFC9421_MESSAGES["test-request"]
    headers = [
        *message["fields"],
        ("Signature-Input", case["signature_input_field"]),
        ("Signature", case["signature_field"]),
    ]
    lookup = FakeLookup(_public("test-key-ed25519"))
    with pytest.raises(SignatureError, match="must be signed"):
        await verify_request(
            "POST",
            _url(message),
            headers,
            message["body"].encode(),
            lookup=lookup,
            now=datetime.fromtimestamp(1618884473, UTC),
        )
    assert lookup.calls == []


# ----------------------------------------------------------------------------- structured fields


def test_strings_with_separators_are_not_split() -> None:
    value = 'a=("x,y" "p;q" "(r)");keyid="k, (1); 2", b=:AAEC:;n=1'
    parsed = parse_dictionary(value)
    a, b = parsed["a"], parsed["b"]
    assert isinstance(a, InnerList) and isinstance(b, Item)
    assert [i.value for i in a.items] == ["x,y", "p;q", "(r)"]
    assert a.params == {"keyid": "k, (1); 2"}
    assert b.value == b"\x00\x01\x02" and b.params == {"n": 1}


def test_bare_item_types() -> None:
    items = parse_list('1, -2, 3.25, "s\\"\\\\", tok/en:x, :AQ==:, ?1, ?0, *t;a;b=?0')
    values = [i.value for i in items if isinstance(i, Item)]
    assert values[:3] == [1, -2, pytest.approx(3.25)]
    assert values[3] == 's"\\'
    assert isinstance(values[4], Token) and values[4] == "tok/en:x"
    assert values[5:8] == [b"\x01", True, False]
    assert items[8] == Item(Token("*t"), {"a": True, "b": False})


def test_serialization_round_trips() -> None:
    text = '("@query-param";name="Pet" "x");created=1;keyid="a\\"b";alg=tok;d=1.5;f=?0;z'
    ((_, member),) = parse_dictionary(f"sig={text}").items()
    assert isinstance(member, InnerList)
    assert serialize_inner_list(member) == text
    assert serialize_item(Item(b"\x00", {"n": -5})) == ":AA==:;n=-5"


@pytest.mark.parametrize(
    "value",
    [
        "A=1",  # keys are lowercase
        "a=(1 2",
        "a=(1,2)",
        'a="unterminated',
        'a="bad \\x escape"',
        "a=:not base64!:",
        "a=?2",
        "a=1234567890123456",
        "a=1.2345",
        "a=1,",
        "a=1 b=2",
        "a=\x00",
        'a="\u00e9"',
        "a=@1",
    ],
)
def test_malformed_structured_fields_are_rejected(value: str) -> None:
    with pytest.raises(StructuredFieldError):
        parse_dictionary(value)


def test_parse_item_rejects_trailing_garbage() -> None:
    assert parse_item(' "x" ').value == "x"
    with pytest.raises(StructuredFieldError):
        parse_item('"x" y')


def test_serialization_refuses_what_cannot_be_represented() -> None:
    with pytest.raises(StructuredFieldError):
        serialize_item(Item("caf\u00e9"))
    with pytest.raises(StructuredFieldError):
        serialize_item(Item(1, {"Bad": True}))
    with pytest.raises(StructuredFieldError):
        serialize_item(Item(10**16))


# ----------------------------------------------------------------------------- components


def test_derived_components() -> None:
    url = "https://Example.COM:443/a%20b/c?x=1&y=%7E+z&y2=&q=a%2Bb"
    names = [
        "@method",
        "@target-uri",
        "@authority",
        "@scheme",
        "@request-target",
        "@path",
        "@query",
    ]
    covered = [component(n) for n in names]
    covered.append(component("@query-param", name="q"))
    base = signature_base("POST", url, [], covered, "()")
    assert base.split("\n") == [
        '"@method": POST',
        f'"@target-uri": {url}',
        '"@authority": example.com',
        '"@scheme": https',
        '"@request-target": /a%20b/c?x=1&y=%7E+z&y2=&q=a%2Bb',
        '"@path": /a%20b/c',
        '"@query": ?x=1&y=%7E+z&y2=&q=a%2Bb',
        '"@query-param";name="q": a%2Bb',
        '"@signature-params": ()',
    ]


def test_query_param_is_decoded_and_reencoded() -> None:
    url = "https://e.example/p?y=%7E+z&e="
    base = signature_base(
        "GET",
        url,
        [],
        [component("@query-param", name="y"), component("@query-param", name="e")],
        "()",
    )
    assert base.split("\n")[:2] == ['"@query-param";name="y": %7E%20z', '"@query-param";name="e": ']


def test_empty_query_and_non_default_port() -> None:
    base = signature_base(
        "GET", "http://e.example:8080/p", [], [component("@query"), component("@authority")], "()"
    )
    assert base.split("\n")[:2] == ['"@query": ?', '"@authority": e.example:8080']


@pytest.mark.parametrize(
    ("covered", "reason"),
    [
        ([component("@status")], "unsupported derived component"),
        ([component("content-type", sf=True)], "unsupported component parameters"),
        ([component("content-type", req=True)], "unsupported component parameters"),
        ([component("Content-Type")], "lowercase"),
        ([component("x-missing")], "missing"),
        ([component("@method"), component("@method")], "may not be listed"),
        ([component("@signature-params")], "unsupported derived component"),
        ([Item(Token("tok"))], "must be a string"),
        ([Item(5)], "must be a string"),
        ([component("@query-param", name="none")], "missing or repeated"),
        ([component("@query-param", name="d")], "missing or repeated"),
        ([component("@query-param", name=Token("d"))], "needs a name"),
        ([component("x-nl")], "line break"),
    ],
)
def test_component_failures(covered: list[Item], reason: str) -> None:
    with pytest.raises(SignatureError, match=reason):
        signature_base("GET", "https://e.example/?d=1&d=2", [("X-NL", "a\r\nb")], covered, "()")


# ----------------------------------------------------------------------------- signing and policy

NOW = datetime(2025, 3, 4, 5, 6, 7, tzinfo=UTC)
URL = "https://me.example/users/alice/inbox"
BODY = b'{"type": "Create"}'
OWNER = "https://remote.example/users/bob"


class FakeLookup:
    """Returns ``cached`` for refresh=False and ``fresh`` for refresh=True, recording calls."""

    def __init__(self, cached: PublicKey | None, fresh: PublicKey | None = None) -> None:
        self.cached, self.fresh = cached, fresh if fresh is not None else cached
        self.calls: list[tuple[str, bool]] = []

    async def __call__(self, key_id: str, refresh: bool) -> PublicKey | None:
        self.calls.append((key_id, refresh))
        return self.fresh if refresh else self.cached


def _keypair(name: str) -> tuple[AnyPrivateKey, PublicKey]:
    private = private_key_from_pem(RFC9421_PRIVATE_KEYS[name])
    public = PublicKey(
        id=f"{OWNER}#{name}", owner=OWNER, key=public_key_from_pem(RFC9421_PUBLIC_KEYS[name])
    )
    return private, public


def _signed(
    covered: list[Item],
    name: str = "test-key-ed25519",
    *,
    method: str = "POST",
    url: str = URL,
    body: bytes = BODY,
    label: str = "sig1",
    sign_alg: str | None = None,
    extra: list[tuple[str, str]] | None = None,
    more: dict[str, str | int] | None = None,
    **params: str | int,
) -> list[tuple[str, str]]:
    """Headers of a request signed with the published key ``name`` and the given params."""
    private, public = _keypair(name)
    params.update(more or {})
    params.setdefault("created", int(NOW.timestamp()))
    params.setdefault("keyid", public.id)
    headers = [("Host", "me.example"), ("Content-Type", "application/activity+json")]
    headers.append(("Content-Digest", make_content_digest(body)))
    headers += extra or []
    sig_params = build_signature_params(covered, **params)
    base = signature_base(method, url, headers, covered, sig_params)
    alg = sign_alg or str(params.get("alg", _DEFAULT_ALG[name]))
    signature = base64.b64encode(sign_base(alg, private, base)).decode()
    return [
        *headers,
        ("Signature-Input", f"{label}={sig_params}"),
        ("Signature", f"{label}=:{signature}:"),
    ]


_DEFAULT_ALG = {
    "test-key-rsa": "rsa-v1_5-sha256",
    "test-key-rsa-pss": "rsa-pss-sha512",
    "test-key-ecc-p256": "ecdsa-p256-sha256",
    "test-key-ed25519": "ed25519",
}
FULL = [component("@method"), component("@target-uri"), component("content-digest")]


async def _verify(
    headers: list[tuple[str, str]],
    name: str = "test-key-ed25519",
    *,
    method: str = "POST",
    url: str = URL,
    body: bytes = BODY,
    now: datetime = NOW,
) -> Verified:
    return await verify_request(
        method, url, headers, body, lookup=FakeLookup(_keypair(name)[1]), now=now
    )


@pytest.mark.parametrize(
    ("name", "expected_alg"),
    [
        ("test-key-rsa", "rsa-v1_5-sha256"),
        ("test-key-ed25519", "ed25519"),
        ("test-key-ecc-p256", "ecdsa-p256-sha256"),
    ],
)
async def test_sign_rfc9421_roundtrip(name: str, expected_alg: str) -> None:
    private, public = _keypair(name)
    headers = {"Content-Type": "application/activity+json"}
    added = sign_rfc9421("POST", URL, headers, BODY, key_id=public.id, private_key=private, now=NOW)
    assert list(added) == ["Content-Digest", "Signature-Input", "Signature"]
    assert added["Content-Digest"] == make_content_digest(BODY)
    assert added["Signature-Input"] == (
        f'sig1=("@method" "@target-uri" "content-digest" "content-type");'
        f'created={int(NOW.timestamp())};keyid="{public.id}";alg="{expected_alg}"'
    )
    lookup = FakeLookup(public)
    verified = await verify_request("POST", URL, {**headers, **added}, BODY, lookup=lookup, now=NOW)
    assert verified == Verified(
        key_id=public.id, owner=OWNER, scheme="rfc9421", created=NOW.replace(microsecond=0)
    )
    assert lookup.calls == [(public.id, False)]


async def test_sign_rfc9421_get_cannot_be_replayed() -> None:
    private, public = _keypair("test-key-ed25519")
    added = sign_rfc9421(
        "GET", URL, {}, b"", key_id=public.id, private_key=private, now=NOW, label="s"
    )
    assert list(added) == ["Signature-Input", "Signature"]
    assert added["Signature-Input"].startswith('s=("@method" "@target-uri");')
    await _verify(list(added.items()), method="GET", body=b"")
    with pytest.raises(SignatureError):  # as a POST
        await _verify(list(added.items()), method="POST", body=b"")
    with pytest.raises(SignatureError, match="does not verify"):  # to another query
        await _verify(list(added.items()), method="GET", url=URL + "?page=2", body=b"")
    with pytest.raises(SignatureError, match="does not verify"):  # to another path
        await _verify(list(added.items()), method="GET", url=URL + "x", body=b"")


def test_sign_rfc9421_rejects_a_bad_label() -> None:
    private, _ = _keypair("test-key-ed25519")
    with pytest.raises(ValueError, match="label"):
        sign_rfc9421("GET", URL, {}, b"", key_id="k", private_key=private, label="Sig")


async def test_rsa_pss_sha512_must_be_named_by_alg() -> None:
    named = _signed(FULL, "test-key-rsa-pss", alg="rsa-pss-sha512")
    assert (await _verify(named, "test-key-rsa-pss")).scheme == "rfc9421"
    # Without alg, an RSA key means rsa-v1_5-sha256 (as Mastodon and Fedify use).
    unnamed = _signed(FULL, "test-key-rsa-pss", sign_alg="rsa-pss-sha512")
    with pytest.raises(SignatureError, match="does not verify"):
        await _verify(unnamed, "test-key-rsa-pss")


async def test_authority_path_and_query_may_replace_target_uri() -> None:
    url = URL + "?a=1"
    parts = [
        component("@method"),
        component("@authority"),
        component("@path"),
        component("content-digest"),
    ]
    with pytest.raises(SignatureError, match="must be signed"):
        await _verify(_signed(parts, url=url), url=url)
    parts.append(component("@query"))
    assert (await _verify(_signed(parts, url=url), url=url)).owner == OWNER
    assert (await _verify(_signed(parts[:-1]))).owner == OWNER  # no query in the URL


@pytest.mark.parametrize(
    ("covered", "reason"),
    [
        ([component("@target-uri"), component("content-digest")], "@method and @target-uri"),
        ([component("@method"), component("content-digest")], "@method and @target-uri"),
        ([component("@method"), component("@target-uri")], "Content-Digest must be signed"),
    ],
)
async def test_required_components(covered: list[Item], reason: str) -> None:
    with pytest.raises(SignatureError, match=reason):
        await _verify(_signed(covered))


async def test_content_digest_must_match_the_body() -> None:
    with pytest.raises(SignatureError, match="Content-Digest does not match"):
        await _verify(_signed(FULL), body=BODY + b" ")


async def test_content_digest_is_checked_on_get_too_when_covered() -> None:
    headers = _signed(FULL, method="GET", body=b"x")
    with pytest.raises(SignatureError, match="Content-Digest does not match"):
        await _verify(headers, method="GET", body=b"")


@pytest.mark.parametrize(
    ("offset", "ok"),
    [
        (timedelta(hours=-1), True),
        (timedelta(hours=1), True),
        (timedelta(hours=-1, seconds=-1), False),
        (timedelta(hours=1, seconds=1), False),
        (timedelta(days=-2), False),
        (timedelta(hours=2), False),
    ],
)
async def test_created_must_be_within_the_skew(offset: timedelta, ok: bool) -> None:
    headers = _signed(FULL, created=int((NOW + offset).timestamp()))
    if ok:
        await _verify(headers)
    else:
        with pytest.raises(SignatureError, match="created"):
            await _verify(headers)


@pytest.mark.parametrize(
    ("params", "reason"),
    [
        ({"created": "1"}, "wrong type"),
        ({"keyid": 5}, "wrong type"),
        ({"keyid": ""}, "no keyid"),
        ({"alg": "hmac-sha256"}, "unsupported alg"),
        ({"expires": int(NOW.timestamp()) - 1}, "expired"),
        ({"created": 10**14}, "out of range"),
    ],
)
async def test_signature_parameters(params: dict[str, str | int], reason: str) -> None:
    with pytest.raises(SignatureError, match=reason):
        await _verify(_signed(FULL, sign_alg="ed25519", more=params))


async def test_missing_created_is_rejected() -> None:
    private, public = _keypair("test-key-ed25519")
    headers = [("Content-Digest", make_content_digest(BODY))]
    params = build_signature_params(FULL, keyid=public.id)
    base = signature_base("POST", URL, headers, FULL, params)
    signature = base64.b64encode(sign_base("ed25519", private, base)).decode()
    headers += [("Signature-Input", f"a={params}"), ("Signature", f"a=:{signature}:")]
    with pytest.raises(SignatureError, match="no created"):
        await _verify(headers)


async def test_future_expires_is_fine() -> None:
    await _verify(_signed(FULL, expires=int(NOW.timestamp()) + 60))


async def test_alg_must_match_the_key_type() -> None:
    """alg="ed25519" while the key is RSA: algorithm confusion, refused."""
    headers = _signed(FULL, "test-key-rsa", alg="ed25519", sign_alg="rsa-v1_5-sha256")
    with pytest.raises(SignatureError, match="alg does not match the key"):
        await _verify(headers, "test-key-rsa")


async def test_ecdsa_key_on_another_curve_is_refused() -> None:
    headers = _signed(FULL, "test-key-ecc-p256", alg="ecdsa-p256-sha256")
    other = ec.generate_private_key(ec.SECP384R1()).public_key()
    lookup = FakeLookup(PublicKey(id="k", owner=OWNER, key=other))
    with pytest.raises(SignatureError, match="alg does not match"):
        await verify_request("POST", URL, headers, BODY, lookup=lookup, now=NOW)
    assert lookup.calls == [
        (f"{OWNER}#test-key-ecc-p256", False),
        (f"{OWNER}#test-key-ecc-p256", True),
    ]


async def test_first_signature_meeting_the_requirements_is_used() -> None:
    weak = _signed([component("@method")], "test-key-rsa", label="weak")
    strong = _signed(FULL, "test-key-ed25519", label="strong")
    also = _signed(FULL, "test-key-ecc-p256", label="also")
    headers = [h for h in strong if not h[0].startswith("Signature")]

    def combined(*parts: list[tuple[str, str]]) -> list[tuple[str, str]]:
        out = list(headers)
        for name in ("Signature-Input", "Signature"):
            out.append((name, ", ".join(v for p in parts for k, v in p if k == name)))
        return out

    verified = await _verify(combined(weak, strong, also))
    assert verified.key_id.endswith("#test-key-ed25519")
    verified = await _verify(combined(weak, also, strong), "test-key-ecc-p256")
    assert verified.key_id.endswith("#test-key-ecc-p256")
    # Repeated header lines are combined, as for any list-valued field.
    split = [*headers, *[h for p in (weak, strong) for h in p if h[0].startswith("Signature")]]
    assert (await _verify(split)).key_id.endswith("#test-key-ed25519")
    with pytest.raises(SignatureError, match="@method and @target-uri"):
        await _verify(combined(weak))


async def test_a_label_without_signature_is_skipped() -> None:
    headers = _signed(FULL)
    headers = [(k, "other=:AAAA:" if k == "Signature" else v) for k, v in headers]
    with pytest.raises(SignatureError, match="no signature for label sig1"):
        await _verify(headers)


@pytest.mark.parametrize(
    ("signature_input", "signature", "reason"),
    [
        ("sig1=(", "sig1=:AA==:", "malformed"),
        ("sig1=1", "sig1=:AA==:", "not an inner list"),
        ('sig1=("@method")', 'sig1="x"', "no signature"),
        ("", "", "lists no signature"),
    ],
)
async def test_malformed_headers(signature_input: str, signature: str, reason: str) -> None:
    headers = [("Signature-Input", signature_input), ("Signature", signature)]
    with pytest.raises(SignatureError, match=reason):
        await _verify(headers)


async def test_unsupported_component_parameters_are_refused() -> None:
    covered = [*FULL, component("content-type", sf=True)]
    _, public = _keypair("test-key-ed25519")
    params = build_signature_params(covered, created=int(NOW.timestamp()), keyid=public.id)
    headers = [
        ("Content-Digest", make_content_digest(BODY)),
        ("Content-Type", "a/b"),
        ("Signature-Input", f"s={params}"),
        ("Signature", "s=:AAAA:"),
    ]
    with pytest.raises(SignatureError, match="unsupported component parameters"):
        await _verify(headers)


async def test_header_names_are_case_insensitive() -> None:
    headers = [(k.upper(), v) for k, v in _signed([*FULL, component("content-type")])]
    await _verify(headers)

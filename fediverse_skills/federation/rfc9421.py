"""RFC 9421 HTTP Message Signatures (what Fedify and recent Mastodon versions send).

The signature base is one ``"component": value`` line per covered component, in the
order of the ``Signature-Input`` inner list, then ``"@signature-params": <that list>``;
lines are joined by ``\\n`` with no trailing newline (§2.5). The low-level pieces
(:func:`signature_base`, :func:`sign_base`, :func:`verify_base`) are public so that the
RFC's Appendix B examples can be reproduced byte for byte.

Supported: derived components of requests (``@method @target-uri @authority @scheme
@request-target @path @query @query-param``) and plain header fields; component
parameters other than ``name`` on ``@query-param`` (``sf``, ``key``, ``bs``, ``req``,
``tr``) are refused. Algorithms: rsa-v1_5-sha256, rsa-pss-sha512, ecdsa-p256-sha256,
ecdsa-p384-sha384 and ed25519. HMAC is not: we have no shared secrets.
"""

from __future__ import annotations

import base64
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from urllib.parse import parse_qsl, quote

from .digests import check_content_digest, make_content_digest
from .sigcore import (
    ALGORITHMS,
    AnyPrivateKey,
    AnyPublicKey,
    HeaderInput,
    Headers,
    KeyLookup,
    PublicKey,
    SignatureError,
    Target,
    Verified,
    as_headers,
    ascii_bytes,
    check_fresh,
    check_not_expired,
    default_algorithm,
    from_timestamp,
    has_body,
    key_fits,
    sign_bytes,
    split_url,
    utc_now,
    verify_bytes,
    verify_with_lookup,
)
from .structured_fields import (
    BareItem,
    InnerList,
    Item,
    Member,
    StructuredFieldError,
    Token,
    is_key,
    parse_dictionary,
    serialize_inner_list,
    serialize_item,
)

__all__ = [
    "build_signature_params",
    "component",
    "sign_base",
    "sign_rfc9421",
    "signature_base",
    "verify",
    "verify_base",
]

_DEFAULT_PORTS = {"http": "80", "https": "443"}


def component(name: str, /, **params: BareItem) -> Item:
    """A component identifier, e.g. ``component("@query-param", name="Pet")``."""
    return Item(name, dict(params))


def build_signature_params(covered: Sequence[Item], **params: BareItem) -> str:
    """The ``@signature-params`` value, also the ``Signature-Input`` member, e.g.
    ``("@method" "@target-uri");created=1618884473;keyid="k"``; params keep their order."""
    try:
        return serialize_inner_list(InnerList(tuple(covered), dict(params)))
    except StructuredFieldError as exc:
        raise ValueError(str(exc)) from None


def _authority(target: Target) -> str:
    """§2.2.3: the authority, lowercased, without a default port."""
    host, sep, port = target.authority.lower().rpartition(":")
    if sep and "]" not in port and port == _DEFAULT_PORTS.get(target.scheme):
        return host
    return target.authority.lower()


def _form_encode(text: str) -> str:
    """Percent-encode with the application/x-www-form-urlencoded set (§2.2.8)."""
    return quote(text, safe="*-._").replace("~", "%7E")


def _query_param(target: Target, name: BareItem) -> str:
    """§2.2.8: the one value of the named query parameter (names compared encoded)."""
    if not isinstance(name, str) or isinstance(name, Token):
        raise SignatureError("@query-param needs a name")
    pairs = parse_qsl(target.query or "", keep_blank_values=True)
    values = [_form_encode(v) for k, v in pairs if _form_encode(k) == name]
    if len(values) != 1:
        raise SignatureError(f"query parameter {name} is missing or repeated")
    return values[0]


def _component_value(method: str, url: str, target: Target, headers: Headers, c: Item) -> str:
    name, params = c.value, c.params
    if not isinstance(name, str) or isinstance(name, Token):
        raise SignatureError("a component identifier must be a string")
    if name == "@query-param" and set(params) == {"name"}:
        return _query_param(target, params["name"])
    if params:
        raise SignatureError(f"unsupported component parameters on {name}")
    derived = {
        "@method": lambda: method,
        "@target-uri": lambda: url,
        "@authority": lambda: _authority(target),
        "@scheme": lambda: target.scheme,
        "@request-target": lambda: target.request_target,
        "@path": lambda: target.path,
        "@query": lambda: "?" + (target.query or ""),
    }
    if name in derived:
        return derived[name]()
    if name.startswith("@"):
        raise SignatureError(f"unsupported derived component {name}")
    if not name or name != name.lower():
        raise SignatureError("a field component must be a lowercase name")
    return headers.signed(name)


def signature_base(
    method: str,
    url: str,
    headers: Headers | HeaderInput,
    covered: Sequence[Item],
    signature_params: str,
) -> str:
    """§2.5: the exact text that is signed, for ``covered`` components in order."""
    target, view = split_url(url), as_headers(headers)
    lines: list[str] = []
    seen: set[str] = set()
    for c in covered:
        value = _component_value(method, url, target, view, c)
        try:
            identifier = serialize_item(c)
        except StructuredFieldError:
            raise SignatureError("malformed component identifier") from None
        if identifier in seen or c.value == "@signature-params":
            raise SignatureError(f"component {identifier} may not be listed here")
        seen.add(identifier)
        if "\n" in value or "\r" in value:
            raise SignatureError(f"component {identifier} contains a line break")
        lines.append(f"{identifier}: {value}")
    lines.append(f'"@signature-params": {signature_params}')
    return "\n".join(lines)


def sign_base(algorithm: str, private_key: AnyPrivateKey, base: str) -> bytes:
    """Sign a signature base (ECDSA output is ``r || s``, §3.3.4)."""
    return sign_bytes(algorithm, private_key, base.encode("ascii"))


def verify_base(algorithm: str, public_key: AnyPublicKey, base: str, signature: bytes) -> bool:
    return algorithm in ALGORITHMS and verify_bytes(
        algorithm, public_key, base.encode("ascii"), signature
    )


@dataclass(frozen=True)
class _Candidate:
    label: str
    key_id: str
    alg: str | None
    created: datetime
    base: bytes
    signature: bytes


def _covers_target(names: list[str], target: Target) -> bool:
    """The method and the whole target URI, so a signature cannot be replayed elsewhere."""
    if "@method" not in names:
        return False
    if "@target-uri" in names:
        return True
    query_ok = target.query is None or "@query" in names
    return "@authority" in names and "@path" in names and query_ok


def _param(params: dict[str, BareItem], name: str, kind: type) -> BareItem | None:
    value = params.get(name)
    if value is not None and (not isinstance(value, kind) or isinstance(value, bool | Token)):
        raise SignatureError(f"signature parameter {name} has the wrong type")
    return value


def _candidate(
    label: str,
    member: Member,
    signature: Member | None,
    request: tuple[str, str, Headers, bytes],
    now: datetime,
    max_skew: timedelta,
) -> _Candidate:
    """Apply every rule to one labelled signature; raise SignatureError on the first miss."""
    method, url, headers, body = request
    if not isinstance(member, InnerList):
        raise SignatureError("Signature-Input member is not an inner list")
    if not isinstance(signature, Item) or not isinstance(signature.value, bytes):
        raise SignatureError(f"no signature for label {label}")
    names = [i.value for i in member.items if isinstance(i.value, str)]
    if not _covers_target(names, split_url(url)):
        raise SignatureError("@method and @target-uri (or authority, path, query) must be signed")
    key_id = _param(member.params, "keyid", str)
    created = _param(member.params, "created", int)
    expires = _param(member.params, "expires", int)
    alg = _param(member.params, "alg", str)
    if not isinstance(key_id, str) or not key_id:
        raise SignatureError("signature has no keyid")
    if created is None:
        raise SignatureError("signature has no created parameter")
    if alg is not None and alg not in ALGORITHMS:
        raise SignatureError("unsupported alg")
    created_at = from_timestamp(created, "created")
    check_fresh(created_at, now, max_skew, "created")
    if expires is not None:
        check_not_expired(from_timestamp(expires, "expires"), now)
    if has_body(method, body) and "content-digest" not in names:
        raise SignatureError("Content-Digest must be signed on a request with a body")
    if "content-digest" in names and not check_content_digest(
        headers.signed("content-digest"), body
    ):
        raise SignatureError("Content-Digest does not match the body")
    try:
        params_text = serialize_inner_list(member)
    except StructuredFieldError:
        raise SignatureError("malformed Signature-Input") from None
    base = signature_base(method, url, headers, member.items, params_text)
    return _Candidate(
        label=label,
        key_id=key_id,
        alg=str(alg) if alg is not None else None,
        created=created_at,
        base=ascii_bytes(base, "signature base"),
        signature=signature.value,
    )


def _choose(
    request: tuple[str, str, Headers, bytes], now: datetime, max_skew: timedelta
) -> _Candidate:
    """The first labelled signature that meets every requirement."""
    headers = request[2]
    try:
        inputs = parse_dictionary(headers.get("signature-input") or "")
        signatures = parse_dictionary(headers.get("signature") or "")
    except StructuredFieldError:
        raise SignatureError("malformed Signature-Input or Signature header") from None
    reasons: list[str] = []
    for label, member in inputs.items():
        try:
            return _candidate(label, member, signatures.get(label), request, now, max_skew)
        except SignatureError as exc:
            reasons.append(exc.reason)
    raise SignatureError(reasons[0] if reasons else "Signature-Input lists no signature")


async def verify(
    method: str,
    url: str,
    headers: Headers,
    body: bytes,
    *,
    lookup: KeyLookup,
    now: datetime,
    max_skew: timedelta,
) -> Verified:
    """Verify the first acceptable RFC 9421 signature; policy runs before any key lookup."""
    chosen = _choose((method, url, headers, body), now, max_skew)

    def attempt(key: PublicKey) -> str | None:
        try:
            alg = chosen.alg or default_algorithm(key.key)
        except SignatureError as exc:
            return exc.reason
        if not key_fits(alg, key.key):
            return "alg does not match the key"
        ok = verify_bytes(alg, key.key, chosen.base, chosen.signature)
        return None if ok else "signature does not verify"

    key = await verify_with_lookup(chosen.key_id, lookup, attempt)
    return Verified(key_id=chosen.key_id, owner=key.owner, scheme="rfc9421", created=chosen.created)


def sign_rfc9421(
    method: str,
    url: str,
    headers: HeaderInput,
    body: bytes,
    *,
    key_id: str,
    private_key: AnyPrivateKey,
    now: datetime | None = None,
    label: str = "sig1",
) -> dict[str, str]:
    """Sign as Fedify does; returns the headers to add or set on the request.

    Covers ``@method @target-uri``, plus ``content-digest`` (added here) and
    ``content-type`` (if present) when there is a body. ``alg`` follows the key:
    rsa-v1_5-sha256, ed25519 or ecdsa-p256-sha256.
    """
    if not is_key(label):
        raise ValueError(f"invalid signature label {label!r}")
    view = Headers(headers)
    added: dict[str, str] = {}
    covered = [component("@method"), component("@target-uri")]
    if has_body(method, body):
        added["Content-Digest"] = make_content_digest(body)
        covered.append(component("content-digest"))
        if "content-type" in view:
            covered.append(component("content-type"))
    try:
        alg = default_algorithm(private_key)
    except SignatureError as exc:
        raise ValueError(exc.reason) from None
    created = int(utc_now(now).timestamp())
    params = build_signature_params(covered, created=created, keyid=key_id, alg=alg)
    base = signature_base(method, url, view.with_fields(added), covered, params)
    signature = base64.b64encode(sign_base(alg, private_key, base)).decode("ascii")
    added["Signature-Input"] = f"{label}={params}"
    added["Signature"] = f"{label}=:{signature}:"
    return added

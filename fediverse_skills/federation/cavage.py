"""draft-cavage-http-signatures-12: the ``Signature`` header most of the fediverse sends.

The signing string has one ``name: value`` line per entry of the ``headers`` parameter,
in that order, joined by ``\\n``. ``(request-target)`` is ``lowercase-method path?query``;
``(created)`` and ``(expires)`` are the parameters of the same names.

Verification follows Mastodon's policy (and is a little stricter, see :func:`verify`).
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from cryptography.hazmat.primitives.asymmetric import ed25519, rsa

from .digests import check_digest, make_digest
from .sigcore import (
    AnyPrivateKey,
    AnyPublicKey,
    HeaderInput,
    Headers,
    KeyLookup,
    PublicKey,
    SignatureError,
    Verified,
    as_headers,
    ascii_bytes,
    check_fresh,
    check_not_expired,
    format_http_date,
    from_timestamp,
    has_body,
    parse_http_date,
    sign_bytes,
    split_url,
    utc_now,
    verify_bytes,
    verify_with_lookup,
)

__all__ = [
    "CavageSignature",
    "format_signature",
    "parse_signature",
    "sign_cavage",
    "sign_string",
    "signature_field",
    "signing_string",
    "verify",
    "verify_string",
]

# Mastodon accepts these two; with either, the key decides the real algorithm.
ACCEPTED_ALGORITHMS = ("rsa-sha256", "hs2019")
_TIMESTAMP = re.compile(r"[0-9]{1,12}")


@dataclass(frozen=True)
class CavageSignature:
    """The parsed parameters of a ``Signature`` header."""

    key_id: str
    signature: bytes
    algorithm: str | None = None  # as sent, lowercased
    headers: tuple[str, ...] | None = None  # lowercased; None when the parameter is absent
    created: int | None = None
    expires: int | None = None

    @property
    def covered(self) -> tuple[str, ...]:
        """``headers``, or Mastodon's default: ``date`` for rsa-sha256, else ``(created)``."""
        if self.headers is not None:
            return self.headers
        return ("date",) if self.algorithm == "rsa-sha256" else ("(created)",)


# One ``name=value`` pair, with the separator after it. A token value may not start with a
# quote, so an unterminated quoted string does not match at all.
_PAIR = re.compile(
    r'[ \t]*([A-Za-z0-9_-]+)=(?:"((?:[^"\\]|\\.)*+)"|((?!")[^, \t]*))[ \t]*(,|$)', re.DOTALL
)
_NAME_EQ = re.compile(r'[ \t]*([A-Za-z0-9_-]*)(=?)("?)')
_QUOTED = re.compile(r'"(?:[^"\\]|\\.)*+"', re.DOTALL)
_ESCAPE = re.compile(r"\\(.)", re.DOTALL)


def _parse_params(value: str) -> dict[str, str]:
    """``name="quoted"`` or ``name=token`` pairs separated by commas (with optional spaces)."""
    params: dict[str, str] = {}
    pos = 0
    while True:
        match = _PAIR.match(value, pos)
        if match is None:
            raise SignatureError(_why_malformed(value, pos))
        name, quoted, token, separator = match.groups()
        if name in params:
            raise SignatureError(f"duplicate parameter {name} in Signature header")
        params[name] = _ESCAPE.sub(r"\1", quoted) if quoted is not None else token
        if not separator:
            return params
        pos = match.end()


def _why_malformed(value: str, pos: int) -> str:
    head = _NAME_EQ.match(value, pos)
    assert head is not None  # every part of the pattern may match empty
    quoted_value = head.group(1) and head.group(2) and head.group(3)
    if quoted_value and not _QUOTED.match(value, head.end() - 1):
        return "unterminated string in Signature header"
    return "malformed Signature header"


def _timestamp(params: dict[str, str], name: str) -> int | None:
    raw = params.get(name)
    if raw is None:
        return None
    if not _TIMESTAMP.fullmatch(raw):
        raise SignatureError(f"{name} must be an integer timestamp")
    return int(raw)


def parse_signature(value: str) -> CavageSignature:
    """Parse a ``Signature`` header value (or what follows ``Authorization: Signature``)."""
    params = _parse_params(value)
    key_id, encoded = params.get("keyId"), params.get("signature")
    if not key_id:
        raise SignatureError("Signature header has no keyId")
    if not encoded:
        raise SignatureError("Signature header has no signature")
    try:
        signature = base64.b64decode(encoded, validate=True)
    except (binascii.Error, ValueError):
        raise SignatureError("signature is not base64") from None
    headers = None
    if "headers" in params:
        headers = tuple(params["headers"].lower().split())
        if not headers or len(set(headers)) != len(headers):
            raise SignatureError("headers parameter is empty or repeats a name")
    algorithm = params.get("algorithm")
    return CavageSignature(
        key_id=key_id,
        signature=signature,
        algorithm=algorithm.lower() if algorithm is not None else None,
        headers=headers,
        created=_timestamp(params, "created"),
        expires=_timestamp(params, "expires"),
    )


def signature_field(headers: Headers) -> str | None:
    """The ``Signature`` header, else the parameters of ``Authorization: Signature ...``."""
    value = headers.get("signature")
    if value is not None:
        return value
    scheme, _, rest = (headers.get("authorization") or "").partition(" ")
    return rest.strip(" \t") if scheme.lower() == "signature" else None


def signing_string(
    method: str,
    url: str,
    headers: Headers | HeaderInput,
    covered: Sequence[str],
    *,
    created: int | None = None,
    expires: int | None = None,
) -> str:
    """Rebuild the string to sign, in the order of ``covered`` (the ``headers`` parameter)."""
    view = as_headers(headers)
    lines: list[str] = []
    for name in covered:
        name = name.lower()
        if name == "(request-target)":
            value = f"{method.lower()} {split_url(url).request_target}"
        elif name in ("(created)", "(expires)"):
            stamp = created if name == "(created)" else expires
            if stamp is None:
                raise SignatureError(f"{name} is signed but its parameter is missing")
            value = str(stamp)
        elif name.startswith("("):
            raise SignatureError(f"unknown pseudo-header {name}")
        else:
            value = view.signed(name)
        lines.append(f"{name}: {value}")
    return "\n".join(lines)


def _quote(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def format_signature(
    *,
    key_id: str,
    algorithm: str,
    headers: Sequence[str] | None,
    signature: bytes,
    created: int | None = None,
    expires: int | None = None,
) -> str:
    """The ``Signature`` header value, parameters in the draft's (and Mastodon's) order."""
    parts = [f"keyId={_quote(key_id)}", f"algorithm={_quote(algorithm)}"]
    if created is not None:
        parts.append(f"created={created}")
    if expires is not None:
        parts.append(f"expires={expires}")
    if headers is not None:
        parts.append(f"headers={_quote(' '.join(headers))}")
    parts.append(f"signature={_quote(base64.b64encode(signature).decode('ascii'))}")
    return ",".join(parts)


def sign_string(private_key: AnyPrivateKey, text: str) -> bytes:
    """RSASSA-PKCS1-v1_5 with SHA-256 for RSA keys, plain Ed25519 for Ed25519 keys."""
    if isinstance(private_key, rsa.RSAPrivateKey):
        return sign_bytes("rsa-v1_5-sha256", private_key, text.encode("ascii"))
    if isinstance(private_key, ed25519.Ed25519PrivateKey):
        return sign_bytes("ed25519", private_key, text.encode("ascii"))
    raise ValueError("draft-cavage signing needs an RSA or Ed25519 key")


def verify_string(
    key: AnyPublicKey, algorithm: str | None, text: bytes, signature: bytes
) -> str | None:
    """None if valid, else why not. The key decides the algorithm, within what is claimed.

    ``rsa-sha256`` names RSA, so an Ed25519 key with it is algorithm confusion and fails;
    ``hs2019`` (or no algorithm) means "whatever the key is".
    """
    claimed = algorithm or "hs2019"
    if claimed not in ACCEPTED_ALGORITHMS:
        return "unsupported algorithm"
    if isinstance(key, rsa.RSAPublicKey):
        actual = "rsa-v1_5-sha256"
    elif isinstance(key, ed25519.Ed25519PublicKey) and claimed == "hs2019":
        actual = "ed25519"
    elif isinstance(key, ed25519.Ed25519PublicKey):
        return "algorithm does not match the key"
    else:
        return "unsupported key type"
    return None if verify_bytes(actual, key, text, signature) else "signature does not verify"


def _check_coverage(method: str, body: bytes, sig: CavageSignature) -> None:
    """Mastodon's minimum: what must be signed so a signature cannot be replayed elsewhere."""
    covered = sig.covered
    if "date" not in covered and "(created)" not in covered:
        raise SignatureError("Date or (created) must be signed")
    if "(request-target)" not in covered and "digest" not in covered:
        raise SignatureError("(request-target) or Digest must be signed")
    if has_body(method, body):
        if "digest" not in covered:
            raise SignatureError("Digest must be signed on a request with a body")
    elif "host" not in covered:
        raise SignatureError("Host must be signed on a request without a body")
    # draft-12 §2.3: (created)/(expires) are an error with algorithms that name a hash.
    for name, stamp in (("(created)", sig.created), ("(expires)", sig.expires)):
        if name in covered and (sig.algorithm or "hs2019") != "hs2019":
            raise SignatureError(f"{name} needs algorithm hs2019")
        if name in covered and stamp is None:
            raise SignatureError(f"{name} is signed but its parameter is missing")


def _check_time(
    sig: CavageSignature, headers: Headers, now: datetime, max_skew: timedelta
) -> datetime:
    """Freshness: ``created`` and a signed Date within ``max_skew``; ``expires`` not past."""
    created = None
    if sig.created is not None:
        created = from_timestamp(sig.created, "created")
        check_fresh(created, now, max_skew, "created")
    if sig.expires is not None:
        check_not_expired(from_timestamp(sig.expires, "expires"), now)
    if "date" in sig.covered:
        date = parse_http_date(headers.signed("date"))
        check_fresh(date, now, max_skew, "Date")
        created = created or date
    if created is None:  # unreachable after _check_coverage, kept as a guard
        raise SignatureError("no signed time")
    return created


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
    """Verify a draft-cavage signature; all policy checks run before any key lookup."""
    raw = signature_field(headers)
    if raw is None:
        raise SignatureError("request is not signed")
    sig = parse_signature(raw)
    if (sig.algorithm or "hs2019") not in ACCEPTED_ALGORITHMS:
        raise SignatureError("unsupported algorithm")
    _check_coverage(method, body, sig)
    if "digest" in sig.covered and not check_digest(headers.signed("digest"), body):
        raise SignatureError("Digest does not match the body")
    created = _check_time(sig, headers, now, max_skew)
    text = signing_string(
        method, url, headers, sig.covered, created=sig.created, expires=sig.expires
    )
    data = ascii_bytes(text, "signing string")

    def attempt(key: PublicKey) -> str | None:
        return verify_string(key.key, sig.algorithm, data, sig.signature)

    key = await verify_with_lookup(sig.key_id, lookup, attempt)
    return Verified(key_id=sig.key_id, owner=key.owner, scheme="cavage", created=created)


def sign_cavage(
    method: str,
    url: str,
    headers: HeaderInput,
    body: bytes,
    *,
    key_id: str,
    private_key: AnyPrivateKey,
    now: datetime | None = None,
) -> dict[str, str]:
    """Sign as Mastodon does; returns the headers to add or set on the request.

    Adds ``Date`` and ``Host`` if absent, ``Digest`` when there is a body, and
    ``Signature`` over ``(request-target) host date`` (+ ``digest``, and ``content-type``
    if present). RSA keys sign ``rsa-sha256``; Ed25519 keys sign as ``hs2019``.
    """
    view = Headers(headers)
    added: dict[str, str] = {}
    if "date" not in view:
        added["Date"] = format_http_date(utc_now(now))
    if "host" not in view:
        added["Host"] = split_url(url).authority
    covered = ["(request-target)", "host", "date"]
    if has_body(method, body):
        added["Digest"] = make_digest(body)
        covered.append("digest")
        if "content-type" in view:
            covered.append("content-type")
    text = signing_string(method, url, view.with_fields(added), covered)
    signature = sign_string(private_key, text)
    algorithm = "rsa-sha256" if isinstance(private_key, rsa.RSAPrivateKey) else "hs2019"
    added["Signature"] = format_signature(
        key_id=key_id, algorithm=algorithm, headers=covered, signature=signature
    )
    return added

"""What both signature schemes share: keys, errors, results, headers, URLs, time and crypto.

Nothing here performs I/O. Keys come in through a :data:`KeyLookup` callable that the
caller implements (with its cache and per-host cool-down); the clock comes in as ``now``.
"""

from __future__ import annotations

import email.utils
import functools
import re
from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Literal, TypeAlias
from urllib.parse import urlsplit

from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, padding, rsa
from cryptography.hazmat.primitives.asymmetric.utils import (
    decode_dss_signature,
    encode_dss_signature,
)

AnyPublicKey: TypeAlias = rsa.RSAPublicKey | ed25519.Ed25519PublicKey | ec.EllipticCurvePublicKey
AnyPrivateKey: TypeAlias = (
    rsa.RSAPrivateKey | ed25519.Ed25519PrivateKey | ec.EllipticCurvePrivateKey
)
HeaderInput: TypeAlias = Mapping[str, str] | Iterable[tuple[str, str]]

DEFAULT_MAX_SKEW = timedelta(hours=1)


class SignatureError(Exception):
    """The request's signature is missing, malformed or wrong.

    ``reason`` is short and safe to send back as a 401 body; it never holds a traceback.
    """

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class PublicKey:
    """A key as published by an actor: ``publicKey.id``, ``publicKey.owner`` and the key."""

    id: str
    owner: str
    key: AnyPublicKey


KeyLookup: TypeAlias = Callable[[str, bool], Awaitable[PublicKey | None]]
"""``await lookup(key_id, refresh)``: the key for ``key_id``, or None if there is none.

With ``refresh=False`` a cached key is fine; ``refresh=True`` asks for a fresh fetch (the
key may have been rotated). Exceptions it raises propagate unchanged.
"""


@dataclass(frozen=True)
class Verified:
    """A request whose signature checked out.

    The caller must still compare ``owner`` with the activity's ``actor``: a valid
    signature only proves who signed, not that the signer may speak for that actor.
    """

    key_id: str
    owner: str
    scheme: Literal["cavage", "rfc9421"]
    created: datetime


def public_key_from_pem(pem: str | bytes) -> AnyPublicKey:
    """Load an SPKI (``PUBLIC KEY``) or PKCS#1 (``RSA PUBLIC KEY``) PEM; ValueError if unusable."""
    data = pem.encode("ascii") if isinstance(pem, str) else pem
    try:
        key = serialization.load_pem_public_key(data)
    except (ValueError, TypeError, UnsupportedAlgorithm) as exc:
        raise ValueError("not a usable PEM public key") from exc
    if not isinstance(key, rsa.RSAPublicKey | ed25519.Ed25519PublicKey | ec.EllipticCurvePublicKey):
        raise ValueError(f"unsupported key type {type(key).__name__}")
    return key


def private_key_from_pem(pem: str | bytes) -> AnyPrivateKey:
    """Load an unencrypted PKCS#8, PKCS#1 or SEC1 PEM private key; ValueError if unusable."""
    data = pem.encode("ascii") if isinstance(pem, str) else pem
    try:
        key = serialization.load_pem_private_key(data, password=None)
    except (ValueError, TypeError, UnsupportedAlgorithm) as exc:
        raise ValueError("not a usable PEM private key") from exc
    if not isinstance(
        key, rsa.RSAPrivateKey | ed25519.Ed25519PrivateKey | ec.EllipticCurvePrivateKey
    ):
        raise ValueError(f"unsupported key type {type(key).__name__}")
    return key


# ---------------------------------------------------------------------------- headers


class Headers:
    """Case-insensitive, multi-valued view of request headers, values as received.

    Repeated fields are combined the way both schemes require: each value stripped of
    surrounding whitespace, joined with ``", "`` in the order received.
    """

    def __init__(self, raw: HeaderInput) -> None:
        self._values: dict[str, list[str]] = {}
        pairs = raw.items() if isinstance(raw, Mapping) else raw
        for name, value in pairs:
            self._values.setdefault(name.lower(), []).append(value)

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and name.lower() in self._values

    def get(self, name: str) -> str | None:
        values = self._values.get(name.lower())
        if values is None:
            return None
        if len(values) == 1:
            return values[0].strip(" \t")
        return ", ".join(v.strip(" \t") for v in values)

    def with_fields(self, fields: Mapping[str, str]) -> Headers:
        """A copy in which each of ``fields`` replaces any existing value."""
        copy = Headers(())
        copy._values = {name: list(values) for name, values in self._values.items()}
        for name, value in fields.items():
            copy._values[name.lower()] = [value]
        return copy

    def signed(self, name: str) -> str:
        """The value of a covered header; a missing one or a line break fails."""
        value = self.get(name)
        if value is None:
            raise SignatureError(f"signed header {name.lower()} is missing")
        if "\n" in value or "\r" in value:
            raise SignatureError(f"header {name.lower()} contains a line break")
        return value


def as_headers(headers: Headers | HeaderInput) -> Headers:
    return headers if isinstance(headers, Headers) else Headers(headers)


def ascii_bytes(text: str, what: str) -> bytes:
    """What gets signed must be ASCII (RFC 9421 §2.5); non-ASCII input fails cleanly."""
    try:
        return text.encode("ascii")
    except UnicodeEncodeError:
        raise SignatureError(f"{what} is not ASCII") from None


def has_body(method: str, body: bytes) -> bool:
    """A request carries content if it has bytes, or is a method defined to carry them."""
    return bool(body) or method.upper() in ("POST", "PUT", "PATCH")


# ---------------------------------------------------------------------------- URLs


@dataclass(frozen=True)
class Target:
    scheme: str
    authority: str  # host[:port] as given, without userinfo
    path: str
    query: str | None  # without "?"; None when the URL has no query

    @property
    def request_target(self) -> str:
        """``path?query`` as in the request line."""
        return self.path if self.query is None else f"{self.path}?{self.query}"


@functools.lru_cache(maxsize=1024)
def split_url(url: str) -> Target:
    """Split the absolute URL the server saw; the path and query stay percent-encoded.

    Cached: an inbox sees the same few URLs over and over (Target is immutable)."""
    try:
        parts = urlsplit(url)
    except ValueError:
        raise SignatureError("malformed request URL") from None
    if parts.scheme.lower() not in ("http", "https") or not parts.netloc:
        raise SignatureError("request URL must be absolute http(s)")
    authority = parts.netloc.rpartition("@")[2]
    query = parts.query if parts.query or url.split("#", 1)[0].endswith("?") else None
    return Target(parts.scheme.lower(), authority, parts.path or "/", query)


# ---------------------------------------------------------------------------- time


def utc_now(now: datetime | None) -> datetime:
    """``now`` as an aware UTC datetime (naive values are taken to be UTC)."""
    if now is None:
        return datetime.now(UTC)
    return now.replace(tzinfo=UTC) if now.tzinfo is None else now.astimezone(UTC)


def format_http_date(moment: datetime) -> str:
    """IMF-fixdate, e.g. ``Sun, 05 Jan 2014 21:31:40 GMT``."""
    return email.utils.format_datetime(utc_now(moment).replace(microsecond=0), usegmt=True)


_IMF_FIXDATE = re.compile(
    r"(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun), (\d{2}) "
    r"(Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) (\d{4}) (\d{2}):(\d{2}):(\d{2}) GMT"
)
_MONTHS = {
    m: i
    for i, m in enumerate(
        ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"), 1
    )
}


def parse_http_date(value: str) -> datetime:
    fixdate = _IMF_FIXDATE.fullmatch(value)
    if fixdate is not None:  # the format everyone sends (RFC 9110 IMF-fixdate): fast path
        day, month, year, hour, minute, second = fixdate.groups()
        try:
            return datetime(
                int(year), _MONTHS[month], int(day), int(hour), int(minute), int(second), tzinfo=UTC
            )
        except ValueError:
            raise SignatureError("Date header is not an HTTP date") from None
    try:
        moment = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError, OverflowError):
        raise SignatureError("Date header is not an HTTP date") from None
    return utc_now(moment)


def from_timestamp(value: object, what: str) -> datetime:
    """A Unix timestamp parameter (``created``, ``expires``) as a datetime."""
    if not isinstance(value, int) or isinstance(value, bool):
        raise SignatureError(f"{what} must be an integer")
    try:
        return datetime.fromtimestamp(value, UTC)
    except (OverflowError, OSError, ValueError):
        raise SignatureError(f"{what} is out of range") from None


def check_fresh(moment: datetime, now: datetime, max_skew: timedelta, what: str) -> None:
    """Replay protection: ``moment`` must lie within ``max_skew`` of now, either way."""
    if moment < now - max_skew:
        raise SignatureError(f"{what} is too old")
    if moment > now + max_skew:
        raise SignatureError(f"{what} is in the future")


def check_not_expired(expires: datetime, now: datetime) -> None:
    if now > expires:
        raise SignatureError("signature has expired")


# ---------------------------------------------------------------------------- crypto

# RFC 9421 §3.3 names; draft-cavage's rsa-sha256 is rsa-v1_5-sha256 here.
ALGORITHMS = frozenset(
    {"rsa-v1_5-sha256", "rsa-pss-sha512", "ecdsa-p256-sha256", "ecdsa-p384-sha384", "ed25519"}
)
_PSS_SHA512 = padding.PSS(mgf=padding.MGF1(hashes.SHA512()), salt_length=64)
_EC_CURVES: dict[str, tuple[type[ec.EllipticCurve], hashes.HashAlgorithm, int]] = {
    "ecdsa-p256-sha256": (ec.SECP256R1, hashes.SHA256(), 32),
    "ecdsa-p384-sha384": (ec.SECP384R1, hashes.SHA384(), 48),
}


def default_algorithm(key: AnyPublicKey | AnyPrivateKey) -> str:
    """The algorithm a key implies when the signature does not name one."""
    if isinstance(key, rsa.RSAPublicKey | rsa.RSAPrivateKey):
        return "rsa-v1_5-sha256"
    if isinstance(key, ed25519.Ed25519PublicKey | ed25519.Ed25519PrivateKey):
        return "ed25519"
    for name, (curve, _, _) in _EC_CURVES.items():
        if isinstance(key.curve, curve):
            return name
    raise SignatureError("unsupported elliptic curve")


def key_fits(algorithm: str, key: AnyPublicKey | AnyPrivateKey) -> bool:
    """Whether ``key`` is of the type ``algorithm`` needs (prevents algorithm confusion)."""
    if algorithm.startswith("rsa-"):
        return isinstance(key, rsa.RSAPublicKey | rsa.RSAPrivateKey) and algorithm in ALGORITHMS
    if algorithm == "ed25519":
        return isinstance(key, ed25519.Ed25519PublicKey | ed25519.Ed25519PrivateKey)
    spec = _EC_CURVES.get(algorithm)
    return (
        spec is not None
        and isinstance(key, ec.EllipticCurvePublicKey | ec.EllipticCurvePrivateKey)
        and isinstance(key.curve, spec[0])
    )


def sign_bytes(algorithm: str, key: AnyPrivateKey, data: bytes) -> bytes:
    """Sign ``data``; ECDSA signatures come out as raw ``r || s`` (RFC 9421 §3.3.4)."""
    if not key_fits(algorithm, key):
        raise ValueError(f"key does not fit algorithm {algorithm}")
    if isinstance(key, ed25519.Ed25519PrivateKey):
        return key.sign(data)
    if isinstance(key, rsa.RSAPrivateKey):
        if algorithm == "rsa-pss-sha512":
            return key.sign(data, _PSS_SHA512, hashes.SHA512())
        return key.sign(data, padding.PKCS1v15(), hashes.SHA256())
    _, digest, size = _EC_CURVES[algorithm]
    r, s = decode_dss_signature(key.sign(data, ec.ECDSA(digest)))
    return r.to_bytes(size, "big") + s.to_bytes(size, "big")


def verify_bytes(algorithm: str, key: AnyPublicKey, data: bytes, signature: bytes) -> bool:
    """Whether ``signature`` over ``data`` is valid; False for a key of the wrong type."""
    if not key_fits(algorithm, key):
        return False
    try:
        if isinstance(key, ed25519.Ed25519PublicKey):
            key.verify(signature, data)
        elif isinstance(key, rsa.RSAPublicKey):
            if algorithm == "rsa-pss-sha512":
                key.verify(signature, data, _PSS_SHA512, hashes.SHA512())
            else:
                key.verify(signature, data, padding.PKCS1v15(), hashes.SHA256())
        else:
            _, digest, size = _EC_CURVES[algorithm]
            if len(signature) != 2 * size:
                return False
            r = int.from_bytes(signature[:size], "big")
            s = int.from_bytes(signature[size:], "big")
            key.verify(encode_dss_signature(r, s), data, ec.ECDSA(digest))
    except (InvalidSignature, ValueError):
        return False
    return True


# ---------------------------------------------------------------------------- key lookup

Attempt: TypeAlias = Callable[[PublicKey], str | None]
"""Try one key: None if the signature verifies with it, else the reason it did not."""


async def verify_with_lookup(key_id: str, lookup: KeyLookup, attempt: Attempt) -> PublicKey:
    """Verify with the cached key, and on failure once more with a refreshed key.

    A failure with the cached key may mean the actor rotated its key, so exactly one
    ``refresh=True`` lookup follows; it is never repeated, whatever the outcome.
    """
    key = await lookup(key_id, False)
    if key is not None and attempt(key) is None:
        return key
    key = await lookup(key_id, True)
    if key is None:
        raise SignatureError("unknown key")
    failed = attempt(key)
    if failed is not None:
        raise SignatureError(failed)
    return key

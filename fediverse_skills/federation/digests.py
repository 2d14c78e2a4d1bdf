"""Body digests: ``Digest`` (RFC 3230, what Mastodon sends) and ``Content-Digest`` (RFC 9530).

A signature covers the digest header, not the body, so a signed request is only bound to
its body once the digest has been checked against the raw bytes received. The rules:

* algorithm names are compared case-insensitively (``SHA-256=`` and ``sha-256=`` are both
  seen in the wild);
* unknown algorithms are skipped, but a header with no known algorithm fails;
* when several known algorithms are listed, every one of them must match.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
from collections.abc import Callable

from .structured_fields import Item, StructuredFieldError, parse_dictionary

__all__ = [
    "check_content_digest",
    "check_digest",
    "make_content_digest",
    "make_digest",
]

_HASHES: dict[str, Callable[[bytes], bytes]] = {
    "sha-256": lambda data: hashlib.sha256(data).digest(),
    "sha-512": lambda data: hashlib.sha512(data).digest(),
}


def _hash(algorithm: str, body: bytes) -> bytes:
    try:
        return _HASHES[algorithm.lower()](body)
    except KeyError:
        raise ValueError(f"unsupported digest algorithm {algorithm!r}") from None


def make_digest(body: bytes, algorithm: str = "sha-256") -> str:
    """``Digest`` value as Mastodon writes it: ``SHA-256=<base64>``."""
    encoded = base64.b64encode(_hash(algorithm, body)).decode("ascii")
    return f"{algorithm.upper()}={encoded}"


def make_content_digest(body: bytes, algorithm: str = "sha-256") -> str:
    """``Content-Digest`` value (an RFC 8941 Dictionary): ``sha-256=:<base64>:``."""
    encoded = base64.b64encode(_hash(algorithm, body)).decode("ascii")
    return f"{algorithm.lower()}=:{encoded}:"


def _all_known_match(pairs: list[tuple[str, bytes | None]], body: bytes) -> bool:
    """``pairs`` are (algorithm, claimed digest or None if unreadable)."""
    known = [(alg.lower(), claimed) for alg, claimed in pairs if alg.lower() in _HASHES]
    if not known:
        return False
    return all(
        claimed is not None and hmac.compare_digest(claimed, _hash(alg, body))
        for alg, claimed in known
    )


def check_digest(value: str | None, body: bytes) -> bool:
    """Whether a ``Digest`` header (``alg=<base64>`` pairs, comma-separated) matches ``body``."""
    if not value:
        return False
    pairs: list[tuple[str, bytes | None]] = []
    for part in value.split(","):
        part = part.strip(" \t")
        if not part:
            continue
        algorithm, sep, encoded = part.partition("=")
        if not sep:
            return False
        try:
            claimed: bytes | None = base64.b64decode(encoded.strip(" \t"), validate=True)
        except (binascii.Error, ValueError):
            claimed = None
        pairs.append((algorithm.strip(" \t"), claimed))
    return _all_known_match(pairs, body)


def check_content_digest(value: str | None, body: bytes) -> bool:
    """Whether a ``Content-Digest`` header (``alg=:<base64>:`` members) matches ``body``."""
    if not value:
        return False
    try:
        members = parse_dictionary(value)
    except StructuredFieldError:
        return False
    pairs: list[tuple[str, bytes | None]] = []
    for algorithm, member in members.items():
        claimed: bytes | None = None
        if isinstance(member, Item) and isinstance(member.value, bytes):
            claimed = member.value
        pairs.append((algorithm, claimed))
    return _all_known_match(pairs, body)

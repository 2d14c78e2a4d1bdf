"""HTTP message signatures for ActivityPub: sign outgoing requests, verify incoming ones.

Two schemes are in use on the fediverse:

* draft-cavage-http-signatures-12 (:mod:`.cavage`): a ``Signature`` header (or
  ``Authorization: Signature ...``), what Mastodon and most servers send;
* RFC 9421 (:mod:`.rfc9421`): ``Signature-Input`` plus ``Signature``, sent by Fedify and
  newer servers.

Everything here is a pure function of ``(method, url, headers, body)``; keys come from a
:data:`KeyLookup` the caller provides, the time from ``now``. A :class:`Verified` result
only says which key signed the request: the caller must still check that
``Verified.owner`` is the activity's ``actor`` (or otherwise allowed to speak for it).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from . import cavage, rfc9421
from .cavage import sign_cavage
from .rfc9421 import sign_rfc9421
from .sigcore import (
    DEFAULT_MAX_SKEW,
    AnyPrivateKey,
    AnyPublicKey,
    HeaderInput,
    KeyLookup,
    PublicKey,
    SignatureError,
    Verified,
    private_key_from_pem,
    public_key_from_pem,
)
from .sigcore import Headers as _Headers
from .sigcore import utc_now as _utc_now

__all__ = [
    "DEFAULT_MAX_SKEW",
    "AnyPrivateKey",
    "AnyPublicKey",
    "HeaderInput",
    "KeyLookup",
    "PublicKey",
    "SignatureError",
    "Verified",
    "private_key_from_pem",
    "public_key_from_pem",
    "sign_cavage",
    "sign_rfc9421",
    "verify_request",
]


async def verify_request(
    method: str,
    url: str,
    headers: HeaderInput,
    body: bytes,
    *,
    lookup: KeyLookup,
    now: datetime | None = None,
    max_skew: timedelta = DEFAULT_MAX_SKEW,
) -> Verified:
    """Verify an incoming request's signature, or raise :class:`SignatureError`.

    ``url`` is the full URL the server saw (``scheme://host[:port]/path?query``);
    ``headers`` are the received (name, value) pairs, names in any case; ``body`` is the
    raw body. ``Signature-Input`` selects RFC 9421, otherwise draft-cavage is expected.
    ``lookup`` is called with ``refresh=False`` first and at most once with
    ``refresh=True``, only after the cached key failed or was missing; exceptions it
    raises propagate unchanged.
    """
    view = _Headers(headers)
    moment = _utc_now(now)
    if "signature-input" in view:
        return await rfc9421.verify(
            method, url, view, body, lookup=lookup, now=moment, max_skew=max_skew
        )
    return await cavage.verify(
        method, url, view, body, lookup=lookup, now=moment, max_skew=max_skew
    )

"""Who is reading: the signer of a GET, and which documents they may see.

With ``FEDSKILLS_AUTHORIZED_FETCH`` on, every ActivityPub GET must carry a valid HTTP
signature, except the documents a peer needs to verify signatures at all (actors and
their keys, the instance actor, our JSON-LD context), which stay readable so that two
instances in this mode cannot deadlock fetching each other's keys. A signer on a blocked
domain is refused. Objects that are not public (direct replies, followers-only posts)
are served only in this mode, and only to a signer in their audience.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ..federation import activities
from ..federation.signatures import SignatureError, verify_request
from ..store import follows
from . import actors
from .blocks import url_blocked
from .context import Federation

__all__ = ["AccessRefused", "may_read", "reader"]

_SIGNATURE_HEADERS = frozenset({"signature", "signature-input"})


class AccessRefused(Exception):
    def __init__(self, status: int, reason: str) -> None:
        super().__init__(reason)
        self.status = status
        self.reason = reason


def _signed(headers: Sequence[tuple[str, str]]) -> bool:
    return any(name.lower() in _SIGNATURE_HEADERS for name, _ in headers)


async def reader(
    fed: Federation,
    *,
    url: str,
    headers: Sequence[tuple[str, str]],
    required: bool,
) -> str | None:
    """The actor whose valid signature is on this GET, None for an unsigned one (allowed
    only when not ``required``). Raises :class:`AccessRefused`."""
    if not _signed(headers):
        if required:
            raise AccessRefused(
                401, "this instance requires signed requests (authorized fetch): sign the GET"
            )
        return None

    async def lookup(kid: str, refresh: bool) -> Any:
        blocked = await fed.blocked_domains()
        if url_blocked(kid, blocked):
            raise AccessRefused(403, "the domain is blocked")
        return await actors.lookup_key(fed, kid, refresh)

    try:
        verified = await verify_request("GET", url, headers, b"", lookup=lookup)
    except SignatureError as exc:
        raise AccessRefused(401, exc.reason) from None
    if url_blocked(verified.owner, await fed.blocked_domains()):
        raise AccessRefused(403, "the domain is blocked")
    return verified.owner


async def may_read(
    fed: Federation, document: dict[str, Any], *, username: str, reader: str | None
) -> bool:
    """Whether ``reader`` is in the audience of a non-public document by our ``username``:
    named in it, or an accepted follower when their followers collection is addressed."""
    if reader is None:
        return False
    audience = activities.audience(document)
    if reader in audience:
        return True
    if fed.uris.followers(username) not in audience:
        return False
    async with fed.db.connection() as conn:
        found = await follows.get(conn, reader, fed.uris.actor(username))
    return found is not None and found.state == follows.ACCEPTED

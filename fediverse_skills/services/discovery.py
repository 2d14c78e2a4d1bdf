"""Discovery: WebFinger answers, host-meta and NodeInfo usage figures."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from ..federation import media, nodeinfo, webfinger
from ..store import notes, users
from .context import Federation


class NotFound(LookupError):
    """No such local account."""


async def webfinger_answer(fed: Federation, resource: str | None) -> dict[str, Any]:
    """The JRD for ``resource``; raises WebfingerError (400) or NotFound (404)."""
    parsed = webfinger.parse_resource(resource, fed.uris)
    if parsed.host != fed.uris.host.lower() or parsed.username is None:
        raise NotFound(resource)
    async with fed.db.connection() as conn:
        user = await users.get_by_username(conn, parsed.username)
    # A deleted account is not found; a suspended one still is (its actor says 410 Gone),
    # as Mastodon does.
    if user is None or user.deleted_at is not None:
        raise NotFound(resource)
    return webfinger.jrd(fed.uris, user.username)


async def nodeinfo_document(fed: Federation) -> dict[str, Any]:
    now = datetime.now(UTC)
    async with fed.db.connection() as conn:
        total = await users.count_users(conn, live_only=True)  # not suspended or deleted
        month = await users.count_active(conn, now - timedelta(days=30))
        halfyear = await users.count_active(conn, now - timedelta(days=180))
        posts = await notes.count(conn)
    return nodeinfo.document(nodeinfo.Usage(total, month, halfyear, posts))


# What the web layer needs from the protocol, without reaching past the services.
JRD_MEDIA_TYPE = media.JRD_JSON
NODEINFO_MEDIA_TYPE = nodeinfo.PROFILE_21
BadResource = webfinger.WebfingerError


def host_meta_xrd(fed: Federation) -> str:
    return webfinger.host_meta_xrd(fed.uris)


def host_meta_json(fed: Federation) -> dict[str, Any]:
    return webfinger.host_meta_json(fed.uris)


def nodeinfo_links(fed: Federation) -> dict[str, Any]:
    return nodeinfo.well_known(fed.uris)

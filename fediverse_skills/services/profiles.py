"""Editing one's own profile, and telling followers' servers about it (Update of the actor)."""

from __future__ import annotations

from datetime import UTC, datetime

from ..domain.profiles import InvalidProfile, clean_display_name, clean_summary
from ..federation import activities
from ..federation.actors import person
from ..store import follows, users
from ..store.users import User
from .context import Federation
from .documents import local_actor
from .outbox import new_id, queue

__all__ = ["InvalidProfile", "update_profile"]


async def update_profile(
    fed: Federation,
    user: User,
    *,
    display_name: str | None = None,
    summary: str | None = None,
    manually_approves_followers: bool | None = None,
) -> User:
    """Change the profile and queue an Update of the actor to every follower's server,
    because Mastodon and others cache actors. Raises InvalidProfile."""
    name = clean_display_name(display_name) if display_name is not None else None
    text = clean_summary(summary) if summary is not None else None
    now = datetime.now(UTC)
    me = fed.uris.actor(user.username)
    async with fed.db.transaction() as conn:
        updated = await users.update_profile(
            conn,
            user.id,
            display_name=name,
            summary=text,
            manually_approves_followers=manually_approves_followers,
        )
        assert updated is not None
        document = person(fed.uris, local_actor(updated))
        update = {
            "@context": document["@context"],
            "id": fed.uris.activity(user.username, new_id()),
            "type": "Update",
            "actor": me,
            "to": [activities.PUBLIC],
            "cc": [fed.uris.followers(user.username)],
            "object": {k: v for k, v in document.items() if k != "@context"},
        }
        inboxes = await follows.follower_inboxes(conn, me)
        await queue(conn, update, user_id=user.id, inboxes=inboxes, now=now)
    return updated

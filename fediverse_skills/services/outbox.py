"""Publishing: storing what we send and queueing one delivery per inbox, in one transaction."""

from __future__ import annotations

import json
import secrets
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

from ..domain.notes import InvalidNote, check_note_text
from ..federation import activities, markup
from ..store import deliveries, follows, notes
from ..store.db import Connection
from ..store.notes import Note
from ..store.users import User
from .actors import Card
from .context import Federation

__all__ = ["InvalidNote", "encode", "new_id", "post_note", "publish_note", "queue", "reply_note"]


def new_id() -> str:
    return secrets.token_urlsafe(12)


def encode(activity: dict[str, Any]) -> str:
    return json.dumps(activity, separators=(",", ":"), ensure_ascii=False)


async def queue(
    conn: Connection,
    activity: dict[str, Any],
    *,
    user_id: int | None,
    inboxes: Iterable[str],
    now: datetime,
) -> None:
    """Store ``activity`` and its deliveries in the caller's transaction."""
    await deliveries.add_activity(
        conn,
        uri=activity["id"],
        type=activity["type"],
        body=encode(activity),
        user_id=user_id,
        inboxes=inboxes,
        now=now,
    )


async def publish_note(
    fed: Federation, user: User, text: str, *, kind: str = "note"
) -> tuple[Note, dict[str, Any]]:
    """Publish a public Note to the user's followers. Returns the note and its Create.
    ``kind="ask"`` makes it an ask: replies with hashtags become skill suggestions."""
    check_note_text(text)
    uris = fed.uris
    now = datetime.now(UTC)
    public_id = new_id()
    actor = uris.actor(user.username)
    obj = activities.note(
        id=uris.note(user.username, public_id),
        actor=actor,
        followers=uris.followers(user.username),
        content_html=activities.plain_text_html(text),
        published=now,
        url=uris.note(user.username, public_id),
    )
    create = activities.create(id=uris.activity(user.username, public_id), actor=actor, object=obj)
    async with fed.db.transaction() as conn:
        note = await notes.add(
            conn, public_id=public_id, user_id=user.id, content=text, now=now, kind=kind
        )
        inboxes = await follows.follower_inboxes(conn, actor)
        await queue(conn, create, user_id=user.id, inboxes=inboxes, now=now)
    return note, create


async def post_note(
    fed: Federation,
    conn: Connection,
    user: User,
    *,
    content: str,
    to: list[str],
    cc: list[str],
    tags: list[dict[str, Any]],
    inboxes: Iterable[str],
    kind: str,
    now: datetime,
    skill_key: str | None = None,
    in_reply_to: str | None = None,
) -> dict[str, Any]:
    """Store a Note with HTML ``content`` (already safe) and queue its Create to
    ``inboxes``, in the caller's transaction. Public unless addressed to people only;
    returns the Note."""
    uris = fed.uris
    public_id = new_id()
    note_uri = uris.note(user.username, public_id)
    me = uris.actor(user.username)
    public = activities.PUBLIC in to or activities.PUBLIC in cc
    note: dict[str, Any] = {
        "id": note_uri,
        "type": "Note",
        "attributedTo": me,
        "content": content,
        "published": activities.timestamp(now),
        "to": to,
        "cc": cc,
        "tag": tags,
    }
    if public:
        note["url"] = note_uri
    if in_reply_to:
        note["inReplyTo"] = in_reply_to
    await notes.add(
        conn,
        public_id=public_id,
        user_id=user.id,
        content=markup.plain_text(content),
        now=now,
        kind=kind,
        skill_key=skill_key,
        public=public,
        document=encode(note),
    )
    create = activities.create(id=uris.activity(user.username, public_id), actor=me, object=note)
    await queue(conn, create, user_id=user.id, inboxes=set(inboxes), now=now)
    return note


async def reply_note(
    fed: Federation,
    conn: Connection,
    user: User,
    *,
    to: Card,
    in_reply_to: str | None,
    html_parts: list[str],
    now: datetime,
) -> None:
    """A direct Note from ``user`` to one person, mentioning them (how we answer people
    who use a plain Mastodon app). It is never public, and never in the outbox."""
    await post_note(
        fed,
        conn,
        user,
        content=markup.paragraph(markup.mention_link(to.url, to.username), " ", *html_parts),
        to=[to.uri],
        cc=[],
        tags=[markup.mention_tag(to.uri, to.acct)],
        inboxes=[to.inbox] if to.inbox else [],
        kind="reply",
        now=now,
        in_reply_to=in_reply_to,
    )

"""Publishing: storing what we send and queueing one delivery per inbox, in one transaction."""

from __future__ import annotations

import json
import re
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
from . import actors
from .actors import ActorUnavailable, Card
from .context import Federation

__all__ = [
    "ActorUnavailable",
    "InvalidNote",
    "encode",
    "new_id",
    "post_note",
    "publish_note",
    "queue",
    "reply_note",
]

# "#Rust" or "#TechnicalWriting" in a reply's text: a word with at least one letter, not
# glued to a word before it (so "C#" and "page#top" are not hashtags).
_HASHTAG = re.compile(r"(?<![\w&#/])#(\w*[^\W\d_]\w*)")


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
    fed: Federation,
    user: User,
    text: str,
    *,
    kind: str = "note",
    in_reply_to: str | None = None,
) -> tuple[Note, dict[str, Any]]:
    """Publish a public Note to the user's followers. Returns the note and its Create.
    ``kind="ask"`` makes it an ask: replies with hashtags become skill suggestions.

    With ``in_reply_to`` (a note's URI) it is a reply: it mentions the parent note's author,
    who also receives it, and its ``#Hashtag`` words are tagged (a reply to an ask on
    another server suggests those skills). Raises InvalidNote, or ActorUnavailable when
    the parent note or its author cannot be found."""
    check_note_text(text)
    if in_reply_to is not None:
        return await _publish_reply(fed, user, text, kind=kind, in_reply_to=in_reply_to)
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


async def _publish_reply(
    fed: Federation, user: User, text: str, *, kind: str, in_reply_to: str
) -> tuple[Note, dict[str, Any]]:
    parent_author = await actors.note_author(fed, in_reply_to)  # before the transaction
    uris = fed.uris
    me = uris.actor(user.username)
    lead: list[str] = []
    tags: list[dict[str, Any]] = []
    cc = [uris.followers(user.username)]
    inboxes: set[str] = set()
    if parent_author.uri != me:
        lead = [markup.mention_link(parent_author.url, parent_author.username), markup.text(" ")]
        tags.append(markup.mention_tag(parent_author.uri, parent_author.acct))
        cc.append(parent_author.uri)
        if parent_author.inbox:
            inboxes.add(parent_author.inbox)
    seen: set[str] = set()
    for match in _HASHTAG.finditer(text):
        if match.group(1).casefold() not in seen:
            seen.add(match.group(1).casefold())
            tags.append(markup.hashtag_tag(uris.base_url, match.group(1)))
    now = datetime.now(UTC)
    async with fed.db.transaction() as conn:
        inboxes.update(await follows.follower_inboxes(conn, me))
        return await _post(
            fed,
            conn,
            user,
            content=_linked_html(text, uris.base_url, lead),
            to=[activities.PUBLIC],
            cc=cc,
            tags=tags,
            inboxes=inboxes,
            kind=kind,
            now=now,
            in_reply_to=in_reply_to,
        )


def _linked_html(text: str, base_url: str, lead: list[str]) -> str:
    """Plain text as paragraphs (as ``activities.plain_text_html``), its hashtags linked
    and ``lead`` (safe HTML, such as a mention) opening the first paragraph."""
    paragraphs = [p for p in text.replace("\r\n", "\n").split("\n\n") if p.strip()]
    html_paragraphs = []
    for i, paragraph in enumerate(paragraphs):
        parts = list(lead) if i == 0 else []
        for j, line in enumerate(paragraph.strip().split("\n")):
            if j:
                parts.append("<br>")
            end = 0
            for match in _HASHTAG.finditer(line):
                parts.append(markup.text(line[end : match.start()]))
                parts.append(markup.hashtag_link(base_url, match.group(1)))
                end = match.end()
            parts.append(markup.text(line[end:]))
        html_paragraphs.append(markup.paragraph(*parts))
    return "".join(html_paragraphs)


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
    _, create = await _post(
        fed,
        conn,
        user,
        content=content,
        to=to,
        cc=cc,
        tags=tags,
        inboxes=inboxes,
        kind=kind,
        now=now,
        skill_key=skill_key,
        in_reply_to=in_reply_to,
    )
    note: dict[str, Any] = create["object"]
    return note


async def _post(
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
) -> tuple[Note, dict[str, Any]]:
    """post_note's work; returns the stored note and the Create."""
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
    stored = await notes.add(
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
    return stored, create


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

"""Work opportunities: posting, editing, closing and expiring them, federating them as
Notes, and keeping the ones other servers send us."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from ..domain import opportunities as rules
from ..domain.opportunities import InvalidOpportunity
from ..federation import activities
from ..federation import opportunities as wire
from ..federation.actors import same_origin
from ..federation.media import AS_CONTEXT
from ..store import endorsements as endorsement_store
from ..store import follows, users
from ..store import opportunities as store
from ..store.db import Connection
from ..store.opportunities import NeededSkill, NewOpportunity, OpportunityRow
from ..store.users import User
from . import trust
from .blocks import url_blocked
from .context import Federation
from .outbox import new_id, queue

__all__ = ["KINDS", "InvalidOpportunity", "OpportunityError", "OpportunityRow"]

KINDS = tuple(k.value for k in rules.Kind)


def skill_key(name: str) -> str:
    """The key of a skill name for filters. Raises InvalidOpportunity."""
    found = rules.skill_list("skill", [name], 1, required=True)
    return found[0].key


def handle(actor: str) -> str:
    return "@" + trust.short_handle(actor)


class OpportunityError(Exception):
    """The posting cannot be changed or shown; ``status`` is the HTTP status."""

    def __init__(self, message: str, status: int = 404) -> None:
        super().__init__(message)
        self.status = status


def _needed(posting: rules.Posting) -> list[NeededSkill]:
    return [NeededSkill(s.key, s.name, True) for s in posting.required] + [
        NeededSkill(s.key, s.name, False) for s in posting.nice
    ]


def _wire_skills(row: OpportunityRow) -> list[wire.WireSkill]:
    return [wire.WireSkill(s.key, s.name, s.required) for s in row.skills]


def _username(fed: Federation, row: OpportunityRow) -> str:
    name = fed.uris.username_of(row.author)
    assert name is not None, "only our own postings are sent"
    return name


def document(fed: Federation, row: OpportunityRow) -> dict[str, Any]:
    """Our posting as the Note we serve at its id and send in activities."""
    username = _username(fed, row)
    assert row.public_id is not None
    return wire.note(
        base_url=fed.uris.base_url,
        id=row.uri,
        url=fed.uris.opportunity_page(row.public_id),
        actor=row.author,
        followers=fed.uris.followers(username),
        title=row.title,
        description=row.description,
        kind=row.kind,
        remote=row.remote,
        place=row.place,
        pay=row.pay,
        contact_url=row.contact_url,
        skills=_wire_skills(row),
        state=row.state,
        published=row.created_at,
        updated=row.updated_at if row.updated_at != row.created_at else None,
        expires_at=row.expires_at,
    )


async def _send(
    fed: Federation, conn: Connection, user: User, row: OpportunityRow, kind: str, now: datetime
) -> None:
    """Queue a Create, Update or Delete of the posting to the poster's followers."""
    me = fed.uris.actor(user.username)
    activity_id = fed.uris.activity(user.username, new_id())
    if kind == "Delete":
        activity: dict[str, Any] = {
            "@context": AS_CONTEXT,
            "id": activity_id,
            "type": "Delete",
            "actor": me,
            "to": [activities.PUBLIC],
            "cc": [fed.uris.followers(user.username)],
            "object": {"id": row.uri, "type": "Tombstone"},
        }
    else:
        note = document(fed, row)
        context = note.pop("@context")
        activity = {
            "@context": context,
            "id": activity_id,
            "type": kind,
            "actor": me,
            "published": activities.timestamp(now),
            "to": note["to"],
            "cc": note["cc"],
            "object": note,
        }
    inboxes = await follows.follower_inboxes(conn, me)
    await queue(conn, activity, user_id=user.id, inboxes=inboxes, now=now)


async def post(fed: Federation, user: User, data: dict[str, Any]) -> OpportunityRow:
    """Publish a posting to the user's followers. Raises InvalidOpportunity."""
    now = datetime.now(UTC)
    posting = rules.check(data, now)
    public_id = new_id()
    async with fed.db.transaction() as conn:
        row = await store.add(
            conn,
            NewOpportunity(
                public_id=public_id,
                uri=fed.uris.opportunity(user.username, public_id),
                author=fed.uris.actor(user.username),
                user_id=user.id,
                title=posting.title,
                description=posting.description,
                kind=posting.kind.value,
                remote=posting.remote,
                place=posting.place,
                pay=posting.pay,
                contact_url=posting.contact_url,
                state=rules.State.OPEN.value,
                expires_at=posting.expires_at,
                created_at=now,
                updated_at=now,
                document=None,
            ),
            _needed(posting),
        )
        await _send(fed, conn, user, row, "Create", now)
    return row


async def _own(conn: Connection, user: User, public_id: str) -> OpportunityRow:
    row = await store.get(conn, public_id)
    if row is None or row.user_id != user.id:
        raise OpportunityError("no such opportunity of yours")
    return row


async def edit(fed: Federation, user: User, public_id: str, data: dict[str, Any]) -> OpportunityRow:
    """Change a posting (any posting field, or ``state``: open | closed) and send an
    Update. Raises InvalidOpportunity or OpportunityError."""
    unknown = sorted(set(data) - rules.EDITABLE - {"state"})
    if unknown:
        raise InvalidOpportunity(unknown[0], f"unknown field {unknown[0]!r}")
    state = data.get("state")
    if state is not None and (not isinstance(state, str) or state not in set(rules.State)):
        raise InvalidOpportunity("state", "state is open or closed")
    now = datetime.now(UTC)
    async with fed.db.transaction() as conn:
        row = await _own(conn, user, public_id)
        current: dict[str, Any] = {
            "title": row.title,
            "description": row.description,
            "required_skills": [s.name for s in row.required],
            "nice_skills": [s.name for s in row.nice],
            "kind": row.kind,
            "remote": row.remote,
            "place": row.place,
            "pay": row.pay,
            "contact_url": row.contact_url,
        }
        # Without a new expires_at the stored one stays (see ``values`` below).
        merged = {**current, **{k: v for k, v in data.items() if k != "state"}}
        posting = rules.check(merged, now)
        values: dict[str, object] = {
            "title": posting.title,
            "description": posting.description,
            "kind": posting.kind.value,
            "remote": posting.remote,
            "place": posting.place,
            "pay": posting.pay,
            "contact_url": posting.contact_url,
            "updated_at": now,
        }
        if "expires_at" in data:
            values["expires_at"] = posting.expires_at
            values["expiry_sent_at"] = None
        if state is not None:
            values["state"] = state
        skills = _needed(posting) if {"required_skills", "nice_skills"} & set(data) else None
        updated = await store.replace(conn, row.id, values, skills)
        assert updated is not None
        await _send(fed, conn, user, updated, "Update", now)
    return updated


async def remove(fed: Federation, user: User, public_id: str) -> None:
    """Delete a posting and send a Delete. Raises OpportunityError."""
    now = datetime.now(UTC)
    async with fed.db.transaction() as conn:
        row = await _own(conn, user, public_id)
        await _send(fed, conn, user, row, "Delete", now)
        await store.remove(conn, row.id)


async def _shown(fed: Federation, conn: Connection, row: OpportunityRow | None) -> bool:
    """Whether a posting may be shown: not one of a suspended (or deleted) member, nor one
    received from a blocked domain."""
    if row is None:
        return False
    if row.user_id is not None:
        poster = await users.get_by_id(conn, row.user_id)
        return poster is not None and poster.suspended_at is None and poster.deleted_at is None
    return not url_blocked(row.author, await fed.blocked_domains())


async def get(fed: Federation, public_id: str) -> OpportunityRow | None:
    """The posting with that id, if it may be shown."""
    async with fed.db.connection() as conn:
        row = await store.get(conn, public_id)
        return row if await _shown(fed, conn, row) else None


async def get_by_uri(fed: Federation, uri: str) -> OpportunityRow | None:
    """The posting with that URI (ours or received), if it may be shown."""
    async with fed.db.connection() as conn:
        row = await store.by_uri(conn, uri)
        return row if await _shown(fed, conn, row) else None


async def board(
    fed: Federation,
    *,
    skill: str | None = None,
    kind: str | None = None,
    remote: bool | None = None,
    place: str | None = None,
    authors: list[str] | None = None,
    mine: User | None = None,
    limit: int = 50,
    offset: int = 0,
) -> list[OpportunityRow]:
    """Live postings, newest first; ``mine`` lists that user's own, closed ones too. Never
    those of suspended members or from blocked domains."""
    async with fed.db.connection() as conn:
        rows = await store.board(
            conn,
            now=datetime.now(UTC),
            skill=skill,
            kind=kind,
            remote=remote,
            place=place,
            authors=authors,
            user_id=mine.id if mine is not None else None,
            include_closed=mine is not None,
            limit=limit,
            offset=offset,
        )
    blocked = await fed.blocked_domains()
    if not blocked:
        return rows
    return [r for r in rows if r.user_id is not None or not url_blocked(r.author, blocked)]


def is_live(row: OpportunityRow, now: datetime | None = None) -> bool:
    return rules.is_live(row.state, row.expires_at, now or datetime.now(UTC))


async def announce_expired(fed: Federation) -> int:
    """Send an Update for our postings that expired (the worker calls this): servers that
    do not read ``endTime`` learn it from the ``[Closed]`` in the content."""
    now = datetime.now(UTC)
    async with fed.db.connection() as conn:
        due = await store.expired_unsent(conn, now)
    sent = 0
    for opportunity_id in due:
        async with fed.db.transaction() as conn:
            if not await store.mark_expiry_sent(conn, opportunity_id, now):
                continue
            row = await store.replace(
                conn, opportunity_id, {"state": rules.State.CLOSED.value, "updated_at": now}, None
            )
            if row is None or row.user_id is None:
                continue
            user = await users.get_by_id(conn, row.user_id)
            if user is None:
                continue
            await _send(fed, conn, user, row, "Update", now)
            sent += 1
    return sent


# ----------------------------------------------------------------------------- received


async def _relevant(conn: Connection, fed: Federation, author: str) -> bool:
    """We keep postings from people our members follow, or who endorsed one of them."""
    if await follows.has_follower_under(conn, author, fed.uris.base_url + "/users/"):
        return True
    return await endorsement_store.endorsed_local(conn, author)


async def on_note(fed: Federation, activity: dict[str, Any], obj: dict[str, Any]) -> str | None:
    """A received Create or Update of a Note that carries a posting; None when it is an
    ordinary post."""
    posting = wire.read(obj)
    actor = activities.ref(activity.get("actor"))
    if posting is None:
        return None
    if actor is None or posting.author != actor or not same_origin(posting.uri, actor):
        return "ignored: a posting must be the sender's own"
    if fed.uris.is_local(posting.uri):
        return "ignored: a posting of ours"
    now = datetime.now(UTC)
    skills = [NeededSkill(s.key, s.name, s.required) for s in posting.skills]
    values = {
        "title": posting.title,
        "description": posting.description,
        "kind": posting.kind,
        "remote": posting.remote,
        "place": posting.place,
        "pay": posting.pay,
        "contact_url": posting.contact_url,
        "state": posting.state,
        "expires_at": posting.expires_at,
        "updated_at": now,
        "document": json.dumps(obj, separators=(",", ":"), ensure_ascii=False),
    }
    async with fed.db.transaction() as conn:
        known = await store.by_uri(conn, posting.uri)
        if known is not None:
            if known.author != actor:
                return "ignored: a posting must be the sender's own"
            await store.replace(conn, known.id, values, skills)
            return "posting updated"
        if not await _relevant(conn, fed, actor):
            return "ignored: a posting from someone no member follows"
        new = NewOpportunity(
            public_id=None,
            uri=posting.uri,
            author=actor,
            user_id=None,
            created_at=now,
            **values,  # type: ignore[arg-type]
        )
        await store.add(conn, new, skills)
    return "posting stored"


async def on_delete(fed: Federation, actor: str, uri: str) -> str | None:
    """A Delete of a posting we kept; None when ``uri`` is not one."""
    async with fed.db.transaction() as conn:
        known = await store.by_uri(conn, uri)
        if known is None or known.user_id is not None:
            return None
        if known.author != actor:
            return "ignored: only the poster may delete a posting"
        await store.remove(conn, known.id)
    return "posting deleted"


def as_json(fed: Federation, row: OpportunityRow) -> dict[str, Any]:
    """The posting as the JSON API shows it."""
    return {
        "id": row.public_id,
        "uri": row.uri,
        "url": fed.uris.opportunity_page(row.public_id) if row.public_id else row.uri,
        "author": row.author,
        "local": row.user_id is not None,
        "title": row.title,
        "description": row.description,
        "kind": row.kind,
        "remote": row.remote,
        "place": row.place,
        "pay": row.pay,
        "contact_url": row.contact_url or None,
        "required_skills": [{"key": s.key, "name": s.name} for s in row.required],
        "nice_skills": [{"key": s.key, "name": s.name} for s in row.nice],
        "state": row.state if is_live(row) or row.state == "closed" else "expired",
        "expires_at": row.expires_at.isoformat() if row.expires_at else None,
        "created_at": row.created_at.isoformat(),
        "updated_at": row.updated_at.isoformat(),
    }

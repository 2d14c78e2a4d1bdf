"""Follow relations, named by actor URIs on both sides."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import and_, delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from .dialects import insert
from .tables import follows, remote_actors

PENDING = "pending"
ACCEPTED = "accepted"


@dataclass(frozen=True)
class Follow:
    follower: str
    followee: str
    activity_uri: str
    state: str
    created_at: datetime


def _row(r: object) -> Follow:
    return Follow(r.follower, r.followee, r.activity_uri, r.state, r.created_at)  # type: ignore[attr-defined]


async def add(
    conn: AsyncConnection,
    *,
    follower: str,
    followee: str,
    activity_uri: str,
    state: str,
    now: datetime,
) -> Follow:
    """Record a follow; if the pair exists already, keep the existing one and return it."""
    await conn.execute(
        insert(conn, follows)
        .values(
            follower=follower,
            followee=followee,
            activity_uri=activity_uri,
            state=state,
            created_at=now,
            accepted_at=now if state == ACCEPTED else None,
        )
        .on_conflict_do_nothing()
    )
    existing = await get(conn, follower, followee)
    assert existing is not None
    return existing


async def get(conn: AsyncConnection, follower: str, followee: str) -> Follow | None:
    row = (
        await conn.execute(
            select(follows).where(follows.c.follower == follower, follows.c.followee == followee)
        )
    ).one_or_none()
    return None if row is None else _row(row)


async def get_by_activity(conn: AsyncConnection, activity_uri: str) -> Follow | None:
    row = (
        await conn.execute(select(follows).where(follows.c.activity_uri == activity_uri))
    ).one_or_none()
    return None if row is None else _row(row)


async def accept(conn: AsyncConnection, activity_uri: str, now: datetime) -> bool:
    result = await conn.execute(
        update(follows)
        .where(follows.c.activity_uri == activity_uri, follows.c.state == PENDING)
        .values(state=ACCEPTED, accepted_at=now)
    )
    return bool(result.rowcount)


async def remove(conn: AsyncConnection, follower: str, followee: str) -> bool:
    result = await conn.execute(
        delete(follows).where(follows.c.follower == follower, follows.c.followee == followee)
    )
    return bool(result.rowcount)


async def remove_all_of(conn: AsyncConnection, actor: str) -> int:
    result = await conn.execute(
        delete(follows).where((follows.c.follower == actor) | (follows.c.followee == actor))
    )
    return int(result.rowcount)


async def follower_inboxes(conn: AsyncConnection, followee: str) -> list[str]:
    """The inboxes to deliver to for ``followee``'s followers: shared inboxes when they have
    one, deduplicated. Only remote, accepted, not deleted followers count."""
    inbox = func.coalesce(remote_actors.c.shared_inbox, remote_actors.c.inbox)
    rows = await conn.execute(
        select(inbox)
        .select_from(follows.join(remote_actors, remote_actors.c.uri == follows.c.follower))
        .where(
            follows.c.followee == followee,
            follows.c.state == ACCEPTED,
            remote_actors.c.deleted_at.is_(None),
        )
        .distinct()
    )
    return [r[0] for r in rows]


async def page(
    conn: AsyncConnection,
    *,
    followee: str | None = None,
    follower: str | None = None,
    offset: int,
    limit: int,
) -> list[str]:
    """Accepted followers of ``followee`` (or accounts followed by ``follower``), newest first."""
    if followee is not None:
        column, where = follows.c.follower, follows.c.followee == followee
    else:
        column, where = follows.c.followee, follows.c.follower == follower
    rows = await conn.execute(
        select(column)
        .where(and_(where, follows.c.state == ACCEPTED))
        .order_by(follows.c.id.desc())
        .offset(offset)
        .limit(limit)
    )
    return [r[0] for r in rows]


async def count(
    conn: AsyncConnection, *, followee: str | None = None, follower: str | None = None
) -> int:
    where = (
        follows.c.followee == followee if followee is not None else (follows.c.follower == follower)
    )
    result = await conn.execute(
        select(func.count()).select_from(follows).where(where, follows.c.state == ACCEPTED)
    )
    return int(result.scalar_one())


async def pending_for(conn: AsyncConnection, followee: str) -> list[str]:
    rows = await conn.execute(
        select(follows.c.follower)
        .where(follows.c.followee == followee, follows.c.state == PENDING)
        .order_by(follows.c.id)
    )
    return [r[0] for r in rows]


async def has_follower_under(conn: AsyncConnection, followee: str, prefix: str) -> bool:
    """Whether an accepted follower of ``followee`` has an actor URI starting with
    ``prefix`` (our own people's URIs share the instance's prefix)."""
    row = (
        await conn.execute(
            select(follows.c.follower)
            .where(
                follows.c.followee == followee,
                follows.c.state == "accepted",
                follows.c.follower.startswith(prefix, autoescape=True),
            )
            .limit(1)
        )
    ).first()
    return row is not None


async def followed_among(conn: AsyncConnection, follower: str, actors: Iterable[str]) -> set[str]:
    """Which of ``actors`` ``follower`` follows (accepted follows)."""
    listed = sorted(set(actors))
    found: set[str] = set()
    for start in range(0, len(listed), 500):
        rows = await conn.execute(
            select(follows.c.followee).where(
                follows.c.follower == follower,
                follows.c.state == ACCEPTED,
                follows.c.followee.in_(listed[start : start + 500]),
            )
        )
        found.update(r[0] for r in rows)
    return found

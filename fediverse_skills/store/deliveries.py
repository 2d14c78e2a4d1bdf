"""The delivery queue: activities we send, one row per (activity, inbox)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from urllib.parse import urlsplit

from sqlalchemy import func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from .queue import PENDING, claim, release
from .tables import deliveries, outgoing_activities

DONE = "done"
GAVE_UP = "gave_up"


@dataclass(frozen=True)
class Delivery:
    id: int
    activity_id: int
    inbox: str
    host: str
    attempts: int
    created_at: datetime
    body: str
    user_id: int | None  # the signer; None = the instance actor


async def add_activity(
    conn: AsyncConnection,
    *,
    uri: str,
    type: str,
    body: str,
    user_id: int | None,
    inboxes: Iterable[str],
    now: datetime,
) -> int:
    """Store an outgoing activity and one pending delivery per distinct inbox."""
    activity_id = (
        await conn.execute(
            insert(outgoing_activities)
            .values(uri=uri, type=type, body=body, user_id=user_id, created_at=now)
            .returning(outgoing_activities.c.id)
        )
    ).scalar_one()
    rows = [
        {
            "activity_id": activity_id,
            "inbox": inbox,
            "host": urlsplit(inbox).netloc.lower(),
            "state": PENDING,
            "attempts": 0,
            "created_at": now,
            "next_attempt_at": now,
        }
        for inbox in sorted(set(inboxes))
    ]
    if rows:
        await conn.execute(insert(deliveries), rows)
    return int(activity_id)


async def claim_due(
    conn: AsyncConnection, *, worker: str, now: datetime, lease: timedelta, limit: int
) -> list[Delivery]:
    rows = await claim(conn, deliveries, worker=worker, now=now, lease=lease, limit=limit)
    if not rows:
        return []
    ids = {r.activity_id for r in rows}
    activities = {
        a.id: a
        for a in await conn.execute(
            select(
                outgoing_activities.c.id, outgoing_activities.c.body, outgoing_activities.c.user_id
            ).where(outgoing_activities.c.id.in_(ids))
        )
    }
    return [
        Delivery(
            id=r.id,
            activity_id=r.activity_id,
            inbox=r.inbox,
            host=r.host,
            attempts=r.attempts,
            created_at=r.created_at,
            body=activities[r.activity_id].body,
            user_id=activities[r.activity_id].user_id,
        )
        for r in rows
    ]


async def give_up(
    conn: AsyncConnection,
    delivery_id: int,
    worker: str,
    now: datetime,
    status: int | None,
    error: str,
) -> None:
    await release(
        conn,
        deliveries,
        delivery_id,
        worker,
        state=GAVE_UP,
        finished_at=now,
        last_status=status,
        last_error=error,
    )


async def retry(
    conn: AsyncConnection,
    delivery_id: int,
    worker: str,
    at: datetime,
    status: int | None,
    error: str,
    count_attempt: bool = True,
) -> None:
    await release(
        conn,
        deliveries,
        delivery_id,
        worker,
        count_attempt=count_attempt,
        next_attempt_at=at,
        last_status=status,
        last_error=error,
    )


async def count_by_state(conn: AsyncConnection) -> dict[str, int]:
    rows = await conn.execute(select(deliveries.c.state, func.count()).group_by(deliveries.c.state))
    return {state: int(n) for state, n in rows.all()}


async def activity_body(conn: AsyncConnection, uri: str) -> str | None:
    row = await conn.execute(
        select(outgoing_activities.c.body).where(outgoing_activities.c.uri == uri)
    )
    found = row.first()
    return None if found is None else str(found[0])


async def succeed_many(
    conn: AsyncConnection, ids_by_status: dict[int, list[int]], worker: str, now: datetime
) -> None:
    """Mark many deliveries done: one UPDATE per distinct status, not one per row."""
    for status, ids in ids_by_status.items():
        if not ids:
            continue
        await conn.execute(
            update(deliveries)
            .where(deliveries.c.id.in_(ids), deliveries.c.locked_by == worker)
            .values(
                state=DONE,
                finished_at=now,
                last_status=status,
                last_error=None,
                attempts=deliveries.c.attempts + 1,
                locked_by=None,
                locked_until=None,
            )
        )

"""The inbox queue: accepted activities, committed before we answer 202."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.engine import Dialect
from sqlalchemy.ext.asyncio import AsyncConnection

from .dialects import insert
from .queue import PENDING, claim, release
from .tables import inbox_items

DONE = "done"
FAILED = "failed"


@dataclass(frozen=True)
class NewInboxItem:
    activity_uri: str
    type: str
    actor: str
    recipient: str | None
    body: str
    received_at: datetime


@dataclass(frozen=True)
class InboxItem:
    id: int
    activity_uri: str
    type: str
    actor: str
    recipient: str | None
    body: str
    attempts: int
    received_at: datetime


def _row(item: NewInboxItem) -> dict[str, object]:
    return {
        "activity_uri": item.activity_uri,
        "type": item.type[:50],
        "actor": item.actor,
        "recipient": item.recipient,
        "body": item.body,
        "state": PENDING,
        "attempts": 0,
        "received_at": item.received_at,
        "next_attempt_at": item.received_at,
    }


async def enqueue(conn: AsyncConnection, items: Sequence[NewInboxItem]) -> set[str]:
    """Insert items, skipping activity ids already seen. Returns the ids newly inserted."""
    if not items:
        return set()
    rows = [_row(i) for i in items]
    stmt = (
        insert(conn, inbox_items)
        .on_conflict_do_nothing(index_elements=[inbox_items.c.activity_uri])
        .returning(inbox_items.c.activity_uri)
    )
    result = await conn.execute(stmt, rows)
    return {r[0] for r in result.all()}


_COLUMNS = (
    "activity_uri",
    "type",
    "actor",
    "recipient",
    "body",
    "state",
    "attempts",
    "received_at",
    "next_attempt_at",
)


def _insert_sql(dialect: Dialect) -> str:
    marks = (
        ", ".join(f"${n}" for n in range(1, len(_COLUMNS) + 1))
        if dialect.name == "postgresql"
        else ", ".join("?" for _ in _COLUMNS)
    )
    return (
        f"INSERT INTO inbox_items ({', '.join(_COLUMNS)}) VALUES ({marks}) "
        "ON CONFLICT (activity_uri) DO NOTHING"
    )


async def enqueue_batch(conn: AsyncConnection, items: Sequence[NewInboxItem]) -> list[None]:
    """For group commit: insert ``items``, skipping activity ids already queued.

    This is the hottest write of an instance, so it is one driver-level ``executemany``
    without SQL compilation; timestamps go through the column type's own bind processing,
    so they are stored exactly as every other query writes them.
    """
    if items:
        stamp = inbox_items.c.received_at.type.bind_processor(conn.dialect)
        rows = []
        for i in items:
            at = stamp(i.received_at) if stamp else i.received_at
            rows.append(
                (i.activity_uri, i.type[:50], i.actor, i.recipient, i.body, PENDING, 0, at, at)
            )
        sql = _insert_sql(conn.dialect)
        if conn.dialect.name == "sqlite":
            # Straight to the driver, inside the transaction the caller opened: the
            # sqlite3 module begins it implicitly and the caller's commit ends it.
            driver = (await conn.get_raw_connection()).driver_connection
            assert driver is not None
            await driver.executemany(sql, rows)
        else:
            await conn.exec_driver_sql(sql, rows)
    return [None] * len(items)


async def claim_due(
    conn: AsyncConnection, *, worker: str, now: datetime, lease: timedelta, limit: int
) -> list[InboxItem]:
    rows = await claim(conn, inbox_items, worker=worker, now=now, lease=lease, limit=limit)
    return [
        InboxItem(
            id=r.id,
            activity_uri=r.activity_uri,
            type=r.type,
            actor=r.actor,
            recipient=r.recipient,
            body=r.body,
            attempts=r.attempts,
            received_at=r.received_at,
        )
        for r in rows
    ]


async def finish(
    conn: AsyncConnection, item_id: int, worker: str, now: datetime, error: str | None = None
) -> None:
    await release(
        conn,
        inbox_items,
        item_id,
        worker,
        state=FAILED if error else DONE,
        processed_at=now,
        last_error=error,
    )


async def retry(conn: AsyncConnection, item_id: int, worker: str, at: datetime, error: str) -> None:
    await release(conn, inbox_items, item_id, worker, next_attempt_at=at, last_error=error)


async def count_by_state(conn: AsyncConnection) -> dict[str, int]:
    """Inbox items by state (pending | done | failed), for /metrics."""
    rows = await conn.execute(
        select(inbox_items.c.state, func.count()).group_by(inbox_items.c.state)
    )
    return {str(state): int(n) for state, n in rows.all()}

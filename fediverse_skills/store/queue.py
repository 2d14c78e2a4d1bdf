"""Claiming due rows from a durable queue table, with a lease.

A queue table has ``state``, ``next_attempt_at``, ``locked_until`` and ``locked_by``. A worker
claims due rows by writing its name and a lease expiry into them. On PostgreSQL the claim
uses ``FOR UPDATE SKIP LOCKED`` so that workers never wait for or take each other's rows;
SQLite serialises writers, so the same statement is atomic there. A worker that dies leaves
its lease to expire, and the rows become due again.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Row, Table, or_, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

PENDING = "pending"


async def claim(
    conn: AsyncConnection,
    table: Table,
    *,
    worker: str,
    now: datetime,
    lease: timedelta,
    limit: int,
    extra: Sequence[Any] = (),
) -> list[Row[Any]]:
    """Lease up to ``limit`` due rows to ``worker`` and return them."""
    c = table.c
    due = (
        select(c.id)
        .where(
            c.state == PENDING,
            c.next_attempt_at <= now,
            or_(c.locked_until.is_(None), c.locked_until < now),
            *extra,
        )
        .order_by(c.next_attempt_at, c.id)
        .limit(limit)
        .with_for_update(skip_locked=True)
        .scalar_subquery()
    )
    result = await conn.execute(
        update(table)
        .where(c.id.in_(due))
        .values(locked_by=worker, locked_until=now + lease)
        .returning(*table.c)
    )
    return list(result.all())


def held_by(table: Table, row_id: int, worker: str) -> Any:
    """A WHERE clause matching the row only while ``worker`` holds its lease."""
    return (table.c.id == row_id) & (table.c.locked_by == worker)


async def release(
    conn: AsyncConnection,
    table: Table,
    row_id: int,
    worker: str,
    *,
    count_attempt: bool = True,
    **values: Any,
) -> None:
    """End ``worker``'s lease on a row, setting ``values`` (a new state, a next attempt)
    and counting the attempt. A row whose lease was lost to another worker is left alone."""
    if "last_error" in values and values["last_error"] is not None:
        values["last_error"] = str(values["last_error"])[:2000]
    await conn.execute(
        update(table)
        .where(held_by(table, row_id, worker))
        .values(
            locked_by=None,
            locked_until=None,
            attempts=table.c.attempts + (1 if count_attempt else 0),
            **values,
        )
    )

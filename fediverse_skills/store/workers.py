"""Worker heartbeats: which background workers are alive, for /healthz and the admin."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import AsyncConnection

from .dialects import insert
from .tables import worker_heartbeats


@dataclass(frozen=True)
class Heartbeat:
    worker_id: str
    hostname: str
    pid: int
    started_at: datetime
    last_seen_at: datetime


async def beat(
    conn: AsyncConnection,
    *,
    worker_id: str,
    hostname: str,
    pid: int,
    started_at: datetime,
    now: datetime,
) -> None:
    """Record that a worker is alive (insert on first beat, update afterwards)."""
    values = {
        "worker_id": worker_id,
        "hostname": hostname,
        "pid": pid,
        "started_at": started_at,
        "last_seen_at": now,
    }
    stmt = (
        insert(conn, worker_heartbeats)
        .values(**values)
        .on_conflict_do_update(
            index_elements=[worker_heartbeats.c.worker_id], set_={"last_seen_at": now}
        )
    )
    await conn.execute(stmt)


async def forget(conn: AsyncConnection, worker_id: str) -> None:
    await conn.execute(delete(worker_heartbeats).where(worker_heartbeats.c.worker_id == worker_id))


async def prune(conn: AsyncConnection, older_than: datetime) -> int:
    result = await conn.execute(
        delete(worker_heartbeats).where(worker_heartbeats.c.last_seen_at < older_than)
    )
    return int(result.rowcount)


async def count_alive(conn: AsyncConnection, since: datetime) -> int:
    result = await conn.execute(
        select(func.count())
        .select_from(worker_heartbeats)
        .where(worker_heartbeats.c.last_seen_at >= since)
    )
    return int(result.scalar_one())


__all__ = ["Heartbeat", "beat", "count_alive", "forget", "prune"]

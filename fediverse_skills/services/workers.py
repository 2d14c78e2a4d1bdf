"""Bookkeeping for background workers: heartbeats that show they are alive."""

from __future__ import annotations

from datetime import UTC, datetime

from ..store import workers
from ..store.db import Database
from .health import WORKER_STALE_AFTER

# Heartbeat rows of workers gone for this long are removed.
PRUNE_AFTER = WORKER_STALE_AFTER * 60


async def heartbeat(
    db: Database, *, worker_id: str, hostname: str, pid: int, started_at: datetime
) -> None:
    now = datetime.now(UTC)
    async with db.transaction() as conn:
        await workers.beat(
            conn, worker_id=worker_id, hostname=hostname, pid=pid, started_at=started_at, now=now
        )
        await workers.prune(conn, now - PRUNE_AFTER)


async def stopped(db: Database, worker_id: str) -> None:
    async with db.transaction() as conn:
        await workers.forget(conn, worker_id)

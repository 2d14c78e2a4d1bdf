"""Health of the instance: is the database answering, and are workers alive."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from ..store import workers
from ..store.db import Database, DatabaseUnavailable

# A worker that has not beaten for this long is considered gone.
WORKER_STALE_AFTER = timedelta(seconds=60)


@dataclass(frozen=True)
class Health:
    ok: bool
    database: str  # "ok" or the reason it is not
    workers_alive: int | None


async def check(db: Database) -> Health:
    try:
        await db.ping()
        async with db.connection() as conn:
            alive = await workers.count_alive(conn, datetime.now(UTC) - WORKER_STALE_AFTER)
    except DatabaseUnavailable as exc:
        return Health(ok=False, database=str(exc), workers_alive=None)
    return Health(ok=True, database="ok", workers_alive=alive)

"""Per-host delivery state: the circuit breaker and the signature scheme a host accepts."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection

from .dialects import insert
from .tables import hosts


@dataclass(frozen=True)
class HostState:
    host: str
    consecutive_failures: int
    open_until: datetime | None
    signature_scheme: str | None


async def get_many(conn: AsyncConnection, names: set[str]) -> dict[str, HostState]:
    if not names:
        return {}
    rows = await conn.execute(select(hosts).where(hosts.c.host.in_(names)))
    return {
        r.host: HostState(r.host, r.consecutive_failures, r.open_until, r.signature_scheme)
        for r in rows
    }


async def _upsert(conn: AsyncConnection, host: str, values: dict[str, object]) -> None:
    base = {"host": host, "consecutive_failures": 0}
    stmt = insert(conn, hosts).values({**base, **values})
    await conn.execute(stmt.on_conflict_do_update(index_elements=[hosts.c.host], set_=values))


async def record_success(
    conn: AsyncConnection, host: str, now: datetime, scheme: str | None = None
) -> None:
    values: dict[str, object] = {
        "consecutive_failures": 0,
        "open_until": None,
        "last_success_at": now,
    }
    if scheme is not None:
        values["signature_scheme"] = scheme
    await _upsert(conn, host, values)


async def record_failure(
    conn: AsyncConnection, host: str, now: datetime, failures: int, open_until: datetime | None
) -> None:
    await _upsert(
        conn,
        host,
        {
            "consecutive_failures": failures,
            "open_until": open_until,
            "last_failure_at": now,
        },
    )


async def open_breakers(conn: AsyncConnection, now: datetime) -> list[tuple[str, int]]:
    """Hosts whose circuit breaker is open now, with their consecutive failures."""
    rows = await conn.execute(
        select(hosts.c.host, hosts.c.consecutive_failures)
        .where(hosts.c.open_until > now)
        .order_by(hosts.c.host)
    )
    return [(str(h), int(n)) for h, n in rows.all()]

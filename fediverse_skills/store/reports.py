"""Reports (Flag activities) received from other servers or made by members."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from .dialects import insert
from .tables import reports


@dataclass(frozen=True)
class Report:
    id: int
    uri: str
    reporter: str
    targets: list[str]
    content: str
    created_at: datetime
    resolved_at: datetime | None


async def add(
    conn: AsyncConnection,
    *,
    uri: str,
    reporter: str,
    targets: list[str],
    content: str,
    now: datetime,
) -> bool:
    """Store a report once per URI; False when it was already stored."""
    result = await conn.execute(
        insert(conn, reports)
        .values(
            uri=uri, reporter=reporter, targets=json.dumps(targets), content=content, created_at=now
        )
        .on_conflict_do_nothing()
    )
    return bool(result.rowcount)


async def listing(conn: AsyncConnection, *, unresolved: bool, limit: int = 100) -> list[Report]:
    query = select(reports).order_by(reports.c.created_at.desc()).limit(limit)
    if unresolved:
        query = query.where(reports.c.resolved_at.is_(None))
    rows = await conn.execute(query)
    return [Report(**{**r._asdict(), "targets": list(json.loads(r.targets))}) for r in rows]


async def resolve(conn: AsyncConnection, report_id: int, now: datetime) -> bool:
    result = await conn.execute(
        update(reports)
        .where(reports.c.id == report_id, reports.c.resolved_at.is_(None))
        .values(resolved_at=now)
    )
    return bool(result.rowcount)

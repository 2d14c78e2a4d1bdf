"""Domain blocks: hosts (and their subdomains) this instance does not federate with."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection

from .dialects import insert
from .tables import domain_blocks


async def add(conn: AsyncConnection, domain: str, reason: str, now: datetime) -> None:
    await conn.execute(
        insert(conn, domain_blocks)
        .values(domain=domain, reason=reason, created_at=now)
        .on_conflict_do_nothing()
    )


async def all_domains(conn: AsyncConnection) -> set[str]:
    return {r[0] for r in await conn.execute(select(domain_blocks.c.domain))}

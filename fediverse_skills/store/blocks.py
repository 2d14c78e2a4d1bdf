"""Blocks: domains this instance does not federate with, and people a user blocked."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncConnection

from .dialects import insert
from .tables import actor_blocks, domain_blocks


async def add(conn: AsyncConnection, domain: str, reason: str, now: datetime) -> None:
    await conn.execute(
        insert(conn, domain_blocks)
        .values(domain=domain, reason=reason, created_at=now)
        .on_conflict_do_nothing()
    )


async def all_domains(conn: AsyncConnection) -> set[str]:
    return {r[0] for r in await conn.execute(select(domain_blocks.c.domain))}


@dataclass(frozen=True)
class DomainBlock:
    domain: str
    reason: str
    created_at: datetime


async def listing(conn: AsyncConnection) -> list[DomainBlock]:
    """Every blocked domain with its reason, alphabetically."""
    rows = await conn.execute(select(domain_blocks).order_by(domain_blocks.c.domain))
    return [DomainBlock(**r._asdict()) for r in rows]


async def remove(conn: AsyncConnection, domain: str) -> bool:
    result = await conn.execute(delete(domain_blocks).where(domain_blocks.c.domain == domain))
    return bool(result.rowcount)


async def add_actor(conn: AsyncConnection, user_id: int, actor: str, now: datetime) -> None:
    """``user_id`` blocks ``actor`` (an actor URI)."""
    await conn.execute(
        insert(conn, actor_blocks)
        .values(user_id=user_id, actor=actor, created_at=now)
        .on_conflict_do_nothing()
    )


async def remove_actor(conn: AsyncConnection, user_id: int, actor: str) -> bool:
    result = await conn.execute(
        delete(actor_blocks).where(actor_blocks.c.user_id == user_id, actor_blocks.c.actor == actor)
    )
    return bool(result.rowcount)


async def actor_blocked(conn: AsyncConnection, user_id: int, actor: str) -> bool:
    row = (
        await conn.execute(
            select(actor_blocks.c.id).where(
                actor_blocks.c.user_id == user_id, actor_blocks.c.actor == actor
            )
        )
    ).first()
    return row is not None


async def blocked_actors(conn: AsyncConnection, user_id: int) -> list[str]:
    rows = await conn.execute(select(actor_blocks.c.actor).where(actor_blocks.c.user_id == user_id))
    return [r[0] for r in rows]


async def blocking(conn: AsyncConnection, actor: str, user_ids: Iterable[int]) -> set[int]:
    """Which of ``user_ids`` have blocked ``actor``."""
    listed = sorted(set(user_ids))
    found: set[int] = set()
    for start in range(0, len(listed), 500):
        rows = await conn.execute(
            select(actor_blocks.c.user_id).where(
                actor_blocks.c.actor == actor,
                actor_blocks.c.user_id.in_(listed[start : start + 500]),
            )
        )
        found.update(int(r[0]) for r in rows)
    return found

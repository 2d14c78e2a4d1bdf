"""Invite codes for invite-only sign-up."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import insert, or_, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from .tables import invites


@dataclass(frozen=True)
class Invite:
    code: str
    created_by: int | None
    created_at: datetime
    expires_at: datetime | None
    used_by: int | None
    used_at: datetime | None


async def add(
    conn: AsyncConnection,
    code: str,
    created_by: int | None,
    now: datetime,
    expires_at: datetime | None,
) -> None:
    await conn.execute(
        insert(invites).values(
            code=code, created_by=created_by, created_at=now, expires_at=expires_at
        )
    )


async def claim(conn: AsyncConnection, code: str, user_id: int, now: datetime) -> bool:
    """Mark an unused, unexpired invite as used by ``user_id``; False if there is none."""
    result = await conn.execute(
        update(invites)
        .where(
            invites.c.code == code,
            invites.c.used_by.is_(None),
            invites.c.used_at.is_(None),
            or_(invites.c.expires_at.is_(None), invites.c.expires_at > now),
        )
        .values(used_by=user_id, used_at=now)
    )
    return bool(result.rowcount)


async def usable(conn: AsyncConnection, code: str, now: datetime) -> bool:
    row = (
        await conn.execute(
            select(invites.c.code).where(
                invites.c.code == code,
                invites.c.used_at.is_(None),
                or_(invites.c.expires_at.is_(None), invites.c.expires_at > now),
            )
        )
    ).first()
    return row is not None


async def recent(conn: AsyncConnection, limit: int = 50) -> list[Invite]:
    rows = await conn.execute(select(invites).order_by(invites.c.created_at.desc()).limit(limit))
    return [Invite(**r._asdict()) for r in rows]

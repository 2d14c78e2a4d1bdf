"""Notifications: what a local user should see (a suggestion arrived, a skill was endorsed)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import insert, select
from sqlalchemy.ext.asyncio import AsyncConnection

from .tables import notifications


@dataclass(frozen=True)
class Notification:
    id: int
    user_id: int
    kind: str
    actor: str
    subject: str
    created_at: datetime


async def add(
    conn: AsyncConnection, *, user_id: int, kind: str, actor: str, subject: str, now: datetime
) -> None:
    await conn.execute(
        insert(notifications).values(
            user_id=user_id, kind=kind, actor=actor, subject=subject, created_at=now
        )
    )


async def of_user(conn: AsyncConnection, user_id: int, *, limit: int = 100) -> list[Notification]:
    rows = await conn.execute(
        select(notifications)
        .where(notifications.c.user_id == user_id)
        .order_by(notifications.c.id.desc())
        .limit(limit)
    )
    return [Notification(**r._asdict()) for r in rows]

"""Uploaded media (avatars), kept in the database so every worker and machine serves them."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, insert, select
from sqlalchemy.ext.asyncio import AsyncConnection

from .tables import media


async def add(
    conn: AsyncConnection,
    *,
    name: str,
    user_id: int,
    content_type: str,
    data: bytes,
    now: datetime,
) -> None:
    await conn.execute(
        insert(media).values(
            name=name, user_id=user_id, content_type=content_type, data=data, created_at=now
        )
    )


async def get(conn: AsyncConnection, name: str) -> tuple[str, bytes] | None:
    row = (
        await conn.execute(select(media.c.content_type, media.c.data).where(media.c.name == name))
    ).one_or_none()
    return None if row is None else (str(row.content_type), bytes(row.data))


async def remove(conn: AsyncConnection, name: str) -> None:
    await conn.execute(delete(media).where(media.c.name == name))

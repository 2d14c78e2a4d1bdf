"""Notes written by local users."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, func, insert, select, true
from sqlalchemy.ext.asyncio import AsyncConnection

from .tables import notes


@dataclass(frozen=True)
class Note:
    id: int
    public_id: str
    user_id: int
    content: str
    published_at: datetime
    kind: str = "note"
    skill_key: str | None = None
    public: bool = True
    document: str | None = None


async def add(
    conn: AsyncConnection,
    *,
    public_id: str,
    user_id: int,
    content: str,
    now: datetime,
    kind: str = "note",
    skill_key: str | None = None,
    public: bool = True,
    document: str | None = None,
) -> Note:
    row = (
        await conn.execute(
            insert(notes)
            .values(
                public_id=public_id,
                user_id=user_id,
                content=content,
                published_at=now,
                kind=kind,
                skill_key=skill_key,
                public=public,
                document=document,
            )
            .returning(*notes.c)
        )
    ).one()
    return Note(**row._asdict())


async def of_skill(conn: AsyncConnection, user_id: int, skill_key: str) -> Note | None:
    """The newest public note announcing this skill, if any."""
    row = (
        await conn.execute(
            select(notes)
            .where(
                notes.c.user_id == user_id, notes.c.kind == "skill", notes.c.skill_key == skill_key
            )
            .order_by(notes.c.id.desc())
            .limit(1)
        )
    ).one_or_none()
    return None if row is None else Note(**row._asdict())


async def remove(conn: AsyncConnection, note_id: int) -> None:
    await conn.execute(delete(notes).where(notes.c.id == note_id))


async def get(conn: AsyncConnection, user_id: int, public_id: str) -> Note | None:
    row = (
        await conn.execute(
            select(notes).where(notes.c.user_id == user_id, notes.c.public_id == public_id)
        )
    ).one_or_none()
    return None if row is None else Note(**row._asdict())


async def page(conn: AsyncConnection, user_id: int, *, offset: int, limit: int) -> list[Note]:
    rows = await conn.execute(
        select(notes)
        .where(notes.c.user_id == user_id, notes.c.public == true())
        .order_by(notes.c.id.desc())
        .offset(offset)
        .limit(limit)
    )
    return [Note(**r._asdict()) for r in rows]


async def of_kind(conn: AsyncConnection, user_id: int, kind: str, *, limit: int) -> list[Note]:
    rows = await conn.execute(
        select(notes)
        .where(notes.c.user_id == user_id, notes.c.kind == kind, notes.c.public == true())
        .order_by(notes.c.id.desc())
        .limit(limit)
    )
    return [Note(**r._asdict()) for r in rows]


async def count(conn: AsyncConnection, user_id: int | None = None) -> int:
    stmt = select(func.count()).select_from(notes).where(notes.c.public == true())
    if user_id is not None:
        stmt = stmt.where(notes.c.user_id == user_id)
    return int((await conn.execute(stmt)).scalar_one())

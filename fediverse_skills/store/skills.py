"""Skills on local profiles."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import AsyncConnection

from .dialects import insert
from .tables import skills


@dataclass(frozen=True)
class SkillRow:
    id: int
    user_id: int
    key: str
    name: str
    hashtag: str | None
    taxonomy: str | None
    suggested_by: str | None
    suggested_at: datetime | None
    suggestion: str | None
    created_at: datetime


async def add(
    conn: AsyncConnection,
    *,
    user_id: int,
    key: str,
    name: str,
    hashtag: str | None,
    taxonomy: str | None,
    now: datetime,
    suggested_by: str | None = None,
    suggested_at: datetime | None = None,
    suggestion: str | None = None,
) -> SkillRow | None:
    """Add a skill; None if the user already has one with this key."""
    row = (
        await conn.execute(
            insert(conn, skills)
            .values(
                user_id=user_id,
                key=key,
                name=name,
                hashtag=hashtag,
                taxonomy=taxonomy,
                suggested_by=suggested_by,
                suggested_at=suggested_at,
                suggestion=suggestion,
                created_at=now,
            )
            .on_conflict_do_nothing()
            .returning(*skills.c)
        )
    ).one_or_none()
    return None if row is None else SkillRow(**row._asdict())


async def get(conn: AsyncConnection, user_id: int, key: str) -> SkillRow | None:
    row = (
        await conn.execute(select(skills).where(skills.c.user_id == user_id, skills.c.key == key))
    ).one_or_none()
    return None if row is None else SkillRow(**row._asdict())


async def of_user(
    conn: AsyncConnection, user_id: int, *, offset: int = 0, limit: int | None = None
) -> list[SkillRow]:
    stmt = select(skills).where(skills.c.user_id == user_id).order_by(skills.c.id).offset(offset)
    if limit is not None:
        stmt = stmt.limit(limit)
    return [SkillRow(**r._asdict()) for r in await conn.execute(stmt)]


async def count(conn: AsyncConnection, user_id: int) -> int:
    stmt = select(func.count()).select_from(skills).where(skills.c.user_id == user_id)
    return int((await conn.execute(stmt)).scalar_one())


async def remove(conn: AsyncConnection, user_id: int, key: str) -> bool:
    result = await conn.execute(
        delete(skills).where(skills.c.user_id == user_id, skills.c.key == key)
    )
    return bool(result.rowcount)


async def name_for_hashtag(conn: AsyncConnection, tag: str) -> str | None:
    """The display name most skills with this hashtag (case ignored) have, if any."""
    row = (
        await conn.execute(
            select(skills.c.name, func.count().label("n"))
            .where(func.lower(skills.c.hashtag) == tag.lower())
            .group_by(skills.c.name)
            .order_by(func.count().desc(), skills.c.name)
            .limit(1)
        )
    ).first()
    return None if row is None else str(row[0])

"""Skills on local profiles."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import case, delete, func, select
from sqlalchemy.ext.asyncio import AsyncConnection

from .dialects import insert
from .tables import endorsements, skills, users


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


@dataclass(frozen=True)
class Holder:
    """A person on this instance with a skill that matched a search."""

    username: str
    display_name: str
    skill: str  # the skill's display name
    endorsements: int


async def holders(
    conn: AsyncConnection, key: str | None, text: str, *, limit: int = 20
) -> list[Holder]:
    """Active people with a skill whose key is ``key`` or whose key or name contains
    ``text`` (``%`` and ``_`` in it are literal). Exact key matches come first, then the
    skills with the most endorsements, then by username."""
    count = (
        select(func.count())
        .select_from(endorsements)
        .where(
            endorsements.c.subject_user_id == skills.c.user_id,
            endorsements.c.skill_key == skills.c.key,
        )
        .scalar_subquery()
    )
    matches = skills.c.key.contains(text.casefold(), autoescape=True) | func.lower(
        skills.c.name
    ).contains(text.lower(), autoescape=True)
    exact = skills.c.key == key if key is not None else None
    if exact is not None:
        matches = matches | exact
    endorsed = count.label("endorsed")
    stmt = (
        select(users.c.username, users.c.display_name, skills.c.name, endorsed)
        .select_from(skills)
        .join(users, users.c.id == skills.c.user_id)
        .where(users.c.suspended_at.is_(None), matches)
        .order_by(
            *([case((exact, 0), else_=1)] if exact is not None else []),
            endorsed.desc(),
            users.c.username,
            skills.c.key,
        )
        .limit(limit)
    )
    return [Holder(r[0], r[1], r[2], int(r[3])) for r in await conn.execute(stmt)]


async def of_users(conn: AsyncConnection, user_ids: Iterable[int]) -> dict[int, list[SkillRow]]:
    """The skills of each of ``user_ids`` (those without any are absent), oldest first."""
    listed = sorted(set(user_ids))
    found: dict[int, list[SkillRow]] = {}
    for start in range(0, len(listed), 500):
        rows = await conn.execute(
            select(skills)
            .where(skills.c.user_id.in_(listed[start : start + 500]))
            .order_by(skills.c.user_id, skills.c.id)
        )
        for r in rows:
            found.setdefault(int(r.user_id), []).append(SkillRow(**r._asdict()))
    return found

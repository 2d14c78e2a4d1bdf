"""Work opportunities: our people's postings and those received from other servers."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, delete, func, insert, or_, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from .tables import opportunities, opportunity_skills, users


@dataclass(frozen=True)
class NeededSkill:
    key: str
    name: str
    required: bool


@dataclass(frozen=True)
class NewOpportunity:
    public_id: str | None
    uri: str
    author: str
    user_id: int | None
    title: str
    description: str
    kind: str
    remote: bool
    place: str
    pay: str
    contact_url: str
    state: str
    expires_at: datetime | None
    created_at: datetime
    updated_at: datetime
    document: str | None


@dataclass(frozen=True)
class OpportunityRow(NewOpportunity):
    id: int
    expiry_sent_at: datetime | None
    skills: tuple[NeededSkill, ...] = ()

    @property
    def required(self) -> list[NeededSkill]:
        return [s for s in self.skills if s.required]

    @property
    def nice(self) -> list[NeededSkill]:
        return [s for s in self.skills if not s.required]


async def _with_skills(
    conn: AsyncConnection, rows: list[dict[str, object]]
) -> list[OpportunityRow]:
    if not rows:
        return []
    ids = [r["id"] for r in rows]
    found: dict[object, list[NeededSkill]] = {i: [] for i in ids}
    listed = await conn.execute(
        select(opportunity_skills)
        .where(opportunity_skills.c.opportunity_id.in_(ids))
        .order_by(opportunity_skills.c.required.desc(), opportunity_skills.c.position)
    )
    for s in listed:
        found[s.opportunity_id].append(NeededSkill(s.key, s.name, bool(s.required)))
    return [OpportunityRow(**r, skills=tuple(found[r["id"]])) for r in rows]  # type: ignore[arg-type]


async def _set_skills(
    conn: AsyncConnection, opportunity_id: int, skills: Iterable[NeededSkill]
) -> None:
    await conn.execute(
        delete(opportunity_skills).where(opportunity_skills.c.opportunity_id == opportunity_id)
    )
    values = [
        {
            "opportunity_id": opportunity_id,
            "key": s.key,
            "name": s.name,
            "required": s.required,
            "position": i,
        }
        for i, s in enumerate(skills)
    ]
    if values:
        await conn.execute(insert(opportunity_skills), values)


async def add(
    conn: AsyncConnection, new: NewOpportunity, skills: Iterable[NeededSkill]
) -> OpportunityRow:
    result = await conn.execute(
        insert(opportunities).values(**new.__dict__).returning(opportunities.c.id)
    )
    new_id = int(result.scalar_one())
    await _set_skills(conn, new_id, skills)
    found = await get_by_id(conn, new_id)
    assert found is not None
    return found


async def replace(
    conn: AsyncConnection,
    opportunity_id: int,
    values: dict[str, object],
    skills: Iterable[NeededSkill] | None,
) -> OpportunityRow | None:
    """Change the stored posting (and, when given, its skills)."""
    if values:
        await conn.execute(
            update(opportunities).where(opportunities.c.id == opportunity_id).values(**values)
        )
    if skills is not None:
        await _set_skills(conn, opportunity_id, skills)
    return await get_by_id(conn, opportunity_id)


async def get_by_id(conn: AsyncConnection, opportunity_id: int) -> OpportunityRow | None:
    row = (
        await conn.execute(select(opportunities).where(opportunities.c.id == opportunity_id))
    ).one_or_none()
    return None if row is None else (await _with_skills(conn, [row._asdict()]))[0]


async def get(conn: AsyncConnection, public_id: str) -> OpportunityRow | None:
    row = (
        await conn.execute(select(opportunities).where(opportunities.c.public_id == public_id))
    ).one_or_none()
    return None if row is None else (await _with_skills(conn, [row._asdict()]))[0]


async def by_uri(conn: AsyncConnection, uri: str) -> OpportunityRow | None:
    row = (
        await conn.execute(select(opportunities).where(opportunities.c.uri == uri))
    ).one_or_none()
    return None if row is None else (await _with_skills(conn, [row._asdict()]))[0]


async def remove(conn: AsyncConnection, opportunity_id: int) -> None:
    await conn.execute(delete(opportunities).where(opportunities.c.id == opportunity_id))


def _not_suspended() -> ColumnElement[bool]:
    """Received postings, and ours whose poster is not suspended (a suspended member's
    postings are hidden until the suspension is lifted)."""
    suspended = select(users.c.id).where(users.c.suspended_at.is_not(None))
    return or_(opportunities.c.user_id.is_(None), opportunities.c.user_id.not_in(suspended))


async def board(
    conn: AsyncConnection,
    *,
    now: datetime,
    skill: str | None = None,
    kind: str | None = None,
    remote: bool | None = None,
    place: str | None = None,
    authors: Iterable[str] | None = None,
    user_id: int | None = None,
    include_closed: bool = False,
    limit: int = 50,
    offset: int = 0,
) -> list[OpportunityRow]:
    """Postings, newest first, filtered. Closed and expired ones only with include_closed.
    Never those of suspended members."""
    query = select(opportunities).where(_not_suspended())
    if not include_closed:
        query = query.where(
            opportunities.c.state == "open",
            or_(opportunities.c.expires_at.is_(None), opportunities.c.expires_at > now),
        )
    if skill is not None:
        query = query.where(
            opportunities.c.id.in_(
                select(opportunity_skills.c.opportunity_id).where(opportunity_skills.c.key == skill)
            )
        )
    if kind is not None:
        query = query.where(opportunities.c.kind == kind)
    if remote is not None:
        query = query.where(opportunities.c.remote == remote)
    if place is not None:
        query = query.where(
            func.lower(opportunities.c.place).contains(place.lower(), autoescape=True)
        )
    if authors is not None:
        listed = list(authors)
        if not listed:
            return []
        query = query.where(opportunities.c.author.in_(listed))
    if user_id is not None:
        query = query.where(opportunities.c.user_id == user_id)
    rows = await conn.execute(
        query.order_by(opportunities.c.created_at.desc(), opportunities.c.id.desc())
        .limit(limit)
        .offset(offset)
    )
    return await _with_skills(conn, [r._asdict() for r in rows])


async def with_skills(
    conn: AsyncConnection, keys: Iterable[str], *, now: datetime, limit: int = 500
) -> list[OpportunityRow]:
    """Live postings that need any of ``keys`` (for "opportunities for me"); never those
    of suspended members."""
    wanted = list(keys)
    if not wanted:
        return []
    rows = await conn.execute(
        select(opportunities)
        .where(
            _not_suspended(),
            opportunities.c.state == "open",
            or_(opportunities.c.expires_at.is_(None), opportunities.c.expires_at > now),
            opportunities.c.id.in_(
                select(opportunity_skills.c.opportunity_id).where(
                    opportunity_skills.c.key.in_(wanted)
                )
            ),
        )
        .order_by(opportunities.c.created_at.desc())
        .limit(limit)
    )
    return await _with_skills(conn, [r._asdict() for r in rows])


async def live_authors(conn: AsyncConnection, *, now: datetime) -> set[str]:
    """Who has a live posting (to narrow "in my network" to people who post)."""
    rows = await conn.execute(
        select(opportunities.c.author)
        .where(
            opportunities.c.state == "open",
            or_(opportunities.c.expires_at.is_(None), opportunities.c.expires_at > now),
        )
        .distinct()
    )
    return {r[0] for r in rows}


async def expired_unsent(conn: AsyncConnection, now: datetime, *, limit: int = 100) -> list[int]:
    """Our postings that expired and whose expiry was not announced yet."""
    rows = await conn.execute(
        select(opportunities.c.id)
        .where(
            opportunities.c.user_id.is_not(None),
            opportunities.c.state == "open",
            opportunities.c.expires_at <= now,
            opportunities.c.expiry_sent_at.is_(None),
        )
        .limit(limit)
    )
    return [int(r[0]) for r in rows]


async def mark_expiry_sent(conn: AsyncConnection, opportunity_id: int, now: datetime) -> bool:
    result = await conn.execute(
        update(opportunities)
        .where(opportunities.c.id == opportunity_id, opportunities.c.expiry_sent_at.is_(None))
        .values(expiry_sent_at=now)
    )
    return bool(result.rowcount)

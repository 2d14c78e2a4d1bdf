"""Endorsements of skills: of local people's skills (received) and by local people (sent)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import AsyncConnection

from .dialects import insert
from .tables import endorsements


@dataclass(frozen=True)
class NewEndorsement:
    public_id: str
    uri: str
    subject: str
    subject_user_id: int | None
    skill_key: str
    endorser: str
    endorser_user_id: int | None
    kind: str
    attestation: str
    comment: str
    document: str
    created_at: datetime


@dataclass(frozen=True)
class EndorsementRow(NewEndorsement):
    id: int


async def add(conn: AsyncConnection, new: NewEndorsement) -> EndorsementRow | None:
    """Store an endorsement; None if this endorser already endorsed this skill (or the
    same URI is known): one per person and skill."""
    row = (
        await conn.execute(
            insert(conn, endorsements)
            .values(**new.__dict__)
            .on_conflict_do_nothing()
            .returning(*endorsements.c)
        )
    ).one_or_none()
    return None if row is None else EndorsementRow(**row._asdict())


async def get(conn: AsyncConnection, public_id: str) -> EndorsementRow | None:
    row = (
        await conn.execute(select(endorsements).where(endorsements.c.public_id == public_id))
    ).one_or_none()
    return None if row is None else EndorsementRow(**row._asdict())


async def by_uri(conn: AsyncConnection, uri: str) -> EndorsementRow | None:
    row = (await conn.execute(select(endorsements).where(endorsements.c.uri == uri))).one_or_none()
    return None if row is None else EndorsementRow(**row._asdict())


async def find(
    conn: AsyncConnection, *, endorser: str, subject: str, skill_key: str
) -> EndorsementRow | None:
    row = (
        await conn.execute(
            select(endorsements).where(
                endorsements.c.endorser == endorser,
                endorsements.c.subject == subject,
                endorsements.c.skill_key == skill_key,
            )
        )
    ).one_or_none()
    return None if row is None else EndorsementRow(**row._asdict())


async def of_skill(conn: AsyncConnection, user_id: int, skill_key: str) -> list[EndorsementRow]:
    rows = await conn.execute(
        select(endorsements)
        .where(endorsements.c.subject_user_id == user_id, endorsements.c.skill_key == skill_key)
        .order_by(endorsements.c.id)
    )
    return [EndorsementRow(**r._asdict()) for r in rows]


async def documents_of_user(conn: AsyncConnection, user_id: int) -> list[tuple[str, str]]:
    """(skill key, document) of every endorsement of the user's skills: the AS2 fast path
    reads only these two columns."""
    rows = await conn.execute(
        select(endorsements.c.skill_key, endorsements.c.document)
        .where(endorsements.c.subject_user_id == user_id)
        .order_by(endorsements.c.subject_user_id, endorsements.c.skill_key, endorsements.c.id)
    )
    return [(r[0], r[1]) for r in rows]


@dataclass(frozen=True)
class Shown:
    """What a profile shows of an endorsement (no document)."""

    uri: str
    skill_key: str
    endorser: str
    kind: str
    attestation: str
    comment: str
    created_at: datetime


async def shown_of_user(conn: AsyncConnection, user_id: int) -> list[Shown]:
    """Every endorsement of the user's skills, as a profile shows them, oldest first per
    skill (in the index's order, without reading the documents)."""
    rows = await conn.execute(
        select(
            endorsements.c.uri,
            endorsements.c.skill_key,
            endorsements.c.endorser,
            endorsements.c.kind,
            endorsements.c.attestation,
            endorsements.c.comment,
            endorsements.c.created_at,
        )
        .where(endorsements.c.subject_user_id == user_id)
        .order_by(endorsements.c.subject_user_id, endorsements.c.skill_key, endorsements.c.id)
    )
    return [Shown(*r) for r in rows]


async def count_of_user(conn: AsyncConnection, user_id: int) -> int:
    stmt = (
        select(func.count())
        .select_from(endorsements)
        .where(endorsements.c.subject_user_id == user_id)
    )
    return int((await conn.execute(stmt)).scalar_one())


async def remove(conn: AsyncConnection, endorsement_id: int) -> bool:
    result = await conn.execute(delete(endorsements).where(endorsements.c.id == endorsement_id))
    return bool(result.rowcount)


async def endorser_ids_of_skill(conn: AsyncConnection, user_id: int, skill_key: str) -> set[int]:
    """The ids of the local people who endorsed the user's skill (whose rows removing
    its endorsements also bumps)."""
    rows = await conn.execute(
        select(endorsements.c.endorser_user_id)
        .where(
            endorsements.c.subject_user_id == user_id,
            endorsements.c.skill_key == skill_key,
            endorsements.c.endorser_user_id.is_not(None),
        )
        .distinct()
    )
    return {int(r[0]) for r in rows}


async def remove_of_skill(conn: AsyncConnection, user_id: int, skill_key: str) -> int:
    result = await conn.execute(
        delete(endorsements).where(
            endorsements.c.subject_user_id == user_id, endorsements.c.skill_key == skill_key
        )
    )
    return int(result.rowcount)


async def endorsed_local(conn: AsyncConnection, endorser: str) -> bool:
    """Whether ``endorser`` endorsed a skill of one of our people."""
    row = (
        await conn.execute(
            select(endorsements.c.id)
            .where(endorsements.c.endorser == endorser, endorsements.c.subject_user_id.is_not(None))
            .limit(1)
        )
    ).first()
    return row is not None

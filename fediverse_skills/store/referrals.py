"""Referrals: one row per Invite on each server that has a part in it (the referrer's, the
candidate's, the poster's; one row when they share a server)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from .dialects import insert
from .tables import referrals

PENDING = "pending"
ACCEPTED = "accepted"
DECLINED = "declined"


@dataclass(frozen=True)
class NewReferral:
    public_id: str
    uri: str  # the Invite's id
    opportunity: str  # the posting's URI
    poster: str
    title: str
    referrer: str
    referrer_user_id: int | None
    candidate: str
    candidate_user_id: int | None
    poster_user_id: int | None  # set only once the candidate accepted
    comment: str
    state: str
    document: str | None  # the signed Invite
    created_at: datetime
    decided_at: datetime | None


@dataclass(frozen=True)
class ReferralRow(NewReferral):
    id: int


async def add(conn: AsyncConnection, new: NewReferral) -> ReferralRow | None:
    """Store a referral; None if one with the same Invite id exists."""
    row = (
        await conn.execute(
            insert(conn, referrals)
            .values(**new.__dict__)
            .on_conflict_do_nothing()
            .returning(*referrals.c)
        )
    ).one_or_none()
    return None if row is None else ReferralRow(**row._asdict())


async def get(conn: AsyncConnection, public_id: str) -> ReferralRow | None:
    row = (
        await conn.execute(select(referrals).where(referrals.c.public_id == public_id))
    ).one_or_none()
    return None if row is None else ReferralRow(**row._asdict())


async def by_uri(conn: AsyncConnection, uri: str) -> ReferralRow | None:
    row = (await conn.execute(select(referrals).where(referrals.c.uri == uri))).one_or_none()
    return None if row is None else ReferralRow(**row._asdict())


async def pending_between(
    conn: AsyncConnection, *, referrer: str, candidate: str, opportunity: str
) -> ReferralRow | None:
    """The pending referral of ``candidate`` to this posting by ``referrer``, if any."""
    row = (
        await conn.execute(
            select(referrals).where(
                referrals.c.referrer == referrer,
                referrals.c.candidate == candidate,
                referrals.c.opportunity == opportunity,
                referrals.c.state == PENDING,
            )
        )
    ).first()
    return None if row is None else ReferralRow(**row._asdict())


async def received(
    conn: AsyncConnection, user_id: int, *, state: str | None, limit: int = 200
) -> list[ReferralRow]:
    """Referrals of ``user_id`` (the candidate), newest first."""
    query = select(referrals).where(referrals.c.candidate_user_id == user_id)
    if state is not None:
        query = query.where(referrals.c.state == state)
    rows = await conn.execute(query.order_by(referrals.c.id.desc()).limit(limit))
    return [ReferralRow(**r._asdict()) for r in rows]


async def sent(
    conn: AsyncConnection, user_id: int, *, state: str | None, limit: int = 200
) -> list[ReferralRow]:
    """Referrals ``user_id`` made, newest first."""
    query = select(referrals).where(referrals.c.referrer_user_id == user_id)
    if state is not None:
        query = query.where(referrals.c.state == state)
    rows = await conn.execute(query.order_by(referrals.c.id.desc()).limit(limit))
    return [ReferralRow(**r._asdict()) for r in rows]


async def posted(conn: AsyncConnection, user_id: int, *, limit: int = 200) -> list[ReferralRow]:
    """Accepted referrals to ``user_id``'s postings, newest decision first. Pending and
    declined ones never reach a poster."""
    rows = await conn.execute(
        select(referrals)
        .where(referrals.c.poster_user_id == user_id, referrals.c.state == ACCEPTED)
        .order_by(referrals.c.decided_at.desc(), referrals.c.id.desc())
        .limit(limit)
    )
    return [ReferralRow(**r._asdict()) for r in rows]


async def set_state(
    conn: AsyncConnection, referral_id: int, *, expected: str, state: str, now: datetime
) -> bool:
    """Move a referral from ``expected`` to ``state``; False if it was not in ``expected``."""
    result = await conn.execute(
        update(referrals)
        .where(referrals.c.id == referral_id, referrals.c.state == expected)
        .values(state=state, decided_at=now)
    )
    return bool(result.rowcount)


async def introduce(
    conn: AsyncConnection, referral_id: int, *, poster_user_id: int, decided_at: datetime
) -> bool:
    """Show an accepted (or just accepted) referral to the poster; False if it was shown
    already or was declined."""
    result = await conn.execute(
        update(referrals)
        .where(
            referrals.c.id == referral_id,
            referrals.c.poster_user_id.is_(None),
            referrals.c.state != DECLINED,
        )
        .values(
            poster_user_id=poster_user_id,
            state=ACCEPTED,
            decided_at=decided_at,
        )
    )
    return bool(result.rowcount)

"""The signals the trust graph is made of, read from what the other tables hold."""

from __future__ import annotations

from sqlalchemy import Case, case, distinct, func, literal, select, union_all
from sqlalchemy.ext.asyncio import AsyncConnection

from .follows import ACCEPTED
from .tables import endorsements, follows, suggestions


def _endorsement_kind() -> Case[str]:
    """The signal an endorsement row gives: a like, a proof-backed endorsement, or one
    only its sender's server attests."""
    return case(
        (endorsements.c.kind == "like", "like"),
        (endorsements.c.attestation == "proof", "endorsement"),
        else_="attested",
    )


async def signals(conn: AsyncConnection) -> list[tuple[str, str, str]]:
    """Every (source, target, kind) signal: accepted follows, endorsements (a proof-backed
    one, one attested by a server, a like) and accepted suggestions. Withdrawn ones are
    gone from their tables, so they count for nothing."""
    kind = _endorsement_kind()
    query = union_all(
        select(follows.c.follower, follows.c.followee, literal("follow")).where(
            follows.c.state == ACCEPTED
        ),
        select(endorsements.c.endorser, endorsements.c.subject, kind),
        select(suggestions.c.author, suggestions.c.subject, literal("suggestion")).where(
            suggestions.c.state == "accepted"
        ),
    )
    result = await conn.execute(query)
    return [(r[0], r[1], r[2]) for r in result]


async def endorsed_by(conn: AsyncConnection, actor: str) -> set[str]:
    """The people ``actor`` has endorsed (to spot reciprocal pairs)."""
    rows = await conn.execute(
        select(endorsements.c.subject).where(endorsements.c.endorser == actor).distinct()
    )
    return {r[0] for r in rows}


async def skill_signals(conn: AsyncConnection, actor: str) -> list[tuple[str, str, str]]:
    """(endorser, skill key, kind) of every skill signal about ``actor``: endorsements of
    their skills and the suggestions they accepted."""
    kind = _endorsement_kind()
    query = union_all(
        select(endorsements.c.endorser, endorsements.c.skill_key, kind).where(
            endorsements.c.subject == actor
        ),
        select(suggestions.c.author, suggestions.c.key, literal("suggestion")).where(
            suggestions.c.subject == actor, suggestions.c.state == "accepted"
        ),
    )
    return [(r[0], r[1], r[2]) for r in await conn.execute(query)]


async def breadth(conn: AsyncConnection, endorsers: set[str]) -> dict[str, int]:
    """How many people each of ``endorsers`` has endorsed (as far as we know)."""
    found: dict[str, int] = {}
    listed = sorted(endorsers)
    for start in range(0, len(listed), 500):
        chunk = listed[start : start + 500]
        rows = await conn.execute(
            select(endorsements.c.endorser, func.count(distinct(endorsements.c.subject)))
            .where(endorsements.c.endorser.in_(chunk))
            .group_by(endorsements.c.endorser)
        )
        found.update({r[0]: int(r[1]) for r in rows})
    return found

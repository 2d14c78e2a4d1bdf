"""The signals the trust graph is made of, read from what the other tables hold."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import Case, Select, case, distinct, func, literal, select, true, union_all
from sqlalchemy.ext.asyncio import AsyncConnection

from .follows import ACCEPTED
from .tables import endorsements, follows, opportunities, opportunity_skills, referrals, suggestions

# An accepted referral: the referrer vouched for the candidate against a posting, and the
# candidate agreed to be put forward. It weighs as an endorsement only a server attests (a
# referral is about fit, not a signed claim of each skill), once per required skill.
REFERRAL = "attested"


def _referral_skills() -> Select[str, str, str, str]:
    """(candidate, referrer, skill key, kind) for every required skill of the posting of
    every accepted referral, as far as this server knows the posting."""
    return (
        select(
            referrals.c.candidate,
            referrals.c.referrer,
            opportunity_skills.c.key,
            literal(REFERRAL),
        )
        .select_from(
            referrals.join(opportunities, opportunities.c.uri == referrals.c.opportunity).join(
                opportunity_skills, opportunity_skills.c.opportunity_id == opportunities.c.id
            )
        )
        .where(referrals.c.state == "accepted", opportunity_skills.c.required == true())
    )


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
    one, one attested by a server, a like), accepted suggestions and accepted referrals
    (one each, however many skills the posting needs). Withdrawn ones are gone from their
    tables, so they count for nothing."""
    kind = _endorsement_kind()
    query = union_all(
        select(follows.c.follower, follows.c.followee, literal("follow")).where(
            follows.c.state == ACCEPTED
        ),
        select(endorsements.c.endorser, endorsements.c.subject, kind),
        select(suggestions.c.author, suggestions.c.subject, literal("suggestion")).where(
            suggestions.c.state == "accepted"
        ),
        select(referrals.c.referrer, referrals.c.candidate, literal(REFERRAL)).where(
            referrals.c.state == "accepted"
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
    their skills, the suggestions they accepted, and the required skills of the postings
    they accepted a referral to."""
    kind = _endorsement_kind()
    query = union_all(
        select(endorsements.c.endorser, endorsements.c.skill_key, kind).where(
            endorsements.c.subject == actor
        ),
        select(suggestions.c.author, suggestions.c.key, literal("suggestion")).where(
            suggestions.c.subject == actor, suggestions.c.state == "accepted"
        ),
    )
    referred = _referral_skills().where(referrals.c.candidate == actor)
    found = [(r[0], r[1], r[2]) for r in await conn.execute(query)]
    return found + [(r[1], r[2], r[3]) for r in await conn.execute(referred)]


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


async def skill_signals_of(
    conn: AsyncConnection, actors: Iterable[str], keys: Iterable[str]
) -> dict[str, list[tuple[str, str, str]]]:
    """``skill_signals`` for many people at once, only on the skills ``keys``: subject →
    its (endorser, skill key, kind) signals (people without any are absent)."""
    listed, wanted = sorted(set(actors)), sorted(set(keys))
    found: dict[str, list[tuple[str, str, str]]] = {}
    if not wanted:
        return found
    kind = _endorsement_kind()
    for start in range(0, len(listed), 500):
        chunk = listed[start : start + 500]
        query = union_all(
            select(
                endorsements.c.subject, endorsements.c.endorser, endorsements.c.skill_key, kind
            ).where(endorsements.c.subject.in_(chunk), endorsements.c.skill_key.in_(wanted)),
            select(
                suggestions.c.subject,
                suggestions.c.author,
                suggestions.c.key,
                literal("suggestion"),
            ).where(
                suggestions.c.subject.in_(chunk),
                suggestions.c.key.in_(wanted),
                suggestions.c.state == "accepted",
            ),
        )
        referred = _referral_skills().where(
            referrals.c.candidate.in_(chunk), opportunity_skills.c.key.in_(wanted)
        )
        for r in [*await conn.execute(query), *await conn.execute(referred)]:
            found.setdefault(r[0], []).append((r[1], r[2], r[3]))
    return found


async def endorsed_by_each(conn: AsyncConnection, actors: Iterable[str]) -> dict[str, set[str]]:
    """``endorsed_by`` for many people at once: endorser → the people they endorsed."""
    listed = sorted(set(actors))
    found: dict[str, set[str]] = {}
    for start in range(0, len(listed), 500):
        rows = await conn.execute(
            select(endorsements.c.endorser, endorsements.c.subject)
            .where(endorsements.c.endorser.in_(listed[start : start + 500]))
            .distinct()
        )
        for endorser, subject in rows:
            found.setdefault(endorser, set()).add(subject)
    return found

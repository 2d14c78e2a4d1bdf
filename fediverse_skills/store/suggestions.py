"""Suggestions: made to local people (received) and by local people (sent)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from .dialects import insert
from .tables import suggestions


@dataclass(frozen=True)
class NewSuggestion:
    public_id: str
    uri: str
    subject: str
    subject_user_id: int | None
    author: str
    author_user_id: int | None
    key: str
    name: str
    taxonomy: str | None
    comment: str
    state: str
    attestation: str
    document: str | None
    via: str | None
    created_at: datetime


@dataclass(frozen=True)
class SuggestionRow(NewSuggestion):
    id: int
    decided_at: datetime | None
    pending_decision: str | None = None  # a web decision waiting out its undo window
    decision_due_at: datetime | None = None


async def add(conn: AsyncConnection, new: NewSuggestion) -> SuggestionRow | None:
    """Store a suggestion; None if one with the same URI exists."""
    row = (
        await conn.execute(
            insert(conn, suggestions)
            .values(**new.__dict__)
            .on_conflict_do_nothing()
            .returning(*suggestions.c)
        )
    ).one_or_none()
    return None if row is None else SuggestionRow(**row._asdict())


async def get(conn: AsyncConnection, public_id: str) -> SuggestionRow | None:
    row = (
        await conn.execute(select(suggestions).where(suggestions.c.public_id == public_id))
    ).one_or_none()
    return None if row is None else SuggestionRow(**row._asdict())


async def by_uri(conn: AsyncConnection, uri: str) -> SuggestionRow | None:
    row = (await conn.execute(select(suggestions).where(suggestions.c.uri == uri))).one_or_none()
    return None if row is None else SuggestionRow(**row._asdict())


async def pending_from(
    conn: AsyncConnection, *, subject: str, author: str, key: str
) -> SuggestionRow | None:
    """The pending suggestion of this skill by this author to this person, if any."""
    row = (
        await conn.execute(
            select(suggestions).where(
                suggestions.c.subject == subject,
                suggestions.c.author == author,
                suggestions.c.key == key,
                suggestions.c.state == "pending",
            )
        )
    ).first()
    return None if row is None else SuggestionRow(**row._asdict())


async def received(
    conn: AsyncConnection, user_id: int, *, state: str | None, limit: int = 200
) -> list[SuggestionRow]:
    stmt = select(suggestions).where(suggestions.c.subject_user_id == user_id)
    if state is not None:
        stmt = stmt.where(suggestions.c.state == state)
    rows = await conn.execute(stmt.order_by(suggestions.c.id.desc()).limit(limit))
    return [SuggestionRow(**r._asdict()) for r in rows]


async def sent(conn: AsyncConnection, user_id: int, *, limit: int = 200) -> list[SuggestionRow]:
    rows = await conn.execute(
        select(suggestions)
        .where(suggestions.c.author_user_id == user_id)
        .order_by(suggestions.c.id.desc())
        .limit(limit)
    )
    return [SuggestionRow(**r._asdict()) for r in rows]


async def set_state(
    conn: AsyncConnection, suggestion_id: int, *, expected: str, state: str, now: datetime
) -> bool:
    """Move a suggestion from ``expected`` to ``state``; False if it was not in ``expected``."""
    result = await conn.execute(
        update(suggestions)
        .where(suggestions.c.id == suggestion_id, suggestions.c.state == expected)
        .values(state=state, decided_at=now, pending_decision=None, decision_due_at=None)
    )
    return bool(result.rowcount)


async def hold_decision(
    conn: AsyncConnection, suggestion_id: int, decision: str | None, due: datetime | None
) -> bool:
    """Record (or, with None, cancel) a decision that takes effect at ``due``; only while
    the suggestion is still pending."""
    result = await conn.execute(
        update(suggestions)
        .where(suggestions.c.id == suggestion_id, suggestions.c.state == "pending")
        .values(pending_decision=decision, decision_due_at=due)
    )
    return bool(result.rowcount)


async def due_decisions(conn: AsyncConnection, now: datetime, *, limit: int = 100) -> list[str]:
    """Public ids of held decisions whose undo window has passed."""
    rows = await conn.execute(
        select(suggestions.c.public_id)
        .where(suggestions.c.decision_due_at <= now, suggestions.c.state == "pending")
        .order_by(suggestions.c.decision_due_at)
        .limit(limit)
    )
    return [r[0] for r in rows]


async def via(conn: AsyncConnection, posts: list[str]) -> list[SuggestionRow]:
    """Suggestions that came from replies to these posts (asks)."""
    if not posts:
        return []
    rows = await conn.execute(
        select(suggestions).where(suggestions.c.via.in_(posts)).order_by(suggestions.c.id)
    )
    return [SuggestionRow(**r._asdict()) for r in rows]

"""Bearer tokens for the JSON API. Only a hash of each token is stored."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from .tables import api_tokens


@dataclass(frozen=True)
class TokenRecord:
    id: int
    user_id: int
    name: str
    created_at: datetime
    last_used_at: datetime | None
    scopes: str  # space-separated


async def insert_token(
    conn: AsyncConnection,
    *,
    user_id: int,
    name: str,
    token_hash: str,
    created_at: datetime,
    scopes: str,
) -> int:
    result = await conn.execute(
        insert(api_tokens)
        .values(
            user_id=user_id,
            name=name,
            token_hash=token_hash,
            created_at=created_at,
            scopes=scopes,
        )
        .returning(api_tokens.c.id)
    )
    return int(result.scalar_one())


async def find_active(conn: AsyncConnection, token_hash: str) -> TokenRecord | None:
    row = (
        await conn.execute(
            select(
                api_tokens.c.id,
                api_tokens.c.user_id,
                api_tokens.c.name,
                api_tokens.c.created_at,
                api_tokens.c.last_used_at,
                api_tokens.c.scopes,
            ).where(api_tokens.c.token_hash == token_hash, api_tokens.c.revoked_at.is_(None))
        )
    ).one_or_none()
    return None if row is None else TokenRecord(**row._asdict())


async def mark_used(conn: AsyncConnection, token_id: int, when: datetime) -> None:
    await conn.execute(
        update(api_tokens).where(api_tokens.c.id == token_id).values(last_used_at=when)
    )


async def revoke(conn: AsyncConnection, token_id: int, when: datetime) -> int | None:
    """Revoke the token ``token_id`` if it is still active; returns its user's id, or None
    if there is no such active token."""
    result = await conn.execute(
        update(api_tokens)
        .where(api_tokens.c.id == token_id, api_tokens.c.revoked_at.is_(None))
        .values(revoked_at=when)
        .returning(api_tokens.c.user_id)
    )
    found = result.scalar_one_or_none()
    return None if found is None else int(found)

"""Browser sessions (hashed tokens) and failed sign-ins (for the rate limit)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from .tables import login_failures, web_sessions


async def add(
    conn: AsyncConnection, token_hash: str, user_id: int, now: datetime, expires_at: datetime
) -> None:
    await conn.execute(
        insert(web_sessions).values(
            token_hash=token_hash,
            user_id=user_id,
            created_at=now,
            last_seen_at=now,
            expires_at=expires_at,
        )
    )


async def find(
    conn: AsyncConnection, token_hash: str, now: datetime
) -> tuple[int, datetime] | None:
    """The user id and last-seen time of a live session."""
    row = (
        await conn.execute(
            select(web_sessions.c.user_id, web_sessions.c.last_seen_at).where(
                web_sessions.c.token_hash == token_hash, web_sessions.c.expires_at > now
            )
        )
    ).one_or_none()
    return None if row is None else (int(row.user_id), row.last_seen_at)


async def touch(
    conn: AsyncConnection, token_hash: str, now: datetime, expires_at: datetime
) -> None:
    await conn.execute(
        update(web_sessions)
        .where(web_sessions.c.token_hash == token_hash)
        .values(last_seen_at=now, expires_at=expires_at)
    )


async def remove(conn: AsyncConnection, token_hash: str) -> None:
    await conn.execute(delete(web_sessions).where(web_sessions.c.token_hash == token_hash))


async def remove_user(conn: AsyncConnection, user_id: int) -> None:
    await conn.execute(delete(web_sessions).where(web_sessions.c.user_id == user_id))


async def purge(conn: AsyncConnection, now: datetime, failures_before: datetime) -> None:
    await conn.execute(delete(web_sessions).where(web_sessions.c.expires_at <= now))
    await conn.execute(delete(login_failures).where(login_failures.c.at < failures_before))


async def add_failures(conn: AsyncConnection, keys: list[str], now: datetime) -> None:
    await conn.execute(insert(login_failures), [{"key": k, "at": now} for k in keys])


async def count_failures(
    conn: AsyncConnection, key: str, since: datetime
) -> tuple[int, datetime | None]:
    """How many failures ``key`` had since ``since``, and the oldest of them."""
    row = (
        await conn.execute(
            select(func.count(), func.min(login_failures.c.at)).where(
                login_failures.c.key == key, login_failures.c.at >= since
            )
        )
    ).one()
    return int(row[0]), row[1]


async def clear_failures(conn: AsyncConnection, key: str) -> None:
    await conn.execute(delete(login_failures).where(login_failures.c.key == key))

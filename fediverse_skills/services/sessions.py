"""Signing in on the web: sessions behind a cookie, and a rate limit on guessing.

The cookie holds a random token; only its SHA-256 is stored, so a copy of the database
does not let anyone sign in. Failed sign-ins are counted in the database (every worker
process sees the same count) per client address and per username.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from ..store import sessions, users
from ..store.db import Database
from ..store.users import User
from .accounts import verify_password

LIFETIME = timedelta(days=30)
_TOUCH_INTERVAL = timedelta(minutes=10)
WINDOW = timedelta(minutes=15)
MAX_PER_USER = 10  # failed sign-ins for one username within WINDOW
MAX_PER_ADDRESS = 30  # failed sign-ins from one address within WINDOW


class SignInRefused(Exception):
    """Wrong name or password, a suspended account, or too many attempts."""

    def __init__(self, message: str, *, retry_after: int | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


@dataclass(frozen=True)
class Session:
    token: str  # goes into the cookie; never stored
    user: User

    def __repr__(self) -> str:
        return f"Session(user={self.user.username!r}, token=<redacted>)"


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


async def _check_rate(db: Database, keys: list[tuple[str, int]], now: datetime) -> None:
    async with db.connection() as conn:
        for key, limit in keys:
            count, oldest = await sessions.count_failures(conn, key, now - WINDOW)
            if count >= limit:
                wait = WINDOW - (now - oldest) if oldest is not None else WINDOW
                seconds = max(1, int(wait.total_seconds()) + 1)
                raise SignInRefused(
                    "Too many failed sign-ins. Wait a few minutes and try again.",
                    retry_after=seconds,
                )


async def sign_in(db: Database, username: str, password: str, *, address: str) -> Session:
    """Check the password and open a session. Raises SignInRefused."""
    name = username.strip().lstrip("@").lower()
    if "@" in name:
        name = name.split("@", 1)[0]
    now = datetime.now(UTC)
    keys = [(f"user:{name[:100]}", MAX_PER_USER), (f"addr:{address[:100]}", MAX_PER_ADDRESS)]
    await _check_rate(db, keys, now)
    async with db.connection() as conn:
        user = await users.get_by_username(conn, name) if name else None
    # A deleted account has no password (and must not be told apart from a wrong one).
    if user is None or user.deleted_at is not None or not await verify_password(user, password):
        async with db.transaction() as conn:
            await sessions.add_failures(conn, [k for k, _ in keys], now)
        raise SignInRefused("That username and password do not match.")
    if user.suspended_at is not None:
        raise SignInRefused("This account is suspended.")
    return await start(db, user, now=now, clear=keys[0][0])


async def start(
    db: Database, user: User, *, now: datetime | None = None, clear: str | None = None
) -> Session:
    """Open a session for ``user`` (after sign-in or sign-up)."""
    now = now or datetime.now(UTC)
    token = secrets.token_urlsafe(32)
    async with db.transaction() as conn:
        await sessions.purge(conn, now, now - WINDOW)
        if clear:
            await sessions.clear_failures(conn, clear)
        await sessions.add(conn, _hash(token), user.id, now, now + LIFETIME)
    return Session(token, user)


async def resolve(db: Database, token: str) -> User | None:
    """The signed-in user for a cookie token, or None (unknown, expired or suspended)."""
    if not token or len(token) > 100:
        return None
    now = datetime.now(UTC)
    digest = _hash(token)
    async with db.connection() as conn:
        found = await sessions.find(conn, digest, now)
        if found is None:
            return None
        user_id, last_seen = found
        user = await users.get_by_id(conn, user_id)
    if user is None or user.suspended_at is not None:
        return None
    if now - last_seen > _TOUCH_INTERVAL:
        async with db.transaction() as conn:
            await sessions.touch(conn, digest, now, now + LIFETIME)
    return user


async def end(db: Database, token: str) -> None:
    async with db.transaction() as conn:
        await sessions.remove(conn, _hash(token))

"""Bearer tokens for the JSON API: created on the command line, checked on each request."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from ..store import tokens, users
from ..store.db import Database
from ..store.users import User

PREFIX = "fsk_"
# last_used_at is refreshed at most this often, so reads do not write on every request.
_TOUCH_INTERVAL = timedelta(minutes=5)


class UnknownUser(LookupError):
    """No local user has that name."""


@dataclass(frozen=True)
class IssuedToken:
    id: int
    user: User
    token: str  # shown once; only its hash is stored

    def __repr__(self) -> str:
        return f"IssuedToken(id={self.id}, user={self.user.username!r}, token=<redacted>)"


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


async def create_token(db: Database, username: str, name: str = "") -> IssuedToken:
    token = PREFIX + secrets.token_urlsafe(32)
    async with db.transaction() as conn:
        user = await users.get_by_username(conn, username.strip().lower())
        if user is None:
            raise UnknownUser(username)
        token_id = await tokens.insert_token(
            conn,
            user_id=user.id,
            name=name[:100],
            token_hash=hash_token(token),
            created_at=datetime.now(UTC),
        )
    return IssuedToken(id=token_id, user=user, token=token)


async def authenticate(db: Database, token: str) -> User | None:
    """The user a bearer token belongs to, or None for an unknown or revoked token, or
    one of a suspended account."""
    if not token.startswith(PREFIX) or len(token) > 200:
        return None
    now = datetime.now(UTC)
    async with db.connection() as conn:
        record = await tokens.find_active(conn, hash_token(token))
        if record is None:
            return None
        user = await users.get_by_id(conn, record.user_id)
    if user is None or user.suspended_at is not None:
        return None
    if record.last_used_at is None or now - record.last_used_at > _TOUCH_INTERVAL:
        async with db.transaction() as conn:
            await tokens.mark_used(conn, record.id, now)
    return user

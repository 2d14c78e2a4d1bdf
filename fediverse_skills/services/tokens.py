"""Bearer tokens for the JSON API: created on the command line, checked on each request.

A token has scopes: ``read`` lets it make GET requests, ``write`` every other method
(POST, PATCH, PUT, DELETE). Neither implies the other; a token has one or both. A token
can be revoked (``token revoke ID`` or ``DELETE /api/v1/tokens/current``); a revoked
token, or one of a suspended account, is refused from the next request on.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from ..store import tokens, users
from ..store.db import Database
from ..store.users import User

PREFIX = "fsk_"
READ = "read"
WRITE = "write"
SCOPES = (READ, WRITE)  # in the order they are written
# last_used_at is refreshed at most this often, so reads do not write on every request.
_TOUCH_INTERVAL = timedelta(minutes=5)


class UnknownUser(LookupError):
    """No local user has that name."""


class InvalidScopes(ValueError):
    """The scopes asked for are not a non-empty subset of SCOPES; the message says why."""


@dataclass(frozen=True)
class IssuedToken:
    id: int
    user: User
    token: str  # shown once; only its hash is stored
    scopes: tuple[str, ...] = SCOPES

    def __repr__(self) -> str:
        return (
            f"IssuedToken(id={self.id}, user={self.user.username!r}, "
            f"scopes={self.scopes!r}, token=<redacted>)"
        )


@dataclass(frozen=True)
class Bearer:
    """Who a request's token acts for, and what it may do."""

    token_id: int
    user: User
    scopes: frozenset[str]

    def allows(self, scope: str) -> bool:
        return scope in self.scopes


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def parse_scopes(text: str) -> tuple[str, ...]:
    """``"read"``, ``"write"``, ``"read,write"`` (commas or spaces) as a tuple in SCOPES
    order. Raises InvalidScopes."""
    asked = {part for part in text.replace(",", " ").split() if part}
    unknown = sorted(asked - set(SCOPES))
    if unknown:
        raise InvalidScopes(f"unknown scope {unknown[0]!r} (use read, write or read,write)")
    if not asked:
        raise InvalidScopes("a token needs at least one scope (read, write or read,write)")
    return tuple(s for s in SCOPES if s in asked)


def _stored(scopes: Iterable[str]) -> str:
    return " ".join(s for s in SCOPES if s in set(scopes))


async def create_token(
    db: Database, username: str, name: str = "", scopes: Iterable[str] = SCOPES
) -> IssuedToken:
    granted = parse_scopes(" ".join(scopes))
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
            scopes=_stored(granted),
        )
    return IssuedToken(id=token_id, user=user, token=token, scopes=granted)


async def bearer(db: Database, token: str) -> Bearer | None:
    """Who ``token`` acts for and its scopes, or None for an unknown or revoked token, or
    one of a suspended account. Checked against the database on every call."""
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
    return Bearer(token_id=record.id, user=user, scopes=frozenset(record.scopes.split()))


async def authenticate(db: Database, token: str) -> User | None:
    """The user a bearer token belongs to (whatever its scopes), or None for an unknown or
    revoked token, or one of a suspended account."""
    found = await bearer(db, token)
    return None if found is None else found.user


async def revoke(db: Database, token_id: int) -> bool:
    """Revoke a token by its id (printed by ``token create``); False if there is no
    active token with that id."""
    async with db.transaction() as conn:
        return await tokens.revoke(conn, token_id, datetime.now(UTC)) is not None

"""Creating and finding local accounts."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from ..domain.passwords import WeakPassword, check_password
from ..domain.usernames import InvalidUsername, normalise_username
from ..federation.keys import generate_actor_keys
from ..store import invites, users
from ..store.db import Database
from ..store.users import User, UsernameTaken
from . import site

__all__ = [
    "InvalidUsername",
    "SignUpRefused",
    "User",
    "UsernameTaken",
    "WeakPassword",
    "create_user",
    "get_user",
    "sign_up",
    "verify_password",
]

_hasher = PasswordHasher()  # argon2id with the library's current recommended parameters


class SignUpRefused(Exception):
    """Sign-up is closed, or the invite is missing, used or expired."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


async def sign_up(db: Database, username: str, password: str, invite: str = "") -> User:
    """Create an account from the web, as the instance's registration mode allows.

    The very first account is always allowed and becomes the admin, so that a new
    instance can be set up from the browser. Raises SignUpRefused, InvalidUsername,
    WeakPassword or UsernameTaken.
    """
    first = await count_users(db) == 0
    if first:
        return await create_user(db, username, password=password, admin=True)
    mode = (await site.load(db)).registrations
    if mode == "closed":
        raise SignUpRefused("", "Sign-up is closed on this instance.")
    if mode == "invite":
        code = invite.strip()
        if not code:
            raise SignUpRefused("invite", "Sign-up needs an invite code on this instance.")
        async with db.connection() as conn:
            if not await invites.usable(conn, code, datetime.now(UTC)):
                raise SignUpRefused("invite", "That invite code is unknown, used or expired.")
        return await create_user(db, username, password=password, invite=code)
    return await create_user(db, username, password=password)


async def create_user(
    db: Database,
    username: str,
    *,
    password: str | None = None,
    admin: bool = False,
    invite: str | None = None,
) -> User:
    """Create a local account with fresh key pairs (claiming ``invite`` if given).

    Raises InvalidUsername, WeakPassword, UsernameTaken or SignUpRefused; nothing is
    stored then.
    """
    name = normalise_username(username)
    password_hash = None
    if password is not None:
        check_password(password)
        password_hash = await asyncio.to_thread(_hasher.hash, password)
    keys = await asyncio.to_thread(generate_actor_keys)
    async with db.transaction() as conn:
        if await users.get_by_username(conn, name) is not None:
            raise UsernameTaken(name)
        user = await users.insert_user(
            conn,
            users.NewUser(
                username=name,
                display_name="",
                is_admin=admin,
                password_hash=password_hash,
                rsa_private_pem=keys.rsa_private_pem,
                rsa_public_pem=keys.rsa_public_pem,
                ed25519_private=keys.ed25519_private_hex,
                ed25519_public=keys.ed25519_public_hex,
                created_at=datetime.now(UTC),
            ),
        )
        if invite is not None and not await invites.claim(conn, invite, user.id, datetime.now(UTC)):
            raise SignUpRefused("invite", "That invite code is unknown, used or expired.")
        return user


async def get_user(db: Database, username: str) -> User | None:
    async with db.connection() as conn:
        return await users.get_by_username(conn, username.strip().lower())


async def verify_password(user: User, password: str) -> bool:
    if not user.password_hash:
        return False
    try:
        return await asyncio.to_thread(_hasher.verify, user.password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


async def count_users(db: Database) -> int:
    async with db.connection() as conn:
        return await users.count_users(conn)


async def recent_people(db: Database, limit: int = 12) -> list[User]:
    """Live accounts (not suspended or deleted) to show on the landing page."""
    async with db.connection() as conn:
        return await users.listing(conn, limit=limit, live_only=True)

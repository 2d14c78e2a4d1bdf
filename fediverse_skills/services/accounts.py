"""Creating and finding local accounts."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from ..domain.passwords import check_password
from ..domain.usernames import normalise_username
from ..federation.keys import generate_actor_keys
from ..store import users
from ..store.db import Database
from ..store.users import User, UsernameTaken

__all__ = ["User", "UsernameTaken", "create_user", "get_user", "verify_password"]

_hasher = PasswordHasher()  # argon2id with the library's current recommended parameters


async def create_user(
    db: Database, username: str, *, password: str | None = None, admin: bool = False
) -> User:
    """Create a local account with fresh key pairs.

    Raises InvalidUsername, WeakPassword or UsernameTaken; nothing is stored then.
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
        return await users.insert_user(
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

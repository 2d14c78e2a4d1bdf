from __future__ import annotations

import pytest
from argon2 import PasswordHasher
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519, rsa
from sqlalchemy import select

from fediverse_skills.domain.passwords import WeakPassword
from fediverse_skills.domain.usernames import InvalidUsername
from fediverse_skills.services import accounts, tokens
from fediverse_skills.store.db import Database
from fediverse_skills.store.tables import api_tokens, users


async def test_create_user_stores_keys_and_hash(db: Database) -> None:
    user = await accounts.create_user(db, "Alice", password="correct horse", admin=True)
    assert user.username == "alice" and user.is_admin
    assert user.created_at.tzinfo is not None
    public = serialization.load_pem_public_key(user.rsa_public_pem.encode())
    assert isinstance(public, rsa.RSAPublicKey) and public.key_size == 2048
    ed25519.Ed25519PublicKey.from_public_bytes(bytes.fromhex(user.ed25519_public))
    assert user.password_hash and user.password_hash.startswith("$argon2id$")
    assert PasswordHasher().verify(user.password_hash, "correct horse")
    assert await accounts.verify_password(user, "correct horse")
    assert not await accounts.verify_password(user, "wrong horse")
    async with db.connection() as conn:
        row = (await conn.execute(select(users).where(users.c.id == user.id))).one()
    private = serialization.load_pem_private_key(row.rsa_private_pem.encode(), password=None)
    assert isinstance(private, rsa.RSAPrivateKey)
    assert private.public_key().public_numbers() == public.public_numbers()
    assert "PRIVATE" not in repr(user)


async def test_usernames_are_unique_case_insensitively(db: Database) -> None:
    await accounts.create_user(db, "bob")
    with pytest.raises(accounts.UsernameTaken):
        await accounts.create_user(db, "BOB")
    assert await accounts.count_users(db) == 1


@pytest.mark.parametrize(
    ("name", "password", "error"),
    [
        ("no spaces", None, InvalidUsername),
        ("carol", "short", WeakPassword),
    ],
)
async def test_refused_accounts_leave_no_row(
    db: Database, name: str, password: str | None, error: type[Exception]
) -> None:
    with pytest.raises(error):
        await accounts.create_user(db, name, password=password)
    assert await accounts.count_users(db) == 0


async def test_tokens_authenticate_and_store_only_a_hash(db: Database) -> None:
    await accounts.create_user(db, "dana")
    issued = await tokens.create_token(db, "dana", "laptop")
    assert issued.token.startswith("fsk_")
    assert issued.token not in repr(issued)
    user = await tokens.authenticate(db, issued.token)
    assert user is not None and user.username == "dana"
    async with db.connection() as conn:
        stored = (await conn.execute(select(api_tokens))).one()
    assert stored.token_hash == tokens.hash_token(issued.token)
    assert issued.token not in stored
    assert stored.last_used_at is not None
    assert await tokens.authenticate(db, issued.token + "x") is None
    assert await tokens.authenticate(db, "not-a-token") is None


async def test_token_for_unknown_user(db: Database) -> None:
    with pytest.raises(tokens.UnknownUser):
        await tokens.create_token(db, "nobody")

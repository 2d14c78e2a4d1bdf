"""Local user accounts."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, insert, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection

from .tables import api_tokens, notes, users


class UsernameTaken(Exception):
    """A user with this name already exists."""


@dataclass(frozen=True)
class User:
    id: int
    username: str
    display_name: str
    summary: str
    is_admin: bool
    manually_approves_followers: bool
    password_hash: str | None
    rsa_public_pem: str
    ed25519_public: str
    created_at: datetime
    suggest_policy: str = "anyone"
    endorse_policy: str = "anyone"
    auto_accept_suggestions: bool = False
    profile_version: int = 0
    avatar: str | None = None
    suspended_at: datetime | None = None
    open_to_work: bool = False
    show_open_to_work: bool = False

    def __repr__(self) -> str:  # never print the password hash
        return f"User(id={self.id}, username={self.username!r})"


@dataclass(frozen=True)
class NewUser:
    username: str
    display_name: str
    is_admin: bool
    password_hash: str | None
    rsa_private_pem: str
    rsa_public_pem: str
    ed25519_private: str
    ed25519_public: str
    created_at: datetime


_PUBLIC_COLUMNS = (
    users.c.id,
    users.c.username,
    users.c.display_name,
    users.c.summary,
    users.c.is_admin,
    users.c.manually_approves_followers,
    users.c.password_hash,
    users.c.rsa_public_pem,
    users.c.ed25519_public,
    users.c.created_at,
    users.c.suggest_policy,
    users.c.endorse_policy,
    users.c.auto_accept_suggestions,
    users.c.profile_version,
    users.c.avatar,
    users.c.suspended_at,
    users.c.open_to_work,
    users.c.show_open_to_work,
)


async def insert_user(conn: AsyncConnection, new: NewUser) -> User:
    try:
        result = await conn.execute(
            insert(users)
            .values(
                username=new.username,
                display_name=new.display_name,
                summary="",
                is_admin=new.is_admin,
                password_hash=new.password_hash,
                rsa_private_pem=new.rsa_private_pem,
                rsa_public_pem=new.rsa_public_pem,
                ed25519_private=new.ed25519_private,
                ed25519_public=new.ed25519_public,
                created_at=new.created_at,
            )
            .returning(*_PUBLIC_COLUMNS)
        )
    except IntegrityError:
        raise UsernameTaken(new.username) from None
    return User(**result.one()._asdict())


async def get_by_username(conn: AsyncConnection, username: str) -> User | None:
    row = (
        await conn.execute(select(*_PUBLIC_COLUMNS).where(users.c.username == username))
    ).one_or_none()
    return None if row is None else User(**row._asdict())


async def get_by_id(conn: AsyncConnection, user_id: int) -> User | None:
    row = (await conn.execute(select(*_PUBLIC_COLUMNS).where(users.c.id == user_id))).one_or_none()
    return None if row is None else User(**row._asdict())


async def count_users(conn: AsyncConnection) -> int:
    return int((await conn.execute(select(func.count()).select_from(users))).scalar_one())


@dataclass(frozen=True)
class PrivateKeys:
    rsa_private_pem: str
    ed25519_private_hex: str

    def __repr__(self) -> str:
        return "PrivateKeys(<redacted>)"


async def private_keys(conn: AsyncConnection, user_id: int) -> PrivateKeys | None:
    row = (
        await conn.execute(
            select(users.c.rsa_private_pem, users.c.ed25519_private).where(users.c.id == user_id)
        )
    ).one_or_none()
    return None if row is None else PrivateKeys(row.rsa_private_pem, row.ed25519_private)


async def set_manual_approval(conn: AsyncConnection, user_id: int, manual: bool) -> None:
    await conn.execute(
        users.update().where(users.c.id == user_id).values(manually_approves_followers=manual)
    )


async def count_active(conn: AsyncConnection, since: datetime) -> int:
    """Users who published a note, or whose token was used, since ``since``."""
    posted = select(notes.c.user_id).where(notes.c.published_at >= since)
    used = select(api_tokens.c.user_id).where(api_tokens.c.last_used_at >= since)
    stmt = (
        select(func.count()).select_from(users).where(users.c.id.in_(posted) | users.c.id.in_(used))
    )
    return int((await conn.execute(stmt)).scalar_one())


async def update_profile(
    conn: AsyncConnection,
    user_id: int,
    *,
    display_name: str | None = None,
    summary: str | None = None,
    manually_approves_followers: bool | None = None,
    suggest_policy: str | None = None,
    endorse_policy: str | None = None,
    auto_accept_suggestions: bool | None = None,
    open_to_work: bool | None = None,
    show_open_to_work: bool | None = None,
    avatar: str | None = None,
) -> User | None:
    values: dict[str, object] = {}
    for name, value in (
        ("open_to_work", open_to_work),
        ("show_open_to_work", show_open_to_work),
        ("avatar", avatar),
    ):
        if value is not None:
            values[name] = value
    if suggest_policy is not None:
        values["suggest_policy"] = suggest_policy
    if endorse_policy is not None:
        values["endorse_policy"] = endorse_policy
    if auto_accept_suggestions is not None:
        values["auto_accept_suggestions"] = auto_accept_suggestions
    if display_name is not None:
        values["display_name"] = display_name
    if summary is not None:
        values["summary"] = summary
    if manually_approves_followers is not None:
        values["manually_approves_followers"] = manually_approves_followers
    if values:
        values["profile_version"] = users.c.profile_version + 1
        await conn.execute(users.update().where(users.c.id == user_id).values(**values))
    return await get_by_id(conn, user_id)


async def all_usernames(conn: AsyncConnection) -> list[str]:
    return [r[0] for r in await conn.execute(select(users.c.username).order_by(users.c.id))]


async def set_password_hash(conn: AsyncConnection, user_id: int, password_hash: str) -> None:
    await conn.execute(
        users.update().where(users.c.id == user_id).values(password_hash=password_hash)
    )


async def set_suspended(conn: AsyncConnection, user_id: int, at: datetime | None) -> bool:
    result = await conn.execute(
        users.update()
        .where(users.c.id == user_id)
        .values(suspended_at=at, profile_version=users.c.profile_version + 1)
    )
    return bool(result.rowcount)


async def delete_user(conn: AsyncConnection, user_id: int) -> bool:
    """Delete the account; its rows in other tables go by ON DELETE CASCADE."""
    result = await conn.execute(users.delete().where(users.c.id == user_id))
    return bool(result.rowcount)


async def listing(conn: AsyncConnection, *, limit: int = 200, offset: int = 0) -> list[User]:
    rows = await conn.execute(
        select(*_PUBLIC_COLUMNS).order_by(users.c.username).limit(limit).offset(offset)
    )
    return [User(**r._asdict()) for r in rows]


def _like(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


async def search(conn: AsyncConnection, text: str, *, limit: int = 20) -> list[User]:
    """Active users whose username or display name contains ``text`` (case-insensitive)."""
    pattern = _like(text.lower())
    rows = await conn.execute(
        select(*_PUBLIC_COLUMNS)
        .where(
            users.c.suspended_at.is_(None),
            func.lower(users.c.username).like(pattern, escape="\\")
            | func.lower(users.c.display_name).like(pattern, escape="\\"),
        )
        .order_by(users.c.username)
        .limit(limit)
    )
    return [User(**r._asdict()) for r in rows]

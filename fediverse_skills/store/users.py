"""Local user accounts."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, func, insert, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.sql.elements import ColumnElement

from . import follows
from .tables import (
    actor_blocks,
    api_tokens,
    endorsements,
    media,
    notes,
    notifications,
    skills,
    suggestions,
    users,
    web_sessions,
)


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
    deleted_at: datetime | None = None  # a tombstone: see ``tombstone``

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
    users.c.deleted_at,
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


async def lock_users(conn: AsyncConnection, user_ids: Iterable[int | None]) -> None:
    """Lock the rows of ``user_ids`` (None and repeats ignored) for the rest of the
    caller's transaction, in ascending id order.

    Triggers bump ``profile_version`` of every user whose skills or endorsements a
    statement changes, so one transaction may lock several users' rows, in whatever order
    the rows come. Two transactions taking the same rows in opposite orders deadlock;
    locking them all up front, always in the same order, avoids that. PostgreSQL only:
    SQLite has one writer at a time, so there it does nothing."""
    if conn.dialect.name != "postgresql":
        return
    listed = sorted({i for i in user_ids if i is not None})
    # FOR NO KEY UPDATE, as the triggers' UPDATE takes: foreign-key checks of rows that
    # name these users (FOR KEY SHARE) are not held up.
    for start in range(0, len(listed), 500):
        await conn.execute(
            select(users.c.id)
            .where(users.c.id.in_(listed[start : start + 500]))
            .order_by(users.c.id)
            .with_for_update(key_share=True)
        )


async def get_by_username(conn: AsyncConnection, username: str) -> User | None:
    row = (
        await conn.execute(select(*_PUBLIC_COLUMNS).where(users.c.username == username))
    ).one_or_none()
    return None if row is None else User(**row._asdict())


async def get_by_id(conn: AsyncConnection, user_id: int) -> User | None:
    row = (await conn.execute(select(*_PUBLIC_COLUMNS).where(users.c.id == user_id))).one_or_none()
    return None if row is None else User(**row._asdict())


def _live() -> tuple[ColumnElement[bool], ...]:
    """Accounts that are neither suspended nor deleted."""
    return (users.c.suspended_at.is_(None), users.c.deleted_at.is_(None))


async def count_users(conn: AsyncConnection, *, live_only: bool = False) -> int:
    """Every row (tombstones of deleted accounts too), or only the live accounts."""
    stmt = select(func.count()).select_from(users)
    if live_only:
        stmt = stmt.where(*_live())
    return int((await conn.execute(stmt)).scalar_one())


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


async def tombstone(conn: AsyncConnection, user_id: int, now: datetime, *, actor: str) -> bool:
    """Turn the account into a tombstone, in the caller's transaction.

    The row stays, with its username (nobody else can take it) and its key pairs (the
    ``Delete`` of the actor is signed with them, and no one else ever publishes another
    key for the same actor URI); the profile columns are blanked and ``deleted_at`` and
    ``suspended_at`` are set. Everything else of the person's goes: skills, endorsements
    and suggestions they received or made, notes, notifications (theirs, and those about
    what they did), API tokens, web sessions, media, their blocks, and the follow
    relations of ``actor`` (their actor URI) either way. Invites keep their rows.
    Outgoing activities and their deliveries stay, so the Delete is still delivered.
    Returns False when there is no such user.
    """
    # The endorsements' triggers bump every user on either side: lock them all first,
    # in id order (see lock_users).
    touched = (
        (endorsements.c.subject_user_id == user_id)
        | (endorsements.c.endorser_user_id == user_id)
        | (endorsements.c.subject == actor)
        | (endorsements.c.endorser == actor)
    )
    affected: set[int | None] = {user_id}
    for row in await conn.execute(
        select(endorsements.c.subject_user_id, endorsements.c.endorser_user_id).where(touched)
    ):
        affected.update(row)
    await lock_users(conn, affected)
    for table, where in (
        (endorsements, touched),
        (
            suggestions,
            (suggestions.c.subject_user_id == user_id)
            | (suggestions.c.author_user_id == user_id)
            | (suggestions.c.subject == actor)
            | (suggestions.c.author == actor),
        ),
        (skills, skills.c.user_id == user_id),
        (notes, notes.c.user_id == user_id),
        (notifications, (notifications.c.user_id == user_id) | (notifications.c.actor == actor)),
        (api_tokens, api_tokens.c.user_id == user_id),
        (web_sessions, web_sessions.c.user_id == user_id),
        (actor_blocks, actor_blocks.c.user_id == user_id),
    ):
        await conn.execute(delete(table).where(where))
    await follows.remove_all_of(conn, actor)
    result = await conn.execute(
        users.update()
        .where(users.c.id == user_id)
        .values(
            display_name="",
            summary="",
            avatar=None,
            password_hash=None,
            open_to_work=False,
            show_open_to_work=False,
            deleted_at=now,
            suspended_at=now,
            profile_version=users.c.profile_version + 1,
        )
    )
    # After the avatar column no longer names an upload.
    await conn.execute(delete(media).where(media.c.user_id == user_id))
    return bool(result.rowcount)


async def listing(
    conn: AsyncConnection, *, limit: int = 200, offset: int = 0, live_only: bool = False
) -> list[User]:
    """Accounts by username: all of them (for the admins), or only the live ones."""
    stmt = select(*_PUBLIC_COLUMNS)
    if live_only:
        stmt = stmt.where(*_live())
    rows = await conn.execute(stmt.order_by(users.c.username).limit(limit).offset(offset))
    return [User(**r._asdict()) for r in rows]


async def search(conn: AsyncConnection, text: str, *, limit: int = 20) -> list[User]:
    """Live users whose username or display name contains ``text`` (case-insensitive)."""
    wanted = text.lower()
    rows = await conn.execute(
        select(*_PUBLIC_COLUMNS)
        .where(
            *_live(),
            func.lower(users.c.username).contains(wanted, autoescape=True)
            | func.lower(users.c.display_name).contains(wanted, autoescape=True),
        )
        .order_by(users.c.username)
        .limit(limit)
    )
    return [User(**r._asdict()) for r in rows]


async def open_to_work_local(conn: AsyncConnection, usernames: Iterable[str]) -> list[User]:
    """The live accounts among ``usernames`` that are open to work (shown or not: matching
    on this instance may use the private setting)."""
    listed = sorted(set(usernames))
    found: list[User] = []
    for start in range(0, len(listed), 500):
        rows = await conn.execute(
            select(*_PUBLIC_COLUMNS).where(
                *_live(),
                users.c.open_to_work.is_(True),
                users.c.username.in_(listed[start : start + 500]),
            )
        )
        found.extend(User(**r._asdict()) for r in rows)
    return sorted(found, key=lambda u: u.username)

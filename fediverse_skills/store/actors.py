"""The cache of remote actors."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from .dialects import insert
from .tables import remote_actors


@dataclass(frozen=True)
class RemoteActor:
    uri: str
    host: str
    type: str
    username: str
    name: str
    inbox: str
    shared_inbox: str | None
    followers: str | None
    url: str | None
    key_id: str | None
    public_key_pem: str | None
    document: str
    fetched_at: datetime
    deleted_at: datetime | None = None
    key_changed_at: datetime | None = None


_COLUMNS = (
    remote_actors.c.uri,
    remote_actors.c.host,
    remote_actors.c.type,
    remote_actors.c.username,
    remote_actors.c.name,
    remote_actors.c.inbox,
    remote_actors.c.shared_inbox,
    remote_actors.c.followers,
    remote_actors.c.url,
    remote_actors.c.key_id,
    remote_actors.c.public_key_pem,
    remote_actors.c.document,
    remote_actors.c.fetched_at,
    remote_actors.c.deleted_at,
    remote_actors.c.key_changed_at,
)


async def upsert(conn: AsyncConnection, actor: RemoteActor) -> None:
    values = {
        "uri": actor.uri,
        "host": actor.host,
        "type": actor.type,
        "username": actor.username,
        "name": actor.name,
        "inbox": actor.inbox,
        "shared_inbox": actor.shared_inbox,
        "followers": actor.followers,
        "url": actor.url,
        "key_id": actor.key_id,
        "public_key_pem": actor.public_key_pem,
        "document": actor.document,
        "fetched_at": actor.fetched_at,
        "deleted_at": None,
        "key_changed_at": actor.key_changed_at,
    }
    stmt = insert(conn, remote_actors).values(values)
    update_values = {k: v for k, v in values.items() if k != "uri"}
    await conn.execute(
        stmt.on_conflict_do_update(index_elements=[remote_actors.c.uri], set_=update_values)
    )


async def get(conn: AsyncConnection, uri: str) -> RemoteActor | None:
    row = (await conn.execute(select(*_COLUMNS).where(remote_actors.c.uri == uri))).one_or_none()
    return None if row is None else RemoteActor(**row._asdict())


async def get_by_key_id(conn: AsyncConnection, key_id: str) -> RemoteActor | None:
    row = (
        await conn.execute(select(*_COLUMNS).where(remote_actors.c.key_id == key_id).limit(1))
    ).one_or_none()
    return None if row is None else RemoteActor(**row._asdict())


async def mark_deleted(conn: AsyncConnection, uri: str, now: datetime) -> bool:
    result = await conn.execute(
        update(remote_actors)
        .where(remote_actors.c.uri == uri, remote_actors.c.deleted_at.is_(None))
        .values(deleted_at=now)
    )
    return bool(result.rowcount)


@dataclass(frozen=True)
class CachedProfile:
    """What matching reads of a cached actor."""

    uri: str
    name: str
    document: str


async def open_to_work_remote(conn: AsyncConnection, uris: Iterable[str]) -> list[CachedProfile]:
    """The cached, not deleted actors among ``uris`` whose document mentions
    ``openToWork`` (the caller reads the document to know what it says)."""
    listed = sorted(set(uris))
    found: list[CachedProfile] = []
    for start in range(0, len(listed), 5000):
        rows = await conn.execute(
            select(
                remote_actors.c.uri,
                remote_actors.c.name,
                remote_actors.c.username,
                remote_actors.c.document,
            ).where(
                remote_actors.c.uri.in_(listed[start : start + 5000]),
                remote_actors.c.deleted_at.is_(None),
                remote_actors.c.document.contains('"openToWork"', autoescape=True),
            )
        )
        found.extend(CachedProfile(r.uri, r.name or r.username, r.document) for r in rows)
    return sorted(found, key=lambda a: a.uri)

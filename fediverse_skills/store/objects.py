"""Objects received from other servers."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from .dialects import insert
from .tables import remote_objects


@dataclass(frozen=True)
class RemoteObject:
    uri: str
    type: str
    actor: str
    content: str
    document: str
    published_at: datetime | None
    received_at: datetime
    deleted_at: datetime | None


async def add(
    conn: AsyncConnection,
    *,
    uri: str,
    type: str,
    actor: str,
    content: str,
    document: str,
    published_at: datetime | None,
    now: datetime,
) -> bool:
    """Store an object; an id seen before (even deleted) is left as it is. True if stored."""
    result = await conn.execute(
        insert(conn, remote_objects)
        .values(
            uri=uri,
            type=type,
            actor=actor,
            content=content,
            document=document,
            published_at=published_at,
            received_at=now,
        )
        .on_conflict_do_nothing(index_elements=[remote_objects.c.uri])
    )
    return bool(result.rowcount)


async def tombstone(conn: AsyncConnection, *, uri: str, actor: str, now: datetime) -> None:
    """Delete an object, or remember the deletion if it has not arrived yet, so a late
    Create cannot bring it back."""
    await conn.execute(
        insert(conn, remote_objects)
        .values(
            uri=uri,
            type="Tombstone",
            actor=actor,
            content="",
            document="{}",
            received_at=now,
            deleted_at=now,
        )
        .on_conflict_do_nothing(index_elements=[remote_objects.c.uri])
    )
    await conn.execute(
        update(remote_objects)
        .where(remote_objects.c.uri == uri, remote_objects.c.actor == actor)
        .values(deleted_at=now, content="", document="{}")
    )


# The columns of a RemoteObject, in its field order.
_COLUMNS = tuple(remote_objects.c[name] for name in RemoteObject.__dataclass_fields__)


async def get(conn: AsyncConnection, uri: str) -> RemoteObject | None:
    row = (await conn.execute(select(*_COLUMNS).where(remote_objects.c.uri == uri))).one_or_none()
    return None if row is None else RemoteObject(**row._asdict())


async def by_actor(conn: AsyncConnection, actor: str, limit: int = 50) -> list[RemoteObject]:
    rows = await conn.execute(
        select(*_COLUMNS)
        .where(remote_objects.c.actor == actor, remote_objects.c.deleted_at.is_(None))
        .order_by(remote_objects.c.id.desc())
        .limit(limit)
    )
    return [RemoteObject(**r._asdict()) for r in rows]

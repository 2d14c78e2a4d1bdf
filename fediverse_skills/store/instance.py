"""The instance's own key pairs (the instance actor that signs our GETs)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection

from .dialects import insert
from .tables import instance_keys


@dataclass(frozen=True)
class InstanceKey:
    name: str
    rsa_private_pem: str
    rsa_public_pem: str

    def __repr__(self) -> str:
        return f"InstanceKey({self.name!r}, <redacted>)"


async def get(conn: AsyncConnection, name: str) -> InstanceKey | None:
    row = (
        await conn.execute(select(instance_keys).where(instance_keys.c.name == name))
    ).one_or_none()
    return None if row is None else InstanceKey(row.name, row.rsa_private_pem, row.rsa_public_pem)


async def add_if_missing(
    conn: AsyncConnection, name: str, private_pem: str, public_pem: str, now: datetime
) -> InstanceKey:
    """Insert the key unless another process did first; return whichever is stored."""
    await conn.execute(
        insert(conn, instance_keys)
        .values(name=name, rsa_private_pem=private_pem, rsa_public_pem=public_pem, created_at=now)
        .on_conflict_do_nothing()
    )
    stored = await get(conn, name)
    assert stored is not None
    return stored

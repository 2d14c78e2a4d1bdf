"""Instance settings that admins change on the web (key/value)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection

from .dialects import insert
from .tables import instance_settings


async def all_values(conn: AsyncConnection) -> dict[str, str]:
    rows = await conn.execute(select(instance_settings.c.name, instance_settings.c.value))
    return {r.name: r.value for r in rows}


async def put(conn: AsyncConnection, name: str, value: str) -> None:
    stmt = insert(conn, instance_settings).values(name=name, value=value)
    await conn.execute(stmt.on_conflict_do_update(index_elements=["name"], set_={"value": value}))

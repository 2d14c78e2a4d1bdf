"""Notifications: what happened that one of our people should see."""

from __future__ import annotations

from ..store import notifications
from ..store.notifications import Notification
from ..store.users import User
from .context import Federation

__all__ = ["Notification", "recent"]


async def recent(fed: Federation, user: User, limit: int = 100) -> list[Notification]:
    async with fed.db.connection() as conn:
        return await notifications.of_user(conn, user.id, limit=limit)

"""Instance settings an admin changes on the web, and invites for invite-only sign-up."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from ..store import invites
from ..store import settings as store
from ..store.db import Database
from ..store.invites import Invite
from ..store.users import User

__all__ = ["MODES", "InvalidSetting", "Invite", "SiteSettings", "create_invite", "load", "update"]

# open: anyone may sign up; invite: with an invite code; closed: only the admin's CLI.
MODES = ("open", "invite", "closed")
DEFAULT_MODE = "invite"
MAX_TITLE = 100
MAX_DESCRIPTION = 2000


class InvalidSetting(ValueError):
    """A setting is not acceptable; the message says why (and names the field)."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


@dataclass(frozen=True)
class SiteSettings:
    registrations: str = DEFAULT_MODE
    title: str = ""
    description: str = ""


async def load(db: Database) -> SiteSettings:
    async with db.connection() as conn:
        values = await store.all_values(conn)
    mode = values.get("registrations", DEFAULT_MODE)
    return SiteSettings(
        registrations=mode if mode in MODES else DEFAULT_MODE,
        title=values.get("title", ""),
        description=values.get("description", ""),
    )


async def update(
    db: Database,
    *,
    registrations: str | None = None,
    title: str | None = None,
    description: str | None = None,
) -> SiteSettings:
    """Validate every value first, then store them together. Raises InvalidSetting."""
    changes: dict[str, str] = {}
    if registrations is not None:
        if registrations not in MODES:
            raise InvalidSetting("registrations", "Choose open, invite-only or closed.")
        changes["registrations"] = registrations
    if title is not None:
        if len(title.strip()) > MAX_TITLE:
            raise InvalidSetting("title", f"The title has at most {MAX_TITLE} characters.")
        changes["title"] = title.strip()
    if description is not None:
        if len(description.strip()) > MAX_DESCRIPTION:
            raise InvalidSetting(
                "description", f"The description has at most {MAX_DESCRIPTION} characters."
            )
        changes["description"] = description.strip()
    async with db.transaction() as conn:
        for name, value in changes.items():
            await store.put(conn, name, value)
    return await load(db)


async def create_invite(db: Database, by: User, *, days: int = 7) -> str:
    code = secrets.token_urlsafe(12)
    now = datetime.now(UTC)
    async with db.transaction() as conn:
        await invites.add(conn, code, by.id, now, now + timedelta(days=days))
    return code


async def recent_invites(db: Database) -> list[Invite]:
    async with db.connection() as conn:
        return await invites.recent(conn)

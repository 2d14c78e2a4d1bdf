"""Moderation by the instance's admins: suspending and deleting local accounts, and the
reports (Flag activities) other servers send about accounts and posts.

- Suspending keeps the account but ends its sessions; a suspended account cannot sign
  in, its API tokens stop working and its profile and actor answer 410 Gone.
- Deleting tells the account's followers' servers (a ``Delete`` of the actor, signed with
  the account's own key, as Mastodon requires), then keeps the row as a tombstone:
  everything the account held is purged, its actor and profile answer 410 Gone, and the
  username stays reserved, so nobody can later publish another key for the same actor.
- A report is stored once per Flag id (``on_flag``, in the inbox's handler table); an
  admin reads it and marks it resolved.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from ..federation import activities
from ..federation.media import AS_CONTEXT
from ..store import blocks, reports, sessions, users
from ..store import follows as follow_store
from ..store.db import Connection
from ..store.reports import Report
from ..store.users import User
from . import actors
from .blocks import url_blocked
from .context import Federation
from .outbox import new_id, queue

__all__ = [
    "MAX_REPORTS",
    "ModerationError",
    "Overview",
    "Report",
    "ShownReport",
    "Target",
    "UnknownAccount",
    "delete",
    "on_flag",
    "overview",
    "people",
    "report",
    "resolve",
    "shown_reports",
    "suspend",
    "unsuspend",
]

MAX_TARGETS = 50  # objects kept from one Flag
MAX_TARGET_CHARS = 2048
MAX_CONTENT = 5000  # characters of a report's comment
MAX_REPORTS = 100  # shown per list (open, and recently resolved)
PEOPLE_PAGE = 100


class ModerationError(Exception):
    """The admin's request cannot be done; ``field`` names the form field it is about
    ("" for the whole form) and the message says why."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


class UnknownAccount(LookupError):
    """No local account has that name."""


@dataclass(frozen=True)
class Overview:
    users: int
    open_reports: int
    open_reports_capped: bool  # there are at least this many (counting stops there)
    blocked_domains: int


async def overview(fed: Federation) -> Overview:
    cap = 1000
    async with fed.db.connection() as conn:
        members = await users.count_users(conn)
        open_reports = len(await reports.listing(conn, unresolved=True, limit=cap))
        blocked = len(await blocks.all_domains(conn))
    return Overview(members, open_reports, open_reports >= cap, blocked)


# ----------------------------------------------------------------------------- accounts


async def people(fed: Federation, *, page: int = 1) -> tuple[list[User], bool]:
    """One page of local accounts by username, and whether there is a next page."""
    offset = (max(page, 1) - 1) * PEOPLE_PAGE
    async with fed.db.connection() as conn:
        found = await users.listing(conn, limit=PEOPLE_PAGE + 1, offset=offset)
    return found[:PEOPLE_PAGE], len(found) > PEOPLE_PAGE


async def _account(conn: Connection, admin: User, username: str, doing: str) -> User:
    if not admin.is_admin:
        raise PermissionError("only admins moderate accounts")
    user = await users.get_by_username(conn, username.strip().lower())
    if user is None:
        raise UnknownAccount(username)
    if user.id == admin.id:
        raise ModerationError("", f"You cannot {doing} your own account.")
    if user.deleted_at is not None:
        raise ModerationError(
            "", f"The account {user.username} was deleted; there is nothing left to {doing}."
        )
    return user


async def suspend(fed: Federation, admin: User, username: str) -> User:
    """Suspend the account and end its web sessions. Raises UnknownAccount or
    ModerationError (an admin does not suspend themselves)."""
    now = datetime.now(UTC)
    async with fed.db.transaction() as conn:
        user = await _account(conn, admin, username, "suspend")
        if user.suspended_at is None:
            await users.set_suspended(conn, user.id, now)
        await sessions.remove_user(conn, user.id)
    return user


async def unsuspend(fed: Federation, admin: User, username: str) -> User:
    async with fed.db.transaction() as conn:
        user = await _account(conn, admin, username, "unsuspend")
        if user.suspended_at is not None:
            await users.set_suspended(conn, user.id, None)
    return user


async def delete(fed: Federation, admin: User, username: str, confirmation: str) -> None:
    """Delete the account for good, after the admin typed its username again.

    A ``Delete`` of the actor, signed with the account's own key, is queued to the
    followers' servers, and the account becomes a tombstone (``users.tombstone``), all in
    one transaction. Raises UnknownAccount or ModerationError (field ``confirm`` when the
    confirmation does not match, "" for one's own or an already deleted account).
    """
    now = datetime.now(UTC)

    async def work(conn: Connection) -> User:  # database only: it may run again
        user = await _account(conn, admin, username, "delete")
        if confirmation.strip().lower() != user.username:
            raise ModerationError(
                "confirm", f"Type the username {user.username} to confirm the deletion."
            )
        actor = fed.uris.actor(user.username)
        gone = {
            "@context": AS_CONTEXT,
            "id": fed.uris.activity(user.username, new_id()),
            "type": "Delete",
            "actor": actor,
            "object": actor,
            "to": [activities.PUBLIC],
            "cc": [fed.uris.followers(user.username)],
        }
        inboxes = await follow_store.follower_inboxes(conn, actor)
        # Signed by the person (user_id): receivers accept a Delete of an actor only from
        # that actor's own key. The row and its keys stay (a tombstone), so the worker can
        # still sign it, retries included. The person's other pending deliveries are left
        # to go out too: a receiver that has processed the Delete refuses them (the actor
        # answers 410 Gone).
        await queue(conn, gone, user_id=user.id, inboxes=inboxes, now=now)
        # Purges everything else, follow relations (kept by actor URI) included.
        await users.tombstone(conn, user.id, now, actor=actor)
        return user

    user = await fed.db.run_in_transaction(work)
    # This process's caches must not serve the old profile and keys.
    fed.ed25519_keys.pop(fed.uris.ed25519_key(user.username), None)
    fed.forget_profiles()


# ----------------------------------------------------------------------------- reports


def _targets(value: Any) -> list[str]:
    found: list[str] = []
    for item in value if isinstance(value, list) else [value]:
        uri = activities.ref(item)
        if (
            uri is not None
            and uri.startswith(("https://", "http://"))
            and len(uri) <= MAX_TARGET_CHARS
            and uri not in found
        ):
            found.append(uri)
        if len(found) >= MAX_TARGETS:
            break
    return found


async def report(
    fed: Federation,
    reporter: User,
    account: str,
    comment: str,
    *,
    objects: list[str] | None = None,
    forward: bool = False,
) -> tuple[str, bool]:
    """A member reports an account (and optionally some of its objects) to our admins.

    With ``forward``, and when the account lives elsewhere, a ``Flag`` goes to its server
    too, sent by the instance actor so the reporter stays anonymous there (as Mastodon
    does). Returns the report's id and whether a Flag was queued. Raises ModerationError
    (and actors.ActorUnavailable when the account cannot be found)."""
    comment = comment.strip()
    if len(comment) > MAX_CONTENT:
        raise ModerationError("comment", f"keep the comment under {MAX_CONTENT} characters")
    target = await actors.resolve(fed, account)
    me = fed.uris.actor(reporter.username)
    if target == me:
        raise ModerationError("account", "you cannot report yourself")
    extra = _targets(objects or [])
    if len(extra) != len(objects or []):
        raise ModerationError("objects", "objects must be distinct http(s) URLs, at most 49")
    local_name = fed.uris.username_of(target)
    remote = local_name is None
    if local_name is not None:
        async with fed.db.connection() as conn:
            if await users.get_by_username(conn, local_name) is None:
                raise ModerationError("account", f"there is no account @{local_name} here")
    else:
        blocked = await fed.blocked_domains()
        if any(url_blocked(u, blocked) for u in (target, *extra)):
            forward = False  # we do not talk to blocked servers, even to report them
    uri = f"{fed.uris.base_url}/reports/{new_id()}"
    now = datetime.now(UTC)
    inbox: str | None = None
    if forward and remote:
        found = await actors.get(fed, target)
        inbox = found.shared_inbox or found.inbox
    async with fed.db.transaction() as conn:
        await reports.add(
            conn, uri=uri, reporter=me, targets=[target, *extra], content=comment, now=now
        )
        if inbox is not None:
            flag = {
                "@context": AS_CONTEXT,
                "id": uri,
                "type": "Flag",
                "actor": fed.uris.instance_actor,
                "object": [target, *extra],
                "content": comment,
                "to": [target],
            }
            await queue(conn, flag, user_id=None, inboxes=[inbox], now=now)
    return uri, inbox is not None


async def on_flag(fed: Federation, activity: dict[str, Any]) -> str:
    """A report from another server: keep it for the admins (once per activity id)."""
    uri = activities.ref(activity)
    reporter = activities.ref(activity.get("actor"))
    if uri is None or reporter is None:
        return "ignored: a Flag needs an id and an actor"
    content = activity.get("content")
    async with fed.db.transaction() as conn:
        stored = await reports.add(
            conn,
            uri=uri,
            reporter=reporter,
            targets=_targets(activity.get("object")),
            content=content[:MAX_CONTENT] if isinstance(content, str) else "",
            now=datetime.now(UTC),
        )
    return "report stored" if stored else "ignored: the report is already stored"


@dataclass(frozen=True)
class Target:
    uri: str
    username: str | None  # set when it names one of our accounts


@dataclass(frozen=True)
class ShownReport:
    id: int
    reporter: str
    targets: list[Target]
    content: str
    created_at: datetime
    resolved_at: datetime | None


def _shown(fed: Federation, report: Report) -> ShownReport:
    return ShownReport(
        id=report.id,
        reporter=report.reporter,
        targets=[Target(t, fed.uris.username_of(t)) for t in report.targets],
        content=report.content,
        created_at=report.created_at,
        resolved_at=report.resolved_at,
    )


async def shown_reports(fed: Federation) -> tuple[list[ShownReport], list[ShownReport]]:
    """The open reports, newest first, and the most recently received resolved ones."""
    async with fed.db.connection() as conn:
        open_ones = await reports.listing(conn, unresolved=True, limit=MAX_REPORTS)
        recent = await reports.listing(conn, unresolved=False, limit=MAX_REPORTS)
    resolved = [r for r in recent if r.resolved_at is not None]
    return [_shown(fed, r) for r in open_ones], [_shown(fed, r) for r in resolved]


async def resolve(fed: Federation, report_id: int) -> bool:
    """Mark an open report resolved; False when there is no such open report."""
    async with fed.db.transaction() as conn:
        return await reports.resolve(conn, report_id, datetime.now(UTC))

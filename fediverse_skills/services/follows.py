"""Following: asking to follow (API), and Follow, Accept, Reject and Undo arriving."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from ..federation import activities
from ..store import actors as actor_cache
from ..store import follows, users
from ..store.follows import ACCEPTED, PENDING
from ..store.users import User
from . import actors
from .context import Federation
from .outbox import new_id, queue

log = logging.getLogger("fediverse_skills.follows")


class FollowError(Exception):
    """The follow cannot be made; the message says why (a 4xx for the API)."""


@dataclass(frozen=True)
class FollowResult:
    target: str
    state: str  # pending | accepted


async def follow(fed: Federation, user: User, target: str) -> FollowResult:
    """Follow a local or remote account given as user@host or an actor URL."""
    try:
        target_uri = await actors.resolve(fed, target)
    except actors.ActorUnavailable as exc:
        raise FollowError(str(exc)) from None
    uris = fed.uris
    me = uris.actor(user.username)
    if target_uri == me:
        raise FollowError("you cannot follow yourself")
    now = datetime.now(UTC)
    activity_uri = uris.activity(user.username, new_id())
    local_name = uris.username_of(target_uri)
    if local_name is not None:
        async with fed.db.transaction() as conn:
            followee = await users.get_by_username(conn, local_name)
            if followee is None or followee.deleted_at is not None:
                raise FollowError(f"there is no account {local_name}@{uris.host}")
            state = PENDING if followee.manually_approves_followers else ACCEPTED
            record = await follows.add(
                conn,
                follower=me,
                followee=target_uri,
                activity_uri=activity_uri,
                state=state,
                now=now,
            )
        return FollowResult(target_uri, record.state)
    if uris.is_local(target_uri):
        raise FollowError("that is not an account on this server")
    try:
        remote = await actors.get(fed, target_uri)
    except actors.ActorUnavailable as exc:
        raise FollowError(str(exc)) from None
    activity = activities.follow(id=activity_uri, actor=me, object=remote.uri)
    async with fed.db.transaction() as conn:
        existing = await follows.get(conn, me, remote.uri)
        if existing is not None:
            return FollowResult(remote.uri, existing.state)
        await follows.add(
            conn,
            follower=me,
            followee=remote.uri,
            activity_uri=activity_uri,
            state=PENDING,
            now=now,
        )
        await queue(conn, activity, user_id=user.id, inboxes=[remote.inbox], now=now)
    return FollowResult(remote.uri, PENDING)


async def _local_followee(fed: Federation, uri: str | None) -> User | None:
    """The local account ``uri`` names; None for a deleted one (nothing is stored for it)."""
    name = fed.uris.username_of(uri) if uri else None
    if name is None:
        return None
    async with fed.db.connection() as conn:
        user = await users.get_by_username(conn, name)
    return None if user is None or user.deleted_at is not None else user


async def on_follow(fed: Federation, activity: dict[str, Any]) -> str:
    actor = activities.ref(activity.get("actor"))
    followee = await _local_followee(fed, activities.ref(activity.get("object")))
    if actor is None or followee is None:
        return "ignored: not a follow of a local account"
    follower = await actors.get(fed, actor)
    now = datetime.now(UTC)
    state = PENDING if followee.manually_approves_followers else ACCEPTED
    me = fed.uris.actor(followee.username)
    async with fed.db.transaction() as conn:
        if (known := await follows.get_by_activity(conn, str(activity["id"]))) is not None:
            # This very Follow was handled before: a worker died after committing it but
            # before marking the inbox item done. Its Accept, if any, was queued then.
            return f"follow {known.state} (already handled)"
        record = await follows.add(
            conn,
            follower=follower.uri,
            followee=me,
            activity_uri=str(activity["id"]),
            state=state,
            now=now,
        )
        if record.state == ACCEPTED:
            accept = activities.accept(
                id=fed.uris.activity(followee.username, new_id()),
                actor=me,
                follow_activity=activity,
            )
            await queue(conn, accept, user_id=followee.id, inboxes=[follower.inbox], now=now)
    return f"follow {record.state}"


async def decide(fed: Federation, user: User, follower_uri: str, *, approve: bool) -> bool:
    """The owner approves or rejects a pending follow request. False if there is none."""
    me = fed.uris.actor(user.username)
    now = datetime.now(UTC)
    async with fed.db.transaction() as conn:
        request = await follows.get(conn, follower_uri, me)
        if request is None or request.state != PENDING:
            return False
        remote = None
        if not fed.uris.is_local(follower_uri):
            remote = await actor_cache.get(conn, follower_uri)
        follow_activity = activities.follow(id=request.activity_uri, actor=follower_uri, object=me)
        if approve:
            await follows.accept(conn, request.activity_uri, now)
            answer = activities.accept(
                id=fed.uris.activity(user.username, new_id()),
                actor=me,
                follow_activity=follow_activity,
            )
        else:
            await follows.remove(conn, follower_uri, me)
            answer = activities.reject(
                id=fed.uris.activity(user.username, new_id()),
                actor=me,
                follow_activity=follow_activity,
            )
        if remote is not None:
            await queue(conn, answer, user_id=user.id, inboxes=[remote.inbox], now=now)
    return True


async def on_undo_follow(fed: Federation, activity: dict[str, Any]) -> str:
    actor = activities.ref(activity.get("actor"))
    inner = activity.get("object")
    async with fed.db.transaction() as conn:
        if isinstance(inner, dict):
            follower = activities.ref(inner.get("actor"))
            followee = activities.ref(inner.get("object"))
            if follower is None or follower != actor or followee is None:
                return "ignored: only the follower can undo a follow"
            removed = await follows.remove(conn, follower, followee)
        else:
            record = await follows.get_by_activity(conn, activities.ref(inner) or "")
            if record is None or record.follower != actor:
                return "ignored: no such follow by this actor"
            removed = await follows.remove(conn, record.follower, record.followee)
    return "unfollowed" if removed else "ignored: not following"


async def on_answer(fed: Federation, activity: dict[str, Any], *, accepted: bool) -> str:
    """Accept or Reject of one of our Follows. Only the followee may answer it."""
    actor = activities.ref(activity.get("actor"))
    follow_uri = activities.ref(activity.get("object"))
    if follow_uri is None:
        return "ignored: no follow named"
    now = datetime.now(UTC)
    async with fed.db.transaction() as conn:
        record = await follows.get_by_activity(conn, follow_uri)
        if record is None or record.followee != actor or not fed.uris.is_local(record.follower):
            return "ignored: not an answer to a follow we sent to this actor"
        if accepted:
            await follows.accept(conn, follow_uri, now)
            return "follow accepted"
        await follows.remove(conn, record.follower, record.followee)
        return "follow rejected"


async def pending_requests(fed: Federation, user: User) -> list[str]:
    """Actors waiting for the user to approve their follow."""
    async with fed.db.connection() as conn:
        return await follows.pending_for(conn, fed.uris.actor(user.username))

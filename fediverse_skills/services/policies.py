"""Who may suggest skills to one of our people, or endorse theirs: their policy, and how
the acting person relates to them (follows, blocks)."""

from __future__ import annotations

from datetime import UTC, datetime

from ..domain.policies import Audience, Policy, Relation, may_endorse, may_suggest
from ..store import blocks, follows
from ..store.db import Connection
from ..store.follows import ACCEPTED
from ..store.users import User
from . import actors
from .context import Federation

__all__ = ["allowed", "block_actor", "blocked_actors", "relation", "unblock_actor"]


def policy_of(user: User) -> Policy:
    return Policy(
        suggest=Audience(user.suggest_policy),
        endorse=Audience(user.endorse_policy),
        manual_approval=not user.auto_accept_suggestions,
    )


async def relation(fed: Federation, conn: Connection, owner: User, actor: str) -> Relation:
    me = fed.uris.actor(owner.username)
    follows_owner = await follows.get(conn, actor, me)
    followed = await follows.get(conn, me, actor)
    return Relation(
        is_owner=actor == me,
        follows_owner=follows_owner is not None and follows_owner.state == ACCEPTED,
        followed_by_owner=followed is not None and followed.state == ACCEPTED,
        blocked=await blocks.actor_blocked(conn, owner.id, actor),
    )


async def allowed(
    fed: Federation, conn: Connection, owner: User, actor: str, *, action: str
) -> bool:
    """Whether ``actor`` may ``suggest`` to ``owner`` or ``endorse`` their skills."""
    who = await relation(fed, conn, owner, actor)
    check = may_suggest if action == "suggest" else may_endorse
    return check(policy_of(owner), who)


async def block_actor(fed: Federation, user: User, account: str) -> str:
    """``user`` blocks a person: nothing they suggest, endorse or like reaches ``user``.
    Returns the actor URI; raises actors.ActorUnavailable."""
    uri = await actors.resolve(fed, account)
    if uri == fed.uris.actor(user.username):
        raise actors.ActorUnavailable("you cannot block yourself")
    async with fed.db.transaction() as conn:
        await blocks.add_actor(conn, user.id, uri, datetime.now(UTC))
    return uri


async def unblock_actor(fed: Federation, user: User, account: str) -> bool:
    uri = await actors.resolve(fed, account)
    async with fed.db.transaction() as conn:
        return await blocks.remove_actor(conn, user.id, uri)


async def blocked_actors(fed: Federation, user: User) -> list[str]:
    """The people ``user`` blocked, as actor URIs."""
    async with fed.db.connection() as conn:
        return await blocks.blocked_actors(conn, user.id)

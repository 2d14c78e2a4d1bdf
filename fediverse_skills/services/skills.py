"""Skills on our people's profiles: declaring and removing them, and telling followers.

A skill joins a profile when its owner declares it or accepts a suggestion. Followers then
get a public Note about it (Mastodon shows it; a like or a reply to it is an endorsement),
an ``Add`` of the Skill (for servers that speak our vocabulary) and an ``Update`` of the
actor (its featured tags and "Skills" field). Removing a skill undoes all three.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

from ..domain import skills as skill_rules
from ..domain.skills import InvalidSkill
from ..federation import activities, markup, vocabulary
from ..store import endorsements, follows, notes, users
from ..store import skills as skill_store
from ..store.db import Connection
from ..store.skills import SkillRow
from ..store.users import User
from .actors import Card
from .context import Federation
from .outbox import new_id, post_note, queue
from .profiles import queue_actor_update

__all__ = ["InvalidSkill", "SkillError", "declare", "remove"]


class SkillError(Exception):
    """The skill cannot be added or removed; the message says why."""


def skill_object(fed: Federation, username: str, skill: SkillRow) -> dict[str, Any]:
    """The Skill as it appears in ``Add`` activities (no endorsements)."""
    doc: dict[str, Any] = {
        "id": vocabulary.skill_uri(fed.uris.skills(username), skill.key),
        "type": "Skill",
        "name": skill.name,
        "skillKey": skill.key,
        "about": fed.uris.actor(username),
    }
    if skill.hashtag:
        doc["hashtag"] = skill.hashtag
    if skill.taxonomy:
        doc["taxonomy"] = skill.taxonomy
    return doc


async def declare(fed: Federation, user: User, name: str, taxonomy: str | None = None) -> SkillRow:
    """Add a self-declared skill. Raises InvalidSkill or SkillError (already there)."""
    skill = skill_rules.make(name, taxonomy)
    now = datetime.now(UTC)

    async def work(conn: Connection) -> SkillRow:  # database only: it may run again
        row = await skill_store.add(
            conn,
            user_id=user.id,
            key=skill.key,
            name=skill.name,
            hashtag=skill.hashtag,
            taxonomy=skill.taxonomy,
            now=now,
        )
        if row is None:
            raise SkillError(f"{skill.name} is already on your profile")
        await announce(fed, conn, user, row, None, now)
        return row

    return await fed.db.run_in_transaction(work)


async def remove(fed: Federation, user: User, key: str) -> bool:
    """Remove a skill, its endorsements and its notes; tell followers. False if absent."""
    now = datetime.now(UTC)
    uris = fed.uris
    me = uris.actor(user.username)

    async def work(conn: Connection) -> bool:  # database only: it may run again
        skill = await skill_store.get(conn, user.id, key)
        if skill is None:
            return False
        # Deleting the endorsements bumps the profile of each local endorser as well as
        # ours (triggers): take all those rows now, in id order, not one by one.
        endorsers = await endorsements.endorser_ids_of_skill(conn, user.id, key)
        await users.lock_users(conn, {user.id, *endorsers})
        await skill_store.remove(conn, user.id, key)
        await endorsements.remove_of_skill(conn, user.id, key)
        inboxes = await follows.follower_inboxes(conn, me)
        while (note := await notes.of_skill(conn, user.id, key)) is not None:
            await notes.remove(conn, note.id)
            delete = vocabulary.wrap(
                base_url=uris.base_url,
                kind="Delete",
                id=uris.activity(user.username, new_id()),
                actor=me,
                obj={"id": uris.note(user.username, note.public_id), "type": "Tombstone"},
                to=[activities.PUBLIC],
                cc=[uris.followers(user.username)],
            )
            await queue(conn, delete, user_id=user.id, inboxes=inboxes, now=now)
        removal = vocabulary.wrap(
            base_url=uris.base_url,
            kind="Remove",
            id=uris.activity(user.username, new_id()),
            actor=me,
            obj=vocabulary.skill_uri(uris.skills(user.username), key),
            to=[activities.PUBLIC],
            cc=[uris.followers(user.username)],
        )
        removal["target"] = uris.skills(user.username)
        await queue(conn, removal, user_id=user.id, inboxes=inboxes, now=now)
        await queue_actor_update(fed, conn, user, now)
        return True

    return await fed.db.run_in_transaction(work)


async def announce(
    fed: Federation,
    conn: Connection,
    user: User,
    skill: SkillRow,
    suggester: Card | None,
    now: datetime,
) -> None:
    """Tell followers (and the suggester) about a new skill, in the caller's transaction."""
    uris = fed.uris
    me = uris.actor(user.username)
    followers = uris.followers(user.username)
    inboxes = set(await follows.follower_inboxes(conn, me))
    parts = [markup.text(f"{user.display_name or user.username} added ")]
    tags: list[dict[str, Any]] = []
    if skill.hashtag and skill.hashtag != skill.name:
        # "C++ (#CPlusPlus)": the hashtag alone would hide the name the person wrote.
        parts.append(markup.text(f"{skill.name} ("))
        parts.append(markup.hashtag_link(uris.base_url, skill.hashtag))
        parts.append(markup.text(")"))
        tags.append(markup.hashtag_tag(uris.base_url, skill.hashtag))
    elif skill.hashtag:
        parts.append(markup.hashtag_link(uris.base_url, skill.hashtag))
        tags.append(markup.hashtag_tag(uris.base_url, skill.hashtag))
    else:
        parts.append(markup.text(skill.name))
    parts.append(markup.text(" to their skills"))
    cc = [followers]
    if suggester is not None:
        parts.append(markup.text(" — suggested by "))
        parts.append(markup.mention_link(suggester.url, suggester.username))
        tags.append(markup.mention_tag(suggester.uri, suggester.acct))
        cc.append(suggester.uri)
        if suggester.inbox:
            inboxes.add(suggester.inbox)
    parts.append(markup.text(". Like or reply to endorse it."))
    await post_note(
        fed,
        conn,
        user,
        content=markup.paragraph(*parts),
        to=[activities.PUBLIC],
        cc=cc,
        tags=tags,
        inboxes=inboxes,
        kind="skill",
        now=now,
        skill_key=skill.key,
    )
    add = vocabulary.wrap(
        base_url=uris.base_url,
        kind="Add",
        id=uris.activity(user.username, new_id()),
        actor=me,
        obj=skill_object(fed, user.username, skill),
        to=[activities.PUBLIC],
        cc=[followers],
    )
    add["target"] = uris.skills(user.username)
    follower_inboxes: Iterable[str] = await follows.follower_inboxes(conn, me)
    await queue(conn, add, user_id=user.id, inboxes=follower_inboxes, now=now)
    await queue_actor_update(fed, conn, user, now)


async def display_name_for(conn: Connection, user_id: int, tag: str) -> str:
    """The display form a hashtag stands for: the person's own skill with that hashtag,
    else the most common one on this instance (``#CPlusPlus`` → ``C++``), else the tag."""
    known = await skill_store.of_user(conn, user_id)
    own = skill_rules.display_for_hashtag(
        tag,
        [skill_rules.Skill(s.name, s.key, s.hashtag, s.taxonomy) for s in known],
    )
    if own != tag.lstrip("#"):
        return own
    return await skill_store.name_for_hashtag(conn, tag.lstrip("#")) or own


async def of_user(fed: Federation, user: User) -> list[SkillRow]:
    async with fed.db.connection() as conn:
        return await skill_store.of_user(conn, user.id)

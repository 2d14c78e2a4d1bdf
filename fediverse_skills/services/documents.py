"""AS2 documents of our own actors, objects and collections, as other servers fetch them."""

from __future__ import annotations

import json
from typing import Any

from ..federation import activities, collections, media
from ..federation.actors import LocalActor, instance_application, person
from ..store import deliveries, follows, notes, users
from ..store.users import User
from .context import Federation
from .instance import ensure_key

PAGE_SIZE = 20


async def _user(fed: Federation, username: str) -> User | None:
    async with fed.db.connection() as conn:
        return await users.get_by_username(conn, username)


def local_actor(user: User) -> LocalActor:
    return LocalActor(
        username=user.username,
        display_name=user.display_name,
        summary=user.summary,
        manually_approves_followers=user.manually_approves_followers,
        rsa_public_pem=user.rsa_public_pem,
        ed25519_public_hex=user.ed25519_public,
        published=user.created_at,
    )


async def actor(fed: Federation, username: str) -> dict[str, Any] | None:
    user = await _user(fed, username)
    return None if user is None else person(fed.uris, local_actor(user))


async def instance_actor(fed: Federation) -> dict[str, Any]:
    key = await ensure_key(fed.db)
    return instance_application(fed.uris, key.rsa_public_pem)


def _note_object(fed: Federation, username: str, note: notes.Note) -> dict[str, Any]:
    uri = fed.uris.note(username, note.public_id)
    return activities.note(
        id=uri,
        actor=fed.uris.actor(username),
        followers=fed.uris.followers(username),
        content_html=activities.plain_text_html(note.content),
        published=note.published_at,
        url=uri,
    )


async def note(fed: Federation, username: str, public_id: str) -> dict[str, Any] | None:
    user = await _user(fed, username)
    if user is None:
        return None
    async with fed.db.connection() as conn:
        found = await notes.get(conn, user.id, public_id)
    return None if found is None else activities.with_context(_note_object(fed, username, found))


async def activity(fed: Federation, username: str, public_id: str) -> dict[str, Any] | None:
    """A public activity we sent (a Create of a note), as stored."""
    user = await _user(fed, username)
    if user is None:
        return None
    uri = fed.uris.activity(username, public_id)
    async with fed.db.connection() as conn:
        body = await deliveries.activity_body(conn, uri)
    if body is None:
        return None
    doc: dict[str, Any] = json.loads(body)
    return doc if doc.get("type") == "Create" and activities.is_public(doc) else None


async def outbox(fed: Federation, username: str, page: int | None) -> dict[str, Any] | None:
    user = await _user(fed, username)
    if user is None:
        return None
    collection = fed.uris.outbox(username)
    async with fed.db.connection() as conn:
        total = await notes.count(conn, user.id)
        if page is None:
            return collections.ordered_collection(collection, total)
        items = await notes.page(conn, user.id, offset=(page - 1) * PAGE_SIZE, limit=PAGE_SIZE)
    actor_uri = fed.uris.actor(username)
    creates = [
        {
            k: v
            for k, v in activities.create(
                id=fed.uris.activity(username, n.public_id),
                actor=actor_uri,
                object=_note_object(fed, username, n),
            ).items()
            if k != "@context"
        }
        for n in items
    ]
    return collections.ordered_page(collection, page, creates, total, PAGE_SIZE)


async def relations(
    fed: Federation, username: str, which: str, page: int | None
) -> dict[str, Any] | None:
    """The followers or following collection of a local user."""
    user = await _user(fed, username)
    if user is None:
        return None
    me = fed.uris.actor(username)
    collection = (
        fed.uris.followers(username) if which == "followers" else fed.uris.following(username)
    )
    key = {"followee": me} if which == "followers" else {"follower": me}
    async with fed.db.connection() as conn:
        total = await follows.count(conn, **key)
        if page is None:
            return collections.ordered_collection(collection, total)
        items = await follows.page(conn, **key, offset=(page - 1) * PAGE_SIZE, limit=PAGE_SIZE)
    return collections.ordered_page(collection, page, list(items), total, PAGE_SIZE)


def wants_activitystreams(accept: str | None) -> bool:
    """Content negotiation: whether the client asked for AS2 JSON rather than HTML."""
    return media.wants_activitystreams(accept)


def accepts_inbox_post(content_type: str | None) -> bool:
    return media.accepts_inbox_post(content_type)

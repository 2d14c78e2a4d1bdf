"""AS2 documents of our own actors, objects and collections, as other servers fetch them."""

from __future__ import annotations

import json
from typing import Any

from ..federation import activities, collections, jsonld, media, vocabulary
from ..federation.actors import LocalActor, instance_application, person
from ..federation.media import AS_CONTEXT
from ..store import deliveries, follows, notes, users
from ..store import endorsements as endorsement_store
from ..store import skills as skill_store
from ..store.users import User
from . import access
from .context import Federation
from .instance import ensure_key

PAGE_SIZE = 20
MAX_FEATURED = 10  # skills shown as featured tags and in the "Skills" field


def _servable(user: User | None) -> bool:
    """Whether a user's notes, activities and collections are served: not for a deleted
    account (what it sent is kept for delivery, no longer served), nor for a suspended
    one until the suspension is lifted, so that a boost of its notes elsewhere (an
    Announce by reference, CVE-2026-23961) dereferences to nothing."""
    return user is not None and user.deleted_at is None and user.suspended_at is None


async def _user(fed: Federation, username: str) -> User | None:
    """The local user whose documents are served (``_servable``), or None."""
    async with fed.db.connection() as conn:
        user = await users.get_by_username(conn, username)
    return user if _servable(user) else None


def local_actor(user: User, top_skills: list[skill_store.SkillRow] | None = None) -> LocalActor:
    return LocalActor(
        skills=tuple((s.name, s.hashtag) for s in top_skills or []),
        username=user.username,
        display_name=user.display_name,
        summary=user.summary,
        manually_approves_followers=user.manually_approves_followers,
        rsa_public_pem=user.rsa_public_pem,
        ed25519_public_hex=user.ed25519_public,
        published=user.created_at,
        avatar=user.avatar,
        # Only when shown: a private "open to work" is for matching on this instance.
        open_to_work=user.open_to_work and user.show_open_to_work,
    )


async def actor(fed: Federation, username: str) -> dict[str, Any] | None:
    async with fed.db.connection() as conn:
        user = await users.get_by_username(conn, username)
        if user is None:
            return None
        top = await skill_store.of_user(conn, user.id, limit=MAX_FEATURED)
    return person(fed.uris, local_actor(user, top))


async def instance_actor(fed: Federation) -> dict[str, Any]:
    key = await ensure_key(fed.db)
    return instance_application(fed.uris, key.rsa_public_pem)


def _note_object(fed: Federation, username: str, note: notes.Note) -> dict[str, Any]:
    if note.document is not None:
        stored: dict[str, Any] = json.loads(note.document)
        return stored
    uri = fed.uris.note(username, note.public_id)
    return activities.note(
        id=uri,
        actor=fed.uris.actor(username),
        followers=fed.uris.followers(username),
        content_html=activities.plain_text_html(note.content),
        published=note.published_at,
        url=uri,
    )


async def note(
    fed: Federation, username: str, public_id: str, *, reader: str | None = None
) -> dict[str, Any] | None:
    """A note; one that is not public only to a verified ``reader`` in its audience."""
    user = await _user(fed, username)
    if user is None:
        return None
    async with fed.db.connection() as conn:
        found = await notes.get(conn, user.id, public_id)
    if found is None:
        return None
    doc = _note_object(fed, username, found)
    if not found.public and not await access.may_read(fed, doc, username=username, reader=reader):
        return None  # not found, as far as anyone outside the audience can tell
    return activities.with_context(doc)


async def activity(
    fed: Federation, username: str, public_id: str, *, reader: str | None = None
) -> dict[str, Any] | None:
    """A Create of a note we sent, as stored: a public one to anyone, another only to a
    verified ``reader`` in its audience."""
    user = await _user(fed, username)
    if user is None:
        return None
    uri = fed.uris.activity(username, public_id)
    async with fed.db.connection() as conn:
        body = await deliveries.activity_body(conn, uri)
    if body is None:
        return None
    doc: dict[str, Any] = json.loads(body)
    if doc.get("type") != "Create":
        return None
    if activities.is_public(doc) or await access.may_read(
        fed, doc, username=username, reader=reader
    ):
        return doc
    return None


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


SKILLS_PAGE_SIZE = 50


def skill_item(fed: Federation, username: str, skill: skill_store.SkillRow) -> dict[str, Any]:
    """A skill as its collection shows it, without its endorsements."""
    uris = fed.uris
    doc: dict[str, Any] = {
        "id": vocabulary.skill_uri(uris.skills(username), skill.key),
        "type": "Skill",
        "name": skill.name,
        "skillKey": skill.key,
        "about": uris.actor(username),
        "published": activities.timestamp(skill.created_at),
    }
    if skill.hashtag:
        doc["hashtag"] = skill.hashtag
    if skill.taxonomy:
        doc["taxonomy"] = skill.taxonomy
    if skill.suggested_by:
        doc["suggestedBy"] = skill.suggested_by
        if skill.suggested_at is not None:
            doc["suggestedAt"] = activities.timestamp(skill.suggested_at)
    return doc


def _with_embedded(item: dict[str, Any], suggestion: str | None, endorsements: list[str]) -> str:
    """``item`` as JSON text, with the stored signed documents spliced in unchanged: they
    must stay byte-for-byte what their authors signed, and re-encoding 5,000 of them per
    request would be the slowest part of serving a profile."""
    head = json.dumps(item, separators=(",", ":"), ensure_ascii=False)[:-1]
    parts = [head]
    if suggestion is not None:
        parts.append(',"suggestion":' + suggestion)
    parts.append(f',"endorsementCount":{len(endorsements)},"endorsements":[')
    parts.append(",".join(endorsements))
    parts.append("]}")
    return "".join(parts)


async def skills(fed: Federation, username: str, page: int | None) -> dict[str, Any] | str | None:
    """The skills collection of a local person; a page embeds every endorsement with its
    proof (as JSON text, see ``_with_embedded``)."""
    uri = fed.uris.skills(username)
    async with fed.db.connection() as conn:
        user = await users.get_by_username(conn, username)
        if user is None or not _servable(user):
            return None
        total = await skill_store.count(conn, user.id)
        if page is None:
            doc = collections.ordered_collection(uri, total)
            doc["@context"] = vocabulary.document_context(fed.uris.base_url)
            return doc
        cache_key = ("skills", user.id, page)
        cached = fed.cached_profile(cache_key, user.profile_version)
        if isinstance(cached, str):
            return cached
        rows = await skill_store.of_user(
            conn, user.id, offset=(page - 1) * SKILLS_PAGE_SIZE, limit=SKILLS_PAGE_SIZE
        )
        keys = {r.key for r in rows}
        embedded: dict[str, list[str]] = {k: [] for k in keys}
        for key, document in await endorsement_store.documents_of_user(conn, user.id):
            if key in embedded:
                embedded[key].append(document)
    frame = collections.ordered_page(uri, page, [], total, SKILLS_PAGE_SIZE)
    frame["@context"] = vocabulary.document_context(fed.uris.base_url)
    items = ",".join(
        _with_embedded(skill_item(fed, username, r), r.suggestion, embedded[r.key]) for r in rows
    )
    head, tail = json.dumps(frame, separators=(",", ":"), ensure_ascii=False).split(
        '"orderedItems":[]', 1
    )
    text = f'{head}"orderedItems":[{items}]{tail}'
    fed.remember_profile(cache_key, user.profile_version, text)
    return text


async def skill(fed: Federation, username: str, key: str) -> str | None:
    """One skill with its endorsements (JSON text)."""
    async with fed.db.connection() as conn:
        user = await users.get_by_username(conn, username)
        row = (
            None
            if user is None or not _servable(user)
            else await skill_store.get(conn, user.id, key)
        )
        if user is None or row is None:
            return None
        documents = [e.document for e in await endorsement_store.of_skill(conn, user.id, key)]
    item = {"@context": vocabulary.document_context(fed.uris.base_url)}
    item.update(skill_item(fed, username, row))
    return _with_embedded(item, row.suggestion, documents)


async def featured_tags(fed: Federation, username: str) -> dict[str, Any] | None:
    """Mastodon's featured tags: the person's top skills as hashtags."""
    async with fed.db.connection() as conn:
        user = await users.get_by_username(conn, username)
        if user is None or not _servable(user):
            return None
        top = await skill_store.of_user(conn, user.id, limit=MAX_FEATURED)
    tags = [
        {"type": "Hashtag", "href": fed.uris.tag(s.hashtag), "name": f"#{s.hashtag}"}
        for s in top
        if s.hashtag
    ]
    return {
        "@context": AS_CONTEXT,
        "id": fed.uris.featured_tags(username),
        "type": "Collection",
        "totalItems": len(tags),
        "items": tags,
    }


async def endorsement(fed: Federation, username: str, public_id: str) -> str | None:
    """An endorsement one of our people made, exactly as signed."""
    async with fed.db.connection() as conn:
        row = await endorsement_store.get(conn, public_id)
        author = await users.get_by_username(conn, username)
    if row is None or row.uri != fed.uris.endorsement(username, public_id):
        return None
    return row.document if _servable(author) else None


def skills_context() -> bytes:
    """Our vocabulary's context document, as bundled."""
    return jsonld.context_bytes(jsonld.SKILLS_CONTEXT_FILE)

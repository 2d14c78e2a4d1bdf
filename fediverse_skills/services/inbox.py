"""The inbox: verify, then durably queue, then answer 202; a worker processes the queue.

``receive`` runs in the request. It refuses anything forged or malformed before it stores
a byte, and it never fetches from a blocked domain. ``process_due`` runs in the worker and
hands each activity to the handler for its type (a table of small functions). Processing is
idempotent by activity id: the queue keeps each id once.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from ..domain import retries
from ..federation import activities, shapes
from ..federation.actors import same_origin
from ..federation.domains import registrable_domain_of
from ..federation.safejson import JsonError, loads_object
from ..federation.signatures import SignatureError, verify_request
from ..store import actors as actor_cache
from ..store import follows as follow_store
from ..store import inbox as inbox_store
from ..store import notes as note_store
from ..store import objects, users
from ..store.inbox import InboxItem, NewInboxItem
from . import actors, endorsements, follows, moderation, opportunities, referrals, suggestions
from .blocks import url_blocked
from .context import Federation

log = logging.getLogger("fediverse_skills.inbox")

MAX_BODY = 1_048_576
LEASE = timedelta(minutes=2)
MAX_ATTEMPTS = 8


class Refused(Exception):
    """The request is refused with ``status``; ``reason`` is a short text for the sender."""

    def __init__(self, status: int, reason: str, retry_after: float = 0.0) -> None:
        super().__init__(reason)
        self.status = status
        self.reason = reason
        self.retry_after = retry_after  # seconds, for 429


@dataclass(frozen=True)
class Receipt:
    activity_id: str


def _activity(body: bytes) -> dict[str, Any]:
    try:
        doc = loads_object(body, max_bytes=MAX_BODY)
    except JsonError as exc:
        raise Refused(413 if "too large" in str(exc) else 400, str(exc)) from None
    if not isinstance(doc.get("id"), str) or not doc["id"].startswith(("https://", "http://")):
        raise Refused(400, "the activity needs an http(s) id")
    if not isinstance(doc.get("type"), str):
        raise Refused(400, "the activity needs a type")
    if activities.ref(doc.get("actor")) is None:
        raise Refused(400, "the activity needs an actor")
    reshaped = shapes.reshaping(doc)
    if reshaped is not None:
        # Its JSON-LD reading differs from its plain reading (CVE-2026-42462).
        raise Refused(400, f"the activity's JSON-LD is reshaped: {reshaped}")
    return doc


async def receive(
    fed: Federation,
    *,
    method: str,
    url: str,
    headers: Sequence[tuple[str, str]],
    body: bytes,
    recipient: str | None,
) -> Receipt:
    """Verify and durably queue one inbox POST, or raise Refused."""
    if len(body) > MAX_BODY:
        raise Refused(413, "the body is larger than 1 MB")
    doc = _activity(body)
    actor = activities.ref(doc["actor"])
    assert actor is not None
    activity_id: str = doc["id"]
    blocked = await fed.blocked_domains()
    if blocked and any(
        url_blocked(u, blocked) for u in (actor, activity_id, _key_id(headers), *_iris(doc))
    ):
        raise Refused(403, "the domain is blocked")
    if not same_origin(activity_id, actor):
        raise Refused(400, "the activity id is not on the actor's origin")
    is_self_delete = doc["type"] == "Delete" and activities.ref(doc.get("object")) == actor
    if is_self_delete and await actors.cached(fed, actor) is None:
        # A deleted account we never knew: nothing to do, and nothing to fetch.
        return Receipt(activity_id)

    async def lookup(kid: str, refresh: bool) -> Any:
        return await actors.lookup_key(fed, kid, refresh)

    try:
        verified = await verify_request(method, url, headers, body, lookup=lookup)
    except SignatureError as exc:
        raise Refused(401, exc.reason) from None
    if verified.owner != actor:
        raise Refused(401, "the signature's key does not belong to the activity's actor")
    if fed.inbox_limiter is not None:
        # Counted once the signature holds, so forged requests cannot spend a domain's budget.
        domain = registrable_domain_of(actor)
        wait = fed.inbox_limiter.take(domain)
        if wait:
            raise Refused(429, f"too many activities from {domain}; retry later", wait)
    if "signature" in doc:
        # LD signatures are not trusted (the HTTP signature is): store the activity without.
        del doc["signature"]
        text = json.dumps(doc, separators=(",", ":"), ensure_ascii=False)
    else:
        text = body.decode("utf-8")  # exactly what was signed
    item = NewInboxItem(
        activity_uri=activity_id,
        type=doc["type"],
        actor=actor,
        recipient=recipient,
        body=text,
        received_at=datetime.now(UTC),
    )
    if fed.inbox_writer is not None:
        await fed.inbox_writer.submit(item)  # returns after the batch commits
    else:
        async with fed.db.transaction() as conn:
            await inbox_store.enqueue(conn, [item])
    return Receipt(activity_id)


async def recipient_exists(fed: Federation, username: str) -> bool:
    """Whether a local user of that name exists (remembered briefly: every POST asks)."""
    if fed.known_local_user(username):
        return True
    async with fed.db.connection() as conn:
        found = await users.get_by_username(conn, username) is not None
    if found:
        fed.remember_local_user(username)
    return found


def _key_id(headers: Sequence[tuple[str, str]]) -> str | None:
    for name, value in headers:
        if name.lower() in ("signature", "signature-input", "authorization"):
            marker = 'keyid="' if 'keyid="' in value.lower() else None
            if marker:
                start = value.lower().index(marker) + len(marker)
                return value[start : value.index('"', start)] if '"' in value[start:] else None
    return None


def _iris(doc: dict[str, Any]) -> list[str]:
    """The IRIs an activity names (object, target, audience, and the id, actor, owner and
    audience of every object embedded down the ``object`` chain, as in an Announce of a
    Create), for domain-block checks."""
    found = [activities.ref(doc.get("object")), activities.ref(doc.get("target"))]
    found.extend(activities.audience(doc))
    inner = doc.get("object")
    for _ in range(_EMBEDDED_DEPTH):
        if not isinstance(inner, dict):
            break
        found.extend(activities.ref(inner.get(name)) for name in _OWNERS)
        found.extend(activities.audience(inner))
        inner = inner.get("object")
    return [u for u in found if u and u.startswith(("http://", "https://"))]


_OWNERS = ("id", "actor", "attributedTo", "object", "target")
_EMBEDDED_DEPTH = 4


# ----------------------------------------------------------------------------- processing

Handler = Callable[[Federation, dict[str, Any]], Awaitable[str]]


async def on_create(fed: Federation, activity: dict[str, Any]) -> str:
    actor = activities.ref(activity.get("actor"))
    obj = activity.get("object")
    if not isinstance(obj, dict):
        return "ignored: a Create must embed its object"
    uri = activities.ref(obj)
    if uri is None or actor is None or not same_origin(uri, actor):
        return "ignored: the object is not on the actor's origin"
    if activities.type_of(obj) == "Endorsement":
        return await endorsements.on_create(fed, activity, obj)
    if activities.ref(obj.get("attributedTo")) != actor:
        return "ignored: the object is attributed to someone else"
    posted = await opportunities.on_note(fed, activity, obj)
    if posted is not None:
        return posted
    mapped = await _skills_from_post(fed, obj, actor) or await referrals.on_interest(
        fed, obj, actor
    )
    stored = await _store_object(fed, obj, uri, actor)
    return f"{stored}; {mapped}" if mapped else stored


async def _skills_from_post(fed: Federation, obj: dict[str, Any], actor: str) -> str | None:
    """What a plain post means for skills: a reply to a skill note endorses it; a reply
    to an ask, or a mention with #SuggestSkill, suggests skills."""
    content = obj.get("content")
    html = content if isinstance(content, str) else ""
    parent = activities.ref(obj.get("inReplyTo"))
    if parent is not None:
        outcome = await endorsements.from_interaction(
            fed, obj, actor=actor, target=parent, comment_html=html, kind="reply"
        )
        if outcome is not None:
            return outcome
        asker = await _asker(fed, parent)
        if asker is not None:
            return await suggestions.from_post(fed, asker, obj, actor, via=parent)
    tags = {t.casefold() for t in suggestions.hashtags(obj)}
    if suggestions.SUGGEST_TAG not in tags:
        return None
    outcomes = [
        await suggestions.from_post(fed, owner, obj, actor, via=activities.ref(obj) or "")
        for owner in await _mentioned(fed, obj)
    ]
    return "; ".join(outcomes) or "ignored: #SuggestSkill without a mention of our people"


async def _asker(fed: Federation, uri: str) -> users.User | None:
    """The owner of ``uri`` if it is one of our "ask" posts."""
    found = fed.uris.note_of(uri)
    if found is None:
        return None
    async with fed.db.connection() as conn:
        owner = await users.get_by_username(conn, found[0])
        note = None if owner is None else await note_store.get(conn, owner.id, found[1])
    return owner if note is not None and note.kind == "ask" else None


async def _mentioned(fed: Federation, obj: dict[str, Any]) -> list[users.User]:
    """Our people a post mentions (``tag`` Mention entries), at most five."""
    names: list[str] = []
    tags = obj.get("tag")
    for tag in tags if isinstance(tags, list) else [tags]:
        if isinstance(tag, dict) and tag.get("type") == "Mention":
            name = fed.uris.username_of(activities.ref(tag.get("href")) or "")
            if name is not None and name not in names:
                names.append(name)
    found = []
    async with fed.db.connection() as conn:
        for name in names[:5]:
            user = await users.get_by_username(conn, name)
            if user is not None and user.deleted_at is None:
                found.append(user)
    return found


async def _store_object(fed: Federation, obj: dict[str, Any], uri: str, actor: str) -> str:
    content = obj.get("content")
    async with fed.db.transaction() as conn:
        stored = await objects.add(
            conn,
            uri=uri,
            type=activities.type_of(obj) or "Object",
            actor=actor,
            content=content if isinstance(content, str) else "",
            document=json.dumps(obj, separators=(",", ":")),
            published_at=None,
            now=datetime.now(UTC),
        )
    return "stored" if stored else "ignored: already known or deleted"


async def on_delete(fed: Federation, activity: dict[str, Any]) -> str:
    actor = activities.ref(activity.get("actor"))
    target = activities.ref(activity.get("object"))
    if actor is None or target is None or not same_origin(actor, target):
        return "ignored: only the owner may delete"
    withdrawn = await endorsements.on_delete(fed, actor, target)
    if withdrawn is not None:
        return withdrawn
    unposted = await opportunities.on_delete(fed, actor, target)
    if unposted is not None:
        return unposted
    now = datetime.now(UTC)
    async with fed.db.transaction() as conn:
        if target == actor:
            await actor_cache.mark_deleted(conn, actor, now)
            await follow_store.remove_all_of(conn, actor)
        else:
            await objects.tombstone(conn, uri=target, actor=actor, now=now)
    if target == actor:
        fed.forget_keys_of(actor)
        return "actor deleted"
    return "object deleted"


async def on_update(fed: Federation, activity: dict[str, Any]) -> str:
    actor = activities.ref(activity.get("actor"))
    obj = activity.get("object")
    if actor is not None and isinstance(obj, dict) and activities.ref(obj) == actor:
        known = await actors.cached(fed, actor)
        if known is not None and known.deleted_at is not None:
            return "ignored: the actor was deleted"
        try:
            await actors.store_document(fed, obj)
        except actors.ActorUnavailable as exc:
            return f"ignored: {exc}"
        return "actor refreshed"
    if actor is not None and isinstance(obj, dict) and activities.type_of(obj) == "Note":
        posted = await opportunities.on_note(fed, activity, obj)
        if posted is not None:
            return posted
    return "ignored: only actor and posting updates are handled"


async def on_undo(fed: Federation, activity: dict[str, Any]) -> str:
    inner = activity.get("object")
    kind = activities.type_of(inner)
    if kind in ("Like", "EmojiReact", "Endorsement"):
        # An Undo of an Endorsement withdraws it like a Delete (only by its author).
        return await endorsements.on_undo_like(fed, activity)
    if kind == "Offer":
        return await suggestions.on_undo_offer(fed, activity)
    if kind is None:
        # A bare reference: a suggestion, a like or a follow of ours.
        for handler in (suggestions.on_undo_offer, endorsements.on_undo_like):
            outcome = await handler(fed, activity)
            if not outcome.startswith("ignored: unknown"):
                return outcome
    if kind in (None, "Follow"):
        return await follows.on_undo_follow(fed, activity)
    return f"ignored: Undo of {kind}"


async def on_accept(fed: Federation, activity: dict[str, Any]) -> str:
    decided = await suggestions.on_decision(fed, activity, accepted=True)
    decided = decided or await referrals.on_decision(fed, activity, accepted=True)
    return decided or await follows.on_answer(fed, activity, accepted=True)


async def on_reject(fed: Federation, activity: dict[str, Any]) -> str:
    decided = await suggestions.on_decision(fed, activity, accepted=False)
    decided = decided or await referrals.on_decision(fed, activity, accepted=False)
    return decided or await follows.on_answer(fed, activity, accepted=False)


async def on_like(fed: Federation, activity: dict[str, Any]) -> str:
    """A like (Mastodon's favourite, Misskey's reaction, Pleroma's EmojiReact) of one of
    our skill notes is a light endorsement."""
    actor = activities.ref(activity.get("actor"))
    outcome = await endorsements.from_interaction(
        fed,
        activity,
        actor=actor or "",
        target=activities.ref(activity.get("object")),
        comment_html="",
        kind="like",
    )
    return outcome or "ignored: a like of something that is not a skill"


async def on_announce(fed: Federation, activity: dict[str, Any]) -> str:
    """A boost. We show no timelines, so a boost is neither fetched nor stored nor shown,
    whoever made the boosted object: a suspended member's note or a blocked server's post
    cannot come back through someone else's Announce (the inbox already refused those
    naming a blocked domain, embedded ones included)."""
    del fed
    kind = activities.type_of(activity.get("object")) or "a reference"
    return f"ignored: an Announce ({kind[:50]}) is neither fetched nor shown"


HANDLERS: Mapping[str, Handler] = {
    "Announce": on_announce,  # boosts: never fetched, stored or shown
    "Follow": follows.on_follow,
    "Offer": suggestions.on_offer,
    "Invite": referrals.on_invite,  # a referral to a posting
    "Like": on_like,
    "EmojiReact": on_like,
    "Undo": on_undo,
    "Accept": on_accept,
    "Reject": on_reject,
    "Create": on_create,
    "Update": on_update,
    "Delete": on_delete,
    "Flag": moderation.on_flag,  # a report for the admins
}


async def process(fed: Federation, item: InboxItem) -> str:
    handler = HANDLERS.get(item.type)
    if handler is None:
        return f"ignored: unknown type {item.type[:50]}"
    return await handler(fed, json.loads(item.body))


async def process_due(fed: Federation, worker: str, *, limit: int = 50) -> int:
    """Process due inbox items; returns how many were handled."""
    now = datetime.now(UTC)
    async with fed.db.transaction() as conn:
        items = await inbox_store.claim_due(conn, worker=worker, now=now, lease=LEASE, limit=limit)
    for item in items:
        try:
            outcome = await process(fed, item)
        except actors.ActorUnavailable as exc:
            await _retry_or_fail(fed, item, worker, str(exc))
            continue
        except Exception as exc:
            log.exception("processing %s failed", item.activity_uri)
            await _retry_or_fail(fed, item, worker, f"{type(exc).__name__}: {exc}")
            continue
        log.debug("processed %s %s: %s", item.type, item.activity_uri, outcome)
        async with fed.db.transaction() as conn:
            await inbox_store.finish(conn, item.id, worker, datetime.now(UTC))
    return len(items)


async def _retry_or_fail(fed: Federation, item: InboxItem, worker: str, error: str) -> None:
    now = datetime.now(UTC)
    async with fed.db.transaction() as conn:
        if item.attempts + 1 >= MAX_ATTEMPTS:
            await inbox_store.finish(conn, item.id, worker, now, error=error[:2000])
        else:
            at = now + retries.next_delay(item.attempts + 1)
            await inbox_store.retry(conn, item.id, worker, at, error)

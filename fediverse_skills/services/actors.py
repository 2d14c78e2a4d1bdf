"""Remote actors: fetching, caching and refreshing them, and finding their keys."""

from __future__ import annotations

import ipaddress
import json
import logging
from dataclasses import asdict, dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

from ..federation import activities, webfinger
from ..federation.actors import ACTOR_TYPES, ActorError, ParsedActor, parse_actor, same_origin
from ..federation.addresses import is_forbidden
from ..federation.client import FetchError
from ..federation.signatures import PublicKey, public_key_from_pem
from ..store import actors, users
from ..store import notes as note_store
from ..store.actors import RemoteActor
from .blocks import url_blocked
from .context import Federation

log = logging.getLogger("fediverse_skills.actors")

# A cached actor older than this is refetched when next needed.
STALE_AFTER = timedelta(days=1)


class ActorUnavailable(Exception):
    """The actor cannot be fetched or is not usable; the message says why."""


def _record(parsed: ParsedActor, document: dict[str, Any], now: datetime) -> RemoteActor:
    return RemoteActor(
        **asdict(parsed), document=json.dumps(document, separators=(",", ":")), fetched_at=now
    )


async def store_document(
    fed: Federation, document: dict[str, Any], *, keep_known_key: bool = False
) -> RemoteActor:
    """Check and cache an actor document that is already known to be authentic.

    With ``keep_known_key`` (a refetch, not an Update signed by the actor), a key that
    differs from the one we already trust is not taken: the old key stays, and the actor is
    flagged (``key_changed_at``) for an admin to look at.
    """
    try:
        parsed = parse_actor(document)
    except ActorError as exc:
        raise ActorUnavailable(str(exc)) from None
    if url_blocked(parsed.uri, await fed.blocked_domains()):
        raise ActorUnavailable("the actor's domain is blocked")
    record = _record(parsed, document, datetime.now(UTC))
    async with fed.db.transaction() as conn:
        if keep_known_key:
            known = await actors.get(conn, record.uri)
            if (
                known is not None
                and known.public_key_pem
                and known.public_key_pem != record.public_key_pem
            ):
                log.warning("unexpected key change for %s: keeping the known key", record.uri)
                record = replace(
                    record,
                    key_id=known.key_id,
                    public_key_pem=known.public_key_pem,
                    key_changed_at=record.fetched_at,
                )
        await actors.upsert(conn, record)
    fed.forget_keys_of(record.uri)  # a new document may carry a new key
    return record


async def cached(fed: Federation, uri: str) -> RemoteActor | None:
    async with fed.db.connection() as conn:
        return await actors.get(conn, uri)


async def get(fed: Federation, uri: str, *, refresh: bool = False) -> RemoteActor:
    """The actor at ``uri``, from the cache when fresh, else fetched from its origin."""
    if url_blocked(uri, await fed.blocked_domains()):
        raise ActorUnavailable("the actor's domain is blocked")
    if fed.uris.is_local(uri):
        raise ActorUnavailable("a local actor is not fetched")
    record = await cached(fed, uri)
    if record is not None and record.deleted_at is not None:
        raise ActorUnavailable("the actor was deleted")
    if record is not None and not refresh and datetime.now(UTC) - record.fetched_at < STALE_AFTER:
        return record
    try:
        fetched = await fed.client.fetch_document(uri)
    except FetchError as exc:
        if record is not None and not refresh:
            return record  # a stale copy beats none
        raise ActorUnavailable(f"cannot fetch {uri}: {exc.reason}") from None
    return await store_document(fed, fetched.document)


async def lookup_key(fed: Federation, key_id: str, refresh: bool) -> PublicKey | None:
    """Key lookup for signature verification: the key ``key_id`` and its owner.

    The key's document is the key id without its fragment: the actor itself (Mastodon,
    Fedify, GoToSocial's ``#main-key``), or a key document whose ``owner`` is the actor.
    Fetches are bounded so that forged requests cannot make us hammer anyone: a refresh
    after a failed verification happens at most once per host per cool-down, the same key
    document is fetched at most once per cool-down, and a host whose fetch just failed is
    left alone for the cool-down.
    """
    if not refresh:
        # The inbox has already refused key ids on blocked domains before asking.
        remembered = fed.cached_key(key_id)
        if remembered is not None:
            return remembered  # type: ignore[no-any-return]
    blocked = await fed.blocked_domains()
    if blocked and url_blocked(key_id, blocked):
        return None
    async with fed.db.connection() as conn:
        record = await actors.get_by_key_id(conn, key_id)
    if record is not None and record.deleted_at is not None:
        return None
    if record is None or refresh:
        host = urlsplit(key_id).netloc.lower()
        document_url = record.uri if record is not None else key_id.split("#", 1)[0]

        async def fetch() -> RemoteActor | None:
            if fed.host_failing(host):
                return None
            if refresh and not fed.may_refresh_key(host):
                return None
            if not refresh and not fed.may_fetch(document_url):
                # Fetched a moment ago: use what that fetch stored, if anything.
                async with fed.db.connection() as conn:
                    return await actors.get_by_key_id(conn, key_id)
            return await _fetch_key_owner(fed, document_url, key_id, host)

        # Concurrent first requests from one sender share a single fetch.
        record = await fed.once(f"{refresh}:{document_url}", fetch)
    if record is None or record.key_id != key_id or not record.public_key_pem:
        return None
    try:
        key = public_key_from_pem(record.public_key_pem)
    except ValueError:
        return None
    found = PublicKey(id=key_id, owner=record.uri, key=key)
    fed.remember_key(key_id, found)
    return found


async def _fetch_key_owner(fed: Federation, url: str, key_id: str, host: str) -> RemoteActor | None:
    """Fetch the document a key id points at: an actor, or a key whose owner we then fetch."""
    try:
        fetched = await fed.client.fetch_document(url)
        document = fetched.document
        if document.get("type") in ACTOR_TYPES:
            record = await store_document(fed, document, keep_known_key=True)
        else:
            owner = document.get("owner")
            if not isinstance(owner, str) or not same_origin(owner, key_id):
                return None
            record = await get(fed, owner, refresh=True)
    except FetchError as exc:
        log.info("cannot fetch key %s: %s", key_id, exc.reason)
        if exc.status is None or exc.status >= 500:
            fed.record_host_failure(host)
        return None
    except ActorUnavailable as exc:
        log.info("no key %s: %s", key_id, exc)
        return None
    return record if record.key_id == key_id else None


async def resolve(fed: Federation, target: str) -> str:
    """An actor URI from ``user@host``, ``@user@host`` or an actor URL."""
    target = target.strip()
    if target.startswith(("http://", "https://")):
        return target
    handle = webfinger.parse_handle(target)
    if handle is None:
        raise ActorUnavailable("give an account as user@host or as an actor URL")
    user, host = handle
    if host == fed.uris.host.lower():
        return fed.uris.actor(user.lower())
    if url_blocked(f"https://{host}/", await fed.blocked_domains()):
        raise ActorUnavailable("that domain is blocked")
    errors = []
    for scheme in _schemes(fed, host):
        try:
            answer = await fed.client.fetch_jrd(webfinger.query_url(scheme, user, host))
            return webfinger.self_link(answer.document)
        except (FetchError, webfinger.WebfingerError) as exc:
            errors.append(str(getattr(exc, "reason", exc)))
    raise ActorUnavailable(f"cannot find {user}@{host}: {'; '.join(errors)}")


async def interaction_url(fed: Federation, handle: str, target: str) -> str:
    """Where to send a visitor who gave their handle to follow or interact with ``target``
    from their own server: their server's remote-interaction template, filled in.
    Raises ActorUnavailable with a message for the visitor."""
    parsed = webfinger.parse_handle(handle)
    if parsed is None:
        raise ActorUnavailable(
            "Enter your handle as name@your.server (for example alice@mastodon.social)."
        )
    user, host = parsed
    if host == fed.uris.host.lower():
        return webfinger.fill_template(
            f"{fed.uris.base_url}/authorize_interaction?uri={{uri}}", target
        )
    if url_blocked(f"https://{host}/", await fed.blocked_domains()):
        raise ActorUnavailable("This instance does not federate with that server.")
    for scheme in _schemes(fed, host):
        try:
            answer = await fed.client.fetch_jrd(webfinger.query_url(scheme, user, host))
        except (FetchError, webfinger.WebfingerError):
            continue
        template = webfinger.subscribe_template(answer.document)
        if template is None:
            raise ActorUnavailable(
                f"{host} does not offer following from other sites. "
                f"Search for {target} in your app instead."
            )
        return webfinger.fill_template(template, target)
    raise ActorUnavailable(f"Could not find {user}@{host}. Check the handle and try again.")


def _schemes(fed: Federation, host: str) -> list[str]:
    """https always; plain http too for local test peers when private addresses are allowed."""
    if not fed.allow_private_addresses:
        return ["https"]
    try:
        name = urlsplit(f"//{host}").hostname or ""
    except ValueError:  # e.g. "[not-an-ip]": nothing will answer there anyway
        return ["https"]
    try:
        private = is_forbidden(ipaddress.ip_address(name), allow_private=False) is not None
    except ValueError:
        private = name == "localhost" or name.endswith(".localhost")
    return ["https", "http"] if not private else ["http", "https"]


@dataclass(frozen=True)
class Card:
    """What we show and address of a person, local or remote."""

    uri: str
    username: str
    acct: str  # user@host
    inbox: str | None  # None for our own people
    url: str


async def card(fed: Federation, uri: str) -> Card:
    """The card of a local or remote actor; raises ActorUnavailable."""
    username = fed.uris.username_of(uri)
    if username is not None:
        return Card(uri, username, f"{username}@{fed.uris.host}", None, fed.uris.profile(username))
    record = await get(fed, uri)
    name = record.username or uri.rstrip("/").rsplit("/", 1)[-1]
    return Card(
        uri, name, f"{name}@{record.host}", record.shared_inbox or record.inbox, record.url or uri
    )


async def note_author(fed: Federation, note_uri: str) -> Card:
    """The card of the author of a note, local (one of our public notes) or remote (its
    ``attributedTo``, on the note's own origin). Raises ActorUnavailable."""
    local = fed.uris.note_of(note_uri)
    if local is not None:
        async with fed.db.connection() as conn:
            owner = await users.get_by_username(conn, local[0])
            found = None if owner is None else await note_store.get(conn, owner.id, local[1])
        if found is None or not found.public:
            raise ActorUnavailable("there is no such note on this server")
        return await card(fed, fed.uris.actor(local[0]))
    if fed.uris.is_local(note_uri):
        raise ActorUnavailable("there is no such note on this server")
    if not note_uri.startswith(("http://", "https://")):
        raise ActorUnavailable("give the note as its URL")
    if url_blocked(note_uri, await fed.blocked_domains()):
        raise ActorUnavailable("the note's domain is blocked")
    try:
        fetched = await fed.client.fetch_document(note_uri)
    except FetchError as exc:
        raise ActorUnavailable(f"cannot fetch {note_uri}: {exc.reason}") from None
    attributed = fetched.document.get("attributedTo")
    if isinstance(attributed, list):
        attributed = attributed[0] if attributed else None
    author = activities.ref(attributed)
    if author is None or not same_origin(author, fetched.final_url):
        raise ActorUnavailable("the note has no author on its own server")
    return await card(fed, author)

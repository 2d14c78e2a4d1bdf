"""Search: people and skills on this instance, and one account anywhere by handle or URL.

Plain words search this instance only: people by username or display name, and people
who have a skill whose name contains the words. A query shaped like a handle
(``bob@b.example``, ``@bob@b.example``) or an http(s) URL looks that one account up
instead: our own people directly, anyone else by WebFinger and their actor document, and
their skills profile (fetched and verified, as the profile API does). Looking up accounts
on other servers makes this server fetch from them, several requests for one search, so
only signed-in people may do it.
"""

from __future__ import annotations

import json
import re
import unicodedata
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from ..domain import skills as skill_rules
from ..federation import markup, webfinger
from ..store import skills as skill_store
from ..store import users
from ..store.skills import Holder
from ..store.users import User
from . import actors, profiles
from .context import Federation

__all__ = [
    "MAX_QUERY",
    "MAX_RESULTS",
    "Account",
    "Holder",
    "QueryTooLong",
    "Results",
    "clean",
    "search",
]

MAX_QUERY = 300  # characters
MAX_RESULTS = 20  # per section
MAX_SUMMARY = 500  # characters of a found account's bio
MAX_SKILLS = 100  # skill names listed for a found account

_PROFILE_PATH = re.compile(r"/@([a-z0-9_]{1,30})/?")


class QueryTooLong(ValueError):
    """The query is longer than MAX_QUERY characters."""


@dataclass(frozen=True)
class Account:
    """The one account a handle or URL named."""

    handle: str  # user@host
    name: str
    url: str  # where to see them: our own page for our people, an http(s) URL otherwise
    local: bool
    summary: str  # plain text
    skills: tuple[str, ...]  # names, strongest first (at most MAX_SKILLS)
    note: str  # why no skills are listed, when they are not
    more: int = 0  # skills not listed


@dataclass(frozen=True)
class Results:
    query: str
    address: bool  # the query was a handle or URL (and only that was looked up)
    people: tuple[User, ...] = ()
    holders: tuple[Holder, ...] = ()
    account: Account | None = None
    problem: str = ""  # why the handle or URL found nobody
    sign_in: bool = False  # a remote lookup that needs a signed-in viewer


def clean(raw: str) -> str:
    """The query as searched: control characters as spaces, white space collapsed.
    Raises QueryTooLong (the raw text counts: nothing is cut off silently)."""
    if len(raw) > MAX_QUERY:
        raise QueryTooLong(f"A search has at most {MAX_QUERY} characters; this one has {len(raw)}.")
    spaced = "".join(" " if unicodedata.category(c) == "Cc" else c for c in raw)
    return " ".join(spaced.split())


def is_address(query: str) -> bool:
    """Whether the query names one account: a handle or an http(s) URL."""
    if " " in query:
        return False
    if query.startswith(("http://", "https://")):
        try:
            return bool(urlsplit(query).hostname)
        except ValueError:  # "http://[::1" and the like: words, then
            return False
    return webfinger.parse_handle(query) is not None


async def search(fed: Federation, raw: str, viewer: User | None) -> Results:
    """Search for ``raw`` as ``viewer`` (None: a visitor). Raises QueryTooLong."""
    query = clean(raw)
    if not query:
        return Results(query="", address=False)
    if is_address(query):
        return await _lookup(fed, query, viewer)
    words = query.lstrip("@") or query  # "@alice" is alice's username
    try:
        key: str | None = skill_rules.key(query)
    except skill_rules.InvalidSkill:
        key = None
    text = unicodedata.normalize("NFKC", query)
    async with fed.db.connection() as conn:
        people = await users.search(conn, words, limit=MAX_RESULTS)
        holders = await skill_store.holders(conn, key, text, limit=MAX_RESULTS)
    return Results(query=query, address=False, people=tuple(people), holders=tuple(holders))


# "cannot find bob@b.example: ..." after "Could not find bob@b.example:" says it twice.
_FOUND_NOTHING = re.compile(r"^cannot (?:find|fetch) \S+: ")


def _sentence(message: str) -> str:
    """A lower-level message as a sentence for a page."""
    text = message.strip()
    if not text:
        return text
    text = text[0].upper() + text[1:]
    return text if text.endswith((".", "!", "?")) else text + "."


async def _lookup(fed: Federation, query: str, viewer: User | None) -> Results:
    def failed(exc: Exception) -> Results:
        reason = _FOUND_NOTHING.sub("", str(exc))
        return Results(query=query, address=True, problem=_sentence(reason))

    handle = webfinger.parse_handle(query)
    here = fed.uris.is_local(query) if handle is None else handle[1] == fed.uris.host.lower()
    if not here and viewer is None:
        return Results(query=query, address=True, sign_in=True)
    try:
        uri = await actors.resolve(fed, query)
    except actors.ActorUnavailable as exc:
        return failed(exc)
    if fed.uris.is_local(uri):
        return await _local(fed, query, uri, viewer)
    try:
        record = await actors.get(fed, uri)
        card = await actors.card(fed, record.uri)  # the actor's own id, after redirects
    except actors.ActorUnavailable as exc:
        return failed(exc)
    names: list[str] = []
    note = ""
    try:
        shown: dict[str, Any] = json.loads(await profiles.assemble(fed, record.uri, viewer))
        names = [str(s["name"]) for s in shown["skills"]]
    except profiles.ProfileUnavailable as exc:
        note = _sentence(str(exc))
    document = json.loads(record.document)
    summary = document.get("summary")
    account = Account(
        handle=card.acct,
        name=record.name or card.username,
        url=card.url if _is_web(card.url) else record.uri,
        local=False,
        summary=markup.plain_text(summary)[:MAX_SUMMARY] if isinstance(summary, str) else "",
        skills=tuple(names[:MAX_SKILLS]),
        note=note,
        more=max(0, len(names) - MAX_SKILLS),
    )
    return Results(query=query, address=True, account=account)


async def _local(fed: Federation, query: str, uri: str, viewer: User | None) -> Results:
    """One of our own people, by handle, actor URL or profile URL."""
    path = uri[len(fed.uris.base_url) :]
    match = _PROFILE_PATH.fullmatch(path)
    username = fed.uris.username_of(uri.rstrip("/")) or (match.group(1) if match else None)
    user = None
    if username is not None:
        async with fed.db.connection() as conn:
            user = await users.get_by_username(conn, username)
    if user is None or user.suspended_at is not None:
        reason = (
            f"there is no account {username}@{fed.uris.host}"
            if username
            else "that is not an account on this server"
        )
        return Results(query=query, address=True, problem=_sentence(reason))
    shown = await profiles.page(fed, user.username, viewer)
    account = Account(
        handle=f"{user.username}@{fed.uris.host}",
        name=user.display_name or user.username,
        url=f"/@{user.username}",
        local=True,
        summary=user.summary[:MAX_SUMMARY],
        skills=tuple(str(s["name"]) for s in shown["skills"][:MAX_SKILLS]),
        note="",
        more=max(0, len(shown["skills"]) - MAX_SKILLS),
    )
    return Results(query=query, address=True, account=account)


def _is_web(url: str) -> bool:
    parts = urlsplit(url)
    return parts.scheme in ("http", "https") and bool(parts.hostname)

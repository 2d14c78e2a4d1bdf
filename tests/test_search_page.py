"""The search page (GET /search): people and skills on this instance, and one account by
handle or URL, here or on another server (a real peer server on 127.0.0.1 serving
WebFinger, the actor and its skills collection).

Decisions the tests pin down:
- an account that cannot be found is a search that found nothing: status 200, with
  "Could not find ..." in the status sentence (not 404: the page itself is there);
- a query over 300 characters is refused with 400 and a message, never cut short;
- looking up an account on another server needs a signed-in viewer (it makes this server
  fetch several documents); our own people's handles work for everyone.

Each test runs on SQLite and on PostgreSQL (the ``db`` fixture of tests/conftest.py).
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from html.parser import HTMLParser
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from asgi_lifespan import LifespanManager
from sqlalchemy import update

from fediverse_skills.app import create_app
from fediverse_skills.config import Settings
from fediverse_skills.federation import vocabulary
from fediverse_skills.services import accounts, profiles, sessions, skills, tokens
from fediverse_skills.services.context import Federation
from fediverse_skills.store.db import Database
from fediverse_skills.store.tables import users
from fediverse_skills.store.users import User
from tests.security.remote import AS2, RemoteActor, RemoteServer, Reply, Seen, json_reply, rsa_key

# ----------------------------------------------------------------------------- reading pages


class _Page(HTMLParser):
    """The text of each h2 section, of the role=status and role=alert elements, and the
    h1s and links of a page."""

    def __init__(self) -> None:
        super().__init__()
        self.h1: list[str] = []
        self.sections: dict[str, str] = {}
        self.status = ""
        self.alert = ""
        self.links: list[str] = []
        self._open: list[tuple[str, str | None]] = []  # (tag, role) of the open elements
        self._heading: str | None = None
        self._in_h: str | None = None
        self._buffer = ""

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        self._block(tag)
        if tag == "a" and found.get("href"):
            self.links.append(str(found["href"]))
        if tag in ("input", "meta", "link", "br", "img"):
            return
        self._open.append((tag, found.get("role")))
        if tag in ("h1", "h2"):
            self._in_h, self._buffer = tag, ""

    def handle_endtag(self, tag: str) -> None:
        self._block(tag)
        if tag in ("h1", "h2") and self._in_h == tag:
            text = " ".join(self._buffer.split())
            if tag == "h1":
                self.h1.append(text)
            else:
                self._heading = text
                self.sections[text] = ""
            self._in_h = None
        if tag in ("main", "section"):
            self._heading = None
        while self._open:
            if self._open.pop()[0] == tag:
                break

    def handle_data(self, data: str) -> None:
        if self._in_h:
            self._buffer += data
        roles = {role for _, role in self._open}
        if "status" in roles:
            self.status = _joined(self.status, data)
        if "alert" in roles:
            self.alert = _joined(self.alert, data)
        if self._heading is not None and not self._in_h:
            self.sections[self._heading] = _joined(self.sections[self._heading], data)

    def _block(self, tag: str) -> None:
        """Block elements separate words (a space), inline ones do not."""
        if tag in _BLOCKS and self._heading is not None and not self._in_h:
            self.sections[self._heading] = _joined(self.sections[self._heading], " ")


_BLOCKS = frozenset({"p", "li", "ul", "div", "h3", "h4", "section", "br"})


def _joined(text: str, data: str) -> str:
    """Text as a reader sees it: white space collapsed to single spaces; leading and
    trailing spaces are trimmed only at the end, by ``read``."""
    merged = text + data
    collapsed = " ".join(merged.split())
    return collapsed + (" " if merged[-1:].isspace() and collapsed else "")


def read(html: str) -> _Page:
    page = _Page()
    page.feed(html)
    page.status, page.alert = page.status.strip(), page.alert.strip()
    page.sections = {k: v.strip() for k, v in page.sections.items()}
    return page


# ----------------------------------------------------------------------------- fixtures


@pytest.fixture
async def remote() -> AsyncIterator[RemoteServer]:
    server = await RemoteServer(("127.0.0.1",)).start()
    try:
        yield server
    finally:
        await server.stop()


@pytest.fixture
def open_settings(settings: Settings) -> Settings:
    """The test settings, allowed to fetch from peers on loopback."""
    return settings.replace(allow_private_addresses=True)


@pytest.fixture
async def web(
    open_settings: Settings, db: Database, remote: RemoteServer
) -> AsyncIterator[httpx.AsyncClient]:
    """The real app over ASGI; it stops before the peer server does."""
    app = create_app(open_settings, run_worker=False)
    async with LifespanManager(app) as manager:
        transport = httpx.ASGITransport(app=manager.app)
        async with httpx.AsyncClient(transport=transport, base_url=open_settings.base_url) as http:
            yield http


async def person(fed: Federation, username: str, display_name: str, *names: str) -> User:
    user = await accounts.create_user(fed.db, username)
    if display_name:
        user = await profiles.update_profile(fed, user, display_name=display_name)
    for name in names:
        await skills.declare(fed, user, name)
    return user


@pytest.fixture
async def people(fed: Federation) -> dict[str, User]:
    """alice (Rust, Go), bob (Rust, endorsed by carol), carol (Trust building),
    ann_lee (100% uptime) and dan (Rust, suspended)."""
    made = {
        "alice": await person(fed, "alice", "Alice Liddell", "Rust", "Go"),
        "bob": await person(fed, "bob", "Robert Builder", "Rust"),
        "carol": await person(fed, "carol", "Carol", "Trust building"),
        "ann_lee": await person(fed, "ann_lee", "", "100% uptime"),
        "dan": await person(fed, "dan", "Dan Rustacean", "Rust"),
    }
    async with fed.db.transaction() as conn:
        await conn.execute(
            update(users).where(users.c.username == "dan").values(suspended_at=datetime.now(UTC))
        )
    return made


async def sign_in(web: httpx.AsyncClient, db: Database, user: User) -> None:
    session = await sessions.start(db, user)
    web.cookies.set("fs_session", session.token)


async def search(web: httpx.AsyncClient, query: str, status: int = 200) -> _Page:
    answer = await web.get("/search", params={"q": query})
    assert answer.status_code == status, answer.text
    return read(answer.text)


# ----------------------------------------------------------------------------- this instance


async def test_an_empty_search_shows_the_form_and_what_to_search_for(
    web: httpx.AsyncClient,
) -> None:
    for path in ("/search", "/search?q=", "/search?q=%20%20%09"):
        answer = await web.get(path)
        assert answer.status_code == 200
        page = read(answer.text)
        assert page.h1 == ["Search"]
        assert 'id="search-q" name="q" type="search" value=""' in answer.text
        assert "A name or username finds people" in answer.text
        assert "@alice@mastodon.social" in answer.text
        assert page.status == ""  # nothing searched, nothing found
        assert page.sections == {}


async def test_people_are_found_by_username_and_display_name_ignoring_case(
    web: httpx.AsyncClient, people: dict[str, User]
) -> None:
    page = await search(web, "ALI")
    assert page.h1 == ["Search"]
    assert "Alice Liddell @alice" in page.sections["People"]
    assert "/@alice" in page.links
    assert page.status == "Found 1 person by name and 0 matches by skill for “ALI”."

    page = await search(web, "builder")
    assert "Robert Builder @bob" in page.sections["People"]
    assert "alice" not in page.sections["People"]

    # "@alice" is alice's username, not an address to look up.
    page = await search(web, "@alice")
    assert "Alice Liddell @alice" in page.sections["People"]
    assert "Remote profile" not in page.sections


async def test_people_with_a_skill_come_exact_and_most_endorsed_first(
    web: httpx.AsyncClient, db: Database, people: dict[str, User]
) -> None:
    issued = await tokens.create_token(db, "carol")
    endorsed = await web.post(
        "/api/v1/endorsements",
        json={"to": "bob@testserver", "skill": "rust"},
        headers={"Authorization": f"Bearer {issued.token}"},
    )
    assert endorsed.status_code in (200, 201), endorsed.text
    for query in ("rust", "  RUST ", "Rust"):
        page = await search(web, query)
        found = page.sections["People with this skill"]
        # bob's Rust (endorsed once), alice's Rust, then carol's "Trust building" (contains
        # "rust"); never suspended dan.
        assert re.search(
            r"Robert Builder @bob: Rust \(endorsed 1 time\) "
            r"Alice Liddell @alice: Rust Carol @carol: Trust building",
            found,
        ), found
        assert "dan" not in found.lower()
        assert "Nobody here has a name" in page.sections["People"]
    # Part of a name matches too.
    page = await search(web, "uptim")
    assert "ann_lee @ann_lee: 100% uptime" in page.sections["People with this skill"]


async def test_like_wildcards_in_a_search_are_literal(
    web: httpx.AsyncClient, people: dict[str, User]
) -> None:
    page = await search(web, "%")
    assert "ann_lee @ann_lee: 100% uptime" in page.sections["People with this skill"]
    assert "Rust" not in page.sections["People with this skill"]
    assert "Nobody here has a name" in page.sections["People"]

    page = await search(web, "R_st")
    assert "Nobody here has a skill like that" in page.sections["People with this skill"]
    assert page.status == "Nothing found for “R_st”."

    page = await search(web, "_")
    assert page.sections["People"] == "ann_lee @ann_lee"  # the only "_" in a username
    assert "Nobody here has a skill like that" in page.sections["People with this skill"]

    page = await search(web, "\\")
    assert page.status == "Nothing found for “\\”."


async def test_suspended_people_never_appear(
    web: httpx.AsyncClient, people: dict[str, User]
) -> None:
    for query in ("dan", "Rustacean", "rust"):
        page = await search(web, query)
        everything = " ".join(page.sections.values())
        assert "dan" not in everything.lower(), everything
        assert "/@dan" not in page.links
    page = await search(web, "dan@testserver")
    assert page.status == "Could not find dan@testserver: There is no account dan@testserver."
    assert "/@dan" not in page.links


async def test_a_query_over_300_characters_is_refused_not_cut(
    web: httpx.AsyncClient, people: dict[str, User]
) -> None:
    long = "rust " * 60 + "x"  # 301 characters
    answer = await web.get("/search", params={"q": long})
    assert answer.status_code == 400
    page = read(answer.text)
    assert page.alert == "A search has at most 300 characters; this one has 301."
    assert f'value="{long}"' in answer.text  # shown back whole, to be shortened
    assert 'aria-invalid="true"' in answer.text
    assert page.sections == {}  # nothing was searched
    ok = await web.get("/search", params={"q": "r" * 300})
    assert ok.status_code == 200


async def test_html_in_a_query_is_shown_as_text(
    web: httpx.AsyncClient, people: dict[str, User]
) -> None:
    query = '<script>alert(1)</script>"><b>x'
    answer = await web.get("/search", params={"q": query})
    assert answer.status_code == 200
    assert "<script>alert(1)" not in answer.text
    assert "<b>x" not in answer.text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;&#34;&gt;&lt;b&gt;x" in answer.text
    page = read(answer.text)
    assert page.status == f"Nothing found for “{query}”."
    # The header's search box and the page's show it back, escaped.
    assert answer.text.count('value="&lt;script&gt;alert(1)&lt;/script&gt;&#34;') == 2


async def test_our_own_handles_and_urls_lead_to_the_profile_here(
    web: httpx.AsyncClient, people: dict[str, User], remote: RemoteServer
) -> None:
    for query in (
        "alice@testserver",
        "@Alice@TestServer",
        "http://testserver/users/alice",
        "http://testserver/@alice",
    ):
        page = await search(web, query)  # no sign-in needed: nothing is fetched
        assert page.status == "Found alice@testserver.", query
        found = page.sections["Profile on this instance"]
        assert found.startswith("Alice Liddell @alice@testserver Skills")
        assert "Rust" in found and "Go" in found
        assert "/@alice" in page.links
        assert "People" not in page.sections  # a handle is not searched as words
    page = await search(web, "nobody@testserver")
    assert page.status == (
        "Could not find nobody@testserver: There is no account nobody@testserver."
    )
    page = await search(web, "http://testserver/settings")
    assert page.status == (
        "Could not find http://testserver/settings: That is not an account on this server."
    )


# ----------------------------------------------------------------------------- other servers


def serve(owner: RemoteActor, names: list[str], **actor: Any) -> str:
    """Serve ``owner``'s WebFinger (for them only), actor and skills collection; returns
    their handle."""
    collection = f"{owner.uri}/skills"
    owner.publish(skills=collection, **actor)
    context = vocabulary.document_context(owner.origin)
    items = [
        {
            "id": vocabulary.skill_uri(collection, name.casefold()),
            "type": "Skill",
            "name": name,
            "skillKey": name.casefold(),
            "about": owner.uri,
            "endorsements": [],
        }
        for name in names
    ]
    top = {
        "@context": context,
        "id": collection,
        "type": "OrderedCollection",
        "totalItems": len(items),
        "first": f"{collection}?page=1",
    }
    first = {
        "@context": context,
        "id": f"{collection}?page=1",
        "type": "OrderedCollectionPage",
        "partOf": collection,
        "orderedItems": items,
    }
    owner.server.routes[f"{owner.path}/skills"] = lambda seen: json_reply(
        first if seen.target.endswith("?page=1") else top
    )
    username = owner.path.rsplit("/", 1)[-1]
    handle = f"{username}@{owner.server.host}:{owner.server.port}"
    jrd = {"subject": f"acct:{handle}", "links": [{"rel": "self", "type": AS2, "href": owner.uri}]}

    def webfinger(seen: Seen) -> Reply:
        asked = parse_qs(urlsplit(seen.target).query).get("resource", [""])[0]
        if asked != f"acct:{handle}":
            return Reply(404, body=b"no such account")
        return json_reply(jrd, "application/jrd+json")

    owner.server.routes["/.well-known/webfinger"] = webfinger
    return handle


@pytest.fixture
def bob_remote(remote: RemoteServer) -> RemoteActor:
    return RemoteActor(remote, "/users/rbob", rsa_key(0))


async def test_a_remote_handle_shows_that_person_and_their_skills(
    web: httpx.AsyncClient,
    people: dict[str, User],
    db: Database,
    remote: RemoteServer,
    bob_remote: RemoteActor,
) -> None:
    handle = serve(
        bob_remote,
        ["Kubernetes", "Elixir"],
        name="Bob <b>Remote</b>",
        summary="<p>I build <em>things</em> &amp; more</p>",
        url="javascript:alert(1)",
    )
    await sign_in(web, db, people["alice"])
    for query in (handle, f"@{handle}", bob_remote.uri):
        answer = await web.get("/search", params={"q": query})
        assert answer.status_code == 200, answer.text
        page = read(answer.text)
        assert page.status == f"Found {handle}."
        found = page.sections["Remote profile"]
        assert found.startswith(f"Bob <b>Remote</b> @{handle} I build things & more Skills")
        assert "Kubernetes" in found and "Elixir" in found
        assert "<b>Remote" not in answer.text  # the name is text, escaped
        # A link that is not http(s) is never used: the actor's id is.
        assert bob_remote.uri in page.links
        assert not any(link.startswith("javascript:") for link in page.links)
        assert "People" not in page.sections


async def test_an_unknown_remote_handle_says_so(
    web: httpx.AsyncClient,
    people: dict[str, User],
    db: Database,
    remote: RemoteServer,
    bob_remote: RemoteActor,
) -> None:
    handle = serve(bob_remote, ["Kubernetes"])
    nobody = handle.replace("rbob@", "nobody@")
    await sign_in(web, db, people["alice"])
    answer = await web.get("/search", params={"q": nobody})
    assert answer.status_code == 200  # the search worked; it found nobody
    page = read(answer.text)
    assert page.status.startswith(f"Could not find {nobody}: ")
    assert "Remote profile" not in page.sections
    # An actor URL that serves no actor.
    page = await search(web, remote.url("/users/ghost"))
    assert page.status == f"Could not find {remote.url('/users/ghost')}: HTTP 404."


async def test_visitors_and_plain_words_never_make_the_server_fetch(
    web: httpx.AsyncClient,
    people: dict[str, User],
    remote: RemoteServer,
    bob_remote: RemoteActor,
) -> None:
    handle = serve(bob_remote, ["Kubernetes"])
    answer = await web.get("/search", params={"q": handle})
    assert answer.status_code == 200
    page = read(answer.text)
    assert page.status == f"Sign in to look up {handle} on its server."
    login = next(link for link in page.links if link.startswith("/login?next="))
    [back] = parse_qs(urlsplit(login).query)["next"]
    assert urlsplit(back).path == "/search"
    assert parse_qs(urlsplit(back).query) == {"q": [handle]}
    page = await search(web, bob_remote.uri)
    assert page.status == f"Sign in to look up {bob_remote.uri} on its server."
    for words in ("rbob", f"rbob {remote.host}", remote.host, f"{remote.host}:{remote.port}"):
        page = await search(web, words)
        assert "People" in page.sections
    assert remote.hits() == 0


async def test_malformed_addresses_are_answered_not_crashed_on(
    web: httpx.AsyncClient, people: dict[str, User], db: Database
) -> None:
    await sign_in(web, db, people["alice"])
    for query in (
        "http://[::1",
        "http://localhost:99999/users/a",
        "https://",
        "http://127.0.0.1:1/users/x",
        "https://exa%zzmple.com/u",
        "a@b@c",
        "@@",
        "x@[::1]",
        "bob@exa_mple..com",
        "\x00rust\x1b",
    ):
        answer = await web.get("/search", params={"q": query})
        assert answer.status_code == 200, (query, answer.text)
        assert read(answer.text).status, query

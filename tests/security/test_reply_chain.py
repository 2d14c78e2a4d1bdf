"""The "Reply-chain bomb" row (Mastodon's fetch_replies_service.rb, http_fetch_limit): a
peer serves an endless reply chain (every Note ``inReplyTo`` the next one, generated on the
fly) whose ``replies`` collections have endless ``next`` pages, and a skills collection
with endless pages. Whatever reaches the app (inbox deliveries, replies through the API,
referrals, searches, remote pages and profiles), the number of requests it makes to that
peer is counted and bounded:

* the inbox never follows ``inReplyTo`` or ``replies``: 0 fetches beyond the signer's
  actor document (1, for the HTTP signature);
* a reply through the API fetches the parent note once and its author's actor (2);
* a referral to a remote URL fetches that one document (1);
* a search for a URL resolves that one document (1); ``/opportunities/remote`` and
  ``/authorize_interaction`` fetch nothing;
* a remote skills profile with endless ``next`` pages stops after
  ``profiles.MAX_PROFILE_PAGES`` pages (20), plus WebFinger, actor and collection.

Each test runs on SQLite and on PostgreSQL.
"""

from __future__ import annotations

import json
from typing import Any

from fediverse_skills.services import sessions, tokens
from fediverse_skills.services.accounts import create_user
from fediverse_skills.services.profiles import MAX_PROFILE_PAGES
from fediverse_skills.store.db import Database
from fediverse_skills.store.users import User
from tests.security.conftest import App, StartServer
from tests.security.remote import (
    AS2,
    AS_CONTEXT,
    RemoteActor,
    RemoteServer,
    Reply,
    Route,
    Seen,
    json_reply,
    rsa_key,
)

BASE = "http://testserver"
DEPTH = 10_000  # how deep the embedded chain goes in the one-body variant


class EndlessChain(dict[str, Route]):
    """Routes of a peer whose bob has notes 1, 2, 3, ... without end: note n replies to
    note n+1, and its ``replies`` collection has page after page, each naming new notes."""

    def __init__(self, bob: RemoteActor) -> None:
        super().__init__()
        self.bob = bob

    def note(self, n: int) -> dict[str, Any]:
        uri = f"{self.bob.uri}/notes/{n}"
        return {
            "@context": AS_CONTEXT,
            "id": uri,
            "type": "Note",
            "attributedTo": self.bob.uri,
            "content": f"<p>reply {n}</p>",
            "to": ["https://www.w3.org/ns/activitystreams#Public"],
            "inReplyTo": f"{self.bob.uri}/notes/{n + 1}",
            "replies": {
                "id": f"{uri}/replies",
                "type": "OrderedCollection",
                "first": f"{uri}/replies?page=1",
            },
        }

    def _serve(self, seen: Seen) -> Reply:
        rest = seen.path.removeprefix(f"{self.bob.path}/notes/").split("/")
        if not rest[0].isdigit():
            return Reply(404, body=b"not found")
        n = int(rest[0])
        if len(rest) == 1:
            return json_reply(self.note(n))
        page = int(seen.target.rpartition("page=")[2] or "1") if "?" in seen.target else 0
        collection = f"{self.bob.uri}/notes/{n}/replies"
        return json_reply(
            {
                "@context": AS_CONTEXT,
                "id": f"{collection}?page={page}",
                "type": "OrderedCollectionPage",
                "partOf": collection,
                "orderedItems": [f"{self.bob.uri}/notes/{n * 1000 + page}"],
                "next": f"{collection}?page={page + 1}",
            }
        )

    def get(self, path: str, default: Any = None) -> Any:
        if path.startswith(f"{self.bob.path}/notes/"):
            return self._serve
        return super().get(path, default)


def _chain_server(remote: RemoteServer) -> tuple[RemoteActor, EndlessChain]:
    bob = RemoteActor(remote, "/users/bob", rsa_key(0))
    chain = EndlessChain(bob)
    chain.update(remote.routes)
    remote.routes = chain
    bob.publish()
    return bob, chain


def _fetched(server: RemoteServer, since: int, *, besides: tuple[str, ...] = ()) -> list[str]:
    return [s.target for s in server.requests[since:] if s.path not in besides]


async def _member(app: App, name: str) -> tuple[User, dict[str, str]]:
    user = await create_user(app.db, name)
    return user, {"Authorization": f"Bearer {(await tokens.create_token(app.db, name)).token}"}


async def test_reply_chain_bomb_inbox_follows_nothing_fetch_replies_service_rb(
    app: App, db: Database, remote: RemoteServer
) -> None:
    """Creates of chain notes (a reply to the next note, endless ``replies``), a reply to
    alice's ask with an endless ``replies`` collection, and one body whose ``inReplyTo``
    embeds the chain 10,000 deep: the inbox fetches nothing but bob's actor document."""
    bob, chain = _chain_server(remote)
    _, auth = await _member(app, "alice")
    asked = await app.http.post("/api/v1/asks", json={"text": "What am I good at?"}, headers=auth)
    assert asked.status_code == 201, asked.text
    [(ask_id,)] = await app.rows("SELECT public_id FROM notes WHERE kind = 'ask'")
    ask_uri = f"{BASE}/users/alice/notes/{ask_id}"

    # One body: note 3 in reply to note 4, embedded, in reply to note 5 ... 10,000 deep
    # (written out as text: it is deeper than a JSON encoder recurses).
    create = bob.create({**chain.note(3), "inReplyTo": "DEEP"})
    del create["object"]["@context"]
    opening = "".join(
        f'{{"id":"{bob.uri}/notes/{n}","type":"Note","inReplyTo":' for n in range(4, DEPTH)
    )
    deep = opening + f'"{bob.uri}/notes/{DEPTH}"' + "}" * (DEPTH - 4)
    deep_body = json.dumps(create).replace('"DEEP"', deep).encode()
    reply_to_ask = {**chain.note(7), "inReplyTo": ask_uri, "content": "<p>#Rust</p>"}
    del reply_to_ask["@context"]
    first = {k: v for k, v in chain.note(1).items() if k != "@context"}

    for body, expected in (
        (bob.create(first), 202),
        (bob.create(reply_to_ask), 202),
        (deep_body, 400),  # nested deeper than the inbox parses
    ):
        answer = await app.deliver(bob, body)
        assert answer.status_code == expected, answer.text
    await app.process()

    assert _fetched(remote, 0, besides=(bob.path,)) == []
    assert remote.hits(bob.path) <= 1  # the signer's key, once
    assert [(s, e) for _, s, e in await app.inbox_states()] == [("done", None)] * 2


async def test_reply_chain_bomb_lookups_are_bounded_http_fetch_limit(
    app: App, db: Database, remote: RemoteServer, servers: StartServer
) -> None:
    """Every way a member can make the app fetch a URL, pointed at the endless chain (and
    at a skills collection with endless pages): each stops after a small fixed number of
    requests (see the module docstring for each bound)."""
    bob, _ = _chain_server(remote)
    alice, auth = await _member(app, "alice")
    await _member(app, "carol")
    session = await sessions.start(db, alice)
    app.http.cookies.set("fs_session", session.token)
    note = f"{bob.uri}/notes/1"

    mark = len(remote.requests)
    reply = await app.http.post(
        "/api/v1/notes", json={"content": "Indeed", "in_reply_to": note}, headers=auth
    )
    assert reply.status_code == 201, reply.text
    assert _fetched(remote, mark, besides=(bob.path,)) == ["/users/bob/notes/1"]
    assert len(_fetched(remote, mark)) <= 2

    mark = len(remote.requests)
    referred = await app.http.post(
        "/api/v1/referrals",
        json={"opportunity": f"{bob.uri}/notes/5", "candidate": "carol@testserver"},
        headers=auth,
    )
    assert referred.status_code in (404, 422), referred.text  # a Note, not a posting
    assert _fetched(remote, mark) == ["/users/bob/notes/5"]

    mark = len(remote.requests)
    shown = await app.http.get("/opportunities/remote", params={"uri": f"{bob.uri}/notes/6"})
    assert shown.status_code == 404
    asked = await app.http.get("/authorize_interaction", params={"uri": f"{bob.uri}/notes/8"})
    assert asked.status_code == 200
    assert _fetched(remote, mark) == []

    mark = len(remote.requests)
    found = await app.http.get("/search", params={"q": f"{bob.uri}/notes/9"})
    assert found.status_code in (200, 404, 422), found.text
    assert _fetched(remote, mark) == ["/users/bob/notes/9"]

    # A skills collection whose pages never end.
    other = await servers("127.0.0.4")
    dan = RemoteActor(other, "/users/dan", rsa_key(5))
    collection = f"{dan.uri}/skills"
    dan.publish(skills=collection)

    def skills(seen: Seen) -> Reply:
        if "?page=" not in seen.target:
            top = {"id": collection, "type": "OrderedCollection", "first": f"{collection}?page=1"}
            return json_reply({"@context": AS_CONTEXT, **top})
        page = int(seen.target.rpartition("=")[2])
        return json_reply(
            {
                "@context": AS_CONTEXT,
                "id": f"{collection}?page={page}",
                "type": "OrderedCollectionPage",
                "partOf": collection,
                "orderedItems": [],
                "next": f"{collection}?page={page + 1}",
            }
        )

    other.routes[f"{dan.path}/skills"] = skills
    host = f"{other.host}:{other.port}"
    jrd = {"subject": f"acct:dan@{host}", "links": [{"rel": "self", "type": AS2, "href": dan.uri}]}
    other.routes["/.well-known/webfinger"] = json_reply(jrd, "application/jrd+json")
    profile = await app.http.get(f"/api/v1/profiles/dan@{host}", headers=auth)
    assert profile.status_code == 200, profile.text
    assert json.loads(profile.text)["skills"] == []
    pages = [s for s in other.requests if "?page=" in s.target]
    assert len(pages) == MAX_PROFILE_PAGES
    assert len(other.requests) <= MAX_PROFILE_PAGES + 3  # WebFinger, actor, collection

"""Replies from our own people: POST /api/v1/notes with ``in_reply_to``.

A reply mentions the parent note's author (local, or fetched from the note's server),
addresses them in ``cc``, is delivered to their inbox, and tags its ``#Hashtag`` words, so
that a reply to an ask on another server becomes suggestions there (the cross-server effect
runs in tests/test_demo.py). The app runs over ASGI and may fetch from a peer on 127.0.0.1.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from asgi_lifespan import LifespanManager
from sqlalchemy import select

from fediverse_skills.app import create_app
from fediverse_skills.config import Settings
from fediverse_skills.services import accounts, tokens
from fediverse_skills.store.db import Database
from fediverse_skills.store.tables import deliveries, outgoing_activities
from tests.security.remote import RemoteActor, RemoteServer, json_reply, rsa_key

BASE = "http://testserver"
AS2 = {"Accept": "application/activity+json"}


@pytest.fixture
async def api(settings: Settings, db: Database) -> AsyncIterator[httpx.AsyncClient]:
    """The real app (no worker task), allowed to fetch from peers on loopback."""
    app = create_app(settings.replace(allow_private_addresses=True), run_worker=False)
    async with LifespanManager(app) as manager:
        transport = httpx.ASGITransport(app=manager.app)
        async with httpx.AsyncClient(transport=transport, base_url=BASE) as http:
            yield http


@pytest.fixture
async def people(db: Database) -> dict[str, dict[str, str]]:
    found = {}
    for name in ("alice", "bob"):
        await accounts.create_user(db, name)
        found[name] = {"Authorization": f"Bearer {(await tokens.create_token(db, name)).token}"}
    return found


@pytest.fixture
async def remote() -> AsyncIterator[RemoteServer]:
    server = await RemoteServer().start()
    try:
        yield server
    finally:
        await server.stop()


async def creates(db: Database) -> list[tuple[dict[str, Any], list[str]]]:
    """Every Create queued, with the inboxes it goes to."""
    async with db.connection() as conn:
        acts = (await conn.execute(select(outgoing_activities))).all()
        rows = (await conn.execute(select(deliveries))).all()
    return [
        (json.loads(a.body), sorted(d.inbox for d in rows if d.activity_id == a.id))
        for a in acts
        if a.type == "Create"
    ]


async def test_a_reply_to_a_local_ask_mentions_its_author_and_tags_its_hashtags(
    api: httpx.AsyncClient, db: Database, people: dict[str, dict[str, str]]
) -> None:
    ask = await api.post(
        "/api/v1/asks", json={"text": "What would you say I'm good at?"}, headers=people["alice"]
    )
    ask_uri = ask.json()["uri"]
    reply = await api.post(
        "/api/v1/notes",
        json={
            "content": "Her design docs are the ones we copy: #TechnicalWriting, #Rust and "
            "#rust again; C# and page#top are not tags, #2024 neither.",
            "in_reply_to": ask_uri,
        },
        headers=people["bob"],
    )
    assert reply.status_code == 201, reply.text
    served = (await api.get(reply.json()["uri"], headers=AS2)).json()
    assert served["inReplyTo"] == ask_uri
    assert served["attributedTo"] == f"{BASE}/users/bob"
    assert served["to"] == ["https://www.w3.org/ns/activitystreams#Public"]
    assert served["cc"] == [f"{BASE}/users/bob/followers", f"{BASE}/users/alice"]
    assert served["tag"] == [
        {"type": "Mention", "href": f"{BASE}/users/alice", "name": "@alice@testserver"},
        {"type": "Hashtag", "href": f"{BASE}/tags/TechnicalWriting", "name": "#TechnicalWriting"},
        {"type": "Hashtag", "href": f"{BASE}/tags/Rust", "name": "#Rust"},
    ]
    content = served["content"]
    assert content.startswith('<p><span class="h-card"')
    assert f'href="{BASE}/@alice"' in content
    assert f'href="{BASE}/tags/TechnicalWriting"' in content
    assert "C# and page#top" in content
    assert "/tags/2024" not in content
    [(create, inboxes)] = [c for c in await creates(db) if c[0]["actor"].endswith("/bob")]
    assert create["object"] == {k: v for k, v in served.items() if k != "@context"}
    assert inboxes == []  # alice is local: no delivery, and bob has no followers


async def test_a_reply_to_a_remote_note_is_delivered_to_its_author(
    api: httpx.AsyncClient,
    db: Database,
    people: dict[str, dict[str, str]],
    remote: RemoteServer,
) -> None:
    carol = RemoteActor(remote, "/users/carol", rsa_key(0))
    carol.publish()
    note = carol.note("What would you say I'm good at?")
    remote.routes[note["id"].removeprefix(remote.origin)] = json_reply(note)
    reply = await api.post(
        "/api/v1/notes",
        json={"content": "Calm incident reviews.\n\n#Facilitation", "in_reply_to": note["id"]},
        headers=people["bob"],
    )
    assert reply.status_code == 201, reply.text
    [(create, inboxes)] = await creates(db)
    sent = create["object"]
    assert inboxes == [f"{carol.uri}/inbox"]
    assert sent["inReplyTo"] == note["id"]
    assert carol.uri in sent["cc"]
    assert sent["tag"] == [
        {"type": "Mention", "href": carol.uri, "name": f"@carol@{remote.host}:{remote.port}"},
        {"type": "Hashtag", "href": f"{BASE}/tags/Facilitation", "name": "#Facilitation"},
    ]
    assert sent["content"].count("<p>") == 2


@pytest.mark.parametrize(
    ("in_reply_to", "status", "reason"),
    [
        (5, 400, "in_reply_to must be"),
        ("  ", 400, "in_reply_to must be"),
        ("x" * 2049, 400, "in_reply_to must be"),
        (f"{BASE}/users/alice/notes/nope", 422, "no such note"),
        (f"{BASE}/users/alice", 422, "no such note"),
        ("mailto:alice@example.org", 422, "URL"),
        ("/missing", 422, "cannot fetch"),
        ("/elsewhere", 422, "no author on its own server"),
    ],
)
async def test_a_reply_to_what_is_not_a_reachable_note_is_refused(
    api: httpx.AsyncClient,
    db: Database,
    people: dict[str, dict[str, str]],
    remote: RemoteServer,
    in_reply_to: object,
    status: int,
    reason: str,
) -> None:
    elsewhere = {
        "id": remote.url("/elsewhere"),
        "type": "Note",
        "attributedTo": "http://127.0.0.2:1/users/mallory",
        "content": "hi",
    }
    remote.routes["/elsewhere"] = json_reply(elsewhere)
    if isinstance(in_reply_to, str) and in_reply_to.startswith("/"):
        in_reply_to = remote.url(in_reply_to)
    answer = await api.post(
        "/api/v1/notes",
        json={"content": "#Rust", "in_reply_to": in_reply_to},
        headers=people["bob"],
    )
    assert answer.status_code == status, answer.text
    assert reason in answer.json()["error"]
    assert await creates(db) == []

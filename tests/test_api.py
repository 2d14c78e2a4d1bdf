"""The JSON API through the real app: notes, follows, follow requests, profile edits."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import httpx
import pytest
from sqlalchemy import select

from fediverse_skills.services import accounts, tokens
from fediverse_skills.services.context import Federation
from fediverse_skills.services.inbox import process_due
from fediverse_skills.store import actors, follows
from fediverse_skills.store.actors import RemoteActor
from fediverse_skills.store.db import Database
from fediverse_skills.store.tables import deliveries, outgoing_activities


@pytest.fixture
async def auth(db: Database) -> dict[str, str]:
    await accounts.create_user(db, "alice")
    issued = await tokens.create_token(db, "alice")
    return {"Authorization": f"Bearer {issued.token}"}


async def remote_follower(db: Database, uri: str, shared: str | None = None) -> None:
    """A remote follower in the cache (as if fetched earlier), following alice."""
    now = datetime.now(UTC)
    async with db.transaction() as conn:
        await actors.upsert(
            conn,
            RemoteActor(
                uri=uri,
                host="remote.example",
                type="Person",
                username="r",
                name="r",
                inbox=f"{uri}/inbox",
                shared_inbox=shared,
                followers=None,
                url=None,
                key_id=None,
                public_key_pem=None,
                document="{}",
                fetched_at=now,
            ),
        )
        await follows.add(
            conn,
            follower=uri,
            followee="http://testserver/users/alice",
            activity_uri=f"{uri}/follow",
            state="accepted",
            now=now,
        )


async def outgoing(db: Database) -> list[tuple[str, list[str]]]:
    async with db.connection() as conn:
        acts = (await conn.execute(select(outgoing_activities))).all()
        rows = (await conn.execute(select(deliveries))).all()
    return [(a.type, sorted(d.inbox for d in rows if d.activity_id == a.id)) for a in acts]


async def test_publish_note_queues_one_delivery_per_shared_inbox(
    client: httpx.AsyncClient, db: Database, auth: dict[str, str]
) -> None:
    await remote_follower(db, "https://a.example/users/1", shared="https://a.example/inbox")
    await remote_follower(db, "https://a.example/users/2", shared="https://a.example/inbox")
    await remote_follower(db, "https://b.example/users/3")
    answer = await client.post("/api/v1/notes", json={"content": "Hi <b>all</b>"}, headers=auth)
    assert answer.status_code == 201, answer.text
    body = answer.json()
    assert body["uri"].startswith("http://testserver/users/alice/notes/")
    assert await outgoing(db) == [
        ("Create", ["https://a.example/inbox", "https://b.example/users/3/inbox"])
    ]
    async with db.connection() as conn:
        stored = json.loads((await conn.execute(select(outgoing_activities.c.body))).scalar_one())
    assert stored["object"]["content"] == "<p>Hi &lt;b&gt;all&lt;/b&gt;</p>"
    assert stored["object"]["cc"] == ["http://testserver/users/alice/followers"]


@pytest.mark.parametrize(
    ("path", "payload", "status", "reason"),
    [
        ("/api/v1/notes", {}, 400, "content is required"),
        ("/api/v1/notes", {"content": ""}, 400, "content is required"),
        ("/api/v1/notes", {"content": 5}, 400, "content is required"),
        ("/api/v1/notes", {"content": "x" * 5001}, 400, "at most 5000"),
        ("/api/v1/notes", {"content": "a\x00b"}, 400, "control characters"),
        ("/api/v1/notes", [1, 2], 400, "JSON object"),
        ("/api/v1/follows", {"target": "not a handle"}, 422, "user@host"),
        ("/api/v1/follows", {"target": "alice@testserver"}, 422, "yourself"),
        ("/api/v1/follows", {"target": "nobody@testserver"}, 422, "no account"),
        ("/api/v1/profile", {"display_name": 5}, 400, "must be a string"),
        ("/api/v1/profile", {"display_name": "x" * 101}, 400, "at most 100"),
        ("/api/v1/profile", {"display_name": "evil\u202ename"}, 400, "formatting"),
        ("/api/v1/profile", {"nickname": "x"}, 400, "unknown field"),
    ],
)
async def test_bad_input_is_a_clear_4xx(
    client: httpx.AsyncClient,
    db: Database,
    auth: dict[str, str],
    path: str,
    payload: object,
    status: int,
    reason: str,
) -> None:
    method = client.patch if path.endswith("profile") else client.post
    answer = await method(path, json=payload, headers=auth)
    assert answer.status_code == status, answer.text
    assert reason in answer.json()["error"]
    assert await outgoing(db) == []


async def test_malformed_bodies(client: httpx.AsyncClient, auth: dict[str, str]) -> None:
    for content, kind, status in [
        (b"{", "application/json", 400),
        (b"content=x", "application/x-www-form-urlencoded", 415),
        (b"{" + b" " * 70_000 + b"}", "application/json", 413),
    ]:
        answer = await client.post(
            "/api/v1/notes", content=content, headers={**auth, "Content-Type": kind}
        )
        assert answer.status_code == status
        assert "error" in answer.json()


async def test_local_follow_respects_manual_approval(
    client: httpx.AsyncClient, db: Database, auth: dict[str, str]
) -> None:
    bob = await accounts.create_user(db, "bob")
    bob_auth = {"Authorization": f"Bearer {(await tokens.create_token(db, 'bob')).token}"}
    changed = await client.patch(
        "/api/v1/profile", json={"manually_approves_followers": True}, headers=bob_auth
    )
    assert changed.json()["manually_approves_followers"] is True
    followed = await client.post(
        "/api/v1/follows", json={"target": "@bob@testserver"}, headers=auth
    )
    assert followed.json() == {"target": "http://testserver/users/bob", "state": "pending"}
    pending = await client.get("/api/v1/follow_requests", headers=bob_auth)
    assert pending.json() == {"requests": ["http://testserver/users/alice"]}
    approved = await client.post(
        "/api/v1/follow_requests/authorize",
        json={"actor": "http://testserver/users/alice"},
        headers=bob_auth,
    )
    assert approved.json()["state"] == "accepted"
    again = await client.post(
        "/api/v1/follow_requests/authorize",
        json={"actor": "http://testserver/users/alice"},
        headers=bob_auth,
    )
    assert again.status_code == 404
    assert (
        await client.post("/api/v1/follow_requests/maybe", json={}, headers=bob_auth)
    ).status_code == 404
    followers = await client.get(
        "/users/bob/followers?page=1", headers={"Accept": "application/activity+json"}
    )
    assert followers.json()["orderedItems"] == ["http://testserver/users/alice"]
    del bob


async def test_profile_edit_sends_update_to_followers(
    client: httpx.AsyncClient, db: Database, auth: dict[str, str], fed: Federation
) -> None:
    await remote_follower(db, "https://a.example/users/1", shared="https://a.example/inbox")
    answer = await client.patch(
        "/api/v1/profile",
        json={"display_name": " Alice A. ", "summary": "Builds things"},
        headers=auth,
    )
    assert answer.status_code == 200
    assert answer.json()["display_name"] == "Alice A."
    assert await outgoing(db) == [("Update", ["https://a.example/inbox"])]
    actor = await client.get("/users/alice", headers={"Accept": "application/activity+json"})
    assert actor.json()["name"] == "Alice A."
    assert actor.json()["summary"] == "<p>Builds things</p>"  # HTML, as Mastodon reads it
    assert await process_due(fed, "w") == 0  # nothing arrived in our own inbox

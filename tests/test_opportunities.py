"""Work opportunities (issue 7, first step): posting through the JSON API, the Note that
federates, the board and its filters, editing, closing, expiry and deletion, and postings
received from other servers (real app over ASGI, real peer servers on 127.0.0.1, on
SQLite and PostgreSQL)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from fediverse_skills.services import opportunities, tokens
from fediverse_skills.services.accounts import create_user
from fediverse_skills.store.users import User
from tests.security.conftest import App, app, bob, mallory, mallory_server, remote, servers
from tests.security.remote import RemoteActor

__all__ = ["app", "bob", "mallory", "mallory_server", "remote", "servers"]  # fixtures

AS2 = "application/activity+json"
RUST_JOB = {
    "title": "Rust engineer for our ingestion pipeline",
    "description": "We move 2 TB a day.\n\nYou would own the parser.",
    "required_skills": ["Rust", "kubernetes"],
    "nice_skills": ["Go", "rust"],
    "kind": "contract",
    "remote": True,
    "place": "Berlin",
    "pay": "EUR 700 a day",
}


@pytest.fixture
async def alice(app: App) -> tuple[User, dict[str, str]]:
    user = await create_user(app.db, "alice")
    issued = await tokens.create_token(app.db, "alice")
    return user, {"Authorization": f"Bearer {issued.token}"}


async def _post(app: App, auth: dict[str, str], body: dict[str, Any]) -> dict[str, Any]:
    made = await app.http.post("/api/v1/opportunities", json=body, headers=auth)
    assert made.status_code == 201, made.text
    result: dict[str, Any] = made.json()
    return result


async def _bob_follows_alice(app: App, bob: RemoteActor) -> None:
    follow = bob.activity("Follow", "http://testserver/users/alice")
    assert (await app.deliver(bob, follow)).status_code == 202
    await app.process()


async def _alice_follows(app: App, who: RemoteActor) -> None:
    now = datetime.now(UTC)
    async with app.db.transaction() as conn:
        from fediverse_skills.store import follows

        await follows.add(
            conn,
            follower="http://testserver/users/alice",
            followee=who.uri,
            activity_uri=f"http://testserver/users/alice/activities/f-{abs(hash(who.uri))}",
            state="accepted",
            now=now,
        )


def _posting_note(actor: RemoteActor, **changes: Any) -> dict[str, Any]:
    posting = {
        "type": "Opportunity",
        "name": "Kubernetes operator",
        "opportunityKind": "job",
        "requiredSkills": [{"type": "Skill", "name": "Kubernetes", "skillKey": "kubernetes"}],
        "niceSkills": [{"type": "Skill", "name": "Rust", "skillKey": "rust"}],
        "remote": False,
        "place": "Lisbon",
        "status": "open",
        **changes,
    }
    note = actor.note(
        "<p>Kubernetes operator</p><p>Run our clusters.</p>",
        opportunity=posting,
        endTime=(datetime.now(UTC) + timedelta(days=10)).isoformat(),
    )
    note["@context"] = [
        "https://www.w3.org/ns/activitystreams",
        f"{actor.origin}/ns/skills/v1",
    ]
    return note


# ----------------------------------------------------------------------------- our postings


async def test_post_shows_normalised_skills_and_lists_on_the_board(
    app: App, alice: tuple[User, dict[str, str]]
) -> None:
    _, auth = alice
    made = await _post(app, auth, RUST_JOB)
    assert [s["key"] for s in made["required_skills"]] == ["rust", "kubernetes"]
    assert [s["name"] for s in made["nice_skills"]] == ["Go"]  # Rust is required already
    assert made["state"] == "open" and made["local"] is True
    expires = datetime.fromisoformat(made["expires_at"])
    assert timedelta(days=29) < expires - datetime.now(UTC) <= timedelta(days=30)
    assert made["uri"] == f"http://testserver/users/alice/opportunities/{made['id']}"

    async def board(query: str) -> list[str]:
        answer = await app.http.get(f"/api/v1/opportunities{query}", headers=auth)
        assert answer.status_code == 200, answer.text
        return [o["id"] for o in answer.json()["opportunities"]]

    assert await board("") == [made["id"]]
    assert await board("?skill=RUST") == [made["id"]]
    assert await board("?skill=Go") == [made["id"]]
    assert await board("?skill=Haskell") == []
    assert await board("?kind=contract&remote=true&place=berl") == [made["id"]]
    assert await board("?kind=job") == []
    assert await board("?remote=false") == []
    assert (await app.http.get("/api/v1/opportunities?kind=x", headers=auth)).status_code == 400
    assert (await app.http.get("/api/v1/opportunities")).status_code == 401


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"title": ""}, "title is required"),
        ({"title": "x" * 201}, "title has at most 200"),
        ({"description": "y" * 10_001}, "description has at most 10000"),
        ({"required_skills": []}, "at least one skill"),
        ({"required_skills": [f"skill{i}" for i in range(21)]}, "at most 20 skills"),
        ({"nice_skills": [f"extra{i}" for i in range(21)]}, "at most 20 skills"),
        ({"required_skills": ["<script>" * 20]}, "required_skills"),
        ({"required_skills": "Rust"}, None),  # a comma list is accepted
        ({"kind": "forever"}, "kind is one of"),
        ({"remote": "yes"}, "remote must be true or false"),
        ({"expires_at": "2020-01-01T00:00:00Z"}, "must be in the future"),
        ({"expires_at": "2099-01-01T00:00:00Z"}, "at most a year"),
        ({"expires_at": "2030-01-01T00:00:00"}, "time zone"),
        ({"contact_url": "javascript:alert(1)"}, "http(s) URL"),
    ],
)
async def test_bad_postings_are_refused_with_a_reason(
    app: App, alice: tuple[User, dict[str, str]], change: dict[str, Any], message: str | None
) -> None:
    _, auth = alice
    answer = await app.http.post("/api/v1/opportunities", json={**RUST_JOB, **change}, headers=auth)
    if message is None:
        assert answer.status_code == 201
        return
    assert answer.status_code == 400, answer.text
    assert message in answer.json()["error"]
    assert await app.count("opportunities") == 0
    assert await app.count("outgoing_activities") == 0


async def test_posting_federates_as_a_note_mastodon_can_show(
    app: App, alice: tuple[User, dict[str, str]], bob: RemoteActor
) -> None:
    _, auth = alice
    await _bob_follows_alice(app, bob)
    made = await _post(app, auth, RUST_JOB)
    rows = await app.rows(
        "SELECT a.body, d.inbox FROM outgoing_activities a JOIN deliveries d "
        "ON d.activity_id = a.id WHERE a.type = 'Create'"
    )
    assert len(rows) == 1
    create = json.loads(rows[0][0])
    assert rows[0][1] == bob.document()["inbox"]
    note = create["object"]
    assert note["type"] == "Note" and note["id"] == made["uri"]
    assert note["url"] == f"http://testserver/opportunities/{made['id']}"
    assert "Rust engineer for our ingestion pipeline" in note["content"]
    assert 'rel="tag"' in note["content"] or "#<span>hiring</span>" in note["content"]
    tags = {t["name"] for t in note["tag"]}
    assert {"#hiring", "#Rust", "#Kubernetes", "#Go"} <= tags
    posting = note["opportunity"]
    assert posting["type"] == "Opportunity" and posting["opportunityKind"] == "contract"
    assert [s["skillKey"] for s in posting["requiredSkills"]] == ["rust", "kubernetes"]
    assert posting["remote"] is True and posting["status"] == "open"
    assert note["endTime"] == made["expires_at"].replace("+00:00", "Z") or note["endTime"]
    assert create["@context"][1] == "http://testserver/ns/skills/v1"
    # The Note is served at its id; browsers get the page.
    served = await app.http.get(made["uri"], headers={"Accept": AS2})
    assert served.status_code == 200 and served.json()["opportunity"] == posting
    page = await app.http.get(made["uri"], headers={"Accept": "text/html"})
    assert page.status_code == 200 and "Rust engineer" in page.text
    assert (await app.http.get(f"/opportunities/{made['id']}")).status_code == 200
    # What we send is what we read back.
    read = opportunities.wire.read(note)
    assert read is not None and read.title == RUST_JOB["title"]
    assert [s.key for s in read.skills] == ["rust", "kubernetes", "go"]


async def test_edit_close_and_delete_propagate(
    app: App, alice: tuple[User, dict[str, str]], bob: RemoteActor
) -> None:
    _, auth = alice
    await _bob_follows_alice(app, bob)
    made = await _post(app, auth, RUST_JOB)
    path = f"/api/v1/opportunities/{made['id']}"
    changed = await app.http.patch(
        path, json={"title": "Senior Rust engineer", "nice_skills": ["Python"]}, headers=auth
    )
    assert changed.status_code == 200, changed.text
    assert changed.json()["title"] == "Senior Rust engineer"
    assert [s["name"] for s in changed.json()["nice_skills"]] == ["Python"]
    assert [s["key"] for s in changed.json()["required_skills"]] == ["rust", "kubernetes"]
    bad = await app.http.patch(path, json={"owner": "mallory"}, headers=auth)
    assert bad.status_code == 400
    closed = await app.http.patch(path, json={"state": "closed"}, headers=auth)
    assert closed.json()["state"] == "closed"
    listed = await app.http.get("/api/v1/opportunities", headers=auth)
    assert listed.json()["opportunities"] == []
    mine = await app.http.get("/api/v1/opportunities?mine=true", headers=auth)
    assert [o["state"] for o in mine.json()["opportunities"]] == ["closed"]
    updates = await app.rows("SELECT body FROM outgoing_activities WHERE type = 'Update'")
    last = json.loads(updates[-1][0])["object"]
    assert last["opportunity"]["status"] == "closed" and "[Closed]" in last["content"]
    # Someone else cannot change or delete it.
    await create_user(app.db, "carol")
    other = await tokens.create_token(app.db, "carol")
    carol = {"Authorization": f"Bearer {other.token}"}
    assert (await app.http.patch(path, json={"title": "x"}, headers=carol)).status_code == 404
    assert (await app.http.delete(path, headers=carol)).status_code == 404
    assert (await app.http.delete(path, headers=auth)).status_code == 204
    assert (await app.http.get(path, headers=auth)).status_code == 404
    deleted = await app.rows("SELECT body FROM outgoing_activities WHERE type = 'Delete'")
    assert json.loads(deleted[0][0])["object"] == {"id": made["uri"], "type": "Tombstone"}


async def test_expired_postings_leave_the_board_and_an_update_says_so(
    app: App, alice: tuple[User, dict[str, str]], bob: RemoteActor
) -> None:
    _, auth = alice
    await _bob_follows_alice(app, bob)
    made = await _post(app, auth, RUST_JOB)
    async with app.db.transaction() as conn:
        from sqlalchemy import text

        await conn.execute(
            text("UPDATE opportunities SET expires_at = :t WHERE public_id = :p"),
            {"t": datetime.now(UTC) - timedelta(minutes=1), "p": made["id"]},
        )
    assert (await app.http.get("/api/v1/opportunities", headers=auth)).json()["opportunities"] == []
    assert await opportunities.announce_expired(app.fed) == 1
    assert await opportunities.announce_expired(app.fed) == 0  # once
    update = json.loads(
        (await app.rows("SELECT body FROM outgoing_activities WHERE type = 'Update'"))[-1][0]
    )
    assert update["object"]["opportunity"]["status"] == "closed"


# ----------------------------------------------------------------------------- received


async def test_postings_from_people_we_follow_are_kept_updated_and_deleted(
    app: App, alice: tuple[User, dict[str, str]], bob: RemoteActor
) -> None:
    _, auth = alice
    await _alice_follows(app, bob)
    note = _posting_note(bob)
    assert (await app.deliver(bob, bob.create(note))).status_code == 202
    await app.process()
    listed = (await app.http.get("/api/v1/opportunities?skill=kubernetes", headers=auth)).json()
    assert [o["uri"] for o in listed["opportunities"]] == [note["id"]]
    shown = listed["opportunities"][0]
    assert shown["local"] is False and shown["title"] == "Kubernetes operator"
    assert shown["author"] == bob.uri and shown["place"] == "Lisbon"
    assert "Run our clusters." in shown["description"]
    # The poster closes it: gone from the board.
    closed = _posting_note(bob, status="closed")
    closed["id"] = note["id"]
    assert (await app.deliver(bob, bob.activity("Update", closed))).status_code == 202
    await app.process()
    assert (await app.http.get("/api/v1/opportunities", headers=auth)).json()["opportunities"] == []
    # And deletes it.
    gone = bob.activity("Delete", note["id"])
    assert (await app.deliver(bob, gone)).status_code == 202
    await app.process()
    assert await app.count("opportunities") == 0


async def test_postings_from_strangers_and_forgeries_are_not_kept(
    app: App,
    alice: tuple[User, dict[str, str]],
    bob: RemoteActor,
    mallory: RemoteActor,
) -> None:
    await _alice_follows(app, bob)
    stranger = _posting_note(mallory)
    assert (await app.deliver(mallory, mallory.create(stranger))).status_code == 202
    # mallory claims bob's posting: refused by the origin rules, never stored
    forged = _posting_note(bob)
    forged_create = mallory.create(forged)
    answer = await app.deliver(mallory, forged_create)
    assert answer.status_code in (202, 400, 403)
    await app.process()
    assert await app.count("opportunities") == 0
    # bob's own posting with 500 skills is cut to our limits, not stored whole
    huge = _posting_note(
        bob,
        requiredSkills=[{"type": "Skill", "name": f"skill {i}"} for i in range(500)],
    )
    assert (await app.deliver(bob, bob.create(huge))).status_code == 202
    await app.process()
    assert await app.rows("SELECT count(*) FROM opportunity_skills") == [(20 + 1,)]
    # mallory cannot delete bob's posting
    await app.deliver(mallory, mallory.activity("Delete", huge["id"]))
    await app.process()
    assert await app.count("opportunities") == 1

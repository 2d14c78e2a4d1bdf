"""The "Suspended via boost" row (CVE-2026-23961): an Announce of a suspended member's
note, or of a post from a blocked domain, brings nothing back into view.

We show no timelines, so a boost is neither fetched nor stored (``inbox.on_announce``).
What could show a suspended or blocked author's work is the opportunity board (our
members' postings and those kept from other servers), the posting pages and their
ActivityStreams Notes, the "for me" list, the profile and the notifications: each is
checked after the boosts, through the real app. One check per place, so a new place that
forgets suspensions or blocks shows up here.

Each test runs on SQLite and on PostgreSQL.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from fediverse_skills.services import blocks, moderation, sessions, tokens
from fediverse_skills.services.accounts import create_user
from fediverse_skills.store import follows
from fediverse_skills.store.db import Database
from fediverse_skills.store.users import User
from tests.security.conftest import App
from tests.security.remote import AS2, RemoteActor, RemoteServer

BASE = "http://testserver"
KUBERNETES_JOB: dict[str, Any] = {
    "title": "Kubernetes operator for the night shift",
    "description": "Keep the clusters up.",
    "required_skills": ["Kubernetes"],
}
Auth = dict[str, str]


async def _member(app: App, name: str) -> tuple[User, Auth]:
    user = await create_user(app.db, name)
    issued = await tokens.create_token(app.db, name)
    return user, {"Authorization": f"Bearer {issued.token}"}


async def _signed_in(app: App, user: User) -> None:
    """Browser pages for ``user`` (the web session cookie on the test client)."""
    session = await sessions.start(app.db, user)
    app.http.cookies.set("fs_session", session.token)


def _remote_posting(actor: RemoteActor, title: str) -> dict[str, Any]:
    """A #hiring Note as our own servers federate postings."""
    note = actor.note(
        f"<p>{title}</p>",
        opportunity={
            "type": "Opportunity",
            "name": title,
            "opportunityKind": "job",
            "requiredSkills": [{"type": "Skill", "name": "Kubernetes", "skillKey": "kubernetes"}],
            "status": "open",
        },
        endTime=(datetime.now(UTC) + timedelta(days=10)).isoformat(),
    )
    note["@context"] = ["https://www.w3.org/ns/activitystreams", f"{actor.origin}/ns/skills/v1"]
    return note


async def _follows(app: App, follower: str, who: RemoteActor) -> None:
    async with app.db.transaction() as conn:
        await follows.add(
            conn,
            follower=f"{BASE}/users/{follower}",
            followee=who.uri,
            activity_uri=f"{BASE}/users/{follower}/activities/f-{abs(hash(who.uri))}",
            state="accepted",
            now=datetime.now(UTC),
        )


async def _shown_anywhere(
    app: App, viewer: Auth, title: str, uri: str, pid: str | None
) -> list[str]:
    """Where a posting titled ``title`` (its Note at ``uri``, our id ``pid``) is shown to a
    signed-in member with a Kubernetes skill: the places that answer it."""
    seen = []
    for query in ("", "?for=me", "?skill=kubernetes"):
        board = await app.http.get(f"/api/v1/opportunities{query}", headers=viewer)
        assert board.status_code == 200, board.text
        if title in board.text:
            seen.append(f"GET /api/v1/opportunities{query}")
    page = await app.http.get("/opportunities")
    assert page.status_code == 200, page.text
    if title in page.text:
        seen.append("the board page")
    remote = await app.http.get("/opportunities/remote", params={"uri": uri})
    if remote.status_code != 404 or title in remote.text:
        seen.append("/opportunities/remote")
    if pid is not None:
        for path, headers in (
            (f"/api/v1/opportunities/{pid}", viewer),
            (f"/opportunities/{pid}", {}),
            (uri.removeprefix(BASE), {"Accept": AS2}),
            (uri.removeprefix(BASE), {}),
        ):
            answer = await app.http.get(path, headers=headers)
            if answer.status_code == 200 or title in answer.text:
                seen.append(f"GET {path} ({headers.get('Accept', 'html')})")
    notes = await app.http.get("/api/v1/notifications", headers=viewer)
    assert notes.status_code == 200
    if notes.json().get("notifications"):
        seen.append("notifications")
    return seen


async def test_announce_of_a_suspended_members_note_is_hidden_cve_2026_23961(
    app: App, db: Database, bob: RemoteActor, remote: RemoteServer
) -> None:
    """alice posts a job and declares a skill, then is suspended. bob (an allowed server)
    boosts her posting's Note and her skill note, by reference and embedded (a copy bob
    serves). Nothing is fetched, nothing stored; her posting leaves every page and API,
    and comes back only when the suspension is lifted."""
    admin = await create_user(db, "opsadmin", admin=True)
    _, alice_auth = await _member(app, "alice")
    dave, dave_auth = await _member(app, "dave")
    made = await app.http.post("/api/v1/opportunities", json=KUBERNETES_JOB, headers=alice_auth)
    assert made.status_code == 201, made.text
    posting = made.json()
    for who, skill in ((alice_auth, "Rust"), (dave_auth, "Kubernetes")):
        declared = await app.http.post("/api/v1/skills", json={"skill": skill}, headers=who)
        assert declared.status_code == 201
    [(skill_note,)] = await app.rows(
        "SELECT public_id FROM notes WHERE kind = 'skill' AND skill_key = 'rust'"
    )
    skill_uri = f"{BASE}/users/alice/notes/{skill_note}"
    await _signed_in(app, dave)
    title: str = KUBERNETES_JOB["title"]
    uri, pid = str(posting["uri"]), str(posting["id"])
    assert await _shown_anywhere(app, dave_auth, title, uri, pid) != []  # the control

    await moderation.suspend(app.fed, admin, "alice")
    objects_before = await app.count("remote_objects")
    fetches_before = len(remote.requests)
    copy = {"id": uri, "type": "Note", "attributedTo": f"{BASE}/users/alice", "content": title}
    for obj in (uri, skill_uri, copy, {**copy, "id": bob.note_id()}):
        answer = await app.deliver(bob, bob.activity("Announce", obj, to=[f"{BASE}/users/dave"]))
        assert answer.status_code == 202, answer.text
    await app.process()

    states = await app.inbox_states()
    assert all(state == "done" and err is None for _, state, err in states[-4:])
    assert await app.count("remote_objects") == objects_before
    assert await app.count("opportunities") == 1
    # Only bob's actor document (for his signature's key); none of the boosted objects.
    assert [p for p in remote.paths()[fetches_before:] if p != bob.path] == []
    assert await _shown_anywhere(app, dave_auth, title, uri, pid) == []
    assert (await app.http.get("/@alice")).status_code == 410
    assert (
        await app.http.get(skill_uri.removeprefix(BASE), headers={"Accept": AS2})
    ).status_code in (404, 410)

    await moderation.unsuspend(app.fed, admin, "alice")
    assert "GET /api/v1/opportunities" in await _shown_anywhere(app, dave_auth, title, uri, pid)


async def test_boost_of_a_blocked_domains_note_is_refused_before_fetch_cve_2026_23961(
    app: App,
    db: Database,
    bob: RemoteActor,
    mallory: RemoteActor,
    mallory_server: RemoteServer,
) -> None:
    """mallory's posting was kept (dave follows her) before the admin blocked her domain.
    bob, on an allowed server, then boosts it: by reference, embedded, and as an Announce of
    mallory's Create. Each is refused before anything is fetched from her domain, nothing is
    stored, and her kept posting is shown nowhere until the block is lifted."""
    dave, dave_auth = await _member(app, "dave")
    declared = await app.http.post(
        "/api/v1/skills", json={"skill": "Kubernetes"}, headers=dave_auth
    )
    assert declared.status_code == 201
    await _follows(app, "dave", mallory)
    title = "Cluster wrangler wanted"
    note = _remote_posting(mallory, title)
    assert (await app.deliver(mallory, mallory.create(note), path="/inbox")).status_code == 202
    await app.process()
    assert await app.count("opportunities") == 1
    await _signed_in(app, dave)
    assert "/opportunities/remote" in await _shown_anywhere(app, dave_auth, title, note["id"], None)

    await blocks.block_domain(app.fed, mallory_server.hosts[0])
    fetches_before = len(mallory_server.requests)
    items_before = await app.count("inbox_items")
    by_bob_about_mallory = bob.note("look", attributedTo=mallory.uri)
    boosts = [
        note["id"],  # by reference
        note,  # embedded, as mallory wrote it
        mallory.create(note),  # an Announce of her Create (as groups relay)
        {"type": "Create", "id": bob.activity_id(), "actor": bob.uri, "object": note},
        by_bob_about_mallory,  # a copy on bob's server, attributed to her
    ]
    for obj in boosts:
        answer = await app.deliver(bob, bob.activity("Announce", obj), path="/inbox")
        assert answer.status_code == 403, (obj, answer.text)
        assert answer.json() == {"error": "the domain is blocked"}
    await app.process()

    assert len(mallory_server.requests) == fetches_before  # never fetched from her domain
    assert await app.count("inbox_items") == items_before  # nothing queued
    assert await app.count("remote_objects") == 0
    assert await _shown_anywhere(app, dave_auth, title, note["id"], None) == []
    assert len(mallory_server.requests) == fetches_before  # not even for the remote page

    await blocks.unblock_domain(app.fed, mallory_server.hosts[0])
    assert "/opportunities/remote" in await _shown_anywhere(app, dave_auth, title, note["id"], None)


async def test_boosts_are_never_fetched_whoever_sent_them(
    app: App, bob: RemoteActor, mallory: RemoteActor, mallory_server: RemoteServer
) -> None:
    """Without any block: a boost of mallory's note by bob, and mallory's own boost of an
    unknown URL, are recorded as done and ignored; no request reaches either server beyond
    bob's and mallory's actor documents (for their signatures)."""
    for sender, obj in ((bob, f"{mallory.uri}/notes/1"), (mallory, f"{bob.uri}/notes/9")):
        answer = await app.deliver(sender, sender.activity("Announce", obj), path="/inbox")
        assert answer.status_code == 202
    await app.process()
    assert [p for p in mallory_server.paths() if p != mallory.path] == []
    assert [p for p in bob.server.paths() if p != bob.path] == []
    assert await app.count("remote_objects") == 0
    assert [(s, e) for _, s, e in await app.inbox_states()] == [("done", None)] * 2

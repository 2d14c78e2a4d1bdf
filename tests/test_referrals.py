"""Referrals and interest (issue 7): referring someone to a posting, the candidate's
decision, what reaches the poster (only accepted referrals, both proofs checked), the
implied endorsement, and interest as a direct Note. Through the real app over ASGI with
real peer servers on 127.0.0.0/8 whose actors sign with their own Ed25519 keys, on SQLite
and PostgreSQL.

People: on this server erin posts, bea refers, dan is a candidate and carl is unrelated;
on peers cody is a candidate, rita a referrer (and a poster), mallory a forger.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from fediverse_skills.federation import markup
from fediverse_skills.federation import referrals as wire
from fediverse_skills.services import proofs, tokens, trust
from fediverse_skills.services.accounts import create_user
from fediverse_skills.store import users
from tests.instances import Instance, eventually
from tests.security.conftest import App, StartServer, app, mallory_server, remote, servers
from tests.security.remote import RemoteActor, RemoteServer, ed25519_key, json_reply, rsa_key

__all__ = ["app", "mallory_server", "remote", "servers"]  # fixtures

BASE = "http://testserver"
ERIN = f"{BASE}/users/erin"
BEA = f"{BASE}/users/bea"
DAN = f"{BASE}/users/dan"
AS2 = "application/activity+json"
FORGER_KEY = 29
RUST_JOB = {
    "title": "Rust engineer",
    "description": "You would own the parser.",
    "required_skills": ["Rust", "Kubernetes"],
    "nice_skills": ["Go"],
}
COMMENT = "Dan rewrote our parser in Rust; ask him about it."

Auth = dict[str, str]


# ----------------------------------------------------------------------------- people


@pytest.fixture
async def people(app: App) -> dict[str, Auth]:
    """erin (poster), bea (referrer), dan (candidate), carl (nobody): bearer headers."""
    found = {}
    for name in ("erin", "bea", "dan", "carl"):
        await create_user(app.db, name)
        issued = await tokens.create_token(app.db, name)
        found[name] = {"Authorization": f"Bearer {issued.token}"}
    return found


def _actor(server: RemoteServer, name: str, rsa: int, proof: int) -> RemoteActor:
    actor = RemoteActor(server, f"/users/{name}", rsa_key(rsa), proof_key=ed25519_key(proof))
    actor.publish()
    return actor


@pytest.fixture
def cody(remote: RemoteServer) -> RemoteActor:
    """A candidate on a peer."""
    return _actor(remote, "cody", 0, 20)


@pytest.fixture
async def rita(servers: StartServer) -> RemoteActor:
    """A referrer (and a poster) on another peer."""
    return _actor(await servers("127.0.0.3"), "rita", 3, 21)


@pytest.fixture
def mallory(mallory_server: RemoteServer) -> RemoteActor:
    return _actor(mallory_server, "mallory", 1, 22)


# ----------------------------------------------------------------------------- helpers


async def _json(app: App, path: str, auth: Auth) -> Any:
    answer = await app.http.get(path, headers=auth)
    assert answer.status_code == 200, answer.text
    return answer.json()


async def _posting(app: App, auth: Auth, **changes: Any) -> dict[str, Any]:
    made = await app.http.post("/api/v1/opportunities", json={**RUST_JOB, **changes}, headers=auth)
    assert made.status_code == 201, made.text
    result: dict[str, Any] = made.json()
    return result


async def _refer(app: App, auth: Auth, body: dict[str, Any], status: int = 201) -> dict[str, Any]:
    answer = await app.http.post("/api/v1/referrals", json=body, headers=auth)
    assert answer.status_code == status, answer.text
    result: dict[str, Any] = answer.json()
    return result


async def _box(app: App, auth: Auth, box: str, state: str = "") -> list[dict[str, Any]]:
    query = f"?box={box}" + (f"&state={state}" if state else "")
    found: list[dict[str, Any]] = (await _json(app, f"/api/v1/referrals{query}", auth))["referrals"]
    return found


async def _kinds(app: App, auth: Auth) -> list[str]:
    return [n["kind"] for n in (await _json(app, "/api/v1/notifications", auth))["notifications"]]


async def _sent(app: App, kind: str) -> list[tuple[dict[str, Any], list[str]]]:
    """Activities of ``kind`` we queued, each with the inboxes it goes to."""
    found = []
    for activity_id, body in await app.rows(
        "SELECT id, body FROM outgoing_activities WHERE type = :kind ORDER BY id", kind=kind
    ):
        inboxes = await app.rows(
            "SELECT inbox FROM deliveries WHERE activity_id = :id ORDER BY inbox", id=activity_id
        )
        found.append((json.loads(body), [str(i) for (i,) in inboxes]))
    return found


def _invite(
    by: RemoteActor, *, posting: str, candidate: str, comment: str = COMMENT, signed: bool = True
) -> dict[str, Any]:
    doc = wire.invite(
        base_url=by.origin,
        id=by.activity_id(),
        referrer=by.uri,
        posting=posting,
        candidate=candidate,
        comment_html=markup.paragraph(markup.text(comment)),
        published=datetime.now(UTC),
    )
    return by.sign_object(doc) if signed else doc


def _accept(by: RemoteActor, invite: dict[str, Any], *, to: list[str]) -> dict[str, Any]:
    return wire.acceptance(
        base_url=by.origin, id=by.activity_id(), candidate=by.uri, invite=invite, to=to
    )


async def _score(app: App, viewer: str, person: str, key: str = "rust") -> float:
    async with app.db.connection() as conn:
        user = await users.get_by_username(conn, viewer)
    judged = await trust.known_scores(app.fed, user, person)
    return judged[key].score if key in judged else 0.0


def _posting_note(actor: RemoteActor) -> dict[str, Any]:
    """A posting as another server serves it (a Note with the ``opportunity`` extension)."""
    note = actor.note(
        "<p>Kubernetes operator</p><p>Run our clusters.</p>",
        opportunity={
            "type": "Opportunity",
            "name": "Kubernetes operator",
            "opportunityKind": "job",
            "requiredSkills": [{"type": "Skill", "name": "Kubernetes", "skillKey": "kubernetes"}],
            "status": "open",
        },
        endTime=(datetime.now(UTC) + timedelta(days=10)).isoformat(),
    )
    note["@context"] = ["https://www.w3.org/ns/activitystreams", f"{actor.origin}/ns/skills/v1"]
    actor.server.routes[note["id"].removeprefix(actor.origin)] = json_reply(note)
    return note


# ----------------------------------------------------------------------------- on one server


async def test_local_referral_reaches_the_poster_only_once_accepted(
    app: App, people: dict[str, Auth]
) -> None:
    posting = await _posting(app, people["erin"])
    made = await _refer(
        app,
        people["bea"],
        {"opportunity": posting["id"], "candidate": "dan@testserver", "comment": COMMENT},
    )
    assert made["state"] == "pending" and made["referrer"] == BEA and made["candidate"] == DAN
    assert made["opportunity"] == {"uri": posting["uri"], "title": "Rust engineer", "author": ERIN}
    # The same referral again: 200 with the pending one.
    again = await _refer(
        app, people["bea"], {"opportunity": posting["uri"], "candidate": DAN}, status=200
    )
    assert again["id"] == made["id"]
    assert await app.count("referrals") == 1

    # Only dan and bea see it while it is pending; erin and carl see nothing.
    assert [r["id"] for r in await _box(app, people["dan"], "received")] == [made["id"]]
    assert [r["comment"] for r in await _box(app, people["bea"], "sent")] == [COMMENT]
    for box in ("received", "sent", "posted"):
        assert await _box(app, people["erin"], box) == []
        assert await _box(app, people["carl"], box) == []
    assert await _box(app, people["erin"], "posted", "pending") == []
    assert await _kinds(app, people["dan"]) == ["referral"]
    assert await _kinds(app, people["erin"]) == []
    # The Invite is not served to anyone.
    assert (await app.http.get(made["uri"], headers={"Accept": AS2})).status_code == 404
    assert await _score(app, "erin", DAN) == 0.0

    # Only dan decides.
    for who in ("bea", "erin", "carl"):
        path = f"/api/v1/referrals/{made['id']}/accept"
        assert (await app.http.post(path, headers=people[who])).status_code == 404
    accepted = await app.http.post(f"/api/v1/referrals/{made['id']}/accept", headers=people["dan"])
    assert accepted.status_code == 200, accepted.text
    assert accepted.json()["state"] == "accepted"

    shown = await _box(app, people["erin"], "posted")
    assert [(r["id"], r["referrer"], r["candidate"], r["comment"]) for r in shown] == [
        (made["id"], BEA, DAN, COMMENT)
    ]
    assert [r["state"] for r in await _box(app, people["bea"], "sent")] == ["accepted"]
    assert await _kinds(app, people["erin"]) == ["referral_introduced"]
    assert await _kinds(app, people["bea"]) == ["referral_accepted"]
    assert await _box(app, people["carl"], "posted") == []
    # Everyone is here: nothing went over the wire.
    assert await _sent(app, "Invite") == [] and await _sent(app, "Accept") == []
    # The referral is an implied endorsement of the posting's required skills.
    assert await _score(app, "erin", DAN) > 0.0
    assert await _score(app, "erin", DAN, "kubernetes") > 0.0
    assert await _score(app, "erin", DAN, "go") == 0.0  # only required skills count
    # Deciding again changes nothing; declining now is refused.
    again_accepted = await app.http.post(
        f"/api/v1/referrals/{made['id']}/accept", headers=people["dan"]
    )
    assert again_accepted.status_code == 200
    declined = await app.http.post(f"/api/v1/referrals/{made['id']}/decline", headers=people["dan"])
    assert declined.status_code == 409
    assert await _kinds(app, people["erin"]) == ["referral_introduced"]


async def test_a_declined_referral_never_reaches_the_poster(
    app: App, people: dict[str, Auth]
) -> None:
    posting = await _posting(app, people["erin"])
    made = await _refer(
        app, people["bea"], {"opportunity": posting["id"], "candidate": DAN, "comment": COMMENT}
    )
    declined = await app.http.post(f"/api/v1/referrals/{made['id']}/decline", headers=people["dan"])
    assert declined.status_code == 200 and declined.json()["state"] == "declined"
    assert await _box(app, people["erin"], "posted") == []
    assert await _box(app, people["erin"], "posted", "declined") == []
    assert await _kinds(app, people["erin"]) == []
    assert await _kinds(app, people["bea"]) == ["referral_declined"]
    assert [r["state"] for r in await _box(app, people["dan"], "received", "declined")] == [
        "declined"
    ]
    accepted = await app.http.post(f"/api/v1/referrals/{made['id']}/accept", headers=people["dan"])
    assert accepted.status_code == 409
    assert await _score(app, "erin", DAN) == 0.0
    # A new referral after a decline is a new question.
    await _refer(app, people["bea"], {"opportunity": posting["id"], "candidate": DAN})
    assert await app.count("referrals") == 2


@pytest.mark.parametrize(
    ("case", "status", "message"),
    [
        ("self", 422, "cannot refer yourself"),
        ("poster", 422, "poster cannot be referred"),
        ("long-comment", 400, "at most 1000 characters"),
        ("unknown-posting", 404, "no such opportunity"),
        ("unknown-field", 400, "unknown field"),
        ("no-candidate", 400, "candidate is required"),
        ("no-such-account", 422, "there is no account"),
        ("closed", 409, "closed or expired"),
        ("expired", 409, "closed or expired"),
        ("candidate-blocked-referrer", 403, "does not take referrals from you"),
        ("poster-blocked-referrer", 403, "poster does not take referrals"),
    ],
)
async def test_bad_referrals_are_refused_and_store_nothing(
    app: App, people: dict[str, Auth], case: str, status: int, message: str
) -> None:
    posting = await _posting(app, people["erin"])
    body: dict[str, Any] = {"opportunity": posting["id"], "candidate": DAN, "comment": "ok"}
    if case == "self":
        body["candidate"] = "bea@testserver"
    elif case == "poster":
        body["candidate"] = ERIN
    elif case == "long-comment":
        body["comment"] = "x" * 1001
    elif case == "unknown-posting":
        body["opportunity"] = f"{ERIN}/opportunities/nothing"
    elif case == "unknown-field":
        body["poster"] = ERIN
    elif case == "no-candidate":
        del body["candidate"]
    elif case == "no-such-account":
        body["candidate"] = "nobody@testserver"
    elif case == "closed":
        await _close(app, people["erin"], posting["id"])
    elif case == "expired":
        await _expire(app, posting["id"])
    else:
        blocker = "dan" if case == "candidate-blocked-referrer" else "erin"
        blocked = await app.http.post(
            "/api/v1/blocks", json={"account": "bea@testserver"}, headers=people[blocker]
        )
        assert blocked.status_code == 201
    answer = await app.http.post("/api/v1/referrals", json=body, headers=people["bea"])
    assert answer.status_code == status, answer.text
    assert message in answer.json()["error"]
    assert await app.count("referrals") == 0
    assert await _kinds(app, people["dan"]) == []


async def _close(app: App, auth: Auth, public_id: str) -> None:
    path = f"/api/v1/opportunities/{public_id}"
    closed = await app.http.patch(path, json={"state": "closed"}, headers=auth)
    assert closed.status_code == 200, closed.text


async def _expire(app: App, public_id: str) -> None:
    async with app.db.transaction() as conn:
        from sqlalchemy import text

        await conn.execute(
            text("UPDATE opportunities SET expires_at = :t WHERE public_id = :p"),
            {"t": datetime.now(UTC) - timedelta(minutes=1), "p": public_id},
        )


async def test_listing_checks_its_filters(app: App, people: dict[str, Auth]) -> None:
    auth = people["dan"]
    assert (await app.http.get("/api/v1/referrals?box=all", headers=auth)).status_code == 400
    assert (await app.http.get("/api/v1/referrals?state=maybe", headers=auth)).status_code == 400
    assert (await app.http.get("/api/v1/referrals")).status_code == 401
    unknown = await app.http.post("/api/v1/referrals/nothing/accept", headers=auth)
    assert unknown.status_code == 404
    wrong = await app.http.post("/api/v1/referrals/nothing/withdraw", headers=auth)
    assert wrong.status_code == 404


# ----------------------------------------------------------------------------- across servers


async def test_referral_of_a_remote_candidate_goes_to_them_and_their_accept_to_the_poster(
    app: App, people: dict[str, Auth], cody: RemoteActor
) -> None:
    """bea refers cody (on a peer) to erin's posting: the signed Invite goes to cody's inbox
    only; cody's server accepts with a signed Accept embedding it, which reaches erin."""
    posting = await _posting(app, people["erin"])
    made = await _refer(
        app,
        people["bea"],
        {"opportunity": posting["id"], "candidate": cody.uri, "comment": COMMENT},
    )
    [(invite, inboxes)] = await _sent(app, "Invite")
    assert inboxes == [cody.document()["inbox"]]
    assert invite["id"] == made["uri"] and invite["actor"] == BEA
    assert invite["object"] == posting["uri"] and invite["target"] == cody.uri
    assert invite["to"] == [cody.uri] and "cc" not in invite
    assert COMMENT in invite["content"]
    assert (await proofs.verify(app.fed, invite, author=BEA)).signer == BEA
    assert await _box(app, people["erin"], "posted") == []

    accept = cody.sign_object(_accept(cody, invite, to=[ERIN, BEA]))
    assert (await app.deliver(cody, accept, path="/users/erin/inbox")).status_code == 202
    await app.process()
    shown = await _box(app, people["erin"], "posted")
    assert [(r["referrer"], r["candidate"], r["comment"]) for r in shown] == [
        (BEA, cody.uri, COMMENT)
    ]
    assert [r["state"] for r in await _box(app, people["bea"], "sent")] == ["accepted"]
    assert await _kinds(app, people["erin"]) == ["referral_introduced"]
    assert await _kinds(app, people["bea"]) == ["referral_accepted"]
    assert await app.count("referrals") == 1
    assert await _score(app, "erin", cody.uri) > 0.0
    # The same acceptance again (a new activity id) changes nothing.
    replay = cody.sign_object(_accept(cody, invite, to=[ERIN, BEA]))
    assert (await app.deliver(cody, replay, path="/users/erin/inbox")).status_code == 202
    await app.process()
    assert len(await _box(app, people["erin"], "posted")) == 1
    assert await _kinds(app, people["erin"]) == ["referral_introduced"]


async def test_remote_referrer_remote_candidate_local_poster(
    app: App, people: dict[str, Auth], cody: RemoteActor, rita: RemoteActor
) -> None:
    """rita (a peer) referred cody (another peer) to erin's posting; cody accepted: his
    server's Accept, with both proofs, is all erin's server needs."""
    posting = await _posting(app, people["erin"])
    invite = _invite(rita, posting=posting["uri"], candidate=cody.uri)
    before = await _score(app, "erin", cody.uri)
    accept = cody.sign_object(_accept(cody, invite, to=[ERIN, rita.uri]))
    assert (await app.deliver(cody, accept, path="/inbox")).status_code == 202
    await app.process()
    [shown] = await _box(app, people["erin"], "posted")
    assert (shown["referrer"], shown["candidate"]) == (rita.uri, cody.uri)
    assert shown["comment"] == COMMENT
    assert shown["uri"] == invite["id"] and shown["state"] == "accepted"
    assert before == 0.0
    # Nobody here vouches for rita yet; once erin follows her, her referral counts.
    async with app.db.transaction() as conn:
        from fediverse_skills.store import follows

        await follows.add(
            conn,
            follower=ERIN,
            followee=rita.uri,
            activity_uri=f"{ERIN}/activities/follow-rita",
            state="accepted",
            now=datetime.now(UTC),
        )
    await trust.load(app.fed)
    assert await _score(app, "erin", cody.uri) > 0.0


FORGERIES = [
    "candidate-proof-by-another-key",
    "candidate-proof-by-another-actor",
    "no-candidate-proof",
    "accepted-by-someone-else",
    "tampered-comment",
    "invite-unsigned",
    "invite-signed-by-someone-else",
    "invite-id-off-origin",
    "bare-invite-to-the-poster",
    "accept-of-a-bare-id",
]


@pytest.mark.parametrize("case", ["control", *FORGERIES])
async def test_forged_acceptances_store_nothing(
    app: App,
    people: dict[str, Auth],
    cody: RemoteActor,
    rita: RemoteActor,
    mallory: RemoteActor,
    case: str,
) -> None:
    posting = await _posting(app, people["erin"])
    invite = _invite(rita, posting=posting["uri"], candidate=cody.uri)
    sender = cody
    if case == "invite-unsigned":
        invite = _invite(rita, posting=posting["uri"], candidate=cody.uri, signed=False)
    elif case == "invite-signed-by-someone-else":
        unsigned = _invite(rita, posting=posting["uri"], candidate=cody.uri, signed=False)
        invite = mallory.sign_object(unsigned)
    elif case == "invite-id-off-origin":
        unsigned = _invite(rita, posting=posting["uri"], candidate=cody.uri, signed=False)
        unsigned["id"] = f"{mallory.uri}/activities/x"
        invite = rita.sign_object(unsigned)
    elif case == "tampered-comment":
        invite = {**invite, "content": "<p>Hire him, he is my cousin</p>"}
    unsigned_accept = _accept(cody, invite, to=[ERIN, rita.uri])
    if case == "candidate-proof-by-another-key":
        activity = cody.sign_object(unsigned_accept, key=ed25519_key(FORGER_KEY))
    elif case == "candidate-proof-by-another-actor":
        activity = cody.sign_object(
            unsigned_accept, key=mallory.proof_key, method=mallory.proof_key_id
        )
    elif case == "no-candidate-proof":
        activity = unsigned_accept
    elif case == "accepted-by-someone-else":
        activity = mallory.sign_object(_accept(mallory, invite, to=[ERIN]))
        sender = mallory
    elif case == "bare-invite-to-the-poster":
        activity, sender = invite, rita
    elif case == "accept-of-a-bare-id":
        activity = cody.sign_object({**unsigned_accept, "object": invite["id"]})
    else:
        activity = cody.sign_object(unsigned_accept)
    answer = await app.deliver(sender, activity, path="/users/erin/inbox")
    assert answer.status_code in (202, 400), answer.text
    await app.process()
    if case == "control":
        assert len(await _box(app, people["erin"], "posted")) == 1
        return
    assert await app.count("referrals") == 0
    assert await _box(app, people["erin"], "posted") == []
    assert await app.count("notifications") == 0
    assert await _score(app, "erin", cody.uri) == 0.0


@pytest.mark.parametrize(
    "case", ["control", "poster-blocked-referrer", "poster-blocked-candidate", "closed", "expired"]
)
async def test_acceptances_the_poster_must_not_see(
    app: App, people: dict[str, Auth], cody: RemoteActor, rita: RemoteActor, case: str
) -> None:
    posting = await _posting(app, people["erin"])
    if case.startswith("poster-blocked"):
        account = rita.uri if case == "poster-blocked-referrer" else cody.uri
        blocked = await app.http.post(
            "/api/v1/blocks", json={"account": account}, headers=people["erin"]
        )
        assert blocked.status_code == 201
    elif case == "closed":
        await _close(app, people["erin"], posting["id"])
    elif case == "expired":
        await _expire(app, posting["id"])
    invite = _invite(rita, posting=posting["uri"], candidate=cody.uri)
    accept = cody.sign_object(_accept(cody, invite, to=[ERIN, rita.uri]))
    assert (await app.deliver(cody, accept, path="/users/erin/inbox")).status_code == 202
    await app.process()
    shown = await _box(app, people["erin"], "posted")
    if case == "control":
        assert len(shown) == 1
        return
    assert shown == [] and await _kinds(app, people["erin"]) == []
    assert await app.count("referrals") == 0


async def test_remote_referral_of_a_local_candidate(
    app: App, people: dict[str, Auth], rita: RemoteActor
) -> None:
    """rita refers dan to erin's posting: dan sees it; his acceptance shows it to erin (here)
    and goes to rita as a signed Accept embedding her Invite; his decline of another
    goes to rita only."""
    posting = await _posting(app, people["erin"])
    other = await _posting(app, people["erin"], title="Go engineer", required_skills=["Go"])
    invite = _invite(rita, posting=posting["uri"], candidate=DAN)
    assert (await app.deliver(rita, invite, path="/users/dan/inbox")).status_code == 202
    second = _invite(rita, posting=other["uri"], candidate=DAN, comment="")
    assert (await app.deliver(rita, second, path="/users/dan/inbox")).status_code == 202
    await app.process()
    received = await _box(app, people["dan"], "received")
    assert [(r["referrer"], r["opportunity"]["title"]) for r in received] == [
        (rita.uri, "Go engineer"),
        (rita.uri, "Rust engineer"),
    ]
    assert received[1]["comment"] == COMMENT
    assert await _kinds(app, people["dan"]) == ["referral", "referral"]
    assert await _box(app, people["erin"], "posted") == []

    rust, go = received[1]["id"], received[0]["id"]
    assert (
        await app.http.post(f"/api/v1/referrals/{rust}/accept", headers=people["dan"])
    ).status_code == 200
    assert (
        await app.http.post(f"/api/v1/referrals/{go}/decline", headers=people["dan"])
    ).status_code == 200
    assert [r["id"] for r in await _box(app, people["erin"], "posted")] == [rust]
    assert await _kinds(app, people["erin"]) == ["referral_introduced"]

    [(accept, accept_inboxes)] = await _sent(app, "Accept")
    assert accept_inboxes == [rita.document()["inbox"]]  # erin is here: no delivery to her
    assert accept["actor"] == DAN and accept["object"] == invite  # embedded as received
    assert (await proofs.verify(app.fed, accept, author=DAN)).signer == DAN
    [(reject, reject_inboxes)] = await _sent(app, "Reject")
    assert reject_inboxes == [rita.document()["inbox"]]
    assert reject["object"] == second["id"] and reject["to"] == [rita.uri]


@pytest.mark.parametrize(
    "case", ["control", "unsigned", "signed-by-someone-else", "candidate-blocked", "closed"]
)
async def test_bad_invites_to_local_candidates_are_ignored_silently(
    app: App,
    people: dict[str, Auth],
    rita: RemoteActor,
    mallory: RemoteActor,
    case: str,
) -> None:
    posting = await _posting(app, people["erin"])
    if case == "candidate-blocked":
        blocked = await app.http.post(
            "/api/v1/blocks", json={"account": rita.uri}, headers=people["dan"]
        )
        assert blocked.status_code == 201
    elif case == "closed":
        await _close(app, people["erin"], posting["id"])
    invite = _invite(rita, posting=posting["uri"], candidate=DAN, signed=case != "unsigned")
    if case == "signed-by-someone-else":
        del invite["proof"]
        invite = mallory.sign_object(invite, method=f"{rita.uri}#ed25519-key")
    assert (await app.deliver(rita, invite, path="/users/dan/inbox")).status_code == 202
    await app.process()
    received = await _box(app, people["dan"], "received")
    if case == "control":
        assert len(received) == 1
        return
    assert received == [] and await app.count("referrals") == 0
    assert await _kinds(app, people["dan"]) == []
    # Nothing answers rita: the only activities are erin's posting (and its closing).
    kinds = await app.rows("SELECT type FROM outgoing_activities ORDER BY id")
    assert [k for (k,) in kinds] == ["Create", "Update"] if case == "closed" else ["Create"]


async def test_referral_to_a_posting_on_another_server(
    app: App, people: dict[str, Auth], rita: RemoteActor
) -> None:
    """bea refers dan to rita's posting, which this server fetches from rita's; dan
    accepts: his Accept goes to rita (the poster)."""
    note = _posting_note(rita)
    made = await _refer(
        app, people["bea"], {"opportunity": note["id"], "candidate": DAN, "comment": COMMENT}
    )
    assert made["opportunity"] == {
        "uri": note["id"],
        "title": "Kubernetes operator",
        "author": rita.uri,
    }
    assert await _sent(app, "Invite") == []  # dan is here
    accepted = await app.http.post(f"/api/v1/referrals/{made['id']}/accept", headers=people["dan"])
    assert accepted.status_code == 200, accepted.text
    [(accept, inboxes)] = await _sent(app, "Accept")
    assert inboxes == [rita.document()["inbox"]]
    assert accept["object"]["actor"] == BEA and accept["object"]["target"] == DAN
    assert (await proofs.verify(app.fed, accept["object"], author=BEA)).signer == BEA
    assert await _kinds(app, people["bea"]) == ["referral_accepted"]


# ----------------------------------------------------------------------------- interest


async def test_interest_is_a_direct_note_to_the_poster_only(
    app: App, people: dict[str, Auth], rita: RemoteActor
) -> None:
    note = _posting_note(rita)
    sent = await app.http.post(
        "/api/v1/opportunities/remote/interest",
        json={"opportunity": note["id"], "comment": "I run k8s at home.", "include_profile": True},
        headers=people["dan"],
    )
    assert sent.status_code == 201, sent.text
    assert sent.json()["to"] == rita.uri
    [(create, inboxes)] = await _sent(app, "Create")
    assert inboxes == [rita.document()["inbox"]]
    dm = create["object"]
    assert sent.json()["note"] == dm["id"]
    assert dm["to"] == [rita.uri] and dm["cc"] == [] and create["to"] == [rita.uri]
    assert create["cc"] == [] and "url" not in dm  # never public
    assert dm["inReplyTo"] == note["id"]
    host = rita.origin.removeprefix("http://")
    assert dm["tag"] == [{"type": "Mention", "href": rita.uri, "name": f"@rita@{host}"}]
    for text in ("@<span>rita</span>", "I am interested in", "Kubernetes operator"):
        assert text in dm["content"]
    assert "I run k8s at home." in dm["content"] and f"{BASE}/@dan" in dm["content"]
    # Not served to anyone: a direct note is for its addressee's server only.
    assert (await app.http.get(dm["id"], headers={"Accept": AS2})).status_code == 404


async def test_interest_in_a_local_posting_notifies_the_poster(
    app: App, people: dict[str, Auth], cody: RemoteActor
) -> None:
    posting = await _posting(app, people["erin"])
    path = f"/api/v1/opportunities/{posting['id']}/interest"
    sent = await app.http.post(path, json={}, headers=people["dan"])
    assert sent.status_code == 201, sent.text
    assert await _kinds(app, people["erin"]) == ["interest"]
    own = await app.http.post(path, json={}, headers=people["erin"])
    assert own.status_code == 422
    bad = await app.http.post(path, json={"include_profile": "yes"}, headers=people["dan"])
    assert bad.status_code == 400
    long = await app.http.post(path, json={"comment": "x" * 1001}, headers=people["dan"])
    assert long.status_code == 400
    both = await app.http.post(path, json={"opportunity": posting["uri"]}, headers=people["dan"])
    assert both.status_code == 400
    unknown = await app.http.post(
        "/api/v1/opportunities/nothing/interest", json={}, headers=people["dan"]
    )
    assert unknown.status_code == 404
    # A direct reply from a plain app on another server is interest too.
    dm = cody.note(
        "@erin I would love to work on this",
        to=[ERIN],
        inReplyTo=posting["uri"],
        tag=[{"type": "Mention", "href": ERIN, "name": "@erin@testserver"}],
    )
    assert (await app.deliver(cody, cody.create(dm), path="/users/erin/inbox")).status_code == 202
    # A public reply is not.
    public = cody.note("Nice job posting", inReplyTo=posting["uri"])
    assert (await app.deliver(cody, cody.create(public), path="/inbox")).status_code == 202
    await app.process()
    assert await _kinds(app, people["erin"]) == ["interest", "interest"]
    await _close(app, people["erin"], posting["id"])
    closed = await app.http.post(path, json={}, headers=people["dan"])
    assert closed.status_code == 409


# ----------------------------------------------------------------------------- real instances


@pytest.mark.slow
def test_referral_and_interest_between_real_instances(tmp_path: Path) -> None:
    """erin@C posts an opportunity needing Rust; bob@B refers dana@B; dana accepts; erin
    sees the referral with bob's comment. dana's interest reaches erin too."""
    c = Instance(tmp_path / "c").setup("erin")
    b = Instance(tmp_path / "b").setup("bob", "dana")
    try:
        c.start()
        b.start()
        posted = c.api("erin", "/api/v1/opportunities", RUST_JOB)
        assert posted.status_code == 201, posted.text
        uri = posted.json()["uri"]
        made = b.api(
            "bob",
            "/api/v1/referrals",
            {"opportunity": uri, "candidate": f"dana@{b.host}", "comment": COMMENT},
        )
        assert made.status_code == 201, f"{made.text}\n{b.logs()}"
        assert made.json()["opportunity"]["title"] == "Rust engineer"
        accepted = b.api("dana", f"/api/v1/referrals/{made.json()['id']}/accept", {})
        assert accepted.status_code == 200, accepted.text

        def shown() -> list[dict[str, Any]]:
            found: list[dict[str, Any]] = c.api("erin", "/api/v1/referrals?box=posted").json()[
                "referrals"
            ]
            return found

        [referral] = eventually(shown, what=f"the referral on C\n{b.logs()}\n{c.logs()}")
        assert referral["referrer"] == f"{b.url}/users/bob"
        assert referral["candidate"] == f"{b.url}/users/dana"
        assert referral["comment"] == COMMENT and referral["state"] == "accepted"

        interested = b.api(
            "dana", "/api/v1/opportunities/remote/interest", {"opportunity": uri, "comment": "Hi"}
        )
        assert interested.status_code == 201, interested.text

        def kinds() -> list[str]:
            answer = c.api("erin", "/api/v1/notifications").json()["notifications"]
            return sorted(n["kind"] for n in answer)

        eventually(lambda: kinds() == ["interest", "referral_introduced"], what="interest on C")
    finally:
        b.stop()
        c.stop()

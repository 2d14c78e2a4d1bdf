"""Matching (issue 7): people open to work ranked for a posting from its poster's viewpoint,
postings ranked for a person ("for me"), and the board's "in my network" filter (real app
over ASGI, a real peer server on 127.0.0.1 for the remote candidate, on SQLite and
PostgreSQL); and the pure parts: the 3-step reach over the trust graph and the ranking."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import text

from fediverse_skills.domain import matching as rules
from fediverse_skills.domain.opportunities import UNVOUCHED
from fediverse_skills.domain.trust import Signal, TrustGraph
from fediverse_skills.services import actors, tokens, trust
from fediverse_skills.services.accounts import create_user
from fediverse_skills.store import follows
from tests.security.conftest import App, app, bob, remote, servers
from tests.security.remote import RemoteActor

__all__ = ["app", "bob", "remote", "servers"]  # fixtures

AS2 = "application/activity+json"
HOST = "http://testserver"
RUST_JOB = {
    "title": "Rust engineer",
    "description": "Own our parser.",
    "required_skills": ["Rust"],
    "nice_skills": ["Go"],
}

# ----------------------------------------------------------------------------- pure parts


def _chain_graph() -> TrustGraph:
    return TrustGraph.build(
        [
            Signal("a", "b", "follow"),
            Signal("b", "c", "endorsement", "rust"),
            Signal("c", "d", "follow"),
            Signal("d", "e", "follow"),
            Signal("x", "a", "follow"),  # towards a: not part of a's reach
        ]
    )


def test_reach_follows_edges_in_their_direction_up_to_the_limit() -> None:
    graph = _chain_graph()
    assert graph.within(["a"], 3) == {"a": 0, "b": 1, "c": 2, "d": 3}
    assert graph.within(["a"], 1) == {"a": 0, "b": 1}
    assert graph.within(["a", "d"], 1) == {"a": 0, "d": 0, "b": 1, "e": 1}
    assert graph.within(["nobody"], 3) == {}
    assert "x" not in graph.within(["a"], 5)


def test_reach_sees_changes_not_yet_compacted() -> None:
    graph = _chain_graph()
    graph.add(Signal("a", "z", "follow"))  # a new node and edge, in the delta only
    graph.add(Signal("z", "y", "like", "go"))
    graph.remove(Signal("c", "d", "follow"))  # a compacted edge taken away
    assert graph.within(["a"], 3) == {"a": 0, "b": 1, "z": 1, "c": 2, "y": 2}
    graph.compact()
    assert graph.within(["a"], 3) == {"a": 0, "b": 1, "z": 1, "c": 2, "y": 2}


def test_reach_matches_a_plain_breadth_first_search() -> None:
    import random

    rng = random.Random(5)
    names = [f"p{i}" for i in range(300)]
    signals = [Signal(rng.choice(names), rng.choice(names), "follow") for _ in range(900)]
    signals += [Signal(rng.choice(names), rng.choice(names), "like", "go") for _ in range(300)]
    graph = TrustGraph.build(signals)
    extra = [Signal(rng.choice(names), f"new{k}", "follow") for k in range(40)]
    for signal in extra:  # changes beside the compacted base
        graph.add(signal)
    edges: dict[str, set[str]] = {}
    for s in [*signals, *extra]:
        if s.source != s.target:
            edges.setdefault(s.source, set()).add(s.target)
    expected = {"p0": 0}
    frontier = ["p0"]
    for step in range(1, 4):
        frontier = sorted({t for f in frontier for t in edges.get(f, ()) if t not in expected})
        expected.update({t: step for t in frontier})
    assert graph.within(["p0"], 3) == expected


def test_strength_and_closeness_grow_from_their_floor_towards_one() -> None:
    assert rules.strength(0) == UNVOUCHED
    assert rules.strength(float("nan")) == UNVOUCHED
    assert rules.strength(-1) == UNVOUCHED
    assert rules.strength(rules.SCORE_HALF) == pytest.approx((1 + UNVOUCHED) / 2)
    assert rules.strength(1) < rules.strength(3) < rules.strength(20) < 1
    assert rules.closeness(0) == 0 and rules.closeness(float("inf")) == 0
    assert rules.closeness(rules.TRUST_HALF) == pytest.approx(0.5)


def test_ranking_weighs_required_over_nice_and_trust_breaks_no_fit() -> None:
    vouched = rules.match("vouched", ["rust"], ["go"], {"rust": rules.strength(8)}, 0.5)
    declared = rules.match("declared", ["rust"], ["go"], {"rust": UNVOUCHED}, 5.0)
    nice_only = rules.match("nice", ["rust"], ["go"], {"go": UNVOUCHED}, 5.0)
    nothing = rules.match("none", ["rust"], ["go"], {"haskell": 1.0}, 50.0)
    twin = rules.match("a-twin", ["rust"], ["go"], {"rust": UNVOUCHED}, 5.0)
    ranked = rules.best([nothing, nice_only, declared, vouched, twin], 10)
    assert [m.key for m in ranked] == ["vouched", "a-twin", "declared", "nice"]
    assert rules.best([vouched, declared], 1) == [vouched]
    # Trust scales a match between half and all of its fit.
    far = rules.match("far", ["rust"], [], {"rust": 1.0}, 0.0)
    near = rules.match("near", ["rust"], [], {"rust": 1.0}, 1e9)
    assert far.score == pytest.approx(0.5) and near.score == pytest.approx(1.0)


# ----------------------------------------------------------------------------- the app


Auth = dict[str, str]


async def _person(app: App, name: str) -> Auth:
    await create_user(app.db, name)
    issued = await tokens.create_token(app.db, name)
    return {"Authorization": f"Bearer {issued.token}"}


async def _ok(app: App, auth: Auth, path: str, body: dict[str, Any], method: str = "POST") -> Any:
    answer = await app.http.request(method, path, json=body, headers=auth)
    assert answer.status_code in (200, 201), answer.text
    return answer.json()


async def _follow(app: App, who: Auth, target: str) -> None:
    await _ok(app, who, "/api/v1/follows", {"target": target})


async def _skill(app: App, who: Auth, skill: str) -> None:
    await _ok(app, who, "/api/v1/skills", {"skill": skill})


async def _open(app: App, who: Auth, *, show: bool = False) -> None:
    await _ok(
        app,
        who,
        "/api/v1/profile",
        {"open_to_work": True, "show_open_to_work": show},
        method="PATCH",
    )


async def _matches(app: App, auth: Auth, posting: str, query: str = "") -> Any:
    await trust.load(app.fed)  # follows reach the graph on its next load
    answer = await app.http.get(f"/api/v1/opportunities/{posting}/matches{query}", headers=auth)
    assert answer.status_code == 200, answer.text
    return answer.json()["matches"]


@pytest.fixture
async def network(app: App) -> dict[str, Auth]:
    """erin posts; she follows carol, ben and frank. carol endorsed alice's Rust and follows
    h1, who follows h2, who follows h3 (4 steps from erin). gina's Rust is endorsed too,
    but she is not open to work. Everyone but gina is open to work."""
    people = {n: await _person(app, n) for n in ("erin", "carol", "alice", "ben", "frank")}
    people |= {n: await _person(app, n) for n in ("gina", "h1", "h2", "h3")}
    for target in ("carol", "ben", "frank"):
        await _follow(app, people["erin"], f"{target}@testserver")
    for who, target in (("carol", "h1"), ("h1", "h2"), ("h2", "h3")):
        await _follow(app, people[who], f"{target}@testserver")
    for who, skill in (("alice", "Rust"), ("ben", "rust"), ("frank", "Go"), ("gina", "Rust")):
        await _skill(app, people[who], skill)
    await _skill(app, people["h2"], "Rust")
    await _skill(app, people["h3"], "Rust")
    for subject in ("alice", "gina"):
        await _ok(
            app,
            people["carol"],
            "/api/v1/endorsements",
            {"to": f"{subject}@testserver", "skill": "Rust"},
        )
    for name in ("alice", "ben", "frank", "h1", "h2", "h3", "carol"):
        await _open(app, people[name])
    return people


async def _post(app: App, auth: Auth, body: dict[str, Any] | None = None) -> str:
    made = await _ok(app, auth, "/api/v1/opportunities", body or RUST_JOB)
    return str(made["id"])


async def test_matches_rank_vouched_skills_first_within_three_steps(
    app: App, network: dict[str, Auth]
) -> None:
    posting = await _post(app, network["erin"])
    found = await _matches(app, network["erin"], posting)
    order = [m["handle"] for m in found]
    # alice: Rust endorsed by carol, whom erin follows, beats ben's Rust that nobody vouches
    # for; ben's required Rust beats frank's nice-to-have Go at the same distance; h2 is 3
    # steps away, h3 4 (not listed); gina is not open to work; carol has no skill asked for.
    assert order[0] == "@alice@testserver"
    assert set(order) == {f"@{n}@testserver" for n in ("alice", "ben", "frank", "h2")}
    assert order.index("@ben@testserver") < order.index("@frank@testserver")
    alice, ben, frank, h2 = (
        next(m for m in found if m["handle"] == f"@{n}@testserver")
        for n in ("alice", "ben", "frank", "h2")
    )
    assert re.fullmatch(
        r"Rust: \w+ \(endorsed by carol@testserver, whom you follow\)", alice["why"]
    )
    assert alice["skills"]["rust"]["endorsers"] == 1 and alice["skills"]["rust"]["required"]
    assert alice["steps"] == 2 and alice["local"] is True and alice["name"] == "alice"
    assert ben["why"] == "Rust: on their profile, not vouched for yet"
    assert frank["why"] == "Go: on their profile, not vouched for yet; missing: Rust"
    assert frank["missing"] == ["Rust"] and frank["skills"]["go"]["required"] is False
    assert h2["steps"] == 3 and ben["steps"] == 1
    assert ben["trust"] > h2["trust"] and ben["score"] > h2["score"]
    for m in found:
        assert m["score"] == pytest.approx(
            m["fit"] * (0.5 + 0.5 * rules.closeness(m["trust"])), abs=1e-3
        )
    # ?limit= cuts the list; it is bounded.
    assert [m["handle"] for m in await _matches(app, network["erin"], posting, "?limit=1")] == [
        "@alice@testserver"
    ]
    too_many = await app.http.get(
        f"/api/v1/opportunities/{posting}/matches?limit=101", headers=network["erin"]
    )
    assert too_many.status_code == 400


async def test_people_who_are_not_open_to_work_or_who_blocked_the_poster_are_never_listed(
    app: App, network: dict[str, Auth]
) -> None:
    posting = await _post(app, network["erin"])
    await _ok(app, network["alice"], "/api/v1/profile", {"open_to_work": False}, method="PATCH")
    await _ok(app, network["ben"], "/api/v1/blocks", {"account": "erin@testserver"})
    handles = {m["handle"] for m in await _matches(app, network["erin"], posting)}
    assert handles == {"@frank@testserver", "@h2@testserver"}


async def test_only_the_poster_sees_matches_and_only_of_a_live_posting(
    app: App, network: dict[str, Auth]
) -> None:
    posting = await _post(app, network["erin"])
    path = f"/api/v1/opportunities/{posting}/matches"
    for other in ("alice", "carol"):
        assert (await app.http.get(path, headers=network[other])).status_code == 404
    assert (await app.http.get(path)).status_code == 401
    assert (
        await app.http.get("/api/v1/opportunities/nope/matches", headers=network["erin"])
    ).status_code == 404
    await _ok(
        app,
        network["erin"],
        f"/api/v1/opportunities/{posting}",
        {"state": "closed"},
        method="PATCH",
    )
    closed = await app.http.get(path, headers=network["erin"])
    assert closed.status_code == 409 and "closed or expired" in closed.json()["error"]
    other = await _post(app, network["erin"])
    async with app.db.transaction() as conn:
        await conn.execute(
            text("UPDATE opportunities SET expires_at = :t WHERE public_id = :p"),
            {"t": datetime.now(UTC) - timedelta(minutes=1), "p": other},
        )
    expired = await app.http.get(f"/api/v1/opportunities/{other}/matches", headers=network["erin"])
    assert expired.status_code == 409


async def test_open_to_work_is_published_only_when_shown(app: App) -> None:
    alice = await _person(app, "alice")
    await _open(app, alice)

    async def actor() -> dict[str, Any]:
        answer = await app.http.get("/users/alice", headers={"Accept": AS2})
        assert answer.status_code == 200
        doc: dict[str, Any] = answer.json()
        return doc

    async def updates() -> list[str]:
        return [
            str(r[0])
            for r in await app.rows(
                "SELECT body FROM outgoing_activities WHERE type = 'Update' ORDER BY id"
            )
        ]

    assert "openToWork" not in await actor()
    sent = [json.loads(body)["object"] for body in await updates()]
    assert sent and not any("openToWork" in actor for actor in sent)
    me = await app.http.get("/api/v1/me", headers=alice)
    assert me.json()["open_to_work"] is True and me.json()["show_open_to_work"] is False
    await _open(app, alice, show=True)
    shown = await actor()
    assert shown["openToWork"] is True
    context = shown["@context"][-1]
    assert context["openToWork"]["@id"] == "fsk:openToWork"
    assert json.loads((await updates())[-1])["object"]["openToWork"] is True
    # Shown but no longer open: not published either.
    await _ok(app, alice, "/api/v1/profile", {"open_to_work": False}, method="PATCH")
    assert "openToWork" not in await actor()


async def test_a_remote_person_is_a_candidate_once_their_actor_says_open_to_work(
    app: App, network: dict[str, Auth], bob: RemoteActor
) -> None:
    rust_tag = {"type": "Hashtag", "name": "#Rust", "href": f"{bob.origin}/tags/Rust"}
    bob.publish(name="Bob Remote", tag=[rust_tag])
    await actors.get(app.fed, bob.uri, refresh=True)
    async with app.db.transaction() as conn:
        await follows.add(
            conn,
            follower=f"{HOST}/users/erin",
            followee=bob.uri,
            activity_uri=f"{HOST}/users/erin/activities/follow-bob",
            state="accepted",
            now=datetime.now(UTC),
        )
    posting = await _post(app, network["erin"])
    assert bob.uri not in {m["actor"] for m in await _matches(app, network["erin"], posting)}
    # bob chooses to show it: his server sends an Update of his actor.
    update = bob.activity(
        "Update", bob.document(name="Bob Remote", tag=[rust_tag], openToWork=True)
    )
    assert (await app.deliver(bob, update, path="/inbox")).status_code == 202
    await app.process()
    found = {m["actor"]: m for m in await _matches(app, network["erin"], posting)}
    assert found[bob.uri]["local"] is False and found[bob.uri]["name"] == "Bob Remote"
    assert found[bob.uri]["why"] == "Rust: on their profile, not vouched for yet"
    assert found[bob.uri]["steps"] == 1
    # Anything but true is no.
    again = bob.activity("Update", bob.document(tag=[rust_tag], openToWork="yes"))
    assert (await app.deliver(bob, again, path="/inbox")).status_code == 202
    await app.process()
    assert bob.uri not in {m["actor"] for m in await _matches(app, network["erin"], posting)}


async def _board(app: App, auth: Auth, query: str) -> list[dict[str, Any]]:
    await trust.load(app.fed)
    answer = await app.http.get(f"/api/v1/opportunities{query}", headers=auth)
    assert answer.status_code == 200, answer.text
    return list(answer.json()["opportunities"])


async def test_for_me_ranks_postings_that_fit_my_skills_with_a_why(
    app: App, network: dict[str, Auth]
) -> None:
    rust_go = await _post(app, network["erin"], {**RUST_JOB, "title": "Rust and Go"})
    go_first = await _post(
        app,
        network["carol"],
        {
            "title": "Go needed",
            "description": "x",
            "required_skills": ["Go", "Rust"],
        },
    )
    await _post(
        app,
        network["ben"],
        {"title": "Haskell", "description": "x", "required_skills": ["Haskell"]},
    )
    own = await _post(app, network["alice"], {**RUST_JOB, "title": "alice's own"})
    await _follow(app, network["alice"], "erin@testserver")
    found = await _board(app, network["alice"], "?for=me")
    ids = [o["id"] for o in found]
    # alice has Rust (endorsed by carol): both postings that need it, the one where Rust is
    # all that is required first; not the Haskell one, not her own.
    assert ids == [rust_go, go_first] and own not in ids
    first, second = found
    assert re.fullmatch(
        r"Rust: yours, \w+; posted by erin@testserver, whom you follow", first["match"]["why"]
    )
    assert "missing: Go" in second["match"]["why"]
    assert "posted by carol@testserver" in second["match"]["why"]
    assert first["match"]["score"] > second["match"]["score"] > 0
    assert first["title"] == "Rust and Go"  # the posting itself, as the board shows it
    # Filters apply; other values of "for" are refused.
    assert [o["id"] for o in await _board(app, network["alice"], "?for=me&skill=go")] == [
        rust_go,
        go_first,
    ]
    assert await _board(app, network["alice"], "?for=me&kind=gig") == []
    bad = await app.http.get("/api/v1/opportunities?for=you", headers=network["alice"])
    assert bad.status_code == 400
    # Someone without skills gets nothing.
    assert await _board(app, network["h1"], "?for=me") == []


async def test_in_my_network_keeps_postings_by_people_within_three_steps(
    app: App, network: dict[str, Auth]
) -> None:
    by_ben = await _post(app, network["ben"])  # 1 step from erin
    by_h2 = await _post(app, network["h2"])  # 3 steps
    by_h3 = await _post(app, network["h3"])  # 4 steps
    by_zed = await _post(app, await _person(app, "zed"))  # nobody erin reaches
    mine = await _post(app, network["erin"])
    everything = {o["id"] for o in await _board(app, network["erin"], "")}
    assert {by_ben, by_h2, by_h3, by_zed, mine} <= everything
    near = {o["id"] for o in await _board(app, network["erin"], "?network=true")}
    assert near == {by_ben, by_h2}
    both = await _board(app, network["erin"], "?network=true&for=me")
    assert both == []  # erin has no skills
    assert await _board(app, network["erin"], "?network=false") != []
    bad = await app.http.get("/api/v1/opportunities?network=maybe", headers=network["erin"])
    assert bad.status_code == 400

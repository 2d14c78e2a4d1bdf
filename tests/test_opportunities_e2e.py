"""Work opportunities across three real instances and a Fedify peer (issue 7, done-when):

1. erin@C posts an opportunity needing Rust; the Fedify peer, which follows erin,
   receives it as a Note with #hiring.
2. alice@A (open to work, shown; Rust endorsed by carol@C, whom erin follows) is matched
   first, above frank@C (open to work, Rust on his profile but vouched for by nobody), with
   a why that names carol.
3. bob@B refers dana@B; dana accepts on B; erin sees the referral with bob's comment, and
   nobody else sees it.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import PostgresServer, _require_postgres
from tests.instances import Instance, eventually
from tests.peers.fedify import FedifyPeer

pytestmark = pytest.mark.slow


@pytest.fixture(params=["sqlite", "postgres"])
def trio(
    request: pytest.FixtureRequest, tmp_path: Path, postgres_server: PostgresServer | None
) -> Iterator[tuple[Instance, Instance, Instance]]:
    people = {"a": ("alice",), "b": ("bob", "dana"), "c": ("carol", "erin", "frank")}
    if request.param == "sqlite":
        insts = {k: Instance(tmp_path / k) for k in people}
    else:
        server = _require_postgres(postgres_server)
        insts = {
            k: Instance(tmp_path / k, database_url=server.create(f"fso_{k}"), workers=1)
            for k in people
        }
    for key, inst in insts.items():
        inst.setup(*people[key])
    try:
        for inst in insts.values():
            inst.start()
        yield insts["a"], insts["b"], insts["c"]
    finally:
        for inst in insts.values():
            inst.stop()
            if inst.database_url and postgres_server is not None:
                postgres_server.drop(inst.database_url)


def ok(answer: Any) -> dict[str, Any]:
    assert answer.status_code in (200, 201), answer.text
    body: dict[str, Any] = answer.json()
    return body


def patch(inst: Instance, user: str, path: str, body: dict[str, Any]) -> dict[str, Any]:
    import httpx

    answer = httpx.patch(
        f"{inst.url}{path}",
        json=body,
        headers={"Authorization": f"Bearer {inst.tokens[user]}"},
        timeout=30,
    )
    return ok(answer)


def test_post_match_refer_across_three_servers(
    trio: tuple[Instance, Instance, Instance], fedify_peer: FedifyPeer
) -> None:
    a, b, c = trio
    alice = f"{a.url}/users/alice"
    erin = f"{c.url}/users/erin"
    logs = lambda: f"{a.logs()}\n{b.logs()}\n{c.logs()}"  # noqa: E731

    # alice is open to work and shows it; her Rust is endorsed by carol@C.
    patch(a, "alice", "/api/v1/profile", {"open_to_work": True, "show_open_to_work": True})
    ok(a.api("alice", "/api/v1/skills", {"skill": "Rust"}))
    praise = {"to": f"alice@{a.host}", "skill": "rust", "comment": "She rewrote our parser"}
    ok(c.api("carol", "/api/v1/endorsements", praise))
    eventually(
        lambda: a.query("SELECT count(*) FROM endorsements") == [(1,)],
        what=f"A stores carol's endorsement\n{logs()}",
    )
    # frank@C is open to work too, with Rust on his profile that nobody vouches for.
    patch(c, "frank", "/api/v1/profile", {"open_to_work": True})
    ok(c.api("frank", "/api/v1/skills", {"skill": "Rust"}))
    # erin follows carol and frank; bob follows erin; the Fedify peer follows erin.
    for target in (f"carol@{c.host}", f"frank@{c.host}"):
        ok(c.api("erin", "/api/v1/follows", {"target": target}))
    ok(b.api("bob", "/api/v1/follows", {"target": f"erin@{c.host}"}))
    fedify_peer.follow(erin)
    eventually(
        lambda: (
            c.query(
                "SELECT count(*) FROM follows WHERE followee = :e AND state = 'accepted'", e=erin
            )
            == [(2,)]
        ),
        what=f"C records bob's and the Fedify peer's follows of erin\n{logs()}",
    )

    # 1. erin posts an opportunity needing Rust.
    since = fedify_peer.mark()
    posting = ok(
        c.api(
            "erin",
            "/api/v1/opportunities",
            {
                "title": "Rust engineer for our ingestion pipeline",
                "description": "We move 2 TB a day and need help with the parser.",
                "required_skills": ["Rust"],
                "nice_skills": ["Kubernetes"],
                "kind": "contract",
                "remote": True,
            },
        )
    )
    seen = fedify_peer.wait_for(
        lambda e: (
            e["kind"] == "inbox" and e["type"] == "Create" and e.get("object") == posting["uri"]
        ),
        timeout=30,
        since=since,
    )
    assert seen["objectType"] == "Note"
    assert "Rust engineer for our ingestion pipeline" in seen["content"]
    assert "hiring" in seen["content"]

    # 2. erin's matches: alice first, with a why naming carol; frank after her.
    matches = eventually(
        lambda: (
            ok(c.api("erin", f"/api/v1/opportunities/{posting['id']}/matches"))["matches"] or None
        ),
        what=f"C matches people to erin's posting\n{logs()}",
    )
    actors = [m["actor"] for m in matches]
    assert actors[0] == alice, matches
    assert f"{c.url}/users/frank" in actors
    assert "carol" in str(matches[0]["why"]), matches[0]
    # Only the poster may see them.
    assert c.api("carol", f"/api/v1/opportunities/{posting['id']}/matches").status_code == 404

    # 3. bob@B (who follows erin, so B keeps her posting) refers dana@B.
    eventually(
        lambda: ok(b.api("bob", "/api/v1/opportunities"))["opportunities"] or None,
        what=f"B keeps erin's posting\n{logs()}",
    )
    referral = ok(
        b.api(
            "bob",
            "/api/v1/referrals",
            {
                "opportunity": posting["uri"],
                "candidate": f"dana@{b.host}",
                "comment": "Dana ran our Rust migration",
            },
        )
    )
    received = ok(b.api("dana", "/api/v1/referrals?box=received"))["referrals"]
    assert [r["id"] for r in received] == [referral["id"]]
    # erin sees nothing before dana consents.
    assert ok(c.api("erin", "/api/v1/referrals?box=posted"))["referrals"] == []
    ok(b.api("dana", f"/api/v1/referrals/{referral['id']}/accept", {}))
    posted = eventually(
        lambda: ok(c.api("erin", "/api/v1/referrals?box=posted"))["referrals"] or None,
        what=f"C shows erin the accepted referral\n{logs()}",
    )
    assert len(posted) == 1
    assert posted[0]["referrer"] == f"{b.url}/users/bob"
    assert posted[0]["candidate"] == f"{b.url}/users/dana"
    assert posted[0]["comment"] == "Dana ran our Rust migration"
    # Nobody else sees it.
    for inst, user in ((c, "carol"), (a, "alice")):
        for box in ("received", "sent", "posted"):
            assert ok(inst.api(user, f"/api/v1/referrals?box={box}"))["referrals"] == []

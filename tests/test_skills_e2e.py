"""The co-created profile across three real instances (A, B, C) and a Fedify peer.

1. bob@B suggests "Rust" to alice@A; alice accepts.
2. carol@C endorses alice's Rust with a comment; the Fedify peer likes alice's Rust note.
3. C fetches alice's profile from A and shows every endorsement as proof-verified, and
   Fedify's own verifyProof checks the same proofs independently.
4. Editing the endorsement's comment in A's database makes B and C show it as failed,
   never as carol's.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.conftest import PostgresServer, _require_postgres
from tests.instances import Instance, eventually
from tests.peers.fedify import FedifyPeer

pytestmark = pytest.mark.slow


@pytest.fixture(params=["sqlite", "postgres"])
def trio(
    request: pytest.FixtureRequest, tmp_path: Path, postgres_server: PostgresServer | None
) -> Iterator[tuple[Instance, Instance, Instance]]:
    names = {"a": "alice", "b": "bob", "c": "carol"}
    if request.param == "sqlite":
        insts = {k: Instance(tmp_path / k) for k in names}
    else:
        server = _require_postgres(postgres_server)
        insts = {
            k: Instance(tmp_path / k, database_url=server.create(f"fsk_{k}"), workers=1)
            for k in names
        }
    for key, inst in insts.items():
        inst.setup(names[key])
    try:
        for inst in insts.values():
            inst.start()
        yield insts["a"], insts["b"], insts["c"]
    finally:
        for inst in insts.values():
            inst.stop()
            if inst.database_url and postgres_server is not None:
                postgres_server.drop(inst.database_url)


def _delete(inst: Instance, user: str, path: str) -> httpx.Response:
    headers = {"Authorization": f"Bearer {inst.tokens[user]}"}
    return httpx.delete(f"{inst.url}{path}", headers=headers, timeout=30)


def _skill(profile: dict[str, Any], key: str) -> dict[str, Any]:
    found = [s for s in profile["skills"] if s["key"] == key]
    assert found, profile
    return found[0]


def test_suggest_accept_endorse_verify_tamper(
    trio: tuple[Instance, Instance, Instance], fedify_peer: FedifyPeer
) -> None:
    a, b, c = trio
    alice, bob, carol = f"{a.url}/users/alice", f"{b.url}/users/bob", f"{c.url}/users/carol"
    logs = lambda: f"{a.logs()}\n{b.logs()}\n{c.logs()}"  # noqa: E731

    # 1. bob@B suggests Rust to alice@A (a signed Offer); alice accepts (a signed Accept).
    made = b.api(
        "bob",
        "/api/v1/suggestions",
        {"to": f"alice@{a.host}", "skill": "Rust", "comment": "She rewrote our parser in it"},
    )
    assert made.status_code == 201, made.text
    assert made.json()["status"] == "pending"
    pending = eventually(
        lambda: a.api("alice", "/api/v1/suggestions?status=pending").json()["suggestions"],
        what=f"A stores bob's suggestion\n{logs()}",
    )
    assert [(s["from"], s["skill"]["name"], s["attestation"]) for s in pending] == [
        (bob, "Rust", "proof")
    ]
    # Nothing is public yet.
    assert a.get_as("/users/alice/skills").json()["totalItems"] == 0
    accepted = a.api("alice", f"/api/v1/suggestions/{pending[0]['id']}/accept", {})
    assert accepted.status_code == 200, accepted.text
    assert accepted.json()["status"] == "accepted"
    eventually(
        lambda: (
            b.api("bob", "/api/v1/suggestions?box=sent").json()["suggestions"][0]["status"]
            == "accepted"
        ),
        what=f"B learns that alice accepted\n{logs()}",
    )

    # 2. carol@C endorses alice's Rust; the Fedify peer likes alice's Rust note.
    endorsed = c.api(
        "carol",
        "/api/v1/endorsements",
        {"to": f"alice@{a.host}", "skill": "rust", "comment": "Great work on the parser"},
    )
    assert endorsed.status_code == 201, endorsed.text
    eventually(
        lambda: a.query("SELECT endorser FROM endorsements") == [(carol,)],
        what=f"A stores carol's endorsement\n{logs()}",
    )
    [(note_id,)] = a.query("SELECT public_id FROM notes WHERE kind='skill' AND skill_key='rust'")
    note_uri = f"{alice}/notes/{note_id}"
    note = a.get_as(note_uri).json()
    assert "#<span>Rust</span>" in note["content"] and "bob" in note["content"]
    fedify_peer.like(note_uri, alice)
    eventually(
        lambda: len(a.query("SELECT id FROM endorsements")) == 2,
        what=f"A stores the Fedify like\n{logs()}",
    )

    # 3. C (and B) assemble alice's profile from A and verify every proof.
    for viewer, user in ((c, "carol"), (b, "bob")):
        profile = viewer.api(user, f"/api/v1/profiles/alice@{a.host}")
        assert profile.status_code == 200, profile.text
        rust = _skill(profile.json(), "rust")
        assert rust["status"] == "accepted"
        assert rust["provenance"]["suggested_by"] == bob
        assert rust["provenance"]["verified"] == "proof"
        shown = {e["claimed_by"] if "claimed_by" in e else e["by"]: e for e in rust["endorsements"]}
        assert shown[carol]["verified"] == "proof"
        assert shown[carol]["by"] == carol
        assert shown[carol]["comment"] == "Great work on the parser"
        assert shown[carol]["signer"] == f"{carol}#ed25519-key"
        assert shown[fedify_peer.actor_url]["verified"] == "server"
        assert rust["counts"] == {"proof": 1, "server": 1, "failed": 0, "total": 2}

    # Fedify verifies the same proofs on its own (endorsement and suggestion).
    results = fedify_peer.verify_proofs(f"{alice}/skills/rust")
    assert len(results) == 2, results
    assert all(r["verified"] for r in results), results
    assert {r["key"] for r in results} == {f"{carol}#ed25519-key", f"{bob}#ed25519-key"}

    # 4. Someone edits the comment in A's database: B and C show it as failed.
    [(document,)] = a.query("SELECT document FROM endorsements WHERE endorser=:e", e=carol)
    forged = json.loads(document)
    forged["content"] = "<p>Terrible work on the parser</p>"
    a.execute(
        "UPDATE endorsements SET document=:d, comment=:t WHERE endorser=:e",
        d=json.dumps(forged),
        t="Terrible work on the parser",
        e=carol,
    )
    for viewer, user in ((c, "carol"), (b, "bob")):
        rust = _skill(viewer.api(user, f"/api/v1/profiles/alice@{a.host}").json(), "rust")
        tampered = [e for e in rust["endorsements"] if e.get("claimed_by") == carol]
        assert len(tampered) == 1
        assert tampered[0]["verified"] == "failed"
        assert tampered[0]["by"] is None  # never shown as carol's
        assert rust["counts"]["proof"] == 0 and rust["counts"]["failed"] == 1
    failed = fedify_peer.verify_proofs(f"{alice}/skills/rust")
    assert sorted(r["verified"] for r in failed) == [False, True], failed

    # Withdrawals propagate: carol withdraws, and the endorsement leaves A.
    carols = c.query("SELECT public_id FROM endorsements WHERE endorser=:e", e=carol)
    assert _delete(c, "carol", f"/api/v1/endorsements/{carols[0][0]}").status_code == 204
    eventually(
        lambda: a.query("SELECT count(*) FROM endorsements WHERE endorser=:e", e=carol) == [(0,)],
        what=f"A drops carol's withdrawn endorsement\n{logs()}",
    )

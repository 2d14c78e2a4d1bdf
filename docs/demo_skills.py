"""A co-created profile across three servers, step by step, on 127.0.0.1.

    make tour            (or: .venv/bin/python docs/demo_skills.py)

It starts three instances of fediverse-skills (A with alice, B with bob, C with carol,
each its own process and SQLite database) and a Fedify instance (npm @fedify/fedify, a
third-party ActivityPub server), then:

1. bob@B suggests "Rust" to alice@A; alice accepts.
2. carol@C endorses alice's Rust with a comment; the Fedify account likes alice's Rust note.
3. C fetches alice's profile from A and checks every proof; Fedify checks the same proofs
   with its own verifier.
4. The endorsement's comment is edited directly in A's database: B and C now show it as
   failed, never as carol's.

Each step prints what it did and what the servers answered; the script exits 1 if any
step does not turn out as described. Everything stops when it ends. Needs Node.js >= 20
and npm for the Fedify step (it is skipped, and said so, without them). For a seeded
network that stays up to click around in, see docs/demo.py (``make demo``).
"""

from __future__ import annotations

import json
import sys
import tempfile
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.instances import Instance, eventually  # noqa: E402
from tests.peers.fedify import FedifyPeer, node_available  # noqa: E402


def step(title: str) -> None:
    print(f"\n== {title}")


def show(label: str, value: Any) -> None:
    print(f"   {label}: {json.dumps(value, ensure_ascii=False)}")


def check(condition: bool, what: str) -> None:
    if not condition:
        print(f"   FAILED: {what}")
        raise SystemExit(1)
    print(f"   ok: {what}")


def rust_of(inst: Instance, user: str, handle: str) -> dict[str, Any]:
    profile = inst.api(user, f"/api/v1/profiles/{handle}").json()
    return next(s for s in profile["skills"] if s["key"] == "rust")


def main() -> int:
    with tempfile.TemporaryDirectory(prefix="fsk-demo-") as tmp:
        a = Instance(Path(tmp) / "a").setup("alice")
        b = Instance(Path(tmp) / "b").setup("bob")
        c = Instance(Path(tmp) / "c").setup("carol")
        peer = None
        try:
            for inst in (a, b, c):
                inst.start()
            print(f"A: {a.url}  B: {b.url}  C: {c.url}")
            if node_available() is None:
                (Path(tmp) / "fedify").mkdir()
                peer = FedifyPeer(Path(tmp) / "fedify").start()
                print(f"Fedify: {peer.actor_url}")
            else:
                print(f"Fedify step skipped: {node_available()}")
            alice = f"{a.url}/users/alice"
            carol = f"{c.url}/users/carol"

            step("1. bob@B suggests Rust to alice@A")
            made = b.api(
                "bob",
                "/api/v1/suggestions",
                {"to": f"alice@{a.host}", "skill": "Rust", "comment": "She rewrote our parser"},
            )
            show("B answered", made.json())
            pending = eventually(
                lambda: a.api("alice", "/api/v1/suggestions?status=pending").json()["suggestions"],
                what="the suggestion reaching A",
            )
            check(pending[0]["attestation"] == "proof", "A verified bob's signed Offer")
            accepted = a.api("alice", f"/api/v1/suggestions/{pending[0]['id']}/accept", {})
            show("alice accepts", accepted.json()["status"])
            eventually(
                lambda: (
                    b.api("bob", "/api/v1/suggestions?box=sent").json()["suggestions"][0]["status"]
                    == "accepted"
                ),
                what="B learning of the Accept",
            )
            check(True, "B received alice's signed Accept")

            step("2. carol@C endorses alice's Rust; Fedify likes alice's Rust note")
            endorsed = c.api(
                "carol",
                "/api/v1/endorsements",
                {"to": f"alice@{a.host}", "skill": "Rust", "comment": "Great work on the parser"},
            )
            show("C answered", endorsed.json())
            eventually(lambda: a.query("SELECT 1 FROM endorsements"), what="A storing it")
            if peer is not None:
                [(note_id,)] = a.query(
                    "SELECT public_id FROM notes WHERE kind='skill' AND skill_key='rust'"
                )
                peer.like(f"{alice}/notes/{note_id}", alice)
                eventually(
                    lambda: len(a.query("SELECT 1 FROM endorsements")) == 2,
                    what="A storing Fedify's like",
                )
                check(True, "A stored the like as an endorsement attested by Fedify's server")

            step("3. C shows alice's profile from A, every proof checked")
            rust = rust_of(c, "carol", f"alice@{a.host}")
            for e in rust["endorsements"]:
                show("endorsement", {k: e.get(k) for k in ("by", "verified", "signer", "comment")})
            show("provenance", rust["provenance"])
            check(
                any(e["by"] == carol and e["verified"] == "proof" for e in rust["endorsements"]),
                "carol's endorsement is proof-verified on C",
            )
            if peer is not None:
                results = peer.verify_proofs(f"{alice}/skills/rust")
                for r in results:
                    show("Fedify verifyProof", r)
                check(all(r["verified"] for r in results), "Fedify verifies the same proofs")

            step("4. Someone edits carol's comment in A's database")
            [(document,)] = a.query("SELECT document FROM endorsements WHERE endorser=:e", e=carol)
            forged = json.loads(document)
            forged["content"] = "<p>Terrible work on the parser</p>"
            a.execute(
                "UPDATE endorsements SET document=:d WHERE endorser=:e",
                d=json.dumps(forged),
                e=carol,
            )
            for inst, user in ((c, "carol"), (b, "bob")):
                shown = [
                    e
                    for e in rust_of(inst, user, f"alice@{a.host}")["endorsements"]
                    if e.get("claimed_by") == carol
                ]
                show(f"{user}'s server shows", {k: shown[0].get(k) for k in ("by", "verified")})
                check(
                    shown[0]["verified"] == "failed" and shown[0]["by"] is None,
                    f"{user}'s server shows it as failed, not as carol's",
                )
            print("\nDone: every step turned out as described.")
            return 0
        finally:
            if peer is not None:
                peer.stop()
            for inst in (a, b, c):
                inst.stop()


if __name__ == "__main__":
    raise SystemExit(main())

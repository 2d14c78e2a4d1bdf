"""Skills, suggestions and endorsements between people of one instance, through the real
app and JSON API (each test on SQLite and PostgreSQL)."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from sqlalchemy import text

from fediverse_skills.federation import jsonld, proofs, vocabulary
from fediverse_skills.federation.multibase import decode_ed25519_multikey
from fediverse_skills.services import accounts, tokens
from fediverse_skills.store.db import Database
from tests.test_api import outgoing, remote_follower

BASE = "http://testserver"
ALICE = f"{BASE}/users/alice"
BOB = f"{BASE}/users/bob"
CAROL = f"{BASE}/users/carol"
AS2 = {"Accept": "application/activity+json"}


@pytest.fixture
async def people(db: Database) -> dict[str, dict[str, str]]:
    """alice, bob and carol, each with a bearer header."""
    found = {}
    for name in ("alice", "bob", "carol"):
        await accounts.create_user(db, name)
        issued = await tokens.create_token(db, name)
        found[name] = {"Authorization": f"Bearer {issued.token}"}
    return found


async def _rows(db: Database, sql: str, **params: Any) -> list[tuple[Any, ...]]:
    async with db.connection() as conn:
        return [tuple(r) for r in await conn.execute(text(sql), params)]


async def _suggest(
    client: httpx.AsyncClient, who: dict[str, str], to: str, skill: str, comment: str = ""
) -> httpx.Response:
    return await client.post(
        "/api/v1/suggestions", json={"to": to, "skill": skill, "comment": comment}, headers=who
    )


async def test_declared_skill_shows_on_the_actor_and_in_the_collection(
    client: httpx.AsyncClient, db: Database, people: dict[str, dict[str, str]]
) -> None:
    await remote_follower(db, "https://remote.example/users/r", "https://remote.example/inbox")
    made = await client.post("/api/v1/skills", json={"skill": " C++ "}, headers=people["alice"])
    assert made.status_code == 201, made.text
    assert made.json()["name"] == "C++" and made.json()["hashtag"] == "CPlusPlus"
    again = await client.post("/api/v1/skills", json={"skill": "c++"}, headers=people["alice"])
    assert again.status_code == 409
    bad = await client.post("/api/v1/skills", json={"skill": "a\u202eb"}, headers=people["alice"])
    assert bad.status_code == 400

    actor = (await client.get("/users/alice", headers=AS2)).json()
    assert actor["skills"] == f"{ALICE}/skills"
    assert actor["featuredTags"] == f"{ALICE}/featured_tags"
    assert actor["attachment"] == [{"type": "PropertyValue", "name": "Skills", "value": "C++"}]
    assert {"name": "fediverse-skills vocabulary", "href": vocabulary.NAMESPACE} in actor[
        "implements"
    ]
    tags = (await client.get("/users/alice/featured_tags", headers=AS2)).json()
    assert tags["items"] == [
        {"type": "Hashtag", "href": f"{BASE}/tags/CPlusPlus", "name": "#CPlusPlus"}
    ]
    page = (await client.get("/users/alice/skills?page=1", headers=AS2)).json()
    [item] = page["orderedItems"]
    assert item["id"] == vocabulary.skill_uri(f"{ALICE}/skills", "c++")
    assert item["endorsements"] == [] and "suggestedBy" not in item
    one = await client.get(f"/users/alice/skills/{'c%2B%2B'}", headers=AS2)
    assert one.status_code == 200 and one.json()["name"] == "C++"

    # Followers' servers get the skill's Note, an Add of the Skill and an Update of the actor.
    sent = {kind for kind, inboxes in await outgoing(db)}
    assert {"Create", "Add", "Update"} <= sent
    note = await _rows(db, "SELECT document FROM notes WHERE kind='skill'")
    assert '"name":"#CPlusPlus"' in note[0][0]

    # Removing it tells them again, and it is gone.
    removed = await client.delete("/api/v1/skills/c++", headers=people["alice"])
    assert removed.status_code == 204
    assert (await client.delete("/api/v1/skills/c++", headers=people["alice"])).status_code == 404
    assert {"Delete", "Remove"} <= {kind for kind, _ in await outgoing(db)}
    assert (await client.get("/users/alice/skills", headers=AS2)).json()["totalItems"] == 0


async def test_suggestion_is_private_until_the_subject_accepts(
    client: httpx.AsyncClient, db: Database, people: dict[str, dict[str, str]]
) -> None:
    made = await _suggest(client, people["bob"], "alice@testserver", "Rust", "Parser work")
    assert made.status_code == 201, made.text
    suggestion = made.json()
    assert suggestion["status"] == "pending" and suggestion["from"] == BOB
    # The same suggestion again is the same suggestion.
    same = await _suggest(client, people["bob"], "@alice@testserver", "rust")
    assert same.status_code == 200 and same.json()["id"] == suggestion["id"]

    pending = await client.get("/api/v1/suggestions?status=pending", headers=people["alice"])
    assert [s["id"] for s in pending.json()["suggestions"]] == [suggestion["id"]]
    assert (await client.get("/api/v1/suggestions", headers=people["carol"])).json() == {
        "suggestions": []
    }
    page = (await client.get("/users/alice/skills", headers=AS2)).json()
    assert page["totalItems"] == 0

    # Only the subject decides.
    url = f"/api/v1/suggestions/{suggestion['id']}"
    assert (await client.post(f"{url}/accept", headers=people["bob"])).status_code == 404
    assert (await client.post(f"{url}/accept", headers=people["carol"])).status_code == 404
    accepted = await client.post(f"{url}/accept", headers=people["alice"])
    assert accepted.status_code == 200 and accepted.json()["status"] == "accepted"
    assert (await client.post(f"{url}/accept", headers=people["alice"])).status_code == 200
    assert (await client.post(f"{url}/reject", headers=people["alice"])).status_code == 409
    assert (await client.post(f"{url}/withdraw", headers=people["bob"])).status_code == 409

    profile = (
        await client.get("/api/v1/profiles/alice@testserver", headers=people["carol"])
    ).json()
    [rust] = profile["skills"]
    assert rust["status"] == "accepted"
    assert rust["provenance"]["suggested_by"] == BOB
    assert rust["provenance"]["verified"] == "proof"
    # The skill page embeds bob's signed Offer, which verifies with bob's published key.
    item = (await client.get("/users/alice/skills?page=1", headers=AS2)).json()["orderedItems"][0]
    bob_actor = (await client.get("/users/bob", headers=AS2)).json()
    raw = decode_ed25519_multikey(bob_actor["assertionMethod"][0]["publicKeyMultibase"])
    key = Ed25519PublicKey.from_public_bytes(raw)
    checked = proofs.verify(item["suggestion"], lookup_key=lambda m: key)
    assert checked.verification_methods == (f"{BOB}#ed25519-key",)

    kinds = {
        (n["kind"], n["actor"])
        for n in (await client.get("/api/v1/notifications", headers=people["alice"])).json()[
            "notifications"
        ]
    }
    assert ("suggestion", BOB) in kinds
    bob_kinds = (await client.get("/api/v1/notifications", headers=people["bob"])).json()
    assert [n["kind"] for n in bob_kinds["notifications"]] == ["suggestion_accepted"]


async def test_rejected_and_withdrawn_suggestions_stay_private(
    client: httpx.AsyncClient, people: dict[str, dict[str, str]]
) -> None:
    first = (await _suggest(client, people["bob"], "alice@testserver", "Go")).json()
    second = (await _suggest(client, people["carol"], "alice@testserver", "Zig")).json()
    rejected = await client.post(
        f"/api/v1/suggestions/{first['id']}/reject", headers=people["alice"]
    )
    assert rejected.json()["status"] == "rejected"
    withdrawn = await client.post(
        f"/api/v1/suggestions/{second['id']}/withdraw", headers=people["carol"]
    )
    assert withdrawn.json()["status"] == "withdrawn"
    assert (
        await client.post(f"/api/v1/suggestions/{second['id']}/accept", headers=people["alice"])
    ).status_code == 409
    assert (await client.get("/users/alice/skills", headers=AS2)).json()["totalItems"] == 0
    profile = await client.get("/api/v1/profiles/alice@testserver", headers=people["bob"])
    assert profile.json()["skills"] == []
    sent = await client.get("/api/v1/suggestions?box=sent", headers=people["bob"])
    assert [s["status"] for s in sent.json()["suggestions"]] == ["rejected"]


async def test_policies_and_blocks_decide_who_may_suggest_and_endorse(
    client: httpx.AsyncClient, people: dict[str, dict[str, str]]
) -> None:
    changed = await client.patch(
        "/api/v1/profile",
        json={"suggest_policy": "followers", "endorse_policy": "nobody"},
        headers=people["alice"],
    )
    assert changed.status_code == 200 and changed.json()["suggest_policy"] == "followers"
    wrong = await client.patch(
        "/api/v1/profile", json={"suggest_policy": "everyone"}, headers=people["alice"]
    )
    assert wrong.status_code == 400
    assert (await _suggest(client, people["bob"], "alice@testserver", "Go")).status_code == 403
    await client.post("/api/v1/skills", json={"skill": "Go"}, headers=people["alice"])
    endorse = await client.post(
        "/api/v1/endorsements",
        json={"to": "alice@testserver", "skill": "Go"},
        headers=people["bob"],
    )
    assert endorse.status_code == 403

    # Following alice lets bob suggest; auto-accept adds the skill at once.
    followed = await client.post(
        "/api/v1/follows", json={"target": "alice@testserver"}, headers=people["bob"]
    )
    assert followed.status_code == 201
    await client.patch(
        "/api/v1/profile", json={"auto_accept_suggestions": True}, headers=people["alice"]
    )
    auto = await _suggest(client, people["bob"], "alice@testserver", "Rust")
    assert auto.status_code == 201 and auto.json()["status"] == "accepted"

    # Once alice blocks bob, nothing of his reaches her.
    blocked = await client.post(
        "/api/v1/blocks", json={"account": "bob@testserver"}, headers=people["alice"]
    )
    assert blocked.status_code == 201 and blocked.json()["actor"] == BOB
    assert (await _suggest(client, people["bob"], "alice@testserver", "Zig")).status_code == 403
    unblocked = await client.delete(
        "/api/v1/blocks?account=bob@testserver", headers=people["alice"]
    )
    assert unblocked.status_code == 204


async def test_endorsements_are_signed_once_per_person_and_withdrawable(
    client: httpx.AsyncClient, db: Database, people: dict[str, dict[str, str]]
) -> None:
    await client.post("/api/v1/skills", json={"skill": "Rust"}, headers=people["alice"])
    body = {"to": "alice@testserver", "skill": "RUST", "comment": "Shipped the parser"}
    made = await client.post("/api/v1/endorsements", json=body, headers=people["carol"])
    assert made.status_code == 201, made.text
    endorsement = made.json()
    assert endorsement["verified"] == "proof" and endorsement["skill"] == "rust"
    again = await client.post("/api/v1/endorsements", json=body, headers=people["carol"])
    assert again.status_code == 409
    own = await client.post(
        "/api/v1/endorsements", json={**body, "to": "alice@testserver"}, headers=people["alice"]
    )
    assert own.status_code == 422
    missing = await client.post(
        "/api/v1/endorsements", json={**body, "skill": "Go"}, headers=people["bob"]
    )
    assert missing.status_code == 404

    # The endorsement is served at its id exactly as signed, and verifies.
    signed = (await client.get(endorsement["uri"], headers=AS2)).json()
    assert signed["about"] == ALICE and signed["skillKey"] == "rust"
    assert signed["target"] == vocabulary.skill_uri(f"{ALICE}/skills", "rust")
    carol_actor = (await client.get("/users/carol", headers=AS2)).json()
    raw = decode_ed25519_multikey(carol_actor["assertionMethod"][0]["publicKeyMultibase"])
    key = Ed25519PublicKey.from_public_bytes(raw)
    assert proofs.verify(signed, lookup_key=lambda m: key).proofs[0].cryptosuite == "eddsa-jcs-2022"
    moved = {**signed, "target": vocabulary.skill_uri(f"{ALICE}/skills", "go")}
    with pytest.raises(proofs.ProofError):
        proofs.verify(moved, lookup_key=lambda m: key)

    profile = (await client.get("/api/v1/profiles/alice@testserver", headers=people["bob"])).json()
    [rust] = profile["skills"]
    assert [(e["by"], e["verified"], e["comment"]) for e in rust["endorsements"]] == [
        (CAROL, "proof", "Shipped the parser")
    ]
    assert rust["counts"] == {"proof": 1, "server": 0, "failed": 0, "total": 1}
    # carol's followers' servers get the Create(Endorsement) and a Note Mastodon shows.
    notes = await _rows(db, "SELECT kind, document FROM notes WHERE kind='endorsement'")
    assert len(notes) == 1 and "I endorse" in json.loads(notes[0][1])["content"]

    # Only carol withdraws it.
    url = f"/api/v1/endorsements/{endorsement['id']}"
    assert (await client.delete(url, headers=people["bob"])).status_code == 404
    assert (await client.delete(url, headers=people["carol"])).status_code == 204
    profile = (await client.get("/api/v1/profiles/alice@testserver", headers=people["bob"])).json()
    assert profile["skills"][0]["endorsements"] == []


async def test_ask_post_is_a_public_note(
    client: httpx.AsyncClient, db: Database, people: dict[str, dict[str, str]]
) -> None:
    made = await client.post(
        "/api/v1/asks", json={"text": "What would you say I'm good at?"}, headers=people["alice"]
    )
    assert made.status_code == 201, made.text
    assert await _rows(db, "SELECT kind FROM notes") == [("ask",)]
    note = (await client.get(made.json()["uri"], headers=AS2)).json()
    assert "good at" in note["content"]
    empty = await client.post("/api/v1/asks", json={"text": " "}, headers=people["alice"])
    assert empty.status_code == 400


async def test_our_context_is_served_and_advertised(client: httpx.AsyncClient) -> None:
    served = await client.get("/ns/skills/v1")
    assert served.status_code == 200
    assert served.headers["content-type"].startswith("application/ld+json")
    assert served.content == jsonld.context_bytes(jsonld.SKILLS_CONTEXT_FILE)
    nodeinfo = (await client.get("/nodeinfo/2.1")).json()
    assert {"name": "fediverse-skills vocabulary", "href": vocabulary.NAMESPACE} in nodeinfo[
        "metadata"
    ]["implements"]


async def test_cached_profiles_follow_every_write_even_by_hand(
    client: httpx.AsyncClient, db: Database, people: dict[str, dict[str, str]]
) -> None:
    """Profiles are served from memory while users.profile_version is unchanged; triggers
    bump it on any write to skills or endorsements, so even an edit made directly in the
    database is served at once."""
    await client.post("/api/v1/skills", json={"skill": "Rust"}, headers=people["alice"])
    body = {"to": "alice@testserver", "skill": "Rust", "comment": "Original words"}
    made = await client.post("/api/v1/endorsements", json=body, headers=people["carol"])
    assert made.status_code == 201
    page = "/users/alice/skills?page=1"
    api = "/api/v1/profiles/alice@testserver"
    assert "Original words" in (await client.get(page, headers=AS2)).text
    assert "Original words" in (await client.get(api, headers=people["bob"])).text
    [(before,)] = await _rows(db, "SELECT profile_version FROM users WHERE username='alice'")

    async with db.transaction() as conn:
        await conn.execute(
            text(
                "UPDATE endorsements SET comment='Edited words', "
                "document=replace(document, 'Original words', 'Edited words')"
            )
        )
    [(after,)] = await _rows(db, "SELECT profile_version FROM users WHERE username='alice'")
    assert after > before
    assert "Edited words" in (await client.get(page, headers=AS2)).text
    assert "Edited words" in (await client.get(api, headers=people["bob"])).text

    # Removing the skill changes both again.
    await client.delete("/api/v1/skills/rust", headers=people["alice"])
    assert (await client.get(page, headers=AS2)).json()["orderedItems"] == []
    assert (await client.get(api, headers=people["bob"])).json()["skills"] == []

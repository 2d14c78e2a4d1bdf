"""Trust scores in the profile API: per viewer, ordered, explained, kept up to date."""

from __future__ import annotations

import httpx
import pytest

from fediverse_skills.services import accounts, tokens
from fediverse_skills.store.db import Database

AS_SEEN = "/api/v1/profiles/alice@testserver"


@pytest.fixture
async def people(db: Database) -> dict[str, dict[str, str]]:
    found = {}
    for name in ("alice", "bob", "carol", "dan"):
        await accounts.create_user(db, name)
        issued = await tokens.create_token(db, name)
        found[name] = {"Authorization": f"Bearer {issued.token}"}
    return found


async def _post(
    client: httpx.AsyncClient, who: dict[str, str], path: str, body: dict[str, str]
) -> None:
    answer = await client.post(path, json=body, headers=who)
    assert answer.status_code in (200, 201), answer.text


async def test_scores_follow_the_viewers_network(
    client: httpx.AsyncClient, people: dict[str, dict[str, str]]
) -> None:
    for skill in ("Rust", "Go"):
        await _post(client, people["alice"], "/api/v1/skills", {"skill": skill})
    # dan follows bob; bob endorses alice's Rust; carol (whom dan does not know) her Go.
    await _post(client, people["dan"], "/api/v1/follows", {"target": "bob@testserver"})
    await _post(
        client,
        people["bob"],
        "/api/v1/endorsements",
        {"to": "alice@testserver", "skill": "Rust", "comment": "reviewed every PR"},
    )
    await _post(
        client, people["carol"], "/api/v1/endorsements", {"to": "alice@testserver", "skill": "Go"}
    )

    seen = (await client.get(AS_SEEN, headers=people["dan"])).json()
    assert seen["viewpoint"] == "you"
    rust, go = seen["skills"]  # strongest first, for dan
    assert (rust["key"], go["key"]) == ("rust", "go")
    assert rust["trust"]["score"] > 0 and rust["trust"]["level"] >= 1
    # carol is not connected to dan at all: her endorsement carries no weight for him.
    assert go["trust"]["score"] == 0 and go["trust"]["level"] == 0
    assert "none of them is connected to you" in go["trust"]["why"]
    # dan's walk reaches bob in one step (his follow): that is the strongest path.
    assert rust["trust"]["why"] == (
        "endorsed by 1 person; strongest path: you → bob@testserver "
        "(bob@testserver endorsed Rust: 'reviewed every PR')"
    )

    # The instance's view (all members) sees both.
    instance = (await client.get(f"{AS_SEEN}?view=instance", headers=people["dan"])).json()
    assert instance["viewpoint"] == "instance"
    assert all(s["trust"]["score"] > 0 for s in instance["skills"])
    assert (await client.get(f"{AS_SEEN}?view=everyone", headers=people["dan"])).status_code == 400


async def test_a_new_endorsement_counts_at_once_and_a_withdrawal_removes_it(
    client: httpx.AsyncClient, people: dict[str, dict[str, str]]
) -> None:
    await _post(client, people["alice"], "/api/v1/skills", {"skill": "Rust"})
    await _post(client, people["dan"], "/api/v1/follows", {"target": "carol@testserver"})
    before = (await client.get(AS_SEEN, headers=people["dan"])).json()["skills"][0]["trust"]
    assert before["score"] == 0 and before["why"] == "no endorsements"
    made = await client.post(
        "/api/v1/endorsements",
        json={"to": "alice@testserver", "skill": "Rust"},
        headers=people["carol"],
    )
    after = (await client.get(AS_SEEN, headers=people["dan"])).json()["skills"][0]["trust"]
    assert after["score"] > 0 and after["endorsers"] == 1
    gone = await client.delete(f"/api/v1/endorsements/{made.json()['id']}", headers=people["carol"])
    assert gone.status_code == 204
    again = (await client.get(AS_SEEN, headers=people["dan"])).json()["skills"][0]["trust"]
    assert again["score"] == 0


async def test_a_reader_who_vouches_for_nobody_sees_the_instance_view(
    client: httpx.AsyncClient, people: dict[str, dict[str, str]]
) -> None:
    """dan follows and endorses nobody: his own view would score everything 0, so he gets
    the instance's view, and the answer says so."""
    await _post(client, people["alice"], "/api/v1/skills", {"skill": "Rust"})
    await _post(client, people["carol"], "/api/v1/follows", {"target": "bob@testserver"})
    await _post(
        client, people["bob"], "/api/v1/endorsements", {"to": "alice@testserver", "skill": "Rust"}
    )
    seen = (await client.get(AS_SEEN, headers=people["dan"])).json()
    assert seen["viewpoint"] == "instance"
    assert seen["skills"][0]["trust"]["score"] > 0
    assert seen["skills"][0]["trust"]["why"] == (
        "endorsed by 1 person; strongest: bob@testserver, a member of this instance "
        "(bob@testserver endorsed Rust)"
    )

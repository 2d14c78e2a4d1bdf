"""The inputs the fuzzers found that made the app fail, as plain tests."""

from __future__ import annotations

import json
from typing import Any

import pytest

from fediverse_skills.web.openapi import OPENAPI
from tests.fuzz.harness import World


@pytest.mark.parametrize("state", [{"x": 1}, ["open"], 1, True])
async def test_editing_a_posting_with_a_state_that_is_not_a_string_is_400(
    world: World, state: Any
) -> None:
    """PATCH /api/v1/opportunities/{id} with ``{"state": {...}}`` raised TypeError
    (unhashable type) in services/opportunities.edit: a 500."""
    path = f"/api/v1/opportunities/{world.names['%POSTING_ID%']}"
    answer = await world.api("PATCH", path, {"state": state})
    assert answer.status_code == 400, answer.text
    assert "state" in answer.json()["error"]
    world.check_no_crash()


@pytest.mark.parametrize("url", ["http://[::1", "https://[not-ipv6]/x", "http://[::1]x/"])
async def test_interest_in_a_posting_at_a_malformed_url_is_4xx(world: World, url: str) -> None:
    """``urlsplit`` raises ValueError on a malformed IPv6 host; services/blocks.url_blocked
    let it escape: POST .../remote/interest answered 500."""
    answer = await world.api("POST", "/api/v1/opportunities/remote/interest", {"opportunity": url})
    assert 400 <= answer.status_code < 500, answer.text
    world.check_no_crash()


async def test_an_activity_naming_a_malformed_url_is_not_a_500_when_domains_are_blocked(
    world: World,
) -> None:
    """With any domain blocked, the inbox checks every IRI an activity names against the
    blocks; one with a malformed IPv6 host raised ValueError there: a 500."""
    create = world.actor.create(
        {
            "id": f"{world.actor.uri}/notes/v6",
            "type": "Note",
            "attributedTo": world.actor.uri,
            "content": "hi",
            "to": ["http://[::1"],
        }
    )
    answer = await world.deliver(create)
    assert answer.status_code == 202, answer.text
    await world.drain()


async def test_an_invalid_profile_view_is_a_documented_400(world: World) -> None:
    """GET /api/v1/profiles/{handle}?view=... with an unknown view is 400, which the
    OpenAPI document did not list (schemathesis: undocumented status code)."""
    answer = await world.api("GET", "/api/v1/profiles/alice?view=everyone")
    assert answer.status_code == 400, answer.text
    assert "400" in OPENAPI["paths"]["/api/v1/profiles/{handle}"]["get"]["responses"]


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("/api/v1/asks", {"text": "\udfff"}),
        ("/api/v1/notes", {"content": "a\ud800b"}),
        ("/api/v1/skills", {"skill": "Rust", "taxonomy": "\ud800"}),
        (
            "/api/v1/opportunities",
            {"title": "\udc00", "description": "d", "required_skills": ["Go"]},
        ),
    ],
)
async def test_a_lone_surrogate_in_an_api_body_is_400(
    world: World, path: str, body: dict[str, Any]
) -> None:
    """``"\\udfff"`` is valid JSON but not Unicode that can be stored: SQLite and
    PostgreSQL raised UnicodeEncodeError when it reached the database, a 500."""
    content = json.dumps(body).encode()  # ensure_ascii: "\\udfff", valid JSON
    headers = {**world.auth, "Content-Type": "application/json"}
    answer = await world.http.post(path, content=content, headers=headers)
    assert answer.status_code == 400, answer.text
    assert "surrogate" in answer.json()["error"]
    world.check_no_crash()


async def test_a_lone_surrogate_in_an_activity_is_refused_before_it_is_queued(
    world: World,
) -> None:
    """The same in an inbox POST: it was queued, and the worker failed on it (8 times)."""
    create = world.actor.create(world.actor.note("\ud800 hello"))
    answer = await world.deliver(create)
    assert answer.status_code == 400, answer.text
    assert "surrogate" in answer.json()["error"]
    assert await world.drain() == 0


@pytest.mark.parametrize(
    "fields",
    [{"kind": {"x": 1}}, {"kind": ["job"]}, {"contact_url": "http://[::1"}],
)
async def test_a_posting_with_an_odd_kind_or_contact_url_is_400(
    world: World, fields: dict[str, Any]
) -> None:
    """domain/opportunities.check: an unhashable ``kind`` raised TypeError, and a
    ``contact_url`` with a malformed IPv6 host ValueError (from urlsplit): a 500."""
    body = {"title": "T", "description": "D", "required_skills": ["Go"], **fields}
    answer = await world.api("POST", "/api/v1/opportunities", body)
    assert answer.status_code == 400, answer.text
    world.check_no_crash()


async def test_a_received_posting_with_an_odd_kind_is_processed(world: World) -> None:
    """federation/opportunities.read: an unhashable ``opportunityKind`` raised TypeError in
    the inbox worker."""
    note = world.actor.note(
        "<p>Go dev</p>",
        id=f"{world.actor.uri}/opportunities/1",
        opportunity={
            "type": "Opportunity",
            "name": "Go dev",
            "opportunityKind": {"x": 1},
            "requiredSkills": [{"type": "Skill", "name": "Go", "skillKey": "go"}],
        },
    )
    note["@context"] = [
        "https://www.w3.org/ns/activitystreams",
        f"{world.actor.origin}/ns/skills/v1",
    ]
    answer = await world.deliver(world.actor.create(note))
    assert answer.status_code == 202, answer.text
    assert await world.drain() == 1


async def test_a_surrogate_encoded_as_bytes_in_an_api_body_is_400(world: World) -> None:
    """The same lone surrogate as (invalid) UTF-8 bytes: ``json.loads`` decodes bytes with
    surrogatepass, so it reached the database from POST /api/v1/follow_requests/authorize."""
    content = '{"actor": "\ud800"}'.encode("utf-8", "surrogatepass")
    headers = {**world.auth, "Content-Type": "application/json"}
    answer = await world.http.post(
        "/api/v1/follow_requests/authorize", content=content, headers=headers
    )
    assert answer.status_code == 400, answer.text
    world.check_no_crash()


@pytest.mark.parametrize("content", ["a\x00b", "\x00"])
async def test_a_nul_in_an_activity_is_refused_before_it_is_queued(
    world: World, content: str
) -> None:
    """A Flag whose content held ``\\u0000`` was queued, and on PostgreSQL (which stores no
    NUL in text) the worker failed on it every time it ran."""
    flag = world.actor.activity("Flag", [f"{world.actor.origin}/users/x"], content=content)
    answer = await world.deliver(flag)
    assert answer.status_code == 400, answer.text
    assert "NUL" in answer.json()["error"]
    assert await world.drain() == 0


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("/api/v1/referrals", {"opportunity": "a\x00b", "candidate": "carol"}),
        ("/api/v1/referrals", {"opportunity": "https://xn--.example/p", "candidate": "carol"}),
        ("/api/v1/follows", {"target": "bob@[not-an-ip]"}),
        ("/api/v1/suggestions", {"to": "bob@[::1", "skill": "Go"}),
    ],
)
async def test_odd_lookups_and_hosts_in_the_api_are_4xx(
    world: World, path: str, body: dict[str, Any]
) -> None:
    """On PostgreSQL a NUL in a string used to look a posting up raised (500); a posting
    URI whose host is a malformed IDNA label raised IDNAError in federation/client._vet;
    a handle whose host is ``[not-an-ip]`` raised ValueError in services/actors._schemes."""
    content = json.dumps(body).encode()
    headers = {**world.auth, "Content-Type": "application/json"}
    answer = await world.http.post(path, content=content, headers=headers)
    assert 400 <= answer.status_code < 500, answer.text
    world.check_no_crash()

"""The public profile page: skills strongest first, with levels, reasons, provenance and
endorsements marked by how they were verified (real app over HTTP; browser journeys
come with the rest of the web UI)."""

from __future__ import annotations

import re
from html.parser import HTMLParser

import httpx
import pytest

from fediverse_skills.services import accounts, tokens
from fediverse_skills.store.db import Database

HTML = {"Accept": "text/html"}


class _Text(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.parts: list[str] = []
        self.tags: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)

    def handle_data(self, data: str) -> None:
        self.parts.append(data)


def _text(html: str) -> tuple[str, list[str]]:
    parser = _Text()
    parser.feed(html)
    return " ".join(" ".join(parser.parts).split()), parser.tags


@pytest.fixture
async def people(db: Database) -> dict[str, dict[str, str]]:
    found = {}
    for name in ("alice", "bob", "carol", "dan"):
        await accounts.create_user(db, name)
        issued = await tokens.create_token(db, name)
        found[name] = {"Authorization": f"Bearer {issued.token}"}
    return found


async def test_profile_page_shows_skills_by_strength_with_their_story(
    client: httpx.AsyncClient, people: dict[str, dict[str, str]]
) -> None:
    async def post(who: str, path: str, body: dict[str, str]) -> httpx.Response:
        answer = await client.post(path, json=body, headers=people[who])
        assert answer.status_code in (200, 201), answer.text
        return answer

    await post("alice", "/api/v1/skills", {"skill": "Go"})
    made = await post("bob", "/api/v1/suggestions", {"to": "alice@testserver", "skill": "Rust"})
    await post("alice", f"/api/v1/suggestions/{made.json()['id']}/accept", {})
    await post("dan", "/api/v1/follows", {"target": "carol@testserver"})
    await post("carol", "/api/v1/follows", {"target": "bob@testserver"})
    for who, comment in (("carol", "Reviewed <every> PR"), ("bob", "Rewrote the parser")):
        await post(who, "/api/v1/endorsements", {"to": "alice@testserver", "skill": "Rust",
                                                   "comment": comment})  # fmt: skip
    page = await client.get("/@alice", headers=HTML)
    assert page.status_code == 200
    text, tags = _text(page.text)
    # Rust (two endorsements, suggested by bob) comes before Go (none).
    assert text.index("Rust") < text.index("Go ")
    assert "Suggested by @bob@testserver" in text
    assert "signed by the endorser" in text
    assert "Reviewed <every> PR" in text  # shown as text...
    assert "<every>" not in page.text  # ...because it was escaped
    assert "every" not in tags
    assert re.search(r'<meter min="0" max="5" value="[1-5]"', page.text)
    assert "endorsed by 2 people" in text
    # The actor URL serves the same page to browsers.
    same = await client.get("/users/alice", headers=HTML)
    assert same.status_code == 200 and "Suggested by @bob@testserver" in _text(same.text)[0]


async def test_profile_page_without_skills_says_what_happens_next(
    client: httpx.AsyncClient, people: dict[str, dict[str, str]]
) -> None:
    page = await client.get("/@dan", headers=HTML)
    assert page.status_code == 200
    assert "No skills yet" in page.text
    assert (await client.get("/@nobody", headers=HTML)).status_code == 404

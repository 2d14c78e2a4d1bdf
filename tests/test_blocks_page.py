"""Blocking people from the settings page (and from a suggestion), through the real app:
a blocked person's suggestions no longer reach you, and lifting the block restores that."""

from __future__ import annotations

import httpx

from fediverse_skills.store.db import Database
from tests.test_web_pages import Browser, community, new_browser, submit, text_of  # noqa: F401


async def _suggest(client: httpx.AsyncClient, skill: str) -> httpx.Response:
    return await submit(client, "/@alice", "/@alice/suggest", {"skill": skill})


async def test_blocking_and_unblocking_from_settings(
    new_browser: Browser,  # noqa: F811
    db: Database,
) -> None:
    alice, bob = await community(new_browser, db, "alice", "bob")
    settings = await alice.get("/settings")
    assert "You have blocked no one." in text_of(settings)

    blocked = await submit(alice, "/settings", "/settings/blocks", {"account": "bob@testserver"})
    assert blocked.status_code == 303
    assert blocked.headers["location"] == "/settings?done=blocked#blocks"
    page = await alice.get("/settings?done=blocked")
    assert "Blocked." in text_of(page)
    assert 'aria-label="Unblock http://testserver/users/bob"' in page.text

    refused = await _suggest(bob, "Rust")
    assert refused.status_code == 400
    assert "Alice does not take suggestions from you." in text_of(refused)  # not "blocked"
    assert "Rust" not in text_of(await alice.get("/suggestions"))

    lifted = await submit(
        alice,
        "/settings",
        "/settings/blocks",
        {"account": "http://testserver/users/bob", "unblock": "1"},
    )
    assert lifted.headers["location"] == "/settings?done=unblocked#blocks"
    assert "You have blocked no one." in text_of(await alice.get("/settings"))
    assert (await _suggest(bob, "Go")).status_code == 303


async def test_blocking_nonsense_shows_an_error_by_the_field(
    new_browser: Browser,  # noqa: F811
    db: Database,
) -> None:
    (alice,) = await community(new_browser, db, "alice")
    answer = await submit(alice, "/settings", "/settings/blocks", {"account": "not a handle"})
    assert answer.status_code == 422
    assert 'id="f-account"' in answer.text and 'aria-invalid="true"' in answer.text
    assert 'value="not a handle"' in answer.text
    empty = await submit(alice, "/settings", "/settings/blocks", {"account": " "})
    assert empty.status_code == 400


async def test_block_from_a_suggestion(
    new_browser: Browser,  # noqa: F811
    db: Database,
) -> None:
    alice, bob = await community(new_browser, db, "alice", "bob")
    assert (await _suggest(bob, "Rust")).status_code == 303
    page = await alice.get("/suggestions")
    assert 'aria-label="Block http://testserver/users/bob"' in page.text
    assert 'href="/report?account=http%3A//testserver/users/bob"' in page.text
    answer = await submit(
        alice, "/suggestions", "/settings/blocks", {"account": "http://testserver/users/bob"}
    )
    assert answer.status_code == 303
    assert "http://testserver/users/bob" in text_of(await alice.get("/settings"))

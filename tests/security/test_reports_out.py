"""Reports going out: a member reports an account to our admins and, for an account on
another server, optionally to that server as a ``Flag`` sent in the instance's name.

The Flag really travels: the delivery worker signs it with the instance actor's key and
POSTs it to the remote account's inbox, a real HTTP server on 127.0.0.1.
"""

from __future__ import annotations

import json
import re
from collections.abc import AsyncIterator

import pytest

from fediverse_skills.config import Settings
from fediverse_skills.services import blocks
from fediverse_skills.services.accounts import create_user
from fediverse_skills.services.deliveries import deliver_due
from fediverse_skills.services.tokens import create_token
from fediverse_skills.store.db import Database
from tests.security.conftest import App, running_app
from tests.security.remote import RemoteActor, RemoteServer, Reply
from tests.test_web_pages import Browser, community, new_browser, submit, text_of  # noqa: F401


@pytest.fixture
async def app(settings: Settings, db: Database, remote: RemoteServer) -> AsyncIterator[App]:
    async with running_app(settings.replace(allow_private_addresses=True), db) as running:
        yield running


async def _token(db: Database, *scopes: str) -> dict[str, str]:
    await create_user(db, "alice")
    issued = await create_token(db, "alice", "test", scopes=scopes or ("read", "write"))
    return {"Authorization": f"Bearer {issued.token}"}


async def test_a_forwarded_report_reaches_their_server_as_an_anonymous_flag(
    app: App, bob: RemoteActor
) -> None:
    headers = await _token(app.db)
    bob.server.routes["/users/bob/inbox"] = Reply(202)
    post = bob.server.url("/notes/1")
    answer = await app.http.post(
        "/api/v1/reports",
        json={
            "account": bob.uri,
            "comment": "Fake endorsements",
            "objects": [post],
            "forward": True,
        },
        headers=headers,
    )
    assert answer.status_code == 201, answer.text
    assert answer.json()["forwarded"] is True
    report_id = answer.json()["id"]
    rows = await app.rows("SELECT uri, reporter, targets, content FROM reports")
    assert rows == [
        (
            report_id,
            "http://testserver/users/alice",
            json.dumps([bob.uri, post]),
            "Fake endorsements",
        )
    ]

    assert await deliver_due(app.fed, "test") == 1
    (seen,) = [s for s in bob.server.requests if s.method == "POST"]
    assert seen.path == "/users/bob/inbox"
    flag = json.loads(seen.body)
    assert flag["type"] == "Flag" and flag["id"] == report_id
    assert flag["actor"] == "http://testserver/actor"
    assert flag["object"] == [bob.uri, post]
    assert flag["content"] == "Fake endorsements"
    assert "alice" not in seen.body.decode()  # the reporter stays anonymous there
    assert 'keyId="http://testserver/actor#main-key"' in seen.headers["signature"]


async def test_reports_that_are_not_forwarded_stay_here(app: App, bob: RemoteActor) -> None:
    headers = await _token(app.db)
    await create_user(app.db, "carol")
    kept = await app.http.post(
        "/api/v1/reports", json={"account": bob.uri, "comment": "meh"}, headers=headers
    )
    assert kept.status_code == 201 and kept.json()["forwarded"] is False
    local = await app.http.post(
        "/api/v1/reports",
        json={"account": "carol@testserver", "comment": "spam", "forward": True},
        headers=headers,
    )
    assert local.status_code == 201 and local.json()["forwarded"] is False
    assert await app.count("reports") == 2
    assert await app.count("deliveries") == 0

    await blocks.block(app.db, "127.0.0.1")
    app.fed.blocks_ttl = 0
    blocked = await app.http.post(
        "/api/v1/reports", json={"account": bob.uri, "forward": True}, headers=headers
    )
    assert blocked.status_code == 201 and blocked.json()["forwarded"] is False
    assert await app.count("deliveries") == 0  # no Flag to a blocked server


@pytest.mark.parametrize(
    ("body", "status", "message"),
    [
        ({"account": "http://testserver/users/alice"}, 422, "you cannot report yourself"),
        ({"account": "x", "colour": "red"}, 400, "unknown field 'colour'"),
        ({"account": "x", "forward": "yes"}, 400, "forward must be true or false"),
        ({"account": "x", "objects": "http://a"}, 400, "objects must be a list of URLs"),
        ({"account": "not a handle"}, 422, "give an account as user@host"),
        ({"account": "bob@testserver", "comment": "x" * 5001}, 422, "under 5000 characters"),
        ({"account": "http://a.example/u", "objects": ["javascript:x"]}, 422, "http(s) URLs"),
    ],
)
async def test_bad_reports_are_refused_and_leave_nothing(
    app: App, body: dict[str, object], status: int, message: str
) -> None:
    headers = await _token(app.db)
    answer = await app.http.post("/api/v1/reports", json=body, headers=headers)
    assert answer.status_code == status, answer.text
    assert message in answer.json()["error"]
    assert await app.count("reports") == 0


async def test_a_read_token_cannot_report(app: App) -> None:
    headers = await _token(app.db, "read")
    answer = await app.http.post(
        "/api/v1/reports", json={"account": "x@y.example"}, headers=headers
    )
    assert answer.status_code == 403


async def test_the_report_page_reaches_the_admins(
    new_browser: Browser,  # noqa: F811
    db: Database,
) -> None:
    admin, member = await community(new_browser, db, "alice", "bob")
    form = await member.get("/report?account=alice@testserver")
    assert 'value="alice@testserver"' in form.text
    wrong = await submit(member, "/report", "/report", {"account": "nobody@testserver"})
    assert wrong.status_code == 422
    assert 'aria-invalid="true"' in wrong.text
    done = await submit(
        member, "/report", "/report", {"account": "alice@testserver", "comment": "Rude <b>"}
    )
    assert done.status_code == 200, done.text
    assert "The admins of this instance will look at your report" in text_of(done)
    page = await admin.get("/admin/reports")
    assert "Rude <b>" in text_of(page)
    assert re.search(r'href="/@alice"', page.text)
    # Signed out, the page sends people to sign in.
    anonymous = await new_browser()
    assert (await anonymous.get("/report")).status_code in (302, 303)

"""``/metrics`` (Prometheus text) and the admin page showing the same figures: inbox
outcomes, queue depths, delivery states, open breakers; who may read them."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from sqlalchemy import text

from fediverse_skills.services import tokens
from fediverse_skills.services.accounts import create_user
from tests.security.conftest import App, app, bob, remote, servers
from tests.security.remote import RemoteActor
from tests.test_web_pages import Browser, community, new_browser

__all__ = ["app", "bob", "new_browser", "remote", "servers"]  # fixtures used by name


def _value(body: str, series: str) -> int:
    for line in body.splitlines():
        if line.startswith(series + " "):
            return int(line.rsplit(" ", 1)[1])
    raise AssertionError(f"{series} is not in:\n{body}")


@pytest.fixture
async def alice(app: App) -> None:
    await create_user(app.db, "alice")


async def test_metrics_count_inbox_outcomes_queues_and_breakers(
    app: App, alice: None, bob: RemoteActor
) -> None:
    refused = await app.post("/users/alice/inbox", b"{}", {"Content-Type": "text/plain"})
    assert refused.status_code == 415
    follow = bob.activity("Follow", "http://testserver/users/alice")
    unsigned = await app.post(
        "/users/alice/inbox",
        json.dumps(follow).encode(),
        {"Content-Type": "application/activity+json"},
    )
    assert unsigned.status_code == 401
    assert (await app.deliver(bob, follow)).status_code == 202
    before = await app.http.get("/metrics")
    assert before.status_code == 200
    assert before.headers["content-type"].startswith("text/plain; version=0.0.4")
    body = before.text
    assert _value(body, 'fediverse_skills_inbox_requests_total{outcome="accepted"}') == 1
    assert _value(body, 'fediverse_skills_inbox_requests_total{outcome="wrong_media_type"}') == 1
    assert _value(body, 'fediverse_skills_inbox_requests_total{outcome="bad_signature"}') == 1
    assert _value(body, 'fediverse_skills_inbox_requests_total{outcome="blocked"}') == 0
    assert _value(body, 'fediverse_skills_inbox_queue{state="pending"}') == 1
    await app.process()
    async with app.db.transaction() as conn:
        await conn.execute(
            text(
                "INSERT INTO hosts (host, consecutive_failures, open_until) "
                "VALUES ('down.example', 7, :t)"
            ),
            {"t": datetime.now(UTC) + timedelta(minutes=5)},
        )
    after = (await app.http.get("/metrics")).text
    assert _value(after, 'fediverse_skills_inbox_queue{state="pending"}') == 0
    assert _value(after, 'fediverse_skills_inbox_queue{state="done"}') == 1
    assert _value(after, 'fediverse_skills_deliveries{state="pending"}') == 1  # the Accept
    assert _value(after, 'fediverse_skills_host_breaker_open{host="down.example"}') == 7
    assert "# TYPE fediverse_skills_inbox_requests_total counter" in after


async def test_metrics_need_loopback_or_an_admin_token(app: App) -> None:
    await create_user(app.db, "opsadmin", admin=True)
    await create_user(app.db, "pat")
    admin = (await tokens.create_token(app.db, "opsadmin")).token
    member = (await tokens.create_token(app.db, "pat")).token
    transport = httpx.ASGITransport(app=app.http._transport.app, client=("203.0.113.9", 4000))  # type: ignore[attr-defined]
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as outside:
        assert (await outside.get("/metrics")).status_code == 401
        other = await outside.get("/metrics", headers={"Authorization": f"Bearer {member}"})
        assert other.status_code == 403
        ok = await outside.get("/metrics", headers={"Authorization": f"Bearer {admin}"})
        assert ok.status_code == 200 and "fediverse_skills_deliveries" in ok.text


async def test_the_admin_health_page_shows_the_same_figures(
    new_browser: Browser, db: object
) -> None:
    root, member = await community(new_browser, db, "opsadmin", "pat")  # type: ignore[arg-type]
    page = await root.get("/admin/metrics")
    assert page.status_code == 200
    assert "Hosts we pause delivering to" in page.text and "Received activities" in page.text
    assert (await member.get("/admin/metrics")).status_code == 403
    anonymous = await new_browser()
    assert (await anonymous.get("/admin/metrics")).status_code == 303

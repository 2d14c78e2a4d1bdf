"""Abuse controls at the HTTP boundary: rate limits per remote domain on the inbox, per
token or address on the API, per address on refused requests, and which address counts
(``X-Forwarded-For`` only from configured proxies).

Everything goes through the real app (lifespan, middleware, inbox, database) on SQLite and
PostgreSQL; the peers are real HTTP servers on 127.0.0.0/8.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator

import pytest

from fediverse_skills.config import Settings
from fediverse_skills.services.tokens import create_token
from fediverse_skills.store.db import Database
from fediverse_skills.store.users import User
from tests.security.conftest import App, running_app
from tests.security.remote import RemoteActor, RemoteServer, rsa_key


def _limited(settings: Settings, **changes: object) -> Settings:
    return settings.replace(allow_private_addresses=True, **changes)


@pytest.fixture
async def strict_inbox(
    settings: Settings, db: Database, remote: RemoteServer, mallory_server: RemoteServer
) -> AsyncIterator[App]:
    async with running_app(_limited(settings, inbox_rate_limit=3), db) as app:
        yield app


async def test_inbox_limit_counts_per_remote_domain(
    strict_inbox: App, alice: User, bob: RemoteActor, mallory: RemoteActor
) -> None:
    """A domain past its budget gets 429 with Retry-After, nothing of it is stored, and the
    refusal is counted; another domain keeps its own budget."""
    app = strict_inbox
    for n in range(3):
        answer = await app.deliver(bob, bob.create(bob.note(f"note {n}")))
        assert answer.status_code == 202, answer.text
    before = await app.count("inbox_items")
    refused = await app.deliver(bob, bob.create(bob.note("one too many")))
    assert refused.status_code == 429
    assert "too many activities from 127.0.0.1" in refused.json()["error"]
    assert 1 <= int(refused.headers["retry-after"]) <= 60
    assert await app.count("inbox_items") == before
    assert app.fed.inbox_outcomes["rate_limited"] == 1

    other = await app.deliver(mallory, mallory.create(mallory.note("from elsewhere")))
    assert other.status_code == 202, other.text


async def test_forged_requests_do_not_spend_a_domains_budget(
    strict_inbox: App, alice: User, bob: RemoteActor
) -> None:
    """The domain is charged only once the signature holds: an attacker signing with a
    key of their own but naming bob cannot exhaust bob's server's budget."""
    app = strict_inbox
    impostor_key = rsa_key(7)
    for n in range(6):
        forged = await app.deliver(bob, bob.create(bob.note(f"forged {n}")), key=impostor_key)
        assert forged.status_code == 401, forged.text
    for n in range(3):
        genuine = await app.deliver(bob, bob.create(bob.note(f"genuine {n}")))
        assert genuine.status_code == 202, genuine.text


async def test_refused_requests_cut_off_their_address(
    settings: Settings, db: Database, alice: User, bob: RemoteActor
) -> None:
    """Past ``api_rate_limit`` refusals (401/403) in a period, an address is answered 429
    before its requests are even verified; another address is not affected."""
    limited = _limited(settings, api_rate_limit=4)
    async with running_app(limited, db, client=("198.51.100.9", 4000)) as app:
        for n in range(4):
            forged = await app.deliver(bob, bob.create(bob.note(f"f{n}")), key=rsa_key(7))
            assert forged.status_code == 401
        cut_off = await app.deliver(bob, bob.create(bob.note("now genuine")))
        assert cut_off.status_code == 429
        assert cut_off.json() == {"error": "too many refused requests from your address"}
        assert int(cut_off.headers["retry-after"]) >= 1
        assert (await app.http.get("/api/v1/me")).status_code == 429
    async with running_app(limited, db, client=("198.51.100.10", 4000)) as app:
        answer = await app.deliver(bob, bob.create(bob.note("from another address")))
        assert answer.status_code == 202, answer.text


async def test_api_limit_counts_per_token_and_per_anonymous_address(
    settings: Settings, db: Database, alice: User
) -> None:
    first = (await create_token(db, "alice", "first")).token
    second = (await create_token(db, "alice", "second")).token
    async with running_app(_limited(settings, api_rate_limit=3), db) as app:
        for _ in range(3):
            answer = await app.http.get("/api/v1/me", headers={"Authorization": f"Bearer {first}"})
            assert answer.status_code == 200, answer.text
        over = await app.http.get("/api/v1/me", headers={"Authorization": f"Bearer {first}"})
        assert over.status_code == 429
        assert over.json() == {"error": "too many API requests; retry later"}
        assert int(over.headers["retry-after"]) >= 1
        # Another token has its own budget; so does the address for anonymous requests.
        answer = await app.http.get("/api/v1/me", headers={"Authorization": f"Bearer {second}"})
        assert answer.status_code == 200
        for _ in range(3):
            assert (await app.http.get("/api/openapi.json")).status_code == 200
        assert (await app.http.get("/api/openapi.json")).status_code == 429
        # Pages outside the API are not counted here.
        assert (await app.http.get("/")).status_code == 200


async def test_forwarded_for_is_ignored_unless_the_peer_is_a_trusted_proxy(
    settings: Settings, db: Database
) -> None:
    """Without configured proxies, inventing X-Forwarded-For values buys no fresh budget."""
    async with running_app(_limited(settings, api_rate_limit=2), db) as app:
        codes = [
            (
                await app.http.get(
                    "/api/openapi.json", headers={"X-Forwarded-For": f"203.0.113.{n}"}
                )
            ).status_code
            for n in range(4)
        ]
    assert codes == [200, 200, 429, 429]


async def test_trusted_proxy_forwards_the_client_address(settings: Settings, db: Database) -> None:
    """Behind a configured proxy each client has its own budget, named by the right-most
    address the proxies did not add themselves; a spoofed left-most entry is not it."""
    proxied = _limited(settings, api_rate_limit=2, trusted_proxies=("10.0.0.0/8",))
    async with running_app(proxied, db, client=("10.1.2.3", 5000)) as app:

        async def get(forwarded: str) -> int:
            answer = await app.http.get("/api/openapi.json", headers={"X-Forwarded-For": forwarded})
            return answer.status_code

        assert [await get("203.0.113.1") for _ in range(3)] == [200, 200, 429]
        assert [await get("203.0.113.2") for _ in range(2)] == [200, 200]
        # The client claims to be 203.0.113.3 but the proxy saw 203.0.113.1 (and a second
        # trusted proxy hop is skipped over): still 203.0.113.1's exhausted budget.
        assert await get("203.0.113.3, 203.0.113.1, 10.9.9.9") == 429
        # A garbage hop stops the walk at the last address a proxy vouched for.
        assert await get("not-an-address, 203.0.113.2") == 429


async def test_metrics_through_a_proxy_is_not_a_local_scrape(
    settings: Settings, db: Database
) -> None:
    """A request relayed by a proxy on this machine is not trusted as a local scraper."""
    async with running_app(_limited(settings), db) as app:
        assert (await app.http.get("/metrics")).status_code == 200
        relayed = await app.http.get("/metrics", headers={"X-Forwarded-For": "203.0.113.5"})
        assert relayed.status_code == 401


async def test_sign_in_limit_counts_the_forwarded_client_behind_a_trusted_proxy(
    settings: Settings, db: Database
) -> None:
    """The per-address sign-in limit (30 failures in 15 minutes) follows the client the
    proxy names, so one attacker behind the proxy does not lock everyone else out."""
    proxied = _limited(settings, trusted_proxies=("10.0.0.0/8",))
    async with running_app(proxied, db, client=("10.1.2.3", 5000)) as app:
        page = await app.http.get("/login")
        token = re.search(r'name="csrf" value="([^"]+)"', page.text)
        assert token

        async def sign_in(forwarded: str, n: int) -> int:
            answer = await app.http.post(
                "/login",
                data={"csrf": token.group(1), "username": f"guess{n}", "password": "wrong"},
                headers={"X-Forwarded-For": forwarded},
            )
            return answer.status_code

        assert {await sign_in("203.0.113.1", n) for n in range(30)} == {400}
        assert await sign_in("203.0.113.1", 99) == 429
        assert await sign_in("203.0.113.2", 99) == 400

"""The "Token scope" row (GHSA-58x8-3qxw-6hm7, GHSA-vp5r-5pgw-jwqx): a read token on a
write endpoint is refused with 403, and a revoked token stops working at once.

The API has no streaming responses (no response outlives the request that authenticated
it), so "revoke during stream" becomes: revoke, then the very next request with that token
is 401, even on the same keep-alive connection of a real HTTP server.

Each test runs on SQLite and on PostgreSQL.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator

import pytest
import uvicorn
from starlette.routing import Route

from fediverse_skills.app import create_app
from fediverse_skills.config import Settings
from fediverse_skills.services import moderation, tokens
from fediverse_skills.services.accounts import create_user
from fediverse_skills.services.context import Federation
from fediverse_skills.store.db import Database
from fediverse_skills.web.routes import build_routes
from tests.processes import free_port
from tests.security.conftest import App

WRITE_METHODS = ("POST", "PATCH", "PUT", "DELETE")
# The one write route any scope may call: a token giving itself up only loses power.
SELF_REVOKE = ("DELETE", "/api/v1/tokens/current")


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def _api_routes(methods: tuple[str, ...]) -> list[tuple[str, str]]:
    """(method, path with placeholders filled) of every /api/v1 route with those methods."""
    found = []
    for route in build_routes():
        if isinstance(route, Route) and route.path.startswith("/api/v1/"):
            for method in sorted(route.methods or ()):
                if method in methods:
                    action = "authorize" if "follow_requests" in route.path else "accept"
                    path = route.path.replace("{action:str}", action)
                    for name in ("key", "id", "handle"):
                        path = path.replace(f"{{{name}:str}}", "x")
                    found.append((method, path))
    return found


async def _state(app: App) -> dict[str, int]:
    tables = ("notes", "follows", "skills", "suggestions", "endorsements", "opportunities")
    found = {t: await app.count(t) for t in tables}
    found["outgoing"] = await app.count("outgoing_activities")
    found["revoked"] = int(
        (await app.rows("SELECT count(*) FROM api_tokens WHERE revoked_at IS NOT NULL"))[0][0]
    )
    return found


async def test_read_token_on_write_endpoint_is_403_ghsa_58x8_3qxw_6hm7(
    app: App, db: Database
) -> None:
    """A read-only token may GET, but every POST, PATCH, PUT and DELETE route of the API
    answers 403 with a JSON error naming the missing scope, and changes nothing (except
    ``DELETE /api/v1/tokens/current``: any token may revoke itself). A
    write-only token is the mirror image (write does not imply read); a read,write token
    may do both."""
    await create_user(db, "alice")
    read = (await tokens.create_token(db, "alice", scopes=["read"])).token
    write = (await tokens.create_token(db, "alice", scopes=["write"])).token
    both = (await tokens.create_token(db, "alice")).token
    writes = [r for r in _api_routes(WRITE_METHODS) if r != SELF_REVOKE]
    assert len(writes) >= 15  # every write route of the API, found from the route table
    before = await _state(app)

    for method, path in writes:
        for body in ({}, {"content": "hi", "skill": "Rust", "title": "t", "to": "a@b.c"}):
            answer = await app.http.request(method, path, json=body, headers=_bearer(read))
            assert answer.status_code == 403, (method, path, answer.text)
            assert answer.json() == {
                "error": f"this token lacks the write scope (it has read); "
                f"{method} requests need write"
            }
            challenge = answer.headers["www-authenticate"]
            assert 'error="insufficient_scope"' in challenge and 'scope="write"' in challenge
    assert await _state(app) == before

    me = await app.http.get("/api/v1/me", headers=_bearer(read))
    assert me.status_code == 200 and me.json()["username"] == "alice"
    denied = await app.http.get("/api/v1/me", headers=_bearer(write))
    assert denied.status_code == 403
    assert denied.json()["error"].startswith("this token lacks the read scope (it has write)")
    for token in (write, both):
        made = await app.http.post("/api/v1/notes", json={"content": "hi"}, headers=_bearer(token))
        assert made.status_code == 201, made.text
    assert (await app.http.get("/api/v1/me", headers=_bearer(both))).status_code == 200


@contextlib.asynccontextmanager
async def _served(settings: Settings) -> AsyncIterator[int]:
    """The real app under uvicorn on 127.0.0.1; yields its port."""
    port = free_port()
    config = uvicorn.Config(
        create_app(settings, run_worker=False),
        host="127.0.0.1",
        port=port,
        lifespan="on",
        log_level="warning",
    )
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve())
    try:
        for _ in range(500):
            if server.started or task.done():
                break
            await asyncio.sleep(0.01)
        assert server.started, "uvicorn did not start"
        yield port
    finally:
        server.should_exit = True
        await asyncio.wait_for(task, 10)


class _Connection:
    """One keep-alive HTTP/1.1 connection, request after request on the same socket."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader, self.writer = reader, writer

    async def request(self, method: str, path: str, token: str) -> tuple[int, dict[str, object]]:
        self.writer.write(
            (
                f"{method} {path} HTTP/1.1\r\nHost: testserver\r\n"
                f"Authorization: Bearer {token}\r\nAccept: application/json\r\n"
                "Content-Length: 0\r\n\r\n"
            ).encode("ascii")
        )
        await self.writer.drain()
        head = (await self.reader.readuntil(b"\r\n\r\n")).decode("latin-1")
        status = int(head.split(" ", 2)[1])
        headers = dict(
            (name.strip().lower(), value.strip())
            for name, _, value in (line.partition(":") for line in head.split("\r\n")[1:] if line)
        )
        assert headers.get("connection", "keep-alive") != "close"
        body = await self.reader.readexactly(int(headers.get("content-length", "0")))
        return status, json.loads(body) if body else {}


@pytest.mark.parametrize("how", ["token revoke", "DELETE /api/v1/tokens/current", "suspension"])
async def test_revoked_token_fails_on_the_same_connection_ghsa_vp5r_5pgw_jwqx(
    settings: Settings, db: Database, fed: Federation, how: str
) -> None:
    """On one keep-alive connection to the real server: the token works, is revoked (by
    ``token revoke``'s service, by the API call, or by suspending the account), and the next
    request on that same connection is 401. Nothing is cached per connection."""
    admin = await create_user(db, "opsadmin", admin=True)
    await create_user(db, "alice")
    issued = await tokens.create_token(db, "alice")
    async with _served(settings) as port:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        conn = _Connection(reader, writer)
        try:
            status, body = await conn.request("GET", "/api/v1/me", issued.token)
            assert status == 200 and body["username"] == "alice"
            if how == "token revoke":
                assert await tokens.revoke(db, issued.id)
            elif how == "suspension":
                await moderation.suspend(fed, admin, "alice")
            else:
                status, _ = await conn.request("DELETE", "/api/v1/tokens/current", issued.token)
                assert status == 204
            for method, path in (("GET", "/api/v1/me"), ("DELETE", "/api/v1/tokens/current")):
                status, body = await conn.request(method, path, issued.token)
                assert status == 401, (how, method, body)
                assert body == {"error": "the token is invalid or revoked"}
        finally:
            writer.close()
            with contextlib.suppress(Exception):
                await writer.wait_closed()
    if how != "suspension":
        assert not await tokens.revoke(db, issued.id)  # revoked once, for good

"""Fixtures for the adversarial tests: the real app (lifespan included) that may fetch from
peers on 127.0.0.0/8, real peer servers, and database probes.

Like everything built on the ``db`` fixture of tests/conftest.py, each test runs on SQLite
and on PostgreSQL.
"""

from __future__ import annotations

import contextlib
import random
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from asgi_lifespan import LifespanManager
from sqlalchemy import text
from starlette.types import Receive, Scope, Send

from fediverse_skills.app import create_app
from fediverse_skills.config import Settings
from fediverse_skills.services import inbox
from fediverse_skills.services.accounts import create_user
from fediverse_skills.services.context import Federation
from fediverse_skills.store.db import Database
from fediverse_skills.store.users import User
from tests.security.remote import (
    RemoteActor,
    RemoteServer,
    Scheme,
    body_of,
    rsa_key,
    signed_headers,
)

# What an inbox POST may leave behind, besides the remote actor cache (which may hold a
# signer's authentic document even when the POST is refused).
QUIET_TABLES = ("inbox_items", "deliveries", "outgoing_activities", "remote_objects", "follows")


@dataclass
class App:
    """The running app: its HTTP face over ASGI, its federation context, and its database."""

    http: httpx.AsyncClient
    fed: Federation
    db: Database
    settings: Settings

    async def post(
        self, path: str, body: bytes, headers: dict[str, str] | None = None
    ) -> httpx.Response:
        return await self.http.post(path, content=body, headers=headers or {})

    async def deliver(
        self,
        sender: RemoteActor,
        activity: dict[str, Any] | bytes,
        *,
        path: str = "/users/alice/inbox",
        scheme: Scheme = "cavage",
        key_id: str | None = None,
        key: Any = None,
        **sign: Any,
    ) -> httpx.Response:
        """POST ``activity`` to ``path``, signed as ``sender`` (or with ``key_id``/``key``)."""
        body = body_of(activity)
        headers = signed_headers(
            body,
            key_id=key_id or sender.key_id,
            key=key or sender.key,
            path=path,
            scheme=scheme,
            **sign,
        )
        return await self.post(path, body, headers)

    async def process(self) -> int:
        """Run the inbox worker until the queue is empty; returns how many it handled."""
        total = 0
        for _ in range(20):
            handled = await inbox.process_due(self.fed, "security-test")
            if handled == 0:
                return total
            total += handled
        raise AssertionError("the inbox queue did not drain")

    async def rows(self, sql: str, **params: Any) -> list[tuple[Any, ...]]:
        async with self.db.connection() as conn:
            return [tuple(r) for r in await conn.execute(text(sql), params)]

    async def count(self, table: str) -> int:
        return int((await self.rows(f"SELECT count(*) FROM {table}"))[0][0])

    async def trace(self) -> dict[str, int]:
        """Row counts of everything an inbox POST may leave behind."""
        return {t: await self.count(t) for t in (*QUIET_TABLES, "remote_actors")}

    async def inbox_states(self) -> list[tuple[str, str, str | None]]:
        return [
            (str(uri), str(state), err)
            for uri, state, err in await self.rows(
                "SELECT activity_uri, state, last_error FROM inbox_items ORDER BY id"
            )
        ]


@contextlib.asynccontextmanager
async def running_app(
    settings: Settings, db: Database, *, client: tuple[str, int] = ("127.0.0.1", 123)
) -> AsyncIterator[App]:
    """``create_app(settings)`` with its real lifespan, over ASGI, without the worker task
    (tests run the worker step by step with :meth:`App.process`). ``client`` is the
    address the requests come from."""
    app = create_app(settings, run_worker=False)
    captured: dict[str, Any] = {}

    async def capture_state(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            captured["state"] = scope["state"]  # the dict the lifespan fills in
        await app(scope, receive, send)

    async with LifespanManager(capture_state) as manager:
        fed = captured["state"]["fed"]
        assert isinstance(fed, Federation)
        transport = httpx.ASGITransport(app=manager.app, client=client)
        async with httpx.AsyncClient(transport=transport, base_url=settings.base_url) as http:
            yield App(http=http, fed=fed, db=db, settings=settings)


StartServer = Callable[..., Awaitable[RemoteServer]]


@pytest.fixture
async def servers() -> AsyncIterator[StartServer]:
    """Start peer servers: ``await servers("127.0.0.2")``; all are stopped afterwards."""
    started: list[RemoteServer] = []

    async def start(*hosts: str, port: int = 0) -> RemoteServer:
        # Several hosts share the port the first one got; retry if another took it there.
        for attempt in range(5):
            try:
                server = await RemoteServer(hosts or ("127.0.0.1",), port).start()
            except OSError:
                if port or len(hosts) < 2 or attempt == 4:
                    raise
                continue
            started.append(server)
            return server
        raise AssertionError("unreachable")

    yield start
    for server in started:
        await server.stop()


@pytest.fixture
async def remote(servers: StartServer) -> RemoteServer:
    return await servers("127.0.0.1")


@pytest.fixture
async def app(settings: Settings, db: Database, servers: StartServer) -> AsyncIterator[App]:
    """The app, allowed to fetch from peers on loopback (``allow_private_addresses``).

    It depends on ``servers`` so that it shuts down (closing its connections) before the
    peers stop."""
    async with running_app(settings.replace(allow_private_addresses=True), db) as running:
        yield running


@pytest.fixture
async def alice(db: Database) -> User:
    return await create_user(db, "alice")


@pytest.fixture
def bob(remote: RemoteServer) -> RemoteActor:
    """A well-behaved remote account whose actor document is served."""
    actor = RemoteActor(remote, "/users/bob", rsa_key(0))
    actor.publish()
    return actor


@pytest.fixture
async def mallory_server(servers: StartServer) -> RemoteServer:
    """The attacker's own server, on another origin than ``remote``."""
    return await servers("127.0.0.2")


@pytest.fixture
def mallory(mallory_server: RemoteServer) -> RemoteActor:
    actor = RemoteActor(mallory_server, "/users/mallory", rsa_key(1))
    actor.publish()
    return actor


async def bind_pair(
    servers: StartServer, make_second: Callable[[int], int], tries: int = 50
) -> Sequence[RemoteServer]:
    """Two servers on 127.0.0.1 whose ports are ``p`` and ``make_second(p)``."""
    for _ in range(tries):
        first_port = random.randint(1025, 6553)
        try:
            first = await servers("127.0.0.1", port=first_port)
        except OSError:
            continue
        try:
            second = await servers("127.0.0.1", port=make_second(first_port))
        except OSError:
            await first.stop()
            continue
        return first, second
    raise AssertionError("no free pair of ports")

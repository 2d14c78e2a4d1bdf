"""Shared fixtures: a real database of each kind, settings, and the app over ASGI.

Every test that asks for ``db`` (or anything built on it) runs twice: on SQLite and on
PostgreSQL. PostgreSQL comes from FEDSKILLS_TEST_POSTGRES_URL, or from a server answering
on 127.0.0.1:5432. Without one those runs are skipped with the reason, except under
CI=true, where a missing PostgreSQL is a failure.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import socket
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import asyncpg
import httpx
import pytest
from asgi_lifespan import LifespanManager
from sqlalchemy import make_url, text

from fediverse_skills.app import create_app, open_federation
from fediverse_skills.config import Settings
from fediverse_skills.services.context import Federation
from fediverse_skills.store.db import Database
from fediverse_skills.store.migrations import upgrade
from fediverse_skills.store.tables import metadata

BACKENDS = ["sqlite", "postgres"]
IN_CI = os.environ.get("CI", "").lower() == "true"
TEST_SECRET = "test-secret-key-" + "x" * 32


# ----------------------------------------------------------------------------- PostgreSQL


def _explicit_postgres_url() -> str | None:
    explicit = os.environ.get("FEDSKILLS_TEST_POSTGRES_URL")
    if not explicit:
        return None
    return (
        make_url(explicit)
        .set(drivername="postgresql+asyncpg")
        .render_as_string(hide_password=False)
    )


def _postgres_server_url() -> str | None:
    """The URL of a PostgreSQL database to test against, or None."""
    explicit = _explicit_postgres_url()
    if explicit:
        return explicit
    try:
        with socket.create_connection(("127.0.0.1", 5432), timeout=1):
            pass
    except OSError:
        return None
    return "postgresql+asyncpg://postgres@127.0.0.1:5432/postgres"


def _dsn(url: str, database: str | None = None) -> str:
    u = make_url(url)
    if database is not None:
        u = u.set(database=database)
    return u.set(drivername="postgresql").render_as_string(hide_password=False)


class PostgresServer:
    """Creates and drops throwaway databases on the test server."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.created: list[str] = []

    def database_url(self, name: str) -> str:
        return str(make_url(self.url).set(database=name).render_as_string(hide_password=False))

    async def _admin(self, sql: str) -> None:
        conn = await asyncpg.connect(_dsn(self.url))
        try:
            await conn.execute(sql)
        finally:
            await conn.close()

    def create(self, prefix: str = "fst") -> str:
        name = f"{prefix}_{os.getpid()}_{uuid.uuid4().hex[:8]}"
        asyncio.run(self._admin(f'CREATE DATABASE "{name}"'))
        self.created.append(name)
        return self.database_url(name)

    def drop(self, url: str) -> None:
        name = make_url(url).database
        asyncio.run(self._admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        if name in self.created:
            self.created.remove(name)

    def drop_all(self) -> None:
        for name in list(self.created):
            self.drop(self.database_url(name))


def _require_postgres(server: PostgresServer | None) -> PostgresServer:
    if server is None:
        reason = (
            "PostgreSQL is not available: set FEDSKILLS_TEST_POSTGRES_URL or start a "
            "server on 127.0.0.1:5432"
        )
        if IN_CI:
            pytest.fail(f"{reason} (under CI=true the PostgreSQL runs are required)")
        pytest.skip(reason)
    return server


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer | None]:
    url = _postgres_server_url()
    if url is None:
        yield None
        return
    server = PostgresServer(url)
    try:
        yield server
    finally:
        server.drop_all()


@pytest.fixture(scope="session")
def postgres_template(postgres_server: PostgresServer | None) -> str | None:
    """A migrated PostgreSQL database shared by the session; tests truncate it.

    It is the throwaway database named by FEDSKILLS_TEST_POSTGRES_URL (as .ci/run creates),
    or one created here and dropped at the end of the session."""
    if postgres_server is None:
        return None
    url = _explicit_postgres_url() or postgres_server.create("fst_main")
    asyncio.run(_migrate(url))
    return url


@pytest.fixture
def fresh_postgres_url(postgres_server: PostgresServer | None) -> Iterator[str]:
    """An empty, unmigrated PostgreSQL database of the test's own."""
    server = _require_postgres(postgres_server)
    url = server.create("fst_fresh")
    try:
        yield url
    finally:
        server.drop(url)


# ----------------------------------------------------------------------------- SQLite


async def _migrate(url: str) -> None:
    db = Database.open(url)
    try:
        await upgrade(db)
    finally:
        await db.close()


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("template") / "template.db"
    asyncio.run(_migrate(f"sqlite+aiosqlite:///{path}"))
    return path


# ----------------------------------------------------------------------------- both


@pytest.fixture(params=BACKENDS)
def db_url(
    request: pytest.FixtureRequest,
    tmp_path: Path,
    sqlite_template: Path,
    postgres_server: PostgresServer | None,
    postgres_template: str | None,
) -> str:
    """The URL of a migrated, empty database of the parametrised kind."""
    if request.param == "sqlite":
        path = tmp_path / "test.db"
        shutil.copy(sqlite_template, path)
        return f"sqlite+aiosqlite:///{path}"
    _require_postgres(postgres_server)
    assert postgres_template is not None
    return postgres_template


@pytest.fixture
def backend(db_url: str) -> str:
    return "sqlite" if db_url.startswith("sqlite") else "postgres"


@pytest.fixture
async def db(db_url: str) -> AsyncIterator[Database]:
    database = Database.open(db_url)
    if database.dialect == "postgresql":
        names = ", ".join(f'"{t.name}"' for t in metadata.sorted_tables)
        async with database.transaction() as conn:
            await conn.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
    try:
        yield database
    finally:
        await database.close()


@pytest.fixture
def settings(db_url: str, tmp_path: Path) -> Settings:
    return Settings(
        base_url="http://testserver",
        database_url=db_url,
        secret_key=TEST_SECRET,
        data_dir=tmp_path / "data",
    )


@pytest.fixture
async def fed(settings: Settings, db: Database) -> AsyncIterator[Federation]:
    """The federation context the app builds, for calling services directly in tests."""
    context, http = await open_federation(settings.replace(allow_private_addresses=True), db)
    try:
        yield context
    finally:
        await context.close()
        await http.aclose()


@pytest.fixture
async def client(settings: Settings, db: Database) -> AsyncIterator[httpx.AsyncClient]:
    """The real app, lifespan included, over ASGI (no worker task)."""
    app = create_app(settings, run_worker=False)
    async with LifespanManager(app) as manager:
        transport = httpx.ASGITransport(app=manager.app)
        async with httpx.AsyncClient(transport=transport, base_url=settings.base_url) as http:
            yield http


# ----------------------------------------------------------------------------- reporting


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """A test marked ``postgres_only`` keeps only its PostgreSQL variant: its SQLite one is
    deselected rather than skipped (a skip fails under CI=true)."""
    kept: list[pytest.Item] = []
    dropped: list[pytest.Item] = []
    for item in items:
        callspec = getattr(item, "callspec", None)
        on_sqlite = callspec is not None and callspec.params.get("db_url") == "sqlite"
        (dropped if on_sqlite and item.get_closest_marker("postgres_only") else kept).append(item)
    if dropped:
        config.hook.pytest_deselected(items=dropped)
        items[:] = kept


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Iterator[None]:
    """Under CI=true nothing may be skipped: a skip there hides a missing install step."""
    report = yield
    if IN_CI and report.skipped and not hasattr(report, "wasxfail"):
        report.outcome = "failed"
        reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else report.longrepr
        report.longrepr = f"skipped under CI=true, which counts as a failure: {reason}"
    return report


_backend_outcomes: dict[str, dict[str, int]] = {b: {} for b in BACKENDS}


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    if report.when != "call" and report.outcome == "passed":
        return
    params = report.nodeid.partition("[")[2].rstrip("]").split("-")
    for name in BACKENDS:
        if name in params:
            counts = _backend_outcomes[name]
            counts[report.outcome] = counts.get(report.outcome, 0) + 1


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """Say how many tests ran on each database, so CI's log shows both ran."""
    parts = []
    for name, counts in _backend_outcomes.items():
        detail = ", ".join(f"{n} {outcome}" for outcome, n in sorted(counts.items())) or "none"
        parts.append(f"{name}: {detail}")
    terminalreporter.write_line("database-backed tests: " + "; ".join(parts))


# The Fedify peer (a real third-party implementation) for interop tests.
from tests.peers.fedify import fedify_peer  # noqa: E402, F401

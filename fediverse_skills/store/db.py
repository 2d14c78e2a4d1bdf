"""The database handle: one async engine and its sessions, owned by the app's lifespan."""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any, TypeVar

from sqlalchemy import event, make_url, text
from sqlalchemy.exc import DBAPIError, SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine

CONNECT_TIMEOUT = 10.0

log = logging.getLogger("fediverse_skills.store")

T = TypeVar("T")

# PostgreSQL SQLSTATEs after which the whole transaction may simply be run again:
# serialization_failure and deadlock_detected.
TRANSIENT_SQLSTATES = frozenset({"40001", "40P01"})
RETRY_BASE_DELAY = 0.02  # seconds; doubled per attempt, with full jitter


class DatabaseUnavailable(RuntimeError):
    """The database cannot be reached or opened. The message says what to check."""


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.close()


class Database:
    """An async engine plus helpers. Create it with :meth:`open`; close it with :meth:`close`."""

    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    @property
    def is_sqlite(self) -> bool:
        return self.dialect == "sqlite"

    @classmethod
    def open(cls, url: str) -> Database:
        sa_url = make_url(url)
        kwargs: dict[str, Any] = {}
        if sa_url.get_backend_name() == "sqlite":
            database = sa_url.database or ""
            if database and database != ":memory:" and not database.startswith("file:"):
                try:
                    Path(database).parent.mkdir(parents=True, exist_ok=True)
                except OSError as exc:
                    raise DatabaseUnavailable(
                        f"cannot create the directory for the SQLite database {database}: "
                        f"{exc.strerror}"
                    ) from None
            kwargs["connect_args"] = {"timeout": 10}
        else:
            kwargs["pool_pre_ping"] = True
            kwargs["connect_args"] = {"timeout": CONNECT_TIMEOUT}
        engine = create_async_engine(sa_url, **kwargs)
        if sa_url.get_backend_name() == "sqlite":
            event.listen(engine.sync_engine, "connect", _sqlite_pragmas)
        return cls(engine)

    async def close(self) -> None:
        await self.engine.dispose()

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[AsyncConnection]:
        """One transaction: committed when the block ends, rolled back on an exception."""
        async with self.engine.begin() as conn:
            yield conn

    async def run_in_transaction(
        self, work: Callable[[AsyncConnection], Awaitable[T]], *, attempts: int = 4
    ) -> T:
        """Run ``work`` in a transaction of its own and commit; when PostgreSQL aborts it
        for a deadlock or a serialization failure, roll back and run it again (up to
        ``attempts`` times in all, after a short jittered pause), then re-raise.

        ``work`` may be called more than once, so it must do nothing but database work
        on ``conn``: no network requests, no changes to memory that outlive the call
        (compute those before, or apply them after, from what it returns). Any other
        exception is raised at once, after the rollback.
        """
        if attempts < 1:
            raise ValueError("attempts must be at least 1")
        for attempt in range(1, attempts + 1):
            try:
                async with self.engine.begin() as conn:
                    return await work(conn)
            except DBAPIError as exc:
                state = sqlstate(exc)
                if state not in TRANSIENT_SQLSTATES or attempt == attempts:
                    raise
                # Full jitter, so that the aborted transactions do not meet again.
                delay = random.uniform(0, RETRY_BASE_DELAY * 2 ** (attempt - 1))  # noqa: S311
                log.info(
                    "transaction aborted by the database (SQLSTATE %s), attempt %d of %d; "
                    "retrying in %.0f ms",
                    state,
                    attempt,
                    attempts,
                    delay * 1000,
                )
                await asyncio.sleep(delay)
        raise AssertionError("unreachable")  # pragma: no cover

    @asynccontextmanager
    async def connection(self) -> AsyncIterator[AsyncConnection]:
        """A connection for reads, without an explicit transaction block."""
        async with self.engine.connect() as conn:
            yield conn

    async def ping(self) -> None:
        """Run a trivial query, or raise DatabaseUnavailable with a readable reason."""
        try:
            async with asyncio.timeout(CONNECT_TIMEOUT + 2):
                async with self.engine.connect() as conn:
                    await conn.execute(text("SELECT 1"))
        except TimeoutError:
            raise DatabaseUnavailable(
                f"the database at {self.safe_url} did not answer within "
                f"{CONNECT_TIMEOUT:.0f} seconds"
            ) from None
        except (OSError, SQLAlchemyError, DBAPIError) as exc:
            raise DatabaseUnavailable(
                f"cannot connect to the database at {self.safe_url}: {describe_error(exc)}"
            ) from None

    @property
    def safe_url(self) -> str:
        """The URL with any password hidden, for messages and logs."""
        return self.engine.url.render_as_string(hide_password=True)


def sqlstate(exc: BaseException) -> str | None:
    """The SQLSTATE of a database error (PostgreSQL's five-character code), or None.

    SQLAlchemy wraps the driver's exception in ``exc.orig``; asyncpg's (and SQLAlchemy's
    adapter around it) carry ``sqlstate``, psycopg's ``sqlstate`` or ``pgcode``. The chain
    of causes is followed too, since the adapter keeps asyncpg's own exception there."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        for attribute in ("sqlstate", "pgcode"):
            value = getattr(current, attribute, None)
            if isinstance(value, str) and value:
                return value
        orig = getattr(current, "orig", None)
        current = orig if isinstance(orig, BaseException) else current.__cause__
    return None


def describe_error(exc: BaseException) -> str:
    """A one-line reason for a connection failure, without a traceback."""
    orig = getattr(exc, "orig", None) or exc.__cause__ or exc
    message = str(orig).strip().splitlines()[0] if str(orig).strip() else type(orig).__name__
    return message


# The connection type that store functions take; services pass it along without
# importing SQLAlchemy themselves.
Connection = AsyncConnection

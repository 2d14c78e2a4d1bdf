"""Several worker processes drain one PostgreSQL delivery queue together.

Claims use FOR UPDATE SKIP LOCKED plus a lease: no row is sent twice while its lease
holds, and rows leased by a worker that was killed come back when the lease ends.
"""

from __future__ import annotations

import asyncio
import re
import signal
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import text

from fediverse_skills.services import accounts
from fediverse_skills.store import deliveries
from fediverse_skills.store.db import Database
from tests.conftest import PostgresServer, _require_postgres
from tests.instances import eventually
from tests.processes import ServerProcess, clean_env, cli
from tests.sink import Sink

pytestmark = pytest.mark.slow


@pytest.fixture
def pg_url(postgres_server: PostgresServer | None, tmp_path: Path) -> Iterator[str]:
    server = _require_postgres(postgres_server)
    url = server.create("fst_workers")
    env = clean_env(DATABASE_URL=url)
    assert cli("migrate", env=env, cwd=tmp_path).returncode == 0
    try:
        yield url
    finally:
        server.drop(url)


def queue_deliveries(url: str, inboxes: list[str]) -> None:
    async def run() -> None:
        db = Database.open(url)
        try:
            user = await accounts.create_user(db, "alice")
            async with db.transaction() as conn:
                await deliveries.add_activity(
                    conn,
                    uri="http://127.0.0.1/users/alice/activities/1",
                    type="Create",
                    body='{"type":"Create"}',
                    user_id=user.id,
                    inboxes=inboxes,
                    now=datetime.now(UTC),
                )
        finally:
            await db.close()

    asyncio.run(run())


def query(url: str, sql: str) -> list[tuple[object, ...]]:
    async def run() -> list[tuple[object, ...]]:
        db = Database.open(url)
        try:
            async with db.connection() as conn:
                return [tuple(r) for r in await conn.execute(text(sql))]
        finally:
            await db.close()

    return asyncio.run(run())


def workers(url: str, root: Path, n: int) -> list[ServerProcess]:
    env = clean_env(DATABASE_URL=url, ALLOW_PRIVATE_ADDRESSES="true")
    return [ServerProcess(env=env, cwd=root, command=("worker",)).start() for _ in range(n)]


def test_three_workers_share_the_queue_without_double_sends(pg_url: str, tmp_path: Path) -> None:
    with Sink(delay=0.01) as sink:
        inboxes = [f"{sink.url}/inbox/{i}" for i in range(900)]
        queue_deliveries(pg_url, inboxes)
        procs = workers(pg_url, tmp_path, 3)
        try:
            eventually(
                lambda: (
                    query(pg_url, "SELECT count(*) FROM deliveries WHERE state='done'") == [(900,)]
                ),
                timeout=90,
                what="all deliveries done",
            )
        finally:
            for proc in procs:
                assert proc.stop() == 0, proc.log()
        assert len(sink.posts) == 900
        assert max(sink.posts.values()) == 1, "a delivery was sent twice"
    # All three workers took part (each logs how many it delivered per batch).
    for proc in procs:
        delivered = sum(int(n) for n in re.findall(r"delivered=(\d+)", proc.log()))
        assert delivered > 0, f"worker did not deliver anything:\n{proc.log()}"


def test_rows_of_a_killed_worker_come_back(pg_url: str, tmp_path: Path) -> None:
    with Sink(delay=30) as sink:  # every POST hangs: the worker is killed mid-delivery
        queue_deliveries(pg_url, [f"{sink.url}/inbox/{i}" for i in range(20)])
        (first,) = workers(pg_url, tmp_path, 1)
        leased = eventually(
            lambda: (
                query(pg_url, "SELECT count(*) FROM deliveries WHERE locked_by IS NOT NULL")[0][0]
                == 20
            ),
            what="the first worker leases every row",
        )
        assert leased
        first.stop(signal.SIGKILL)
        sink.delay = 0
        # The lease is two minutes; rather than wait, move its end into the past, as the
        # passing of time would. The rows stay leased to the dead worker until then.
        assert query(pg_url, "SELECT count(*) FROM deliveries WHERE state='pending'") == [(20,)]
        expired = datetime.now(UTC) - timedelta(seconds=1)

        async def expire() -> None:
            db = Database.open(pg_url)
            try:
                async with db.transaction() as conn:
                    await conn.execute(
                        text("UPDATE deliveries SET locked_until = :t"), {"t": expired}
                    )
            finally:
                await db.close()

        asyncio.run(expire())
        (second,) = workers(pg_url, tmp_path, 1)
        try:
            eventually(
                lambda: (
                    query(pg_url, "SELECT count(*) FROM deliveries WHERE state='done'") == [(20,)]
                ),
                what="a new worker takes over the dead worker's rows",
            )
        finally:
            second.stop()
        # At least once: every inbox got the activity (those in flight at the kill, twice).
        assert set(sink.posts) == {f"/inbox/{i}" for i in range(20)}

"""Crash safety: signed activities arrive while ``kill -9`` hits the server and the workers.

On SQLite the instance runs as deployed there: ``serve`` with its in-process worker (the
documented SQLite setup), so every kill takes down the web server and the worker at once,
mid-request and mid-batch. On PostgreSQL it is one ``serve`` and three ``worker`` processes,
each killed on its own. See tests/crash.py for how a run works and what is checked.

FEDSKILLS_TEST_CRASH_ACTIVITIES sets how many activities (default 2,000 per database, to
stay within the CI budget; ``make crash`` runs 10,000), FEDSKILLS_TEST_CRASH_KILLS how many
kills (default 6) and FEDSKILLS_TEST_CRASH_SEED the random seed (default: a new one,
printed, so a failing run can be replayed).
"""

from __future__ import annotations

import os
import random
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import func, select

from fediverse_skills.services import accounts, follows
from fediverse_skills.services.context import Federation
from fediverse_skills.store.tables import outgoing_activities
from tests import crash
from tests.conftest import PostgresServer, _require_postgres
from tests.security.remote import RemoteActor, RemoteServer, rsa_key

ACTIVITIES = int(os.environ.get("FEDSKILLS_TEST_CRASH_ACTIVITIES", "2000"))
KILLS = int(os.environ.get("FEDSKILLS_TEST_CRASH_KILLS", "6"))
WORKERS = 3


@pytest.fixture(params=["sqlite", "postgres"])
def database(
    request: pytest.FixtureRequest, postgres_server: PostgresServer | None, tmp_path: Path
) -> Iterator[tuple[str, str]]:
    """(backend, URL) of an empty database of the instance under test."""
    if request.param == "sqlite":
        yield "sqlite", f"sqlite+aiosqlite:///{tmp_path}/instance/data/crash.db"
        return
    server = _require_postgres(postgres_server)
    url = server.create("fst_crash")
    try:
        yield "postgres", url
    finally:
        server.drop(url)


@pytest.mark.slow
def test_kill_9_loses_and_doubles_nothing(database: tuple[str, str], tmp_path: Path) -> None:
    backend, url = database
    seed = int(
        os.environ.get("FEDSKILLS_TEST_CRASH_SEED") or random.SystemRandom().randrange(10**6)
    )
    setup = crash.Setup(
        backend=backend,
        root=tmp_path / "instance",
        database_url=url,
        workers=WORKERS if backend == "postgres" else 0,
        activities=ACTIVITIES,
        kills=KILLS,
        seed=seed,
    )
    figures, problems = crash.run(setup)
    print("\n" + figures.report())
    assert not problems, (
        f"seed {seed}:\n" + "\n".join(problems) + "\n" + figures.report() + "\n" + crash.logs(setup)
    )
    # The kills really hit both kinds of process, at least five times in all.
    assert figures.kills >= 5
    assert figures.kills_server >= 1
    assert figures.kills_worker >= 1
    # Every activity was accepted in the end, and the effects were counted above.
    assert figures.activities == ACTIVITIES
    assert figures.follows + figures.likes + figures.creates == ACTIVITIES
    assert figures.accepts_queued == figures.follows
    assert figures.sink_distinct == figures.follows


async def test_a_follow_handled_again_is_accepted_once(fed: Federation) -> None:
    """What the run above found: a worker killed after it committed a Follow but before it
    marked the inbox item done handles the Follow again; that must not queue a second
    Accept (with a new id, which receivers cannot deduplicate)."""
    remote = await RemoteServer().start()
    try:
        bob = RemoteActor(remote, "/users/bob", rsa_key(0))
        bob.publish()
        await accounts.create_user(fed.db, "alice")
        follow = bob.activity("Follow", f"{fed.uris.base_url}/users/alice")
        assert await follows.on_follow(fed, follow) == "follow accepted"
        assert await follows.on_follow(fed, follow) == "follow accepted (already handled)"
    finally:
        await remote.stop()
    async with fed.db.connection() as conn:
        accepts = await conn.execute(
            select(func.count())
            .select_from(outgoing_activities)
            .where(outgoing_activities.c.type == "Accept")
        )
        assert accepts.scalar_one() == 1

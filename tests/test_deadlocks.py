"""Deadlocks between writes that bump several people's profile versions (PostgreSQL).

Triggers bump ``users.profile_version`` of everyone whose skills or endorsements a
statement changes, so removing a skill, endorsing or withdrawing locks several users'
rows in one transaction. A soak with four concurrent API clients made PostgreSQL abort
some of them ("deadlock detected", 500). Now those rows are locked in id order, and a
transaction PostgreSQL aborts for a deadlock or a serialization failure runs again.
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import asyncpg
import httpx
import pytest
from sqlalchemy import event, make_url, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncConnection

from fediverse_skills.config import Settings
from fediverse_skills.services import accounts, endorsements, skills, tokens
from fediverse_skills.services.context import Federation
from fediverse_skills.store.db import Database, sqlstate
from fediverse_skills.store.users import User

POSTGRES_ONLY = "deadlocks and serialization failures are PostgreSQL's; SQLite has one writer"


@pytest.fixture
def settings(settings: Settings) -> Settings:
    """The shared settings, without the API rate limit getting in the way of the load."""
    return settings.replace(api_rate_limit=1_000_000)


@pytest.fixture
def pg(backend: str) -> None:
    """For the tests marked ``postgres_only`` (their SQLite variant is not collected)."""
    assert backend == "postgres", POSTGRES_ONLY


# ----------------------------------------------------------------------------- the retry


class _Driver(Exception):
    """What a driver raises: an error with a SQLSTATE."""

    def __init__(self, state: str) -> None:
        super().__init__(f"SQLSTATE {state}")
        self.sqlstate = state


def _wrapped(state: str) -> DBAPIError:
    return DBAPIError("SELECT 1", {}, _Driver(state))


def test_sqlstate_is_found_on_the_error_its_orig_or_their_causes() -> None:
    assert sqlstate(_wrapped("40P01")) == "40P01"

    class Psycopg(Exception):
        pgcode = "40001"

    assert sqlstate(DBAPIError("SELECT 1", {}, Psycopg())) == "40001"
    adapter = Exception("deadlock detected")
    adapter.__cause__ = _Driver("40P01")  # SQLAlchemy's asyncpg adapter keeps asyncpg's here
    assert sqlstate(DBAPIError("SELECT 1", {}, adapter)) == "40P01"
    assert sqlstate(DBAPIError("SELECT 1", {}, Exception("database is locked"))) is None
    assert sqlstate(ValueError("no database here")) is None


async def _count(db: Database) -> int:
    async with db.connection() as conn:
        return int(
            (await conn.execute(text("SELECT count(*) FROM instance_settings"))).scalar_one()
        )


async def _insert(conn: AsyncConnection, key: str) -> None:
    await conn.execute(
        text("INSERT INTO instance_settings (name, value) VALUES (:k, 'v')"), {"k": key}
    )


@pytest.mark.postgres_only
async def test_a_transient_failure_is_retried_and_its_writes_rolled_back(
    db: Database, pg: None
) -> None:
    """A real serialization failure twice, then success: the body ran three times, and
    only the last run's write is kept."""
    calls: list[int] = []

    async def work(conn: AsyncConnection) -> str:
        calls.append(len(calls))
        await _insert(conn, f"k{len(calls)}")
        if len(calls) < 3:
            await conn.execute(text("DO $$ BEGIN RAISE EXCEPTION USING ERRCODE = '40001'; END $$"))
        return "done"

    assert await db.run_in_transaction(work) == "done"
    assert len(calls) == 3
    async with db.connection() as conn:
        keys = [r[0] for r in await conn.execute(text("SELECT name FROM instance_settings"))]
    assert keys == ["k3"]


@pytest.mark.postgres_only
async def test_a_transient_failure_is_raised_after_the_last_attempt(db: Database, pg: None) -> None:
    calls = 0

    async def work(conn: AsyncConnection) -> None:
        nonlocal calls
        calls += 1
        await _insert(conn, f"k{calls}")
        await conn.execute(text("DO $$ BEGIN RAISE EXCEPTION USING ERRCODE = '40P01'; END $$"))

    with pytest.raises(DBAPIError) as raised:
        await db.run_in_transaction(work, attempts=3)
    assert sqlstate(raised.value) == "40P01"
    assert calls == 3
    assert await _count(db) == 0


async def test_other_errors_are_not_retried(db: Database) -> None:
    """On either database: a constraint violation, a failed statement or an exception of
    the body's own is raised at once, after the rollback."""
    for failure in (
        "INSERT INTO instance_settings (name, value) VALUES ('k1', 'again')",  # unique key
        "SELECT no_such_column FROM instance_settings",
    ):
        calls = 0

        async def work(conn: AsyncConnection, failure: str = failure) -> None:
            nonlocal calls
            calls += 1
            await _insert(conn, "k1")
            await conn.execute(text(failure))

        with pytest.raises(DBAPIError):
            await db.run_in_transaction(work)
        assert calls == 1
        assert await _count(db) == 0

    async def refuses(conn: AsyncConnection) -> None:
        await _insert(conn, "k1")
        raise LookupError("the body's own")

    with pytest.raises(LookupError):
        await db.run_in_transaction(refuses)
    assert await _count(db) == 0


async def test_a_transient_code_from_sqlite_style_errors_is_not_assumed(db: Database) -> None:
    """Errors without a SQLSTATE (SQLite's "database is locked" among them) are not
    retried; one with a transient SQLSTATE is, up to ``attempts``."""
    calls = 0

    async def locked(conn: AsyncConnection) -> None:
        nonlocal calls
        calls += 1
        raise DBAPIError("UPDATE users", {}, Exception("database is locked"))

    with pytest.raises(DBAPIError):
        await db.run_in_transaction(locked)
    assert calls == 1

    calls = 0

    async def deadlocked(conn: AsyncConnection) -> None:
        nonlocal calls
        calls += 1
        raise _wrapped("40P01")

    with pytest.raises(DBAPIError):
        await db.run_in_transaction(deadlocked, attempts=2)
    assert calls == 2


# ----------------------------------------------------------------------------- a real deadlock


def _dsn(url: str) -> str:
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


@pytest.fixture
async def raw(db: Database, pg: None) -> AsyncIterator[asyncpg.Connection]:
    """A plain connection of the test's own, outside the app's pool. It never notices a
    deadlock first (its deadlock_timeout is long); the app's connections check after
    100 ms, so the app's transaction is the one PostgreSQL aborts."""

    def fast_deadlock_check(dbapi_connection: Any, _record: Any) -> None:
        cursor = dbapi_connection.cursor()
        cursor.execute("SET deadlock_timeout = '100ms'")
        cursor.close()

    event.listen(db.engine.sync_engine, "connect", fast_deadlock_check)
    await db.engine.dispose()  # connections made from now on get the setting
    conn = await asyncpg.connect(_dsn(db.engine.url.render_as_string(hide_password=False)))
    await conn.execute("SET deadlock_timeout = '60s'")
    try:
        yield conn
    finally:
        await conn.close()


async def _blocked_by(raw: asyncpg.Connection) -> None:
    """Wait (10 s at most) until another backend waits for a lock ``raw`` holds."""
    pid = raw.get_server_pid()
    waiting = "SELECT count(*) FROM pg_stat_activity WHERE $1 = ANY(pg_blocking_pids(pid))"
    async with asyncio.timeout(10):
        for _ in range(100_000):
            if await raw.fetchval(waiting, pid):
                return
            await asyncio.sleep(0.01)


async def _deadlock_against(
    raw: asyncpg.Connection, call: Awaitable[Any], first: int, second: int
) -> Any:
    """Run ``call``, which locks user ``first`` and then ``second``, into a deadlock:
    ``raw`` holds ``second``; once ``call`` waits for it (holding ``first``), ``raw``
    asks for ``first``. PostgreSQL aborts ``call``'s transaction; ``raw`` commits."""
    transaction = raw.transaction()
    await transaction.start()
    await raw.execute("UPDATE users SET summary = 'raw' WHERE id = $1", second)
    task = asyncio.ensure_future(call)
    try:
        await _blocked_by(raw)
        # Waits until PostgreSQL has aborted the other side of the cycle.
        await raw.execute("UPDATE users SET summary = 'raw' WHERE id = $1", first)
    except BaseException:
        await transaction.rollback()
        task.cancel()
        raise
    await transaction.commit()
    return await asyncio.wait_for(task, 30)


async def _users(db: Database, *names: str) -> list[User]:
    return [await accounts.create_user(db, name) for name in names]


async def _scalar(db: Database, sql: str, **params: Any) -> Any:
    async with db.connection() as conn:
        return (await conn.execute(text(sql), params)).scalar_one()


def _retried(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if "SQLSTATE 40P01" in r.getMessage()]


@pytest.mark.postgres_only
async def test_removing_a_skill_survives_a_deadlock(
    db: Database, fed: Federation, raw: asyncpg.Connection, caplog: pytest.LogCaptureFixture
) -> None:
    """Removing alice's skill locks alice and its endorser bob; a deadlock against a
    transaction that locks them the other way round aborts it once, and the retry
    removes the skill and its endorsement, with one Remove queued."""
    alice, bob = await _users(db, "alice", "bob")
    await skills.declare(fed, alice, "Rust")
    await endorsements.endorse(fed, bob, "alice@testserver", "Rust", "great")
    first, second = sorted((alice.id, bob.id))

    caplog.set_level(logging.INFO, "fediverse_skills.store")
    assert await _deadlock_against(raw, skills.remove(fed, alice, "rust"), first, second)

    assert _retried(caplog), "the service call was never aborted: no deadlock happened"
    assert await _scalar(db, "SELECT count(*) FROM skills") == 0
    assert await _scalar(db, "SELECT count(*) FROM endorsements") == 0
    removes = "SELECT count(*) FROM outgoing_activities WHERE type = 'Remove'"
    assert await _scalar(db, removes) == 1
    summaries = "SELECT count(*) FROM users WHERE summary = 'raw'"
    assert await _scalar(db, summaries) == 2  # the other transaction committed too


@pytest.mark.postgres_only
async def test_endorsing_survives_a_deadlock(
    db: Database, fed: Federation, raw: asyncpg.Connection, caplog: pytest.LogCaptureFixture
) -> None:
    alice, bob = await _users(db, "alice", "bob")
    await skills.declare(fed, alice, "Rust")
    first, second = sorted((alice.id, bob.id))

    caplog.set_level(logging.INFO, "fediverse_skills.store")
    call = endorsements.endorse(fed, bob, "alice@testserver", "Rust", "great")
    row = await _deadlock_against(raw, call, first, second)

    assert _retried(caplog)
    assert row.comment == "great"
    stored = "SELECT count(*) FROM endorsements WHERE public_id = :p"
    assert await _scalar(db, stored, p=row.public_id) == 1
    assert await _scalar(db, "SELECT count(*) FROM endorsements") == 1
    notified = "SELECT count(*) FROM notifications WHERE kind = 'endorsement'"
    assert await _scalar(db, notified) == 1
    creates = "SELECT count(*) FROM outgoing_activities WHERE type = 'Create'"
    # bob's Create of the Endorsement and of his Note; alice's Note of her skill
    assert await _scalar(db, creates) == 3


@pytest.mark.postgres_only
async def test_withdrawing_survives_a_deadlock(
    db: Database, fed: Federation, raw: asyncpg.Connection, caplog: pytest.LogCaptureFixture
) -> None:
    alice, bob = await _users(db, "alice", "bob")
    await skills.declare(fed, alice, "Rust")
    row = await endorsements.endorse(fed, bob, "alice@testserver", "Rust")
    first, second = sorted((alice.id, bob.id))

    caplog.set_level(logging.INFO, "fediverse_skills.store")
    assert await _deadlock_against(
        raw, endorsements.withdraw(fed, bob, row.public_id), first, second
    )

    assert _retried(caplog)
    assert await _scalar(db, "SELECT count(*) FROM endorsements") == 0
    deletes = "SELECT count(*) FROM outgoing_activities WHERE type = 'Delete'"
    assert await _scalar(db, deletes) == 1


@pytest.mark.postgres_only
async def test_the_trigger_locks_subject_and_endorser_in_id_order(
    db: Database, raw: asyncpg.Connection
) -> None:
    """An endorsement inserted by hand (no service, so only the trigger locks), whose
    subject has the higher id: the trigger takes the endorser's row (the lower id) first,
    so while it waits for that one it holds no lock on the subject's. (Before 0010 it
    took the subject's first, and the second UPDATE here would wait: a deadlock.)"""
    alice, bob = await _users(db, "alice", "bob")
    endorser, subject = sorted((alice.id, bob.id))
    transaction = raw.transaction()
    await transaction.start()
    await raw.execute("UPDATE users SET summary = 'raw' WHERE id = $1", endorser)

    async def insert() -> None:
        async with db.transaction() as conn:
            await conn.execute(
                text(
                    "INSERT INTO endorsements (public_id, uri, subject, subject_user_id,"
                    " skill_key, endorser, endorser_user_id, kind, attestation, comment,"
                    " document, created_at) VALUES ('p', 'u', 's', :subject, 'rust', 'e',"
                    " :endorser, 'endorsement', 'proof', '', '{}', CURRENT_TIMESTAMP)"
                ),
                {"subject": subject, "endorser": endorser},
            )

    task = asyncio.ensure_future(insert())
    try:
        await _blocked_by(raw)
        async with asyncio.timeout(5):
            await raw.execute("UPDATE users SET summary = 'raw' WHERE id = $1", subject)
    finally:
        await transaction.commit()
    await asyncio.wait_for(task, 10)
    assert await _scalar(db, "SELECT count(*) FROM endorsements") == 1
    bumped = "SELECT profile_version FROM users WHERE id = :i"
    assert await _scalar(db, bumped, i=subject) == 1
    assert await _scalar(db, bumped, i=endorser) == 1


# ----------------------------------------------------------------------------- under load


@pytest.mark.postgres_only
async def test_people_endorsing_and_removing_skills_at_once_get_no_500(
    client: httpx.AsyncClient, db: Database, pg: None
) -> None:
    """Five people each with three skills; in every round each endorses the others'
    skills, withdraws an endorsement, edits their profile, and removes and declares
    again one of their skills, all at once. Every answer is one a client expects."""
    names = ["ann", "ben", "cat", "dan", "eve"]
    auth: dict[str, dict[str, str]] = {}
    for name in names:
        await accounts.create_user(db, name)
        issued = await tokens.create_token(db, name)
        auth[name] = {"Authorization": f"Bearer {issued.token}"}
    skill_names = ["Rust", "Go", "SQL"]
    for name in names:
        for skill in skill_names:
            made = await client.post("/api/v1/skills", json={"skill": skill}, headers=auth[name])
            assert made.status_code == 201, made.text
    rng = random.Random(8)
    mine: dict[str, list[str]] = {name: [] for name in names}
    answers: list[tuple[str, int, str]] = []

    async def call(label: str, request: Callable[[], Awaitable[httpx.Response]]) -> httpx.Response:
        answer = await request()
        answers.append((label, answer.status_code, answer.text))
        return answer

    async def endorse(who: str, to: str, skill: str) -> None:
        answer = await call(
            "endorse",
            lambda: client.post(
                "/api/v1/endorsements",
                json={"to": f"{to}@testserver", "skill": skill, "comment": "seen it"},
                headers=auth[who],
            ),
        )
        if answer.status_code == 201:
            mine[who].append(answer.json()["id"])

    async def withdraw(who: str) -> None:
        if mine[who]:
            public_id = mine[who].pop(rng.randrange(len(mine[who])))
            await call(
                "withdraw",
                lambda: client.delete(f"/api/v1/endorsements/{public_id}", headers=auth[who]),
            )

    async def churn(who: str, skill: str) -> None:
        await call(
            "remove",
            lambda: client.delete(f"/api/v1/skills/{skill.lower()}", headers=auth[who]),
        )
        await call(
            "declare",
            lambda: client.post("/api/v1/skills", json={"skill": skill}, headers=auth[who]),
        )

    async def edit(who: str, n: int) -> None:
        await call(
            "profile",
            lambda: client.patch(
                "/api/v1/profile", json={"summary": f"round {n}"}, headers=auth[who]
            ),
        )

    for n in range(8):
        work: list[Awaitable[None]] = []
        for who in names:
            for to in names:
                if to != who:
                    work.append(endorse(who, to, rng.choice(skill_names)))
            work.append(withdraw(who))
            work.append(churn(who, rng.choice(skill_names)))
            work.append(edit(who, n))
        rng.shuffle(work)
        await asyncio.gather(*work)

    failed = [a for a in answers if a[1] >= 500]
    assert failed == [], failed[:3]
    expected = {
        "endorse": {201, 404, 409},
        "withdraw": {204, 404},
        "remove": {204, 404},
        "declare": {201, 409},
        "profile": {200},
    }
    unexpected = [a for a in answers if a[1] not in expected[a[0]]]
    assert unexpected == [], unexpected[:3]
    assert {a[0] for a in answers} == set(expected)
    # Whatever was left is consistent: each endorsement is of a skill its person has.
    orphans = (
        "SELECT count(*) FROM endorsements e WHERE NOT EXISTS (SELECT 1 FROM skills s"
        " WHERE s.user_id = e.subject_user_id AND s.key = e.skill_key)"
    )
    assert await _scalar(db, orphans) == 0

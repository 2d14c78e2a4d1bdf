"""Delivery outcomes against a real local inbox: success, give-up, backoff, breaker, retry
with the other signature scheme. Each runs on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from email.message import Message

import pytest
from sqlalchemy import select, update

from fediverse_skills.services import accounts
from fediverse_skills.services.context import Federation
from fediverse_skills.services.deliveries import deliver_due
from fediverse_skills.store import deliveries
from fediverse_skills.store.db import Database
from fediverse_skills.store.tables import deliveries as deliveries_table
from fediverse_skills.store.tables import hosts
from tests.sink import Sink


async def queue(db: Database, inboxes: list[str], uri: str = "http://testserver/a/1") -> None:
    user = await accounts.get_user(db, "alice") or await accounts.create_user(db, "alice")
    async with db.transaction() as conn:
        await deliveries.add_activity(
            conn,
            uri=uri,
            type="Create",
            body='{"type":"Create"}',
            user_id=user.id,
            inboxes=inboxes,
            now=datetime.now(UTC),
        )


async def rows(db: Database) -> list[dict[str, object]]:
    async with db.connection() as conn:
        result = await conn.execute(select(deliveries_table).order_by(deliveries_table.c.id))
        return [dict(r._mapping) for r in result]


async def test_success_is_signed_and_done(db: Database, fed: Federation) -> None:
    with Sink() as sink:
        await queue(db, [f"{sink.url}/inbox", f"{sink.url}/inbox"])  # duplicates collapse
        assert await deliver_due(fed, "w") == 1
        assert await deliver_due(fed, "w") == 0
    (row,) = await rows(db)
    assert row["state"] == "done"
    assert row["last_status"] == 202
    (headers,) = sink.headers
    assert 'keyId="http://testserver/users/alice#main-key"' in headers["Signature"]
    assert headers["Digest"].startswith("SHA-256=")
    assert headers["Content-Type"] == "application/activity+json"


async def test_410_gone_stops_at_once(db: Database, fed: Federation) -> None:
    with Sink(status=410) as sink:
        await queue(db, [f"{sink.url}/inbox"])
        await deliver_due(fed, "w")
    (row,) = await rows(db)
    assert row["state"] == "gave_up"
    assert row["attempts"] == 1
    assert row["last_status"] == 410


async def test_failures_back_off_and_give_up_after_three_days(
    db: Database, fed: Federation
) -> None:
    with Sink(status=503) as sink:
        await queue(db, [f"{sink.url}/inbox"])
        before = datetime.now(UTC)
        await deliver_due(fed, "w")
        (row,) = await rows(db)
        assert row["state"] == "pending"
        assert row["attempts"] == 1
        assert row["last_status"] == 503
        delay = row["next_attempt_at"] - before  # type: ignore[operator]
        assert timedelta(seconds=20) < delay < timedelta(seconds=40)  # 30 s ± 25 %
        assert await deliver_due(fed, "w") == 0  # not due yet: the schedule is persisted

        # Three days later the row is due and still failing: it is given up, not retried.
        async with db.transaction() as conn:
            old = datetime.now(UTC) - timedelta(days=3, minutes=1)
            await conn.execute(update(deliveries_table).values(created_at=old, next_attempt_at=old))
        await deliver_due(fed, "w")
        assert sink.total() == 2
    (row,) = await rows(db)
    assert row["state"] == "gave_up"
    assert row["attempts"] == 2


async def test_circuit_breaker_stops_sending_to_a_failing_host(
    db: Database, fed: Federation
) -> None:
    with Sink(status=500) as sink:
        await queue(db, [f"{sink.url}/inbox/{i}" for i in range(5)])
        await deliver_due(fed, "w")
        assert sink.total() == 5
        async with db.connection() as conn:
            host = (await conn.execute(select(hosts))).one()
        assert host.consecutive_failures == 5
        assert host.open_until is not None
        assert host.open_until > datetime.now(UTC)

        # New work for that host waits for the breaker instead of being sent.
        await queue(db, [f"{sink.url}/inbox/new"], uri="http://testserver/a/2")
        await deliver_due(fed, "w")
        assert sink.total() == 5
    (new,) = [r for r in await rows(db) if str(r["inbox"]).endswith("/new")]
    assert new["state"] == "pending"
    assert new["attempts"] == 0
    assert new["next_attempt_at"] == host.open_until


@pytest.mark.parametrize("accepted", ["cavage", "rfc9421"])
async def test_double_knock_retries_with_the_other_scheme(
    db: Database, fed: Federation, accepted: str
) -> None:
    """We sign with draft-cavage first; a host that answers 401 gets RFC 9421 at once."""

    def respond(path: str, headers: Message) -> int:
        scheme = "rfc9421" if headers.get("Signature-Input") else "cavage"
        return 202 if scheme == accepted else 401

    knocks = 1 if accepted == "cavage" else 2
    with Sink(respond=respond) as sink:
        await queue(db, [f"{sink.url}/inbox"])
        await deliver_due(fed, "w")
        assert sink.total() == knocks
        await queue(db, [f"{sink.url}/inbox"], uri="http://testserver/a/2")
        await deliver_due(fed, "w")
        assert sink.total() == knocks + 1  # the working scheme is remembered for the host
    assert {r["state"] for r in await rows(db)} == {"done"}
    async with db.connection() as conn:
        host = (await conn.execute(select(hosts))).one_or_none()
    # The default scheme needs no record; a switch to the other one is remembered.
    assert (host.signature_scheme if host else "cavage") == accepted

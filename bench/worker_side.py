"""Our sending side, in this process: a migrated SQLite database, a user, and ``fed``.

Used by the delivery and fan-out figures. ``fed`` is built as ``app.open_federation``
builds it (the same call when no resolver is needed); with a resolver, the same steps are
repeated with :func:`create_client`'s ``resolver`` so that made-up host names reach the
local sink. The database is wrapped in :class:`TimedDatabase` so that the time spent in
each transaction (claiming, recording) can be told apart from the time spent sending.
"""

from __future__ import annotations

import json
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench.common import HOST, BenchError, free_port
from fediverse_skills.app import open_federation
from fediverse_skills.config import Settings
from fediverse_skills.federation import activities
from fediverse_skills.federation.client import FederationClient, create_client
from fediverse_skills.federation.signatures import private_key_from_pem
from fediverse_skills.federation.uris import LocalUris
from fediverse_skills.services import accounts, instance
from fediverse_skills.services.context import Federation
from fediverse_skills.services.deliveries import deliver_due
from fediverse_skills.store import deliveries as delivery_store
from fediverse_skills.store import users
from fediverse_skills.store.batching import GroupCommitter
from fediverse_skills.store.db import Database
from fediverse_skills.store.inbox import enqueue_batch
from fediverse_skills.store.migrations import upgrade
from fediverse_skills.store.users import User

WORKER = "bench"
Resolver = Callable[[str, int], Awaitable[Sequence[str]]]


class TimedDatabase:
    """A :class:`Database` that records how long each transaction and connection lasted."""

    def __init__(self, db: Database) -> None:
        self._db = db
        self.spans: list[tuple[str, float]] = []

    def __getattr__(self, name: str) -> Any:
        return getattr(self._db, name)

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[Any]:
        start = time.perf_counter()
        try:
            async with self._db.transaction() as conn:
                yield conn
        finally:
            self.spans.append(("transaction", time.perf_counter() - start))

    @asynccontextmanager
    async def connection(self) -> AsyncIterator[Any]:
        start = time.perf_counter()
        try:
            async with self._db.connection() as conn:
                yield conn
        finally:
            self.spans.append(("connection", time.perf_counter() - start))


@dataclass
class Side:
    db: Database
    timed_db: TimedDatabase
    fed: Federation
    client: FederationClient
    settings: Settings
    user: User
    key_id: str
    private_pem: str

    async def close(self) -> None:
        await self.fed.close()
        await self.client.aclose()
        await self.db.close()


async def open_side(workdir: Path, *, resolver: Resolver | None = None) -> Side:
    database_url = f"sqlite+aiosqlite:///{workdir / 'bench.db'}"
    settings = Settings(
        base_url=f"http://{HOST}:{free_port()}",  # our origin: only names things, not served
        database_url=database_url,
        allow_private_addresses=True,
        data_dir=workdir,
    )
    db = Database.open(settings.database_url)
    try:
        await upgrade(db)
        user = await accounts.create_user(db, "alice")
        if resolver is None:
            fed, client = await open_federation(settings, db)
        else:
            # app.open_federation, with the resolver that maps made-up names to 127.0.0.1.
            uris = LocalUris(settings.base_url)
            key = await instance.ensure_key(db)
            client = create_client(
                settings.base_url,
                allow_private=settings.allow_private_addresses,
                signer=instance.get_signer(uris, key),
                resolver=resolver,
            )
            fed = Federation(
                db=db,
                client=client,
                uris=uris,
                allow_private_addresses=settings.allow_private_addresses,
                inbox_writer=GroupCommitter(db, enqueue_batch),
            )
        async with db.connection() as conn:
            keys = await users.private_keys(conn, user.id)
        assert keys is not None
    except BaseException:
        await db.close()
        raise
    timed = TimedDatabase(db)
    fed.db = timed  # type: ignore[assignment]
    return Side(
        db=db,
        timed_db=timed,
        fed=fed,
        client=client,
        settings=settings,
        user=user,
        key_id=fed.uris.main_key(user.username),
        private_pem=keys.rsa_private_pem,
    )


def private_key(side: Side) -> Any:
    return private_key_from_pem(side.private_pem)


def create_activity(side: Side, n: int) -> dict[str, Any]:
    """A Create(Note) as publish_note builds it."""
    uris = side.fed.uris
    name = side.user.username
    public_id = f"bench{n}"
    note = activities.note(
        id=uris.note(name, public_id),
        actor=uris.actor(name),
        followers=uris.followers(name),
        content_html=activities.plain_text_html(
            f"Benchmark note {n}: a skill endorsement for the whole fediverse."
        ),
        published=datetime.now(UTC),
        url=uris.note(name, public_id),
    )
    return activities.create(id=uris.activity(name, public_id), actor=uris.actor(name), object=note)


async def queue_deliveries(side: Side, activity: dict[str, Any], inboxes: list[str]) -> None:
    async with side.db.transaction() as conn:
        await delivery_store.add_activity(
            conn,
            uri=activity["id"],
            type=activity["type"],
            body=encode(activity),
            user_id=side.user.id,
            inboxes=inboxes,
            now=datetime.now(UTC),
        )


def encode(activity: dict[str, Any]) -> str:
    """The activity as stored and sent (as services.outbox.encode does)."""
    return json.dumps(activity, separators=(",", ":"), ensure_ascii=False)


@dataclass
class Drain:
    """What one drain (deliver_due until nothing is due) did and where its time went."""

    seconds: float = 0.0
    calls: int = 0
    delivered: int = 0
    claim_s: float = 0.0  # the transaction that claims a batch
    record_s: float = 0.0  # the transaction that records the outcomes
    other_db_s: float = 0.0  # signer keys and block list reads
    batches: list[int] = field(default_factory=list)

    @property
    def send_s(self) -> float:
        """Signing and POSTing, the batch's concurrency tail included."""
        return self.seconds - self.claim_s - self.record_s - self.other_db_s

    def to_json(self) -> dict[str, Any]:
        return {
            "seconds": self.seconds,
            "deliver_due_calls": self.calls,
            "delivered": self.delivered,
            "per_s": self.delivered / self.seconds if self.seconds else None,
            "claim_s": self.claim_s,
            "record_s": self.record_s,
            "other_db_s": self.other_db_s,
            "send_s": self.send_s,
        }


async def drain(side: Side, *, expected: int, time_limit: float) -> Drain:
    """Call deliver_due until it finds nothing due; bounded in calls and in time."""
    result = Drain()
    max_calls = expected // 50 + 20  # BATCH is 200: plenty of slack, still bounded
    deadline = time.monotonic() + time_limit
    start = time.perf_counter()
    while result.calls < max_calls:
        if time.monotonic() > deadline:
            raise BenchError(f"draining did not finish within {time_limit:g}s")
        side.timed_db.spans.clear()
        n = await deliver_due(side.fed, WORKER)
        result.calls += 1
        transactions = [s for kind, s in side.timed_db.spans if kind == "transaction"]
        connections = [s for kind, s in side.timed_db.spans if kind == "connection"]
        if transactions:
            result.claim_s += transactions[0]
        if n and len(transactions) >= 2:
            result.record_s += transactions[-1]
            result.other_db_s += sum(transactions[1:-1])
        result.other_db_s += sum(connections)
        if n == 0:
            break
        result.delivered += n
        result.batches.append(n)
    else:
        raise BenchError(f"still deliveries due after {max_calls} deliver_due calls")
    result.seconds = time.perf_counter() - start
    return result


async def states(side: Side) -> dict[str, int]:
    async with side.db.connection() as conn:
        return await delivery_store.count_by_state(conn)

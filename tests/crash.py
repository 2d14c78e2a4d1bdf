"""Crash safety under ``kill -9``: signed activities, real processes, a real peer (issue 8).

One run (:func:`run`) of an instance on SQLite or PostgreSQL:

- **The peer** (:class:`Peer`) is an HTTP/1.1 server on 127.0.0.1 in this process. It serves
  the actor documents of many remote people (one shared RSA key, each its own key id) and
  records every POST to their inboxes: a receiver that deduplicates by activity id.
- **The activities** are signed (draft-cavage, RSA-SHA256, with the project's own signer)
  before the clock starts. Each remote person sends three, shuffled together: a Follow of
  ``alice`` (effect: one follower row and one Accept queued back to the person's inbox), a
  Like of alice's skill note (effect: one endorsement and one notification) and a Create of
  a Note (effect: one stored object). Every effect is a countable row.
- **The sender** (:class:`Sender`) posts them over keep-alive connections, concurrently. A
  202 is recorded; a request written but not answered because the server died is
  *unknown*: it may or may not have been stored. Unknowns are re-signed and sent again
  after the restart, as a real peer retries, and a sample of accepted ones is sent twice on
  purpose: the same id must never double an effect.
- **The kills**: SIGKILL at random moments, chosen as random points of progress (requests
  answered for the web server, inbox items processed for the workers), so that they land
  while work is in flight whatever the machine's speed. A killed process is restarted after
  a random pause. Rows leased by a killed worker would come back by themselves when the
  two-minute lease ends; rather than wait, the run moves the end of those leases (matched
  by the dead process id) into the past, as the passing of time would.
- **The checks** (:func:`check`), once everything is drained: every 202 was durable (in the
  inbox queue right after the sending, before anything was resent), every activity's
  effect exists exactly once (rows counted, duplicates named), every Accept that was
  queued arrived at the peer at least once, and duplicate arrivals are counted.

``python -m pytest tests/test_crash_safety.py`` runs it on both databases;
``make crash`` runs 10,000 activities per database and prints the figures.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import math
import random
import re
import signal
import socket
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from sqlalchemy import Table, func, select, update

from fediverse_skills.federation.signatures import sign_cavage
from fediverse_skills.store.db import Database
from fediverse_skills.store.tables import (
    deliveries,
    endorsements,
    follows,
    inbox_items,
    notes,
    notifications,
    outgoing_activities,
    remote_objects,
)
from tests.processes import clean_env, cli, free_port
from tests.security.remote import RemoteServer, Reply, Seen, json_reply

AS = "https://www.w3.org/ns/activitystreams"
AS2 = "application/activity+json"
PUBLIC = f"{AS}#Public"
HOST = "127.0.0.1"
USER = "alice"
CONCURRENCY = 32
DUPLICATE_SAMPLE = 0.02  # of the accepted activities, sent a second time on purpose


# ----------------------------------------------------------------------------- the peer


@dataclass(frozen=True)
class Arrival:
    """One POST that reached the peer."""

    path: str
    id: str
    type: str
    object_id: str | None  # for an Accept: the Follow it accepts


class Peer:
    """Remote people on one origin: ``GET /people/N`` is N's actor document and
    ``POST /people/N/inbox`` is recorded (202)."""

    def __init__(self, public_pem: str) -> None:
        self.public_pem = public_pem
        self.arrivals: list[Arrival] = []
        self.fetches = 0
        self.server = RemoteServer((HOST,), fallback=self._answer, record=False, backlog=1024)

    @property
    def port(self) -> int:
        return self.server.port

    @property
    def origin(self) -> str:
        return f"http://{HOST}:{self.port}"

    def actor(self, n: int) -> str:
        return f"{self.origin}/people/{n}"

    def inbox(self, n: int) -> str:
        return f"{self.actor(n)}/inbox"

    def document(self, n: int) -> dict[str, Any]:
        uri = self.actor(n)
        return {
            "@context": [AS, "https://w3id.org/security/v1"],
            "id": uri,
            "type": "Person",
            "preferredUsername": f"p{n}",
            "inbox": f"{uri}/inbox",
            "outbox": f"{uri}/outbox",
            "followers": f"{uri}/followers",
            "publicKey": {"id": f"{uri}#main-key", "owner": uri, "publicKeyPem": self.public_pem},
        }

    async def start(self) -> Peer:
        await self.server.start()
        return self

    async def stop(self) -> None:
        await self.server.stop()

    def _answer(self, seen: Seen) -> Reply:
        found = re.fullmatch(r"/people/(\d+)(/inbox)?", seen.path)
        if found is None:
            return Reply(404)
        if seen.method == "GET" and found.group(2) is None:
            self.fetches += 1
            return json_reply(self.document(int(found.group(1))))
        if seen.method == "POST" and found.group(2) is not None:
            doc = json.loads(seen.body)
            obj = doc.get("object")
            object_id = obj.get("id") if isinstance(obj, dict) else obj
            self.arrivals.append(
                Arrival(seen.path, str(doc.get("id")), str(doc.get("type")), object_id)
            )
            return Reply(202)
        return Reply(405)


# ----------------------------------------------------------------------------- activities


@dataclass(frozen=True)
class Activity:
    id: str
    type: str  # Follow | Like | Create
    person: int  # the sender, an index into the peer's people
    body: bytes
    path: str  # alice's inbox or the shared inbox
    object_id: str  # the Note of a Create; what is followed or liked otherwise


def plan(
    count: int, peer: Peer, followee: str, skill_note: str, rng: random.Random
) -> list[Activity]:
    """``count`` activities: per person a Follow, a Like and a Create, shuffled."""
    people = math.ceil(count / 3)
    made: list[Activity] = []
    for n in range(people):
        actor = peer.actor(n)
        note: dict[str, Any] = {
            "id": f"{actor}/notes/{n}",
            "type": "Note",
            "attributedTo": actor,
            "to": [PUBLIC],
            "content": f"<p>Crash test note {n}</p>",
        }
        docs: list[dict[str, Any]] = [
            {"id": f"{actor}/follows/{n}", "type": "Follow", "object": followee},
            {"id": f"{actor}/likes/{n}", "type": "Like", "object": skill_note},
            {"id": f"{actor}/notes/{n}/create", "type": "Create", "to": [PUBLIC], "object": note},
        ]
        for i, doc in enumerate(docs):
            full = {"@context": AS, "actor": actor, **doc}
            body = json.dumps(full, separators=(",", ":")).encode()
            obj = doc["object"]
            object_id = str(obj["id"] if isinstance(obj, dict) else obj)
            path = "/inbox" if (n + i) % 2 else f"/users/{USER}/inbox"
            made.append(Activity(str(doc["id"]), str(doc["type"]), n, body, path, object_id))
    # The three kinds equally represented when count is not a multiple of three.
    kept = [a for a in made if a.type == "Follow"][: (count + 2) // 3]
    kept += [a for a in made if a.type == "Like"][: (count + 1) // 3]
    kept += [a for a in made if a.type == "Create"][: count // 3]
    rng.shuffle(kept)
    return kept


def signed_request(activity: Activity, *, port: int, peer: Peer, key: rsa.RSAPrivateKey) -> bytes:
    """The complete HTTP/1.1 request, signed now (draft-cavage), as a peer sends it."""
    host = f"{HOST}:{port}"
    headers = {"Host": host, "User-Agent": "crash-test-peer", "Content-Type": AS2}
    headers.update(
        sign_cavage(
            "POST",
            f"http://{host}{activity.path}",
            headers,
            activity.body,
            key_id=f"{peer.actor(activity.person)}#main-key",
            private_key=key,
        )
    )
    headers["Content-Length"] = str(len(activity.body))
    head = f"POST {activity.path} HTTP/1.1\r\n" + "".join(
        f"{k}: {v}\r\n" for k, v in headers.items()
    )
    return head.encode("latin-1") + b"\r\n" + activity.body


# ----------------------------------------------------------------------------- the sender


class _Lost(Exception):
    """The connection ended before a complete answer."""


async def _read_answer(reader: asyncio.StreamReader) -> tuple[int, bool]:
    """(status, the server closes the connection) of one HTTP/1.1 response."""
    try:
        head = await reader.readuntil(b"\r\n\r\n")
        lower = head.lower()
        marker = lower.find(b"\r\ncontent-length:")
        length = 0
        if marker >= 0:
            end = lower.index(b"\r\n", marker + 2)
            length = int(lower[marker + 17 : end])
        if length:
            await reader.readexactly(length)
    except (asyncio.IncompleteReadError, asyncio.LimitOverrunError, ConnectionError) as exc:
        raise _Lost(type(exc).__name__) from None
    return int(head[9:12]), b"\r\nconnection: close" in lower


@dataclass
class Sender:
    """Posts pre-signed requests over ``concurrency`` keep-alive connections."""

    port: int
    concurrency: int = CONCURRENCY
    statuses: dict[str, list[int]] = field(default_factory=dict)  # activity id -> answers
    answered: int = 0  # requests that got an answer or were lost (progress, for the kills)
    lost: int = 0  # requests written whose answer never came

    async def send(
        self, batch: Sequence[tuple[Activity, bytes]], deadline: float
    ) -> list[Activity]:
        """Send each request once. Returns the activities whose outcome is unknown.

        A request that could not even be written (the server is down: no connection) is
        not unknown: it waits for the server and is sent then."""
        items = iter(batch)
        unknown: list[Activity] = []

        async def slot() -> None:
            conn: tuple[asyncio.StreamReader, asyncio.StreamWriter] | None = None
            try:
                for activity, raw in items:
                    while True:
                        if time.monotonic() > deadline:
                            raise TimeoutError("the sender ran out of time")
                        if conn is not None and (conn[0].at_eof() or conn[1].is_closing()):
                            conn[1].close()
                            conn = None
                        if conn is None:
                            try:
                                conn = await asyncio.wait_for(
                                    asyncio.open_connection(HOST, self.port), 5
                                )
                            except (OSError, TimeoutError):
                                await asyncio.sleep(0.05)  # the server is down: wait for it
                                continue
                        reader, writer = conn
                        try:
                            writer.write(raw)
                            status, close = await asyncio.wait_for(_read_answer(reader), 60)
                        except (_Lost, OSError, TimeoutError):
                            writer.close()
                            conn = None
                            unknown.append(activity)
                            self.lost += 1
                            break
                        self.statuses.setdefault(activity.id, []).append(status)
                        if close:
                            writer.close()
                            conn = None
                        break
                    self.answered += 1
            finally:
                if conn is not None:
                    conn[1].close()

        await asyncio.gather(*(slot() for _ in range(self.concurrency)))
        return unknown

    def accepted(self, activity_id: str) -> bool:
        return 202 in self.statuses.get(activity_id, [])


# ----------------------------------------------------------------------------- processes


@dataclass
class Proc:
    """``fediverse-skills serve`` or ``worker`` as a child process; every start has its
    own log file, so the logs of killed processes are kept."""

    name: str
    args: list[str]
    env: dict[str, str]
    cwd: Path
    popen: subprocess.Popen[bytes] | None = None
    logs: list[Path] = field(default_factory=list)

    def start(self) -> None:
        log = self.cwd / f"{self.name}-{len(self.logs) + 1}.log"
        self.logs.append(log)
        with log.open("wb") as out:
            self.popen = subprocess.Popen(
                [sys.executable, "-m", "fediverse_skills", *self.args],
                env=self.env,
                cwd=self.cwd,
                stdout=out,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
            )

    def kill(self) -> int:
        """SIGKILL, and reap. Returns the dead process's id."""
        assert self.popen is not None
        pid = self.popen.pid
        self.popen.send_signal(signal.SIGKILL)
        self.popen.wait()
        return pid

    def stop(self) -> None:
        if self.popen is None:
            return
        if self.popen.poll() is None:
            self.popen.terminate()
            try:
                self.popen.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.popen.kill()
                self.popen.wait()

    def running(self) -> bool:
        return self.popen is not None and self.popen.poll() is None

    def tail(self, size: int = 3000) -> str:
        text = "\n".join(
            f"--- {p.name}\n{p.read_text(errors='replace')}" for p in self.logs if p.exists()
        )
        return text[-size:]


async def wait_healthy(proc: Proc, url: str, within: float = 60) -> None:
    deadline = time.monotonic() + within
    async with httpx.AsyncClient(timeout=2) as http:
        while time.monotonic() < deadline:
            if not proc.running():
                raise AssertionError(f"{proc.name} exited:\n{proc.tail()}")
            with contextlib.suppress(httpx.HTTPError):
                if (await http.get(f"{url}/healthz")).status_code == 200:
                    return
            await asyncio.sleep(0.05)
    raise AssertionError(f"{proc.name} not healthy after {within}s:\n{proc.tail()}")


async def expire_leases(db: Database, pid: int) -> int:
    """End the leases a dead process held (its worker id is ``host:pid:random``), as the
    lease's two minutes passing would. Returns how many rows come back."""
    prefix = f"{socket.gethostname()}:{pid}:%"
    past = datetime.now(UTC) - timedelta(seconds=1)
    freed = 0
    async with db.transaction() as conn:
        for table in (inbox_items, deliveries):
            result = await conn.execute(
                update(table)
                .where(table.c.locked_by.like(prefix), table.c.state == "pending")
                .values(locked_until=past)
            )
            freed += int(result.rowcount)
    return freed


# ----------------------------------------------------------------------------- a run


@dataclass(frozen=True)
class Setup:
    backend: str  # sqlite | postgres
    root: Path
    database_url: str
    workers: int  # separate `worker` processes; 0: the worker runs inside `serve`
    activities: int
    kills: int
    seed: int


@dataclass(frozen=True)
class Kill:
    target: str  # server | worker
    metric: str  # answered (requests answered) | processed (inbox items done)
    at: int


@dataclass
class Figures:
    backend: str
    processes: str
    seed: int
    activities: int = 0
    accepted_first_pass: int = 0
    unknown_first_pass: int = 0
    unknown_stored: int = 0  # of the unknowns, stored before the kill (seen after it)
    unknown_resent: int = 0  # resends of unknowns, all rounds
    resend_rounds: int = 0
    duplicates_sent: int = 0  # accepted activities sent again on purpose
    other_statuses: dict[str, int] = field(default_factory=dict)
    kills: int = 0  # SIGKILLs sent
    kills_server: int = 0  # of them, to serve
    kills_worker: int = 0
    leases_expired: int = 0
    kill_log: list[str] = field(default_factory=list)
    follows: int = 0
    likes: int = 0
    creates: int = 0
    accepts_queued: int = 0
    sink_posts: int = 0
    sink_distinct: int = 0
    sink_duplicates: int = 0
    actor_fetches: int = 0
    sign_s: float = 0.0
    send_s: float = 0.0
    wall_s: float = 0.0  # first request sent -> everything drained
    total_s: float = 0.0  # setup included

    def report(self) -> str:
        lines = [
            f"crash safety on {self.backend} ({self.processes}), seed {self.seed}",
            f"  activities {self.activities} (follows {self.follows}, likes {self.likes}, "
            f"creates {self.creates}); signed in {self.sign_s:.1f}s",
            f"  first pass: 202 {self.accepted_first_pass}, unknown {self.unknown_first_pass}, "
            f"other {self.other_statuses or 'none'}; sent in {self.send_s:.1f}s",
            f"  unknowns: {self.unknown_stored} had been stored before the kill; "
            f"resent {self.unknown_resent} in {self.resend_rounds} round(s); "
            f"accepted ones resent on purpose {self.duplicates_sent}",
            f"  SIGKILLs {self.kills}: server hit {self.kills_server}, "
            f"worker hit {self.kills_worker}; "
            f"leased rows handed back {self.leases_expired}",
            *(f"    {line}" for line in self.kill_log),
            f"  Accepts queued {self.accepts_queued}; at the peer {self.sink_posts} POSTs, "
            f"{self.sink_distinct} distinct, {self.sink_duplicates} duplicates; "
            f"actor fetches {self.actor_fetches}",
            f"  wall time {self.wall_s:.1f}s (first request to drained), "
            f"{self.total_s:.1f}s with setup",
        ]
        return "\n".join(lines)


class Run:
    def __init__(self, setup: Setup) -> None:
        self.setup = setup
        self.rng = random.Random(setup.seed)
        self.port = free_port()
        self.url = f"http://{HOST}:{self.port}"
        settings = {
            "BASE_URL": self.url,
            "DATABASE_URL": setup.database_url,
            "ALLOW_PRIVATE_ADDRESSES": "true",
            "SECRET_KEY": "crash-test-secret-" + "k" * 32,
            "LOG_LEVEL": "warning",
            # Off: one peer sends thousands of activities a minute on purpose.
            "INBOX_RATE_LIMIT": "0",
            "API_RATE_LIMIT": "0",
        }
        self.env = clean_env(**settings)
        self.server = Proc(
            "serve", ["serve", "--host", HOST, "--port", str(self.port)], self.env, setup.root
        )
        self.workers = [
            Proc(f"worker{i + 1}", ["worker"], self.env, setup.root) for i in range(setup.workers)
        ]
        self.figures = Figures(
            setup.backend,
            f"serve + {setup.workers} worker processes"
            if setup.workers
            else "serve with its in-process worker",
            setup.seed,
        )
        self.problems: list[str] = []

    # -- setup

    def prepare(self) -> str:
        """Migrate, create alice and an API token; returns the token."""
        self.setup.root.mkdir(parents=True, exist_ok=True)
        for args in (["migrate"], ["create-user", USER]):
            done = cli(*args, env=self.env, cwd=self.setup.root)
            assert done.returncode == 0, done.stderr
        token = cli("token", "create", USER, env=self.env, cwd=self.setup.root)
        assert token.returncode == 0, token.stderr
        return token.stdout.strip()

    async def skill_note(self, db: Database, token: str) -> str:
        """Alice declares a skill (before anyone follows her); the URI of its note."""
        async with httpx.AsyncClient(timeout=30) as http:
            made = await http.post(
                f"{self.url}/api/v1/skills",
                json={"skill": "Python"},
                headers={"Authorization": f"Bearer {token}"},
            )
        assert made.status_code == 201, made.text
        async with db.connection() as conn:
            public_id = (
                await conn.execute(select(notes.c.public_id).where(notes.c.kind == "skill"))
            ).scalar_one()
        return f"{self.url}/users/{USER}/notes/{public_id}"

    # -- the kills

    def kill_plan(self) -> list[Kill]:
        n = self.setup.activities
        kills = self.setup.kills
        on_server = kills // 2 if self.setup.workers else kills
        plan: list[Kill] = []
        # The web server dies while requests arrive; workers (or serve with its worker)
        # while the inbox is being processed, before it is drained.
        for i in range(kills):
            if i < (kills + 1) // 2:
                target = "server" if i < on_server else "worker"
                plan.append(Kill(target, "answered", int(n * self.rng.uniform(0.05, 0.9))))
            else:
                target = "worker" if self.setup.workers else "server"
                plan.append(Kill(target, "processed", int(n * self.rng.uniform(0.1, 0.9))))
        if not plan:
            return plan
        if self.setup.workers and not any(k.target == "server" for k in plan):
            plan[0] = Kill("server", plan[0].metric, plan[0].at)
        if self.setup.workers and not any(k.target == "worker" for k in plan):
            plan[-1] = Kill("worker", plan[-1].metric, plan[-1].at)
        return plan

    async def processed(self, db: Database) -> int:
        async with db.connection() as conn:
            return int(
                (
                    await conn.execute(
                        select(func.count())
                        .select_from(inbox_items)
                        .where(inbox_items.c.state != "pending")
                    )
                ).scalar_one()
            )

    async def killer(self, db: Database, sender: Sender, plan: list[Kill], deadline: float) -> None:
        pending = list(plan)
        done_count = 0
        last_poll = 0.0
        while pending and time.monotonic() < deadline:
            if time.monotonic() - last_poll > 0.2:
                done_count = await self.processed(db)
                last_poll = time.monotonic()
            due = [
                k
                for k in pending
                if (k.metric == "answered" and sender.answered >= k.at)
                or (k.metric == "processed" and done_count >= k.at)
            ]
            if not due:
                await asyncio.sleep(0.02)
                continue
            kill = due[0]
            pending.remove(kill)
            await self.kill(db, kill, sender.answered, done_count)
        for kill in pending:
            self.problems.append(f"kill {kill} never came due")

    async def kill(self, db: Database, kill: Kill, answered: int, processed: int) -> None:
        proc = self.server if kill.target == "server" else self.rng.choice(self.workers)
        if not proc.running():
            self.problems.append(f"{proc.name} exited by itself:\n{proc.tail()}")
        killed_at = time.monotonic()
        pid = proc.kill()
        # The lease a dead process held ends (two minutes later, in real time).
        freed = await expire_leases(db, pid)
        self.figures.leases_expired += freed
        pause = self.rng.uniform(0.0, 0.5)
        await asyncio.sleep(pause)
        proc.start()
        self.figures.kills += 1
        if proc is self.server:
            self.figures.kills_server += 1
            if not self.workers:
                self.figures.kills_worker += 1  # the in-process worker dies with serve
            await wait_healthy(proc, self.url)
        else:
            self.figures.kills_worker += 1
        self.figures.kill_log.append(
            f"SIGKILL {proc.name} (pid {pid}) at {answered} answered / {processed} processed "
            f"[{kill.metric} >= {kill.at}]; {freed} leased rows handed back; "
            f"restarted after {pause:.2f}s, up again {time.monotonic() - killed_at:.2f}s "
            f"after the kill"
        )

    # -- draining

    async def drained(self, db: Database) -> bool:
        async with db.connection() as conn:
            waiting = 0
            for table in (inbox_items, deliveries):
                waiting += int(
                    (
                        await conn.execute(
                            select(func.count())
                            .select_from(table)
                            .where(table.c.state == "pending")
                        )
                    ).scalar_one()
                )
            stored = int(
                (await conn.execute(select(func.count()).select_from(inbox_items))).scalar_one()
            )
        return waiting == 0 and stored >= self.setup.activities

    async def wait_drained(self, db: Database, within: float) -> None:
        deadline = time.monotonic() + within
        while time.monotonic() < deadline:
            if await self.drained(db):
                return
            await asyncio.sleep(0.2)
        async with db.connection() as conn:
            rows = (
                await conn.execute(
                    select(inbox_items.c.state, func.count()).group_by(inbox_items.c.state)
                )
            ).all()
            drows = (
                await conn.execute(
                    select(deliveries.c.state, func.count()).group_by(deliveries.c.state)
                )
            ).all()
            errors = (
                await conn.execute(
                    select(inbox_items.c.last_error)
                    .where(inbox_items.c.last_error.is_not(None))
                    .limit(3)
                )
            ).all()
        self.problems.append(
            f"not drained within {within:.0f}s: inbox {dict(rows)}, deliveries {dict(drows)}, "
            f"errors {errors}"
        )

    # -- the whole run

    async def main(self, token: str) -> None:
        setup = self.setup
        started = time.monotonic()
        key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        pem = (
            key.public_key()
            .public_bytes(
                serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
            )
            .decode("ascii")
        )
        peer = await Peer(pem).start()
        db = Database.open(setup.database_url)
        try:
            self.server.start()
            await wait_healthy(self.server, self.url)
            for worker in self.workers:
                worker.start()
            note = await self.skill_note(db, token)
            activities = plan(setup.activities, peer, f"{self.url}/users/{USER}", note, self.rng)
            signing = time.monotonic()
            batch = [(a, signed_request(a, port=self.port, peer=peer, key=key)) for a in activities]
            self.figures.sign_s = time.monotonic() - signing
            await self.exercise(db, peer, key, activities, batch)
            self.figures.total_s = time.monotonic() - started
            for proc in [self.server, *self.workers]:
                if not proc.running():
                    self.problems.append(f"{proc.name} exited by itself:\n{proc.tail()}")
            await check(db, self, peer, activities)
        finally:
            for proc in [*self.workers, self.server]:
                proc.stop()
            await db.close()
            await peer.stop()

    async def exercise(
        self,
        db: Database,
        peer: Peer,
        key: rsa.RSAPrivateKey,
        activities: list[Activity],
        batch: list[tuple[Activity, bytes]],
    ) -> None:
        n = len(activities)
        budget = 120 + n / 20  # seconds; a bound, far above what a run takes
        t0 = time.monotonic()
        deadline = t0 + budget
        sender = Sender(self.port)
        plan_ = self.kill_plan()
        killing = asyncio.create_task(self.killer(db, sender, plan_, deadline))
        try:
            unknown = await sender.send(batch, deadline)
            self.figures.send_s = time.monotonic() - t0
            self.figures.activities = n
            self.figures.accepted_first_pass = sum(1 for a in activities if sender.accepted(a.id))
            self.figures.unknown_first_pass = len(unknown)
            # 202 means stored: before anything is resent, every accepted id is in the queue.
            await self.check_durable(
                db, [a.id for a in activities if sender.accepted(a.id)], unknown
            )
            # The peer retries what it does not know the fate of (signed afresh), and sends
            # a few accepted activities again, as peers do after a timeout.
            accepted = [a for a in activities if sender.accepted(a.id)]
            again = self.rng.sample(accepted, int(len(accepted) * DUPLICATE_SAMPLE))
            self.figures.duplicates_sent = len(again)
            todo = unknown + again
            rounds = 0
            while todo and rounds < 10:
                rounds += 1
                self.figures.unknown_resent += sum(1 for a in todo if a in unknown)
                resent = [(a, signed_request(a, port=self.port, peer=peer, key=key)) for a in todo]
                unknown = await sender.send(resent, deadline)
                todo = unknown
            self.figures.resend_rounds = rounds
            if todo:
                self.problems.append(f"{len(todo)} activities still unknown after {rounds} rounds")
            await killing
        finally:
            if not killing.done():
                killing.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await killing
        await self.wait_drained(db, max(5.0, deadline - time.monotonic()))
        self.figures.wall_s = time.monotonic() - t0
        others: Counter[str] = Counter()
        for a in activities:
            answers = sender.statuses.get(a.id, [])
            for status in answers:
                if status != 202:
                    others[str(status)] += 1
            if 202 not in answers:
                self.problems.append(f"{a.type} {a.id} never answered 202: {answers}")
        self.figures.other_statuses = dict(others)

    async def check_durable(
        self, db: Database, accepted: list[str], unknown: list[Activity]
    ) -> None:
        async with db.connection() as conn:
            stored = {r[0] for r in await conn.execute(select(inbox_items.c.activity_uri))}
        # Unknowns the server had stored before it died: their resend must change nothing.
        self.figures.unknown_stored = sum(1 for a in unknown if a.id in stored)
        missing = [i for i in accepted if i not in stored]
        if missing:
            self.problems.append(
                f"{len(missing)} activities answered 202 are not in the inbox queue "
                f"(lost by a kill): {missing[:5]}"
            )


# ----------------------------------------------------------------------------- the checks


def _duplicates(counts: Counter[str], expected: set[str], what: str) -> list[str]:
    problems = []
    doubled = {k: v for k, v in counts.items() if v > 1}
    if doubled:
        sample = dict(list(doubled.items())[:5])
        problems.append(f"{what}: {len(doubled)} doubled, e.g. {sample}")
    missing = expected - set(counts)
    if missing:
        problems.append(f"{what}: {len(missing)} missing, e.g. {sorted(missing)[:5]}")
    extra = set(counts) - expected
    if extra:
        problems.append(f"{what}: {len(extra)} unexpected, e.g. {sorted(extra)[:5]}")
    return problems


async def _column(db: Database, table: Table, column: str, *where: Any) -> list[Any]:
    async with db.connection() as conn:
        return [r[0] for r in await conn.execute(select(table.c[column]).where(*where))]


async def check(db: Database, run: Run, peer: Peer, activities: list[Activity]) -> None:
    """Every activity's effect exists exactly once; every queued Accept arrived."""
    figures = run.figures
    by_type: dict[str, list[Activity]] = {"Follow": [], "Like": [], "Create": []}
    for a in activities:
        by_type[a.type].append(a)
    figures.follows = len(by_type["Follow"])
    figures.likes = len(by_type["Like"])
    figures.creates = len(by_type["Create"])
    problems = run.problems
    me = f"{run.url}/users/{USER}"
    ours = {a.id for a in activities}

    # The inbox queue: each activity once, each processed (none failed).
    rows = await _column(db, inbox_items, "activity_uri")
    problems += _duplicates(Counter(rows), ours, "inbox items")
    failed = await _column(db, inbox_items, "last_error", inbox_items.c.state != "done")
    if failed:
        problems.append(f"{len(failed)} inbox items not done: {failed[:3]}")

    # Follow: one follower row, accepted, named by the Follow's id...
    follow_ids = {a.id for a in by_type["Follow"]}
    async with db.connection() as conn:
        found = (
            await conn.execute(
                select(follows.c.follower, follows.c.activity_uri, follows.c.state).where(
                    follows.c.followee == me
                )
            )
        ).all()
    problems += _duplicates(Counter(r[1] for r in found), follow_ids, "follower rows")
    problems += _duplicates(
        Counter(r[0] for r in found),
        {peer.actor(a.person) for a in by_type["Follow"]},
        "followers",
    )
    if any(r[2] != "accepted" for r in found):
        problems.append("some follows are not accepted")
    # ... and one Accept queued for it, with one delivery to the follower's inbox.
    async with db.connection() as conn:
        accepts = (
            await conn.execute(
                select(outgoing_activities.c.id, outgoing_activities.c.body).where(
                    outgoing_activities.c.type == "Accept"
                )
            )
        ).all()
        sent = (
            await conn.execute(
                select(deliveries.c.activity_id, deliveries.c.inbox, deliveries.c.state)
            )
        ).all()
    accepted_follow = {row[0]: json.loads(row[1])["object"]["id"] for row in accepts}
    figures.accepts_queued = len(accepts)
    problems += _duplicates(Counter(accepted_follow.values()), follow_ids, "Accepts queued")
    problems += _duplicates(
        Counter(str(r[0]) for r in sent), {str(i) for i in accepted_follow}, "deliveries"
    )
    not_done = [r for r in sent if r[2] != "done"]
    if not_done:
        problems.append(f"{len(not_done)} deliveries not done: {not_done[:3]}")
    inbox_of = {a.id: peer.inbox(a.person) for a in by_type["Follow"]}
    wrong = [r for r in sent if inbox_of.get(accepted_follow.get(r[0], "")) != r[1]]
    if wrong:
        problems.append(f"{len(wrong)} deliveries to the wrong inbox: {wrong[:3]}")

    # Like of the skill note: one endorsement and one notification.
    like_ids = {a.id for a in by_type["Like"]}
    problems += _duplicates(
        Counter(await _column(db, endorsements, "uri")), like_ids, "endorsements"
    )
    problems += _duplicates(
        Counter(await _column(db, notifications, "actor", notifications.c.kind == "endorsement")),
        {peer.actor(a.person) for a in by_type["Like"]},
        "endorsement notifications",
    )

    # Create of a Note: the object stored once.
    problems += _duplicates(
        Counter(await _column(db, remote_objects, "uri")),
        {a.object_id for a in by_type["Create"]},
        "stored notes",
    )

    # The peer: every queued Accept arrived at least once, at the follower's inbox;
    # duplicates are allowed (at-least-once delivery) and counted.
    arrived = [x for x in peer.arrivals if x.type == "Accept"]
    figures.sink_posts = len(arrived)
    distinct = {x.id for x in arrived}
    figures.sink_distinct = len(distinct)
    figures.sink_duplicates = len(arrived) - len(distinct)
    queued_ids = {json.loads(row[1])["id"] for row in accepts}
    missing = queued_ids - distinct
    if missing:
        problems.append(f"{len(missing)} queued Accepts never arrived: {sorted(missing)[:5]}")
    if distinct - queued_ids:
        problems.append(
            f"the peer got Accepts that were not queued: {sorted(distinct - queued_ids)[:5]}"
        )
    misrouted = [x for x in arrived if f"{peer.origin}{x.path}" != inbox_of.get(x.object_id or "")]
    if misrouted:
        problems.append(f"{len(misrouted)} Accepts reached the wrong inbox: {misrouted[:3]}")
    figures.actor_fetches = peer.fetches

    if figures.kills < run.setup.kills:
        problems.append("fewer kills than planned")


def run(setup: Setup) -> tuple[Figures, list[str]]:
    """One crash-safety run; returns its figures and the problems found (none: passed)."""
    crash_run = Run(setup)
    token = crash_run.prepare()
    asyncio.run(crash_run.main(token))
    return crash_run.figures, crash_run.problems


def logs(setup: Setup) -> str:
    """The tail of every process log of a run (for a failure message)."""
    parts = []
    for path in sorted(setup.root.glob("*.log")):
        parts.append(f"--- {path.name}\n{path.read_text(errors='replace')[-2000:]}")
    return "\n".join(parts)

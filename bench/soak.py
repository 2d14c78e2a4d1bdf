"""Soak: minutes of mixed traffic at the highest rate the box holds (``make soak``).

``python -m bench.soak [--duration 300] [--database sqlite|postgresql]``

A real deployment on 127.0.0.1: ``fediverse-skills serve`` with its worker (on SQLite the
worker runs inside ``serve``, as ``FEDSKILLS_IN_PROCESS_WORKER=auto`` does by default; on
PostgreSQL ``serve`` plus one ``fediverse-skills worker`` process, as the deployment docs
run it). The database is migrated and four local users with a bearer token each are made
with the service calls behind ``migrate``, ``create-user`` and ``token create``; each
declares skills through the JSON API. Rate limits are off (all traffic comes from one
address). Remote people live on a small HTTP
server in this process: it serves their actor documents (with their RSA keys, so our server
fetches each key once and then uses its cache) and answers 202 to what our worker delivers
to them.

A separate process (``bench/loadgen.py --sessions``) sends, closed loop over keep-alive
connections (or paced, with ``--rate``), a fixed interleaving of:

* signed inbox POSTs, each with its own activity id (draft-cavage RSA-SHA256, signed before
  the clock starts): ``Create(Note)`` to the shared inbox (stored), ``Like`` of a skill note
  (a light endorsement, stored once per person and skill), ``Follow`` (answered with an
  ``Accept`` that the worker delivers);
* public profile reads: the HTML page ``/@user``, the AS2 actor, the AS2 skills page;
* API writes with a bearer token: a note (delivered to followers), a profile change (an
  ``Update`` to followers), and a three-step session on one connection: a user adds a new
  skill, another user endorses it, the first removes it again (so the data stays bounded).

Every request is expected to answer 2xx. First the knee: short probes at rising
concurrency; the smallest concurrency within 5 % of the best throughput is kept. Then a
warm-up at that load (``--warmup``, 120 s: the RSS reaches its plateau after some 20,000
requests, as the allocator's per-thread arenas and SQLite's page caches fill), then the
soak itself for ``--duration`` seconds. The RSS of the server (and of the worker process)
and the worker's queues are read when the soak starts, every ``--sample-every`` seconds,
and at the end. Afterwards the worker works alone for up to ``--drain-seconds``, to show
how fast it empties what is left.

Prints a table and writes ``bench/results/soak-<timestamp>.json``. Exits 1 when a goal is
missed (any error, or RSS at the end more than 10 % away from the start) or when the run
could not be carried out.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import re
import secrets
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
import uuid
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from bench.common import HOST, PYTHON, ROOT, BenchError, Child, clean_env, free_port
from bench.loadgen import Labelled, write_sessions
from fediverse_skills import config
from fediverse_skills.domain import skills as skill_rules
from fediverse_skills.federation.keys import generate_actor_keys
from fediverse_skills.federation.signatures import private_key_from_pem, sign_cavage
from fediverse_skills.federation.uris import LocalUris
from fediverse_skills.services import accounts, tokens
from fediverse_skills.store import deliveries as delivery_store
from fediverse_skills.store import inbox as inbox_store
from fediverse_skills.store import notes as note_store
from fediverse_skills.store import users as user_store
from fediverse_skills.store.db import Database
from fediverse_skills.store.migrations import upgrade

AS = "https://www.w3.org/ns/activitystreams"
RESULTS = ROOT / "bench" / "results"
GOAL_ERRORS = 0
GOAL_RSS_CHANGE = 0.10  # |end - start| / start
USERS = ("alice", "bob", "carol", "dave")
SKILLS_PER_USER = 6
REMOTE_PEOPLE = 12
PROBE_LEVELS = (4, 8, 16, 32, 64)
KNEE_SHARE = 0.95  # the smallest concurrency within 5 % of the best throughput
POOL_MARGIN = 1.6  # sessions signed for the soak: the probed rate times this
RATE_CONNECTIONS = 64  # senders for --rate, so that a slow answer does not hold it back
UNPROBED = 400.0  # requests a second assumed to size the pool when nothing was probed
PG_ADMIN_URL = "postgresql://postgres@127.0.0.1:5432/postgres"

# One cycle of the mix, in the order it is sent (sessions; the three-step one counts 3).
CYCLE = (
    "inbox:create",
    "read:html",
    "inbox:like",
    "read:as2-actor",
    "api:note",
    "inbox:create",
    "read:as2-skills",
    "inbox:follow",
    "read:html",
    "api:skill-session",
    "inbox:create",
    "read:as2-actor",
    "inbox:like",
    "read:as2-skills",
    "api:profile",
    "inbox:create",
    "read:html",
    "inbox:follow",
    "read:as2-actor",
)
REQUESTS_PER_CYCLE = len(CYCLE) + 2 * CYCLE.count("api:skill-session")


# ----------------------------------------------------------------------------- remote people


class RemotePeople:
    """People on a made-up remote instance at ``http://127.0.0.1:PORT``, in a thread of this
    process: GET ``/users/rN`` serves each one's actor document (with an RSA public key);
    a POST to ``/inbox`` or ``/users/rN/inbox`` (our worker delivering) is answered 202.

    bench.inbox.ActorServer serves one person and takes no POSTs; the soak needs several
    people who follow our users and receive what the worker sends them."""

    def __init__(self, count: int) -> None:
        self.port = free_port()
        base = f"http://{HOST}:{self.port}"
        self.keys = [generate_actor_keys() for _ in range(count)]
        self.actors = [f"{base}/users/r{i}" for i in range(count)]
        self.key_ids = [f"{a}#main-key" for a in self.actors]
        self.fetches = 0
        self.posts = 0
        self._lock = threading.Lock()
        documents: dict[str, bytes] = {}
        for i, (actor, keys) in enumerate(zip(self.actors, self.keys, strict=True)):
            doc = {
                "@context": [AS, "https://w3id.org/security/v1"],
                "id": actor,
                "type": "Person",
                "preferredUsername": f"r{i}",
                "name": f"Remote person {i}",
                "inbox": f"{actor}/inbox",
                "outbox": f"{actor}/outbox",
                "followers": f"{actor}/followers",
                "endpoints": {"sharedInbox": f"{base}/inbox"},
                "publicKey": {
                    "id": self.key_ids[i],
                    "owner": actor,
                    "publicKeyPem": keys.rsa_public_pem,
                },
            }
            documents[f"/users/r{i}"] = json.dumps(doc).encode()
        outer = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"  # keep-alive, as a real instance answers

            def _answer(self, status: int, body: bytes, kind: str = "application/json") -> None:
                self.send_response(status)
                self.send_header("Content-Type", kind)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def do_GET(self) -> None:
                doc = documents.get(self.path.split("?")[0])
                if doc is None:
                    self._answer(404, b"{}")
                    return
                with outer._lock:
                    outer.fetches += 1
                self._answer(200, doc, "application/activity+json")

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                self.rfile.read(length)
                with outer._lock:
                    outer.posts += 1
                self._answer(202, b"")

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self._server = ThreadingHTTPServer((HOST, self.port), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def __enter__(self) -> RemotePeople:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()


# ----------------------------------------------------------------------------- the mix


@dataclass
class Target:
    """What the mix needs to know about our server."""

    port: int
    tokens: dict[str, str]
    skill_notes: dict[str, list[str]]  # username -> URIs of its skill notes

    @property
    def host(self) -> str:
        return f"{HOST}:{self.port}"

    @property
    def uris(self) -> LocalUris:
        return LocalUris(f"http://{self.host}")


def _request(method: str, path: str, host: str, headers: dict[str, str], body: bytes) -> bytes:
    head = f"{method} {path} HTTP/1.1\r\nHost: {host}\r\n"
    head += "".join(f"{k}: {v}\r\n" for k, v in headers.items())
    if body or method in ("POST", "PATCH"):
        head += f"Content-Length: {len(body)}\r\n"
    return head.encode("latin-1") + b"\r\n" + body


def _get(target: Target, path: str, accept: str) -> bytes:
    return _request("GET", path, target.host, {"Accept": accept, "User-Agent": "soak"}, b"")


def _api(target: Target, user: str, method: str, path: str, data: dict[str, Any] | None) -> bytes:
    headers = {"Authorization": f"Bearer {target.tokens[user]}", "User-Agent": "soak"}
    body = b""
    if data is not None:
        headers["Content-Type"] = "application/json"
        body = json.dumps(data).encode()
    return _request(method, path, target.host, headers, body)


class Signer:
    """Signed inbox POSTs from the remote people (draft-cavage, RSA-SHA256, Digest)."""

    def __init__(self, people: RemotePeople) -> None:
        self.people = people
        self.keys = [private_key_from_pem(k.rsa_private_pem) for k in people.keys]

    def post(self, target: Target, path: str, who: int, activity: dict[str, Any]) -> bytes:
        body = json.dumps(activity, separators=(",", ":")).encode()
        headers = {
            "Host": target.host,
            "User-Agent": "soak-remote",
            "Content-Type": "application/activity+json",
        }
        headers.update(
            sign_cavage(
                "POST",
                f"http://{target.host}{path}",
                headers,
                body,
                key_id=self.people.key_ids[who],
                private_key=self.keys[who],
            )
        )
        del headers["Host"]
        return _request("POST", path, target.host, headers, body)


def _session(kind: str, n: int, target: Target, signer: Signer) -> list[Labelled]:
    """The ``n``-th session of ``kind``: its requests, labelled."""
    uris = target.uris
    user = USERS[n % len(USERS)]
    who = n % len(signer.people.actors)
    actor = signer.people.actors[who]
    uid = uuid.uuid4().hex
    if kind == "inbox:create":
        now = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        note = {
            "id": f"{actor}/statuses/{uid}",
            "type": "Note",
            "published": now,
            "attributedTo": actor,
            "to": [f"{AS}#Public"],
            "cc": [f"{actor}/followers", uris.actor(user)],
            "content": f"<p>Soak note {n}: hello <a href='{uris.actor(user)}'>@{user}</a></p>",
            "tag": [{"type": "Mention", "href": uris.actor(user), "name": f"@{user}"}],
        }
        activity = {
            "@context": AS,
            "id": f"{actor}/statuses/{uid}/activity",
            "type": "Create",
            "actor": actor,
            "published": now,
            "to": note["to"],
            "cc": note["cc"],
            "object": note,
        }
        return [(kind, signer.post(target, "/inbox", who, activity))]
    if kind == "inbox:like":
        notes = target.skill_notes[user]
        like = {
            "@context": AS,
            "id": f"{actor}/likes/{uid}",
            "type": "Like",
            "actor": actor,
            "object": notes[(n // len(USERS)) % len(notes)],
        }
        return [(kind, signer.post(target, f"/users/{user}/inbox", who, like))]
    if kind == "inbox:follow":
        follow = {
            "@context": AS,
            "id": f"{actor}/follows/{uid}",
            "type": "Follow",
            "actor": actor,
            "object": uris.actor(user),
        }
        return [(kind, signer.post(target, f"/users/{user}/inbox", who, follow))]
    if kind == "read:html":
        return [(kind, _get(target, f"/@{user}", "text/html"))]
    if kind == "read:as2-actor":
        return [(kind, _get(target, f"/users/{user}", "application/activity+json"))]
    if kind == "read:as2-skills":
        return [(kind, _get(target, f"/users/{user}/skills?page=1", "application/activity+json"))]
    if kind == "api:note":
        data = {"content": f"Soak note {n} from the API, #soak"}
        return [(kind, _api(target, user, "POST", "/api/v1/notes", data))]
    if kind == "api:profile":
        data = {"summary": f"Soak profile {n}: busy testing."}
        return [(kind, _api(target, user, "PATCH", "/api/v1/profile", data))]
    if kind == "api:skill-session":
        # One connection, in order: add a new skill, another user endorses it, remove it.
        name = f"Soakskill{n}x{secrets.token_hex(3)}"
        endorser = USERS[(n + 1) % len(USERS)]
        key = skill_rules.key(name)
        return [
            ("api:skill-add", _api(target, user, "POST", "/api/v1/skills", {"skill": name})),
            (
                "api:endorse",
                _api(
                    target,
                    endorser,
                    "POST",
                    "/api/v1/endorsements",
                    {"to": uris.actor(user), "skill": name, "comment": f"Seen it ({n})"},
                ),
            ),
            ("api:skill-remove", _api(target, user, "DELETE", f"/api/v1/skills/{key}", None)),
        ]
    raise ValueError(kind)


def sessions(target: Target, signer: Signer, first: int, cycles: int) -> Iterator[list[Labelled]]:
    """``cycles`` cycles of the mix; ``first`` numbers them (ids stay distinct across pools)."""
    for c in range(first, first + cycles):
        for position, kind in enumerate(CYCLE):
            yield _session(kind, c * len(CYCLE) + position, target, signer)


# ----------------------------------------------------------------------------- processes


def rss_kib(pid: int) -> int | None:
    """VmRSS of a process in KiB, from /proc (None once it is gone)."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    except OSError:
        return None
    return None


class RssSampler:
    """Samples the RSS of some processes (and what ``extra`` returns) every ``every``
    seconds in a thread, and once when entered and when left."""

    def __init__(
        self, pids: dict[str, int], every: float, extra: Callable[[], dict[str, Any]]
    ) -> None:
        self.pids = pids
        self.every = every
        self.extra = extra
        self.samples: list[dict[str, Any]] = []
        self._started = time.monotonic()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def sample(self) -> dict[str, Any]:
        each = {name: rss_kib(pid) for name, pid in self.pids.items()}
        entry = {
            "t_s": round(time.monotonic() - self._started, 1),
            "rss_kib": each,
            "total_kib": sum(v or 0 for v in each.values()),
        }
        entry.update(self.extra())
        self.samples.append(entry)
        return entry

    def _run(self) -> None:
        while not self._stop.wait(self.every):
            self.sample()

    def __enter__(self) -> RssSampler:
        self.sample()
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(timeout=5)
        self.sample()


def _loadgen(
    workdir: Path,
    name: str,
    port: int,
    pool: Path,
    concurrency: int,
    seconds: float,
    rate: float = 0.0,
) -> dict[str, Any]:
    out = workdir / f"{name}.json"
    args = [
        PYTHON,
        "-m",
        "bench.loadgen",
        "--port",
        str(port),
        "--sessions",
        str(pool),
        "--concurrency",
        str(concurrency),
        "--time-limit",
        str(seconds),
        "--rate",
        str(rate),
        "--out",
        str(out),
    ]
    done = subprocess.run(
        args,
        env=clean_env(),
        cwd=workdir,
        capture_output=True,
        text=True,
        timeout=seconds + 120,
        check=False,
    )
    if done.returncode != 0:
        raise BenchError(f"load generator {name} failed:\n{done.stderr[-3000:]}")
    result: dict[str, Any] = json.loads(out.read_text())
    return result


async def _make_users(database_url: str) -> dict[str, str]:
    """Migrate the database, make the local users and a bearer token each: what
    ``migrate``, ``create-user`` and ``token create`` do, in one process instead of nine."""
    db = Database.open(database_url)
    try:
        await upgrade(db)
        found = {}
        for name in USERS:
            await accounts.create_user(db, name)
            found[name] = (await tokens.create_token(db, name, "soak")).token
        return found
    finally:
        await db.close()


async def _skill_notes(database_url: str, uris: LocalUris) -> dict[str, list[str]]:
    db = Database.open(database_url)
    try:
        found: dict[str, list[str]] = {}
        async with db.connection() as conn:
            for name in USERS:
                user = await user_store.get_by_username(conn, name)
                assert user is not None
                found[name] = []
                for s in range(SKILLS_PER_USER):
                    note = await note_store.of_skill(conn, user.id, skill_rules.key(_skill(s)))
                    if note is None:
                        raise BenchError(f"{name} has no note for the skill {_skill(s)}")
                    found[name].append(uris.note(name, note.public_id))
        return found
    finally:
        await db.close()


async def _backlog(database_url: str) -> dict[str, dict[str, int]]:
    """Inbox items and deliveries by state (what the worker has done and has left)."""
    db = Database.open(database_url)
    try:
        async with db.connection() as conn:
            return {
                "inbox_items": await inbox_store.count_by_state(conn),
                "deliveries": await delivery_store.count_by_state(conn),
            }
    finally:
        await db.close()


def backlog(database_url: str) -> dict[str, Any]:
    """The queues now, and how many items are pending and done in all."""
    found = asyncio.run(_backlog(database_url))
    return {
        "queues": found,
        "pending": sum(q.get("pending", 0) for q in found.values()),
        "done": sum(q.get("done", 0) for q in found.values()),
    }


def _drain(database_url: str, seconds: float) -> dict[str, Any]:
    """Let the worker work alone (no traffic) for up to ``seconds``: how fast it empties
    the queues, and whether it does."""
    started = time.monotonic()
    first = last = backlog(database_url)
    while last["pending"] and time.monotonic() - started < seconds:
        time.sleep(2)
        last = backlog(database_url)
    elapsed = time.monotonic() - started
    processed = last["done"] - first["done"]
    return {
        "seconds": elapsed,
        "pending_before": first["pending"],
        "pending_after": last["pending"],
        "processed": processed,
        "processed_per_s": processed / elapsed if elapsed else 0.0,
        "queues_after": last["queues"],
    }


def _skill(s: int) -> str:
    return ("Python", "Rust", "Go", "PostgreSQL", "Kubernetes", "Mentoring", "Cooking")[s % 7]


def _seed_skills(target: Target) -> None:
    for name in USERS:
        for s in range(SKILLS_PER_USER):
            request = urllib.request.Request(
                f"http://{target.host}/api/v1/skills",
                data=json.dumps({"skill": _skill(s)}).encode(),
                headers={
                    "Authorization": f"Bearer {target.tokens[name]}",
                    "Content-Type": "application/json",
                },
                method="POST",
            )
            with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310
                if response.status != 201:
                    raise BenchError(f"adding a skill for {name} answered {response.status}")


def rate_limit_settings() -> dict[str, str]:
    """Rate limits off (0) for the soak's server, for the settings this version has: the
    whole soak comes from one address."""
    wanted = ("INBOX_RATE_LIMIT", "API_RATE_LIMIT")
    return {name: "0" for name in wanted if f"FEDSKILLS_{name}" in config.KNOWN_NAMES}


_EXCEPTION_LINE = re.compile(r"^[A-Za-z_][\w.]*(Error|Exception|Exit|Timeout)\b")


def _log_errors(*children: Child) -> list[str]:
    """Lines of the servers' logs at level ERROR and the exception lines of their
    tracebacks (the first 40)."""
    found: list[str] = []
    for child in children:
        if child.log_path is None or not child.log_path.exists():
            continue
        for line in child.log_path.read_text(errors="replace").splitlines():
            if " ERROR " in line or '"level": "error"' in line or _EXCEPTION_LINE.match(line):
                found.append(f"{child.name}: {line[:300]}")
    return found[:40]


def _keep_logs(children: Sequence[Child], stamp: str) -> list[str]:
    """Copy the servers' logs next to the report (when they logged errors)."""
    kept = []
    for child in children:
        if child.log_path is not None and child.log_path.exists():
            target = RESULTS / f"soak-{stamp}-{child.name}.log"
            RESULTS.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(child.log_path, target)
            kept.append(str(target))
    return kept


# ----------------------------------------------------------------------------- the run


@dataclass
class Deployment:
    workdir: Path
    database: str
    database_url: str
    env: dict[str, str]
    port: int
    children: list[Child] = field(default_factory=list)

    @property
    def pids(self) -> dict[str, int]:
        return {c.name: c.proc.pid for c in self.children if c.proc is not None}

    def check_alive(self) -> None:
        for child in self.children:
            child.check_alive()


def _postgres_admin(statement: str) -> None:
    """Run one statement on the local PostgreSQL's ``postgres`` database."""
    import asyncpg  # type: ignore[import-untyped]

    async def execute() -> None:
        conn = await asyncpg.connect(PG_ADMIN_URL, timeout=10)
        try:
            await conn.execute(statement)
        finally:
            await conn.close()

    try:
        asyncio.run(execute())
    except (OSError, asyncpg.PostgresError) as exc:
        raise BenchError(f"{statement} on {PG_ADMIN_URL} failed: {exc}") from None


def _postgres_database() -> tuple[str, str]:
    """A fresh database on the local PostgreSQL: (SQLAlchemy URL, its name)."""
    name = f"fedskills_soak_{os.getpid()}_{secrets.token_hex(3)}"
    _postgres_admin(f'CREATE DATABASE "{name}"')
    return f"postgresql+asyncpg://postgres@127.0.0.1:5432/{name}", name


def _drop_postgres_database(name: str) -> None:
    try:
        _postgres_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    except BenchError as exc:
        print(f"soak: could not drop the database: {exc}", file=sys.stderr)


def _probe(
    deployment: Deployment, target: Target, signer: Signer, args: argparse.Namespace
) -> tuple[int, list[dict[str, Any]], int]:
    """Find the knee: (chosen concurrency, the probes, cycles used so far). With
    ``--concurrency`` there is one probe at that level (it sizes the soak's pool), or none
    with ``--probe-seconds 0``."""
    if args.rate:
        return args.concurrency or RATE_CONNECTIONS, [], 0
    if args.concurrency and not args.probe_seconds:
        return args.concurrency, [], 0
    levels = [args.concurrency] if args.concurrency else list(PROBE_LEVELS)
    probes: list[dict[str, Any]] = []
    first = 0
    best = 0.0
    for level in levels:
        # Enough for 2,000 requests a second; a probe that runs out still gives its rate.
        cycles = max(10, int(2000 * args.probe_seconds / REQUESTS_PER_CYCLE))
        pool = deployment.workdir / f"probe-{level}.sessions"
        write_sessions(pool, sessions(target, signer, first, cycles))
        first += cycles
        result = _loadgen(
            deployment.workdir, f"probe-{level}", target.port, pool, level, args.probe_seconds
        )
        pool.unlink()
        deployment.check_alive()
        errors = result["non_2xx"] + sum(result["errors"].values())
        probes.append(
            {
                "concurrency": level,
                "per_s": result["per_s"],
                "p50_ms": result["p50_ms"],
                "p99_ms": result["p99_ms"],
                "requests": result["requests"],
                "errors": errors,
                "error_samples": result["error_samples"][:3],
            }
        )
        print(
            f"  probe: {level:3d} connections: {result['per_s']:7.1f} req/s, "
            f"p50 {result['p50_ms']:6.1f} ms, p99 {result['p99_ms']:7.1f} ms, {errors} errors",
            flush=True,
        )
        if (
            len(probes) >= 3
            and result["per_s"] < best * 1.05
            and probes[-2]["per_s"] < (max(p["per_s"] for p in probes[:-2]) * 1.05)
        ):
            break  # two steps without a 5 % gain: past the knee
        best = max(best, result["per_s"])
    top = max(p["per_s"] for p in probes)
    chosen = min(p["concurrency"] for p in probes if p["per_s"] >= KNEE_SHARE * top)
    return chosen, probes, first


def run(args: argparse.Namespace) -> dict[str, Any]:
    started_at = datetime.now(UTC)
    with tempfile.TemporaryDirectory(prefix="fedskills-soak-") as tmp:
        workdir = Path(tmp)
        port = free_port()
        pg_name = None
        if args.database == "postgresql":
            database_url, pg_name = _postgres_database()
        else:
            database_url = f"sqlite+aiosqlite:///{workdir / 'data' / 'fediverse-skills.db'}"
        limits = rate_limit_settings()
        env = clean_env(
            BASE_URL=f"http://{HOST}:{port}",
            DATA_DIR=str(workdir / "data"),
            DATABASE_URL=database_url,
            ALLOW_PRIVATE_ADDRESSES="true",
            LOG_LEVEL="warning",
            HOST=HOST,
            PORT=str(port),
            **limits,
        )
        deployment = Deployment(workdir, args.database, database_url, env, port)
        try:
            return _run(deployment, args, started_at, limits)
        finally:
            for child in reversed(deployment.children):
                child.stop()
            if pg_name is not None:
                _drop_postgres_database(pg_name)


def _run(
    deployment: Deployment,
    args: argparse.Namespace,
    started_at: datetime,
    limits: dict[str, str],
) -> dict[str, Any]:
    workdir, env, port = deployment.workdir, deployment.env, deployment.port
    user_tokens = asyncio.run(_make_users(deployment.database_url))
    serve = Child(
        "serve",
        [PYTHON, "-m", "fediverse_skills", "serve", "--host", HOST, "--port", str(port)],
        env,
        workdir,
    )
    deployment.children.append(serve.start())
    if args.database == "postgresql":
        worker = Child("worker", [PYTHON, "-m", "fediverse_skills", "worker"], env, workdir)
        deployment.children.append(worker.start())
    serve.wait_http(f"http://{HOST}:{port}/healthz", timeout=60)
    deployment.check_alive()
    target = Target(port, user_tokens, {})
    _seed_skills(target)
    target.skill_notes = asyncio.run(_skill_notes(deployment.database_url, target.uris))

    with RemotePeople(args.people) as people:
        signer = Signer(people)
        print(f"soak: {args.database}, finding the knee ({args.probe_seconds:g} s probes)")
        concurrency, probes, first = _probe(deployment, target, signer, args)
        probed = next((p["per_s"] for p in probes if p["concurrency"] == concurrency), UNPROBED)
        rate = args.rate or probed
        pacing = f"{args.rate:g} requests/s over " if args.rate else ""
        warmup = None
        if args.warmup:
            cycles = int(rate * args.warmup * POOL_MARGIN / REQUESTS_PER_CYCLE) + 20
            pool = workdir / "warmup.sessions"
            write_sessions(pool, sessions(target, signer, first, cycles))
            first += cycles
            print(f"soak: warm-up, {pacing}{concurrency} connections for {args.warmup:g} s")
            warmup = _loadgen(workdir, "warmup", port, pool, concurrency, args.warmup, args.rate)
            pool.unlink()
            deployment.check_alive()
        cycles = int(rate * args.duration * POOL_MARGIN / REQUESTS_PER_CYCLE) + 20
        pool = workdir / "soak.sessions"
        signing = time.perf_counter()
        count = write_sessions(pool, sessions(target, signer, first, cycles))
        signing_s = time.perf_counter() - signing
        print(
            f"soak: {pacing}{concurrency} connections for {args.duration:g} s "
            f"({count} sessions signed in {signing_s:.0f} s)",
            flush=True,
        )
        deployment.check_alive()
        fetches_before_soak = people.fetches
        sampler = RssSampler(
            deployment.pids, args.sample_every, lambda: backlog(deployment.database_url)
        )
        with sampler:
            result = _loadgen(workdir, "soak", port, pool, concurrency, args.duration, args.rate)
        deployment.check_alive()
        drained = _drain(deployment.database_url, args.drain_seconds)
        remote: dict[str, Any] = {
            "actor_document_fetches": people.fetches,
            "actor_document_fetches_during_soak": people.fetches - fetches_before_soak,
            "deliveries_received": people.posts,
        }
    if warmup is not None:
        result["warmup"] = {
            k: warmup[k] for k in ("requests", "per_s", "p50_ms", "p99_ms", "non_2xx", "errors")
        }
    log_errors = _log_errors(*deployment.children)
    if log_errors:
        remote["server_logs_kept"] = _keep_logs(deployment.children, stamp(started_at))
    return report(
        args,
        started_at,
        limits,
        probes,
        concurrency,
        result,
        sampler.samples,
        drained,
        remote,
        log_errors,
    )


def report(
    args: argparse.Namespace,
    started_at: datetime,
    limits: dict[str, str],
    probes: list[dict[str, Any]],
    concurrency: int,
    result: dict[str, Any],
    samples: list[dict[str, Any]],
    drained: dict[str, Any],
    remote: dict[str, Any],
    log_errors: list[str],
) -> dict[str, Any]:
    failed_requests = result["non_2xx"] + sum(result["errors"].values())
    total = result["requests"] + sum(result["errors"].values())
    start_rss = samples[0]["total_kib"]
    end_rss = samples[-1]["total_kib"]
    max_rss = max(s["total_kib"] for s in samples)
    change = (end_rss - start_rss) / start_rss if start_rss else float("nan")
    ran_s = result["elapsed_s"]
    goals = {
        "errors": {
            "value": failed_requests,
            "goal": f"== {GOAL_ERRORS}",
            "passed": failed_requests == GOAL_ERRORS,
        },
        "rss_change": {
            "value": change,
            "goal": f"|change| <= {GOAL_RSS_CHANGE:.0%}",
            "passed": abs(change) <= GOAL_RSS_CHANGE,
        },
        "duration": {
            "value": ran_s,
            "goal": f">= {0.98 * args.duration:g} s (the pool did not run out)",
            "passed": not result["exhausted"] and ran_s >= 0.98 * args.duration,
        },
    }

    def figures(summary: dict[str, Any]) -> dict[str, Any]:
        failed = summary["non_2xx"] + sum(summary["errors"].values())
        return {
            "requests": summary["requests"],
            "per_s": summary["requests"] / ran_s if ran_s else 0.0,
            "p50_ms": summary["p50_ms"],
            "p99_ms": summary["p99_ms"],
            "max_ms": summary["max_ms"],
            "statuses": summary["statuses"],
            "errors": failed,
            "error_kinds": summary["errors"],
        }

    return {
        "kind": "soak",
        "stamp": stamp(started_at),
        "started_at": started_at.isoformat(),
        "database": args.database,
        "worker_process": "in-process (serve)"
        if args.database == "sqlite"
        else "one `fediverse-skills worker` process beside `serve`",
        "rate": args.rate or None,
        "duration_s": args.duration,
        "ran_s": ran_s,
        "concurrency": concurrency,
        "probes": probes,
        "rate_limits_off": {f"FEDSKILLS_{k}": v for k, v in limits.items()},
        "mix": list(CYCLE),
        "overall": figures(result) | {"per_s": result["per_s"]},
        "error_rate": failed_requests / total if total else 0.0,
        "groups": {k: figures(v) for k, v in result["groups"].items()},
        "labels": {k: figures(v) for k, v in result["labels"].items()},
        "error_samples": result["error_samples"],
        "timeline": [
            {k: t[k] for k in ("t_s", "requests", "p50_ms", "p99_ms", "non_2xx", "errors")}
            for t in result["timeline"]
        ],
        "rss": {
            "start_kib": start_rss,
            "end_kib": end_rss,
            "max_kib": max_rss,
            "change": change,
            "samples": samples,
        },
        "warmup": result.get("warmup"),
        "worker": worker_figures(samples, ran_s) | {"drain_after_soak": drained},
        "remote": remote,
        "generator_cpu_s": result["generator_cpu_s"],
        "server_log_errors": log_errors,
        "goals": goals,
        "passed": all(g["passed"] for g in goals.values()),
        "machine": {
            "cpus": os.cpu_count(),
            "platform": platform.platform(),
            "python": platform.python_version(),
        },
    }


def worker_figures(samples: list[dict[str, Any]], seconds: float) -> dict[str, Any]:
    """What the worker did during the soak: items it finished a second, and how fast the
    pending work grew (0 or less: it kept up)."""
    first, last = samples[0], samples[-1]
    return {
        "pending_at_start": first["pending"],
        "pending_at_end": last["pending"],
        "pending_growth_per_s": (last["pending"] - first["pending"]) / seconds,
        "processed_per_s": (last["done"] - first["done"]) / seconds,
        "queues_at_end": last["queues"],
    }


def stamp(moment: datetime) -> str:
    return moment.strftime("%Y%m%dT%H%M%SZ")


def _mib(kib: float) -> str:
    return f"{kib / 1024:.1f} MiB"


def print_report(found: dict[str, Any]) -> None:
    print()
    print(
        f"soak on {found['database']} (worker: {found['worker_process']}), "
        f"{found['ran_s']:.0f} s, {found['concurrency']} connections"
        + (f", paced at {found['rate']:g} requests/s" if found["rate"] else ", closed loop")
    )
    if found["rate_limits_off"]:
        limits = ", ".join(f"{k}={v}" for k, v in found["rate_limits_off"].items())
        print(f"rate limits off for the run: {limits}")
    else:
        print("rate limits: this version has no rate-limit settings")
    print(f"{'kind':<22}{'requests':>10}{'req/s':>9}{'p50 ms':>9}{'p99 ms':>9}{'errors':>8}")
    rows: list[tuple[str, dict[str, Any]]] = [("all", found["overall"])]
    rows += [(f"  {k}", v) for k, v in found["groups"].items()]
    rows += [(f"    {k}", v) for k, v in found["labels"].items()]
    for name, f in rows:
        print(
            f"{name:<22}{f['requests']:>10}{f['per_s']:>9.1f}{f['p50_ms']:>9.1f}"
            f"{f['p99_ms']:>9.1f}{f['errors']:>8}"
        )
    rss = found["rss"]
    print(
        f"RSS: start {_mib(rss['start_kib'])}, end {_mib(rss['end_kib'])}, "
        f"max {_mib(rss['max_kib'])}, change {rss['change']:+.1%}"
    )
    print(f"error rate: {found['error_rate']:.4%}")
    for sample in found["error_samples"][:5]:
        print(f"  {sample}")
    worker = found["worker"]
    drain = worker["drain_after_soak"]
    print(
        f"worker: {worker['processed_per_s']:.1f} items/s done during the soak; pending "
        f"{worker['pending_at_start']} -> {worker['pending_at_end']} "
        f"({worker['pending_growth_per_s']:+.1f}/s); alone afterwards "
        f"{drain['processed_per_s']:.1f} items/s, {drain['pending_after']} pending after "
        f"{drain['seconds']:.0f} s"
    )
    for line in found["server_log_errors"][:8]:
        print(f"server log: {line}")
    for path in found["remote"].get("server_logs_kept", []):
        print(f"server log kept in {path}")
    for name, goal in found["goals"].items():
        value = goal["value"]
        shown = f"{value:+.1%}" if name == "rss_change" else f"{value:g}"
        print(f"goal {name}: {shown} ({goal['goal']}): {'PASS' if goal['passed'] else 'FAIL'}")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--duration", type=float, default=300.0, help="seconds of soak")
    parser.add_argument("--database", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument(
        "--concurrency", type=int, default=0, help="connections (default: find the knee)"
    )
    parser.add_argument(
        "--probe-seconds",
        type=float,
        default=8.0,
        help="length of each knee probe (0 with --concurrency: no probe)",
    )
    parser.add_argument(
        "--rate", type=float, default=0.0, help="requests/s, paced (default: closed loop)"
    )
    parser.add_argument(
        "--warmup", type=float, default=120.0, help="seconds at the soak's load before it starts"
    )
    parser.add_argument(
        "--drain-seconds", type=float, default=60.0, help="worker alone after the soak, at most"
    )
    parser.add_argument("--sample-every", type=float, default=10.0, help="RSS sampling period")
    parser.add_argument("--people", type=int, default=REMOTE_PEOPLE, help="remote senders")
    parser.add_argument("--out", type=Path, help="the JSON report (default bench/results/)")
    args = parser.parse_args(argv)
    try:
        found = run(args)
    except BenchError as exc:
        print(f"soak: could not run: {exc}", file=sys.stderr)
        return 1
    print_report(found)
    out = args.out or RESULTS / f"soak-{found['stamp']}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(found, indent=2))
    print(f"written to {out}")
    return 0 if found["passed"] else 1


if __name__ == "__main__":
    sys.exit(main())

"""Figure 5: serving a profile of 50 skills and 5,000 endorsements, p50 latency over HTTP.

Our server runs as a real process (``python -m fediverse_skills serve``, its own data
directory, SQLite, no in-process worker). Before it starts, the database is seeded
directly (not timed): user ``alice`` (CLI ``create-user``), a bearer token (CLI ``token
create``), 50 rows in ``skills`` and 5,000 in ``endorsements`` (100 per skill, from 100
distinct remote endorsers), each with a realistic signed Endorsement as ``document``
(``bench.signed``), ``attestation='proof'``, ``kind='endorsement'``, inserted with
SQLAlchemy core ``executemany``.

Timed, one request at a time over one keep-alive connection from this process, rounds
that interleave the three documents so that a busy moment affects them alike:

* ``GET /users/alice/skills?page=1`` (``Accept: application/activity+json``): the AS2
  page, every endorsement embedded with its proof, spliced in as stored;
* ``GET /api/v1/profiles/alice@HOST`` with a bearer token: the JSON API's profile;
* ``GET /healthz``: the baseline, a tiny document through the same stack (one ``SELECT``).

Latency is from sending the request to having read the whole body. Checked: every answer
is 200; the AS2 page holds 5,000 endorsements, each with a proof that still verifies
(the stored bytes are spliced unchanged); the API lists 5,000, all ``verified: "proof"``.

Then, with the server stopped, the same service calls are timed in this process (CPU
time of the process, all threads) against the same database: both documents served from
the in-memory profile cache (what the HTTP requests above get, since nothing changes
between them) and built afresh (what the first request after a change pays), the store
reads they make, and the raw sqlite3 read of the same rows as a floor, so the JSON shows
where the server's time goes. With ``--profile``, those calls also run under cProfile
(``bench/results/<timestamp>-profile.pstats``).
"""

from __future__ import annotations

import asyncio
import cProfile
import gc
import http.client
import io
import json
import pstats
import sqlite3
import statistics
import subprocess
import tempfile
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import insert

from bench import signed
from bench.common import (
    HOST,
    PYTHON,
    BenchError,
    Child,
    FigureResult,
    Row,
    clean_env,
    cpu_seconds,
    free_port,
    percentile,
    ratio,
)
from fediverse_skills.app import open_federation
from fediverse_skills.config import Settings
from fediverse_skills.federation import proofs
from fediverse_skills.federation.uris import LocalUris
from fediverse_skills.services import documents, profiles
from fediverse_skills.services.outbox import new_id
from fediverse_skills.store import endorsements as endorsement_store
from fediverse_skills.store import skills as skill_store
from fediverse_skills.store import users
from fediverse_skills.store.db import Database
from fediverse_skills.store.tables import endorsements, skills
from fediverse_skills.web.responses import activity_json

GOAL_P50_MS = 20.0
GOAL_PAGE_P50_MS = 30.0  # the HTML profile page (issue 6)
DB_FILE = "fediverse-skills.db"


def _cli(env: dict[str, str], cwd: Path, *args: str) -> str:
    done = subprocess.run(
        [PYTHON, "-m", "fediverse_skills", *args],
        env=env,
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    if done.returncode != 0:
        raise BenchError(f"fediverse-skills {' '.join(args)} failed: {done.stderr.strip()}")
    return done.stdout


async def _seed(
    database_url: str,
    base_url: str,
    endorsers: list[signed.Endorser],
    *,
    skills_n: int,
    per_skill: int,
) -> dict[str, Any]:
    """Insert the skills and the endorsements of alice (executemany); returns timings."""
    uris = LocalUris(base_url)
    owner, collection = uris.actor("alice"), uris.skills("alice")
    now = datetime.now(UTC)
    started = time.perf_counter()
    skill_rows: list[dict[str, Any]] = []
    endorsement_rows: list[dict[str, Any]] = []
    for s in range(skills_n):
        name, key, hashtag = signed.skill(s)
        created = now - timedelta(days=400 - s)
        skill_rows.append(
            {
                "key": key,
                "name": name,
                "hashtag": hashtag,
                "taxonomy": None,
                "suggested_by": None,
                "suggested_at": None,
                "suggestion": None,
                "created_at": created,
            }
        )
        for e in range(per_skill):
            n = s * per_skill + e
            published = (created + timedelta(minutes=7 * e + 1)).replace(microsecond=0)
            text = signed.comment(n)
            document = signed.endorsement(
                endorsers[e],
                owner=owner,
                skills_collection=collection,
                skill_name=name,
                skill_key=key,
                text=text,
                published=published,
            )
            endorsement_rows.append(
                {
                    "public_id": new_id(),
                    "uri": document["id"],
                    "subject": owner,
                    "skill_key": key,
                    "endorser": endorsers[e].uri,
                    "endorser_user_id": None,
                    "kind": "endorsement",
                    "attestation": "proof",
                    "comment": text,
                    "document": signed.encode(document),
                    "created_at": published,
                }
            )
    signing_s = time.perf_counter() - started
    db = Database.open(database_url)
    try:
        started = time.perf_counter()
        async with db.transaction() as conn:
            alice = await users.get_by_username(conn, "alice")
            if alice is None:
                raise BenchError("user alice is missing after create-user")
            for row in skill_rows:
                row["user_id"] = alice.id
            for row in endorsement_rows:
                row["subject_user_id"] = alice.id
            await conn.execute(insert(skills), skill_rows)
            await conn.execute(insert(endorsements), endorsement_rows)
        insert_s = time.perf_counter() - started
    finally:
        await db.close()
    sizes = sorted(len(r["document"].encode()) for r in endorsement_rows)
    return {
        "signing_s": signing_s,
        "insert_s": insert_s,
        "skills": len(skill_rows),
        "endorsements": len(endorsement_rows),
        "document_bytes": {"min": sizes[0], "median": sizes[len(sizes) // 2], "max": sizes[-1]},
    }


# ----------------------------------------------------------------------------- over HTTP


class Client:
    """One keep-alive HTTP/1.1 connection to 127.0.0.1, one request at a time."""

    def __init__(self, port: int, server_pid: int) -> None:
        self.conn = http.client.HTTPConnection(HOST, port, timeout=60)
        self.pid = server_pid

    def get(self, path: str, headers: dict[str, str]) -> tuple[float, float, int, bytes]:
        """(seconds, server CPU seconds, status, body) of one GET, body read in full."""
        cpu = cpu_seconds(self.pid)
        start = time.perf_counter()
        self.conn.request("GET", path, headers=headers)
        response = self.conn.getresponse()
        body = response.read()
        elapsed = time.perf_counter() - start
        return elapsed, cpu_seconds(self.pid) - cpu, response.status, body

    def close(self) -> None:
        self.conn.close()


def _measure(
    client: Client,
    targets: dict[str, tuple[str, dict[str, str]]],
    *,
    warmup: int,
    rounds: int,
    time_limit: float,
) -> tuple[dict[str, dict[str, Any]], dict[str, bytes], bool]:
    """Interleaved rounds (one GET of each target per round) after ``warmup`` rounds;
    bounded by ``time_limit``. Returns per-target stats, the last bodies, and whether
    every round ran."""
    samples: dict[str, list[float]] = {name: [] for name in targets}
    cpu: dict[str, float] = dict.fromkeys(targets, 0.0)
    statuses: dict[str, dict[str, int]] = {name: {} for name in targets}
    bodies: dict[str, bytes] = {}
    deadline = time.monotonic() + time_limit
    completed = True
    for r in range(warmup + rounds):
        if time.monotonic() > deadline:
            completed = False
            break
        for name, (path, headers) in targets.items():
            seconds, cpu_s, status, body = client.get(path, headers)
            statuses[name][str(status)] = statuses[name].get(str(status), 0) + 1
            bodies[name] = body
            if r >= warmup:
                samples[name].append(seconds * 1000)
                cpu[name] += cpu_s
    stats: dict[str, dict[str, Any]] = {}
    for name, values in samples.items():
        ordered = sorted(values)
        stats[name] = {
            "requests": len(values),
            "statuses": statuses[name],
            "p50_ms": percentile(ordered, 50) if ordered else None,
            "p90_ms": percentile(ordered, 90) if ordered else None,
            "max_ms": ordered[-1] if ordered else None,
            "min_ms": ordered[0] if ordered else None,
            "server_cpu_ms_per_request": cpu[name] / len(values) * 1000 if values else None,
            "body_bytes": len(bodies.get(name, b"")),
        }
    return stats, bodies, completed


def _check_pages(
    as2: bytes,
    api: bytes,
    keys: dict[str, Any],
    *,
    skills_n: int,
    total: int,
) -> list[str]:
    """What is wrong with the two documents, if anything."""
    problems: list[str] = []
    page = json.loads(as2)
    items = page.get("orderedItems", [])
    embedded = [e for item in items for e in item.get("endorsements", [])]
    if len(items) != skills_n:
        problems.append(f"the AS2 page lists {len(items)} skills, not {skills_n}")
    if len(embedded) != total:
        problems.append(f"the AS2 page embeds {len(embedded)} endorsements, not {total}")
    if sum(item.get("endorsementCount", 0) for item in items) != total:
        problems.append("the AS2 page's endorsementCount values do not add up")
    # The stored bytes are spliced in unchanged, so every proof must still hold.
    failed = 0
    for e in embedded:
        try:
            proofs.verify(e, lookup_key=keys.get)
        except proofs.ProofError:
            failed += 1
    if failed:
        problems.append(f"{failed} embedded endorsements on the AS2 page fail their proof")
    profile = json.loads(api)
    listed = [e for s in profile.get("skills", []) for e in s.get("endorsements", [])]
    verified = sum(1 for e in listed if e.get("verified") == "proof")
    counts = profile.get("counts", {})
    if len(profile.get("skills", [])) != skills_n:
        problems.append(f"the API profile lists {len(profile.get('skills', []))} skills")
    if len(listed) != total or verified != total:
        problems.append(
            f"the API profile lists {len(listed)} endorsements, {verified} with a verified "
            f"proof, not {total}"
        )
    if counts.get("proof") != total or counts.get("total") != total:
        problems.append(f"the API profile counts are {counts}, not {total} proofs")
    return problems


# ----------------------------------------------------------------------------- server side

# The rows each document is made from, read with the stdlib sqlite3 module and nothing
# else: the floor for any code that reads them per request from this database.
FLOOR_QUERIES = {
    "as2_rows": "SELECT skill_key, document FROM endorsements WHERE subject_user_id = ?",
    "api_rows": (
        "SELECT skill_key, uri, endorser, kind, comment, attestation, created_at "
        "FROM endorsements WHERE subject_user_id = ?"
    ),
}


async def _median_ms(call: Callable[[], Awaitable[object]], reps: int) -> float:
    """Median CPU milliseconds of this process (every thread: aiosqlite runs the queries
    in its own) per call; other processes on the shared cores do not count."""
    times = []
    for _ in range(reps):
        gc.collect()
        start = time.process_time()
        await call()
        times.append((time.process_time() - start) * 1000)
    return statistics.median(times)


def _floors_ms(db_file: Path, user_id: int, reps: int) -> dict[str, float]:
    out = {}
    with sqlite3.connect(f"file:{db_file}?mode=ro", uri=True) as conn:
        for name, query in FLOOR_QUERIES.items():
            conn.execute(query, (user_id,)).fetchall()  # warm-up
            times = []
            for _ in range(reps):
                gc.collect()
                start = time.process_time()
                conn.execute(query, (user_id,)).fetchall()
                times.append((time.process_time() - start) * 1000)
            out[f"{name}: raw sqlite3 fetchall"] = statistics.median(times)
    return out


async def _server_side(
    settings: Settings, *, reps: int, profile: Path | None
) -> tuple[dict[str, float], int, str | None]:
    """The server's code paths for both documents, timed in this process (CPU ms, median of
    ``reps``), each step on its own; under cProfile too when ``profile`` is a path."""
    db = Database.open(settings.database_url)
    try:
        fed, client = await open_federation(settings, db)
        try:
            async with db.connection() as conn:
                alice = await users.get_by_username(conn, "alice")
            assert alice is not None
            user_id = alice.id

            async def read(fn: Callable[[Any, int], Awaitable[object]]) -> object:
                async with db.connection() as conn:
                    return await fn(conn, user_id)

            handle = f"alice@{fed.uris.host}"

            async def as2_page() -> object:
                return activity_json(await documents.skills(fed, "alice", 1) or "")

            async def api_profile() -> object:
                return await profiles.assemble(fed, handle)

            def built(call: Callable[[], Awaitable[object]]) -> Callable[[], Awaitable[object]]:
                async def without_cache() -> object:
                    fed.forget_profiles()
                    return await call()

                return without_cache

            steps: dict[str, Callable[[], Awaitable[object]]] = {
                "as2: built": built(as2_page),
                "as2: cached": as2_page,
                "as2: store.endorsements.documents_of_user()": lambda: read(
                    endorsement_store.documents_of_user
                ),
                "api: built": built(api_profile),
                "api: cached": api_profile,
                "api: store.endorsements.shown_of_user()": lambda: read(
                    endorsement_store.shown_of_user
                ),
                "api: store.skills.of_user()": lambda: read(skill_store.of_user),
            }
            for call in steps.values():  # warm-up
                await call()
            timings = {name: await _median_ms(call, reps) for name, call in steps.items()}
            top = None
            if profile is not None:
                profiler = cProfile.Profile()
                profiler.enable()
                for _ in range(3):
                    await as2_page()
                    await api_profile()
                profiler.disable()
                profiler.dump_stats(str(profile))
                out = io.StringIO()
                stats = pstats.Stats(profiler, stream=out)
                stats.sort_stats("tottime").print_stats(30)
                top = out.getvalue()
        finally:
            await fed.close()
            await client.aclose()
    finally:
        await db.close()
    return timings, user_id, top


def _ms(value: float | None) -> str:
    return "-" if value is None else f"{value:.0f} ms"


# ----------------------------------------------------------------------------- the figure


def run(*, quick: bool, profile: Path | None = None) -> FigureResult:
    skills_n = 10 if quick else 50
    per_skill = 50 if quick else 100
    total = skills_n * per_skill
    warmup, rounds = (3, 15) if quick else (10, 60)
    time_limit = 60.0 if quick else 180.0
    reps = 3 if quick else 7
    figure = FigureResult("profile")
    with tempfile.TemporaryDirectory(prefix="fedskills-bench-profile-") as tmp:
        workdir = Path(tmp)
        port = free_port()
        base_url = f"http://{HOST}:{port}"
        data_dir = workdir / "data"
        env = clean_env(
            BASE_URL=base_url,
            DATA_DIR=str(data_dir),
            ALLOW_PRIVATE_ADDRESSES="true",
            LOG_LEVEL="warning",
            # One load generator on one address sends far more than any real peer: the
            # limits still run (their cost is measured) but cannot trip.
            INBOX_RATE_LIMIT="1000000",
            API_RATE_LIMIT="1000000",
            IN_PROCESS_WORKER="false",
            HOST=HOST,
            PORT=str(port),
        )
        _cli(env, workdir, "create-user", "alice")
        token = _cli(env, workdir, "token", "create", "alice").strip().splitlines()[-1]
        settings = Settings(
            base_url=base_url,
            database_url=f"sqlite+aiosqlite:///{data_dir / DB_FILE}",
            allow_private_addresses=True,
            data_dir=data_dir,
        )
        endorsers = signed.endorsers(per_skill)
        seeded = asyncio.run(
            _seed(
                settings.database_url, base_url, endorsers, skills_n=skills_n, per_skill=per_skill
            )
        )
        host = LocalUris(base_url).host
        targets = {
            "healthz": ("/healthz", {"Accept": "application/json"}),
            "as2": ("/users/alice/skills?page=1", {"Accept": "application/activity+json"}),
            "api": (
                f"/api/v1/profiles/alice@{host}",
                {"Accept": "application/json", "Authorization": f"Bearer {token}"},
            ),
            "page": ("/@alice", {"Accept": "text/html"}),
        }
        server = Child(
            "profile-serve",
            [PYTHON, "-m", "fediverse_skills", "serve", "--host", HOST, "--port", str(port)],
            env,
            workdir,
        )
        server.start()
        try:
            server.wait_http(f"{base_url}/healthz", timeout=60)
            assert server.proc is not None
            client = Client(port, server.proc.pid)
            try:
                stats, bodies, completed = _measure(
                    client, targets, warmup=warmup, rounds=rounds, time_limit=time_limit
                )
            finally:
                client.close()
            server.check_alive()
        finally:
            server.stop()
        problems = []
        if not all(set(s["statuses"]) == {"200"} for s in stats.values()):
            problems.append(
                "not every answer was 200: "
                + ", ".join(f"{k} {v['statuses']}" for k, v in stats.items())
            )
        else:
            keys = {e.key_id: e.public_key for e in endorsers}
            problems += _check_pages(
                bodies["as2"], bodies["api"], keys, skills_n=skills_n, total=total
            )
            shown = bodies["page"].decode("utf-8").count('<li class="skill"')
            if shown != skills_n:
                problems.append(f"the HTML page shows {shown} skills, not {skills_n}")
        del bodies
        if not completed:
            problems.append(f"the rounds did not finish within {time_limit:g}s")
        server_side, user_id, profile_top = asyncio.run(
            _server_side(settings, reps=reps, profile=profile)
        )
        server_side.update(_floors_ms(data_dir / DB_FILE, user_id, reps))

    base = stats["healthz"]["p50_ms"]
    size = f"{skills_n} skills, {total:,} endorsements"
    notes = {
        "as2": (
            f"{stats['as2']['body_bytes'] / 1e6:.1f} MB; CPU in-process: served from the "
            f"profile cache {_ms(server_side['as2: cached'])}, built after a change "
            f"{_ms(server_side['as2: built'])}, of which its SELECT "
            f"{_ms(server_side['as2: store.endorsements.documents_of_user()'])} (raw sqlite3 "
            f"floor {_ms(server_side['as2_rows: raw sqlite3 fetchall'])})"
        ),
        "api": (
            f"{stats['api']['body_bytes'] / 1e6:.1f} MB; CPU in-process: served from the "
            f"profile cache {_ms(server_side['api: cached'])}, built after a change "
            f"{_ms(server_side['api: built'])}, of which store.endorsements.shown_of_user() "
            f"{_ms(server_side['api: store.endorsements.shown_of_user()'])} (raw sqlite3 "
            f"floor {_ms(server_side['api_rows: raw sqlite3 fetchall'])})"
        ),
    }
    notes["page"] = (
        f"{stats['page']['body_bytes'] / 1e3:.0f} kB of HTML: every skill with its level, "
        "reason, provenance and newest five endorsements, strongest first"
    )
    figure.rows = [
        Row(
            f"profile: {title} p50 ({size})",
            stats[name]["p50_ms"],
            "ms",
            base,
            ratio(stats[name]["p50_ms"], base),
            f"p50 <= {goal:.0f} ms",
            bool(not problems and (stats[name]["p50_ms"] or 1e9) <= goal),
            note=notes[name],
        )
        for name, title, goal in (
            ("as2", "AS2 skills page", GOAL_P50_MS),
            ("api", "API profile JSON", GOAL_P50_MS),
            ("page", "HTML profile page", GOAL_PAGE_P50_MS),
        )
    ]
    if problems:
        figure.error = "; ".join(problems)
    figure.details = {
        "method": (
            "our server: `python -m fediverse_skills serve` on SQLite with "
            "FEDSKILLS_IN_PROCESS_WORKER=false; one keep-alive connection from the bench "
            "process, one request at a time, rounds interleaving /healthz (baseline), the AS2 "
            "page and the API profile; latency = request sent to body read. Then the same "
            "service calls in this process (stdlib asyncio loop), each step on its own, and "
            "the raw sqlite3 read of the same rows (the floor), as process CPU time"
        ),
        "skills": skills_n,
        "endorsements_per_skill": per_skill,
        "warmup_rounds": warmup,
        "rounds": rounds,
        "seeded": seeded,
        "http": stats,
        "server_side_cpu_ms_in_process": server_side,
        "profile_top": profile_top,
        "checks": problems or "ok",
    }
    return figure

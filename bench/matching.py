"""Figure 7: matching one posting against a network of 100,000 people (issue 7).

The network is the trust figure's speed graph (``bench.trustgraph.honest`` with
``bench.trust.SPEED_SHAPE``, trimmed to 1,000,000 rows; 10,000 people and 100,000 rows with
``--quick``). Our instance is ``https://s0.example``: its 200 people are local accounts
(``u0`` … ``u199``), everyone else is remote. 5 % of all people, drawn at random, are open
to work: the local ones by their (private) setting, the remote ones by ``openToWork: true``
in their cached actor document.

Seeded before anything is timed, into a migrated SQLite database, with SQLAlchemy core
``executemany``: the local accounts and their skills (the generator's), a cached actor
document for every remote person (their skills as hashtags, ``openToWork`` for the open
ones), every skill signal as the tables hold them (endorsements, attested ones and likes in
``endorsements``, one per endorser, person and skill; accepted ``suggestions``), and the
posting itself, made with ``services.opportunities.post``. The trust graph is built from
the same rows (follows included) with ``TrustGraph.from_rows``, as ``services.trust.load``
builds it from what the store reads, and set as the process's graph; the follows are not
written to the database, which only the graph needs (the bench keeps the graph from
reloading).

The poster is the local member with the largest 3-step network. Timed, in rounds:

* **changed**: one new endorsement between two random people is added to the graph, as a
  process does for a signal it handles (``graph.add``, not timed); then
  ``services.matching.matches(fed, poster, posting, 20)``: the poster's trust vector is
  brought up to date from its previous value, the 3-step reach walked, the candidates read
  and scored, the why written. The figure is its p50. **Goal**: p50 ≤ 200 ms.
* **baseline**: another new endorsement, then only the poster's trust vector brought up to
  date (``services.trust._vector``), the walk any trust-weighted ranking must pay.
* **unchanged** (info): ``matches`` again with nothing changed (the vector is kept).
* **cold** (info, fewer rounds): the kept vectors dropped first: the poster's first
  request after the process loaded the graph.
* **board** (info): ``services.opportunities.board(fed)``, the board's plain list.

Checks: every match is open to work and within 3 steps of the poster (measured again with
``scipy.sparse.csgraph`` on the generator's arrays plus the added endorsements), matches
come best first, the same call twice gives the same answer, and with ``limit=100`` the
number of matches is what the data says (every open person within 3 steps who has one of
the posting's skills, by profile, hashtag or skill signal).
"""

from __future__ import annotations

import asyncio
import json
import statistics
import tempfile
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
from scipy import sparse
from scipy.sparse import csgraph
from sqlalchemy import insert, update

from bench import trustgraph as tg
from bench.common import FigureResult, Row, percentile, ratio
from bench.trust import SPEED_SHAPE
from fediverse_skills.app import open_federation
from fediverse_skills.config import Settings
from fediverse_skills.domain import skills as skill_rules
from fediverse_skills.domain.trust import Signal, TrustGraph, host_of
from fediverse_skills.federation.keys import generate_actor_keys
from fediverse_skills.services import matching, opportunities, trust
from fediverse_skills.store import users
from fediverse_skills.store.db import Database
from fediverse_skills.store.migrations import upgrade
from fediverse_skills.store.tables import endorsements, remote_actors, skills, suggestions
from fediverse_skills.store.tables import users as users_table

GOAL_P50_MS = 200.0
OPEN_SHARE = 0.05
LIMIT = 20
SEED = 7
BASE_URL = "https://s0.example"
POSTING = {
    "title": "Platform engineer",
    "description": "Keep our Rust services running on Kubernetes.",
    "required_skills": ["Rust", "Kubernetes"],
    "nice_skills": ["Go", "Docker"],
}
SIZES: dict[str, dict[str, int]] = {
    "full": {"people": 100_000, "servers": 500, "rows": 1_000_000, "rounds": 40, "cold": 5},
    "quick": {"people": 10_000, "servers": 50, "rows": 100_000, "rounds": 8, "cold": 2},
}
WARMUP = 3
HUB_FOLLOWS = 100  # the second poster also follows this many random people
# The generator's endorsement kinds, strongest first: one row per endorser, person and skill.
_ENDORSEMENT_KINDS = (tg.ENDORSEMENT, tg.ATTESTED, tg.LIKE)


# ----------------------------------------------------------------------------- seeding


def _dedupe_endorsements(graph: tg.Graph) -> np.ndarray:
    """Indices of the endorsement rows the ``endorsements`` table would hold: the strongest
    of each (endorser, person, skill)."""
    picked = np.flatnonzero(np.isin(graph.kind, np.array(_ENDORSEMENT_KINDS)))
    rank = np.full(len(tg.KINDS), 99)
    rank[list(_ENDORSEMENT_KINDS)] = np.arange(len(_ENDORSEMENT_KINDS))
    n, s = graph.size, len(graph.skills)
    keys = (
        graph.src[picked].astype(np.int64) * n + graph.dst[picked].astype(np.int64)
    ) * s + graph.skill[picked]
    order = np.lexsort((rank[graph.kind[picked]], keys))
    _, first = np.unique(keys[order], return_index=True)
    return np.sort(picked[order[first]])


def _skills_of(graph: tg.Graph) -> list[list[int]]:
    owned: list[list[int]] = [[] for _ in range(graph.size)]
    for person, skill in zip(graph.skill_owner.tolist(), graph.skill_owned.tolist(), strict=True):
        owned[person].append(skill)
    return owned


def _hashtag(key: str) -> str:
    return skill_rules.hashtag(key) or key


async def _seed(
    db: Database, graph: tg.Graph, per: int, open_people: set[int]
) -> tuple[list[tuple[str, str, str]], dict[str, float]]:
    """Write the network's tables (see the module docstring); returns the graph's rows as
    the store would read them, and how long each part took."""
    times: dict[str, float] = {}
    names, vocab = graph.names, graph.skills
    now = datetime.now(UTC)
    keys = await asyncio.to_thread(generate_actor_keys)
    owned = _skills_of(graph)
    started = time.perf_counter()
    async with db.transaction() as conn:
        ids: dict[int, int] = {}
        for k in range(per):
            made = await users.insert_user(
                conn,
                users.NewUser(
                    username=f"u{k}",
                    display_name=f"Person {k}",
                    is_admin=False,
                    password_hash=None,
                    rsa_private_pem=keys.rsa_private_pem,
                    rsa_public_pem=keys.rsa_public_pem,
                    ed25519_private=keys.ed25519_private_hex,
                    ed25519_public=keys.ed25519_public_hex,
                    created_at=now,
                ),
            )
            ids[k] = made.id
        opened = [f"u{k}" for k in range(per) if k in open_people]
        if opened:
            await conn.execute(
                update(users_table)
                .where(users_table.c.username.in_(opened))
                .values(open_to_work=True)
            )
        await conn.execute(
            insert(skills),
            [
                {
                    "user_id": ids[k],
                    "key": vocab[s],
                    "name": vocab[s],
                    "hashtag": _hashtag(vocab[s]),
                    "created_at": now,
                }
                for k in range(per)
                for s in owned[k]
            ],
        )
    times["local_s"] = time.perf_counter() - started

    started = time.perf_counter()
    rows = []
    for k in range(per, graph.size):
        uri = names[k]
        doc: dict[str, Any] = {
            "@context": ["https://www.w3.org/ns/activitystreams"],
            "id": uri,
            "type": "Person",
            "preferredUsername": f"u{k}",
            "name": f"Person {k}",
            "inbox": f"{uri}/inbox",
            "tag": [
                {
                    "type": "Hashtag",
                    "name": f"#{_hashtag(vocab[s])}",
                    "href": f"{uri.split('/users/')[0]}/tags/{_hashtag(vocab[s])}",
                }
                for s in owned[k][:10]
            ],
        }
        if k in open_people:
            doc["openToWork"] = True
        rows.append(
            {
                "uri": uri,
                "host": host_of(uri),
                "type": "Person",
                "username": f"u{k}",
                "name": f"Person {k}",
                "inbox": f"{uri}/inbox",
                "document": json.dumps(doc, separators=(",", ":")),
                "fetched_at": now,
            }
        )
    async with db.transaction() as conn:
        for at in range(0, len(rows), 20_000):
            await conn.execute(insert(remote_actors), rows[at : at + 20_000])
    times["remote_actors_s"] = time.perf_counter() - started

    started = time.perf_counter()
    kept = _dedupe_endorsements(graph)
    local = {names[k]: ids[k] for k in range(per)}
    erows = []
    for r in kept.tolist():
        s, d, kind = int(graph.src[r]), int(graph.dst[r]), int(graph.kind[r])
        erows.append(
            {
                "public_id": f"e{r}",
                "uri": f"{names[s]}/endorsements/e{r}",
                "subject": names[d],
                "subject_user_id": local.get(names[d]),
                "skill_key": vocab[int(graph.skill[r])],
                "endorser": names[s],
                "endorser_user_id": local.get(names[s]),
                "kind": "like" if kind == tg.LIKE else "endorsement",
                "attestation": "proof" if kind == tg.ENDORSEMENT else "server",
                "comment": "",
                "document": "{}",
                "created_at": now,
            }
        )
    srows = []
    for r in np.flatnonzero(graph.kind == tg.SUGGESTION).tolist():
        s, d = int(graph.src[r]), int(graph.dst[r])
        key = vocab[int(graph.skill[r])]
        srows.append(
            {
                "public_id": f"s{r}",
                "uri": f"{names[s]}/suggestions/s{r}",
                "subject": names[d],
                "subject_user_id": local.get(names[d]),
                "author": names[s],
                "author_user_id": local.get(names[s]),
                "key": key,
                "name": key,
                "comment": "",
                "state": "accepted",
                "attestation": "server",
                "created_at": now,
            }
        )
    async with db.transaction() as conn:
        for at in range(0, len(erows), 20_000):
            await conn.execute(insert(endorsements), erows[at : at + 20_000])
        for at in range(0, len(srows), 20_000):
            await conn.execute(insert(suggestions), srows[at : at + 20_000])
    times["signals_s"] = time.perf_counter() - started

    # The graph's rows as services.trust.load reads them: follows, the endorsement rows the
    # table holds (one per endorser, person and skill), accepted suggestions.
    kind_of = {tg.ENDORSEMENT: "endorsement", tg.ATTESTED: "attested", tg.LIKE: "like"}
    follows = np.flatnonzero(graph.kind == tg.FOLLOW)
    found = [
        (names[s], names[d], "follow")
        for s, d in zip(graph.src[follows].tolist(), graph.dst[follows].tolist(), strict=True)
    ]
    found += [
        (e["endorser"], e["subject"], kind_of[int(graph.kind[int(e["public_id"][1:])])])
        for e in erows
    ]
    found += [(s["author"], s["subject"], "suggestion") for s in srows]
    times["endorsement_rows"] = float(len(erows))
    times["suggestion_rows"] = float(len(srows))
    times["remote_actor_rows"] = float(len(rows))
    return found, times


# ----------------------------------------------------------------------------- checks


def _reference_reach(
    graph: tg.Graph, added: list[tuple[int, int]], poster: int, hops: int
) -> set[int]:
    """Who is within ``hops`` steps of ``poster``, by scipy's unweighted shortest paths over
    the generator's rows plus the added endorsements (self-loops dropped)."""
    src = np.concatenate([graph.src, np.array([a for a, _ in added], dtype=np.int64)])
    dst = np.concatenate([graph.dst, np.array([b for _, b in added], dtype=np.int64)])
    keep = src != dst
    n = graph.size
    matrix = sparse.csr_matrix((np.ones(int(keep.sum())), (src[keep], dst[keep])), shape=(n, n))
    distance = csgraph.dijkstra(matrix, directed=True, unweighted=True, indices=poster, limit=hops)
    return {int(k) for k in np.flatnonzero(np.isfinite(distance))} - {poster}


def _expected_candidates(
    graph: tg.Graph,
    reach: set[int],
    open_people: set[int],
    wanted: set[str],
    kept: np.ndarray,
    per: int,
) -> set[int]:
    """Open people in reach with one of ``wanted``: on their profile (local), among their
    hashtags (remote: their first ten skills), or named by a skill signal about them."""
    owned = _skills_of(graph)
    vocab = graph.skills
    signalled: dict[int, set[str]] = {}
    rows = np.concatenate([kept, np.flatnonzero(graph.kind == tg.SUGGESTION)])
    for r in rows.tolist():
        signalled.setdefault(int(graph.dst[r]), set()).add(vocab[int(graph.skill[r])])
    found = set()
    for k in reach & open_people:
        profile = owned[k] if k < per else owned[k][:10]
        if wanted & ({vocab[s] for s in profile} | signalled.get(k, set())):
            found.add(k)
    return found


# ----------------------------------------------------------------------------- timing


async def _timed(call: Callable[[], Awaitable[Any]]) -> tuple[float, Any]:
    start = time.perf_counter()
    result = await call()
    return (time.perf_counter() - start) * 1e3, result


def _check(
    graph: tg.Graph,
    added: list[tuple[int, int]],
    poster: int,
    open_people: set[int],
    found: list[matching.Matched],
    per: int,
) -> tuple[list[str], dict[str, int]]:
    """What is wrong with ``found`` (a call with ``limit=100``), against the data."""
    problems = []
    index = {name: k for k, name in enumerate(graph.names)}
    reach = _reference_reach(graph, added, poster, matching.MAX_HOPS)
    kept = _dedupe_endorsements(graph)
    wanted = {s.casefold() for s in [*POSTING["required_skills"], *POSTING["nice_skills"]]}
    expected = _expected_candidates(graph, reach, open_people, wanted, kept, per)
    listed = [index.get(m.actor, -1) for m in found]
    who = graph.names[poster]
    if not found:
        problems.append(f"{who}: no match at all")
    if any(k not in open_people for k in listed):
        problems.append(f"{who}: someone not open to work was matched")
    if any(k not in reach for k in listed):
        problems.append(f"{who}: someone beyond 3 steps was matched")
    if [m.score for m in found] != sorted((m.score for m in found), reverse=True):
        problems.append(f"{who}: matches are not best first")
    if len(found) != min(matching.MAX_LIMIT, len(expected)):
        problems.append(f"{who}: {len(found)} matches, the data gives {len(expected)}")
    return problems, {
        "reach": len(reach),
        "open_in_reach": len(reach & open_people),
        "candidates_with_a_skill": len(expected),
        "matches_at_limit_100": len(found),
    }


async def _run(workdir: Path, graph: tg.Graph, size: dict[str, int]) -> dict[str, Any]:
    people = graph.size
    per = people // size["servers"]
    rng = np.random.default_rng(SEED)
    open_people = {int(k) for k in np.flatnonzero(rng.random(people) < OPEN_SHARE)}
    settings = Settings(
        base_url=BASE_URL,
        database_url=f"sqlite+aiosqlite:///{workdir / 'bench.db'}",
        data_dir=workdir,
    )
    names = graph.names
    db = Database.open(settings.database_url)
    try:
        await upgrade(db)
        started = time.perf_counter()
        rows, seed_times = await _seed(db, graph, per, open_people)
        seed_s = time.perf_counter() - started
        started = time.perf_counter()
        trust_graph = TrustGraph.from_rows(rows)
        build_s = time.perf_counter() - started
        del rows
        # The poster: the local member with the largest 3-step network. The hub: another
        # member who also follows HUB_FOLLOWS random people (the graph compacted after).
        reach_sizes = {
            k: len(trust_graph.within([names[k]], matching.MAX_HOPS)) - 1 for k in range(per)
        }
        poster_k = max(reach_sizes, key=lambda k: (reach_sizes[k], -k))
        hub_k = (poster_k + 1) % per
        added: list[tuple[int, int]] = []  # every edge added to the generator's
        for b in rng.choice(np.arange(per, people), HUB_FOLLOWS, replace=False).tolist():
            trust_graph.add(Signal(names[hub_k], names[b], "follow"))
            added.append((hub_k, b))
        trust_graph.compact()
        hub_reach = len(trust_graph.within([names[hub_k]], matching.MAX_HOPS)) - 1
        fed, client = await open_federation(settings, db)
        try:
            state = trust.TrustState(
                graph=trust_graph, loaded_at=time.monotonic(), load_seconds=build_s
            )
            fed.trust = state
            posters: dict[int, tuple[users.User, str]] = {}
            for k in (poster_k, hub_k):
                async with db.connection() as conn:
                    user = await users.get_by_username(conn, f"u{k}")
                assert user is not None
                posting = await opportunities.post(fed, user, dict(POSTING))
                assert posting.public_id is not None
                posters[k] = (user, posting.public_id)

            def match(k: int, limit: int = LIMIT) -> Callable[[], Awaitable[Any]]:
                user, public_id = posters[k]

                async def call() -> list[matching.Matched]:
                    state.loaded_at = time.monotonic()  # no reload: the tables hold no follows
                    return await matching.matches(fed, user, public_id, limit)

                return call

            def change() -> None:
                a, b = (int(x) for x in rng.choice(people, 2, replace=False))
                key = graph.skills[int(rng.integers(len(graph.skills)))]
                trust_graph.add(Signal(names[a], names[b], "endorsement", key))
                added.append((a, b))

            seeds = (fed.uris.actor(f"u{poster_k}"),)

            async def walk() -> Any:
                state.loaded_at = time.monotonic()
                return trust._vector(state, seeds)

            async def board() -> Any:
                return await opportunities.board(fed, limit=50)

            for _ in range(WARMUP):
                await match(poster_k)()
                await match(hub_k)()
                await board()
            timings: dict[str, list[float]] = {
                "changed": [],
                "baseline": [],
                "unchanged": [],
                "hub_changed": [],
                "board": [],
                "cold": [],
            }
            same = True
            for r in range(size["rounds"]):
                change()
                timings["baseline"].append((await _timed(walk))[0])
                change()
                spent, found = await _timed(match(poster_k))
                timings["changed"].append(spent)
                spent, again = await _timed(match(poster_k))
                timings["unchanged"].append(spent)
                same = same and found == again
                change()
                timings["hub_changed"].append((await _timed(match(hub_k)))[0])
                timings["board"].append((await _timed(board))[0])
                if r < size["cold"]:
                    state.vectors.clear()
                    timings["cold"].append((await _timed(match(poster_k)))[0])
            finals = {k: await match(k, matching.MAX_LIMIT)() for k in (poster_k, hub_k)}
            same = same and finals[poster_k] == await match(poster_k, matching.MAX_LIMIT)()
        finally:
            await fed.close()
            await client.aclose()
    finally:
        await db.close()

    # Checks, against the data and an independent reach.
    problems = [] if same else ["the same call twice gave different answers"]
    checked = {}
    for k, found in finals.items():
        wrong, checked[k] = _check(graph, added, k, open_people, found, per)
        problems += wrong
    top = finals[poster_k][0] if finals[poster_k] else None
    return {
        "timings_ms": timings,
        "problems": problems,
        "seed_s": seed_s,
        "seed": seed_times,
        "graph_build_s": build_s,
        "people": people,
        "local_people": per,
        "open_to_work": len(open_people),
        "poster": names[poster_k],
        "poster_reach": reach_sizes[poster_k],
        "poster_check": checked[poster_k],
        "hub": names[hub_k],
        "hub_follows_added": HUB_FOLLOWS,
        "hub_reach": hub_reach,
        "hub_check": checked[hub_k],
        "edges": trust_graph.edges(),
        "edges_added": len(added),
        "top_match": None
        if top is None
        else {"actor": top.actor, "score": top.score, "fit": top.fit, "why": top.why},
    }


def _p(values: list[float], q: float) -> float:
    return percentile(sorted(values), q)


def run(*, quick: bool) -> FigureResult:
    mode = "quick" if quick else "full"
    size = SIZES[mode]
    figure = FigureResult("matching")
    started = time.perf_counter()
    graph = tg.honest(people=size["people"], servers=size["servers"], seed=SEED, **SPEED_SHAPE)
    graph = tg.trim(graph, size["rows"], seed=SEED)
    generate_s = time.perf_counter() - started
    with tempfile.TemporaryDirectory(prefix="fedskills-bench-matching-") as tmp:
        data = asyncio.run(_run(Path(tmp), graph, size))
    t = data["timings_ms"]
    p50 = _p(t["changed"], 50)
    base = _p(t["baseline"], 50)
    scale = f"{size['people']:,} people"

    def network(who: str, checked: dict[str, int]) -> str:
        return (
            f"{who}: {checked['reach']:,} people within 3 steps, {checked['open_in_reach']} of "
            f"them open to work, {checked['candidates_with_a_skill']} with a skill the posting "
            "names"
        )

    poster = network(data["poster"].split("//")[1], data["poster_check"])
    hub = network(data["hub"].split("//")[1], data["hub_check"])
    figure.rows = [
        Row(
            f"matching: one posting over {scale} p50",
            p50,
            "ms",
            base,
            ratio(p50, base),
            f"p50 <= {GOAL_P50_MS:g} ms",
            p50 <= GOAL_P50_MS and not data["problems"],
            note=(
                f"services.matching.matches, limit {LIMIT}, after one new endorsement each "
                f"round ({len(t['changed'])} rounds, p90 {_p(t['changed'], 90):.1f} ms); poster "
                f"{poster}; baseline = the poster's trust vector brought up to date after one "
                "new endorsement (services.trust._vector), alone"
                + ("; --quick: scaled down" if quick else "")
            ),
        ),
        Row(
            "matching: same, nothing changed (info)",
            _p(t["unchanged"], 50),
            "ms",
            base,
            ratio(_p(t["unchanged"], 50), base),
            note="the poster's trust vector kept from the call before; baseline as above",
        ),
        Row(
            f"matching: a poster following {HUB_FOLLOWS} more people (info)",
            _p(t["hub_changed"], 50),
            "ms",
            p50,
            ratio(_p(t["hub_changed"], 50), p50),
            note=f"after one new endorsement each round; {hub}; baseline = the figure above",
        ),
        Row(
            "matching: first request after a load (info)",
            _p(t["cold"], 50),
            "ms",
            base,
            ratio(_p(t["cold"], 50), base),
            note=(
                f"the kept trust vectors dropped first, so PageRank runs from scratch "
                f"({len(t['cold'])} rounds, max {max(t['cold']):.1f} ms); baseline as above"
            ),
        ),
        Row(
            "matching: the board's plain list, for scale (info)",
            _p(t["board"], 50),
            "ms",
            p50,
            ratio(_p(t["board"], 50), p50),
            note="services.opportunities.board(limit=50), same process and database; "
            "baseline = the matching figure",
        ),
    ]
    if data["problems"]:
        figure.error = "; ".join(data["problems"])
    figure.details = {
        "mode": mode,
        "sizes": size,
        "seed": SEED,
        "open_share": OPEN_SHARE,
        "generate_s": generate_s,
        "median_ms": {k: statistics.median(v) for k, v in t.items() if v},
        **data,
    }
    return figure


def main() -> int:
    import sys

    figure = run(quick="--quick" in sys.argv)
    print(json.dumps(figure.to_json(), indent=2, default=str))
    return 1 if figure.error else 0


if __name__ == "__main__":
    raise SystemExit(main())

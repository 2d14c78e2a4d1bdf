"""Figure 2: signed POSTs per second from one worker to a local sink.

Ours: N deliveries of one Create(Note) to N distinct inboxes on the sink
(``http://127.0.0.1:PORT/inbox/i``) are inserted with ``store.deliveries.add_activity``
into a migrated SQLite database (not timed); then ``services.deliveries.deliver_due(fed,
"bench")`` is called until nothing is due (timed). ``fed`` comes from
``app.open_federation``; this process runs the stdlib asyncio loop, as ``fediverse-skills
worker`` does.

Baseline: the same N POSTs (same URLs, same body, each signed with ``sign_cavage`` with the
same RSA key), 64 at a time (``deliveries.CONCURRENCY``), by a plain client: httpx
``AsyncClient`` and, when installed, aiohttp. The faster raw loop is the baseline.

The sink (:mod:`bench.sink`) is a separate process. Rounds alternate baseline and ours;
the best round of each counts.
"""

from __future__ import annotations

import asyncio
import cProfile
import io
import pstats
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import httpx

from bench import worker_side
from bench.common import (
    FigureResult,
    Row,
    http_json,
    installed,
    ratio,
    sink_process,
)
from fediverse_skills.federation.media import ACTIVITY_JSON
from fediverse_skills.federation.signatures import sign_cavage
from fediverse_skills.services.deliveries import BATCH, CONCURRENCY

GOAL_RATIO = 0.7

RawLoop = Callable[[list[str], bytes, Any, str], Awaitable[list[int]]]


def signed_headers(url: str, body: bytes, key: Any, key_id: str) -> dict[str, str]:
    headers = {"Content-Type": ACTIVITY_JSON, "Accept": ACTIVITY_JSON}
    headers.update(sign_cavage("POST", url, headers, body, key_id=key_id, private_key=key))
    return headers


async def send_pool(urls: list[str], send: Callable[[str], Awaitable[int]]) -> list[int]:
    """``CONCURRENCY`` senders taking the next URL as soon as they are free."""
    it = iter(urls)
    statuses: list[int] = []

    async def sender() -> None:
        for url in it:
            statuses.append(await send(url))

    await asyncio.gather(*(sender() for _ in range(CONCURRENCY)))
    return statuses


async def raw_httpx(urls: list[str], body: bytes, key: Any, key_id: str) -> list[int]:
    limits = httpx.Limits(max_connections=CONCURRENCY, max_keepalive_connections=CONCURRENCY)
    async with httpx.AsyncClient(limits=limits, timeout=30, trust_env=False) as client:

        async def send(url: str) -> int:
            response = await client.post(
                url, content=body, headers=signed_headers(url, body, key, key_id)
            )
            return response.status_code

        return await send_pool(urls, send)


async def raw_aiohttp(urls: list[str], body: bytes, key: Any, key_id: str) -> list[int]:
    import aiohttp

    connector = aiohttp.TCPConnector(limit=CONCURRENCY)
    timeout = aiohttp.ClientTimeout(total=30)
    async with aiohttp.ClientSession(connector=connector, timeout=timeout) as session:

        async def send(url: str) -> int:
            async with session.post(
                url, data=body, headers=signed_headers(url, body, key, key_id)
            ) as response:
                await response.read()
                return response.status

        return await send_pool(urls, send)


async def raw_httpx_over_aiohttp(urls: list[str], body: bytes, key: Any, key_id: str) -> list[int]:
    """The httpx API with httpx-aiohttp's transport (what encode/httpx#3215 suggests)."""
    import aiohttp
    from httpx_aiohttp import AiohttpTransport

    session = aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=CONCURRENCY))
    transport = AiohttpTransport(client=session)
    async with httpx.AsyncClient(transport=transport, timeout=30, trust_env=False) as client:

        async def send(url: str) -> int:
            response = await client.post(
                url, content=body, headers=signed_headers(url, body, key, key_id)
            )
            return response.status_code

        try:
            return await send_pool(urls, send)
        finally:
            await session.close()


def raw_loops() -> dict[str, RawLoop]:
    """The raw loops: httpx always; aiohttp and httpx-aiohttp when installed."""
    loops: dict[str, RawLoop] = {"httpx": raw_httpx}
    if installed("aiohttp"):
        loops["aiohttp"] = raw_aiohttp
    if installed("httpx_aiohttp"):
        loops["httpx API + httpx-aiohttp transport"] = raw_httpx_over_aiohttp
    return loops


async def _run(
    sink_url: str, workdir: Path, n: int, rounds: int, warmup: int, profile: Path | None
) -> dict[str, Any]:
    side = await worker_side.open_side(workdir)
    try:
        key = worker_side.private_key(side)
        urls = [f"{sink_url}/inbox/{i}" for i in range(n)]
        loops = raw_loops()
        results: dict[str, list[dict[str, Any]]] = {name: [] for name in [*loops, "ours"]}

        # Warm-up: connections, key caches, statement caches, on both sides.
        activity = worker_side.create_activity(side, 0)
        body = worker_side.encode(activity).encode()
        for loop in loops.values():
            await loop(urls[:warmup], body, key, side.key_id)
        await worker_side.queue_deliveries(side, activity, urls[:warmup])
        await worker_side.drain(side, expected=warmup, time_limit=60)

        for r in range(1, rounds + 1):
            for name, loop in loops.items():
                http_json(f"{sink_url}/_reset", method="POST")
                start = time.perf_counter()
                statuses = await loop(urls, body, key, side.key_id)
                seconds = time.perf_counter() - start
                got = http_json(f"{sink_url}/_stats")["posts"]
                ok = len(statuses) == n and all(s == 202 for s in statuses) and got == n
                results[name].append({"seconds": seconds, "per_s": n / seconds, "ok": ok})
            activity = worker_side.create_activity(side, r)
            await worker_side.queue_deliveries(side, activity, urls)
            http_json(f"{sink_url}/_reset", method="POST")
            drained = await worker_side.drain(side, expected=n, time_limit=120)
            got = http_json(f"{sink_url}/_stats")["posts"]
            entry = drained.to_json()
            entry["sink_posts"] = got
            entry["ok"] = drained.delivered == n and got == n
            results["ours"].append(entry)

        profile_top = None
        if profile is not None:
            # One more round under cProfile, for attribution only (not a figure).
            activity = worker_side.create_activity(side, rounds + 1)
            await worker_side.queue_deliveries(side, activity, urls)
            profiler = cProfile.Profile()
            profiler.enable()
            await worker_side.drain(side, expected=n, time_limit=300)
            profiler.disable()
            profiler.dump_stats(str(profile))
            out = io.StringIO()
            pstats.Stats(profiler, stream=out).sort_stats("tottime").print_stats(25)
            profile_top = out.getvalue()
        final_states = await worker_side.states(side)
    finally:
        await side.close()
    return {"results": results, "states": final_states, "profile_top": profile_top}


def run(*, quick: bool, profile: Path | None = None) -> FigureResult:
    n = 1_000 if quick else 5_000
    rounds = 1 if quick else 2
    warmup = 200
    figure = FigureResult("delivery")
    with tempfile.TemporaryDirectory(prefix="fedskills-bench-delivery-") as tmp:
        workdir = Path(tmp)
        with sink_process(workdir) as (sink_url, _port):
            data = asyncio.run(_run(sink_url, workdir, n, rounds, warmup, profile))

    results = data["results"]

    def best(name: str) -> dict[str, Any]:
        return max(results[name], key=lambda r: r["per_s"])

    ours = best("ours")
    raw = {name: best(name) for name in results if name != "ours"}
    contenders = {k: v for k, v in raw.items() if k in ("httpx", "aiohttp")}
    baseline_name = max(contenders, key=lambda k: contenders[k]["per_s"])
    baseline = contenders[baseline_name]
    all_ok = all(r["ok"] for runs in results.values() for r in runs)
    expected_done = warmup + n * rounds + (n if profile is not None else 0)
    states_ok = data["states"] == {"done": expected_done}
    delivery_ratio = ratio(ours["per_s"], baseline["per_s"])
    figure.rows = [
        Row(
            f"delivery: signed POSTs/s, one worker, {CONCURRENCY} at a time",
            ours["per_s"],
            "/s",
            baseline["per_s"],
            delivery_ratio,
            f"ratio >= {GOAL_RATIO:.2f}",
            bool(all_ok and states_ok and (delivery_ratio or 0) >= GOAL_RATIO),
            f"baseline: raw {baseline_name} loop"
            + ("" if all_ok and states_ok else "; NOT every POST got 202: see details"),
        ),
    ]
    for name, r in raw.items():
        if name != baseline_name:
            figure.rows.append(
                Row(
                    f"delivery: raw {name} loop",
                    r["per_s"],
                    "/s",
                    baseline["per_s"],
                    ratio(r["per_s"], baseline["per_s"]),
                    note=f"compared with raw {baseline_name}",
                )
            )
    per_post_us = 1e6 / ours["delivered"]
    figure.rows.append(
        Row(
            "delivery: ours, time per POST in DB transactions",
            (ours["claim_s"] + ours["record_s"] + ours["other_db_s"]) * per_post_us,
            "us",
            note=f"claim {ours['claim_s'] * per_post_us:.0f} + record "
            f"{ours['record_s'] * per_post_us:.0f} + other {ours['other_db_s'] * per_post_us:.0f}",
        )
    )
    figure.rows.append(
        Row(
            "delivery: ours, time per POST sending (sign + POST)",
            ours["send_s"] * per_post_us,
            "us",
            1e6 / baseline["per_s"],
            ratio(ours["send_s"] * per_post_us, 1e6 / baseline["per_s"]),
            note="baseline: the raw loop's whole time per POST",
        )
    )
    figure.details = {
        "deliveries": n,
        "rounds": rounds,
        "warmup": warmup,
        "batch": BATCH,
        "concurrency": CONCURRENCY,
        "inboxes": "distinct paths on one sink host (keep-alive connections)",
        "event_loop": "stdlib asyncio (as `fediverse-skills worker`)",
        "baseline": baseline_name,
        "results": results,
        "final_delivery_states": data["states"],
        "expected_done": expected_done,
    }
    if data["profile_top"]:
        figure.details["profile"] = str(profile)
        figure.details["profile_top_tottime"] = data["profile_top"]
    if not all_ok or not states_ok:
        figure.error = "some POSTs were not answered 202 or some deliveries are not done"
    return figure

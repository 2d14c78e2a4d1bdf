"""Figure 3: one note to 10,000 followers on 1,000 instances, from publish to last delivery.

Seeded directly (not timed): 10,000 ``remote_actors`` on 1,000 made-up hosts
(``i{k}.fanout.test``; 10 actors per host sharing that host's ``sharedInbox``) and 10,000
accepted ``follows`` of alice. A resolver maps those names to 127.0.0.1, where one sink
process answers for all of them (so each instance is its own host to the client: its own
connection, its own row in ``hosts``).

Timed: ``services.outbox.publish_note(fed, alice, ...)`` (the note, the Create and one
delivery per distinct inbox, in one transaction), then ``deliver_due`` until nothing is
due. Checked: exactly 1,000 deliveries queued, 1,000 POSTs received by the sink, one per
instance, and every delivery done.

For scale (when aiohttp is installed): the same 1,000 signed POSTs of the same body to the
same 1,000 shared inboxes, 64 at a time, by a raw aiohttp loop whose resolver maps the same
names to 127.0.0.1 (one new connection per instance, as for us). No goal is set on it.
"""

from __future__ import annotations

import asyncio
import json
import socket
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import func, insert, select

from bench import worker_side
from bench.common import (
    HOST,
    FigureResult,
    Row,
    http_json,
    installed,
    ratio,
    sink_process,
)
from bench.delivery import send_pool, signed_headers
from fediverse_skills.services.deliveries import CONCURRENCY
from fediverse_skills.services.outbox import publish_note
from fediverse_skills.store.tables import deliveries, follows, hosts, remote_actors

DOMAIN = "fanout.test"


async def _resolve(host: str, port: int) -> list[str]:
    """Every made-up instance lives on 127.0.0.1; nothing else resolves."""
    if host.endswith(f".{DOMAIN}"):
        return [HOST]
    raise OSError(f"unknown host {host}")


async def _raw_fanout(urls: list[str], body: bytes, key: Any, key_id: str) -> list[int]:
    """The raw aiohttp loop, resolving the made-up names like :func:`_resolve`."""
    import aiohttp
    from aiohttp.abc import AbstractResolver, ResolveResult

    class Resolver(AbstractResolver):
        async def resolve(
            self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
        ) -> list[ResolveResult]:
            address = (await _resolve(host, port))[0]
            return [
                {
                    "hostname": host,
                    "host": address,
                    "port": port,
                    "family": socket.AF_INET,
                    "proto": 0,
                    "flags": socket.AI_NUMERICHOST,
                }
            ]

        async def close(self) -> None:
            pass

    connector = aiohttp.TCPConnector(limit=CONCURRENCY, resolver=Resolver(), use_dns_cache=False)
    async with aiohttp.ClientSession(
        connector=connector, timeout=aiohttp.ClientTimeout(total=30)
    ) as session:

        async def send(url: str) -> int:
            async with session.post(
                url, data=body, headers=signed_headers(url, body, key, key_id)
            ) as response:
                await response.read()
                return response.status

        return await send_pool(urls, send)


async def _seed(side: worker_side.Side, port: int, instances: int, per_instance: int) -> int:
    now = datetime.now(UTC)
    followee = side.fed.uris.actor(side.user.username)
    actors: list[dict[str, Any]] = []
    relations: list[dict[str, Any]] = []
    for k in range(instances):
        origin = f"http://i{k}.{DOMAIN}:{port}"
        for j in range(per_instance):
            uri = f"{origin}/users/u{j}"
            actors.append(
                {
                    "uri": uri,
                    "host": f"i{k}.{DOMAIN}:{port}",
                    "type": "Person",
                    "username": f"u{j}",
                    "name": f"User {j} of instance {k}",
                    "inbox": f"{uri}/inbox",
                    "shared_inbox": f"{origin}/inbox",
                    "followers": f"{uri}/followers",
                    "url": None,
                    "key_id": f"{uri}#main-key",
                    "public_key_pem": None,
                    "document": "{}",
                    "fetched_at": now,
                    "deleted_at": None,
                }
            )
            relations.append(
                {
                    "follower": uri,
                    "followee": followee,
                    "activity_uri": f"{uri}/follows/alice",
                    "state": "accepted",
                    "created_at": now,
                    "accepted_at": now,
                }
            )
    async with side.db.transaction() as conn:
        await conn.execute(insert(remote_actors), actors)
        await conn.execute(insert(follows), relations)
    return len(actors)


async def _count(side: worker_side.Side, table: Any) -> int:
    async with side.db.connection() as conn:
        return int((await conn.execute(select(func.count()).select_from(table))).scalar_one())


async def _run(
    sink_url: str, port: int, workdir: Path, instances: int, per_instance: int
) -> dict[str, Any]:
    side = await worker_side.open_side(workdir, resolver=_resolve)
    try:
        seed_start = time.perf_counter()
        seeded = await _seed(side, port, instances, per_instance)
        seed_s = time.perf_counter() - seed_start
        http_json(f"{sink_url}/_reset", method="POST")

        start = time.perf_counter()
        _note, create = await publish_note(
            side.fed, side.user, "Fan-out benchmark: one note to every follower."
        )
        published = time.perf_counter()
        drained = await worker_side.drain(side, expected=instances, time_limit=300)
        end = time.perf_counter()

        stats = http_json(f"{sink_url}/_stats")
        queued = await _count(side, deliveries)
        host_rows = await _count(side, hosts)
        final_states = await worker_side.states(side)

        raw: dict[str, Any] | None = None
        if installed("aiohttp"):
            http_json(f"{sink_url}/_reset", method="POST")
            urls = [f"http://i{k}.{DOMAIN}:{port}/inbox" for k in range(instances)]
            body = json.dumps(create, separators=(",", ":"), ensure_ascii=False).encode()
            raw_start = time.perf_counter()
            statuses = await _raw_fanout(urls, body, worker_side.private_key(side), side.key_id)
            raw_s = time.perf_counter() - raw_start
            raw_stats = http_json(f"{sink_url}/_stats")
            raw = {
                "seconds": raw_s,
                "ok": statuses.count(202) == instances and raw_stats["distinct_hosts"] == instances,
                "sink": raw_stats,
            }
    finally:
        await side.close()
    return {
        "followers_seeded": seeded,
        "seed_s": seed_s,
        "publish_s": published - start,
        "drain": drained.to_json(),
        "total_s": end - start,
        "deliveries_queued": queued,
        "hosts_rows": host_rows,
        "delivery_states": final_states,
        "sink": stats,
        "activity": create["id"],
        "raw_aiohttp_fanout": raw,
    }


def run(*, quick: bool) -> FigureResult:
    instances = 100 if quick else 1_000
    per_instance = 10
    figure = FigureResult("fanout")
    with tempfile.TemporaryDirectory(prefix="fedskills-bench-fanout-") as tmp:
        workdir = Path(tmp)
        with sink_process(workdir) as (sink_url, port):
            data = asyncio.run(_run(sink_url, port, workdir, instances, per_instance))

    sink_stats = data["sink"]
    exact = (
        data["deliveries_queued"] == instances
        and sink_stats["posts"] == instances
        and sink_stats["distinct_hosts"] == instances
        and sink_stats["signed"] == instances
        and data["delivery_states"] == {"done": instances}
    )
    followers = instances * per_instance
    raw = data["raw_aiohttp_fanout"]
    raw_s = raw["seconds"] if raw and raw["ok"] else None
    figure.rows = [
        Row(
            f"fan-out: publish to last delivery, {followers:,} followers on "
            f"{instances:,} instances",
            data["total_s"],
            "s",
            raw_s,
            ratio(data["total_s"], raw_s),
            goal=f"exactly {instances:,} deliveries, all done",
            passed=exact,
            note=f"{data['deliveries_queued']:,} delivery rows; sink got "
            f"{sink_stats['posts']:,} POSTs from {sink_stats['distinct_hosts']:,} hosts; "
            "baseline: the same POSTs by a raw aiohttp loop (time, so ratio = ours/raw)",
        ),
        Row("fan-out: publish_note (note + Create + delivery rows)", data["publish_s"], "s"),
        Row(
            "fan-out: draining the deliveries",
            data["drain"]["seconds"],
            "s",
            note=f"{data['drain']['per_s']:.0f} deliveries/s, one new connection per instance",
        ),
    ]
    figure.details = {
        "followers": followers,
        "instances": instances,
        "followers_per_instance": per_instance,
        **data,
    }
    if not exact:
        figure.error = (
            "the deliveries made do not match one per instance: "
            f"states {data['delivery_states']}, sink {sink_stats}"
        )
    return figure

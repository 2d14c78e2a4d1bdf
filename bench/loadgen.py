"""Closed-loop HTTP/1.1 load generator over keep-alive connections (its own process).

``python -m bench.loadgen --port P --requests FILE --warmup W --concurrency C --out OUT``

FILE holds complete, pre-signed HTTP requests (see :func:`write_requests`), so nothing is
signed or encoded while the clock runs. C senders each own one connection and send their
next request as soon as the previous answer is read. The first W requests warm up (not
measured); the rest are timed. Stops early, by itself, after ``--time-limit`` seconds.
Writes throughput, latency percentiles and status counts as JSON to OUT.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import resource
import struct
import time
from collections import Counter
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from bench.common import HOST, percentile

_LEN = struct.Struct(">I")


def write_requests(path: Path, requests: Iterable[bytes]) -> int:
    count = 0
    with path.open("wb") as fh:
        for raw in requests:
            fh.write(_LEN.pack(len(raw)))
            fh.write(raw)
            count += 1
    return count


def read_requests(path: Path) -> list[bytes]:
    data = path.read_bytes()
    out: list[bytes] = []
    i = 0
    while i < len(data):
        (n,) = _LEN.unpack_from(data, i)
        i += _LEN.size
        out.append(data[i : i + n])
        i += n
    return out


class Closed(Exception):
    pass


async def _read_response(reader: asyncio.StreamReader) -> tuple[int, bytes, bool]:
    """(status, body, server-wants-close) of one HTTP/1.1 response."""
    try:
        head = await reader.readuntil(b"\r\n\r\n")
    except (asyncio.IncompleteReadError, ConnectionError) as exc:
        raise Closed(str(exc)) from None
    status = int(head[9:12])
    lower = head.lower()
    close = b"\r\nconnection: close" in lower
    marker = lower.find(b"\r\ncontent-length:")
    if marker >= 0:
        end = lower.index(b"\r\n", marker + 2)
        length = int(lower[marker + 17 : end])
        body = await reader.readexactly(length) if length else b""
    elif b"\r\ntransfer-encoding: chunked" in lower:
        parts = []
        while True:
            size = int((await reader.readuntil(b"\r\n")).split(b";")[0], 16)
            chunk = await reader.readexactly(size + 2)
            if size == 0:
                break
            parts.append(chunk[:-2])
        body = b"".join(parts)
    else:
        body = b""
    return status, body, close


class Generator:
    def __init__(self, port: int, concurrency: int) -> None:
        self.port = port
        self.concurrency = concurrency
        self.conns: list[tuple[asyncio.StreamReader, asyncio.StreamWriter] | None] = [
            None
        ] * concurrency

    async def _conn(self, slot: int) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
        conn = self.conns[slot]
        if conn is None:
            conn = await asyncio.open_connection(HOST, self.port)
            self.conns[slot] = conn
        return conn

    def _drop(self, slot: int) -> None:
        conn = self.conns[slot]
        self.conns[slot] = None
        if conn is not None:
            conn[1].close()

    async def phase(self, requests: Sequence[bytes], deadline: float) -> dict[str, Any]:
        latencies: list[float] = []
        statuses: Counter[int] = Counter()
        errors: Counter[str] = Counter()
        samples: list[str] = []
        it = iter(requests)

        async def sender(slot: int) -> None:
            for raw in it:
                if time.monotonic() > deadline:
                    return
                for _attempt in range(2):  # one reconnect if the server closed keep-alive
                    reader, writer = await self._conn(slot)
                    start = time.perf_counter()
                    try:
                        writer.write(raw)
                        status, body, close = await _read_response(reader)
                    except (Closed, ConnectionError) as exc:
                        self._drop(slot)
                        last = f"{type(exc).__name__}"
                        continue
                    latencies.append(time.perf_counter() - start)
                    statuses[status] += 1
                    if not 200 <= status < 300 and len(samples) < 5:
                        samples.append(f"{status}: {body[:300].decode('utf-8', 'replace')}")
                    if close:
                        self._drop(slot)
                    break
                else:
                    errors[last] += 1

        started = time.perf_counter()
        await asyncio.gather(*(sender(i) for i in range(self.concurrency)))
        elapsed = time.perf_counter() - started
        ordered = sorted(latencies)
        done = len(latencies)
        return {
            "requests": done,
            "elapsed_s": elapsed,
            "per_s": done / elapsed if elapsed > 0 else 0.0,
            "p50_ms": percentile(ordered, 50) * 1000,
            "p90_ms": percentile(ordered, 90) * 1000,
            "p99_ms": percentile(ordered, 99) * 1000,
            "max_ms": (ordered[-1] * 1000) if ordered else float("nan"),
            "statuses": {str(k): v for k, v in sorted(statuses.items())},
            "errors": dict(errors),
            "error_samples": samples,
            "timed_out": done + sum(errors.values()) < len(requests),
        }

    def close(self) -> None:
        for slot in range(self.concurrency):
            self._drop(slot)


async def run(
    port: int, requests: list[bytes], warmup: int, concurrency: int, time_limit: float
) -> dict[str, Any]:
    gen = Generator(port, concurrency)
    deadline = time.monotonic() + time_limit
    try:
        warm = await gen.phase(requests[:warmup], deadline) if warmup else None
        before = resource.getrusage(resource.RUSAGE_SELF)
        timed = await gen.phase(requests[warmup:], deadline)
        after = resource.getrusage(resource.RUSAGE_SELF)
    finally:
        gen.close()
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    timed["generator_cpu_s"] = cpu
    timed["concurrency"] = concurrency
    if warm is not None:
        timed["warmup"] = {k: warm[k] for k in ("requests", "statuses", "errors", "error_samples")}
    return timed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--requests", type=Path, required=True)
    parser.add_argument("--warmup", type=int, default=0)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--time-limit", type=float, default=60.0)
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args()
    requests = read_requests(args.requests)
    main_task = run(args.port, requests, args.warmup, args.concurrency, args.time_limit)
    try:
        import uvloop  # the generator's own speed is not what is measured

        result = uvloop.run(main_task)
    except ImportError:
        result = asyncio.run(main_task)
    args.out.write_text(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()

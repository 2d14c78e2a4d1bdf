"""Closed-loop HTTP/1.1 load generator over keep-alive connections (its own process).

``python -m bench.loadgen --port P --requests FILE --warmup W --concurrency C --out OUT``

FILE holds complete, pre-signed HTTP requests (see :func:`write_requests`), so nothing is
signed or encoded while the clock runs. C senders each own one connection and send their
next request as soon as the previous answer is read. The first W requests warm up (not
measured); the rest are timed. Stops early, by itself, after ``--time-limit`` seconds.
Writes throughput, latency percentiles and status counts as JSON to OUT.

``--sessions FILE`` (instead of ``--requests``) replays mixed traffic (``bench/soak.py``):
FILE holds sessions (see :func:`write_sessions`), each a short list of labelled requests
that one sender sends in order on its connection (for example: add a skill, endorse it,
remove it). Senders take the next session as soon as they are free, until the sessions run
out or ``--time-limit`` passes. The result adds, per label, the count, statuses and
latency percentiles, and a timeline: the same figures per ``--interval`` seconds.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import resource
import struct
import time
from collections import Counter
from collections.abc import Coroutine, Iterable, Sequence
from pathlib import Path
from typing import Any

from bench.common import HOST, percentile

_LEN = struct.Struct(">I")
_SESSIONS_MAGIC = b"FSKSESS1"
# A mixed-traffic request that has no answer after this long counts as an error.
REQUEST_TIMEOUT = 30.0

# One labelled request (label, complete HTTP/1.1 request bytes).
Labelled = tuple[str, bytes]


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


def write_sessions(path: Path, sessions: Iterable[Sequence[Labelled]]) -> int:
    """Write sessions of labelled requests; returns how many sessions."""
    count = 0
    with path.open("wb") as fh:
        fh.write(_SESSIONS_MAGIC)
        for session in sessions:
            fh.write(_LEN.pack(len(session)))
            for label, raw in session:
                name = label.encode()
                fh.write(_LEN.pack(len(name)) + name + _LEN.pack(len(raw)))
                fh.write(raw)
            count += 1
    return count


def read_sessions(path: Path) -> list[list[Labelled]]:
    data = path.read_bytes()
    if not data.startswith(_SESSIONS_MAGIC):
        raise ValueError(f"{path} is not a sessions file (see write_sessions)")
    out: list[list[Labelled]] = []
    i = len(_SESSIONS_MAGIC)

    def chunk() -> bytes:
        nonlocal i
        (n,) = _LEN.unpack_from(data, i)
        i += _LEN.size + n
        return data[i - n : i]

    while i < len(data):
        (count,) = _LEN.unpack_from(data, i)
        i += _LEN.size
        session = []
        for _ in range(count):
            label = chunk().decode()
            session.append((label, chunk()))
        out.append(session)
    return out


def summary(latencies: list[float], statuses: Counter[int], errors: Counter[str]) -> dict[str, Any]:
    """Count, statuses, errors and latency percentiles (ms) of some requests."""
    ordered = sorted(latencies)
    return {
        "requests": len(ordered),
        "p50_ms": percentile(ordered, 50) * 1000,
        "p90_ms": percentile(ordered, 90) * 1000,
        "p99_ms": percentile(ordered, 99) * 1000,
        "max_ms": (ordered[-1] * 1000) if ordered else float("nan"),
        "statuses": {str(k): v for k, v in sorted(statuses.items())},
        "errors": dict(errors),
        "non_2xx": sum(v for k, v in statuses.items() if not 200 <= k < 300),
    }


class _Tally:
    """Latencies, statuses and errors of one label or one time interval."""

    def __init__(self) -> None:
        self.latencies: list[float] = []
        self.statuses: Counter[int] = Counter()
        self.errors: Counter[str] = Counter()

    def summary(self) -> dict[str, Any]:
        return summary(self.latencies, self.statuses, self.errors)


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

    async def sessions_phase(
        self,
        sessions: Sequence[Sequence[Labelled]],
        deadline: float,
        interval: float,
        rate: float = 0.0,
    ) -> dict[str, Any]:
        """Replay mixed sessions until they run out or ``deadline`` (time.monotonic) passes.

        With ``rate`` (requests a second), each request waits for its turn on a fixed
        schedule (open loop, as long as a sender is free; latency counts from the send).

        Any failure to send or to read an answer counts as an error of its label (a
        connection the server closed is reopened once, and that counts as well); so does a
        request without an answer after :data:`REQUEST_TIMEOUT` seconds.
        """
        by_label: dict[str, _Tally] = {}
        by_group: dict[str, _Tally] = {}  # "inbox:follow" is in the group "inbox"
        overall = _Tally()
        buckets: dict[int, _Tally] = {}
        samples: list[str] = []
        it = iter(sessions)
        started = time.perf_counter()
        sessions_done = 0
        tickets = itertools.count()

        def record(label: str, latency: float | None, status: int | None, error: str) -> None:
            bucket = int((time.perf_counter() - started) // interval)
            for tally in (
                by_label.setdefault(label, _Tally()),
                by_group.setdefault(label.partition(":")[0], _Tally()),
                overall,
                buckets.setdefault(bucket, _Tally()),
            ):
                if latency is not None:
                    tally.latencies.append(latency)
                if status is not None:
                    tally.statuses[status] += 1
                if error:
                    tally.errors[error] += 1

        async def exchange(slot: int, raw: bytes) -> tuple[int, bytes, float]:
            reader, writer = await self._conn(slot)
            start = time.perf_counter()
            writer.write(raw)
            status, body, close = await _read_response(reader)
            elapsed = time.perf_counter() - start
            if close:
                self._drop(slot)
            return status, body, elapsed

        async def sender(slot: int) -> None:
            nonlocal sessions_done
            for session in it:
                if time.monotonic() > deadline:
                    return
                for label, raw in session:
                    if rate:
                        turn = started + next(tickets) / rate - time.perf_counter()
                        if turn > 0:
                            await asyncio.sleep(turn)
                    for attempt in range(2):
                        try:
                            status, body, elapsed = await asyncio.wait_for(
                                exchange(slot, raw), REQUEST_TIMEOUT
                            )
                        except (Closed, ConnectionError, TimeoutError) as exc:
                            self._drop(slot)
                            kind = "timeout" if isinstance(exc, TimeoutError) else "connection"
                            record(label, None, None, f"{kind}: {type(exc).__name__}")
                            if kind == "timeout" or attempt:
                                break
                            continue
                        record(label, elapsed, status, "")
                        if not 200 <= status < 300 and len(samples) < 10:
                            text = body[:300].decode("utf-8", "replace")
                            samples.append(f"{label} {status}: {text}")
                        break
                sessions_done += 1

        await asyncio.gather(*(sender(i) for i in range(self.concurrency)))
        elapsed = time.perf_counter() - started
        result = overall.summary()
        result.update(
            elapsed_s=elapsed,
            per_s=result["requests"] / elapsed if elapsed > 0 else 0.0,
            sessions=sessions_done,
            exhausted=sessions_done >= len(sessions) and time.monotonic() <= deadline,
            error_samples=samples,
            groups={group: tally.summary() for group, tally in sorted(by_group.items())},
            labels={label: tally.summary() for label, tally in sorted(by_label.items())},
            timeline=[{"t_s": n * interval, **buckets[n].summary()} for n in sorted(buckets)],
        )
        return result

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


async def run_sessions(
    port: int,
    sessions: list[list[Labelled]],
    concurrency: int,
    time_limit: float,
    interval: float,
    rate: float = 0.0,
) -> dict[str, Any]:
    gen = Generator(port, concurrency)
    deadline = time.monotonic() + time_limit
    try:
        before = resource.getrusage(resource.RUSAGE_SELF)
        result = await gen.sessions_phase(sessions, deadline, interval, rate)
        after = resource.getrusage(resource.RUSAGE_SELF)
    finally:
        gen.close()
    result["generator_cpu_s"] = (after.ru_utime - before.ru_utime) + (
        after.ru_stime - before.ru_stime
    )
    result["concurrency"] = concurrency
    result["rate"] = rate or None
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, required=True)
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument("--requests", type=Path)
    source.add_argument("--sessions", type=Path)
    parser.add_argument("--warmup", type=int, default=0)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--time-limit", type=float, default=60.0)
    parser.add_argument("--interval", type=float, default=10.0)
    parser.add_argument("--rate", type=float, default=0.0, help="--sessions: requests/s")
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args()
    main_task: Coroutine[Any, Any, dict[str, Any]]
    if args.sessions is not None:
        sessions = read_sessions(args.sessions)
        main_task = run_sessions(
            args.port, sessions, args.concurrency, args.time_limit, args.interval, args.rate
        )
    else:
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

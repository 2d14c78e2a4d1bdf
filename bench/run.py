"""``python -m bench.run [--quick] [--only inbox,...,trust,matching] [--strict] [--profile]``

Runs the benchmarks, prints one table (figure, value, baseline, ratio, goal, result) and
writes the whole result as JSON to ``bench/results/<timestamp>.json`` and
``bench/results/latest.json``. Every baseline is measured in the same run; nothing is
compared with a stored number. Everything binds to 127.0.0.1; every loop is bounded.

Exit status: 1 if a benchmark could not run or a correctness check failed (a request not
answered 202, a delivery missing or duplicated, a proof not verified, an endorsement missing
from a profile, an incremental trust result drifting from a full recompute, a match that is
not open to work or is beyond 3 steps); with
``--strict``, also when a goal is missed; 0 otherwise. See bench/README.md for what each
figure means.
"""

from __future__ import annotations

import argparse
import importlib.metadata
import json
import os
import platform
import sys
import time
import traceback
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from bench.common import ROOT, FigureResult, Row

FIGURES = ("inbox", "delivery", "fanout", "proofs", "profile", "trust", "matching")
RESULTS = ROOT / "bench" / "results"
# A 1-minute load average above this before we start means someone else is using the cores.
BUSY_LOAD = 0.5
PACKAGES = (
    "fediverse-skills",
    "httpx",
    "httpcore",
    "aiohttp",
    "httpx-aiohttp",
    "uvicorn",
    "uvloop",
    "starlette",
    "sqlalchemy",
    "aiosqlite",
    "cryptography",
    "numpy",
    "scipy",
)


def _version(name: str) -> str | None:
    try:
        return importlib.metadata.version(name)
    except importlib.metadata.PackageNotFoundError:
        return None


def _fmt(value: float | None, unit: str) -> str:
    if value is None:
        return "-"
    if unit == "/s":
        return f"{value:,.0f}/s"
    if unit == "ms":
        return f"{value:.1f} ms"
    if unit == "us":
        return f"{value:,.0f} us"
    if unit == "s":
        return f"{value:.2f} s"
    if unit == "count":
        return f"{value:,.0f}"
    if unit == "score":
        return f"{value:.3f}"
    if unit == "rho":
        return f"{value:.6f}"
    if unit == "GB":
        return f"{value:.2f} GB"
    return f"{value:g} {unit}"


def _fmt_ratio(value: float) -> str:
    # Two decimals, or two significant digits below 0.1 (0.0036 rather than 0.00).
    return f"{value:.2f}" if value == 0 or abs(value) >= 0.1 else f"{value:.2g}"


def _result(row: Row) -> str:
    if row.passed is None:
        return "info"
    return "PASS" if row.passed else "FAIL"


def table(figures: list[FigureResult]) -> str:
    header = ("figure", "value", "baseline", "ratio", "goal", "result")
    lines: list[tuple[str, ...]] = []
    notes: list[str] = []
    for figure in figures:
        if figure.error and not figure.rows:
            lines.append((f"{figure.name}: ERROR", "-", "-", "-", "-", "ERROR"))
        for row in figure.rows:
            lines.append(
                (
                    row.figure,
                    _fmt(row.value, row.unit),
                    _fmt(row.baseline, row.unit),
                    "-" if row.ratio is None else _fmt_ratio(row.ratio),
                    row.goal or "-",
                    _result(row),
                )
            )
            if row.note:
                notes.append(f"  {row.figure}: {row.note}")
        if figure.error:
            notes.append(f"  {figure.name}: ERROR: {figure.error.splitlines()[0][:300]}")
    widths = [max(len(r[i]) for r in [header, *lines]) for i in range(len(header))]
    right = {1, 2, 3}

    def fmt(cells: tuple[str, ...]) -> str:
        return "  ".join(
            c.rjust(w) if i in right else c.ljust(w)
            for i, (c, w) in enumerate(zip(cells, widths, strict=True))
        ).rstrip()

    out = [fmt(header), "  ".join("-" * w for w in widths)]
    out += [fmt(line) for line in lines]
    if notes:
        out += ["", "notes:", *notes]
    return "\n".join(out)


def _runner(name: str, args: argparse.Namespace, stamp: str) -> Callable[[], FigureResult]:
    if name == "inbox":
        from bench import inbox

        return lambda: inbox.run(quick=args.quick)
    if name == "delivery":
        from bench import delivery

        profile = RESULTS / f"{stamp}-delivery.pstats" if args.profile else None
        return lambda: delivery.run(quick=args.quick, profile=profile)
    if name == "fanout":
        from bench import fanout

        return lambda: fanout.run(quick=args.quick)
    if name == "proofs":
        from bench import proofs

        return lambda: proofs.run(quick=args.quick)
    if name == "trust":
        from bench import trust

        return lambda: trust.run(quick=args.quick)
    if name == "matching":
        from bench import matching

        return lambda: matching.run(quick=args.quick)
    from bench import profiles

    pstats_path = RESULTS / f"{stamp}-profile.pstats" if args.profile else None
    return lambda: profiles.run(quick=args.quick, profile=pstats_path)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench.run", description="Benchmarks with same-run baselines."
    )
    parser.add_argument(
        "--quick", action="store_true", help="smaller counts (a smoke test, about a minute)"
    )
    parser.add_argument(
        "--only",
        default=",".join(FIGURES),
        help=f"comma-separated subset of {','.join(FIGURES)}",
    )
    parser.add_argument("--strict", action="store_true", help="exit 1 when a goal is missed")
    parser.add_argument(
        "--profile",
        action="store_true",
        help=(
            "delivery: one extra round under cProfile (bench/results/<timestamp>-delivery.pstats);"
            " profile: the server-side calls under cProfile (<timestamp>-profile.pstats)"
        ),
    )
    args = parser.parse_args(argv)
    only = [n.strip() for n in args.only.split(",") if n.strip()]
    unknown = sorted(set(only) - set(FIGURES))
    if unknown or not only:
        parser.error(f"--only takes names from {', '.join(FIGURES)}; got {args.only!r}")

    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    RESULTS.mkdir(parents=True, exist_ok=True)
    load_before = os.getloadavg()
    print(
        f"bench: {'quick' if args.quick else 'full'} run of {', '.join(only)} on "
        f"{os.cpu_count()} CPUs, Python {platform.python_version()}",
        file=sys.stderr,
    )
    started = time.perf_counter()
    figures: list[FigureResult] = []
    for name in FIGURES:
        if name not in only:
            continue
        print(f"bench: running {name} ...", file=sys.stderr, flush=True)
        t0 = time.perf_counter()
        try:
            figure = _runner(name, args, stamp)()
        except Exception as exc:
            figure = FigureResult(name, error=f"{type(exc).__name__}: {exc}")
            figure.details["traceback"] = traceback.format_exc()
        figure.details["wall_s"] = time.perf_counter() - t0
        print(f"bench: {name} took {figure.details['wall_s']:.1f}s", file=sys.stderr, flush=True)
        figures.append(figure)
    elapsed = time.perf_counter() - started
    load_after = os.getloadavg()

    errors = [f for f in figures if f.error]
    missed = [r for f in figures for r in f.rows if r.passed is False]
    print()
    print(table(figures))
    print()
    if "inbox" in only:
        print(
            "inbox: our server ran with FEDSKILLS_IN_PROCESS_WORKER=false (no worker competing "
            "for its core); the load generator is a separate process."
        )
    if "delivery" in only or "fanout" in only:
        print(
            "delivery/fan-out: deliver_due runs in this process (stdlib asyncio loop); "
            "the sink is a separate process."
        )
    if "proofs" in only:
        print("proofs: ours and the baseline run in this process, one thread, same documents.")
    if "profile" in only:
        print(
            "profile: our server ran with FEDSKILLS_IN_PROCESS_WORKER=false; requests go one at "
            "a time over one keep-alive connection from this process."
        )
    if "trust" in only:
        print(
            "trust: seeded synthetic graphs (bench/trustgraph.py); the Sybil, reciprocity and "
            "stability figures run in this process, speed and memory in a child process"
            + (" on a scaled-down graph (--quick)." if args.quick else ".")
        )
    if "matching" in only:
        print(
            "matching: services.matching in this process over a seeded SQLite database and the "
            "trust figure's speed graph (bench/trustgraph.py)"
            + (", scaled down (--quick)." if args.quick else ".")
        )
    if load_before[0] > BUSY_LOAD:
        print(
            f"warning: the machine was busy before the run (load average {load_before[0]:.2f}); "
            "other processes compete for the cores, so these numbers are noisier than usual."
        )
    report: dict[str, Any] = {
        "timestamp": stamp,
        "mode": "quick" if args.quick else "full",
        "only": only,
        "elapsed_s": elapsed,
        "machine": {
            "cpus": os.cpu_count(),
            "platform": platform.platform(),
            "python": platform.python_version(),
            "load_average_before": load_before,
            "load_average_after": load_after,
        },
        "versions": {name: _version(name) for name in PACKAGES},
        "figures": [f.to_json() for f in figures],
        "goals_met": not missed and not errors,
        "errors": [f.name for f in errors],
    }
    text = json.dumps(report, indent=2, default=str)
    (RESULTS / f"{stamp}.json").write_text(text)
    (RESULTS / "latest.json").write_text(text)
    print(f"\nwrote bench/results/{stamp}.json and bench/results/latest.json ({elapsed:.0f}s)")
    if errors:
        return 1
    if args.strict and missed:
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())

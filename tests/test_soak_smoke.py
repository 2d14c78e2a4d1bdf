"""`make soak` must keep working: a five-second soak runs and writes a complete report.

The goals (no errors, RSS flat within 10 %) are judged by `make soak` over minutes, never
by a timed test; here only the shape of the report and the absence of errors are checked.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.processes import ROOT, clean_env

pytestmark = pytest.mark.slow


def test_short_soak_writes_a_report(tmp_path: Path) -> None:
    out = tmp_path / "soak.json"
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "bench.soak",
            "--duration",
            "5",
            "--concurrency",
            "8",
            "--probe-seconds",
            "0",
            "--warmup",
            "0",
            "--drain-seconds",
            "0",
            "--sample-every",
            "2",
            "--people",
            "4",
            "--out",
            str(out),
        ],
        cwd=ROOT,
        env=clean_env(),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    # 1 is a missed goal (a short run's RSS may still move); anything else is a failure.
    assert done.returncode in (0, 1), done.stdout[-3000:] + done.stderr[-3000:]
    report = json.loads(out.read_text())
    assert report["kind"] == "soak" and report["database"] == "sqlite"
    assert report["concurrency"] == 8 and report["ran_s"] >= 4.5
    assert set(report["groups"]) == {"inbox", "read", "api"}
    assert set(report["labels"]) == {
        "inbox:create",
        "inbox:like",
        "inbox:follow",
        "read:html",
        "read:as2-actor",
        "read:as2-skills",
        "api:note",
        "api:profile",
        "api:skill-add",
        "api:endorse",
        "api:skill-remove",
    }
    overall = report["overall"]
    assert overall["requests"] > 0 and overall["errors"] == 0, report["error_samples"]
    assert overall["requests"] == sum(g["requests"] for g in report["groups"].values())
    for figures in report["labels"].values():
        assert figures["requests"] > 0
        assert 0 < figures["p50_ms"] <= figures["p99_ms"]
    rss = report["rss"]
    assert len(rss["samples"]) >= 3
    assert 0 < rss["start_kib"] <= rss["max_kib"] and rss["end_kib"] <= rss["max_kib"]
    assert set(report["goals"]) == {"errors", "rss_change", "duration"}
    assert report["goals"]["errors"]["passed"]
    assert report["passed"] == all(g["passed"] for g in report["goals"].values())
    assert report["timeline"] and report["remote"]["actor_document_fetches"] >= 1
    worker = report["worker"]
    assert worker["pending_at_end"] >= 0 and worker["processed_per_s"] >= 0
    assert {"inbox_items", "deliveries"} <= set(worker["queues_at_end"])

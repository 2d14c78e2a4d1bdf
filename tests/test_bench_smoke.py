"""`make bench` must keep working: a quick run completes its correctness checks.

Speed goals are judged by `make bench` itself (ratios against baselines measured in the
same run), never by a timed test; this only checks that every figure is produced and that
every request and delivery was answered and stored exactly as expected.
"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from tests.processes import ROOT, clean_env

pytestmark = pytest.mark.slow


def test_quick_bench_produces_every_figure() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "bench.run", "--quick"],
        cwd=ROOT,
        env=clean_env(),
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    result = json.loads((ROOT / "bench" / "results" / "latest.json").read_text())
    figures = {f["name"]: f for f in result["figures"]}
    assert set(figures) == {"inbox", "delivery", "fanout"}
    for figure in figures.values():
        assert not figure.get("error"), figure["error"]
        assert all(row["value"] is not None for row in figure["rows"])

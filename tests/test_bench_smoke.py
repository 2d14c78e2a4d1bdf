"""`make bench` must keep working: a quick run completes its correctness checks.

Speed goals are judged by `make bench` itself (ratios against baselines measured in the
same run), never by a timed test; this only checks that every figure is produced and that
every request and delivery was answered and stored exactly as expected, every proof
verified, and every endorsement shown on the profile.
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
    assert set(figures) == {"inbox", "delivery", "fanout", "proofs", "profile"}
    for figure in figures.values():
        assert not figure.get("error"), figure["error"]
        assert all(row["value"] is not None for row in figure["rows"])

    # The two figures added last: their baselines come from the same run, and the
    # correctness checks they make are recorded.
    proofs = figures["proofs"]
    assert proofs["rows"][0]["baseline"] > 0
    assert proofs["rows"][0]["ratio"] is not None
    assert proofs["details"]["documents"] == 300
    profile = figures["profile"]
    assert profile["details"]["checks"] == "ok"
    http = profile["details"]["http"]
    assert set(http) == {"healthz", "as2", "api"}
    for measured in http.values():
        assert measured["statuses"] == {"200": measured["requests"] + 3}  # 3 warm-up rounds
    assert {row["baseline"] for row in profile["rows"]} == {http["healthz"]["p50_ms"]}

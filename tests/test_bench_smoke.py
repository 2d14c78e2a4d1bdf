"""`make bench` must keep working: a quick run completes its correctness checks.

Speed goals are judged by `make bench` itself (ratios against baselines measured in the
same run), never by a timed test; this only checks that every figure is produced and that
every request and delivery was answered and stored exactly as expected, every proof
verified, every endorsement shown on the profile, and every trust figure computed from
its own baseline.
"""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest

from bench import trustgraph
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
    assert set(figures) == {
        "inbox",
        "delivery",
        "fanout",
        "proofs",
        "profile",
        "trust",
        "matching",
    }
    for figure in figures.values():
        assert not figure.get("error"), figure["error"]
        assert all(row["value"] is not None for row in figure["rows"])

    # The figures added last: their baselines come from the same run, and the
    # correctness checks they make are recorded.
    proofs = figures["proofs"]
    assert proofs["rows"][0]["baseline"] > 0
    assert proofs["rows"][0]["ratio"] is not None
    assert proofs["details"]["documents"] == 300
    profile = figures["profile"]
    assert profile["details"]["checks"] == "ok"
    http = profile["details"]["http"]
    assert set(http) == {"healthz", "as2", "api", "page"}
    for measured in http.values():
        assert measured["statuses"] == {"200": measured["requests"] + 3}  # 3 warm-up rounds
    assert {row["baseline"] for row in profile["rows"]} == {http["healthz"]["p50_ms"]}

    # Trust: every ratio is computed from a baseline measured in the same run.
    trust = figures["trust"]
    rows = {row["figure"].split(" (")[0]: row for row in trust["rows"]}
    sybil = trust["details"]["sybil"]
    lift = rows["trust: Sybil lift"]
    assert lift["baseline"] == sybil["honest5_lift_median"] > 0
    assert lift["ratio"] == pytest.approx(lift["value"] / lift["baseline"])
    assert lift["value"] == pytest.approx(sybil["score_with_sybils"] - sybil["score_without"])
    assert len(sybil["honest_draws"]) == 3
    reciprocity = rows["trust: reciprocal / one-way endorsement"]
    assert reciprocity["ratio"] == pytest.approx(reciprocity["value"] / reciprocity["baseline"])
    spearman = rows["trust: Spearman of honest trust, with/without Sybils"]
    assert spearman["value"] == sybil["spearman_with_vs_without_sybils"]
    speed = trust["details"]["speed"]
    assert speed["rows"] == 100_000  # --quick: 10,000 people, 100,000 rows
    assert len(speed["update_ms"]) == 30
    assert speed["incremental_drift_l1_relative"] < 1e-3
    assert speed["peak_rss_bytes"] >= speed["input_rss_bytes"] > 0

    # Matching: the real service over a seeded database; its checks passed (no error above),
    # and every match was checked against the data.
    matching = figures["matching"]
    details = matching["details"]
    assert details["people"] == 10_000 and details["problems"] == []
    for checked in (details["poster_check"], details["hub_check"]):
        assert checked["matches_at_limit_100"] == min(100, checked["candidates_with_a_skill"]) > 0
    first = matching["rows"][0]
    assert first["baseline"] > 0 and first["ratio"] == pytest.approx(
        first["value"] / first["baseline"]
    )


def test_trust_graph_generator_is_seeded() -> None:
    first = trustgraph.honest(people=1_000, servers=5, seed=7)
    again = trustgraph.honest(people=1_000, servers=5, seed=7)
    other = trustgraph.honest(people=1_000, servers=5, seed=8)
    assert np.array_equal(first.src, again.src) and np.array_equal(first.skill, again.skill)
    assert not np.array_equal(first.src, other.src)
    assert first.names[999] == "https://s4.example/users/u999"
    follows = np.bincount(first.src[first.kind == trustgraph.FOLLOW], minlength=first.size)
    assert follows.min() >= 9 and np.median(follows) >= 15  # 10-30 each, minus duplicates

    target = 500
    attacked, attackers = trustgraph.sybil_region(first, target, count=300, attack_edges=5)
    assert attacked.size == first.size + 300
    assert all(trustgraph.host_is_sybil(n) for n in attacked.names[first.size :])
    sybil_rows = attacked.src >= first.size
    rust = attacked.skills.index("rust")
    assert int(np.sum(sybil_rows & (attacked.dst == target) & (attacked.skill == rust))) == 300
    into = (attacked.src < first.size) & (attacked.dst >= first.size)
    assert sorted(attacked.src[into].tolist()) == sorted(attackers.tolist())
    assert len(set(attackers.tolist())) == 5 and target not in attackers
    assert len(set(attacked.dst[into].tolist())) == 5

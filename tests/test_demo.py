"""The demos anyone can run keep working: docs/demo.py (``make demo``, a seeded network of
three servers) and docs/demo_skills.py (``make tour``, the story step by step)."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.peers.fedify import node_available

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[1]


def test_seeded_demo_shows_co_creation_across_three_servers() -> None:
    done = subprocess.run(
        [sys.executable, str(ROOT / "docs" / "demo.py"), "--seed-only"],
        capture_output=True,
        text=True,
        timeout=180,
        cwd=ROOT,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    out = done.stdout
    urls = re.findall(r"^  [ABC]  (http://127\.0\.0\.1:\d+) ", out, re.MULTILINE)
    assert len(set(urls)) == 3, out
    a, b, c = urls
    for url, user in [(a, "alice"), (a, "dana"), (b, "bob"), (b, "erin"), (c, "carol")]:
        assert re.search(rf"{re.escape(url)}/login +{user} +/ demo-password", out), out
        assert f"{url}/@{user}" in out
    assert f"sign in as dana on A: one suggestion waits at {a}/suggestions" in out
    assert out.rstrip().endswith("Stopped.")

    [line] = [line for line in out.splitlines() if line.startswith("SUMMARY ")]
    summary = json.loads(line.removeprefix("SUMMARY "))
    host = {url: url.removeprefix("http://") for url in urls}
    assert summary["instances"] == urls
    # alice's profile, as C sees it: skills suggested from B and C, accepted on A.
    assert summary["alice_skills"] == {
        "Rust": None,
        "PostgreSQL": None,
        "Distributed systems": host[b],
        "Mentoring": host[c],
        "Technical writing": host[b],  # bob's reply to her ask
    }
    assert summary["alice_suggested_from"] == sorted([host[b], host[c]])
    endorsed = summary["alice_endorsements_seen_from_c"]
    assert {(e["skill"], e["by"]) for e in endorsed} == {
        ("Rust", f"{c}/users/carol"),
        ("Distributed systems", f"{b}/users/bob"),
        ("Mentoring", f"{a}/users/dana"),
    }
    assert all(e["verified"] == "proof" for e in endorsed)
    assert summary["proof_endorsements"] == 6  # every endorsement, each signed by its author
    assert summary["follows"] == 7
    assert summary["dana_pending"] == ["Accessibility"]
    assert summary["ask_replies"] == 2
    assert summary["ask_replies_accepted"] == 1


def test_tour_runs_every_step() -> None:
    reason = node_available()
    if reason is not None:
        pytest.skip(f"the tour's Fedify step needs Node.js: {reason}")
    done = subprocess.run(
        [sys.executable, str(ROOT / "docs" / "demo_skills.py")],
        capture_output=True,
        text=True,
        timeout=240,
        cwd=ROOT,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "FAILED" not in done.stdout
    assert done.stdout.count("ok: ") >= 7
    assert "Fedify verifies the same proofs" in done.stdout
    assert "Done: every step turned out as described." in done.stdout

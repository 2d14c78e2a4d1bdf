"""docs/demo_skills.py, the story anyone can run, keeps working."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tests.peers.fedify import node_available

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[1]


def test_demo_script_runs_every_step() -> None:
    reason = node_available()
    if reason is not None:
        pytest.skip(f"the demo's Fedify step needs Node.js: {reason}")
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

"""Fixtures of the fuzz tests: the world (app, peers, users, seeded state) on each database,
and a line per target in the summary saying how many inputs it ran."""

from __future__ import annotations

import json
import os
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from fediverse_skills.config import Settings
from fediverse_skills.store.db import Database
from tests.fuzz.harness import World, open_world
from tests.fuzz.profiles import INPUTS, PROFILE, STATUSES


@pytest.fixture
async def world(settings: Settings, db: Database) -> AsyncIterator[World]:
    async with open_world(settings, db) as running:
        yield running


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Falsifying examples may hold 70 kB strings: Hypothesis warns that their repr is large
    (an error under filterwarnings=error), which would hide the failure itself."""
    here = Path(__file__).parent
    for item in items:
        if here in item.path.parents:
            item.add_marker(pytest.mark.filterwarnings("ignore:Generating overly large repr"))


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if not INPUTS:
        return
    terminalreporter.write_sep("-", f"fuzz inputs ({PROFILE})")
    for target, count in sorted(INPUTS.items()):
        answers = ", ".join(
            f"{status}: {n}" for (t, status), n in sorted(STATUSES.items()) if t == target
        )
        terminalreporter.write_line(f"{target}: {count} ({answers})")
    terminalreporter.write_line(f"total fuzz inputs: {sum(INPUTS.values())}")
    report = os.environ.get("FEDSKILLS_FUZZ_REPORT")
    if report:  # for tests/fuzz/run.py, which adds up its runs
        Path(report).write_text(json.dumps(dict(INPUTS)), encoding="utf-8")

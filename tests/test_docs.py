"""Docs are part of the work: these fail when the docs fall behind the code."""

from __future__ import annotations

import re
from pathlib import Path

from fediverse_skills.config import SETTINGS

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "fediverse_skills"


def test_every_setting_is_documented() -> None:
    doc = (ROOT / "docs" / "configuration.md").read_text()
    missing = [s.name for s in SETTINGS if f"`{s.name}`" not in doc]
    assert not missing, f"docs/configuration.md does not describe {missing}"


def test_docs_name_no_setting_that_does_not_exist() -> None:
    known = {s.name for s in SETTINGS}
    for path in [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]:
        named = set(re.findall(r"FEDSKILLS_[A-Z_]+[A-Z]", path.read_text()))
        named = {n for n in named if not n.startswith("FEDSKILLS_TEST")}  # the suite's own
        assert named <= known, f"{path.name} names unknown settings {named - known}"


def test_config_is_the_only_reader_of_the_environment() -> None:
    offenders = []
    for path in PACKAGE.rglob("*.py"):
        if path.name == "config.py":
            continue
        source = path.read_text()
        if re.search(r"os\.environ|os\.getenv|getenv\(", source):
            offenders.append(str(path.relative_to(ROOT)))
    assert not offenders, f"only config.py may read the environment: {offenders}"


def test_changelog_has_an_unreleased_section() -> None:
    assert "## Unreleased" in (ROOT / "CHANGELOG.md").read_text()


def test_readme_states_the_two_commands() -> None:
    readme = (ROOT / "README.md").read_text()
    assert "make run" in readme
    assert "make test" in readme

"""docs/security.md maps every row of the shared adversarial-case table to its tests.

The table lives in ``../shared/docs/security-cases.md``, beside this clone. Each of its
rows must have a row with the same case text in docs/security.md. Every
``tests/...py::name`` named there must exist. The rows still marked "not yet" are counted,
so progress is explicit.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared" / "docs" / "security-cases.md"
MAPPING = ROOT / "docs" / "security.md"

# Rows of docs/security.md whose Test(s) cell says "not yet". Lower it as rows get tests.
NOT_YET = 0

SECTIONS = ("Protocol and federation", "Cases specific to this product")
REFERENCE = re.compile(r"(tests/[\w/]+\.py)::(\w+)")


def _shared() -> str:
    if not SHARED.exists():
        pytest.skip("../shared is not beside this clone: the security table lives there")
    return SHARED.read_text(encoding="utf-8")


def _cells(line: str) -> list[str]:
    return [cell.strip() for cell in line.strip().strip("|").split("|")]


def _rows(markdown: str) -> dict[str, list[list[str]]]:
    """The body rows (as cells) of the first table under each ``## `` heading in SECTIONS."""
    found: dict[str, list[list[str]]] = {}
    section: str | None = None
    for line in markdown.splitlines():
        if line.startswith("## "):
            title = line[3:].strip()
            section = title if title in SECTIONS else None
            if section is not None:
                found[section] = []
            continue
        if section is None or not line.lstrip().startswith("|"):
            continue
        cells = _cells(line)
        if all(re.fullmatch(r":?-+:?", cell) for cell in cells):
            continue  # the separator row
        if cells[0] == "Case":
            continue  # the header row
        found[section].append(cells)
    return found


def _cases(markdown: str) -> dict[str, list[str]]:
    return {section: [cells[0] for cells in rows] for section, rows in _rows(markdown).items()}


def test_every_shared_case_has_a_row_with_its_tests() -> None:
    shared = _cases(_shared())
    assert set(shared) == set(SECTIONS), "security-cases.md has lost one of its two tables"
    assert all(shared.values()), "a table of security-cases.md has no rows"
    rows = _rows(MAPPING.read_text(encoding="utf-8"))
    assert set(rows) == set(SECTIONS), "docs/security.md needs one table per section"
    for section in SECTIONS:
        mapped = {cells[0]: cells for cells in rows[section]}
        missing = [case for case in shared[section] if case not in mapped]
        assert not missing, f"docs/security.md, {section}: no row for {missing}"
        for case in shared[section]:
            tests = mapped[case][1] if len(mapped[case]) > 1 else ""
            assert REFERENCE.search(tests) or tests.startswith("not yet"), (
                f"docs/security.md, {section}: {case!r} names no test and is not 'not yet'"
            )

    # Every test named anywhere in the page exists.
    for file, name in REFERENCE.findall(MAPPING.read_text(encoding="utf-8")):
        path = ROOT / file
        assert path.is_file(), f"docs/security.md names {file}, which does not exist"
        source = path.read_text(encoding="utf-8")
        assert re.search(rf"^\s*(async\s+)?def {name}\(", source, re.MULTILINE), (
            f"docs/security.md names {file}::{name}, which is not defined there"
        )

    not_yet = [
        cells[0]
        for section in SECTIONS
        for cells in rows[section]
        if len(cells) > 1 and cells[1].startswith("not yet")
    ]
    assert len(not_yet) == NOT_YET, (
        f"{len(not_yet)} rows are 'not yet' ({not_yet}); set NOT_YET to match"
    )


def test_no_stale_rows() -> None:
    shared = _cases(_shared())
    mapped = _cases(MAPPING.read_text(encoding="utf-8"))
    for section in SECTIONS:
        stale = [case for case in mapped.get(section, []) if case not in shared.get(section, [])]
        assert not stale, f"docs/security.md, {section}: {stale} are not in security-cases.md"
        duplicated = {case for case in mapped.get(section, []) if mapped[section].count(case) > 1}
        assert not duplicated, f"docs/security.md, {section}: {duplicated} appear twice"

from __future__ import annotations

import pytest

from fediverse_skills.domain.usernames import InvalidUsername, normalise_username


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("alice", "alice"),
        ("Alice", "alice"),
        ("  bob_2 ", "bob_2"),
        ("x" * 30, "x" * 30),
    ],
)
def test_valid(raw: str, expected: str) -> None:
    assert normalise_username(raw) == expected


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        ("", "empty"),
        ("x" * 31, "at most 30"),
        ("al ice", "letters"),
        ("alicé", "letters"),
        ("\u0430lice", "letters"),  # Cyrillic a
        ("ali\u200bce", "letters"),
        ("../x", "letters"),
        ("admin", "reserved"),
        ("<script>", "letters"),
    ],
)
def test_invalid(raw: str, reason: str) -> None:
    with pytest.raises(InvalidUsername, match=reason):
        normalise_username(raw)

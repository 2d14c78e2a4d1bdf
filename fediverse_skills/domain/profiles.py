"""Rules for the editable parts of a profile."""

from __future__ import annotations

import unicodedata

MAX_DISPLAY_NAME = 100
MAX_SUMMARY = 2000


class InvalidProfile(ValueError):
    """A profile field is not acceptable; the message says which and why."""


def _clean(text: str, field: str, limit: int, *, multiline: bool) -> str:
    value = unicodedata.normalize("NFKC", text).strip()
    if len(value) > limit:
        raise InvalidProfile(f"{field} has at most {limit} characters")
    allowed = "\n" if multiline else ""
    for char in value:
        category = unicodedata.category(char)
        if (category == "Cc" and char not in allowed) or category == "Cf":
            raise InvalidProfile(f"{field} cannot contain control or formatting characters")
    return value


def clean_display_name(text: str) -> str:
    return _clean(text, "display_name", MAX_DISPLAY_NAME, multiline=False)


def clean_summary(text: str) -> str:
    return _clean(text, "summary", MAX_SUMMARY, multiline=True)

"""Rules for plain notes."""

from __future__ import annotations

MAX_LENGTH = 5000


class InvalidNote(ValueError):
    """The note cannot be published; the message says why."""


def check_note_text(text: str) -> None:
    if not text.strip():
        raise InvalidNote("a note needs some text")
    if len(text) > MAX_LENGTH:
        raise InvalidNote(f"a note has at most {MAX_LENGTH} characters")
    if any(ord(c) < 32 and c not in "\n\r\t" for c in text):
        raise InvalidNote("a note cannot contain control characters")

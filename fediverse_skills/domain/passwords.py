"""Password rules (hashing itself lives in services, which may use argon2)."""

from __future__ import annotations

MIN_LENGTH = 8
MAX_LENGTH = 1024


class WeakPassword(ValueError):
    """The password does not meet the rules; the message says why."""


def check_password(password: str) -> None:
    if len(password) < MIN_LENGTH:
        raise WeakPassword(f"a password needs at least {MIN_LENGTH} characters")
    if len(password) > MAX_LENGTH:
        raise WeakPassword(f"a password has at most {MAX_LENGTH} characters")
    if password.strip() != password or not password.isprintable():
        raise WeakPassword(
            "a password cannot start or end with spaces or contain control characters"
        )

"""Local usernames: what may be registered, and the key that identifies a name."""

from __future__ import annotations

import re

MAX_LENGTH = 30
_PATTERN = re.compile(r"[a-z0-9_]+")

# Names that would collide with routes, well-known accounts or the instance actor.
RESERVED = frozenset(
    {
        "actor",
        "admin",
        "administrator",
        "api",
        "instance",
        "root",
        "system",
        "well-known",
        "webfinger",
        "nodeinfo",
        "inbox",
        "outbox",
        "static",
        "login",
        "logout",
        "signup",
        "settings",
        "support",
        "help",
        "abuse",
        "postmaster",
        "hostmaster",
        "webmaster",
        "security",
        "mod",
        "moderator",
        "skills",
    }
)


class InvalidUsername(ValueError):
    """The name cannot be registered; the message says why."""


def normalise_username(raw: str) -> str:
    """Return the canonical form of a new local username, or raise InvalidUsername.

    Usernames are ASCII letters, digits and underscores (as on Mastodon), stored in
    lower case so that ``Alice`` and ``alice`` are one account.
    """
    name = raw.strip().lower()
    if not name:
        raise InvalidUsername("a username cannot be empty")
    if len(name) > MAX_LENGTH:
        raise InvalidUsername(f"a username has at most {MAX_LENGTH} characters")
    if not _PATTERN.fullmatch(name):
        raise InvalidUsername("a username may use only letters a-z, digits and underscores")
    if name in RESERVED:
        raise InvalidUsername(f"the username {name!r} is reserved")
    return name

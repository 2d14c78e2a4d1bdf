"""Work opportunities: what a posting must hold, and how well a person's skills fit it.

A posting names the skills it needs (required) and those that help (nice to have), both
normalised as skills are, so that "rust" and "Rust" are one skill. Bounds keep postings
readable and cheap to match: a huge skill list is refused, not cut.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from urllib.parse import urlsplit

from . import skills as skill_rules
from .skills import InvalidSkill, Skill

MAX_TITLE = 200
MAX_DESCRIPTION = 10_000
MAX_REQUIRED = 20
MAX_NICE = 20
MAX_PLACE = 200
MAX_PAY = 200
MAX_URL = 2048
DEFAULT_LIFETIME = timedelta(days=30)
MAX_LIFETIME = timedelta(days=365)
NICE_WEIGHT = 0.25  # a nice-to-have skill counts a quarter of a required one


class Kind(StrEnum):
    JOB = "job"
    CONTRACT = "contract"
    VOLUNTEER = "volunteer"
    GIG = "gig"


class State(StrEnum):
    OPEN = "open"
    CLOSED = "closed"


class InvalidOpportunity(ValueError):
    """The posting is not acceptable. ``field`` names the offending field."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


@dataclass(frozen=True)
class Posting:
    """A checked posting, ready to be stored and sent."""

    title: str
    description: str
    required: tuple[Skill, ...]
    nice: tuple[Skill, ...] = ()
    kind: Kind = Kind.JOB
    remote: bool = False
    place: str = ""
    pay: str = ""
    contact_url: str = ""  # empty: candidates answer with a direct message
    expires_at: datetime | None = None


def _text(name: str, value: object, limit: int, *, required: bool) -> str:
    if value is None:
        value = ""
    if not isinstance(value, str):
        raise InvalidOpportunity(name, f"{name} must be text")
    text = value.strip()
    if required and not text:
        raise InvalidOpportunity(name, f"{name} is required")
    if len(text) > limit:
        raise InvalidOpportunity(name, f"{name} has at most {limit} characters")
    if any(ord(c) < 32 and c not in "\n\t" for c in text):
        raise InvalidOpportunity(name, f"{name} contains control characters")
    return text


def skill_list(name: str, values: object, limit: int, *, required: bool) -> tuple[Skill, ...]:
    """Skills from a list of names: normalised, deduplicated by key, at most ``limit``."""
    if values is None:
        values = []
    if isinstance(values, str):
        values = [v for v in values.split(",") if v.strip()]
    if not isinstance(values, list | tuple):
        raise InvalidOpportunity(name, f"{name} must be a list of skill names")
    if len(values) > limit:
        raise InvalidOpportunity(name, f"{name} has at most {limit} skills")
    found: dict[str, Skill] = {}
    for raw in values:
        if not isinstance(raw, str):
            raise InvalidOpportunity(name, f"{name} must be a list of skill names")
        try:
            made = skill_rules.make(raw)
        except InvalidSkill as exc:
            raise InvalidOpportunity(name, f"{name}: {raw[:80]!r}: {exc}") from None
        found.setdefault(made.key, made)
    if required and not found:
        raise InvalidOpportunity(name, f"{name} needs at least one skill")
    return tuple(found.values())


def _url(name: str, value: object) -> str:
    text = _text(name, value, MAX_URL, required=False)
    if text:
        try:
            parts = urlsplit(text)
        except ValueError:  # e.g. "http://[::1"
            raise InvalidOpportunity(name, f"{name} must be an http(s) URL") from None
        if parts.scheme not in ("https", "http") or not parts.hostname:
            raise InvalidOpportunity(name, f"{name} must be an http(s) URL")
    return text


def expiry(value: object, now: datetime) -> datetime:
    """``expires_at`` as given (an aware datetime or ISO 8601 text), or the default."""
    if value is None or value == "":
        return now + DEFAULT_LIFETIME
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
        except ValueError:
            raise InvalidOpportunity(
                "expires_at", "expires_at must be a date and time (ISO 8601)"
            ) from None
    if not isinstance(value, datetime):
        raise InvalidOpportunity("expires_at", "expires_at must be a date and time (ISO 8601)")
    if value.tzinfo is None:
        raise InvalidOpportunity("expires_at", "expires_at needs a time zone (for example Z)")
    if value <= now:
        raise InvalidOpportunity("expires_at", "expires_at must be in the future")
    if value - now > MAX_LIFETIME:
        raise InvalidOpportunity("expires_at", "a posting runs for at most a year")
    return value


def check(data: Mapping[str, object], now: datetime) -> Posting:
    """A new posting from its fields. Raises InvalidOpportunity."""
    required = skill_list(
        "required_skills", data.get("required_skills"), MAX_REQUIRED, required=True
    )
    nice = skill_list("nice_skills", data.get("nice_skills"), MAX_NICE, required=False)
    wanted = {s.key for s in required}
    kind = data.get("kind") or Kind.JOB
    if not isinstance(kind, str) or kind not in {k.value for k in Kind}:
        raise InvalidOpportunity("kind", "kind is one of " + ", ".join(k.value for k in Kind))
    remote = data.get("remote", False)
    if not isinstance(remote, bool):
        raise InvalidOpportunity("remote", "remote must be true or false")
    return Posting(
        title=_text("title", data.get("title"), MAX_TITLE, required=True),
        description=_text("description", data.get("description"), MAX_DESCRIPTION, required=True),
        required=required,
        nice=tuple(s for s in nice if s.key not in wanted),
        kind=Kind(str(kind)),
        remote=remote,
        place=_text("place", data.get("place"), MAX_PLACE, required=False),
        pay=_text("pay", data.get("pay"), MAX_PAY, required=False),
        contact_url=_url("contact_url", data.get("contact_url")),
        expires_at=expiry(data.get("expires_at"), now),
    )


EDITABLE = frozenset(
    {
        "title",
        "description",
        "required_skills",
        "nice_skills",
        "kind",
        "remote",
        "place",
        "pay",
        "contact_url",
        "expires_at",
    }
)


def is_live(state: str, expires_at: datetime | None, now: datetime) -> bool:
    """Open and not expired: only such postings are shown on boards and matched."""
    return state == State.OPEN and (expires_at is None or expires_at > now)


# ----------------------------------------------------------------------------- fit


@dataclass(frozen=True)
class Fit:
    """How a person's skills cover a posting: 0..1, and which skills matched."""

    score: float
    required: tuple[str, ...] = ()  # keys of required skills the person has
    nice: tuple[str, ...] = ()
    missing: tuple[str, ...] = ()  # required keys the person lacks
    strengths: Mapping[str, float] = field(default_factory=dict)


def fit(required: Iterable[str], nice: Iterable[str], strengths: Mapping[str, float]) -> Fit:
    """Skill fit from the person's skill strengths (key → 0..1, from trust scores; a skill
    the person has but nobody vouches for counts a little, see ``UNVOUCHED``).

    Required skills weigh 1 each, nice-to-have ones NICE_WEIGHT; each counts by strength.
    """
    req = list(dict.fromkeys(required))
    opt = [k for k in dict.fromkeys(nice) if k not in req]
    total = len(req) + NICE_WEIGHT * len(opt)
    if total == 0:
        return Fit(0.0)
    got = sum(strengths.get(k, 0.0) for k in req) + NICE_WEIGHT * sum(
        strengths.get(k, 0.0) for k in opt
    )
    return Fit(
        score=got / total,
        required=tuple(k for k in req if k in strengths),
        nice=tuple(k for k in opt if k in strengths),
        missing=tuple(k for k in req if k not in strengths),
        strengths={k: strengths[k] for k in (*req, *opt) if k in strengths},
    )


UNVOUCHED = 0.15  # a skill on the profile that no one in the viewer's network vouches for

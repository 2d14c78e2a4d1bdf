"""Matching (issue 7): the people open to work who fit a posting, ranked from the
poster's viewpoint; the postings that fit a person; and who is in someone's network.

docs/matching.md explains the rules. In short: candidates are the people within
``MAX_HOPS`` steps of the poster in the trust graph (whom the poster follows or vouches
for, whom they follow or vouch for, ...) who are open to work: our own members by their
setting (private or shown), remote people when their cached actor document says
``openToWork: true`` (which they publish only by choice). Each is ranked by skill fit, with
each skill's strength taken from its trust score as the poster sees it, times how close
the poster's trust puts them (``domain.matching``). Nothing here is shown to anyone but the
poster (matches) or the person themself (postings for me).
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from ..domain import matching as rules
from ..domain import opportunities as posting_rules
from ..domain import skills as skill_rules
from ..domain.trust import Endorsement, SkillScore, skill_scores
from ..federation import actors as actor_documents
from ..store import actors as actor_store
from ..store import blocks as block_store
from ..store import follows as follow_store
from ..store import opportunities as opportunity_store
from ..store import skills as skill_store
from ..store import trust as trust_store
from ..store import users
from ..store.db import Connection
from ..store.opportunities import OpportunityRow
from ..store.users import User
from . import blocks, trust
from .context import Federation

__all__ = ["MAX_HOPS", "MAX_LIMIT", "Matched", "MatchingError", "PostingMatch"]

MAX_HOPS = rules.MAX_HOPS
MAX_LIMIT = 100
MAX_POSTINGS = 500  # postings considered for "for me" (the newest that share a skill)


class MatchingError(Exception):
    """Matches cannot be shown; ``status`` is the HTTP status."""

    def __init__(self, message: str, status: int = 404) -> None:
        super().__init__(message)
        self.status = status


# ----------------------------------------------------------------------------- viewpoint


@dataclass
class _View:
    """One person's place in the trust graph: the seeds of their walk (themself, or this
    instance's members while they vouch for nobody), trust from there, and who is within
    ``MAX_HOPS`` steps (with the number of steps; themself left out)."""

    me: str
    who: str  # "you" | "instance"
    steps: dict[str, int]
    index: Mapping[str, int] = field(default_factory=dict)
    vector: Any = None

    def trust_of(self, actor: str) -> float:
        i = self.index.get(actor)
        if self.vector is None or i is None or i >= len(self.vector):
            return 0.0
        value = float(self.vector[i])
        return value if math.isfinite(value) else 0.0

    @property
    def network(self) -> str:
        return "your network" if self.who == "you" else "this instance's network"


async def _view(fed: Federation, user: User, *, with_trust: bool = True) -> _View:
    state = await trust._state(fed)
    graph = state.graph
    seeds, who = await trust.viewpoint(fed, user)
    if who == "you" and not graph.vouches(seeds[0]):
        seeds, who = await trust.viewpoint(fed, None)
    me = fed.uris.actor(user.username)
    steps = graph.within(seeds, MAX_HOPS)
    steps.pop(me, None)
    if not with_trust:
        return _View(me, who, steps)
    return _View(me, who, steps, graph.index, trust._vector(state, seeds))


async def network(fed: Federation, user: User) -> set[str]:
    """The people within ``MAX_HOPS`` steps of ``user`` (not ``user``)."""
    return set((await _view(fed, user, with_trust=False)).steps)


async def network_authors(fed: Federation, user: User) -> list[str]:
    """The people in ``user``'s network who have a live posting (for the board's
    "in my network" filter)."""
    reach = await network(fed, user)
    async with fed.db.connection() as conn:
        posting = await opportunity_store.live_authors(conn, now=datetime.now(UTC))
    return sorted(posting & reach)


# ----------------------------------------------------------------------------- candidates


@dataclass
class _Person:
    """Someone being ranked: their skills among those wanted, and the skill signals the
    store knows about them on those skills."""

    actor: str
    name: str
    local: bool
    has: dict[str, str | None]  # skill key → who suggested it (None: declared or a tag)
    signals: list[Endorsement]


def _tags_of(wanted: Mapping[str, str]) -> dict[str, set[str]]:
    """The hashtag spellings (case-folded) of each wanted skill (key → display name)."""
    found: dict[str, set[str]] = {}
    for key, name in wanted.items():
        try:
            made = skill_rules.make(name)
        except skill_rules.InvalidSkill:
            continue
        found[key] = {made.key.replace(" ", "")}
        if made.hashtag is not None:
            found[key].add(made.hashtag.casefold())
    return found


def _tag_keys(doc: dict[str, Any], tags_of: Mapping[str, set[str]]) -> dict[str, str | None]:
    """The wanted skills whose hashtag the actor features (``tags_of``: see ``_tags_of``)."""
    tags = {t.casefold() for t in actor_documents.hashtags(doc)}
    return {key: None for key, spellings in tags_of.items() if spellings & tags}


async def _candidates(
    fed: Federation, conn: Connection, poster: User, view: _View, wanted: Mapping[str, str]
) -> list[_Person]:
    """Everyone in the poster's network who is open to work, minus the blocked."""
    local: dict[str, str] = {}
    remote: list[str] = []
    blocked_domains = await fed.blocked_domains()
    for actor in view.steps:
        if fed.uris.is_local(actor):
            username = fed.uris.username_of(actor)
            if username is not None:
                local[username] = actor
        elif not blocked_domains or not blocks.url_blocked(actor, blocked_domains):
            remote.append(actor)
    people = await users.open_to_work_local(conn, local)
    shunned = set(await block_store.blocked_actors(conn, poster.id))
    shunning = await block_store.blocking(conn, view.me, [u.id for u in people])
    people = [
        u
        for u in people
        if u.id != poster.id and u.id not in shunning and fed.uris.actor(u.username) not in shunned
    ]
    skills = await skill_store.of_users(conn, [u.id for u in people])
    found = [
        _Person(
            actor=fed.uris.actor(u.username),
            name=u.display_name or u.username,
            local=True,
            has={s.key: s.suggested_by for s in skills.get(u.id, []) if s.key in wanted},
            signals=[],
        )
        for u in people
    ]
    tags_of = _tags_of(wanted)
    for cached in await actor_store.open_to_work_remote(conn, remote):
        if cached.uri in shunned:
            continue
        try:
            doc = json.loads(cached.document)
        except ValueError:
            continue
        if not isinstance(doc, dict) or not actor_documents.open_to_work(doc):
            continue
        found.append(
            _Person(
                actor=cached.uri,
                name=cached.name,
                local=False,
                has=_tag_keys(doc, tags_of),
                signals=[],
            )
        )
    signals = await trust_store.skill_signals_of(conn, [p.actor for p in found], wanted)
    for person in found:
        person.signals = [Endorsement(a, k, kind) for a, k, kind in signals.get(person.actor, [])]
        for e in person.signals:
            person.has.setdefault(e.skill, None)
    return found


async def _scores(
    conn: Connection, view: _View, people: list[_Person]
) -> dict[str, dict[str, SkillScore]]:
    """Each person's scores on their wanted skills, from the view's trust."""
    endorsers = {e.endorser for p in people for e in p.signals}
    breadth = await trust_store.breadth(conn, endorsers)
    endorsed = await trust_store.endorsed_by_each(conn, [p.actor for p in people if p.signals])
    trust_of = {a: view.trust_of(a) for a in endorsers}
    return {
        p.actor: skill_scores(
            p.actor, p.signals, trust_of, frozenset(endorsed.get(p.actor, ())), breadth
        )
        for p in people
    }


def _strengths(person: _Person, scores: Mapping[str, SkillScore]) -> dict[str, float]:
    return {key: rules.strength(scores[key].score if key in scores else 0.0) for key in person.has}


# ----------------------------------------------------------------------------- why


def _people(n: int) -> str:
    return "1 person" if n == 1 else f"{n} people"


def _skill_why(
    name: str,
    score: SkillScore | None,
    signals: list[Endorsement],
    suggested_by: str | None,
    followed: set[str],
    view: _View,
    subject: str,
) -> str:
    """One skill in words: how strong, and who vouches for it as the viewer knows them."""
    kinds: dict[str, set[str]] = {}
    for e in signals:
        if e.endorser != subject:
            kinds.setdefault(e.endorser, set()).add(e.kind)
    if not kinds:
        if suggested_by:
            return f"{name}: suggested by {trust.short_handle(suggested_by)}, not vouched for yet"
        return f"{name}: on their profile, not vouched for yet"
    verb = "suggested" if all(k == {"suggestion"} for k in kinds.values()) else "endorsed"
    vouchers = sorted(kinds)
    close = [v for v in vouchers if v in followed]
    near = [v for v in vouchers if v not in followed and (v in view.steps or v == view.me)]
    rest = len(vouchers) - len(close) - len(near)
    parts: list[str] = []
    if len(close) == 1:
        parts.append(f"{trust.short_handle(close[0])}, whom you follow")
    elif close:
        parts.append(f"{len(close)} people you follow")
    if len(near) == 1 and near[0] == view.me:
        parts.append("you")
    elif len(near) == 1:
        parts.append(f"{trust.short_handle(near[0])}, in {view.network}")
    elif near:
        parts.append(f"{len(near)} people in {view.network}")
    if rest and parts:
        parts.append(f"{rest} more")
    elif rest:
        parts.append(f"{_people(rest)} outside {view.network}")
    label = score.label if score is not None and score.level > 0 else "weak"
    return f"{name}: {label} ({verb} by {'; '.join(parts)})"


def _why(
    required: list[tuple[str, str]],
    nice: list[tuple[str, str]],
    person: _Person,
    scores: Mapping[str, SkillScore],
    followed: set[str],
    view: _View,
) -> tuple[str, list[str]]:
    """The reasons for one match (needed skills in the posting's order) and the names of
    the required skills the person lacks."""
    lines: list[str] = []
    missing: list[str] = []
    for key, name in [*required, *nice]:
        if key not in person.has:
            if (key, name) in required:
                missing.append(name)
            continue
        signals = [e for e in person.signals if e.skill == key]
        lines.append(
            _skill_why(
                name, scores.get(key), signals, person.has[key], followed, view, person.actor
            )
        )
    if missing:
        lines.append("missing: " + ", ".join(missing))
    return "; ".join(lines), missing


# ----------------------------------------------------------------------------- matches


@dataclass(frozen=True)
class Matched:
    """A person who fits a posting, as the poster sees them."""

    actor: str
    name: str
    local: bool
    steps: int
    score: float
    fit: float
    trust: float
    why: str
    skills: dict[str, dict[str, Any]]
    missing: list[str]


async def matches(fed: Federation, poster: User, public_id: str, limit: int = 20) -> list[Matched]:
    """The people open to work who fit the poster's live posting, best first. Raises
    MatchingError: 404 when it is not the poster's, 409 when it is closed or expired."""
    async with fed.db.connection() as conn:
        row = await opportunity_store.get(conn, public_id)
    if row is None or row.user_id != poster.id:
        raise MatchingError("no such opportunity of yours")
    if not posting_rules.is_live(row.state, row.expires_at, datetime.now(UTC)):
        raise MatchingError("the posting is closed or expired: reopen it to see matches", 409)
    view = await _view(fed, poster)
    required = [(s.key, s.name) for s in row.required]
    nice = [(s.key, s.name) for s in row.nice]
    wanted = dict([*required, *nice])
    async with fed.db.connection() as conn:
        people = await _candidates(fed, conn, poster, view, wanted)
        scores = await _scores(conn, view, people)
        ranked = rules.best(
            (
                rules.match(
                    p.actor,
                    [k for k, _ in required],
                    [k for k, _ in nice],
                    _strengths(p, scores[p.actor]),
                    view.trust_of(p.actor),
                )
                for p in people
            ),
            min(max(limit, 0), MAX_LIMIT),
        )
        by_actor = {p.actor: p for p in people}
        vouchers = {e.endorser for m in ranked for e in by_actor[m.key].signals}
        followed = await follow_store.followed_among(conn, view.me, vouchers)
    needed = {k for k, _ in required}
    found = []
    for m in ranked:
        person = by_actor[m.key]
        person_scores = scores[m.key]
        why, missing = _why(required, nice, person, person_scores, followed, view)
        found.append(
            Matched(
                actor=person.actor,
                name=person.name,
                local=person.local,
                steps=view.steps.get(person.actor, 0),
                score=round(m.score, 4),
                fit=round(m.fit.score, 4),
                trust=round(m.trust, 4),
                why=why,
                skills={
                    key: {
                        "name": wanted[key],
                        "required": key in needed,
                        "strength": round(strength, 4),
                        "level": person_scores[key].level if key in person_scores else 0,
                        "label": person_scores[key].label if key in person_scores else "none",
                        "endorsers": person_scores[key].endorsers if key in person_scores else 0,
                    }
                    for key, strength in m.fit.strengths.items()
                },
                missing=missing,
            )
        )
    return found


def as_json(found: Matched) -> dict[str, Any]:
    """A match as the JSON API shows it (to the poster only)."""
    return {
        "actor": found.actor,
        "handle": "@" + trust.short_handle(found.actor),
        "name": found.name,
        "local": found.local,
        "steps": found.steps,
        "score": found.score,
        "fit": found.fit,
        "trust": found.trust,
        "why": found.why,
        "skills": found.skills,
        "missing": found.missing,
    }


# ----------------------------------------------------------------------------- for me


@dataclass(frozen=True)
class PostingMatch:
    """How a posting fits the person asking."""

    score: float
    fit: float
    trust: float
    why: str

    def as_json(self) -> dict[str, Any]:
        return {"score": self.score, "fit": self.fit, "trust": self.trust, "why": self.why}


def _keep(
    row: OpportunityRow,
    *,
    skill: str | None,
    kind: str | None,
    remote: bool | None,
    place: str | None,
    authors: set[str] | None,
) -> bool:
    return (
        (skill is None or any(s.key == skill for s in row.skills))
        and (kind is None or row.kind == kind)
        and (remote is None or row.remote == remote)
        and (place is None or place.lower() in row.place.lower())
        and (authors is None or row.author in authors)
    )


def _poster_why(author: str, steps: int | None, followed: bool, view: _View) -> str:
    who = trust.short_handle(author)
    if followed:
        return f"posted by {who}, whom you follow"
    if steps is not None:
        return f"posted by {who}, in {view.network} ({steps} steps)"
    return f"posted by {who}, outside {view.network}"


async def for_me(
    fed: Federation,
    user: User,
    *,
    limit: int = 20,
    skill: str | None = None,
    kind: str | None = None,
    remote: bool | None = None,
    place: str | None = None,
    authors: Iterable[str] | None = None,
) -> list[tuple[OpportunityRow, PostingMatch]]:
    """Live postings (ours and those we received, not the user's own) that need one of
    the user's skills, ranked as matches are: fit from the user's skill strengths (their
    scores as this instance's members see them), times how close the user's trust puts the
    poster."""
    me = fed.uris.actor(user.username)
    now = datetime.now(UTC)
    async with fed.db.connection() as conn:
        mine = await skill_store.of_user(conn, user.id)
        rows = await opportunity_store.with_skills(
            conn, [s.key for s in mine], now=now, limit=MAX_POSTINGS
        )
        shunned = set(await block_store.blocked_actors(conn, user.id))
        signals = await trust_store.skill_signals(conn, me)
        endorsed = await trust_store.endorsed_by(conn, me)
        breadth = await trust_store.breadth(conn, {a for a, _, _ in signals})
    blocked_domains = await fed.blocked_domains()
    listed = None if authors is None else set(authors)
    rows = [
        r
        for r in rows
        if r.user_id != user.id
        and r.author != me
        and r.author not in shunned
        and not blocks.url_blocked(r.author, blocked_domains)
        and _keep(r, skill=skill, kind=kind, remote=remote, place=place, authors=listed)
    ]
    if not rows:
        return []
    # The strengths of the user's skills, as this instance's members see them.
    state = await trust._state(fed)
    seeds, _ = await trust.viewpoint(fed, None)
    vector = trust._vector(state, seeds)
    index = state.graph.index
    endorsements = [Endorsement(a, k, kind) for a, k, kind in signals]
    trust_of = {
        e.endorser: float(vector[index[e.endorser]])
        for e in endorsements
        if e.endorser in index and index[e.endorser] < len(vector)
    }
    scores = skill_scores(me, endorsements, trust_of, frozenset(endorsed), breadth)
    strengths = {
        s.key: rules.strength(scores[s.key].score if s.key in scores else 0.0) for s in mine
    }
    names = {s.key: s.name for s in mine}
    view = await _view(fed, user)
    by_uri = {r.uri: r for r in rows}
    ranked = rules.best(
        (
            rules.match(
                r.uri,
                [s.key for s in r.required],
                [s.key for s in r.nice],
                strengths,
                view.trust_of(r.author),
            )
            for r in rows
        ),
        min(max(limit, 0), MAX_LIMIT),
    )
    async with fed.db.connection() as conn:
        followed = await follow_store.followed_among(
            conn, me, {by_uri[m.key].author for m in ranked}
        )
    found = []
    for m in ranked:
        row = by_uri[m.key]
        lines = []
        for needed in row.skills:
            if needed.key in strengths:
                score = scores.get(needed.key)
                label = (
                    score.label if score is not None and score.level > 0 else "not vouched for yet"
                )
                lines.append(f"{names[needed.key]}: yours, {label}")
        missing = [s.name for s in row.required if s.key not in strengths]
        if missing:
            lines.append("missing: " + ", ".join(missing))
        lines.append(
            _poster_why(row.author, view.steps.get(row.author), row.author in followed, view)
        )
        found.append(
            (
                row,
                PostingMatch(
                    score=round(m.score, 4),
                    fit=round(m.fit.score, 4),
                    trust=round(m.trust, 4),
                    why="; ".join(lines),
                ),
            )
        )
    return found

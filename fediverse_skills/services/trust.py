"""Trust in use: the graph in memory, viewpoints, and scores with their "why".

Each process keeps the trust graph (``domain.trust.TrustGraph``) in memory. It is loaded
from the database on first use and reloaded in the background when it is older than
``REFRESH_SECONDS`` (or ten times as long as the last load took, for large graphs).
Signals this process writes itself (an endorsement, a withdrawal, an accepted suggestion)
are applied at once, incrementally (``note``). Trust vectors are kept per viewpoint and
graph version; after a small change they are brought up to date from the previous vector
in a few steps.
"""

from __future__ import annotations

import asyncio
import logging
import math
import time
from collections import OrderedDict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from ..domain import trust as rules
from ..domain.trust import Endorsement, Signal, SkillScore, TrustGraph

__all__ = [
    "Endorsement",
    "Judged",
    "Recomputed",
    "Signal",
    "judge",
    "load",
    "note",
    "recompute",
    "short_handle",
    "signal_of",
]
from ..store import trust as store
from ..store import users
from ..store.users import User
from .context import Federation

log = logging.getLogger("fediverse_skills.trust")

REFRESH_SECONDS = 30.0
VECTORS_KEPT = 64
INSTANCE_VIEW = "instance"


@dataclass
class TrustState:
    graph: TrustGraph
    loaded_at: float
    load_seconds: float
    vectors: OrderedDict[tuple[str, ...], tuple[int, Any]] = field(default_factory=OrderedDict)
    paths: dict[tuple[tuple[str, ...], int, str], list[str] | None] = field(default_factory=dict)
    judged: OrderedDict[tuple[Any, ...], tuple[dict[str, Judged], str]] = field(
        default_factory=OrderedDict
    )
    reloading: asyncio.Task[None] | None = None


async def load(fed: Federation) -> TrustGraph:
    """Read every signal and build the graph (the CPU part off the event loop)."""
    started = time.monotonic()
    async with fed.db.connection() as conn:
        rows = await store.signals(conn)
    graph = await asyncio.to_thread(TrustGraph.from_rows, rows)
    elapsed = time.monotonic() - started
    fed.trust = TrustState(graph=graph, loaded_at=time.monotonic(), load_seconds=elapsed)
    log.info("trust graph: %d people, %d edges, %.2fs", graph.size, graph.edges(), elapsed)
    return graph


async def _state(fed: Federation) -> TrustState:
    state: TrustState | None = fed.trust
    if state is None:
        await fed.once("trust-load", lambda: load(fed))
        state = fed.trust
        assert state is not None
        return state
    age = time.monotonic() - state.loaded_at
    if age > max(REFRESH_SECONDS, 10 * state.load_seconds) and state.reloading is None:

        async def reload() -> None:
            try:
                await load(fed)
            except Exception:
                log.exception("reloading the trust graph failed")
                state.loaded_at = time.monotonic()
            finally:
                state.reloading = None

        state.reloading = asyncio.create_task(reload())
    return state


def note(fed: Federation, signals: Iterable[Signal], *, removed: bool = False) -> None:
    """Apply signals this process just committed to the graph in memory, if loaded."""
    state: TrustState | None = fed.trust
    if state is None:
        return
    for signal in signals:
        if removed:
            state.graph.remove(signal)
        else:
            state.graph.add(signal)


async def viewpoint(fed: Federation, viewer: User | None) -> tuple[tuple[str, ...], str]:
    """The seeds of the walk and who they are: the viewer, or this instance's members."""
    if viewer is not None:
        return (fed.uris.actor(viewer.username),), "you"
    async with fed.db.connection() as conn:
        names = await users.all_usernames(conn)
    return tuple(fed.uris.actor(n) for n in names), INSTANCE_VIEW


def _vector(state: TrustState, seeds: tuple[str, ...]) -> Any:
    graph = state.graph
    cached = state.vectors.get(seeds)
    if cached is not None and cached[0] == graph.version:
        state.vectors.move_to_end(seeds)
        return cached[1]
    previous = cached[1] if cached is not None else None
    vector = graph.trust(seeds, start=previous, tolerance=1e-7)
    state.vectors[seeds] = (graph.version, vector)
    state.vectors.move_to_end(seeds)
    while len(state.vectors) > VECTORS_KEPT:
        state.vectors.popitem(last=False)
    return vector


@dataclass(frozen=True)
class Judged:
    """A skill's score as one viewpoint sees it, with the reason in words."""

    score: float
    level: int
    label: str
    endorsers: int
    why: str


def _trust_of(graph: TrustGraph, vector: Any, actors: Iterable[str]) -> dict[str, float]:
    """The trust of each of ``actors`` the graph knows (the others count 0)."""
    found = {}
    for actor in actors:
        i = graph.index.get(actor)
        if i is not None and i < len(vector):
            found[actor] = float(vector[i])
    return found


def short_handle(actor: str) -> str:
    """``name@host`` for an actor URI (its last path segment and its host)."""
    name = actor.rstrip("/").rsplit("/", 1)[-1].lstrip("@")
    return f"{name}@{rules.host_of(actor)}"


async def judge(
    fed: Federation,
    viewer: User | None,
    person: str,
    endorsements: Sequence[Endorsement],
    reciprocal: Iterable[str],
    names: dict[str, str],
    breadth: dict[str, int] | None = None,
    cache_key: tuple[Any, ...] | None = None,
) -> tuple[dict[str, Judged], str]:
    """Scores of ``person``'s skills from ``viewer``'s viewpoint (``names``: skill key →
    display name, for the explanations; ``breadth``: how many people each endorser
    endorses). Returns the scores and whose view they are: ``"you"``, or ``"instance"``
    (also for a viewer who vouches for nobody yet, whose own view would be empty).
    ``cache_key`` names the inputs (for example a profile and its version): the result is
    kept until the graph or the viewpoint changes."""
    state = await _state(fed)
    seeds, who = await viewpoint(fed, viewer)
    if who == "you" and not state.graph.vouches(seeds[0]):
        seeds, who = await viewpoint(fed, None)
    full_key = None
    if cache_key is not None:
        full_key = (cache_key, seeds, state.graph.version)
        kept = state.judged.get(full_key)
        if kept is not None:
            state.judged.move_to_end(full_key)
            return kept
    vector = _vector(state, seeds)
    graph = state.graph

    trust_of = _trust_of(graph, vector, (e.endorser for e in endorsements))
    scores = rules.skill_scores(person, endorsements, trust_of, frozenset(reciprocal), breadth)
    judged = {
        key: Judged(
            score=round(s.score, 4),
            level=s.level,
            label=s.label,
            endorsers=s.endorsers,
            why=_why(state, seeds, who, s, names.get(key, key)),
        )
        for key, s in scores.items()
    }
    if full_key is not None:
        state.judged[full_key] = (judged, who)
        while len(state.judged) > VECTORS_KEPT * 4:
            state.judged.popitem(last=False)
    return judged, who


def _why(state: TrustState, seeds: tuple[str, ...], who: str, score: SkillScore, name: str) -> str:
    people = "1 person" if score.endorsers == 1 else f"{score.endorsers} people"
    text = f"endorsed by {people}"
    if score.top is None:
        return (
            text
            + "; none of them is connected to "
            + ("you" if who == "you" else "this instance's members")
        )
    key = (seeds, state.graph.version, score.top)
    if key not in state.paths:
        if len(state.paths) > 10_000:
            state.paths.clear()
        state.paths[key] = state.graph.strongest_path(seeds, score.top)
    path = state.paths[key]
    said = f" ({short_handle(score.top)} endorsed {name}"
    said += f": '{score.top_comment[:80]}')" if score.top_comment else ")"
    if path is None:
        return f"{text}; strongest: {short_handle(score.top)}{said}"
    if len(path) == 1:  # the endorser is the viewpoint itself
        if who == "you":
            return f"{text}, you among them{said}"
        return f"{text}; strongest: {short_handle(score.top)}, a member of this instance{said}"
    start = "you" if who == "you" else "this instance"
    steps = " → ".join([start, *(short_handle(p) for p in path[1:])])
    return f"{text}; strongest path: {steps}{said}"


def signal_of(kind: str, attestation: str) -> str:
    """The signal an endorsement row gives (see ``store.trust.signals``)."""
    if kind == "like":
        return "like"
    return "endorsement" if attestation == "proof" else "attested"


@dataclass(frozen=True)
class Recomputed:
    people: int
    edges: int
    profiles: int
    skills: int
    seconds: float
    strongest: list[tuple[str, str, float]]  # (person, skill, score), best first


async def recompute(
    fed: Federation, progress: Callable[[str, int, int], None] | None = None
) -> Recomputed:
    """Rebuild the graph from the database and score every local profile from this
    instance's view, checking every score is a finite number. ``progress(step, done,
    total)`` is called as it goes. Running servers reload within ``REFRESH_SECONDS``."""
    report = progress or (lambda step, done, total: None)
    started = time.monotonic()
    report("reading signals", 0, 1)
    graph = await load(fed)
    report("reading signals", 1, 1)
    state: TrustState = fed.trust
    seeds, _ = await viewpoint(fed, None)
    report("walking the graph", 0, 1)
    vector = await asyncio.to_thread(_vector, state, seeds)
    report("walking the graph", 1, 1)
    async with fed.db.connection() as conn:
        names = await users.all_usernames(conn)
    scored: list[tuple[str, str, float]] = []
    for done, name in enumerate(names, 1):
        actor = fed.uris.actor(name)
        async with fed.db.connection() as conn:
            rows = await store.skill_signals(conn, actor)
            reciprocal = await store.endorsed_by(conn, actor)
            breadth = await store.breadth(conn, {a for a, _, _ in rows})
        trust_of = _trust_of(graph, vector, (a for a, _, _ in rows))
        endorsements = [Endorsement(a, skill, kind) for a, skill, kind in rows]
        for skill, score in rules.skill_scores(
            actor, endorsements, trust_of, frozenset(reciprocal), breadth
        ).items():
            if not math.isfinite(score.score):
                raise ValueError(f"the score of {name}'s {skill} is not a number")
            scored.append((f"{name}@{fed.uris.host}", skill, score.score))
        report("scoring profiles", done, len(names))
    scored.sort(key=lambda s: -s[2])
    return Recomputed(
        people=graph.size,
        edges=graph.edges(),
        profiles=len(names),
        skills=len(scored),
        seconds=time.monotonic() - started,
        strongest=scored[:10],
    )


async def known_scores(fed: Federation, viewer: User | None, person: str) -> dict[str, Judged]:
    """Scores of ``person``'s skills from ``viewer``'s viewpoint, from every skill signal
    this server holds about them (endorsements, accepted suggestions, and the required
    skills of postings they accepted a referral to), whether or not the skill is on a
    profile we know."""
    async with fed.db.connection() as conn:
        rows = await store.skill_signals(conn, person)
        reciprocal = await store.endorsed_by(conn, person)
        breadth = await store.breadth(conn, {a for a, _, _ in rows})
    signals = [Endorsement(a, skill, kind) for a, skill, kind in rows]
    names = {skill: skill for _, skill, _ in rows}
    judged, _ = await judge(fed, viewer, person, signals, reciprocal, names, breadth)
    return judged

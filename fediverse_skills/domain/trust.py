"""Emergent trust: how much a skill's endorsements weigh, as seen from one viewpoint.

Pure and deterministic (numpy and scipy only, no I/O). ``docs/trust.md`` explains it.

1. **The trust graph.** Every signal is a weighted edge from the person who gives it to
   the person it is about: a follow (1.0), a proof-verified endorsement (1.0), a suggestion
   that was accepted (0.75), an endorsement attested only by a server (0.5), a like of a
   skill's note (0.25). Weights between the same two people add up, to at most
   ``MAX_PAIR_WEIGHT``. Self-loops are dropped.
2. **Trust from a viewpoint** is personalised PageRank: a walk that starts at the viewpoint
   (a person, or the instance's own members), follows edges in proportion to their
   weight, and jumps back to the start with probability ``RESTART`` at each step. A
   person's trust is how often the walk visits them, relative to the viewpoint's own
   share (so that adding accounts anywhere cannot inflate it): 1 is what a direct
   contact receives from a viewpoint that vouches for ten people. Trust that enters a
   region of fake accounts can only come through the few real edges into it (attack
   edges), and each step it spends there it may leak back to the
   start: the whole region gets about as much as the real people who link to it pass on,
   however many accounts it holds.
3. **A skill's score** sums, over the people who endorse it, their trust times the
   signal's weight. Two discounts apply: an endorsement between two people who endorse
   each other counts ``RECIPROCAL`` of a one-way one; the endorsers from one server count
   together as the square root of the sum of their squared weights (n equal endorsers
   count sqrt(n) times one); and someone who endorses very many people counts less for
   each.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from urllib.parse import urlsplit

import numpy as np
from scipy import sparse

WEIGHTS: Mapping[str, float] = {
    "follow": 1.0,
    "endorsement": 1.0,  # proof-verified
    "suggestion": 0.75,  # the suggester vouched, and the person accepted
    "attested": 0.5,  # an endorsement only a server vouches for (a reply from a plain app)
    "like": 0.25,  # a like of a skill's note
}
SKILL_SIGNALS = frozenset({"endorsement", "suggestion", "attested", "like"})
RESTART = 0.15
REFERENCE_CONTACTS = 10
# An endorser who endorses more people than this sees each endorsement damped by
# sqrt(BROAD_ENDORSER / how many): vouching for everyone says little about anyone.
BROAD_ENDORSER = 20
RECIPROCAL = 0.4
MAX_PAIR_WEIGHT = 3.0
TOLERANCE = 1e-9
MAX_ITERATIONS = 200
# Score levels, in units of "one endorsement by an average person".
LEVELS = ((20.0, 5, "outstanding"), (8.0, 4, "strong"), (3.0, 3, "solid"),
          (1.0, 2, "some"), (0.25, 1, "emerging"))  # fmt: skip
MAX_PATH_LENGTH = 4
MAX_PATH_VISITS = 20_000


class TrustError(ValueError):
    """A signal or a request cannot be used; the message says why."""


@dataclass(frozen=True)
class Signal:
    """``source`` vouches for ``target`` (actor URIs); ``skill`` names the skill key for
    skill signals."""

    source: str
    target: str
    kind: str
    skill: str | None = None

    def __post_init__(self) -> None:
        if self.kind not in WEIGHTS:
            raise TrustError(f"unknown signal kind {self.kind!r}")
        if (self.kind in SKILL_SIGNALS) != (self.skill is not None):
            raise TrustError("skill signals, and only they, name a skill")


def host_of(actor: str) -> str:
    return (urlsplit(actor).netloc or actor).lower()


def level(score: float) -> tuple[int, str]:
    """A readable level (0 to 5) for a score."""
    if not math.isfinite(score):
        return 0, "none"
    for threshold, number, label in LEVELS:
        if score >= threshold:
            return number, label
    return 0, "none"


@dataclass
class TrustGraph:
    """The trust graph: nodes are actors, edges weighted signals. ``add``/``remove`` change
    it in place (cheaply: changes go to a small delta beside a compressed base, folded in
    by ``compact``); ``trust`` computes a viewpoint's trust vector."""

    index: dict[str, int] = field(default_factory=dict)
    names: list[str] = field(default_factory=list)
    _pairs: dict[tuple[int, int], float] = field(default_factory=dict)
    _base: sparse.csr_matrix | None = None  # W^T of the pairs at the last compact
    _out: np.ndarray = field(default_factory=lambda: np.zeros(0))
    _delta: dict[tuple[int, int], float] = field(default_factory=dict)
    _forward_cache: tuple[int, sparse.csr_matrix] | None = None
    version: int = 0

    @classmethod
    def build(cls, signals: Iterable[Signal]) -> TrustGraph:
        return cls.from_rows((s.source, s.target, s.kind) for s in signals)

    @classmethod
    def from_rows(cls, rows: Iterable[tuple[str, str, str]]) -> TrustGraph:
        """The graph of (source, target, kind) rows, built in bulk (a million rows take
        about a second). Unknown kinds raise TrustError; self-loops are dropped."""
        graph = cls()
        index = graph.index
        slot = index.setdefault
        weights = WEIGHTS
        src: list[int] = []
        dst: list[int] = []
        weight: list[float] = []
        add_src, add_dst, add_weight = src.append, dst.append, weight.append
        for source, target, kind in rows:
            if source == target:
                if kind not in weights:
                    raise TrustError(f"unknown signal kind {kind!r}")
                continue
            try:
                add_weight(weights[kind])
            except KeyError:
                raise TrustError(f"unknown signal kind {kind!r}") from None
            add_src(slot(source, len(index)))
            add_dst(slot(target, len(index)))
        names = graph.names
        names.extend(index)
        if src:
            n = len(names)
            keys = np.asarray(src, dtype=np.int64) * n + np.asarray(dst, dtype=np.int64)
            unique, inverse = np.unique(keys, return_inverse=True)
            sums = np.bincount(inverse, weights=np.asarray(weight))
            graph._pairs = dict(
                zip(
                    zip((unique // n).tolist(), (unique % n).tolist(), strict=True),
                    sums.tolist(),
                    strict=True,
                )
            )
        graph.compact()
        return graph

    # -- structure

    def node(self, actor: str) -> int:
        found = self.index.get(actor)
        if found is None:
            found = self.index[actor] = len(self.names)
            self.names.append(actor)
        return found

    @property
    def size(self) -> int:
        return len(self.names)

    def _change(self, signal: Signal, sign: int) -> None:
        if signal.source == signal.target:
            return
        i, j = self.node(signal.source), self.node(signal.target)
        raw = max(self._pairs.get((i, j), 0.0) + sign * WEIGHTS[signal.kind], 0.0)
        if raw <= 1e-12:
            self._pairs.pop((i, j), None)
        else:
            self._pairs[(i, j)] = raw

    def _effective(self, i: int, j: int) -> float:
        return min(self._pairs.get((i, j), 0.0), MAX_PAIR_WEIGHT)

    def add(self, signal: Signal) -> None:
        self._apply(signal, +1)

    def remove(self, signal: Signal) -> None:
        self._apply(signal, -1)

    def _apply(self, signal: Signal, sign: int) -> None:
        if signal.source == signal.target:
            return
        i, j = self.node(signal.source), self.node(signal.target)
        before = self._effective(i, j)
        self._change(signal, sign)
        after = self._effective(i, j)
        if after == before:
            return
        self._grow()
        self._out[i] += after - before
        self._delta[(i, j)] = self._delta.get((i, j), 0.0) + (after - before)
        self.version += 1
        if len(self._delta) > 50_000:
            self.compact()

    def _grow(self) -> None:
        if len(self._out) < self.size:
            self._out = np.concatenate([self._out, np.zeros(self.size - len(self._out))])

    def compact(self) -> None:
        """Fold every change into the compressed base matrix."""
        n = self.size
        if self._pairs:
            keys = np.array(list(self._pairs.keys()), dtype=np.int64)
            weights = np.minimum(np.fromiter(self._pairs.values(), float), MAX_PAIR_WEIGHT)
            src, dst = keys[:, 0], keys[:, 1]
        else:
            src = dst = np.zeros(0, dtype=np.int64)
            weights = np.zeros(0)
        self._base = sparse.csr_matrix((weights, (dst, src)), shape=(n, n))
        self._out = np.bincount(src, weights=weights, minlength=n).astype(float)
        self._delta = {}
        self.version += 1

    def _forward(self) -> sparse.csr_matrix:
        """W by rows (who each node vouches for), built once per compact."""
        if self._forward_cache is None or self._forward_cache[0] != id(self._base):
            assert self._base is not None
            self._forward_cache = (id(self._base), self._base.T.tocsr())
        return self._forward_cache[1]

    def vouches(self, actor: str) -> bool:
        """Whether ``actor`` vouches for anyone (has an outgoing edge): a walk from them
        goes somewhere."""
        i = self.index.get(actor)
        return i is not None and i < len(self._out) and bool(self._out[i] > 0)

    def edges(self) -> int:
        return len(self._pairs)

    def within(self, seeds: Sequence[str], hops: int) -> dict[str, int]:
        """Everyone reached from ``seeds`` in at most ``hops`` steps along the edges, in
        their direction (whom a seed follows or vouches for, whom they follow or vouch
        for, ...), with the number of steps; the known seeds are there with 0. Breadth
        first over the compressed rows, changes not yet compacted included."""
        if self._base is None:
            self.compact()
        n = self.size
        starts = sorted({self.index[s] for s in seeds if s in self.index})
        if not starts:
            return {}
        forward = self._forward()
        n_base = forward.shape[0]
        added: dict[int, list[int]] = defaultdict(list)
        gone: list[int] = []  # i * n + j of base edges a later change took away
        for i, j in self._delta:
            if self._effective(i, j) > 1e-12:
                added[i].append(j)
            else:
                gone.append(i * n + j)
        removed = np.array(gone, dtype=np.int64)
        steps = np.full(n, -1, dtype=np.int64)
        frontier = np.array(starts, dtype=np.int64)
        steps[frontier] = 0
        for step in range(1, hops + 1):
            rows = frontier[frontier < n_base]
            lo, hi = forward.indptr[rows], forward.indptr[rows + 1]
            counts = hi - lo
            total = int(counts.sum())
            at = np.repeat(lo - np.cumsum(counts) + counts, counts) + np.arange(total)
            reached = forward.indices[at].astype(np.int64)
            if len(removed) and total:
                sources = np.repeat(rows, counts)
                reached = reached[~np.isin(sources * n + reached, removed)]
            if added:
                extra = [j for i in frontier.tolist() for j in added.get(i, ())]
                reached = np.concatenate([reached, np.array(extra, dtype=np.int64)])
            reached = np.unique(reached)
            frontier = reached[steps[reached] < 0]
            if not len(frontier):
                break
            steps[frontier] = step
        found = np.flatnonzero(steps >= 0)
        names = self.names
        return {names[k]: int(steps[k]) for k in found.tolist()}

    # -- trust

    def _step(self, x: np.ndarray, n_base: int) -> np.ndarray:
        """W^T (x / out): where one step of the walk takes the mass in ``x``."""
        with np.errstate(divide="ignore", invalid="ignore"):
            share = np.where(self._out > 0, x / np.where(self._out > 0, self._out, 1.0), 0.0)
        assert self._base is not None
        y = np.zeros(self.size)
        y[:n_base] = self._base @ share[:n_base]
        if self._delta:
            keys = np.array(list(self._delta.keys()), dtype=np.int64)
            change = np.fromiter(self._delta.values(), float)
            y += np.bincount(keys[:, 1], weights=change * share[keys[:, 0]], minlength=self.size)
        return y

    def trust(
        self,
        seeds: Sequence[str],
        *,
        start: np.ndarray | None = None,
        tolerance: float = TOLERANCE,
    ) -> np.ndarray:
        """Personalised PageRank from ``seeds`` (restart spread evenly over them), scaled
        so that 1 is what a direct contact of a seed receives when the seed vouches for
        ``REFERENCE_CONTACTS`` people (the seeds themselves get about 1 / 0.085).
        ``start`` (an earlier vector for the same seeds) makes an update after a small
        change take a few steps. Unknown seeds are ignored; with none known, every trust
        is 0."""
        if self._base is None:
            self.compact()
        self._grow()
        n = self.size
        known = sorted({self.index[s] for s in seeds if s in self.index})
        if n == 0 or not known:
            return np.zeros(n)
        restart = np.zeros(n)
        restart[known] = 1.0 / len(known)
        assert self._base is not None
        n_base = self._base.shape[0]
        x = restart.copy()
        if start is not None and len(start) > 0:
            x[: len(start)] = start[:n] / n
            total = x.sum()
            x = x / total if total > 0 else restart.copy()
        dangling = self._out <= 0
        for _ in range(MAX_ITERATIONS):
            moved = self._step(x, n_base)
            lost = x[dangling].sum()  # walks stuck at a node without edges start again
            nxt = RESTART * restart + (1 - RESTART) * (moved + lost * restart)
            delta = float(np.abs(nxt - x).sum())
            x = nxt
            if delta < tolerance:
                break
        # Scale by the viewpoint's own share, which fake accounts cannot grow: trust 1 is
        # what one of REFERENCE_CONTACTS people the viewpoint vouches for receives.
        reference = float(x[known].mean()) * (1 - RESTART) / REFERENCE_CONTACTS
        return x / reference if reference > 0 else np.zeros(n)

    # -- explanations

    def strongest_path(self, seeds: Sequence[str], target: str) -> list[str] | None:
        """The path from a seed to ``target`` whose steps the walk is likeliest to take
        (highest product of step probabilities), at most ``MAX_PATH_LENGTH`` steps."""
        goal = self.index.get(target)
        starts = [self.index[s] for s in seeds if s in self.index]
        if goal is None or not starts:
            return None
        if self._base is None:
            self.compact()
        self._grow()
        forward = self._forward()
        delta_out: dict[int, list[tuple[int, float]]] = defaultdict(list)
        for (i, j), change in self._delta.items():
            delta_out[i].append((j, change))

        def out_edges(node: int) -> list[tuple[int, float]]:
            merged: dict[int, float] = {}
            if node < forward.shape[0]:
                lo, hi = forward.indptr[node], forward.indptr[node + 1]
                merged.update(
                    zip(forward.indices[lo:hi].tolist(), forward.data[lo:hi].tolist(), strict=True)
                )
            for j, change in delta_out.get(node, ()):
                merged[j] = merged.get(j, 0.0) + change
            return [(j, w) for j, w in merged.items() if w > 1e-12]

        # Best (cost, name path) to each node with exactly k steps, k = 0..MAX: a cheap long
        # route never hides a short one, and ties go to the alphabetically first path.
        level: dict[int, tuple[float, tuple[str, ...]]] = {
            node: (0.0, (self.names[node],)) for node in starts
        }
        found: tuple[float, tuple[str, ...]] | None = level.get(goal)
        visits = 0
        for _ in range(MAX_PATH_LENGTH):
            following: dict[int, tuple[float, tuple[str, ...]]] = {}
            for node, (cost, path) in sorted(level.items(), key=lambda item: item[1]):
                total = self._out[node] if node < len(self._out) else 0.0
                if total <= 0:
                    continue
                for nxt, weight in out_edges(node):
                    visits += 1
                    candidate = (cost - math.log(weight / total), (*path, self.names[nxt]))
                    if nxt not in following or candidate < following[nxt]:
                        following[nxt] = candidate
                if visits > MAX_PATH_VISITS:
                    break
            if goal in following and (found is None or following[goal] < found):
                found = following[goal]
            # Keep the most likely part of the frontier: the search stays bounded.
            level = dict(sorted(following.items(), key=lambda item: item[1])[:2_000])
            if not level:
                break
        return list(found[1]) if found is not None else None


@dataclass(frozen=True)
class Endorsement:
    """One skill signal about a person, as scoring needs it."""

    endorser: str
    skill: str
    kind: str  # endorsement | attested | like | suggestion
    comment: str = ""


@dataclass(frozen=True)
class SkillScore:
    skill: str
    score: float
    level: int
    label: str
    endorsers: int
    top: str | None  # the endorser who adds the most
    top_comment: str


def skill_scores(
    person: str,
    endorsements: Iterable[Endorsement],
    trust_of: Mapping[str, float],
    reciprocal: frozenset[str] = frozenset(),
    breadth: Mapping[str, int] | None = None,
) -> dict[str, SkillScore]:
    """The score of each of ``person``'s skills from the trust of its endorsers
    (``trust_of``: actor → trust, 0 if absent). ``reciprocal``: people whom ``person``
    endorses too (their endorsements count ``RECIPROCAL``). ``breadth``: how many people
    each endorser endorses (beyond ``BROAD_ENDORSER`` each counts less). One signal per
    endorser and skill counts (the strongest); the person's own signals count for
    nothing. The endorsers from one server add up as the square root of the sum of their
    squared weights: four equal ones count twice one, not four times, and a weightless
    one adds nothing."""
    strongest: dict[tuple[str, str], Endorsement] = {}
    for e in endorsements:
        if e.endorser == person or e.kind not in SKILL_SIGNALS:
            continue
        key = (e.skill, e.endorser)
        if key not in strongest or WEIGHTS[e.kind] > WEIGHTS[strongest[key].kind]:
            strongest[key] = e
    by_skill: dict[str, dict[str, list[tuple[float, Endorsement]]]] = defaultdict(
        lambda: defaultdict(list)
    )
    for (skill, endorser), e in strongest.items():
        trust = trust_of.get(endorser, 0.0)
        if not math.isfinite(trust) or trust < 0:
            trust = 0.0
        weight = trust * WEIGHTS[e.kind] * (RECIPROCAL if endorser in reciprocal else 1.0)
        many = (breadth or {}).get(endorser, 0)
        if many > BROAD_ENDORSER:
            weight *= math.sqrt(BROAD_ENDORSER / many)
        by_skill[skill][host_of(endorser)].append((weight, e))
    scores = {}
    for skill, hosts in by_skill.items():
        total = 0.0
        contributions: list[tuple[float, Endorsement]] = []
        for entries in hosts.values():
            host_total = math.sqrt(sum(w * w for w, _ in entries))
            total += host_total
            # Each endorser's share of the host's total, in proportion to its weight.
            squares = sum(w * w for w, _ in entries)
            contributions.extend(
                ((w * w / squares) * host_total if squares > 0 else 0.0, e) for w, e in entries
            )
        top = max(contributions, key=lambda c: (c[0], c[1].endorser))
        number, label = level(total)
        scores[skill] = SkillScore(
            skill=skill,
            score=total,
            level=number,
            label=label,
            endorsers=len(contributions),
            top=top[1].endorser if top[0] > 0 else None,
            top_comment=top[1].comment if top[0] > 0 else "",
        )
    return scores

"""Seeded synthetic trust graphs for the trust figure (bench/trust.py).

An **honest** graph: ``people`` accounts on ``servers`` servers (``https://s17.example/users/
u123``), ``people // servers`` per server, laid out on a ring in server order. It is a
Watts-Strogatz-like small world:

- each person follows ``follows`` (uniform between the two bounds) others. A follow goes to
  someone within ``window`` places on the ring (their own server, or a neighbouring one);
  with probability ``rewire`` it goes to anyone instead. A followed person follows back with
  probability ``follow_back``. Duplicates and self-follows are dropped.
- each person has 3-10 skills from a vocabulary of ``skills`` keys (Zipf-like popularity,
  ``"rust"`` among the popular ones), and endorses ``endorses`` (uniform between the bounds)
  of the people they follow, each on one of that person's skills: a proof-verified
  ``endorsement``, or with probability ``attested`` one attested only by a server.
- a few weaker signals: with probability ``suggest`` a person made one accepted
  ``suggestion`` to someone they follow; each person ``like``s 0-``likes`` skills of people
  they follow.

A **Sybil region** (:func:`sybil_region`): ``count`` accounts on one server
(``https://sybil.example/users/sN``) that each follow ``follows`` and endorse ``endorses``
other Sybils at random, and all endorse one honest TARGET's ``"rust"``. It is joined to the
honest graph by ``attack_edges`` follows from distinct honest people to distinct Sybils.

Everything comes from ``numpy.random.default_rng(seed)``: the same arguments give the same
graph. Arrays, not objects: a million rows take about a second to make.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from fediverse_skills.domain.trust import Endorsement, host_of

KINDS = ("follow", "endorsement", "attested", "suggestion", "like")
FOLLOW, ENDORSEMENT, ATTESTED, SUGGESTION, LIKE = range(len(KINDS))
ENDORSEMENT_ROWS = np.array([ENDORSEMENT, ATTESTED, LIKE])
TARGET_SKILL = "rust"
SYBIL_HOST = "sybil.example"
_NAMED = (
    "python", "javascript", "typescript", "rust", "go", "java", "kotlin", "c", "c++", "c#",
    "ruby", "php", "swift", "haskell", "elixir", "erlang", "scala", "clojure", "ocaml", "zig",
    "sql", "postgresql", "sqlite", "linux", "kubernetes", "docker", "terraform", "ansible",
    "networking", "security", "cryptography", "activitypub", "accessibility", "css", "html",
    "react", "vue", "django", "flask", "rails", "machine learning", "statistics",
    "data visualisation", "technical writing", "translation", "photography", "illustration",
    "typography", "ux research", "project management", "mentoring", "public speaking",
    "community moderation", "woodworking", "gardening", "cooking", "bookbinding", "knitting",
    "electronics", "3d printing",
)  # fmt: skip


def vocabulary(size: int = 200) -> list[str]:
    """``size`` skill keys, most popular first: named ones, then ``skill-NNN``."""
    named = list(_NAMED[:size])
    return named + [f"skill-{k:03d}" for k in range(len(named), size)]


@dataclass
class Graph:
    """Signals as parallel arrays over node numbers; ``names[k]`` is node k's actor URI.

    ``src``/``dst``/``kind`` are every row of the trust graph (kind indexes ``KINDS``);
    ``skill`` is the skill's index in ``skills`` for skill signals and -1 for follows."""

    names: list[str]
    skills: list[str]
    src: np.ndarray
    dst: np.ndarray
    kind: np.ndarray
    skill: np.ndarray
    params: dict[str, Any] = field(default_factory=dict)
    # Who has which skill: parallel arrays (person, skill index), sorted by person.
    skill_owner: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    skill_owned: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))

    @property
    def size(self) -> int:
        return len(self.names)

    def rows(self) -> Iterator[tuple[str, str, str]]:
        """(source, target, kind) rows, as ``TrustGraph.from_rows`` takes them."""
        names = self.names
        for s, d, k in zip(self.src.tolist(), self.dst.tolist(), self.kind.tolist(), strict=True):
            yield names[s], names[d], KINDS[k]

    def endorsements_of(self, person: int) -> list[Endorsement]:
        """The skill signals about ``person``, as ``skill_scores`` takes them."""
        names, skills = self.names, self.skills
        picked = np.flatnonzero((self.dst == person) & (self.kind != FOLLOW))
        return [
            Endorsement(names[int(self.src[r])], skills[int(self.skill[r])], KINDS[self.kind[r]])
            for r in picked
        ]

    def endorses(self, source: int) -> set[int]:
        """Whom ``source`` has endorsed (an endorsement, attested or not, or a like: the
        rows the service's ``endorsements`` table holds; suggestions are not in it)."""
        picked = (self.src == source) & np.isin(self.kind, ENDORSEMENT_ROWS)
        return {int(d) for d in self.dst[picked]}

    def breadth(self) -> np.ndarray:
        """How many distinct people each node has endorsed (as ``endorses`` counts)."""
        picked = np.isin(self.kind, ENDORSEMENT_ROWS)
        src, _dst = _unique_pairs(self.src[picked], self.dst[picked], self.size)
        return np.bincount(src, minlength=self.size)

    def with_rows(
        self,
        src: np.ndarray,
        dst: np.ndarray,
        kind: np.ndarray,
        skill: np.ndarray,
        names: list[str] | None = None,
    ) -> Graph:
        """A new graph with these rows (and these new nodes) added."""
        return Graph(
            self.names + (names or []),
            self.skills,
            np.concatenate([self.src, src]),
            np.concatenate([self.dst, dst]),
            np.concatenate([self.kind, kind]),
            np.concatenate([self.skill, skill]),
            dict(self.params),
            self.skill_owner,
            self.skill_owned,
        )

    def without_rows(self, drop: np.ndarray) -> Graph:
        """A new graph without the rows where ``drop`` is True (nodes are kept)."""
        keep = ~drop
        return Graph(
            self.names,
            self.skills,
            self.src[keep],
            self.dst[keep],
            self.kind[keep],
            self.skill[keep],
            dict(self.params),
            self.skill_owner,
            self.skill_owned,
        )


def host_is_sybil(actor: str) -> bool:
    return host_of(actor) == SYBIL_HOST


def honest_names(people: int, servers: int) -> list[str]:
    """The honest people's actor URIs: person i is on server ``i // (people // servers)``."""
    per = people // servers
    return [f"https://s{i // per}.example/users/u{i}" for i in range(people)]


def trim(graph: Graph, rows: int, seed: int = 4) -> Graph:
    """``graph`` with random rows dropped so that exactly ``rows`` remain (if it had more)."""
    extra = len(graph.src) - rows
    if extra <= 0:
        return graph
    drop = np.zeros(len(graph.src), dtype=bool)
    drop[np.random.default_rng(seed).choice(len(graph.src), extra, replace=False)] = True
    return graph.without_rows(drop)


def _unique_pairs(src: np.ndarray, dst: np.ndarray, n: int) -> tuple[np.ndarray, np.ndarray]:
    keep = src != dst
    keys = np.unique(src[keep].astype(np.int64) * n + dst[keep])
    return keys // n, keys % n


def _pick_per_source(rng: np.random.Generator, src: np.ndarray, counts: np.ndarray) -> np.ndarray:
    """Indices of up to ``counts[s]`` rows drawn at random among each source's rows
    (``src`` sorted)."""
    order = np.lexsort((rng.random(len(src)), src))
    ordered = src[order]
    starts = np.searchsorted(ordered, ordered, side="left")
    rank = np.arange(len(ordered)) - starts
    return np.sort(order[rank < counts[ordered]])


def honest(
    *,
    people: int = 10_000,
    servers: int = 50,
    follows: tuple[int, int] = (10, 30),
    window: int = 300,
    rewire: float = 0.1,
    follow_back: float = 0.3,
    endorses: tuple[int, int] = (3, 8),
    attested: float = 0.2,
    suggest: float = 0.1,
    likes: int = 2,
    skills: int = 200,
    seed: int = 1,
) -> Graph:
    """The honest small-world graph (see the module docstring)."""
    rng = np.random.default_rng(seed)
    per = people // servers
    names = honest_names(people, servers)
    vocab = vocabulary(skills)

    # Follows: a ring neighbourhood, some rewired at random, some followed back.
    degree = rng.integers(follows[0], follows[1] + 1, people)
    src = np.repeat(np.arange(people), degree)
    offset = rng.integers(1, window + 1, len(src)) * rng.choice([-1, 1], len(src))
    dst = (src + offset) % people
    rewired = rng.random(len(src)) < rewire
    dst[rewired] = rng.integers(0, people, int(rewired.sum()))
    back = rng.random(len(src)) < follow_back
    f_src, f_dst = _unique_pairs(
        np.concatenate([src, dst[back]]), np.concatenate([dst, src[back]]), people
    )

    # Each person's skills: 3-10 draws from a Zipf-like popularity (duplicates collapse).
    popularity = 1.0 / np.arange(1, skills + 1) ** 0.9
    popularity /= popularity.sum()
    draws = rng.integers(3, 11, people)
    keys = np.unique(
        np.repeat(np.arange(people, dtype=np.int64), draws) * skills
        + rng.choice(skills, size=int(draws.sum()), p=popularity)
    )
    owner, owned = keys // skills, keys % skills
    count = np.bincount(owner, minlength=people)
    start = np.concatenate([[0], np.cumsum(count)[:-1]])

    def skill_of(subjects: np.ndarray) -> np.ndarray:
        """One of each subject's skills, at random."""
        pick = (rng.random(len(subjects)) * count[subjects]).astype(np.int64)
        return owned[start[subjects] + pick]

    # Endorsements of some of the people one follows.
    want = rng.integers(endorses[0], endorses[1] + 1, people)
    chosen = _pick_per_source(rng, f_src, want)
    e_src, e_dst = f_src[chosen], f_dst[chosen]
    e_kind = np.where(rng.random(len(e_src)) < attested, ATTESTED, ENDORSEMENT)
    e_skill = skill_of(e_dst)

    # Weaker signals: a few accepted suggestions, some likes.
    one = _pick_per_source(rng, f_src, (rng.random(people) < suggest).astype(np.int64))
    many = _pick_per_source(rng, f_src, rng.integers(0, likes + 1, people))
    w_src = np.concatenate([f_src[one], f_src[many]])
    w_dst = np.concatenate([f_dst[one], f_dst[many]])
    w_kind = np.concatenate([np.full(len(one), SUGGESTION), np.full(len(many), LIKE)])
    w_skill = skill_of(w_dst)

    graph = Graph(
        names,
        vocab,
        np.concatenate([f_src, e_src, w_src]),
        np.concatenate([f_dst, e_dst, w_dst]),
        np.concatenate([np.full(len(f_src), FOLLOW), e_kind, w_kind]),
        np.concatenate([np.full(len(f_src), -1), e_skill, w_skill]),
        {
            "people": people,
            "servers": servers,
            "per_server": per,
            "follows": follows,
            "window": window,
            "rewire": rewire,
            "follow_back": follow_back,
            "endorses": endorses,
            "attested": attested,
            "suggest": suggest,
            "likes": likes,
            "skills": skills,
            "seed": seed,
        },
    )
    graph.skill_owner, graph.skill_owned = owner, owned
    return graph


def sybil_region(
    graph: Graph,
    target: int,
    *,
    count: int = 10_000,
    follows: int = 30,
    endorses: int = 10,
    attack_edges: int = 5,
    exclude: frozenset[int] = frozenset(),
    seed: int = 2,
) -> tuple[Graph, np.ndarray]:
    """``graph`` plus a Sybil region aimed at ``target``'s ``"rust"`` (module docstring).
    Returns the new graph and the honest people who hold the attack edges (drawn at
    random among the honest people, never ``target`` nor anyone in ``exclude``)."""
    rng = np.random.default_rng(seed)
    n = graph.size
    names = [f"https://{SYBIL_HOST}/users/s{j}" for j in range(count)]
    rust = graph.skills.index(TARGET_SKILL)
    # Inside the region: random follows and endorsements, no self-loops, no duplicates.
    s_src = np.repeat(np.arange(count), follows)
    s_dst = rng.integers(0, count, len(s_src))
    f_src, f_dst = _unique_pairs(s_src, s_dst, count)
    e_src = np.repeat(np.arange(count), endorses)
    e_dst = rng.integers(0, count, len(e_src))
    e_src, e_dst = _unique_pairs(e_src, e_dst, count)
    e_skill = rng.integers(0, len(graph.skills), len(e_src))
    # Everyone endorses the target's rust.
    everyone = np.arange(count)
    # The attack edges: distinct honest people follow distinct Sybils.
    allowed = np.setdiff1d(np.arange(n), np.array(sorted(exclude | {target}), dtype=np.int64))
    attackers = rng.choice(allowed, attack_edges, replace=False)
    victims = rng.choice(count, attack_edges, replace=False) + n
    src = np.concatenate([f_src + n, e_src + n, everyone + n, attackers])
    dst = np.concatenate([f_dst + n, e_dst + n, np.full(count, target), victims])
    kind = np.concatenate(
        [
            np.full(len(f_src), FOLLOW),
            np.full(len(e_src) + count, ENDORSEMENT),
            np.full(attack_edges, FOLLOW),
        ]
    )
    skill = np.concatenate(
        [np.full(len(f_src), -1), e_skill, np.full(count, rust), np.full(attack_edges, -1)]
    )
    out = graph.with_rows(src, dst, kind, skill, names)
    out.params["sybil"] = {
        "count": count,
        "follows": follows,
        "endorses": endorses,
        "attack_edges": attack_edges,
        "seed": seed,
    }
    return out, attackers

"""Properties of the trust metric (``domain.trust``) on small hand-built graphs.

Notation used in the comments: ``R = RESTART = 0.15``, ``d = 1 - R = 0.85`` and
``C = REFERENCE_CONTACTS = 10``. ``x`` is the walk's stationary distribution (it sums to 1).
One step of the iteration is

    x' = R * r + d * (W^T (x / out) + lost * r)

with ``r`` the restart vector (spread evenly over the known seeds) and ``lost`` the mass
sitting on nodes without out-edges (it goes back to the seeds). So at the fixed point a
non-seed node ``v`` holds ``x_v = d * sum_u x_u * w(u, v) / out(u)``, and a single seed ``s``
holds ``x_s = R + d * (inflow to s + mass on dangling nodes)``.

``trust`` returns ``x / reference`` with ``reference = mean(x over the seeds) * d / C``, so:

* the seeds' trust averages exactly ``C / d = 1 / 0.085 ~= 11.765`` (a single seed always
  gets exactly that, whatever the graph);
* the non-seed equation is linear and homogeneous, so it holds for trust too:
  ``t_v = d * sum_u t_u * w(u, v) / out(u)``. A node fed only by a single seed that gives it
  the share ``p`` of its out-weight gets ``d * (C / d) * p = C * p``: 1 for one of ten equal
  contacts, 10 for an only contact;
* nodes the walk never reaches hold no mass and do not enter the reference, so accounts
  anywhere else change nobody's trust.
"""

from __future__ import annotations

import itertools
import math
import random
from collections import defaultdict

import numpy as np
import pytest

from fediverse_skills.domain.trust import (
    BROAD_ENDORSER,
    LEVELS,
    MAX_PAIR_WEIGHT,
    MAX_PATH_LENGTH,
    RECIPROCAL,
    REFERENCE_CONTACTS,
    RESTART,
    WEIGHTS,
    Endorsement,
    Signal,
    TrustError,
    TrustGraph,
    host_of,
    level,
    skill_scores,
)

D = 1 - RESTART
C = REFERENCE_CONTACTS
SEED_TRUST = C / D  # what a single viewpoint always gets: 1 / 0.085 ~= 11.765


def follow(source: str, target: str) -> Signal:
    return Signal(source, target, "follow")


def endorse(source: str, target: str, kind: str = "endorsement", skill: str = "python") -> Signal:
    return Signal(source, target, kind, skill)


def trust_by_actor(graph: TrustGraph, seeds: list[str], **kwargs: object) -> dict[str, float]:
    vector = graph.trust(seeds, **kwargs)  # type: ignore[arg-type]
    assert len(vector) == graph.size
    return dict(zip(graph.names, vector.tolist(), strict=True))


def actor(host: str, name: str) -> str:
    return f"https://{host}/users/{name}"


# ----------------------------------------------------------------------------- 1. basics


def test_closed_form_two_nodes() -> None:
    # a -> b only, restart at a. b has no out-edges, so everything at b goes back to a.
    #   x_b = d * x_a                          (a sends all of its walk to b)
    #   x_a = R + d * x_b                      (restart, plus b's stuck mass sent home)
    # => x_a = R + d^2 x_a  => x_a = R / (1 - d^2) = 0.15 / 0.2775 = 20/37, x_b = 17/37.
    # reference = x_a * d / C, so trust(a) = C / d = 10 / 0.85 ~= 11.765 and
    # trust(b) = (x_b / x_a) * C / d = (17/20) * (10 / 0.85) = 10 exactly: an only contact.
    t = trust_by_actor(TrustGraph.build([follow("a", "b")]), ["a"])
    assert t["a"] == pytest.approx(200 / 17, rel=1e-9)
    assert t["b"] == pytest.approx(10.0, rel=1e-7)
    # Same numbers from the general formula, in case the constants change.
    x_a = RESTART / (1 - D**2)
    x_b = D * x_a
    reference = x_a * D / C
    assert t["a"] == pytest.approx(x_a / reference, rel=1e-9)
    assert t["b"] == pytest.approx(x_b / reference, rel=1e-7)
    assert t["a"] == pytest.approx(SEED_TRUST, rel=1e-12)


def test_closed_form_three_nodes_split_by_weight() -> None:
    # a -> b (follow, 1.0) and a -> c (attested, 0.5): out(a) = 1.5, so a's walk goes 2/3 to b
    # and 1/3 to c. b and c are dangling, so x_a = R + d (x_b + x_c) = R + d^2 x_a as above:
    #   x_a = 20/37, x_b = d * 2/3 * 20/37 = 34/111, x_c = d * 1/3 * 20/37 = 17/111.
    # reference = x_a * d / C: trust(a) = C / d, trust(b) = C * 2/3 = 20/3, trust(c) = 10/3.
    graph = TrustGraph.build([follow("a", "b"), endorse("a", "c", "attested")])
    t = trust_by_actor(graph, ["a"])
    assert t["a"] == pytest.approx(SEED_TRUST, rel=1e-9)
    assert t["b"] == pytest.approx(20 / 3, rel=1e-7)
    assert t["c"] == pytest.approx(10 / 3, rel=1e-7)


def test_one_is_a_contact_of_a_viewpoint_vouching_for_ten() -> None:
    # The unit of trust. v follows p0..p9 (nobody else feeds them): each gets C * 1/10 = 1.
    # With twenty contacts each gets 1/2. One step further, q (p0's only contact) gets
    # d * t(p0) = 0.85; p0 keeps 1 since its own inflow has not changed.
    ten = [follow("v", f"p{i}") for i in range(10)]
    t = trust_by_actor(TrustGraph.build(ten), ["v"])
    assert t["v"] == pytest.approx(SEED_TRUST, rel=1e-9)
    for i in range(10):
        assert t[f"p{i}"] == pytest.approx(1.0, rel=1e-7)
    twenty = trust_by_actor(TrustGraph.build([follow("v", f"p{i}") for i in range(20)]), ["v"])
    assert twenty["p7"] == pytest.approx(0.5, rel=1e-7)
    further = trust_by_actor(TrustGraph.build([*ten, follow("p0", "q")]), ["v"])
    assert further["p0"] == pytest.approx(1.0, rel=1e-7)
    assert further["q"] == pytest.approx(D, rel=1e-7)


def test_the_viewpoint_gets_the_most_trust_in_a_small_community() -> None:
    # A small community where trust flows back to the viewpoint v. v always gets C / d; the
    # others, from the homogeneous equation t_v = d * sum t_u w(u, v) / out(u):
    #   a, b: half of v's out-weight each, fed by nobody else: C / 2 = 5 each;
    #   c: all of b (out 1) and half of a (out(a) = 2: c, v): d (5 + 5/2) = 6.375;
    #   d: c -> d is a like, out(c) = 1.25: d * 6.375 * 0.25 / 1.25 = 1.08375.
    # Here v is on top (it is not always: see the next test).
    graph = TrustGraph.build(
        [
            follow("v", "a"),
            follow("v", "b"),
            follow("a", "c"),
            follow("b", "c"),
            follow("c", "v"),
            follow("a", "v"),
            endorse("c", "d", "like"),
        ]
    )
    t = trust_by_actor(graph, ["v"])
    assert t["v"] == pytest.approx(SEED_TRUST, rel=1e-9)
    assert t["a"] == pytest.approx(5.0, rel=1e-7)
    assert t["b"] == pytest.approx(5.0, rel=1e-7)
    assert t["c"] == pytest.approx(6.375, rel=1e-7)
    assert t["d"] == pytest.approx(1.08375, rel=1e-7)
    assert max(t, key=t.__getitem__) == "v"


def test_the_seeds_trust_is_fixed_whatever_the_graph() -> None:
    # v -> a and a <-> b, a trap v's trust never comes back from: x_v = R exactly, and
    #   x_a = d (x_v + x_b), x_b = d x_a => x_a = d R / (1 - d^2), x_b = d^2 R / (1 - d^2).
    # Scaled by x_v: t_v = C / d, t_a = C / (1 - d^2) ~= 36.04, t_b = C d / (1 - d^2) ~= 30.63,
    # t_a + t_b = C / R ~= 66.7: a trap can hold more than the viewpoint, but the viewpoint
    # keeps exactly C / d.
    graph = TrustGraph.build([follow("v", "a"), follow("a", "b"), follow("b", "a")])
    t = trust_by_actor(graph, ["v"])
    assert t["v"] == pytest.approx(SEED_TRUST, rel=1e-9)
    assert t["a"] == pytest.approx(C / (1 - D**2), rel=1e-7)
    assert t["b"] == pytest.approx(C * D / (1 - D**2), rel=1e-7)
    assert t["a"] + t["b"] == pytest.approx(C / RESTART, rel=1e-7)
    # Two seeds v and b (restart R/2 each): x_v = R/2 (nothing flows into v), and
    #   x_a = d (x_v + x_b), x_b = R/2 + d x_a => x_a = d R / (1 - d^2),
    #   x_b = R/2 + d^2 R / (1 - d^2), x_v + x_b = R / (1 - d^2) = 20/37.
    # reference = (x_v + x_b)/2 * d / C = d R / (2 C (1 - d^2)), so
    #   t_a = 2C = 20 exactly, t_v = C (1 - d^2) / d ~= 3.265, t_b = C (1 + d^2) / d ~= 20.265;
    # the seeds average C / d, and each keeps at least its restart share R/2 / reference.
    two = trust_by_actor(graph, ["v", "b"])
    assert two["a"] == pytest.approx(2 * C, rel=1e-7)
    assert two["v"] == pytest.approx(C * (1 - D**2) / D, rel=1e-7)
    assert two["b"] == pytest.approx(C * (1 + D**2) / D, rel=1e-7)
    assert (two["v"] + two["b"]) / 2 == pytest.approx(SEED_TRUST, rel=1e-9)
    restart_share = (RESTART / 2) / (D * RESTART / (2 * C * (1 - D**2)))
    assert two["v"] >= restart_share * (1 - 1e-7)
    assert two["b"] >= restart_share * (1 - 1e-7)


GRAPHS = [
    ([follow("a", "b")], ["a"]),
    ([follow("a", "b"), follow("b", "c"), follow("c", "a")], ["b"]),
    # a dangling node, an unreachable node, a skill signal and two seeds
    (
        [follow("v", "a"), endorse("a", "b"), follow("z", "v"), follow("a", "v")],
        ["v", "a"],
    ),
    ([follow(f"hub{i % 3}", f"leaf{i}") for i in range(30)] + [follow("s", "hub0")], ["s"]),
    # heavy pairs (capped), likes, a cycle through the two seeds
    (
        [
            follow("v", "w"),
            endorse("v", "w"),
            endorse("v", "w", skill="go"),
            endorse("v", "w", "suggestion", "rust"),
            endorse("w", "x", "like"),
            follow("x", "v"),
            endorse("x", "y", "attested"),
            follow("w", "v"),
        ],
        ["w", "v"],
    ),
]


def pair_weights(signals: list[Signal]) -> dict[tuple[str, str], float]:
    raw: dict[tuple[str, str], float] = defaultdict(float)
    for s in signals:
        if s.source != s.target:
            raw[(s.source, s.target)] += WEIGHTS[s.kind]
    return {pair: min(w, MAX_PAIR_WEIGHT) for pair, w in raw.items()}


@pytest.mark.parametrize(("signals", "seeds"), GRAPHS)
def test_trust_is_the_fixed_point_scaled_by_the_viewpoint(
    signals: list[Signal], seeds: list[str]
) -> None:
    # trust / trust.sum() is the walk's distribution x (it sums to 1): check the fixed-point
    # equation on it directly, node by node. Then the scale: the seeds average C / d.
    graph = TrustGraph.build(signals)
    t = trust_by_actor(graph, seeds)
    assert all(math.isfinite(v) and v >= 0 for v in t.values())
    total = sum(t.values())
    x = {name: value / total for name, value in t.items()}
    weights = pair_weights(signals)
    out: dict[str, float] = defaultdict(float)
    for (u, _), w in weights.items():
        out[u] += w
    known = sorted({s for s in seeds if s in x})
    lost = sum(value for name, value in x.items() if out[name] == 0)
    expected = {name: (RESTART + D * lost) / len(known) if name in known else 0.0 for name in x}
    for (u, v), w in weights.items():
        expected[v] += D * x[u] * w / out[u]
    for name in x:
        assert x[name] == pytest.approx(expected[name], rel=1e-7, abs=1e-10)
    assert sum(t[s] for s in known) / len(known) == pytest.approx(SEED_TRUST, rel=1e-9)


@pytest.mark.parametrize(("signals", "seeds"), GRAPHS)
def test_unrelated_accounts_do_not_change_anyones_trust(
    signals: list[Signal], seeds: list[str]
) -> None:
    # Add a separate community (a 40-cycle with a hub), plus strangers who follow and
    # endorse everyone in the graph: the walk never reaches them, so they hold no mass,
    # send none, and are not part of the reference. Every existing value stays the same,
    # and every stranger gets exactly 0.
    names = sorted({s.source for s in signals} | {s.target for s in signals})
    strangers = [f"stranger{i}" for i in range(40)]
    extra = [follow(a, b) for a, b in itertools.pairwise([*strangers, strangers[0]])]
    extra += [follow("stranger-hub", s) for s in strangers]
    extra += [follow("fan", n) for n in names] + [endorse("fan", n) for n in names]
    before = trust_by_actor(TrustGraph.build(signals), seeds)
    after = trust_by_actor(TrustGraph.build([*extra, *signals]), seeds)
    for name, value in before.items():
        assert after[name] == pytest.approx(value, rel=1e-9, abs=1e-12)
    for name in [*strangers, "stranger-hub", "fan"]:
        assert after[name] == 0.0


def test_accounts_unreachable_from_the_viewpoint_do_not_change_trust() -> None:
    # v <-> a alone: x_a = d x_v, x_v = R + d x_a => x_v = 20/37, x_a = 17/37; trust(v) = C/d,
    # trust(a) = (x_a / x_v) * C / d = C = 10 (v's only contact). 100 unrelated pairs the
    # walk never reaches hold no mass: a's trust stays 10.
    alone = trust_by_actor(TrustGraph.build([follow("v", "a"), follow("a", "v")]), ["v"])
    assert alone["v"] == pytest.approx(SEED_TRUST, rel=1e-9)
    assert alone["a"] == pytest.approx(10.0, rel=1e-7)
    crowd = [follow(f"x{i}", f"y{i}") for i in range(100)]
    crowded = trust_by_actor(TrustGraph.build([follow("v", "a"), follow("a", "v"), *crowd]), ["v"])
    assert crowded["a"] == pytest.approx(alone["a"], rel=1e-9)
    assert crowded["v"] == pytest.approx(alone["v"], rel=1e-9)
    assert all(crowded[f"y{i}"] == 0.0 for i in range(100))


def test_a_node_unreachable_from_the_viewpoint_gets_zero() -> None:
    # c -> a -> b: nothing leads from a to c, and the walk only restarts at a, so c never
    # receives any mass: exactly 0, not merely small.
    t = trust_by_actor(TrustGraph.build([follow("c", "a"), follow("a", "b")]), ["a"])
    assert t["c"] == 0.0
    assert t["a"] > 0
    assert t["b"] > 0


def test_unknown_seeds_give_all_zeros_and_are_ignored_beside_known_ones() -> None:
    graph = TrustGraph.build([follow("a", "b"), follow("b", "c")])
    for seeds in ([], ["nobody"], ["nobody", "nobody-else"]):
        vector = graph.trust(seeds)
        assert vector.shape == (3,)
        assert (vector == 0).all()
    # An unknown seed next to a known one changes nothing.
    assert np.allclose(graph.trust(["a", "nobody"]), graph.trust(["a"]))


def test_empty_graph_gives_an_empty_vector() -> None:
    for graph in (TrustGraph(), TrustGraph.build([]), TrustGraph.from_rows([])):
        vector = graph.trust(["anyone"])
        assert vector.shape == (0,)
        assert graph.strongest_path(["anyone"], "anyone") is None


def test_self_loops_are_ignored() -> None:
    plain = [follow("a", "b"), follow("b", "c")]
    loops = [follow("a", "a"), endorse("b", "b"), follow("c", "c"), follow("only-me", "only-me")]
    with_loops = TrustGraph.build(plain + loops)
    # Someone who only vouches for themself does not even become a node.
    assert "only-me" not in with_loops.index
    assert with_loops.size == 3
    assert with_loops.edges() == 2
    assert trust_by_actor(with_loops, ["a"]) == pytest.approx(
        trust_by_actor(TrustGraph.build(plain), ["a"]), rel=1e-12
    )
    # from_rows drops them too, and so does an incremental add (nothing changes at all).
    rows = TrustGraph.from_rows([("a", "b", "follow"), ("a", "a", "follow")])
    assert rows.edges() == 1
    version = with_loops.version
    with_loops.add(follow("a", "a"))
    with_loops.remove(follow("b", "b"))
    assert with_loops.version == version
    assert with_loops.size == 3


@pytest.mark.parametrize(
    ("kinds", "expected_ratio"),
    [
        (["follow"], 1.0),
        (["follow", "endorsement"], 2.0),
        (["like", "like"], 0.5),
        (["follow", "suggestion", "attested"], 2.25),
        # 1 + 1 + 1 + 0.75 + 0.5 = 4.25, capped at MAX_PAIR_WEIGHT = 3
        (["follow", "endorsement", "endorsement", "suggestion", "attested"], MAX_PAIR_WEIGHT),
    ],
)
def test_pair_weights_add_up_to_the_cap(kinds: list[str], expected_ratio: float) -> None:
    # a -> b with the given signals, a -> c with one follow (1.0). b and c are dangling and fed
    # only by a, so x_b / x_c = w(a, b) / w(a, c) = min(sum of weights, 3) / 1.
    signals = [Signal("a", "b", k, None if k == "follow" else "python") for k in kinds]
    graph = TrustGraph.build([*signals, follow("a", "c")])
    assert graph.edges() == 2  # one edge per pair, however many signals
    t = trust_by_actor(graph, ["a"])
    assert t["b"] / t["c"] == pytest.approx(expected_ratio, rel=1e-9)
    assert expected_ratio == pytest.approx(
        min(sum(WEIGHTS[k] for k in kinds), MAX_PAIR_WEIGHT), rel=1e-12
    )


def test_adding_beyond_the_cap_changes_nothing() -> None:
    graph = TrustGraph.build([follow("a", "b"), endorse("a", "b"), endorse("a", "b", skill="go")])
    before = graph.trust(["a"])
    version = graph.version
    graph.add(endorse("a", "b", skill="rust"))  # raw 4.0, still 3.0 once capped
    assert graph.version == version
    assert np.array_equal(graph.trust(["a"]), before)


# ----------------------------------------------------------------------------- 2. Sybils

HONEST = "honest.example"
SYBIL = "sybil.example"
TARGET = actor("target.example", "t")


def sybil_world(sybils: int, *, attack: bool = True) -> tuple[dict[str, float], list[str]]:
    """An honest chain h0 <-> h1 <-> h2 <-> h3 (viewpoint h0), a clique of ``sybils`` accounts
    on one host that all follow each other and all endorse TARGET's "python", and (if
    ``attack``) one attack edge: h3 follows s0. Returns the trust from h0, and the sybils."""
    hs = [actor(HONEST, f"h{i}") for i in range(4)]
    rows = []
    for left, right in itertools.pairwise(hs):
        rows += [(left, right, "follow"), (right, left, "follow")]
    clique = [actor(SYBIL, f"s{i}") for i in range(sybils)]
    rows += [(a, b, "follow") for a in clique for b in clique if a != b]
    rows += [(a, TARGET, "endorsement") for a in clique]
    if attack:
        rows.append((hs[3], clique[0], "follow"))
    graph = TrustGraph.from_rows(rows)
    t = dict(zip(graph.names, graph.trust([hs[0]]).tolist(), strict=True))
    return t, clique


def sybil_lift(t: dict[str, float], clique: list[str]) -> float:
    endorsements = [Endorsement(s, "python", "endorsement") for s in clique]
    return skill_scores(TARGET, endorsements, t)["python"].score


# The honest chain in closed form. Nothing flows into h1..h3 except from honest nodes, so
# the homogeneous equation t_v = d * sum t_u w(u, v) / out(u) with t_h0 = C / d fixes them,
# whatever the clique (out(h0) = 1, out(h1) = out(h2) = out(h3) = 2 with the attack edge):
#   t1 = d (t0 + t2/2), t2 = d (t1/2 + t3/2), t3 = d t2 / 2
#   => t2 = (C d / 2) / (1 - d^2/2), t3 = (C d^2 / 4) / (1 - d^2/2) ~= 2.8278.
T_H3 = (C * D**2 / 4) / (1 - D**2 / 2)
# What enters the clique per unit of trust: the attack edge carries half of h3's walk.
ATTACK_INFLOW = D * T_H3 / 2  # ~= 1.2018, what a direct contact of h3 gets


def clique_closed_form(k: int) -> tuple[float, float, float]:
    """(t_s0, t_si for i >= 1, lift) for a clique of k from the equations below."""
    # Each sybil's out-weight is k (k - 1 follows, one endorsement of TARGET), so it sends
    # (k - 1)/k of its walk into the clique and 1/k to TARGET (dangling: back to h0).
    #   s0: z0 = in + d (k - 1) z / k,   others: z = d (z0 + (k - 2) z) / k
    #   => z = d z0 / (k R + 2 d);  clique total Z = z0 + (k - 1) z = z0 (k + d) / (k R + 2 d)
    #   and Z = in + d Z (k - 1) / k  =>  Z = in * k / (k R + d).
    # One host: the lift is the L2 norm sqrt(z0^2 + (k - 1) z^2).
    total = ATTACK_INFLOW * k / (k * RESTART + D)
    z0 = total * (k * RESTART + 2 * D) / (k + D)
    z = D * z0 / (k * RESTART + 2 * D)
    return z0, z, math.sqrt(z0**2 + (k - 1) * z**2)


@pytest.mark.parametrize("k", [2, 10, 200])
def test_a_sybil_clique_gets_no_more_than_its_attack_edge_carries(k: int) -> None:
    t, clique = sybil_world(k)
    h3 = actor(HONEST, "h3")
    assert t[actor(HONEST, "h0")] == pytest.approx(SEED_TRUST, rel=1e-9)
    assert t[h3] == pytest.approx(T_H3, rel=1e-7)
    z0, z, lift_expected = clique_closed_form(k)
    assert t[clique[0]] == pytest.approx(z0, rel=1e-6)
    assert all(t[s] == pytest.approx(z, rel=1e-6) for s in clique[1:])
    assert t[TARGET] == pytest.approx(D * (z0 + (k - 1) * z) / k, rel=1e-6)
    # Region S = the clique plus TARGET. Nothing restarts into S and the only way in is the
    # attack edge, which brings d * t_h3 / 2 each step; each step S keeps at most d of its
    # own. At the fixed point t(S) <= d t(S) + d t_h3 / 2, hence t(S) <= (d / R) t_h3 / 2
    # ~= 8.01, whatever k.
    region = sum(t[s] for s in clique) + t[TARGET]
    bound = D / RESTART * t[h3] / 2
    assert region <= bound * (1 + 1e-6)
    # The clique is one host, so it counts sqrt(sum t_i^2) <= sum t_i <= bound. The walk
    # piles up on s0 (z0 / z = (k R + 2 d) / d, ~37 at k = 200), so the L2 norm is close to
    # t_s0 and well above the old sum / sqrt(k) (Cauchy-Schwarz: that is now a lower bound):
    # k = 2: 1.594, k = 10: 1.929, k = 200: 1.315, tending to d t_h3 / 2 ~= 1.202 (what one
    # direct contact of h3 gets) as k grows; the largest, ~1.93 (0.68 t_h3), is near k = 10.
    # Always below the one real endorsement h3 could give (t_h3 ~= 2.83).
    lift = sybil_lift(t, clique)
    assert lift == pytest.approx(lift_expected, rel=1e-6)
    assert lift <= region
    assert lift >= sum(t[s] for s in clique) / math.sqrt(k) * (1 - 1e-9)
    assert lift < 0.7 * t[h3]
    # Without the attack edge the clique is unreachable and lifts nothing at all.
    t_cut, clique_cut = sybil_world(k, attack=False)
    assert sybil_lift(t_cut, clique_cut) == 0.0


def test_doubling_the_sybil_clique_does_not_raise_its_lift() -> None:
    # Honest trust does not depend on the clique at all now (the scale is the viewpoint's
    # own share), so the relative and the absolute lift behave alike. From the closed form:
    # k = 200: 1.3147 (0.465 t_h3), k = 400: 1.2612 (0.446 t_h3): doubling lowers it.
    h3 = actor(HONEST, "h3")
    t200, c200 = sybil_world(200)
    t400, c400 = sybil_world(400)
    assert t400[h3] == pytest.approx(t200[h3], rel=1e-9)
    lift200 = sybil_lift(t200, c200)
    lift400 = sybil_lift(t400, c400)
    assert lift200 == pytest.approx(clique_closed_form(200)[2], rel=1e-6)
    assert lift400 == pytest.approx(clique_closed_form(400)[2], rel=1e-6)
    assert lift400 < lift200
    assert lift400 / t400[h3] < lift200 / t200[h3]
    # Both stay below the k-independent bound (d / R) t_h3 / 2 and a level below "solid".
    for lift in (lift200, lift400):
        assert lift <= D / RESTART * T_H3 / 2
        assert level(lift) == (2, "some")


def test_an_unreachable_sybil_clique_changes_no_honest_trust() -> None:
    # Without the attack edge the clique (k = 200, 40,000 edges) is a separate component: the
    # honest chain gets exactly what it gets with no clique at all. Now h3's only contact is
    # h2 (out(h3) = 1):
    #   t1 = d (t0 + t2/2), t2 = d (t1/2 + t3), t3 = d t2 / 2, t0 = C / d
    #   => t2 = (d/2) t1 / (1 - d^2/2), t1 = C (1 - d^2/2) / (1 - 3 d^2/4) ~= 13.943,
    #      t2 ~= 9.277, t3 ~= 3.943.
    t_cut, clique = sybil_world(200, attack=False)
    hs = [actor(HONEST, f"h{i}") for i in range(4)]
    chain = [follow(a, b) for x, y in itertools.pairwise(hs) for a, b in ((x, y), (y, x))]
    alone = trust_by_actor(TrustGraph.build(chain), [hs[0]])
    t1 = C * (1 - D**2 / 2) / (1 - 3 * D**2 / 4)
    t2 = D / 2 * t1 / (1 - D**2 / 2)
    for h, expected in zip(hs, (SEED_TRUST, t1, t2, D * t2 / 2), strict=True):
        assert alone[h] == pytest.approx(expected, rel=1e-7)
        assert t_cut[h] == pytest.approx(alone[h], rel=1e-9)
    assert all(t_cut[s] == 0.0 for s in clique)
    assert t_cut[TARGET] == 0.0


# ----------------------------------------------------------------------------- 3. reciprocity


def test_a_reciprocal_endorsement_counts_at_most_half_of_a_one_way_one() -> None:
    # A endorses B's skill. One-way: trust(A) * 1.0. If B endorses A too (A in
    # ``reciprocal``), the same endorsement counts RECIPROCAL (0.4) of that.
    a, b = actor("one.example", "a"), actor("two.example", "b")
    trust_of = {a: 2.5}
    endorsements = [Endorsement(a, "python", "endorsement")]
    one_way = skill_scores(b, endorsements, trust_of)["python"].score
    mutual = skill_scores(b, endorsements, trust_of, reciprocal=frozenset({a}))["python"].score
    assert one_way == pytest.approx(2.5)
    assert mutual == pytest.approx(RECIPROCAL * 2.5)
    assert mutual <= 0.5 * one_way
    # Someone in ``reciprocal`` who does not endorse this skill changes nothing.
    other = skill_scores(b, endorsements, trust_of, reciprocal=frozenset({"someone"}))
    assert other["python"].score == pytest.approx(one_way)


def test_reciprocity_with_trust_from_a_real_graph() -> None:
    # v follows a; a endorses b; in the mutual case b also endorses a. Trust comes from the
    # graph, the discount from ``reciprocal``: whatever a's trust, mutual <= 0.5 * one-way.
    # One-way: a is v's only contact, t_a = C = 10. Mutual: b's walk all goes back to a,
    # t_b = d t_a and t_a = C + d t_b => t_a = C / (1 - d^2) ~= 36.04.
    a, b, v = actor("one.example", "a"), actor("two.example", "b"), actor("v.example", "v")
    for mutual_edge, t_a in ((False, C), (True, C / (1 - D**2))):
        signals = [follow(v, a), endorse(a, b)] + ([endorse(b, a)] if mutual_edge else [])
        t = trust_by_actor(TrustGraph.build(signals), [v])
        assert t[a] == pytest.approx(t_a, rel=1e-7)
        endorsements = [Endorsement(a, "python", "endorsement")]
        one_way = skill_scores(b, endorsements, t)["python"].score
        mutual = skill_scores(b, endorsements, t, frozenset({a}))["python"].score
        assert one_way == pytest.approx(t_a, rel=1e-7)
        assert mutual == pytest.approx(RECIPROCAL * t_a, rel=1e-7)
        assert mutual <= 0.5 * one_way


# ----------------------------------------------------------------------------- 4. servers


def test_endorsers_from_one_server_count_as_the_root_of_their_squares() -> None:
    # Four endorsers of trust 1.5 each. Four hosts: 4 * 1.5 = 6. One host:
    # sqrt(4 * 1.5^2) = 2 * 1.5 = 3, exactly half (n equal endorsers count sqrt(n) times one).
    trust = 1.5
    spread = [actor(f"h{i}.example", "e") for i in range(4)]
    same = [actor("one.example", f"e{i}") for i in range(4)]
    spread_score = skill_scores(
        "p", [Endorsement(e, "go", "endorsement") for e in spread], dict.fromkeys(spread, trust)
    )["go"]
    same_score = skill_scores(
        "p", [Endorsement(e, "go", "endorsement") for e in same], dict.fromkeys(same, trust)
    )["go"]
    assert spread_score.score == pytest.approx(6.0)
    assert same_score.score == pytest.approx(3.0)
    assert same_score.score / spread_score.score == pytest.approx(1 / math.sqrt(4))
    assert same_score.endorsers == spread_score.endorsers == 4


def test_unequal_endorsers_on_one_server_combine_as_an_l2_norm() -> None:
    # Trust 3 and 4 on one host: sqrt(9 + 16) = 5 (not (3 + 4) / sqrt(2) ~= 4.95). A third
    # one elsewhere adds its own 2: 7. Each endorser's share of a host is in proportion to its
    # squared weight: 9/25 * 5 = 1.8 and 16/25 * 5 = 3.2, so the top is the trust-4 one.
    three, four = actor("one.example", "three"), actor("one.example", "four")
    other = actor("two.example", "other")
    endorsements = [Endorsement(e, "go", "endorsement", e) for e in (three, four, other)]
    s = skill_scores("p", endorsements, {three: 3.0, four: 4.0, other: 2.0})["go"]
    assert s.score == pytest.approx(7.0)
    assert s.top == four
    assert s.endorsers == 3


def test_hosts_are_compared_without_case() -> None:
    a, b = "https://One.Example/users/a", "https://one.example/users/b"
    assert host_of(a) == host_of(b) == "one.example"
    scores = skill_scores(
        "p", [Endorsement(a, "go", "like"), Endorsement(b, "go", "like")], {a: 4.0, b: 4.0}
    )
    # Two likes of weight 4 * 0.25 = 1: sqrt(1^2 + 1^2) = sqrt(2), not 2: one host.
    assert scores["go"].score == pytest.approx(math.sqrt(2))


# ----------------------------------------------------------------------------- 5. scores


def test_one_signal_per_endorser_and_skill_the_strongest_wins() -> None:
    e = actor("one.example", "e")
    endorsements = [
        Endorsement(e, "python", "like", "liked"),
        Endorsement(e, "python", "endorsement", "proof"),
        Endorsement(e, "python", "attested", "server says"),
        Endorsement(e, "python", "suggestion", "suggested"),
        Endorsement(e, "rust", "like", "a like"),
    ]
    scores = skill_scores("p", endorsements, {e: 2.0})
    # python: only the endorsement (1.0) counts: 2.0 * 1.0, not 2 * (0.25 + 1 + 0.5 + 0.75).
    assert scores["python"].score == pytest.approx(2.0)
    assert scores["python"].endorsers == 1
    assert scores["python"].top_comment == "proof"
    # rust is a separate skill: 2.0 * 0.25.
    assert scores["rust"].score == pytest.approx(0.5)
    # The order the signals arrive in does not matter.
    assert skill_scores("p", endorsements[::-1], {e: 2.0}) == scores


def test_the_persons_own_endorsement_counts_for_nothing() -> None:
    p, e = actor("p.example", "p"), actor("e.example", "e")
    alone = skill_scores(p, [Endorsement(p, "python", "endorsement")], {p: 100.0})
    assert alone == {}
    both = skill_scores(
        p,
        [Endorsement(p, "python", "endorsement"), Endorsement(e, "python", "endorsement")],
        {p: 100.0, e: 1.0},
    )
    assert both["python"].score == pytest.approx(1.0)
    assert both["python"].endorsers == 1
    assert both["python"].top == e


def test_follows_are_not_skill_signals() -> None:
    e = actor("e.example", "e")
    assert skill_scores("p", [Endorsement(e, "python", "follow")], {e: 5.0}) == {}


def test_unknown_endorsers_count_zero() -> None:
    known, stranger = actor("k.example", "k"), actor("s.example", "s")
    scores = skill_scores(
        "p",
        [Endorsement(known, "go", "endorsement"), Endorsement(stranger, "go", "endorsement")],
        {known: 1.25},
    )
    assert scores["go"].score == pytest.approx(1.25)
    assert scores["go"].endorsers == 2  # counted as an endorser, with no weight
    only = skill_scores("p", [Endorsement(stranger, "go", "endorsement", "hi")], {})["go"]
    assert only.score == 0.0
    assert (only.level, only.label) == (0, "none")
    assert only.top is None
    assert only.top_comment == ""


def test_unknown_endorsers_on_the_same_server_do_not_dilute_a_known_one() -> None:
    # A known endorser (trust 1) and three accounts nobody trusts, all on the same big server.
    # The strangers weigh 0: sqrt(1^2 + 0 + 0 + 0) = 1.0, so opening accounts on a server
    # cannot cut what its honest members' endorsements add (with 99 strangers too).
    known = actor("big.example", "known")
    for count in (3, 99):
        strangers = [actor("big.example", f"stranger{i}") for i in range(count)]
        endorsements = [Endorsement(e, "go", "like") for e in strangers]
        endorsements.append(Endorsement(known, "go", "endorsement"))
        score = skill_scores("p", endorsements, {known: 1.0})["go"]
        assert score.score == pytest.approx(1.0)
        assert score.top == known
        assert score.endorsers == count + 1


def test_another_positive_endorsement_never_lowers_a_score() -> None:
    # One endorsement (1.0) alone: 1.0. Add three likes (0.25 each) from the same host, all
    # trust 1: sqrt(1 + 3 * 0.25^2) = sqrt(1.1875) ~= 1.0897 >= 1.0.
    endorsers = [actor("one.example", f"e{i}") for i in range(4)]
    trust_of = dict.fromkeys(endorsers, 1.0)
    alone = skill_scores("p", [Endorsement(endorsers[0], "go", "endorsement")], trust_of)
    more = [Endorsement(endorsers[0], "go", "endorsement")]
    more += [Endorsement(e, "go", "like") for e in endorsers[1:]]
    assert alone["go"].score == pytest.approx(1.0)
    assert skill_scores("p", more, trust_of)["go"].score == pytest.approx(math.sqrt(1.1875))
    # The same, over random endorsers, kinds, trusts and hosts: adding any endorsement with
    # positive trust, one at a time, never lowers the score.
    rng = random.Random(7)
    kinds = sorted(WEIGHTS.keys() - {"follow"})
    for _ in range(50):
        pool = [actor(f"h{rng.randrange(3)}.example", f"e{i}") for i in range(8)]
        trust = {e: rng.uniform(0.01, 5.0) for e in pool}
        seen: list[Endorsement] = []
        previous = 0.0
        for e in pool:
            seen.append(Endorsement(e, "go", rng.choice(kinds)))
            score = skill_scores("p", seen, trust)["go"].score
            assert score >= previous - 1e-12
            previous = score


@pytest.mark.parametrize("bad", [math.nan, -1.0, -math.inf, math.inf, -0.0])
def test_bad_trust_values_count_zero_and_never_make_nan(bad: float) -> None:
    good, broken = actor("g.example", "g"), actor("b.example", "b")
    scores = skill_scores(
        "p",
        [Endorsement(good, "go", "endorsement"), Endorsement(broken, "go", "endorsement")],
        {good: 2.0, broken: bad},
    )
    assert math.isfinite(scores["go"].score)
    assert scores["go"].score == pytest.approx(2.0)
    assert scores["go"].top == good
    lone = skill_scores("p", [Endorsement(broken, "go", "endorsement")], {broken: bad})["go"]
    assert lone.score == 0.0
    assert lone.level == 0
    assert lone.top is None


@pytest.mark.parametrize(
    ("score", "expected"),
    [
        (0.0, (0, "none")),
        (0.2499, (0, "none")),
        (0.25, (1, "emerging")),
        (0.9999, (1, "emerging")),
        (1.0, (2, "some")),
        (2.9999, (2, "some")),
        (3.0, (3, "solid")),
        (8.0, (4, "strong")),
        (19.999, (4, "strong")),
        (20.0, (5, "outstanding")),
        (1e12, (5, "outstanding")),
        (-5.0, (0, "none")),
        (math.nan, (0, "none")),
        (math.inf, (0, "none")),  # not finite, like NaN
        (-math.inf, (0, "none")),
    ],
)
def test_levels(score: float, expected: tuple[int, str]) -> None:
    assert level(score) == expected


def test_levels_thresholds_are_ordered_and_scores_carry_them() -> None:
    thresholds = [threshold for threshold, _, _ in LEVELS]
    assert thresholds == sorted(thresholds, reverse=True)
    e = actor("e.example", "e")
    for threshold, number, label in LEVELS:
        s = skill_scores("p", [Endorsement(e, "go", "endorsement")], {e: threshold})["go"]
        assert (s.level, s.label) == (number, label)


def test_the_top_endorser_is_the_biggest_contributor_after_damping() -> None:
    # Two endorsers of trust 3 on one host count sqrt(9 + 9) = 3 sqrt(2) ~= 4.24 together,
    # shared in proportion to their squared weights: 3 / sqrt(2) ~= 2.12 each. A lone one of
    # trust 2.5 elsewhere contributes 2.5: the top is the lone one despite lower trust.
    pair = [actor("pair.example", "a"), actor("pair.example", "b")]
    lone = actor("lone.example", "c")
    endorsements = [Endorsement(e, "go", "endorsement", f"by {e}") for e in [*pair, lone]]
    s = skill_scores("p", endorsements, {pair[0]: 3.0, pair[1]: 3.0, lone: 2.5})["go"]
    assert s.score == pytest.approx(3 * math.sqrt(2) + 2.5)
    assert s.top == lone
    assert s.top_comment == f"by {lone}"
    # The signal kind matters too: a like from trust 8 adds 2, less than an endorsement
    # from trust 2.5.
    liker = actor("like.example", "d")
    s2 = skill_scores(
        "p",
        [Endorsement(liker, "go", "like", "like"), Endorsement(lone, "go", "endorsement", "e")],
        {liker: 8.0, lone: 2.5},
    )["go"]
    assert s2.top == lone
    assert s2.top_comment == "e"


@pytest.mark.parametrize(
    ("breadth", "factor"),
    [
        (None, 1.0),  # no breadth given: no damping
        ({}, 1.0),  # the endorser is not listed: no damping
        ({"https://b.example/users/e": 0}, 1.0),
        ({"https://b.example/users/e": 1}, 1.0),
        ({"https://b.example/users/e": BROAD_ENDORSER}, 1.0),  # the limit itself is not broad
        ({"https://b.example/users/e": BROAD_ENDORSER + 1}, math.sqrt(20 / 21)),
        ({"https://b.example/users/e": 4 * BROAD_ENDORSER}, 0.5),  # sqrt(20 / 80)
        ({"https://b.example/users/e": 5000}, math.sqrt(20 / 5000)),  # 1 / sqrt(250)
        ({"https://b.example/users/other": 5000}, 1.0),  # someone else's breadth
    ],
)
def test_a_broad_endorser_counts_sqrt_of_limit_over_breadth(
    breadth: dict[str, int] | None, factor: float
) -> None:
    e = "https://b.example/users/e"
    assert BROAD_ENDORSER == 20
    s = skill_scores("p", [Endorsement(e, "go", "endorsement")], {e: 4.0}, breadth=breadth)
    assert s["go"].score == pytest.approx(4.0 * factor)


def test_breadth_damping_applies_before_hosts_and_the_top() -> None:
    # Two endorsers on one host, trust 4 each; one endorses 80 people (factor sqrt(20/80) =
    # 1/2, weight 2), the other 3 (no damping, weight 4): the host counts sqrt(4 + 16) =
    # sqrt(20) ~= 4.47, shared by squares: broad 4/20 * sqrt(20) ~= 0.89, focused
    # 16/20 * sqrt(20) ~= 3.58. A like elsewhere from trust 12 adds 3. Total sqrt(20) + 3,
    # and the focused endorser is the top (3.58 > 3 > 0.89).
    broad, focused = actor("one.example", "broad"), actor("one.example", "focused")
    liker = actor("two.example", "liker")
    endorsements = [
        Endorsement(broad, "go", "endorsement", "broad"),
        Endorsement(focused, "go", "endorsement", "focused"),
        Endorsement(liker, "go", "like", "like"),
    ]
    trust_of = {broad: 4.0, focused: 4.0, liker: 12.0}
    s = skill_scores("p", endorsements, trust_of, breadth={broad: 80, focused: 3, liker: 1})
    assert s["go"].score == pytest.approx(math.sqrt(20) + 3.0)
    assert s["go"].top == focused
    # Without breadth the host counts sqrt(32) = 4 sqrt(2), 2 sqrt(2) ~= 2.83 each: now the
    # like (3) is the biggest single contribution.
    plain = skill_scores("p", endorsements, trust_of)["go"]
    assert plain.score == pytest.approx(4 * math.sqrt(2) + 3.0)
    assert plain.top == liker


# ----------------------------------------------------------------------------- 6. updates

BASE = [
    follow("v", "a"),
    follow("v", "b"),
    follow("a", "c"),
    endorse("a", "c"),
    follow("b", "c"),
    follow("c", "v"),
    endorse("c", "d", "like"),
    follow("d", "a"),
    endorse("b", "d", "attested"),
]


def assert_same_trust(left: dict[str, float], right: dict[str, float]) -> None:
    assert left.keys() == right.keys()
    names = sorted(left)
    assert np.allclose([left[k] for k in names], [right[k] for k in names], rtol=1e-6, atol=1e-9)


def test_incremental_updates_match_a_fresh_build() -> None:
    graph = TrustGraph.build(BASE)
    previous = graph.trust(["v"])
    added = [endorse("d", "e"), follow("e", "b"), follow("b", "a"), endorse("a", "c", skill="go")]
    removed = [follow("v", "b"), endorse("a", "c")]  # a -> c keeps its follow and "go"
    for s in added:
        graph.add(s)
    for s in removed:
        graph.remove(s)
    now = [s for s in BASE if s not in removed] + added
    fresh = TrustGraph.build(now)
    from_start = trust_by_actor(graph, ["v"], start=previous)
    assert_same_trust(from_start, trust_by_actor(fresh, ["v"]))
    assert_same_trust(trust_by_actor(graph, ["v"]), trust_by_actor(fresh, ["v"]))
    # A second round on top of the first, again from the previous vector.
    previous = graph.trust(["v"], start=previous)
    graph.add(follow("e", "v"))
    graph.remove(follow("d", "a"))
    now = [s for s in now if s != follow("d", "a")] + [follow("e", "v")]
    assert_same_trust(
        trust_by_actor(graph, ["v"], start=previous), trust_by_actor(TrustGraph.build(now), ["v"])
    )


def test_an_incremental_graph_from_nothing_matches_a_bulk_build() -> None:
    graph = TrustGraph()
    for s in BASE:
        graph.add(s)
    assert_same_trust(trust_by_actor(graph, ["v"]), trust_by_actor(TrustGraph.build(BASE), ["v"]))


def test_removing_below_the_cap_matches_a_fresh_build() -> None:
    # raw 4.25 (capped 3) -> remove the follow: raw 3.25, still 3 -> remove an endorsement:
    # raw 2.25. Each state must match a fresh build of the remaining signals.
    heavy = [
        follow("a", "b"),
        endorse("a", "b"),
        endorse("a", "b", skill="go"),
        endorse("a", "b", "suggestion", "rust"),
        endorse("a", "b", "attested", "c"),
    ]
    others = [follow("a", "c"), follow("b", "a"), follow("c", "a")]
    graph = TrustGraph.build(heavy + others)
    previous = graph.trust(["a"])
    remaining = heavy + others
    for gone in (follow("a", "b"), endorse("a", "b")):
        graph.remove(gone)
        remaining.remove(gone)
        previous = graph.trust(["a"], start=previous)
        fresh = TrustGraph.build(remaining)
        assert_same_trust(
            dict(zip(graph.names, previous.tolist(), strict=True)), trust_by_actor(fresh, ["a"])
        )


def test_adding_then_removing_a_signal_restores_the_vector() -> None:
    graph = TrustGraph.build(BASE)
    original = graph.trust(["v"])
    # A new pair, a new pair from the seed, and a heavier existing pair (v -> a: 1 -> 1.25).
    for s in (follow("d", "v"), endorse("v", "c", "like"), endorse("v", "a", "like")):
        graph.add(s)
        changed = graph.trust(["v"], start=original)
        assert not np.allclose(changed, original)
        graph.remove(s)
        assert np.allclose(graph.trust(["v"], start=changed), original, rtol=1e-7, atol=1e-9)
        assert np.allclose(graph.trust(["v"]), original, rtol=1e-12, atol=1e-12)


def test_adding_then_removing_a_signal_to_a_new_actor_restores_trust() -> None:
    # v <-> a gives trust(v) = C / d, trust(a) = C = 10 (two-node closed form). a follows a
    # newcomer and the follow is withdrawn: the signals are as before, so is trust. The
    # newcomer stays a node, but with no edges it holds no mass and is not a seed, so it
    # changes nothing (it used to, when trust was scaled by the number of nodes).
    graph = TrustGraph.build([follow("v", "a"), follow("a", "v")])
    original = trust_by_actor(graph, ["v"])
    assert original["v"] == pytest.approx(SEED_TRUST, rel=1e-9)
    assert original["a"] == pytest.approx(10.0, rel=1e-7)
    graph.add(follow("a", "newcomer"))
    during = trust_by_actor(graph, ["v"])
    # a now splits its walk: the newcomer (dangling, back to v) gets d t_a / 2, v gets the
    # other half, and t_a = C still (only v feeds a).
    assert during["a"] == pytest.approx(10.0, rel=1e-7)
    assert during["newcomer"] == pytest.approx(D * 10.0 / 2, rel=1e-7)
    graph.remove(follow("a", "newcomer"))
    after = trust_by_actor(graph, ["v"])
    assert after["newcomer"] == 0.0
    assert after["v"] == pytest.approx(original["v"], rel=1e-12)
    assert after["a"] == pytest.approx(original["a"], rel=1e-12)
    # The same from the vector computed with the newcomer, and after a compact.
    start = trust_by_actor(graph, ["v"], start=np.array(list(during.values())))
    assert start["a"] == pytest.approx(original["a"], rel=1e-7)
    graph.compact()
    assert trust_by_actor(graph, ["v"]) == pytest.approx({**original, "newcomer": 0.0}, rel=1e-12)


def test_compact_does_not_change_results() -> None:
    graph = TrustGraph.build(BASE)
    graph.add(endorse("d", "e"))
    graph.add(follow("e", "v"))
    graph.remove(follow("v", "b"))
    before = graph.trust(["v"])
    path_before = graph.strongest_path(["v"], "e")
    graph.compact()
    assert np.allclose(graph.trust(["v"]), before, rtol=1e-12, atol=1e-12)
    assert graph.strongest_path(["v"], "e") == path_before
    graph.compact()  # twice is the same as once
    assert np.allclose(graph.trust(["v"]), before, rtol=1e-12, atol=1e-12)


# ----------------------------------------------------------------------------- 7. bad input


def test_a_cycle_converges_to_its_closed_form() -> None:
    # a -> b -> c -> a, restart at a. No dangling node:
    #   x_b = d x_a, x_c = d x_b = d^2 x_a, x_a = R + d x_c = R + d^3 x_a
    #   => x_a = R / (1 - d^3) = 0.15 / 0.385875; x_b = d x_a; x_c = d^2 x_a; sum = 1.
    # Scaled by x_a * d / C: t_a = C / d, t_b = C = 10 (a's only contact), t_c = C d = 8.5.
    # The walk is periodic, but the restart damps it (error ~ d^k), so it still converges.
    graph = TrustGraph.build([follow("a", "b"), follow("b", "c"), follow("c", "a")])
    t = trust_by_actor(graph, ["a"])
    assert t["a"] == pytest.approx(SEED_TRUST, rel=1e-9)
    assert t["b"] == pytest.approx(10.0, rel=1e-7)
    assert t["c"] == pytest.approx(8.5, rel=1e-7)
    # Tighter tolerance, same answer: it had converged.
    assert np.allclose(graph.trust(["a"], tolerance=1e-13), graph.trust(["a"]), rtol=1e-7)


def hub_world(*, follows: bool) -> tuple[TrustGraph, list[str]]:
    """v follows a hub and a focused endorser; the hub endorses (and, if ``follows``, also
    follows) 5,000 people, the focused one endorses one person t."""
    crowd = [f"person{i}" for i in range(5000)]
    signals = [follow("v", "hub"), follow("v", "focused"), endorse("focused", "t")]
    signals += [endorse("hub", p) for p in crowd]
    if follows:
        signals += [follow("hub", p) for p in crowd]
    return TrustGraph.build(signals), crowd


def test_a_huge_out_degree_spreads_trust_thin() -> None:
    # v follows hub and focused equally: each gets C / 2 = 5. The focused one's only
    # contact t gets d * 5 = 4.25; the hub's 5,000 (weight 2 each, out 10,000) get
    # d * 5 / 5000 = 0.00085 each, i.e. 1/5000 of t.
    # Total: x_v = R + d * (dangling mass d^2 x_v) => x_v = R / (1 - d^3), and the trust sums
    # to 1 / reference = C / (d x_v) = C (1 - d^3) / (d R) ~= 30.26 (= C/d + 5 + 5 + 4.25 +
    # 4.25).
    graph, crowd = hub_world(follows=True)
    vector = graph.trust(["v"])
    assert np.isfinite(vector).all()
    assert vector.sum() == pytest.approx(C * (1 - D**3) / (D * RESTART), rel=1e-7)
    t = dict(zip(graph.names, vector.tolist(), strict=True))
    assert t["v"] == pytest.approx(SEED_TRUST, rel=1e-9)
    assert t["hub"] == pytest.approx(5.0, rel=1e-7)
    assert t["focused"] == pytest.approx(5.0, rel=1e-7)
    assert t["t"] == pytest.approx(4.25, rel=1e-7)
    assert t["person0"] == pytest.approx(D * 5 / 5000, rel=1e-7)
    assert max(t[p] for p in crowd) < t["t"]
    assert t["person0"] / t["t"] == pytest.approx(1 / 5000, rel=1e-6)
    assert graph.strongest_path(["v"], "person4999") == ["v", "hub", "person4999"]


def test_a_mass_endorser_adds_less_to_each_skill_than_a_focused_one() -> None:
    # Same world: hub and focused both have trust C / 2 = 5. The score counts an endorser's
    # own trust, so without ``breadth`` an endorsement by the hub of person0 is worth as much
    # as focused's endorsement of t. With the breadth (how many people each endorses), the
    # hub's 5,000 > BROAD_ENDORSER = 20 damp each of its endorsements by
    # sqrt(20 / 5000) = 1/sqrt(250) ~= 0.0632: 5 * 0.0632 ~= 0.316 ("emerging") against 5.
    graph, _ = hub_world(follows=False)
    t = trust_by_actor(graph, ["v"])
    assert t["hub"] == pytest.approx(5.0, rel=1e-7)
    assert t["focused"] == pytest.approx(5.0, rel=1e-7)
    breadth = {"hub": 5000, "focused": 1}
    by_hub = [Endorsement("hub", "python", "endorsement")]
    by_focused = [Endorsement("focused", "python", "endorsement")]
    from_hub = skill_scores("person0", by_hub, t, breadth=breadth)["python"]
    from_focused = skill_scores("t", by_focused, t, breadth=breadth)["python"]
    assert from_focused.score == pytest.approx(5.0, rel=1e-7)
    assert from_hub.score == pytest.approx(5.0 * math.sqrt(BROAD_ENDORSER / 5000), rel=1e-7)
    assert from_hub.score < from_focused.score
    assert (from_hub.level, from_hub.label) == (1, "emerging")
    assert (from_focused.level, from_focused.label) == (3, "solid")
    # Without breadth there is no damping: the two are worth the same.
    assert skill_scores("person0", by_hub, t)["python"].score == pytest.approx(
        from_focused.score, rel=1e-7
    )


def test_unknown_kinds_raise() -> None:
    with pytest.raises(TrustError, match="unknown signal kind 'poke'"):
        Signal("a", "b", "poke")
    with pytest.raises(TrustError, match="unknown signal kind 'poke'"):
        TrustGraph.from_rows([("a", "b", "follow"), ("a", "b", "poke")])
    with pytest.raises(TrustError, match="unknown signal kind"):
        TrustGraph.from_rows([("a", "a", "poke")])  # even on a self-loop
    assert issubclass(TrustError, ValueError)


def test_skill_signals_and_only_they_name_a_skill() -> None:
    for kind in ("endorsement", "suggestion", "attested", "like"):
        with pytest.raises(TrustError, match="name a skill"):
            Signal("a", "b", kind)
        Signal("a", "b", kind, "python")
    with pytest.raises(TrustError, match="name a skill"):
        Signal("a", "b", "follow", "python")


# ----------------------------------------------------------------------------- 8. paths


def test_the_strongest_path_beats_a_weak_direct_edge() -> None:
    # s -> g is a like (0.25); s -> a weighs 3 (capped), a -> g is a's only edge.
    # out(s) = 3.25: direct 0.25/3.25 = 1/13, via a 3/3.25 * 1 = 12/13.
    graph = TrustGraph.build(
        [
            endorse("s", "g", "like"),
            follow("s", "a"),
            endorse("s", "a"),
            endorse("s", "a", skill="go"),
            follow("a", "g"),
        ]
    )
    assert graph.strongest_path(["s"], "g") == ["s", "a", "g"]


def test_a_strong_direct_edge_beats_a_diluted_two_step_route() -> None:
    # s -> a weighs 3, s -> g weighs 1: out(s) = 4, direct 1/4 = 0.25. a -> g (1) and a -> z (3):
    # via a = 3/4 * 1/4 = 0.1875 < 0.25. A product of raw weights (3 * 1 = 3 > 1) would pick
    # a; step probabilities (weight / out-weight) pick the direct edge.
    graph = TrustGraph.build(
        [
            follow("s", "a"),
            endorse("s", "a"),
            endorse("s", "a", skill="go"),
            follow("s", "g"),
            follow("a", "g"),
            follow("a", "z"),
            endorse("a", "z"),
            endorse("a", "z", skill="go"),
        ]
    )
    assert graph.strongest_path(["s"], "g") == ["s", "g"]


def test_strongest_path_respects_the_length_limit() -> None:
    chain = [f"n{i}" for i in range(MAX_PATH_LENGTH + 2)]
    graph = TrustGraph.build([follow(a, b) for a, b in itertools.pairwise(chain)])
    # MAX_PATH_LENGTH steps reach chain[MAX_PATH_LENGTH]; one more step is too far.
    assert graph.strongest_path(["n0"], chain[MAX_PATH_LENGTH]) == chain[: MAX_PATH_LENGTH + 1]
    assert graph.strongest_path(["n0"], chain[MAX_PATH_LENGTH + 1]) is None
    # From a later seed the far end is close enough again.
    assert graph.strongest_path(["n1"], chain[-1]) == chain[1:]


def test_strongest_path_none_for_unreachable_or_unknown() -> None:
    graph = TrustGraph.build([follow("a", "b"), follow("c", "a")])
    assert graph.strongest_path(["a"], "c") is None  # no edge leads back to c
    assert graph.strongest_path(["a"], "nobody") is None
    assert graph.strongest_path(["nobody"], "b") is None
    assert graph.strongest_path([], "b") is None
    assert graph.strongest_path(["a"], "a") == ["a"]
    assert graph.strongest_path(["nobody", "c"], "b") == ["c", "a", "b"]


def test_a_cheap_long_route_does_not_hide_a_short_one() -> None:
    # s -> a0 weighs 3, s -> m is a like (0.25); a0 -> a1 -> ... -> m -> g are single follows,
    # with the a-chain long enough that s, a0, ..., m takes exactly MAX_PATH_LENGTH steps.
    # That is the likeliest way to m (12/13), but from there g would be one step too many.
    # s, m, g (1/13, 2 steps) is within the limit and is the only admissible path.
    chain = [f"a{i}" for i in range(MAX_PATH_LENGTH - 1)]
    signals = [follow("s", "a0"), endorse("s", "a0"), endorse("s", "a0", skill="go")]
    signals += [follow(x, y) for x, y in itertools.pairwise([*chain, "m"])]
    signals += [endorse("s", "m", "like"), follow("m", "g")]
    graph = TrustGraph.build(signals)
    assert graph.strongest_path(["s"], "m") == ["s", *chain, "m"]  # the long, likely route
    assert graph.strongest_path(["s"], "g") == ["s", "m", "g"]
    # With the limit one step further out, the likely route to g fits and wins again
    # (12/13 > 1/13): one hop fewer in the chain.
    shorter = [follow("s", "a0"), endorse("s", "a0"), endorse("s", "a0", skill="go")]
    shorter += [follow(x, y) for x, y in itertools.pairwise([*chain[:-1], "m"])]
    shorter += [endorse("s", "m", "like"), follow("m", "g")]
    assert TrustGraph.build(shorter).strongest_path(["s"], "g") == ["s", *chain[:-1], "m", "g"]


# ----------------------------------------------------------------------------- 9. determinism


def test_signal_order_does_not_change_trust() -> None:
    signals = [*BASE, endorse("d", "e"), follow("e", "b"), endorse("e", "a", "like")]
    signals += [follow(f"x{i}", f"x{(i * 7) % 11}") for i in range(11)] + [follow("b", "x0")]
    reference = trust_by_actor(TrustGraph.build(signals), ["v", "x3"])
    rng = random.Random(20240531)
    for _ in range(5):
        shuffled = signals[:]
        rng.shuffle(shuffled)
        graph = TrustGraph.build(shuffled)
        # Node order differs from build to build, so compare actor by actor.
        t = trust_by_actor(graph, ["x3", "v"])  # seed order does not matter either
        assert t.keys() == reference.keys()
        for name, value in reference.items():
            assert t[name] == pytest.approx(value, rel=1e-9, abs=1e-12)
        rows = TrustGraph.from_rows((s.source, s.target, s.kind) for s in shuffled)
        assert trust_by_actor(rows, ["v", "x3"]) == pytest.approx(reference, rel=1e-9, abs=1e-12)


def test_signal_order_does_not_change_the_strongest_path() -> None:
    # s follows a and b, both follow g: two paths of probability 1/2. Ties go to the
    # alphabetically first path, s, a, g, whatever order the signals (and so the nodes) came in.
    signals = [follow("s", "a"), follow("s", "b"), follow("a", "g"), follow("b", "g")]
    assert TrustGraph.build(signals).strongest_path(["s"], "g") == ["s", "a", "g"]
    assert TrustGraph.build(signals[::-1]).strongest_path(["s"], "g") == ["s", "a", "g"]
    for order in itertools.permutations(signals):
        assert TrustGraph.build(list(order)).strongest_path(["s"], "g") == ["s", "a", "g"]
    # The same with two seeds at equal cost (a path of length 0 each is not a tie: the
    # target itself), and through an incremental graph built in reverse.
    graph = TrustGraph()
    for s in signals[::-1]:
        graph.add(s)
    graph.trust(["s"])  # see the next test for why (it builds the base matrix)
    assert graph.strongest_path(["s"], "g") == ["s", "a", "g"]
    two = [follow("y", "g"), follow("x", "g")]
    assert TrustGraph.build(two).strongest_path(["y", "x"], "g") == ["x", "g"]
    assert TrustGraph.build(two[::-1]).strongest_path(["x", "y"], "g") == ["x", "g"]


def test_strongest_path_on_a_graph_built_only_by_adds() -> None:
    graph = TrustGraph()
    graph.add(follow("a", "b"))
    assert graph.strongest_path(["a"], "b") == ["a", "b"]

"""Matching: how a person and a posting rank against each other.

Pure computation. Two things combine (docs/matching.md):

- **skill fit** (``opportunities.fit``): the posting's required skills weigh 1 each, the
  nice-to-have ones ``NICE_WEIGHT``; each counts by the person's *strength* in it, which
  grows with the skill's trust score (``strength``): a skill nobody vouches for counts
  ``UNVOUCHED``, one at the "solid" threshold about 0.58, and it approaches 1.
- **trust**: how close the other side is from the viewpoint (the poster's, for matches),
  ``closeness``: 0 for no trust, 1/2 at a trust of ``TRUST_HALF``, approaching 1.

The rank is ``fit * (1 - TRUST_SHARE + TRUST_SHARE * closeness)``: someone the
viewpoint barely reaches keeps half their fit, someone it trusts well nearly all of it.
Ties go to the higher fit, then the higher trust, then the key (deterministic).
"""

from __future__ import annotations

import heapq
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from .opportunities import UNVOUCHED, Fit, fit

MAX_HOPS = 3  # a candidate is at most this many steps from the viewpoint
SCORE_HALF = 3.0  # a skill's trust score ("solid") at which its strength is halfway up
TRUST_HALF = 1.0  # the trust (a direct contact's, see domain.trust) at which closeness is 1/2
TRUST_SHARE = 0.5  # how much of the rank trust decides


def _finite(value: float) -> float:
    return value if math.isfinite(value) and value > 0 else 0.0


def strength(score: float) -> float:
    """How much a skill the person has counts towards fit (``UNVOUCHED`` .. 1), from its
    trust score as the viewpoint sees it (0: nobody it trusts vouches for it)."""
    score = _finite(score)
    return UNVOUCHED + (1 - UNVOUCHED) * score / (score + SCORE_HALF)


def closeness(trust: float) -> float:
    """0 .. 1 from a trust value (``domain.trust``'s scale)."""
    trust = _finite(trust)
    return trust / (trust + TRUST_HALF)


@dataclass(frozen=True)
class Match:
    """One side ranked against the other: ``key`` names the person or the posting."""

    key: str
    fit: Fit
    trust: float
    score: float


def match(
    key: str,
    required: Iterable[str],
    nice: Iterable[str],
    strengths: Mapping[str, float],
    trust: float,
) -> Match:
    """Rank ``key`` (whose skill strengths are ``strengths``, trusted ``trust`` from the
    viewpoint) against a posting's ``required`` and ``nice`` skill keys."""
    found = fit(required, nice, strengths)
    score = found.score * (1 - TRUST_SHARE + TRUST_SHARE * closeness(trust))
    return Match(key=key, fit=found, trust=_finite(trust), score=score)


def best(matches: Iterable[Match], limit: int) -> list[Match]:
    """The ``limit`` best matches with any fit at all, best first."""
    return heapq.nsmallest(
        max(limit, 0),
        (m for m in matches if m.fit.score > 0),
        key=lambda m: (-m.score, -m.fit.score, -m.trust, m.key),
    )

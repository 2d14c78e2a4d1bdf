"""Hypothesis profiles for the fuzz tests, and a count of the inputs each target ran.

``make test`` runs the ``fuzz-short`` profile: few examples, derandomised, so CI sees the same
inputs every time. ``FEDSKILLS_FUZZ=long`` (``make fuzz``) selects ``fuzz-long``: random
inputs, many of them. ``FEDSKILLS_FUZZ_SCALE`` multiplies every target's example count.
"""

from __future__ import annotations

import os
from collections import Counter

from hypothesis import HealthCheck, settings

LONG = os.environ.get("FEDSKILLS_FUZZ", "").lower() == "long"
SCALE = float(os.environ.get("FEDSKILLS_FUZZ_SCALE", "1") or "1")

# One app serves every example of a test (a function-scoped fixture), on purpose: state
# accumulates across inputs as it would on a live server.
_SUPPRESSED = [
    HealthCheck.function_scoped_fixture,
    HealthCheck.too_slow,
    HealthCheck.data_too_large,
    HealthCheck.filter_too_much,
    HealthCheck.large_base_example,
]

settings.register_profile(
    "fuzz-short",
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=_SUPPRESSED,
    print_blob=False,
)
settings.register_profile(
    "fuzz-long",
    deadline=None,
    derandomize=False,
    database=None,
    suppress_health_check=_SUPPRESSED,
    print_blob=True,
)
PROFILE = "fuzz-long" if LONG else "fuzz-short"

# Inputs run per target (every call of a test body, shrinking included), for the summary.
INPUTS: Counter[str] = Counter()
# Answers per target and status code, to show how deep the inputs got.
STATUSES: Counter[tuple[str, int]] = Counter()


def record(target: str, status: int) -> None:
    INPUTS[target] += 1
    STATUSES[target, status] += 1


def fuzz(short: int, long: int) -> settings:
    """The settings of one fuzz target: ``short`` examples in ``make test``, ``long`` in
    ``make fuzz`` (both times FEDSKILLS_FUZZ_SCALE)."""
    count = max(1, round((long if LONG else short) * SCALE))
    return settings(settings.get_profile(PROFILE), max_examples=count)

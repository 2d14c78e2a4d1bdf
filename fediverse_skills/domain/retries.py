"""When to try a delivery again, when to stop, and when a host's breaker opens."""

from __future__ import annotations

import random
from datetime import datetime, timedelta

FIRST_DELAY = timedelta(seconds=30)
MAX_DELAY = timedelta(hours=6)
GIVE_UP_AFTER = timedelta(days=3)

BREAKER_THRESHOLD = 5
BREAKER_MAX_OPEN = timedelta(hours=1)


def next_delay(attempts: int, rng: random.Random | None = None) -> timedelta:
    """Exponential backoff with ±25 % jitter: 30 s, 1 min, 2 min, ... capped at 6 h.

    ``attempts`` counts the attempts already made (1 after the first failure).
    """
    base = FIRST_DELAY * (2 ** max(0, min(attempts - 1, 20)))
    capped = min(base, MAX_DELAY)
    jitter: float = (rng or random).uniform(0.75, 1.25)
    return timedelta(seconds=capped.total_seconds() * jitter)


def should_give_up(created_at: datetime, now: datetime) -> bool:
    """About three days after the first try, a failing delivery is given up."""
    return now - created_at >= GIVE_UP_AFTER


def is_permanent(status: int) -> bool:
    """A status that retrying will not fix: 4xx except timeouts and rate limits."""
    return 400 <= status < 500 and status not in (401, 408, 425, 429)


def breaker_open_for(consecutive_failures: int) -> timedelta | None:
    """How long to stop sending to a host after this many failures in a row (None: keep
    sending). Opens at 5 failures for 1 min, doubling up to 1 h."""
    if consecutive_failures < BREAKER_THRESHOLD:
        return None
    minutes = 2 ** min(consecutive_failures - BREAKER_THRESHOLD, 10)
    return min(timedelta(minutes=minutes), BREAKER_MAX_OPEN)

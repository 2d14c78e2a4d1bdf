"""Rate limits as token buckets: a budget per key (a domain, an address, a token) that
refills steadily and allows a burst of one period's worth.

Pure logic with an injected clock. Memory is bounded: past ``max_keys`` keys the ones
unused for longest are forgotten, which can only make a forgotten key's budget full again.
"""

from __future__ import annotations

import math
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass

DEFAULT_MAX_KEYS = 50_000


@dataclass
class _Bucket:
    tokens: float
    at: float


class RateLimiter:
    """``limit`` requests per ``period`` seconds for each key; ``limit`` 0 switches it off."""

    def __init__(
        self,
        limit: int,
        period: float = 60.0,
        *,
        max_keys: int = DEFAULT_MAX_KEYS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if limit < 0:
            raise ValueError("a rate limit cannot be negative")
        if period <= 0:
            raise ValueError("a rate limit's period must be positive")
        if max_keys < 1:
            raise ValueError("a rate limiter must keep at least one key")
        self.limit = limit
        self.period = period
        self.max_keys = max_keys
        self._clock = clock
        self._rate = limit / period
        self._buckets: OrderedDict[str, _Bucket] = OrderedDict()

    @property
    def enabled(self) -> bool:
        return self.limit > 0

    def __len__(self) -> int:
        return len(self._buckets)

    def _bucket(self, key: str, now: float) -> _Bucket:
        bucket = self._buckets.get(key)
        if bucket is None:
            bucket = _Bucket(float(self.limit), now)
            self._buckets[key] = bucket
            while len(self._buckets) > self.max_keys:
                self._buckets.popitem(last=False)
        else:
            self._buckets.move_to_end(key)
            bucket.tokens = min(float(self.limit), bucket.tokens + (now - bucket.at) * self._rate)
            bucket.at = now
        return bucket

    def take(self, key: str, cost: float = 1.0) -> float:
        """Spend ``cost`` from ``key``'s budget. Returns 0 when allowed, otherwise the
        seconds until it would be (nothing is spent then)."""
        if not self.enabled:
            return 0.0
        bucket = self._bucket(key, self._clock())
        if bucket.tokens >= cost:
            bucket.tokens -= cost
            return 0.0
        return (cost - bucket.tokens) / self._rate

    def exhausted(self, key: str) -> float:
        """Seconds until ``key`` may spend one again (0 when it may now); spends nothing."""
        if not self.enabled or key not in self._buckets:
            return 0.0
        bucket = self._bucket(key, self._clock())
        return 0.0 if bucket.tokens >= 1.0 else (1.0 - bucket.tokens) / self._rate


def retry_after(seconds: float) -> str:
    """A ``Retry-After`` value: whole seconds, at least 1."""
    return str(max(1, math.ceil(seconds)))

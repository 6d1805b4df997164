"""The API's per (app key, tenant) request limit as token buckets driven by an injected clock."""

from __future__ import annotations

import math
import threading
from collections.abc import Hashable

from stnb._clock import Clock

__all__ = ["RateLimiter"]


class RateLimiter:
    """`rate` requests per second per key, with a burst of one second's worth; `rate <= 0` disables it."""

    def __init__(self, rate: float, clock: Clock) -> None:
        self.rate = rate
        self._clock = clock
        self._lock = threading.Lock()
        self._buckets: dict[Hashable, tuple[float, float]] = {}  # key -> (tokens, last refill time)

    def acquire(self, key: Hashable) -> int | None:
        """Take one request's token: None when allowed, else the whole seconds to wait (Retry-After)."""
        rate = self.rate
        if rate <= 0:
            return None
        capacity = max(1.0, rate)
        now = self._clock.monotonic()
        with self._lock:
            tokens, last = self._buckets.get(key, (capacity, now))
            tokens = min(capacity, tokens + (now - last) * rate)
            if tokens >= 1.0:
                self._buckets[key] = (tokens - 1.0, now)
                return None
            self._buckets[key] = (tokens, now)
        return max(1, math.ceil((1.0 - tokens) / rate))

    def reset(self) -> None:
        with self._lock:
            self._buckets.clear()

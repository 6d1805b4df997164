"""Client-side pacing: one token bucket per (app, tenant, environment), shared by every client in the process.

ServiceTitan allows 60 requests/s per app per tenant; the default 55/s keeps a margin. After a 429 the
bucket halves its rate, then adds back a little for every second without one (additive increase).
Waits are computed under a lock and slept outside it, so threads and asyncio tasks never block each other.
"""

from __future__ import annotations

import threading

from stnb._attempts import app_fingerprint
from stnb._clock import SYSTEM_CLOCK, Clock

__all__ = ["DEFAULT_BURST", "DEFAULT_RATE", "TokenBucket", "shared_bucket"]

DEFAULT_RATE = 55.0
DEFAULT_BURST = 10
_RECOVERY_PER_SECOND = 2.0  # requests/s regained per second without a 429
_PENALTY_INTERVAL = 1.0  # one halving per second at most: a burst of 429s is one signal
_MIN_RATE = 1.0


class TokenBucket:
    """Grants one request per token; tokens refill at `rate` per second up to `burst`.

    A caller that finds no token takes one on credit and is told how long to wait, so concurrent
    callers queue up in order instead of stampeding when the bucket refills.
    """

    def __init__(self, rate: float = DEFAULT_RATE, burst: int = DEFAULT_BURST, clock: Clock | None = None):
        if rate <= 0:
            raise ValueError(f"rate must be positive, got {rate}")
        if burst < 1:
            raise ValueError(f"burst must be at least 1, got {burst}")
        self._clock = clock or SYSTEM_CLOCK
        self._lock = threading.Lock()
        self._target = float(rate)
        self._rate = float(rate)
        self._burst = float(burst)
        self._tokens = float(burst)
        self._updated = self._clock.monotonic()
        self._last_penalty: float | None = None

    @property
    def rate(self) -> float:
        """The current rate in requests/s (below the target while recovering from a 429)."""
        with self._lock:
            self._refill(self._clock.monotonic())
            return self._rate

    @property
    def target_rate(self) -> float:
        return self._target

    def set_rate(self, rate: float) -> None:
        """Change the target rate (the current rate follows at once)."""
        if rate <= 0:
            raise ValueError(f"rate must be positive, got {rate}")
        with self._lock:
            self._refill(self._clock.monotonic())
            self._target = float(rate)
            self._rate = float(rate)

    def reserve(self) -> float:
        """Take a token now and return the seconds the caller must wait before sending (0.0 if none)."""
        with self._lock:
            now = self._clock.monotonic()
            self._refill(now)
            self._tokens -= 1.0
            return 0.0 if self._tokens >= 0 else -self._tokens / self._rate

    def acquire(self) -> float:
        """Wait (sleeping on the clock) until a request may be sent; returns the seconds waited."""
        wait = self.reserve()
        if wait > 0:
            self._clock.sleep(wait)
        return wait

    async def aacquire(self) -> float:
        """`acquire` for asyncio: awaits instead of blocking the event loop."""
        wait = self.reserve()
        if wait > 0:
            await self._clock.asleep(wait)
        return wait

    def penalize(self) -> None:
        """The server answered 429: halve the rate and drop any saved-up burst."""
        with self._lock:
            now = self._clock.monotonic()
            self._refill(now)
            if self._last_penalty is not None and now - self._last_penalty < _PENALTY_INTERVAL:
                return
            self._last_penalty = now
            self._rate = max(_MIN_RATE, self._rate / 2.0)
            self._tokens = min(self._tokens, 0.0)

    def _refill(self, now: float) -> None:
        elapsed = max(0.0, now - self._updated)
        self._updated = now
        # Tokens accrue at the old rate for this interval; a reduced rate grows for the next one.
        self._tokens = min(self._burst, self._tokens + elapsed * self._rate)
        if self._rate < self._target:
            self._rate = min(self._target, self._rate + _RECOVERY_PER_SECOND * elapsed)

    def __repr__(self) -> str:
        return f"<TokenBucket rate={self._rate:.1f}/s target={self._target:.1f}/s burst={self._burst:g}>"


# Values keep their clock alive, so the clock's id in the key cannot be reused by another object.
_buckets: dict[tuple[str, int, str, int], tuple[Clock, TokenBucket]] = {}
_registry_lock = threading.Lock()


def shared_bucket(
    app_key: str, tenant_id: int, env: str, rate: float | None = None, *, clock: Clock | None = None
) -> TokenBucket:
    """The process-wide bucket for (app, tenant, environment); an explicit `rate` updates its target.

    Buckets are kept per clock as well, so tests on a fake clock never share state with real time.
    """
    clock = clock or SYSTEM_CLOCK
    key = (app_fingerprint(app_key), int(tenant_id), env, id(clock))
    with _registry_lock:
        entry = _buckets.get(key)
        if entry is None:
            bucket = TokenBucket(rate or DEFAULT_RATE, DEFAULT_BURST, clock)
            _buckets[key] = (clock, bucket)
            return bucket
        bucket = entry[1]
    if rate is not None and rate != bucket.target_rate:
        bucket.set_rate(rate)
    return bucket

"""The per-report run limit: ServiceTitan allows one run of the same report per tenant per minute.

Every `/data` page counts as a run. The limiter waits (with the injected clock) instead of letting
the server answer 429, and reports the wait through a callback so a progress bar can show it.
Slots are reserved under a lock before sleeping, so threads sharing a limiter queue up fairly.
A server 429 pushes the report's next slot to the server's Retry-After.
"""

from __future__ import annotations

import threading
import weakref
from collections import deque
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from typing import Any

from stnb._clock import SYSTEM_CLOCK, Clock

__all__ = ["DEFAULT_RUNS_PER_MINUTE", "ReportLimiter", "Slot", "shared_limiter"]

DEFAULT_RUNS_PER_MINUTE = 1.0
_WINDOW_SECONDS = 60.0
_TICK_SECONDS = 1.0  # how often a long wait refreshes its countdown

WaitCallback = Callable[[float], None]


@dataclass(frozen=True)
class Slot:
    """A reserved run: the key, the monotonic time it may start, and how long the caller waits."""

    key: Hashable
    at: float
    wait: float


class ReportLimiter:
    """At most `runs_per_minute` runs per key (environment, tenant, report) in any 60 s window."""

    def __init__(
        self, runs_per_minute: float = DEFAULT_RUNS_PER_MINUTE, *, clock: Clock | None = None
    ) -> None:
        self.clock: Clock = clock or SYSTEM_CLOCK
        self._lock = threading.Lock()
        self._runs: dict[Hashable, deque[float]] = {}
        self._blocked_until: dict[Hashable, float] = {}
        self._runs_per_minute = _checked(runs_per_minute)

    @property
    def runs_per_minute(self) -> float:
        """The allowed runs of one report per tenant per minute (fractions mean one run per 60/x s)."""
        return self._runs_per_minute

    @runs_per_minute.setter
    def runs_per_minute(self, value: float) -> None:
        with self._lock:
            self._runs_per_minute = _checked(value)

    def reserve(self, key: Hashable) -> Slot:
        """Reserve the next run slot for `key` (its `wait` is the seconds to wait before running)."""
        now = self.clock.monotonic()
        with self._lock:
            slot = max(now, self._blocked_until.get(key, now))
            runs = self._runs.setdefault(key, deque())
            limit, window = self._window()
            while runs and runs[0] <= slot - window:
                runs.popleft()
            if len(runs) >= limit:
                slot = max(slot, runs[-limit] + window)
            runs.append(slot)
            return Slot(key, slot, slot - now)

    def acquire(self, key: Hashable, on_wait: WaitCallback | None = None) -> Slot:
        """Wait until `key` may run again, calling `on_wait(remaining)` as the wait counts down."""
        slot = self.reserve(key)
        self.sleep(slot.wait, on_wait)
        return slot

    def block(self, slot: Slot, seconds: float) -> None:
        """The server refused `slot`'s run with 429: no run of its key for `seconds` (Retry-After)."""
        until = self.clock.monotonic() + max(0.0, seconds)
        with self._lock:
            self._blocked_until[slot.key] = max(self._blocked_until.get(slot.key, until), until)
            runs = self._runs.get(slot.key)
            if runs is not None and slot.at in runs:
                runs.remove(slot.at)  # a refused run does not count against the limit

    def sleep(self, seconds: float, on_wait: WaitCallback | None = None) -> None:
        """Sleep with the clock in ticks so `on_wait` can show a countdown."""
        remaining = seconds
        while remaining > 0:
            if on_wait is not None:
                on_wait(remaining)
            step = min(_TICK_SECONDS, remaining) if on_wait is not None else remaining
            self.clock.sleep(step)
            remaining -= step
        if seconds > 0 and on_wait is not None:
            on_wait(0.0)

    def _window(self) -> tuple[int, float]:
        # Fractional rates (0.5/min) become one run per longer window.
        if self._runs_per_minute >= 1:
            return int(self._runs_per_minute), _WINDOW_SECONDS
        return 1, _WINDOW_SECONDS / self._runs_per_minute


_SHARED: weakref.WeakKeyDictionary[Any, ReportLimiter] = weakref.WeakKeyDictionary()
_SHARED_LOCK = threading.Lock()


def shared_limiter(clock: Clock | None = None) -> ReportLimiter:
    """The process-wide limiter for a clock (the system clock by default; tests pass their own)."""
    key = clock or SYSTEM_CLOCK
    with _SHARED_LOCK:
        limiter = _SHARED.get(key)
        if limiter is None:
            limiter = ReportLimiter(clock=key)
            _SHARED[key] = limiter
        return limiter


def _checked(runs_per_minute: float) -> float:
    if (
        isinstance(runs_per_minute, bool)
        or not isinstance(runs_per_minute, int | float)
        or runs_per_minute <= 0
    ):
        raise ValueError(f"runs_per_minute must be a positive number, got {runs_per_minute!r}")
    return float(runs_per_minute)

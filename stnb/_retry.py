"""When to try a request again and how long to wait first: one policy object and one pure function.

Retried: 429 (the request was not processed), 409 "maintenance", 500/502/503/504 (ServiceTitan's 500s on
reads are often transient), timeouts and dropped connections; all but 429 only on idempotent requests.
Writes are never retried: only a POST the caller marks `read_only=True` (POST-as-read such as report
data) counts as a read. Waits honour Retry-After (seconds or HTTP-date), then "Try again in N seconds" in
the title, then exponential backoff with full jitter; attempts and the total wait are bounded.
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from stnb.errors import UsageError, UsageTypeError, parse_retry_after, parse_retry_after_title

__all__ = ["DEFAULT_RETRY", "NO_RETRY", "Decision", "RetryPolicy", "decide"]

_RETRYABLE_TRANSPORT = frozenset({"timeout", "connect", "network", "invalid_response"})


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """Bounds for retrying one request: attempts in total (1 = never retry) and total seconds of waiting."""

    max_attempts: int = 4
    max_wait: float = 60.0
    base: float = 0.5
    cap: float = 8.0
    retry_statuses: frozenset[int] = field(default_factory=lambda: frozenset({409, 429, 500, 502, 503, 504}))
    jitter: bool = True
    retry_transport_errors: bool = True

    def __post_init__(self) -> None:
        if isinstance(self.max_attempts, bool) or not isinstance(self.max_attempts, int):
            raise UsageTypeError(f"max_attempts must be a whole number, got {self.max_attempts!r}")
        if self.max_attempts < 1:
            raise UsageError(f"max_attempts must be at least 1, got {self.max_attempts}")
        for name in ("max_wait", "base", "cap"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int | float):
                raise UsageTypeError(f"{name} must be a number of seconds, got {value!r}")
            if not math.isfinite(value) or value < 0:
                raise UsageError(f"{name} must be a finite number of seconds, not negative; got {value!r}")
        statuses = self.retry_statuses
        if not isinstance(statuses, frozenset | set | tuple | list) or not all(
            isinstance(s, int) and not isinstance(s, bool) for s in statuses
        ):
            raise UsageTypeError(f"retry_statuses must be a set of HTTP status codes, got {statuses!r}")
        if not isinstance(statuses, frozenset):
            object.__setattr__(self, "retry_statuses", frozenset(statuses))
        for name in ("jitter", "retry_transport_errors"):
            if not isinstance(getattr(self, name), bool):
                raise UsageTypeError(f"{name} must be True or False, got {getattr(self, name)!r}")

    def with_changes(self, **changes: Any) -> RetryPolicy:
        """A copy with some fields changed, e.g. `policy.with_changes(max_attempts=1)`."""
        return replace(self, **changes)

    def backoff(self, attempt: int, rand: Callable[[], float] = random.random) -> float:
        """Wait before retry number `attempt` (1-based): full jitter over min(cap, base * 2**(attempt-1))."""
        ceiling = min(self.cap, self.base * 2.0 ** max(0, attempt - 1))
        return ceiling * rand() if self.jitter else ceiling


DEFAULT_RETRY = RetryPolicy()
NO_RETRY = RetryPolicy(max_attempts=1)


@dataclass(frozen=True, slots=True)
class Decision:
    """Whether to retry, after how many seconds, and why (for logs and error messages)."""

    retry: bool
    wait: float
    reason: str


def decide(
    policy: RetryPolicy,
    *,
    attempt: int,
    waited: float,
    idempotent: bool,
    now: datetime,
    status: int | None = None,
    retry_after: str | None = None,
    title: str | None = None,
    transport_error: str | None = None,
    server_wait: float | None = None,
    rand: Callable[[], float] = random.random,
) -> Decision:
    """Decide after attempt number `attempt` failed with `status` (or with `transport_error`, a kind such as
    "timeout"); `waited` is the seconds already spent waiting for earlier retries of this request.
    `server_wait` (seconds) replaces the backoff when the wait is known otherwise (a shared token fetch).
    """
    known_wait = server_wait
    if transport_error is not None:
        if not policy.retry_transport_errors or transport_error not in _RETRYABLE_TRANSPORT:
            return Decision(False, 0.0, f"{transport_error} errors are not retried")
        if not idempotent:
            return Decision(False, 0.0, "not retried: the request may have been processed (write)")
        server_wait = known_wait
    elif status is None or status not in policy.retry_statuses:
        return Decision(False, 0.0, f"status {status} is not retryable")
    else:
        if not idempotent:
            return Decision(False, 0.0, "writes are never retried")
        if status == 409 and "maintenance" not in (title or "").lower():
            return Decision(False, 0.0, "409 conflict is not a maintenance window")
        server_wait = parse_retry_after(retry_after, now)
        if server_wait is None and title:
            server_wait = parse_retry_after_title(title)
    if attempt >= policy.max_attempts:
        return Decision(False, 0.0, f"gave up after {attempt} attempts")
    wait = server_wait if server_wait is not None else policy.backoff(attempt, rand)
    if waited + wait > policy.max_wait:
        return Decision(False, wait, f"waiting {wait:g} s more would exceed max_wait={policy.max_wait:g} s")
    source = "server-requested" if server_wait is not None else "backoff"
    return Decision(True, wait, f"retry {attempt} after {wait:.3g} s ({source})")

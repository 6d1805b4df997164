"""How each side served the comparison: requests, errors, latency percentiles, the endpoint's status."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

import polars as pl

from stnb._attempts import Attempt, add_observer, remove_observer

__all__ = ["SERVICE_SCHEMA", "AttemptLog", "SideService", "service_frame"]

SERVICE_SCHEMA = {
    "side": pl.String,
    "env": pl.String,
    "tenant": pl.String,
    "requests": pl.Int64,  # API attempts, retries included, token requests excluded
    "errors": pl.Int64,  # attempts that got no response or a status >= 400
    "p50_ms": pl.Float64,
    "p95_ms": pl.Float64,
    "status": pl.Int64,  # what the resource's endpoint answered (None when it was never reached)
}


@dataclass
class SideService:
    """Attempts and the endpoint status observed for one side."""

    side: str
    env: str
    tenant: str
    app: str | None = None  # app key fingerprint (`Credentials.app`); None matches any app
    attempts: list[Attempt] = field(default_factory=list)
    status: int | None = None

    def record(self, status: int | None) -> None:
        """Remember the first answer of the resource's endpoint (a later success does not hide a 403)."""
        if self.status is None or (status is not None and status >= 400):
            self.status = status


class AttemptLog:
    """Collects the client's attempts for the side currently being fetched.

    Sides are fetched one after the other, so the log attributes each attempt to the active side; the
    env, tenant and app must match too, which keeps other notebook traffic out.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._active: SideService | None = None

    def __call__(self, attempt: Attempt) -> None:
        with self._lock:
            target = self._active
        if target is None or attempt.module == "auth":
            return
        if (attempt.env, attempt.tenant) != (target.env, target.tenant):
            return
        if target.app is None or attempt.app == target.app:
            target.attempts.append(attempt)

    @contextmanager
    def observing(self, side: SideService) -> Iterator[SideService]:
        """Attribute attempts to `side` while the block runs."""
        with self._lock:
            self._active = side
        add_observer(self)
        try:
            yield side
        finally:
            remove_observer(self)
            with self._lock:
                self._active = None


def service_frame(sides: list[SideService]) -> pl.DataFrame:
    """One row per side (columns in `SERVICE_SCHEMA`)."""
    rows = []
    for s in sides:
        latencies = pl.Series([a.latency_ms for a in s.attempts], dtype=pl.Float64)
        errors = sum(1 for a in s.attempts if a.status is None or a.status >= 400)
        rows.append(
            (
                s.side,
                s.env,
                s.tenant,
                len(s.attempts),
                errors,
                latencies.quantile(0.5) if len(latencies) else None,
                latencies.quantile(0.95) if len(latencies) else None,
                s.status,
            )
        )
    return pl.DataFrame(rows, schema=SERVICE_SCHEMA, orient="row")

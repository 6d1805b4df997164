"""Shared builders for the usage tests."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from stnb._attempts import Attempt

T0 = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)


def attempt(
    i: int = 0,
    *,
    at: datetime | None = None,
    env: str = "production",
    app: str = "a1b2c3d4",
    app_name: str | None = "Acme Dispatch Board",
    tenant: str = "431848990",
    method: str = "GET",
    module: str = "jpm",
    endpoint: str = "/jpm/v2/tenant/{tenant}/jobs",
    status: int | None = 200,
    latency_ms: float = 20.0,
    nbytes: int = 1000,
    attempt_no: int = 1,
    rate_wait_ms: float = 0.0,
    error_type: str | None = None,
    sandbox: bool = False,
) -> Attempt:
    """One attempt; `i` moves it `i` milliseconds after T0 unless `at` is given."""
    return Attempt(
        at=at or T0 + timedelta(milliseconds=i),
        env=env,
        app=app,
        app_name=app_name,
        tenant=tenant,
        method=method,
        module=module,
        endpoint=endpoint,
        status=status,
        latency_ms=latency_ms,
        bytes=nbytes,
        attempt=attempt_no,
        rate_wait_ms=rate_wait_ms,
        error_type=error_type,
        sandbox=sandbox,
    )

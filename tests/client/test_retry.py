"""The pure retry decision: what is retried, how long it waits, and the bounds."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from stnb._retry import NO_RETRY, RetryPolicy, decide

NOW = datetime(2026, 1, 15, 12, 0, 0, tzinfo=UTC)
POLICY = RetryPolicy()


def half() -> float:
    return 0.5


def test_retry_after_seconds_wins() -> None:
    d = decide(POLICY, attempt=1, waited=0, idempotent=True, now=NOW, status=429, retry_after="4", title="x")
    assert d.retry and d.wait == 4.0


def test_retry_after_http_date() -> None:
    d = decide(
        POLICY,
        attempt=1,
        waited=0,
        idempotent=True,
        now=NOW,
        status=429,
        retry_after="Thu, 15 Jan 2026 12:00:09 GMT",
    )
    assert d.retry and d.wait == 9.0


def test_title_seconds_when_no_header() -> None:
    title = "Rate limit is exceeded. Try again in 6 seconds."
    d = decide(POLICY, attempt=1, waited=0, idempotent=True, now=NOW, status=429, title=title)
    assert d.retry and d.wait == 6.0


def test_full_jitter_backoff_otherwise() -> None:
    waits = [
        decide(POLICY, attempt=n, waited=0, idempotent=True, now=NOW, status=503, rand=half).wait
        for n in (1, 2, 3)
    ]
    assert waits == [0.25, 0.5, 1.0]  # half of base * 2**(n-1)
    assert (
        decide(POLICY, attempt=1, waited=0, idempotent=True, now=NOW, status=503, rand=lambda: 0.0).wait
        == 0.0
    )


def test_backoff_is_capped_and_jitter_can_be_off() -> None:
    policy = RetryPolicy(max_attempts=20, jitter=False, base=1.0, cap=8.0)
    assert [policy.backoff(n) for n in (1, 2, 3, 4, 5, 9)] == [1.0, 2.0, 4.0, 8.0, 8.0, 8.0]
    jittered = RetryPolicy(base=1.0, cap=8.0)
    assert all(0.0 <= jittered.backoff(6) <= 8.0 for _ in range(200))


def test_attempts_are_bounded() -> None:
    policy = RetryPolicy(max_attempts=3)
    assert decide(policy, attempt=2, waited=0, idempotent=True, now=NOW, status=503).retry
    last = decide(policy, attempt=3, waited=0, idempotent=True, now=NOW, status=503)
    assert not last.retry and "3 attempts" in last.reason
    assert not decide(NO_RETRY, attempt=1, waited=0, idempotent=True, now=NOW, status=503).retry


def test_total_wait_is_bounded() -> None:
    policy = RetryPolicy(max_wait=10.0)
    ok = decide(policy, attempt=1, waited=4.0, idempotent=True, now=NOW, status=429, retry_after="6")
    assert ok.retry
    over = decide(policy, attempt=1, waited=4.5, idempotent=True, now=NOW, status=429, retry_after="6")
    assert not over.retry and "max_wait" in over.reason


@pytest.mark.parametrize("status", [500, 502, 503, 504, 429])
def test_writes_are_never_retried(status: int) -> None:
    assert not decide(POLICY, attempt=1, waited=0, idempotent=False, now=NOW, status=status).retry


def test_post_as_read_is_retried() -> None:
    # The client passes idempotent=True for read_only=True (e.g. report data).
    assert decide(POLICY, attempt=1, waited=0, idempotent=True, now=NOW, status=503).retry


def test_409_only_for_maintenance_on_reads() -> None:
    maintenance = "The service is temporarily unavailable due to maintenance"
    assert decide(POLICY, attempt=1, waited=0, idempotent=True, now=NOW, status=409, title=maintenance).retry
    assert not decide(
        POLICY, attempt=1, waited=0, idempotent=False, now=NOW, status=409, title=maintenance
    ).retry
    assert not decide(
        POLICY, attempt=1, waited=0, idempotent=True, now=NOW, status=409, title="Already done"
    ).retry


@pytest.mark.parametrize("status", [500, 502, 503, 504])
def test_server_errors_on_reads_are_retried_and_bounded(status: int) -> None:
    # A single transient 500 no longer ends a read (issue 14, item 6); the attempts stay bounded.
    assert decide(POLICY, attempt=1, waited=0, idempotent=True, now=NOW, status=status).retry
    last = decide(POLICY, attempt=POLICY.max_attempts, waited=0, idempotent=True, now=NOW, status=status)
    assert not last.retry and "gave up" in last.reason


@pytest.mark.parametrize("status", [400, 401, 403, 404, 422, 501, None])
def test_other_statuses_are_not_retried(status: int | None) -> None:
    assert not decide(POLICY, attempt=1, waited=0, idempotent=True, now=NOW, status=status).retry


def test_retry_statuses_are_configurable() -> None:
    policy = RetryPolicy(retry_statuses=frozenset({500}))
    assert decide(policy, attempt=1, waited=0, idempotent=True, now=NOW, status=500).retry
    assert not decide(policy, attempt=1, waited=0, idempotent=True, now=NOW, status=503).retry


@pytest.mark.parametrize("kind", ["timeout", "connect", "network", "invalid_response"])
def test_transport_errors_retried_on_reads_only(kind: str) -> None:
    assert decide(POLICY, attempt=1, waited=0, idempotent=True, now=NOW, transport_error=kind).retry
    assert not decide(POLICY, attempt=1, waited=0, idempotent=False, now=NOW, transport_error=kind).retry
    off = POLICY.with_changes(retry_transport_errors=False)
    assert not decide(off, attempt=1, waited=0, idempotent=True, now=NOW, transport_error=kind).retry


def test_unknown_transport_failures_are_not_retried() -> None:
    assert not decide(POLICY, attempt=1, waited=0, idempotent=True, now=NOW, transport_error="other").retry


def test_policy_rejects_nonsense() -> None:
    with pytest.raises(ValueError, match="max_attempts"):
        RetryPolicy(max_attempts=0)
    with pytest.raises(ValueError, match="negative"):
        RetryPolicy(max_wait=-1)

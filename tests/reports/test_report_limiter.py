"""The per-report limiter: waits instead of failing, per key, with an injected clock (no real sleeping)."""

from __future__ import annotations

import threading

import pytest

from stnb._clock import FakeClock
from stnb.reports.limiter import ReportLimiter, shared_limiter

KEY = ("integration", "431848990", 175)


def test_second_run_of_the_same_report_waits_a_minute() -> None:
    clock = FakeClock()
    limiter = ReportLimiter(clock=clock)
    assert limiter.acquire(KEY).wait == 0
    clock.advance(5)
    assert limiter.acquire(KEY).wait == 55
    assert sum(clock.sleeps) == 55
    assert limiter.acquire(KEY).wait == 60


def test_other_reports_and_tenants_do_not_wait() -> None:
    clock = FakeClock()
    limiter = ReportLimiter(clock=clock)
    limiter.acquire(KEY)
    assert limiter.acquire(("integration", "431848990", 176)).wait == 0
    assert limiter.acquire(("integration", "999", 175)).wait == 0
    assert limiter.acquire(("production", "431848990", 175)).wait == 0
    assert clock.sleeps == []


def test_configurable_rate() -> None:
    clock = FakeClock()
    limiter = ReportLimiter(runs_per_minute=5, clock=clock)
    waits = [limiter.acquire(KEY).wait for _ in range(6)]
    assert waits == [0, 0, 0, 0, 0, 60]
    limiter.runs_per_minute = 0.5  # one run every two minutes
    clock.advance(200)
    assert [limiter.acquire(KEY).wait for _ in range(2)] == [0, 120]


def test_wait_callback_counts_down_in_ticks() -> None:
    clock = FakeClock()
    limiter = ReportLimiter(clock=clock)
    limiter.acquire(KEY)
    clock.advance(57.5)
    seen: list[float] = []
    limiter.acquire(KEY, on_wait=seen.append)
    assert seen == [2.5, 1.5, 0.5, 0.0]
    assert clock.sleeps[-3:] == [1.0, 1.0, 0.5]


def test_server_429_blocks_for_retry_after_and_the_refused_run_does_not_count() -> None:
    clock = FakeClock()
    limiter = ReportLimiter(clock=clock)
    refused = limiter.acquire(KEY)  # our clock thought it was free; the server disagreed
    limiter.block(refused, 42)
    assert limiter.acquire(KEY).wait == 42
    assert limiter.acquire(KEY).wait == 60


def test_threads_queue_up_one_minute_apart() -> None:
    clock = FakeClock()
    limiter = ReportLimiter(clock=clock)
    waits: list[float] = []
    lock = threading.Lock()

    def run() -> None:
        slot = limiter.reserve(KEY)
        with lock:
            waits.append(slot.wait)

    threads = [threading.Thread(target=run) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(waits) == [0, 60, 120, 180]


@pytest.mark.parametrize("bad", [0, -1, True, "1"])
def test_rate_must_be_positive(bad: object) -> None:
    with pytest.raises(ValueError, match="positive number"):
        ReportLimiter(runs_per_minute=bad)  # type: ignore[arg-type]


def test_shared_limiter_is_one_per_clock() -> None:
    clock = FakeClock()
    assert shared_limiter(clock) is shared_limiter(clock)
    assert shared_limiter(clock) is not shared_limiter(FakeClock())
    assert shared_limiter() is shared_limiter()

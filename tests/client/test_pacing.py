"""Token bucket pacing on a simulated clock: bursts, sustained rate, 429 slow-down and recovery, sharing."""

from __future__ import annotations

import asyncio
import threading

import pytest

from stnb._clock import FakeClock
from stnb._pacing import DEFAULT_RATE, TokenBucket, shared_bucket


def test_burst_then_paced() -> None:
    clock = FakeClock()
    bucket = TokenBucket(rate=50, burst=10, clock=clock)
    waits = [bucket.reserve() for _ in range(13)]
    assert waits[:10] == [0.0] * 10
    assert waits[10:] == pytest.approx([1 / 50, 2 / 50, 3 / 50])


def test_sustained_rate_stays_under_the_target() -> None:
    clock = FakeClock()
    bucket = TokenBucket(rate=DEFAULT_RATE, burst=10, clock=clock)
    start = clock.monotonic()
    for _ in range(1000):
        bucket.acquire()
    elapsed = clock.monotonic() - start
    assert 1000 / elapsed <= DEFAULT_RATE * 1.02  # 10 burst tokens on 1000 requests
    assert elapsed == pytest.approx(990 / DEFAULT_RATE)
    assert 50 <= DEFAULT_RATE < 60  # just under the documented 60 requests/s


def test_concurrent_callers_queue_in_distinct_slots() -> None:
    clock = FakeClock()
    bucket = TokenBucket(rate=20, burst=5, clock=clock)
    waits: list[float] = []
    lock = threading.Lock()
    barrier = threading.Barrier(25)

    def worker() -> None:
        barrier.wait()
        wait = bucket.reserve()
        with lock:
            waits.append(wait)

    threads = [threading.Thread(target=worker) for _ in range(25)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(waits) == pytest.approx([0.0] * 5 + [k / 20 for k in range(1, 21)])


def test_429_halves_then_recovers_gradually() -> None:
    clock = FakeClock()
    bucket = TokenBucket(rate=40, burst=10, clock=clock)
    bucket.penalize()
    assert bucket.rate == 20
    bucket.penalize()  # the same burst of 429s: one signal
    assert bucket.rate == 20
    clock.advance(1.5)
    rate_after = bucket.rate
    assert 20 < rate_after < 40  # recovering, not recovered
    bucket.penalize()  # a new 429 more than a second later halves again
    assert bucket.rate == pytest.approx(rate_after / 2)
    clock.advance(60)
    assert bucket.rate == 40


def test_after_429_requests_are_spaced_by_the_lower_rate() -> None:
    clock = FakeClock()
    bucket = TokenBucket(rate=40, burst=10, clock=clock)
    bucket.penalize()  # saved-up burst is dropped too
    waits = [bucket.reserve() for _ in range(3)]
    assert waits == pytest.approx([1 / 20, 2 / 20, 3 / 20])


def test_async_acquire_awaits_the_clock() -> None:
    clock = FakeClock()
    bucket = TokenBucket(rate=10, burst=1, clock=clock)

    async def run() -> list[float]:
        return [await bucket.aacquire() for _ in range(3)]

    assert asyncio.run(run()) == pytest.approx([0.0, 0.1, 0.1])
    assert clock.sleeps == pytest.approx([0.1, 0.1])


def test_shared_bucket_per_app_tenant_env() -> None:
    clock = FakeClock()
    a = shared_bucket("ak1.appone0000000000000000001", 1, "integration", clock=clock)
    assert shared_bucket("ak1.appone0000000000000000001", 1, "integration", clock=clock) is a
    assert shared_bucket("ak1.appone0000000000000000001", 2, "integration", clock=clock) is not a
    assert shared_bucket("ak1.appone0000000000000000001", 1, "production", clock=clock) is not a
    assert shared_bucket("ak1.apptwo0000000000000000002", 1, "integration", clock=clock) is not a
    assert shared_bucket("ak1.appone0000000000000000001", 1, "integration", clock=FakeClock()) is not a
    assert a.target_rate == DEFAULT_RATE


def test_explicit_rate_updates_the_shared_target() -> None:
    clock = FakeClock()
    bucket = shared_bucket("ak1.apprate000000000000000003", 7, "integration", clock=clock)
    assert shared_bucket("ak1.apprate000000000000000003", 7, "integration", rate=12.0, clock=clock) is bucket
    assert bucket.target_rate == 12.0 and bucket.rate == 12.0


def test_app_key_is_not_in_repr() -> None:
    bucket = shared_bucket("ak1.secretappkey00000000000004", 7, "integration", clock=FakeClock())
    assert "secretappkey" not in repr(bucket)


def test_bad_parameters() -> None:
    with pytest.raises(ValueError, match="rate"):
        TokenBucket(rate=0)
    with pytest.raises(ValueError, match="burst"):
        TokenBucket(rate=1, burst=0)

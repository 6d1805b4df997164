"""The sandbox's Reporting API keeps its run limit on the sandbox's injected clock."""

from __future__ import annotations

import time

import pytest

import stnb
from stnb._clock import FakeClock
from stnb.sandbox import Sandbox, ServedRequest

REVENUE = ("business-unit-dashboard", 175)
PERIOD = {"From": "2025-11-01", "To": "2025-11-30"}


@pytest.fixture(autouse=True)
def no_ledger(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("STNB_LEDGER", "off")


def served_statuses(sb: Sandbox) -> list[int]:
    statuses: list[int] = []

    def record(served: ServedRequest) -> None:
        if served.module == "reporting" and "/data" in served.endpoint:
            statuses.append(served.status)

    sb.on_request = record
    return statuses


def test_second_run_waits_in_fake_time_without_a_429() -> None:
    fc = FakeClock()
    sb = Sandbox(clock=fc)
    statuses = served_statuses(sb)
    started = time.monotonic()
    with stnb.connect(sandbox=sb, clock=fc, progress=False) as st:
        first = st.reports.run(*REVENUE, **PERIOD)
        fake_before = fc.monotonic()
        second = st.reports.run(*REVENUE, **PERIOD)
    assert first.equals(second) and first.height > 0
    assert statuses == [200, 200]  # the client's wait satisfied the server: no 429, no retry
    assert fc.monotonic() - fake_before >= 60.0  # the limiter waited a window of fake time
    assert time.monotonic() - started < 30.0  # ... and no real minute


def test_report_runs_per_minute_sets_the_sandbox_limit() -> None:
    fc = FakeClock()
    sb = Sandbox(clock=fc, report_runs_per_minute=2)
    statuses = served_statuses(sb)
    with stnb.connect(sandbox=sb, clock=fc, progress=False) as st:
        st.reports.limiter.runs_per_minute = 3  # the client would run a third time at once
        for _ in range(3):
            try:
                st.reports.run(*REVENUE, **PERIOD)
            except stnb.errors.ApiError:
                break
    assert statuses[:3] == [200, 200, 429]

"""Report runs and backfills draw their bars on the connection's clock: the elapsed time and rate a
finished bar shows are the waits for the report limit made on the injected FakeClock, not wall time."""

from __future__ import annotations

import dataclasses
import re
from datetime import UTC, datetime

import pytest

from stnb._clock import FakeClock
from stnb.sandbox.reports import ReportSource

from .fake_source import fake_source
from .harness import ReportServer

REVENUE = ("business-unit-dashboard", 175)
AGING = ("accounting", 166)


@pytest.fixture(scope="module")
def shared_source() -> ReportSource:
    return fake_source()


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(start=datetime(2026, 4, 10, 16, tzinfo=UTC))


@pytest.fixture
def server(shared_source: ReportSource, clock: FakeClock) -> ReportServer:
    return ReportServer(dataclasses.replace(shared_source), clock)


def final_bar(err: str) -> str:
    """The line a finished, kept bar leaves on the terminal."""
    return [part for part in err.replace("\n", "\r").split("\r") if part.strip()][-1].rstrip()


def minutes(seconds: float) -> str:
    whole = round(seconds)
    return f"{whole // 60:02d}:{whole % 60:02d}"


def test_a_run_bar_counts_the_waits_on_the_injected_clock(
    server: ReportServer, clock: FakeClock, capsys: pytest.CaptureFixture[str]
) -> None:
    reports = server.connect().reports
    frame = reports.run(*AGING, AsOf="2026-03-01", page_size=150, use_query=False, progress=True)
    waited = sum(clock.sleeps)
    assert waited >= 180  # four pages or more, one run a minute
    bar = final_bar(capsys.readouterr().err)
    rows = frame.height
    assert bar.startswith("report 166 ") and f"100%|██████████| {rows}/{rows} [{minutes(waited)}<00:00" in bar
    rate = re.search(r"([\d.]+)(row/s|s/row)\]$", bar)
    assert rate is not None
    per_second = float(rate.group(1)) if rate.group(2) == "row/s" else 1 / float(rate.group(1))
    assert per_second < 10  # rows over minutes of clock time (the wall clock took milliseconds)


def test_a_backfill_bar_counts_windows_and_waits_on_the_injected_clock(
    server: ReportServer, clock: FakeClock, capsys: pytest.CaptureFixture[str]
) -> None:
    reports = server.connect().reports
    reports.backfill(*REVENUE, start="2026-01-01", end="2026-01-05", progress=True)
    assert sum(clock.sleeps) == pytest.approx(4 * 60)
    bar = final_bar(capsys.readouterr().err)
    # Finished, the kept bar names the backfill (not the last window's wait) and its minutes of waits.
    assert bar.startswith("backfill 175 Revenue: 100%|██████████| 5/5 [04:00<00:00, ")

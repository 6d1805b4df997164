"""Backfill: one run per window joined into one frame, resumable from a checkpoint directory."""

from __future__ import annotations

import dataclasses
import json
from datetime import UTC, date, datetime
from pathlib import Path

import httpx2
import polars as pl
import pytest
from polars.testing import assert_frame_equal

from stnb._clock import FakeClock
from stnb.errors import ServerError, ValidationError
from stnb.reports.backfill import BackfillCheckpointError, Window, windows
from stnb.sandbox.reports import ReportSource

from .fake_source import fake_source
from .harness import ReportServer, json_response

REVENUE = ("business-unit-dashboard", 175)


@pytest.fixture(scope="module")
def shared_source() -> ReportSource:
    return fake_source()


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(start=datetime(2026, 4, 10, 16, tzinfo=UTC))


def server_for(source: ReportSource, clock: FakeClock) -> ReportServer:
    return ReportServer(dataclasses.replace(source), clock)


def test_daily_windows() -> None:
    assert windows("2026-01-30", date(2026, 2, 2)) == [
        Window(date(2026, 1, 30), date(2026, 1, 30)),
        Window(date(2026, 1, 31), date(2026, 1, 31)),
        Window(date(2026, 2, 1), date(2026, 2, 1)),
        Window(date(2026, 2, 2), date(2026, 2, 2)),
    ]


def test_weekly_and_monthly_windows_end_at_the_end_date() -> None:
    weeks = windows("2026-03-01", "2026-03-15", "1w")
    assert [(w.first.day, w.last.day) for w in weeks] == [(1, 7), (8, 14), (15, 15)]
    assert windows("2026-03-01", "2026-03-15", "7d") == weeks
    months = windows("2026-01-01", "2026-03-31", "1m")
    assert [(w.first, w.last) for w in months] == [
        (date(2026, 1, 1), date(2026, 1, 31)),
        (date(2026, 2, 1), date(2026, 2, 28)),
        (date(2026, 3, 1), date(2026, 3, 31)),
    ]


@pytest.mark.parametrize(
    ("start", "end", "step", "message"),
    [
        ("2026-01-02", "2026-01-01", "1d", "is before start"),
        ("2026-01-01", "2026-01-02", "1y", "step must look like"),
        ("2026-01-01", "2026-01-02", "0d", "step must look like"),
        ("yesterday", "2026-01-02", "1d", "start must be a date"),
    ],
)
def test_bad_windows_are_validation_errors(start: str, end: str, step: str, message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        windows(start, end, step)


def test_daily_runs_join_into_one_frame_that_adds_up(shared_source: ReportSource, clock: FakeClock) -> None:
    server = server_for(shared_source, clock)
    reports = server.connect().reports
    daily = reports.backfill(*REVENUE, start="2026-01-01", end="2026-01-05")
    assert daily.columns[-2:] == ["period_start", "period_end"]
    assert daily.height == 3 * 5
    assert daily.get_column("period_start").unique().sort().to_list() == [
        date(2026, 1, d) for d in range(1, 6)
    ]
    assert (daily["period_start"] == daily["period_end"]).all()
    # One run per day, a minute apart: the limiter waited, the server never refused.
    runs = server.calls("/data/query")
    assert len(runs) == 5 and all(r.status == 200 for r in runs)
    assert sum(clock.sleeps) == pytest.approx(4 * 60)
    whole = reports.run(*REVENUE, From="2026-01-01", To="2026-01-05")
    assert round(daily["TotalRevenue"].sum(), 2) == round(whole["TotalRevenue"].sum(), 2)
    assert daily["Invoices"].sum() == whole["Invoices"].sum()


def test_interrupted_backfill_resumes_from_its_checkpoint(
    shared_source: ReportSource, clock: FakeClock, tmp_path: Path
) -> None:
    checkpoint = tmp_path / "revenue"
    expected = (
        server_for(shared_source, clock)
        .connect()
        .reports.backfill(*REVENUE, start="2026-02-01", end="2026-02-05", BusinessUnitIds=[1, 2])
    )

    failing = server_for(shared_source, clock)
    runs = {"n": 0}

    def third_run_fails(method: str, tail: str, request: httpx2.Request) -> httpx2.Response | None:
        if tail.endswith("/data/query"):
            runs["n"] += 1
            if runs["n"] >= 3:  # from the third run on: more 500s than the retries ride out
                return json_response(500, {"title": "Internal Server Error", "status": 500})
        return None

    failing.override = third_run_fails
    with pytest.raises(ServerError):
        failing.connect().reports.backfill(
            *REVENUE, start="2026-02-01", end="2026-02-05", checkpoint=checkpoint, BusinessUnitIds=[1, 2]
        )
    manifest = json.loads((checkpoint / "manifest.json").read_text())
    assert sorted(manifest["done"]) == ["2026-02-01_2026-02-01", "2026-02-02_2026-02-02"]
    assert manifest["identity"]["params"] == {"BusinessUnitIds": [1, 2]}

    resumed_server = server_for(shared_source, clock)
    resumed = resumed_server.connect().reports.backfill(
        *REVENUE, start="2026-02-01", end="2026-02-05", checkpoint=checkpoint, BusinessUnitIds=[1, 2]
    )
    assert len(resumed_server.calls("/data/query")) == 3  # only the three missing days ran
    assert_frame_equal(resumed, expected)
    assert sorted(json.loads((checkpoint / "manifest.json").read_text())["done"]) == [
        f"2026-02-0{d}_2026-02-0{d}" for d in range(1, 6)
    ]
    assert not [p for p in checkpoint.iterdir() if p.name.startswith(".")]  # no temporary files left


def test_checkpoint_of_another_backfill_is_refused(
    shared_source: ReportSource, clock: FakeClock, tmp_path: Path
) -> None:
    reports = server_for(shared_source, clock).connect().reports
    reports.backfill(*REVENUE, start="2026-02-01", end="2026-02-01", checkpoint=tmp_path)
    with pytest.raises(
        BackfillCheckpointError, match=r"params is \{\} there, \{'BusinessUnitIds': \[1\]\} here"
    ):
        reports.backfill(
            *REVENUE, start="2026-02-01", end="2026-02-02", checkpoint=tmp_path, BusinessUnitIds=[1]
        )
    with pytest.raises(BackfillCheckpointError, match="step is '1d' there, '1w' here"):
        reports.backfill(*REVENUE, start="2026-02-01", end="2026-02-02", checkpoint=tmp_path, step="1w")


def test_unreadable_checkpoint_is_a_clear_error(
    shared_source: ReportSource, clock: FakeClock, tmp_path: Path
) -> None:
    (tmp_path / "manifest.json").write_text("{not json")
    reports = server_for(shared_source, clock).connect().reports
    with pytest.raises(BackfillCheckpointError, match="unreadable checkpoint manifest"):
        reports.backfill(*REVENUE, start="2026-02-01", end="2026-02-01", checkpoint=tmp_path)


def test_window_dates_cannot_be_passed(shared_source: ReportSource, clock: FakeClock) -> None:
    reports = server_for(shared_source, clock).connect().reports
    with pytest.raises(ValidationError, match="backfill sets From and To per window"):
        reports.backfill(*REVENUE, start="2026-02-01", end="2026-02-02", From="2026-01-01")


def test_weekly_backfill_of_a_report_with_rows_per_window(
    shared_source: ReportSource, clock: FakeClock
) -> None:
    frame = (
        server_for(shared_source, clock)
        .connect()
        .reports.backfill("technician-dashboard", 168, start="2026-01-01", end="2026-01-21", step="1w")
    )
    weeks = frame.group_by("period_start").agg(pl.col("CompletedJobs").sum()).sort("period_start")
    assert weeks["period_start"].to_list() == [date(2026, 1, 1), date(2026, 1, 8), date(2026, 1, 15)]
    assert (weeks["CompletedJobs"] > 0).all()

"""Partial periods: a ledger that starts and ends mid-day is covered in part on those days, never flagged."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import polars as pl
import pytest

from stnb.usage import analytics as A
from stnb.usage.columns import LEDGER_SCHEMA, PORTAL_SCHEMA
from stnb.usage.coverage import WHOLE, observed_intervals, period_coverage
from stnb.usage.summary import app_summary

FIRST = datetime(2026, 6, 1, 7, 58, tzinfo=UTC)  # a Monday, 07:58 UTC
LAST = datetime(2026, 7, 1, 5, 4, tzinfo=UTC)  # a Wednesday, 05:04 UTC


def ledger_between(first: datetime, last: datetime, every: timedelta = timedelta(minutes=2)) -> pl.DataFrame:
    """A steady app: one successful call every `every` from `first` to `last` (inclusive)."""
    ats = []
    at = first
    while at <= last:
        ats.append(at)
        at += every
    n = len(ats)
    data = {name: [None] * n for name in LEDGER_SCHEMA}
    data.update(
        id=list(range(n)),
        at=ats,
        env=["production"] * n,
        app=["a1b2c3d4"] * n,
        app_name=["Steady App"] * n,
        tenant=["1"] * n,
        method=["GET"] * n,
        module=["jpm"] * n,
        endpoint=["/jpm/v2/tenant/{tenant}/jobs"] * n,
        status=[200] * n,
        latency_ms=[20.0] * n,
        bytes=[100] * n,
        attempt=[1] * n,
        rate_wait_ms=[0.0] * n,
        sandbox=[False] * n,
    )
    return pl.DataFrame(data, schema=LEDGER_SCHEMA)


@pytest.fixture(scope="module")
def ledger() -> pl.DataFrame:
    return ledger_between(FIRST, LAST)


def test_daily_coverage_of_a_ledger_that_starts_and_ends_mid_day(ledger: pl.DataFrame) -> None:
    cover = period_coverage(ledger, "1d")
    by_day = {p.date(): c for p, c in cover.select("period", "covered").iter_rows()}
    assert by_day[date(2026, 6, 1)] == pytest.approx((24 * 60 - (7 * 60 + 58)) / (24 * 60), abs=1e-6)
    assert by_day[date(2026, 7, 1)] == pytest.approx((5 * 60 + 4) / (24 * 60), abs=1e-6)
    assert all(by_day[date(2026, 6, d)] == 1.0 for d in range(2, 31))
    assert cover.filter(~pl.col("whole"))["period"].dt.date().to_list() == [
        date(2026, 6, 1),
        date(2026, 7, 1),
    ]
    daily = A.daily_calls(ledger)
    assert daily.filter(pl.col("covered") < WHOLE)["day"].to_list() == [date(2026, 6, 1), date(2026, 7, 1)]


def test_weekly_and_monthly_coverage(ledger: pl.DataFrame) -> None:
    weeks = period_coverage(ledger, "1w")
    first_week = (7 * 24 * 60 - (7 * 60 + 58)) / (7 * 24 * 60)  # Monday 07:58 to Sunday midnight
    assert weeks["covered"][0] == pytest.approx(first_week, abs=1e-6)
    assert weeks["whole"].to_list() == [False, True, True, True, False]
    last_week = (2 * 24 * 60 + 5 * 60 + 4) / (7 * 24 * 60)  # Monday, Tuesday and 05:04 of Wednesday
    assert weeks["covered"][-1] == pytest.approx(last_week, abs=1e-6)
    months = period_coverage(ledger, "1mo")
    assert months["period"].dt.month().to_list() == [6, 7]
    assert months["covered"][0] == pytest.approx(1 - (7 * 60 + 58) / (30 * 24 * 60), abs=1e-6)
    assert months["covered"][1] == pytest.approx((5 * 60 + 4) / (31 * 24 * 60), abs=1e-6)
    assert not any(months["whole"])


def test_a_day_missed_by_a_few_minutes_is_still_whole() -> None:
    almost = ledger_between(datetime(2026, 6, 1, 0, 5, tzinfo=UTC), datetime(2026, 6, 2, 23, 55, tzinfo=UTC))
    assert period_coverage(almost, "1d")["whole"].to_list() == [True, True]


def test_portal_days_are_whole_and_gaps_are_uncovered() -> None:
    rows = [(date(2026, 6, d), 10) for d in (1, 2, 4)]  # June 3 was never downloaded
    data: dict[str, list[object]] = {name: [] for name in PORTAL_SCHEMA}
    for day, calls in rows:
        start = datetime(day.year, day.month, day.day, 7, tzinfo=UTC)  # Pacific midnight
        values = {
            "start": start,
            "end": start + timedelta(days=1),
            "app_id": "app-1",
            "app_name": "Portal App",
            "tenant_id": "1",
            "tenant_name": "Tenant",
            "api": "Job Planning and Management",
            "module": "jpm",
            "endpoint": "/jpm/v2/tenant/{tenant}/jobs",
            "method": "GET",
            "calls": calls,
        }
        for name in PORTAL_SCHEMA:
            data[name].append(values.get(name))
    portal = pl.DataFrame(data, schema=PORTAL_SCHEMA)
    assert observed_intervals(portal).height == 3
    cover = period_coverage(portal, "1d")
    assert cover["covered"].to_list() == [1.0, 1.0, 0.0, 1.0]
    assert A.daily_calls(portal)["covered"].to_list() == [1.0, 1.0, 1.0]


def test_partial_first_and_last_days_are_never_anomalies(ledger: pl.DataFrame) -> None:
    scores = A.anomaly_scores(ledger)
    partial = scores.filter(~pl.col("whole"))
    assert partial["day"].to_list() == [date(2026, 6, 1), date(2026, 7, 1)]
    assert partial["z"].null_count() == 2 and partial["expected"].null_count() == 2
    assert partial["calls"].to_list()[1] < 200  # a fifth of a day: it would read as a large drop
    assert A.anomalies(ledger).height == 0


def test_a_real_drop_on_a_whole_day_is_still_found(ledger: pl.DataFrame) -> None:
    dropped = ledger.filter(~((pl.col("at").dt.date() == date(2026, 6, 17)) & (pl.col("at").dt.hour() < 18)))
    found = A.anomalies(dropped)
    assert found["day"].to_list() == [date(2026, 6, 17)]
    assert found["kind"].to_list() == ["drop"]


def test_week_over_week_ends_on_the_last_whole_day(ledger: pl.DataFrame) -> None:
    wow = A.week_over_week(ledger)
    assert wow["this_week"].item() == wow["last_week"].item() == 7 * 720  # whole days only
    assert wow["change_pct"].item() == 0.0
    short = ledger_between(FIRST, datetime(2026, 6, 12, 5, 4, tzinfo=UTC))  # the week before is partial
    assert A.week_over_week(short)["change_pct"].item() is None


def test_projection_fits_whole_days_and_starts_after_the_last_one(ledger: pl.DataFrame) -> None:
    ahead = A.projection(ledger, days=7)
    assert ahead["day"].min() == date(2026, 7, 1)
    assert ahead["forecast"].to_list() == pytest.approx([720.0] * 7, rel=0.01)


def test_summary_of_a_steady_ledger_reports_no_worst_day(ledger: pl.DataFrame) -> None:
    row = app_summary(ledger=ledger).row(0, named=True)
    assert row["anomalies"] == 0
    assert row["worst_day"] is None and row["worst_pct"] is None
    assert row["wow_pct"] == 0.0


def test_the_daily_trend_draws_partial_days_marked_and_unflagged(ledger: pl.DataFrame) -> None:
    from stnb.charts import usage as charts
    from stnb.charts.periods import PARTIAL_SHAPE

    fig = charts.trend(ledger)
    assert [t.name for t in fig.data] == ["Steady App"]  # no "anomaly" markers
    assert len(fig.data[0].x) == 31  # both partial days are drawn
    shaded = [s for s in fig.layout.shapes if s.name == PARTIAL_SHAPE]
    assert len(shaded) == 2
    labels = [a.text for a in fig.layout.annotations]
    assert "partial day: 67% covered" in labels and "partial day: 21% covered" in labels

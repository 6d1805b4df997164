"""Charts over periods: partial weeks and months are marked, refresh dates drawn, axes titled for people."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

import polars as pl
import pytest

from stnb.charts import usage as charts
from stnb.charts.explore import monthly_bars, period_bars
from stnb.charts.periods import PARTIAL_SHAPE
from stnb.sandbox.demo_usage import build_demo_usage
from stnb.usage.portal import import_portal_reports

END = date(2026, 11, 27)  # a Friday: the last week holds 5 of its 7 days


@pytest.fixture(scope="module")
def portal(tmp_path_factory: pytest.TempPathFactory) -> pl.DataFrame:
    demo = build_demo_usage(tmp_path_factory.mktemp("periods"), days=42, ledger_days=1, end=END)
    return import_portal_reports(demo.portal_dir)


def shaded(fig: charts.go.Figure) -> list[tuple[datetime, datetime]]:
    return [(s.x0, s.x1) for s in fig.layout.shapes if s.name == PARTIAL_SHAPE]


def test_weekly_usage_charts_shade_the_partial_weeks_and_keep_every_call(portal: pl.DataFrame) -> None:
    # 42 days: Saturday 2026-10-17 to Friday 2026-11-27
    for build in (charts.family_area, charts.calls_by, charts.trend):
        fig = build(portal, every="1w")
        # each point sits at its week's Monday: the shade is centred on the partial weeks' points
        assert shaded(fig) == [
            (datetime(2026, 10, 8, 12), datetime(2026, 10, 15, 12)),
            (datetime(2026, 11, 19, 12), datetime(2026, 11, 26, 12)),
        ], build.__name__
        assert [a.xanchor for a in fig.layout.annotations] == ["left", "right"]  # labels stay inside
        texts = [a.text for a in fig.layout.annotations]
        assert texts == ["partial week: 2 of 7 days", "partial week: 5 of 7 days"], build.__name__
        plotted = sum(sum(t.y) for t in fig.data if t.name != "anomaly")
        assert plotted == portal["calls"].sum(), build.__name__  # marked, not dropped
    assert "per week by API family" in charts.family_area(portal, every="1w").layout.title.text


def test_daily_and_monthly_usage_charts(portal: pl.DataFrame) -> None:
    assert not shaded(charts.family_area(portal, every="1d"))
    monthly = charts.family_area(portal, every="1mo")
    assert shaded(monthly) == [
        (datetime(2026, 9, 15, 12), datetime(2026, 10, 16, 12)),
        (datetime(2026, 10, 17), datetime(2026, 11, 16)),
    ]


def revenue() -> pl.DataFrame:
    return pl.DataFrame(
        {
            "month": [date(2026, 8, 1), date(2026, 9, 1), date(2026, 10, 1)] * 2,
            "unit": ["HVAC"] * 3 + ["Plumbing"] * 3,
            "revenue": [500.0, 480.0, 20.0, 100.0, 90.0, 5.0],
        }
    )


def test_monthly_bars_span_their_month_and_mark_dates_and_partial_months() -> None:
    fig = monthly_bars(
        revenue(),
        month="month",
        value="revenue",
        group="unit",
        what="Revenue",
        value_title="USD",
        month_title="month (tenant's calendar)",
        covered=(date(2026, 8, 1), date(2026, 10, 20)),
        marks={date(2026, 9, 29): "integration refreshed"},
    )
    assert {(t.xperiod, t.xperiodalignment) for t in fig.data} == {("M1", "middle")}
    assert fig.layout.xaxis.title.text == "month (tenant's calendar)"
    assert shaded(fig) == [(datetime(2026, 10, 1), datetime(2026, 11, 1))]
    refresh = [s for s in fig.layout.shapes if s.name == "integration refreshed"]
    assert [(s.type, s.x0) for s in refresh] == [("line", datetime(2026, 9, 29))]
    texts = {a.text for a in fig.layout.annotations}
    assert texts == {"partial month: 20 of 31 days", "integration refreshed (2026-09-29)"}
    plain = monthly_bars(revenue(), month="month", value="revenue", what="Revenue", value_title="USD")
    assert not plain.layout.shapes and plain.layout.xaxis.title.text == "month"


def backfill() -> pl.DataFrame:
    starts = [date(2026, 10, 1), date(2026, 10, 8), date(2026, 10, 29)]
    ends = [date(2026, 10, 7), date(2026, 10, 14), date(2026, 10, 31)]
    return pl.DataFrame(
        {
            "period_start": starts * 2,
            "period_end": ends * 2,
            "Name": ["HVAC"] * 3 + ["Plumbing"] * 3,
            "TotalRevenue": [700.0, 710.0, 300.0, 70.0, 71.0, 30.0],
        }
    )


def test_period_bars_label_windows_and_hatch_the_short_ones() -> None:
    fig = period_bars(
        backfill(),
        every="1w",
        value="TotalRevenue",
        group="Name",
        what="Revenue per week",
        value_title="USD",
        period_title="week (tenant-local dates)",
        context="report 175",
    )
    labels = ["2026-10-01 – 10-07", "2026-10-08 – 10-14", "2026-10-29 – 10-31 (3 of 7 days)"]
    assert list(fig.layout.xaxis.categoryarray) == labels
    assert fig.layout.xaxis.title.text == "week (tenant-local dates)"
    for trace in fig.data:
        assert list(trace.x) == labels
        assert list(trace.marker.pattern.shape) == ["", "", "/"]
    assert sum(sum(t.y) for t in fig.data) == backfill()["TotalRevenue"].sum()
    assert "report 175 · hatched: shorter than a whole week" in fig.layout.title.text


def test_period_bars_of_whole_months_hatch_nothing() -> None:
    months = pl.DataFrame(
        {
            "period_start": [date(2026, 2, 1), date(2026, 3, 1)],
            "period_end": [date(2026, 2, 28), date(2026, 3, 31)],
            "TotalRevenue": [1.0, 2.0],
        }
    )
    fig = period_bars(
        months, every="1mo", value="TotalRevenue", what="R", value_title="USD", period_title="month"
    )
    assert list(fig.data[0].marker.pattern.shape) == ["", ""]
    assert "hatched" not in fig.layout.title.text


def test_figures_serialise(tmp_path: Path) -> None:
    fig = period_bars(
        backfill(), every="1w", value="TotalRevenue", what="R", value_title="USD", period_title="week"
    )
    target = tmp_path / "f.json"
    target.write_text(fig.to_json())
    assert "3 of 7 days" in target.read_text()

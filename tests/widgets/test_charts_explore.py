"""stnb.charts.explore: the quick profile, the completeness chart and monthly stacked bars."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import polars as pl

from stnb.charts.explore import (
    category_bars,
    completeness_chart,
    frame_profile,
    group_lines,
    measures,
    monthly_bars,
)


def sample() -> pl.DataFrame:
    return pl.DataFrame(
        {
            "id": [3, 1, 2, 4],
            "name": ["b", None, "a", "b"],
            "total": [Decimal("10.50"), None, None, Decimal("2.25")],
            "at": [datetime(2026, 1, d, tzinfo=UTC) for d in (5, 1, 9, 3)],
            "address": [{"city": "X"}, None, {"city": "Y"}, {"city": "X"}],
            "tags": [[1], [], None, [2, 3]],
        }
    )


def test_profile_counts_nulls_distinct_and_range() -> None:
    profile = frame_profile(sample())
    rows = {row["column"]: row for row in profile.iter_rows(named=True)}
    assert rows["id"] == {
        "column": "id",
        "dtype": "Int64",
        "nulls": 0,
        "filled": 1.0,
        "distinct": 4,
        "min": "1",
        "max": "4",
    }
    assert (rows["name"]["nulls"], rows["name"]["distinct"], rows["name"]["min"]) == (1, 3, "a")
    assert (rows["total"]["filled"], rows["total"]["min"], rows["total"]["max"]) == (0.5, "2.25", "10.50")
    assert rows["at"]["min"].startswith("2026-01-01") and rows["at"]["max"].startswith("2026-01-09")
    for nested in ("address", "tags"):
        assert (rows[nested]["distinct"], rows[nested]["min"]) == (None, None)
        assert rows[nested]["nulls"] == 1


def test_profile_of_an_empty_or_all_null_frame() -> None:
    assert frame_profile(pl.DataFrame()).height == 0
    empty = frame_profile(pl.DataFrame({"x": pl.Series([], dtype=pl.Int64)}))
    assert empty.row(0, named=True)["filled"] == 0.0
    nulls = frame_profile(pl.DataFrame({"x": pl.Series([None, None], dtype=pl.Int64)}))
    assert nulls.row(0, named=True)["min"] is None


def test_completeness_chart_puts_the_emptiest_columns_first_and_carries_context() -> None:
    fig = completeness_chart(frame_profile(sample()), context="crm/customers · integration · tenant 1")
    bar = fig.data[0]
    assert list(bar.y)[:2] == ["total", "tags"]
    assert list(bar.x)[:2] == [0.5, 0.75]
    assert "integration · tenant 1" in fig.layout.title.text
    assert fig.layout.template.layout.font.family is not None  # the stnb theme is applied


def test_monthly_bars_stack_one_trace_per_group_in_month_order() -> None:
    frame = pl.DataFrame(
        {
            "month": [date(2026, 2, 1), date(2026, 1, 1), date(2026, 1, 1)],
            "unit": ["HVAC", "HVAC", "Plumbing"],
            "revenue": [5.0, 3.0, 4.0],
        }
    )
    fig = monthly_bars(frame, month="month", value="revenue", group="unit", what="Revenue", value_title="USD")
    assert fig.layout.barmode == "stack"
    assert [trace.name for trace in fig.data] == ["HVAC", "Plumbing"]
    assert list(fig.data[0].x) == [date(2026, 1, 1), date(2026, 2, 1)]
    assert list(fig.data[0].y) == [3.0, 5.0]
    single = monthly_bars(frame, month="month", value="revenue", what="Revenue", value_title="USD")
    assert len(single.data) == 1 and single.data[0].name == "USD"


def test_group_lines_keeps_the_biggest_groups_and_says_so() -> None:
    frame = pl.DataFrame(
        {
            "period": [1, 2, 1, 2, 1, 2],
            "endpoint": ["/a", "/a", "/b", "/b", "/c", "/c"],
            "value": [1.0, 1.0, 5.0, 6.0, 3.0, None],
        }
    )
    fig = group_lines(
        frame, x="period", y="value", group="endpoint", what="Calls", value_title="calls", top=2
    )
    assert [trace.name for trace in fig.data] == ["/b", "/c"]
    assert list(fig.data[0].y) == [5.0, 6.0]
    assert "top 2 of 3 by endpoint" in fig.layout.title.text
    everything = group_lines(
        frame, x="period", y="value", group="endpoint", what="Calls", value_title="calls"
    )
    assert len(everything.data) == 3 and "top" not in everything.layout.title.text


def test_category_bars_sum_the_first_measure_per_label() -> None:
    frame = pl.DataFrame(
        {"BusinessUnitId": [1, 2, 1], "Name": ["HVAC", "Plumbing", "HVAC"], "Invoices": [2, 5, 4]}
    )
    fig = category_bars(frame, what="Revenue", context="report 175 · integration · tenant 1")
    assert fig is not None
    assert list(fig.data[0].x) == ["HVAC", "Plumbing"] and list(fig.data[0].y) == [6.0, 5.0]
    assert fig.layout.yaxis.title.text == "Invoices"
    assert "integration · tenant 1" in fig.layout.title.text
    assert category_bars(frame.select("BusinessUnitId", "Invoices"), what="x") is None
    assert category_bars(frame.clear(), what="x") is None


def test_category_bars_default_to_the_main_measure_and_take_another() -> None:
    frame = pl.DataFrame({"Name": ["HVAC", "Plumbing"], "Invoices": [9, 5], "TotalRevenue": [100.0, 900.0]})
    assert measures(frame) == ["TotalRevenue", "Invoices"]
    fig = category_bars(frame, what="BU dashboard")
    assert fig is not None and fig.layout.yaxis.title.text == "Total revenue"
    assert list(fig.data[0].x) == ["Plumbing", "HVAC"]
    chosen = category_bars(frame, what="BU dashboard", value="Invoices")
    assert chosen is not None and list(chosen.data[0].y) == [9.0, 5.0]


def test_monthly_bars_draw_rows_without_a_group_value_and_warn_about_nothing() -> None:
    import warnings

    frame = pl.DataFrame(
        {"month": [date(2026, 1, 1), date(2026, 1, 1)], "revenue": [5.0, 7.0], "unit": ["North", None]}
    )
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # polars: "Comparisons with None always result in null"
        fig = monthly_bars(
            frame, month="month", value="revenue", group="unit", what="Revenue", value_title="USD"
        )
    assert {trace.name: list(trace.y) for trace in fig.data} == {"(none)": [7.0], "North": [5.0]}

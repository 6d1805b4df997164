"""Movers: the windows they compare, groups that stopped calling, and the order a product team reads."""

from __future__ import annotations

from datetime import date, timedelta

import polars as pl
import pytest

from stnb.usage import analytics as A

START = date(2026, 6, 1)


def daily(values: dict[str, list[int]]) -> pl.DataFrame:
    rows = [(START + timedelta(days=i), key, v) for key, vs in values.items() for i, v in enumerate(vs)]
    return pl.DataFrame(rows, schema={"day": pl.Date, "tenant": pl.String, "calls": pl.Int64}, orient="row")


def test_a_tenant_that_stopped_weeks_ago_shows_only_in_windows_long_enough_to_see_it() -> None:
    # 8 weeks: "gone" stops four weeks before the end, "big" grows in the last week.
    frame = daily({"gone": [10] * 28 + [0] * 28, "big": [1000] * 49 + [1100] * 7})
    one_week = A.top_movers(frame, by="tenant", within=None)
    assert one_week["tenant"].to_list() == ["big"]  # both weeks of "gone" are zero: no change to see
    four_weeks = A.top_movers(frame, by="tenant", within=None, weeks=4)
    assert four_weeks.rows() == [
        ("gone", 0, 280, -280, -100.0, "stopped"),  # first although "big" moved more than twice as much
        ("big", 28_700, 28_000, 700, 2.5, "up"),
    ]


def test_windows_end_on_as_of_and_status_names_the_direction() -> None:
    frame = daily(
        {"up": [1] * 7 + [3] * 7, "down": [5] * 7 + [4] * 7, "new": [0] * 7 + [2] * 7, "flat": [1] * 14}
    )
    movers = A.top_movers(frame, by="tenant", within=None, n=10)
    assert dict(zip(movers["tenant"], movers["status"], strict=True)) == {
        "up": "up",
        "down": "down",
        "new": "started",
    }
    assert movers.filter(pl.col("tenant") == "new")["change_pct"].to_list() == [None]  # nothing to divide by
    earlier = A.top_movers(frame, by="tenant", within=None, n=10, as_of=START + timedelta(days=6))
    assert set(earlier["tenant"]) == {"up", "down", "flat"}  # only the first week: all "started"
    assert set(earlier["status"]) == {"started"}


def test_n_limits_the_rows_and_within_keeps_groups_apart() -> None:
    frame = daily({"a": [1] * 7 + [2] * 7, "b": [1] * 7 + [5] * 7}).with_columns(app=pl.lit("X"))
    top = A.top_movers(frame, by="tenant", n=1)
    assert top.select("app", "tenant", "change").rows() == [("X", "b", 28)]


def test_week_over_week_keeps_its_columns_and_says_minus_100_for_a_stop() -> None:
    frame = daily({"gone": [3] * 7 + [0] * 7})
    assert A.week_over_week(frame, by="tenant").rows(named=True) == [
        {"tenant": "gone", "this_week": 0, "last_week": 21, "change": -21, "change_pct": -100.0}
    ]


def test_a_window_needs_a_day() -> None:
    with pytest.raises(ValueError, match="at least one day"):
        A.top_movers(daily({"a": [1]}), by="tenant", within=None, weeks=0)

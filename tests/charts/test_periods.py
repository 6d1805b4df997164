"""Partial periods: which weeks and months the data covers in part, and how figures mark them."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import plotly.graph_objects as go
import polars as pl
import pytest

from stnb.charts.periods import (
    PARTIAL_SHAPE,
    mark_dates,
    mark_partial,
    period_end,
    period_start,
    periods_between,
)


@pytest.mark.parametrize("every", ["1d", "3d", "1w", "2w", "1mo", "3mo"])
def test_period_start_agrees_with_polars_truncate(every: str) -> None:
    days = [date(2025, 12, 20) + timedelta(days=i) for i in range(80)]
    truncated = pl.Series(days).cast(pl.Datetime("us")).dt.truncate(every).dt.date().to_list()
    assert [period_start(d, every) for d in days] == truncated


def test_period_end_is_exclusive_and_calendar_aware() -> None:
    assert period_end(date(2026, 11, 23), "1w") == date(2026, 11, 30)
    assert period_end(date(2026, 2, 1), "1mo") == date(2026, 3, 1)
    assert period_end(date(2026, 11, 1), "3mo") == date(2027, 2, 1)


def test_periods_between_counts_the_covered_days() -> None:
    # Wednesday 2026-06-03 to Friday 2026-06-19: a 5-day first week, a whole one, a 5-day last week.
    weeks = periods_between(date(2026, 6, 3), date(2026, 6, 19), "1w")
    assert [(p.start, p.covered, p.days, p.partial) for p in weeks] == [
        (date(2026, 6, 1), 5, 7, True),
        (date(2026, 6, 8), 7, 7, False),
        (date(2026, 6, 15), 5, 7, True),
    ]
    assert weeks[2].describe("1w") == "partial week: 5 of 7 days"
    months = periods_between(date(2026, 2, 1), date(2026, 3, 10), "1mo")
    assert [(p.days, p.covered) for p in months] == [(28, 28), (31, 10)]


def test_unknown_periods_are_refused() -> None:
    with pytest.raises(ValueError, match="unsupported period '1q'"):
        period_end(date(2026, 1, 1), "1q")


def test_mark_partial_shades_only_partial_periods_and_never_days_or_hours() -> None:
    fig = mark_partial(go.Figure(), date(2026, 6, 1), date(2026, 6, 19), "1w")
    shaded = [s for s in fig.layout.shapes if s.name == PARTIAL_SHAPE]
    # a line puts the week at its Monday (2026-06-15): the shade is centred there
    assert [(s.x0, s.x1) for s in shaded] == [(datetime(2026, 6, 11, 12), datetime(2026, 6, 18, 12))]
    assert [a.text for a in fig.layout.annotations] == ["partial week: 5 of 7 days"]
    spans = mark_partial(go.Figure(), date(2026, 6, 1), date(2026, 6, 19), "1w", drawn_at="span")
    assert [(s.x0, s.x1) for s in spans.layout.shapes] == [(datetime(2026, 6, 15), datetime(2026, 6, 22))]
    whole = mark_partial(go.Figure(), datetime(2026, 6, 1, 7, tzinfo=UTC), date(2026, 6, 14), "1w")
    assert not whole.layout.shapes
    for every in ("1d", "1h"):
        assert not mark_partial(go.Figure(), date(2026, 6, 3), date(2026, 6, 4), every).layout.shapes


def test_mark_dates_draws_a_labelled_line() -> None:
    fig = mark_dates(go.Figure(), {date(2026, 9, 29): "integration refreshed"})
    (line,) = fig.layout.shapes
    assert (line.type, line.x0, line.x1, line.name) == (
        "line",
        datetime(2026, 9, 29),
        datetime(2026, 9, 29),
        "integration refreshed",
    )
    assert fig.layout.annotations[0].text == "integration refreshed (2026-09-29)"

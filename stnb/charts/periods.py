"""Periods a chart's data covers only in part, how a figure marks them, and dates marked on a time axis.

A week or month the data covers for some days only holds fewer calls or less revenue than a whole one:
drawn like the others it reads as a drop. Charts shade such periods and say how many days they hold.
`every` is a polars-style period: "1d", "1w" (weeks start on Monday, as `dt.truncate("1w")`), "1mo",
or multiples ("2w", "3mo").
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any, Literal

import plotly.graph_objects as go

__all__ = [
    "PARTIAL_SHAPE",
    "Period",
    "mark_coverage",
    "mark_dates",
    "mark_partial",
    "period_end",
    "period_start",
    "period_word",
    "periods_between",
]

PARTIAL_SHAPE = "partial period"  # the `name` of every shape that marks one (tests and notebooks find them)
_EVERY = re.compile(r"^(\d+)(d|w|mo)$")
_WORDS = {"d": "day", "w": "week", "mo": "month"}
_SHADE = "rgba(107,114,128,0.14)"
_MARK = "#4B5563"


@dataclass(frozen=True, slots=True)
class Period:
    """One period: its first day, the day after its last, and how many of its days the data covers."""

    start: date
    end: date  # exclusive
    covered: int

    @property
    def days(self) -> int:
        return (self.end - self.start).days

    @property
    def partial(self) -> bool:
        return self.covered < self.days

    def describe(self, every: str) -> str:
        """`partial week: 5 of 7 days` (or `whole week`)."""
        word = period_word(every)
        return f"partial {word}: {self.covered} of {self.days} days" if self.partial else f"whole {word}"


def _parse(every: str) -> tuple[int, str]:
    found = _EVERY.match(every)
    if found is None or int(found.group(1)) < 1:
        raise ValueError(f"unsupported period {every!r}: use days, weeks or months such as '1d', '1w', '1mo'")
    return int(found.group(1)), found.group(2)


def period_word(every: str) -> str:
    """ "week" for "1w", "2 weeks" for "2w"."""
    n, unit = _parse(every)
    return _WORDS[unit] if n == 1 else f"{n} {_WORDS[unit]}s"


def _add_months(day: date, months: int) -> date:
    index = day.year * 12 + day.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


def period_start(day: date, every: str) -> date:
    """The first day of the period holding `day` (as polars' `dt.truncate(every)` places it)."""
    n, unit = _parse(every)
    if unit == "mo":
        index = day.year * 12 + day.month - 1
        index -= index % n
        return date(index // 12, index % 12 + 1, 1)
    length = n * (7 if unit == "w" else 1)
    # polars counts days from the epoch (1970-01-01) and weeks from its first Monday (1970-01-05)
    origin = date(1970, 1, 5) if unit == "w" else date(1970, 1, 1)
    return day - timedelta(days=(day - origin).days % length)


def period_end(start: date, every: str) -> date:
    """The day after the last day of the period starting on `start` (exclusive end)."""
    n, unit = _parse(every)
    if unit == "mo":
        return _add_months(start, n)
    return start + timedelta(days=n * (7 if unit == "w" else 1))


def periods_between(first: date, last: date, every: str) -> list[Period]:
    """Every period that holds a day of `first`..`last` (inclusive), with the days of it they cover."""
    out = []
    start = period_start(first, every)
    while start <= last:
        end = period_end(start, every)
        covered = (min(end, last + timedelta(days=1)) - max(start, first)).days
        out.append(Period(start, end, covered))
        start = end
    return out


def _as_date(value: date | datetime) -> date:
    return value.date() if isinstance(value, datetime) else value


def mark_partial(
    fig: go.Figure,
    first: date | datetime | None,
    last: date | datetime | None,
    every: str,
    *,
    drawn_at: Literal["start", "span"] = "start",
) -> go.Figure:
    """Shade the periods of `every` that the days `first`..`last` cover only in part, with their days.

    `drawn_at`: "start" when the figure puts a period's value at its first day (lines: the shade is
    centred there), "span" when it draws it across the period (bars with `xperiod`). Periods of a day
    or less are left alone (a day is the finest resolution of the data's coverage).
    """
    if first is None or last is None or not _EVERY.match(every) or every == "1d":
        return fig
    periods = periods_between(_as_date(first), _as_date(last), every)
    for index, period in enumerate(periods):
        if not period.partial:
            continue
        if drawn_at == "span":
            x0, x1 = _midnight(period.start), _midnight(period.end)
        else:
            half = timedelta(days=period.days / 2)
            x0, x1 = _midnight(period.start) - half, _midnight(period.start) + half
        fig.add_shape(
            type="rect",
            name=PARTIAL_SHAPE,
            xref="x",
            yref="paper",
            x0=x0,
            x1=x1,
            y0=0,
            y1=1,
            fillcolor=_SHADE,
            line={"width": 0},
            layer="below",
        )
        at_end = index == len(periods) - 1  # the last period's label reads leftwards, inside the plot
        fig.add_annotation(
            x=x1 if at_end else x0,
            y=1,
            xref="x",
            yref="paper",
            xanchor="right" if at_end else "left",
            yanchor="top",
            text=period.describe(every),
            showarrow=False,
            font={"size": 11, "color": _MARK},
        )
    return fig


def _midnight(day: date) -> datetime:
    return datetime.combine(day, datetime.min.time())


def mark_dates(fig: go.Figure, marks: Mapping[date, str]) -> go.Figure:
    """A dashed vertical line with its label at each date of `marks` (e.g. a refresh date)."""
    for day, label in sorted(marks.items()):
        at = _midnight(_as_date(day))
        fig.add_shape(
            type="line",
            name=label,
            xref="x",
            yref="paper",
            x0=at,
            x1=at,
            y0=0,
            y1=1,
            line={"color": _MARK, "dash": "dash", "width": 1.5},
        )
        fig.add_annotation(
            x=at,
            y=1,
            xref="x",
            yref="paper",
            xanchor="right",
            yanchor="top",
            text=f"{label} ({_as_date(day).isoformat()})",
            showarrow=False,
            font={"size": 11, "color": _MARK},
            bgcolor="rgba(255,255,255,0.8)",
        )
    return fig


def mark_coverage(fig: go.Figure, coverage: Iterable[tuple[Any, ...]], every: str) -> go.Figure:
    """Shade each period that `coverage` (rows of period, covered, whole: `analytics.period_coverage`)
    says the data covers in part, labelled with how much of it ("partial day: 67 % covered").

    Works at any granularity (hours and days too); bars or lines with the value at the period's start.
    """
    rows = list(coverage)
    word = _WORDS.get(_parse(every)[1], "period") if _EVERY.match(every) else "period"
    for index, (start, covered, whole) in enumerate(rows):
        if whole:
            continue
        end = rows[index + 1][0] if index + 1 < len(rows) else None
        at = start.replace(tzinfo=None)
        x1 = (
            end.replace(tzinfo=None)
            if end is not None
            else at + (at - rows[index - 1][0].replace(tzinfo=None) if index else timedelta(days=1))
        )
        half = (x1 - at) / 2
        fig.add_shape(
            type="rect",
            name=PARTIAL_SHAPE,
            xref="x",
            yref="paper",
            x0=at - half,
            x1=at + half,
            y0=0,
            y1=1,
            fillcolor=_SHADE,
            line={"width": 0},
            layer="below",
        )
        last = index == len(rows) - 1
        fig.add_annotation(
            x=at + half if last else at - half,
            y=1,
            xref="x",
            yref="paper",
            xanchor="right" if last else "left",
            yanchor="top",
            text=f"partial {word}: {covered:.0%} covered",
            showarrow=False,
            font={"size": 11, "color": _MARK},
        )
    return fig

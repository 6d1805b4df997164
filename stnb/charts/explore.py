"""Small figures and summaries for exploring a frame: column profile, completeness, period bars, lines."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, timedelta

import plotly.graph_objects as go
import polars as pl

from stnb.charts.periods import Period, mark_dates, mark_partial, period_end, period_word
from stnb.charts.theme import COLORS, themed
from stnb.tables.format import words

__all__ = [
    "category_bars",
    "completeness_chart",
    "frame_profile",
    "group_lines",
    "measures",
    "monthly_bars",
    "period_bars",
]

_NESTED = (pl.Struct, pl.List, pl.Array, pl.Object)


def _subtitle(fig: go.Figure, what: str, context: str) -> go.Figure:
    text = f"{what}<br><sup>{context}</sup>" if context else what
    fig.update_layout(title={"text": text})
    return themed(fig)


def frame_profile(frame: pl.DataFrame) -> pl.DataFrame:
    """One row per column: dtype, nulls, filled share, distinct values, min and max (as text)."""
    rows = []
    height = frame.height
    for name, dtype in frame.schema.items():
        column = frame.get_column(name)
        nested = isinstance(dtype, _NESTED)
        nulls = column.null_count()
        comparable = not nested and (dtype.is_numeric() or dtype.is_temporal() or dtype == pl.String)
        rows.append(
            {
                "column": name,
                "dtype": str(dtype),
                "nulls": nulls,
                "filled": (height - nulls) / height if height else 0.0,
                "distinct": None if nested else column.n_unique(),
                "min": _text(column.min()) if comparable and nulls < height else None,
                "max": _text(column.max()) if comparable and nulls < height else None,
            }
        )
    schema = {
        "column": pl.String,
        "dtype": pl.String,
        "nulls": pl.Int64,
        "filled": pl.Float64,
        "distinct": pl.Int64,
        "min": pl.String,
        "max": pl.String,
    }
    return pl.DataFrame(rows, schema=schema)


def _text(value: object) -> str | None:
    return None if value is None else str(value)


def completeness_chart(profile: pl.DataFrame, *, context: str = "") -> go.Figure:
    """Horizontal bars: the share of rows where each column is filled (from `frame_profile`)."""
    rows = profile.sort("filled", "column", descending=[False, True])
    fig = go.Figure(
        go.Bar(
            x=rows["filled"].to_list(),
            y=rows["column"].to_list(),
            orientation="h",
            marker_color=COLORS[0],
            customdata=rows["nulls"].to_list(),
            hovertemplate="%{y}: %{x:.0%} filled (%{customdata:,} nulls)<extra></extra>",
        )
    )
    fig.update_layout(
        xaxis={"title": "rows filled", "tickformat": ".0%", "range": [0, 1]},
        yaxis_title=None,
        hovermode="closest",
        height=max(300, 22 * rows.height + 120),
    )
    return _subtitle(fig, "How complete is each column", context)


def monthly_bars(
    frame: pl.DataFrame,
    *,
    month: str,
    value: str,
    group: str | None = None,
    what: str,
    value_title: str,
    context: str = "",
    month_title: str = "month",
    covered: tuple[date, date] | None = None,
    marks: Mapping[date, str] | None = None,
) -> go.Figure:
    """Stacked bars of `value` per `month`, one colour per `group` (a long frame, one row per bar part).

    Each bar spans its calendar month, so `marks` (date -> label, e.g. a refresh date: a dashed line)
    fall where they happened; `covered` (first, last day of the data) shades months it holds only in part.
    """
    fig = go.Figure()
    groups = frame.get_column(group).unique(maintain_order=True).sort().to_list() if group else [None]
    for index, name in enumerate(groups):
        rows = frame.filter(pl.col(group).eq_missing(name)) if group else frame  # None: the rows without one
        rows = rows.sort(month)
        fig.add_bar(
            name=value_title if not group else "(none)" if name is None else str(name),
            x=rows.get_column(month).to_list(),
            y=rows.get_column(value).to_list(),
            marker_color=COLORS[index % len(COLORS)],
            xperiod="M1",
            xperiodalignment="middle",
        )
    fig.update_layout(barmode="stack", xaxis_title=month_title, yaxis_title=value_title)
    if covered is not None:
        mark_partial(fig, covered[0], covered[1], "1mo", drawn_at="span")
    mark_dates(fig, marks or {})
    return _subtitle(fig, what, context)


def _window_label(start: date, end: date, period: Period) -> str:
    span = f"{start:%Y-%m-%d}" if start == end else f"{start:%Y-%m-%d} – {end:%m-%d}"
    return f"{span} ({period.covered} of {period.days} days)" if period.partial else span


def period_bars(
    frame: pl.DataFrame,
    *,
    start: str = "period_start",
    end: str = "period_end",
    every: str,
    value: str,
    group: str | None = None,
    what: str,
    value_title: str,
    period_title: str,
    context: str = "",
) -> go.Figure:
    """Stacked bars of `value` per window (`start`..`end`, inclusive dates, e.g. a report backfill).

    A window shorter than a whole period of `every` ("1d", "1w", "1mo") is hatched and its label says
    how many days it holds, so a short last window does not read as a drop.
    """
    windows = frame.select(start, end).unique().sort(start)
    labels: dict[date, str] = {}
    partial: set[date] = set()
    for first, last in windows.iter_rows():
        whole = period_end(first, every)
        period = Period(first, whole, (min(last, whole - timedelta(days=1)) - first).days + 1)
        labels[first] = _window_label(first, last, period)
        if period.partial:
            partial.add(first)
    fig = go.Figure()
    groups = frame.get_column(group).unique(maintain_order=True).sort().to_list() if group else [None]
    for index, name in enumerate(groups):
        rows = (frame.filter(pl.col(group).eq_missing(name)) if group else frame).sort(start)
        starts = rows.get_column(start).to_list()
        fig.add_bar(
            name=value_title if not group else "(none)" if name is None else str(name),
            x=[labels[s] for s in starts],
            y=rows.get_column(value).to_list(),
            marker={
                "color": COLORS[index % len(COLORS)],
                "pattern": {"shape": ["/" if s in partial else "" for s in starts], "solidity": 0.5},
            },
        )
    order = [labels[s] for s in windows.get_column(start).to_list()]
    fig.update_layout(
        barmode="stack",
        xaxis={"title": period_title, "type": "category", "categoryorder": "array", "categoryarray": order},
        yaxis_title=value_title,
    )
    if partial:
        note = f"hatched: shorter than a whole {period_word(every)}"
        context = f"{context} · {note}" if context else note
    return _subtitle(fig, what, context)


def group_lines(
    frame: pl.DataFrame,
    *,
    x: str,
    y: str,
    group: str | None,
    what: str,
    value_title: str,
    context: str = "",
    top: int = 8,
) -> go.Figure:
    """One line of `y` over `x` per `group`, for the `top` groups with the largest total `y`."""
    fig = go.Figure()
    if group is None:
        ranked: list[object] = [None]
        shown = ""
    else:
        totals = frame.group_by(group).agg(pl.col(y).sum()).sort([y, group], descending=[True, False])
        ranked = totals.get_column(group).head(top).to_list()
        shown = f" · top {len(ranked)} of {totals.height} by {group}" if totals.height > top else ""
    for index, name in enumerate(ranked):
        rows = (frame.filter(pl.col(group).eq_missing(name)) if group else frame).sort(x)
        fig.add_scatter(
            name=value_title if not group else "(none)" if name is None else str(name),
            x=rows.get_column(x).to_list(),
            y=rows.get_column(y).to_list(),
            mode="lines",
            line={"color": COLORS[index % len(COLORS)], "width": 2},
        )
    fig.update_layout(xaxis_title=None, yaxis_title=value_title)
    return _subtitle(fig, what, f"{context}{shown}")


def measures(frame: pl.DataFrame) -> list[str]:
    """The numeric columns worth charting (not ids), the main one first: money before counts, and among
    money the totals and revenue ("TotalRevenue" before "Invoices")."""
    numeric = [n for n, t in frame.schema.items() if t.is_numeric() and not n.lower().endswith("id")]

    def rank(name: str) -> tuple[int, int]:
        lower = name.lower()
        money = any(word in lower for word in ("revenue", "sales", "amount", "total", "price", "cost"))
        main = "revenue" in lower or lower.startswith("total")
        return (0 if money and main else 1 if money else 2, numeric.index(name))

    return sorted(numeric, key=rank)


def category_bars(
    frame: pl.DataFrame, *, what: str, context: str = "", top: int = 20, value: str | None = None
) -> go.Figure | None:
    """Bars of `value` (default: the main measure, `measures(frame)[0]`) summed per value of the first
    text column (largest first).

    None when the frame has no text column or no numeric column (or no rows) to draw.
    """
    label = next((n for n, t in frame.schema.items() if t == pl.String), None)
    found = measures(frame)
    value = value if value in found else (found[0] if found else None)
    if label is None or value is None or frame.height == 0:
        return None
    totals = (
        frame.group_by(label)
        .agg(pl.col(value).cast(pl.Float64).sum())
        .sort([value, label], descending=[True, False])
        .head(top)
    )
    fig = go.Figure(
        go.Bar(
            x=totals.get_column(label).to_list(),
            y=totals.get_column(value).to_list(),
            marker_color=COLORS[0],
            hovertemplate="%{x}: %{y:,}<extra></extra>",
        )
    )
    fig.update_layout(xaxis_title=words(label), yaxis_title=words(value), hovermode="closest")
    return _subtitle(fig, f"{what}: {words(value).lower()} by {words(label).lower()}", context)

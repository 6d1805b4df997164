"""Small figures and summaries for exploring a frame: column profile, completeness, monthly bars, lines."""

from __future__ import annotations

import plotly.graph_objects as go
import polars as pl

from stnb.charts.theme import COLORS, themed

__all__ = ["category_bars", "completeness_chart", "frame_profile", "group_lines", "monthly_bars"]

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
) -> go.Figure:
    """Stacked bars of `value` per `month`, one colour per `group` (a long frame, one row per bar part)."""
    fig = go.Figure()
    groups = frame.get_column(group).unique(maintain_order=True).sort().to_list() if group else [None]
    for index, name in enumerate(groups):
        rows = frame.filter(pl.col(group) == name) if group else frame
        rows = rows.sort(month)
        fig.add_bar(
            name=str(name) if name is not None else value_title,
            x=rows.get_column(month).to_list(),
            y=rows.get_column(value).to_list(),
            marker_color=COLORS[index % len(COLORS)],
        )
    fig.update_layout(barmode="stack", xaxis_title=month, yaxis_title=value_title)
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
        rows = (frame.filter(pl.col(group) == name) if group else frame).sort(x)
        fig.add_scatter(
            name=str(name) if name is not None else value_title,
            x=rows.get_column(x).to_list(),
            y=rows.get_column(y).to_list(),
            mode="lines",
            line={"color": COLORS[index % len(COLORS)], "width": 2},
        )
    fig.update_layout(xaxis_title=None, yaxis_title=value_title)
    return _subtitle(fig, what, f"{context}{shown}")


def category_bars(frame: pl.DataFrame, *, what: str, context: str = "", top: int = 20) -> go.Figure | None:
    """Bars of the first numeric column summed per value of the first text column (largest first).

    None when the frame has no text column or no numeric column (or no rows) to draw.
    """
    label = next((n for n, t in frame.schema.items() if t == pl.String), None)
    value = next(
        (n for n, t in frame.schema.items() if t.is_numeric() and not n.lower().endswith("id")), None
    )
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
    fig.update_layout(xaxis_title=label, yaxis_title=value, hovermode="closest")
    return _subtitle(fig, what, context)

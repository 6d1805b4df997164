"""Figures for an environment comparison: distributions side by side, monthly counts, changed fields."""

from __future__ import annotations

from typing import TYPE_CHECKING

import plotly.graph_objects as go
import polars as pl

from stnb.charts.theme import COLORS, themed, titled

if TYPE_CHECKING:
    from stnb._compare.comparison import Comparison

__all__ = ["changed_fields_bar", "comparison_figures", "distribution_bars", "monthly_counts_chart"]

_KIND_DASH = {"created": "solid", "modified": "dot"}


def _title(fig: go.Figure, what: str, context: str) -> go.Figure:
    fig.update_layout(title={"text": f"{what}<br><sup>{context}</sup>"})
    return themed(fig)


def distribution_bars(
    dist: pl.DataFrame, field: str, *, labels: tuple[str, str] = ("a", "b"), context: str = ""
) -> go.Figure:
    """Counts of each value of `field` on both sides as grouped bars (from `Comparison.value_diff`)."""
    rows = dist.filter(pl.col("field") == field).with_columns(pl.col("value").fill_null("(null)"))
    fig = go.Figure()
    for side, label, color in (("a", labels[0], COLORS[0]), ("b", labels[1], COLORS[1])):
        fig.add_bar(
            name=label,
            x=rows["value"].to_list(),
            y=rows[side].to_list(),
            marker_color=color,
            customdata=rows[f"share_{side}"].fill_null(0.0).to_list(),
            hovertemplate="%{x}: %{y:,} (%{customdata:.1%})<extra>" + label + "</extra>",
            texttemplate="%{y:,}",  # a value seen on one side only is a bar too short to see
            textposition="outside",
        )
    fig.update_layout(barmode="group", xaxis_title=field, yaxis_title="records", hovermode="closest")
    one_sided = rows.filter((pl.col("a") == 0) | (pl.col("b") == 0))
    if one_sided.height:
        only = ", ".join(
            f"{v} ({labels[0] if a else labels[1]} only)"
            for v, a in zip(one_sided["value"].to_list(), one_sided["a"].to_list(), strict=True)
        )
        context = f"{context}<br>{only}" if context else only
    return _title(fig, f"{field}: values side by side", context)


def monthly_counts_chart(
    monthly: pl.DataFrame,
    *,
    labels: tuple[str, str] = ("a", "b"),
    what: str = "Records per month",
    app: str | None = None,
) -> go.Figure:
    """Records created and modified per month on both sides (from `Comparison.monthly`)."""
    fig = go.Figure()
    for side, label, color in (("a", labels[0], COLORS[0]), ("b", labels[1], COLORS[1])):
        for kind, dash in _KIND_DASH.items():
            rows = monthly.filter(pl.col("kind") == kind)
            fig.add_scatter(
                name=f"{kind} · {label}",
                x=rows["month"].to_list(),
                y=rows[side].to_list(),
                mode="lines+markers",
                line={"color": color, "dash": dash},
            )
    fig.update_layout(yaxis_title="records", xaxis_title="month (UTC)")
    months = monthly["month"].drop_nulls()
    start = months.min() if len(months) else None
    end = months.max() if len(months) else None
    return titled(fig, what, app, f"{labels[0]} vs {labels[1]}", start, end)  # type: ignore[arg-type]


def changed_fields_bar(changed_fields: pl.DataFrame, *, context: str = "") -> go.Figure:
    """How many shared records changed each field (from `Comparison.record_diff.changed_fields`)."""
    rows = changed_fields.sort("records")
    fig = go.Figure(
        go.Bar(
            x=rows["records"].to_list(),
            y=rows["field"].to_list(),
            orientation="h",
            marker_color=COLORS[2],
            hovertemplate="%{y}: %{x:,} records<extra></extra>",
        )
    )
    fig.update_layout(xaxis_title="records changed", yaxis_title="field", hovermode="closest")
    return _title(fig, "Changed fields in records on both sides", context)


def comparison_figures(cmp: Comparison) -> dict[str, go.Figure]:
    """All figures: `distribution:<field>` per categorical field, `monthly`, `changed_fields`."""
    labels = (f"a: {cmp.a.env}", f"b: {cmp.b.env}")
    context = f"{cmp.resource} · {cmp.a.label} vs {cmp.b.label} · {cmp.method}"
    figures: dict[str, go.Figure] = {}
    for name in cmp.value_diff["field"].unique(maintain_order=True).to_list():
        figures[f"distribution:{name}"] = distribution_bars(
            cmp.value_diff, name, labels=labels, context=context
        )
    apps = sorted({app for app in (cmp.a.app, cmp.b.app) if app})
    figures["monthly"] = monthly_counts_chart(
        cmp.monthly,
        labels=labels,
        what=f"{cmp.resource}: records per month",
        app=" / ".join(apps) or None,
    )
    figures["changed_fields"] = changed_fields_bar(cmp.record_diff.changed_fields, context=context)
    return figures

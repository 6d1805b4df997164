"""Figures for `stnb.recipes`: each recipe's answer as bars, and a reconciliation as a waterfall from the
plain list sum, through each named cause, to the report's figure."""

from __future__ import annotations

from typing import TYPE_CHECKING

import plotly.graph_objects as go
import polars as pl

from stnb.charts.theme import COLORS, LIMIT_COLOR, themed
from stnb.tables import words

if TYPE_CHECKING:
    from stnb.recipes import RecipeResult, Reconciliation

__all__ = ["CHART_COLUMNS", "LABELS", "recipe_chart", "reconciliation_waterfall"]

# Which columns each recipe's chart shows, and whether its bars stack.
CHART_COLUMNS: dict[str, tuple[tuple[str, ...], bool]] = {
    "revenue_by_business_unit": (("CompletedRevenue", "AdjustmentRevenue", "NonJobRevenue"), True),
    "revenue_by_technician": (("CompletedRevenue",), False),
    "campaign_attribution": (("Leads", "BookedLeads", "CompletedJobs"), False),
    "membership_retention": (("ActiveAtStart", "NewSales", "Canceled", "Expired", "ActiveAtEnd"), False),
    "receivables_aging": (("Current", "Days31To60", "Days61To90", "Days91To120", "Over120"), True),
    "technician_utilization": (("Utilization",), False),
}
# Headers `words()` cannot derive from the column names.
LABELS = {
    "NonJobRevenue": "Non-job revenue",
    "Days31To60": "31–60 days",
    "Days61To90": "61–90 days",
    "Days91To120": "91–120 days",
    "Over120": "Over 120 days",
}


def recipe_chart(result: RecipeResult, *, top: int = 15) -> go.Figure:
    """The recipe's figures per key (business unit, technician, ...) as horizontal bars, largest first."""
    recipe = result.recipe
    columns, stacked = CHART_COLUMNS.get(recipe.name, ((recipe.figures[0].name,), False))
    frame = result.frame
    present = [c for c in columns if c in frame.columns]
    if frame.height and present:
        frame = (
            frame.with_columns(pl.sum_horizontal(present).alias("_size"), pl.col("name").fill_null("(none)"))
            .sort("_size", descending=True)
            .head(top)
            .reverse()
        )
    fig = go.Figure()
    for i, column in enumerate(present):
        fig.add_bar(
            name=words(column, LABELS),
            y=frame["name"].to_list() if frame.height else [],
            x=frame[column].to_list() if frame.height else [],
            orientation="h",
            marker_color=COLORS[i % len(COLORS)],
            hovertemplate="%{y}: %{x:,}<extra>" + words(column, LABELS) + "</extra>",
        )
    unit = next((f.unit for f in recipe.figures if f.name in present), "count")
    fig.update_layout(
        barmode="stack" if stacked else "group",
        title={"text": f"{recipe.title}<br><sup>{result.period}</sup>"},
        xaxis_title={"money": "US dollars", "hours": "hours"}.get(
            unit, "share" if "Utilization" in present else "count"
        ),
        height=max(320, 28 * max(frame.height, 1) + 160),
        legend={"orientation": "h", "y": -0.15},
    )
    if "Utilization" in present:
        fig.update_xaxes(tickformat=".0%")
    return themed(fig)


def reconciliation_waterfall(check: Reconciliation, figure: str | None = None) -> go.Figure:
    """From the plain list sum, each cause's step, to the recipe's figure, beside the report's."""
    fig_name = figure or check.figures[0].name
    totals = check.totals().filter(pl.col("figure") == fig_name)
    if totals.height == 0:
        raise ValueError(f"no figure {fig_name!r}; figures: {', '.join(f.name for f in check.figures)}")
    row = totals.row(0, named=True)
    causes = [c for c in (*check.result.recipe.causes, "rounding") if abs(row.get(c, 0.0)) > 1e-9]
    labels = ["plain list sum", *causes, "reconciled", "report"]
    values = [row["baseline"], *[row[c] for c in causes], 0.0, row["report"]]  # a total's value is computed
    measures = ["absolute", *["relative"] * len(causes), "total", "absolute"]
    fig = go.Figure(
        go.Waterfall(
            x=labels,
            y=values,
            measure=measures,
            connector={"line": {"color": "#9CA3AF"}},
            increasing={"marker": {"color": COLORS[2]}},
            decreasing={"marker": {"color": COLORS[5]}},
            totals={"marker": {"color": COLORS[0]}},
            hovertemplate="%{x}: %{y:,.2f}<extra></extra>",
        )
    )
    left = row["unexplained"]
    note = "nothing unexplained" if abs(left) < 1e-9 else f"unexplained: {left:,.2f}"
    label = words(fig_name, LABELS)
    fig.update_layout(
        title={"text": f"{label}: list sum to report<br><sup>{check.result.period} · {note}</sup>"},
        showlegend=False,
        yaxis_title=label,
        height=380,
    )
    if abs(left) >= 1e-9:
        fig.add_annotation(
            text=note, xref="paper", yref="paper", x=1, y=1.08, showarrow=False, font={"color": LIMIT_COLOR}
        )
    return themed(fig)

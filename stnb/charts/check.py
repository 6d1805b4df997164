"""The live check's figures: findings by resource and severity, known deviations by status.

The check's page is `stnb.pages.check_report`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import plotly.graph_objects as go
import polars as pl

from stnb._check.findings import SEVERITIES
from stnb.charts.theme import themed

if TYPE_CHECKING:
    from stnb._check.result import CheckResult

__all__ = ["check_figures"]

_COLORS = {"breaks a client": "#c0392b", "loses data silently": "#e67e22", "cosmetic": "#7f8c8d"}


def check_figures(result: CheckResult) -> dict[str, go.Figure]:
    """`findings` (stacked bars per resource and severity) and `known_deviations` (bars per status)."""
    findings = result.findings
    by = (
        findings.with_columns(pl.col("severity").cast(pl.String))
        .group_by("resource", "severity")
        .len()
        .sort("resource")
    )
    fig = go.Figure()
    for severity in SEVERITIES:
        part = by.filter(pl.col("severity") == severity)
        fig.add_bar(
            x=part["len"].to_list(),
            y=part["resource"].to_list(),
            name=severity,
            orientation="h",
            marker_color=_COLORS[severity],
        )
    fig.update_layout(barmode="stack", title="Findings by resource and severity", xaxis_title="findings")
    status = (
        result.quirks.with_columns(pl.col("status").cast(pl.String)).group_by("status").len().sort("status")
    )
    quirks = go.Figure(go.Bar(x=status["status"].to_list(), y=status["len"].to_list()))
    quirks.update_layout(title="Known deviations", yaxis_title="deviations")
    return {"findings": themed(fig), "known_deviations": themed(quirks)}

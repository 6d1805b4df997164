"""Charts of recipes and reconciliations (presentation layer): what each figure shows."""

from __future__ import annotations

import warnings

import plotly.graph_objects as go
import pytest

from stnb import recipes
from stnb._connection import Connection
from stnb.charts.recipes import CHART_COLUMNS, LABELS, recipe_chart, reconciliation_waterfall
from stnb.tables import words

MARCH = ("2026-03-01", "2026-03-31")


@pytest.mark.parametrize("name", recipes.names())
def test_each_recipe_has_a_chart_of_its_columns(production: Connection, name: str) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        result = recipes.get(name).run(production, MARCH)
    fig = recipe_chart(result, top=5)
    assert isinstance(fig, go.Figure)
    columns, _stacked = CHART_COLUMNS[name]
    assert [t.name for t in fig.data] == [words(c, LABELS) for c in columns if c in result.frame.columns]
    assert all(len(t.y) <= 5 for t in fig.data)
    assert result.recipe.title in fig.layout.title.text


def test_the_waterfall_walks_from_the_list_sum_to_the_report(production: Connection) -> None:
    check = recipes.get("revenue_by_business_unit").run(production, MARCH).reconcile()
    fig = reconciliation_waterfall(check, "CompletedRevenue")
    (trace,) = fig.data
    totals = check.totals().filter(check.totals()["figure"] == "CompletedRevenue").row(0, named=True)
    labels = list(trace.x)
    assert labels[0] == "plain list sum" and labels[-2:] == ["reconciled", "report"]
    assert "date basis" in labels and "adjustments" in labels and "non-income items" in labels
    assert trace.y[0] == totals["baseline"] and trace.y[-1] == totals["report"]
    assert sum(trace.y[:-2]) == pytest.approx(totals["report"], abs=0.01)
    assert "nothing unexplained" in fig.layout.title.text
    with pytest.raises(ValueError, match="no figure 'Nope'"):
        reconciliation_waterfall(check, "Nope")

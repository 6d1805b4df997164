"""Every recipe, over several periods (some across a DST change, one in another tenant's zone), matches
the sandbox's report to the cent once the named causes are applied; nothing is left unexplained."""

from __future__ import annotations

import warnings

import polars as pl
import pytest

from stnb import recipes
from stnb._connection import Connection
from stnb.recipes import ROUNDING

# (first, last) tenant-local days. New York springs forward on 2026-03-08 and falls back on 2025-11-02;
# Los Angeles falls back on 2025-11-02 too. 2026-11 is after the refresh: production's new records.
PERIODS = [
    ("2026-03-01", "2026-03-31"),
    ("2025-11-01", "2025-11-30"),
    ("2026-03-07", "2026-03-09"),
    ("2026-08-01", "2026-08-31"),
    ("2026-11-01", "2026-11-27"),
]


def _check(st: Connection, name: str, period: tuple[str, str]) -> recipes.Reconciliation:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        result = recipes.get(name).run(st, period)
        return result.reconcile()


def _assert_reconciled(check: recipes.Reconciliation, *, allow_empty: bool = False) -> None:
    table = check.table
    assert table.height > 0 or allow_empty
    assert check.ok, check.table.filter(pl.col("unexplained") != 0)
    if table.height == 0:
        return
    assert table["unexplained"].abs().max() == 0
    # key by key: recipe + rounding is the report to the cent (or the hundredth of an hour) ...
    gap = (table["recipe"] + table[ROUNDING] - table["report"]).abs()
    assert float(gap.max()) < 0.005  # type: ignore[arg-type]
    # ... and the baseline plus every named cause is the recipe's figure
    causes = [*check.result.recipe.causes]
    summed = table["baseline"] + table.select(pl.sum_horizontal(causes)).to_series()
    assert float((summed - table["recipe"]).abs().max()) < 0.005  # type: ignore[arg-type]
    # rounding is only ever sub-cent noise of split or fractional records, never a hidden difference
    for row in check.causes.filter(pl.col("cause") == ROUNDING).iter_rows(named=True):
        assert abs(row["amount"]) <= 0.01 * max(1, row["records"])


@pytest.mark.parametrize("period", PERIODS, ids=lambda p: f"{p[0]}..{p[1]}")
@pytest.mark.parametrize("name", recipes.names())
def test_recipe_reconciles_with_its_report(
    production: Connection, name: str, period: tuple[str, str]
) -> None:
    check = _check(production, name, period)
    # production's jobs after the refresh (2026-10-07) have no technician assignments in the demo world
    unassigned = name == "revenue_by_technician" and period[0] >= "2026-10-07"
    _assert_reconciled(check, allow_empty=unassigned)
    # the report was found by category and name (no hard-coded id) and returned rows
    assert check.report.height > 0 or unassigned
    assert any(p.resource.startswith("report ") for p in check.pulls)


@pytest.mark.parametrize("name", recipes.names())
def test_recipe_reconciles_in_another_time_zone_across_fall_back(pacific: Connection, name: str) -> None:
    assert pacific.timezone == "America/Los_Angeles"
    _assert_reconciled(_check(pacific, name, ("2025-10-26", "2025-11-08")))


def test_a_business_unit_filter_reaches_the_report_and_the_recipe(production: Connection) -> None:
    whole = _check(production, "revenue_by_business_unit", ("2026-03-01", "2026-03-31"))
    unit = int(whole.table.filter(pl.col("figure") == "TotalRevenue").sort("report")["key"].to_list()[-1])
    for name in (
        "revenue_by_business_unit",
        "revenue_by_technician",
        "receivables_aging",
        "technician_utilization",
    ):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            result = recipes.get(name).run(production, ("2026-03-01", "2026-03-31"), business_unit=unit)
            check = result.reconcile()
        _assert_reconciled(check)
        if name in ("revenue_by_business_unit", "receivables_aging"):
            assert set(check.table["key"].drop_nulls().to_list()) == {unit}
    one = whole.table.filter((pl.col("figure") == "TotalRevenue") & (pl.col("key") == unit))["report"].item()
    only = recipes.get("revenue_by_business_unit").run(
        production, ("2026-03-01", "2026-03-31"), business_unit=unit
    )
    assert only.totals()["TotalRevenue"] == pytest.approx(one, abs=0.001)


def test_a_wrong_report_figure_is_left_unexplained(production: Connection) -> None:
    """The check can fail: a report that differs by one cent shows an unexplained cent."""
    result = recipes.get("revenue_by_business_unit").run(production, ("2026-03-01", "2026-03-31"))
    report = result.reconcile().report
    tampered = report.with_columns(
        pl.when(pl.int_range(pl.len()) == 0)
        .then(pl.col("TotalRevenue") + 0.01)
        .otherwise(pl.col("TotalRevenue"))
    )
    check = result.reconcile(report=tampered)
    assert not check.ok
    assert check.unexplained == pytest.approx(0.01)
    assert "UNEXPLAINED: +$0.01" in str(check)


def test_a_report_without_the_recipes_fields_is_refused(production: Connection) -> None:
    result = recipes.get("revenue_by_business_unit").run(production, ("2026-03-01", "2026-03-31"))
    with pytest.raises(ValueError, match="lacks the fields CompletedRevenue, "):
        result.reconcile(report=pl.DataFrame({"BusinessUnitId": [1], "Name": ["x"]}))


def test_a_tenants_report_keyed_by_name_with_some_figures_reconciles(production: Connection) -> None:
    """A live tenant's built-in revenue report has names and a few figures, no business unit ids."""
    recipe = recipes.get("revenue_by_business_unit")
    report = recipe.run(production, ("2026-03-01", "2026-03-31")).reconcile().report
    builtin = report.select("Name", "CompletedRevenue", "AdjustmentRevenue", "TotalRevenue", "NonJobRevenue")
    builtin = pl.concat(
        [builtin, pl.DataFrame({"Name": ["Roofing"], "CompletedRevenue": [0.0]})], how="diagonal"
    )
    check = recipe.reconcile(production, ("2026-03-01", "2026-03-31"), report=builtin)
    assert check.ok and check.skipped == ("CompletedJobs",)
    assert [f.name for f in check.figures] == [
        "CompletedRevenue",
        "AdjustmentRevenue",
        "NonJobRevenue",
        "TotalRevenue",
    ]
    assert set(check.table["figure"].to_list()) == {f.name for f in check.figures}
    roofing = check.table.filter(pl.col("name") == "Roofing")
    assert roofing.height == 4 and roofing["key"].is_null().all()  # a unit the recipe never saw: no id
    assert check.rows(figure="CompletedJobs").height == 0

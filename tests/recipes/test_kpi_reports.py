"""The sandbox's KPI reports: found by category and name, their fields as described, and figures that
agree with one another (the reports are checked against the world's records here; the recipes are
checked against the reports in test_reconciliation)."""

from __future__ import annotations

import polars as pl
import pytest

from stnb._connection import Connection
from stnb.sandbox import Sandbox
from stnb.sandbox.reports import KPI_REPORTS

MARCH = {"From": "2026-03-01", "To": "2026-03-31"}


def _run(st: Connection, category: str, name: str, **params: object) -> pl.DataFrame:
    report = next(r for r in st.reports.list(category) if r.name == name)
    return st.reports.run(category, report.id, **params)  # type: ignore[no-any-return]


@pytest.mark.parametrize("report", KPI_REPORTS, ids=lambda r: r.name)
def test_each_report_is_listed_described_and_runs(production: Connection, report: object) -> None:
    category, name = report.category, report.name  # type: ignore[attr-defined]
    listed = {r.name for r in production.reports.list(category)}
    assert name in listed
    params = {"AsOf": "2026-03-31"} if name == "AR Aging Summary" else MARCH
    frame = _run(production, category, name, **params)
    assert frame.columns == [f.name for f in report.fields]  # type: ignore[attr-defined]
    assert frame.height > 0


def test_total_revenue_is_the_sum_of_its_parts_and_of_the_technicians_share(production: Connection) -> None:
    units = _run(production, "business-unit-dashboard", "Business Unit Performance", **MARCH)
    parts = units["CompletedRevenue"] + units["NonJobRevenue"] + units["AdjustmentRevenue"]
    assert ((parts - units["TotalRevenue"]).abs() < 0.005).all()
    techs = _run(production, "technician-dashboard", "Technician Revenue", **MARCH)
    # every completed job has technicians: the split shares add up to completed revenue (within rounding)
    assert (
        abs(float(techs["CompletedRevenue"].sum()) - float(units["CompletedRevenue"].sum()))
        < 0.01 * techs.height
    )


def test_completed_revenue_counts_income_items_of_jobs_completed_in_the_local_days(
    production: Connection, sandbox: Sandbox
) -> None:
    """Computed from the world directly: jobs completed in New York days, income items, no adjustments."""
    world = sandbox.world("production")
    start, end = pl.datetime(2026, 3, 1, 5, time_zone="UTC"), pl.datetime(2026, 4, 1, 4, time_zone="UTC")
    jobs = world.jobs().filter(
        pl.col("active")
        & (pl.col("jobStatus") == "Completed")
        & (pl.col("completedOn") >= start)
        & (pl.col("completedOn") < end)
    )
    items = (
        world.invoices()
        .filter(pl.col("active") & pl.col("adjustmentToId").is_null())
        .filter(pl.col("job").struct.field("id").is_in(jobs["id"].implode()))
        .select(pl.col("items").explode())
        .unnest("items")
    )
    expected = items.filter(pl.col("generalLedgerAccount").struct.field("type") == "Income")["total"]
    cents = sum(round(float(v) * 100) for v in expected.to_list())
    units = _run(production, "business-unit-dashboard", "Business Unit Performance", **MARCH)
    assert round(float(units["CompletedRevenue"].sum()) * 100) == cents
    assert int(units["CompletedJobs"].sum()) == jobs.height


def test_a_business_unit_filter_keeps_one_row(production: Connection) -> None:
    units = _run(production, "business-unit-dashboard", "Business Unit Performance", **MARCH)
    one = int(units["BusinessUnitId"][0])
    only = _run(
        production, "business-unit-dashboard", "Business Unit Performance", **MARCH, BusinessUnitIds=[one]
    )
    assert only["BusinessUnitId"].to_list() == [one]
    assert only.row(0) == units.row(0)


def test_utilization_splits_hours_at_local_midnight(production: Connection) -> None:
    frame = _run(production, "technician-dashboard", "Technician Utilization", **MARCH)
    assert set(frame["AvailableHours"].to_list()) == {8.0 * 22}  # 22 weekdays in March 2026
    assert ((frame["Utilization"] - frame["BookedHours"] / frame["AvailableHours"]).abs() < 1e-4).all()

"""What the notebooks' text claims about the sandbox, checked here (the notebooks themselves hold no asserts).

Each test runs the same calls as the notebook cell it names, on the embedded sandbox.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import polars as pl
import pytest

import stnb
from stnb.charts.periods import PARTIAL_SHAPE, periods_between
from stnb.sandbox import default_sandbox


@pytest.fixture(scope="module")
def demo_portal(tmp_path_factory: pytest.TempPathFactory) -> pl.DataFrame:
    from stnb.sandbox.demo_usage import build_demo_usage
    from stnb.usage import import_portal_reports

    demo = build_demo_usage(tmp_path_factory.mktemp("demo"))
    return import_portal_reports(demo.portal_dir)


def test_03_the_churning_tenant_comes_first_among_movers(demo_portal: pl.DataFrame) -> None:
    from stnb.usage import analytics

    movers = analytics.top_movers(demo_portal, by=["tenant", "tenant_name"], weeks=4)
    churned = movers.row(0, named=True)
    assert (churned["status"], churned["recent"], churned["change_pct"]) == ("stopped", 0, -100.0)


def test_03_the_launch_and_the_shaded_partial_weeks(demo_portal: pl.DataFrame) -> None:
    from stnb.charts import usage as usage_charts
    from stnb.usage import analytics

    families = usage_charts.family_area(demo_portal, every="1w")
    shown = usage_charts.context(demo_portal)
    partial = [p for p in periods_between(shown.start, shown.end, "1w") if p.partial]
    assert len([s for s in families.layout.shapes if s.name == PARTIAL_SHAPE]) == len(partial)
    weekly = analytics.calls_over_time(demo_portal, "1w", "api").filter(pl.col("api") == "Sales & Estimates")
    started = weekly.filter(pl.col("calls") > 0)["period"].min()
    assert started > weekly["period"].min()
    assert (weekly.filter(pl.col("period") >= started)["calls"] > 0).all()


def test_01_twelve_whole_months_with_the_refresh_marked_and_a_trickle_after(no_credentials: Path) -> None:
    from stnb.charts.explore import monthly_bars
    from stnb.tenant_time import local_day_bounds, preset_days, rfc3339

    st = stnb.connect()
    this_month, _ = preset_days("month_to_date", st.timezone)
    first_month = date(this_month.year - 1, this_month.month, 1)
    since, before = (rfc3339(local_day_bounds(day, st.timezone)[0]) for day in (first_month, this_month))
    invoices = st.frame("accounting/invoices", invoicedOnOrAfter=since, invoicedOnBefore=before)
    refresh = default_sandbox().world(st.env, int(st.tenant)).refresh_date.date()
    revenue = (
        invoices.with_columns(
            month=pl.col("invoiceDate").dt.convert_time_zone(st.timezone).dt.truncate("1mo").dt.date()
        )
        .group_by("month")
        .agg(revenue=pl.col("total").sum().cast(pl.Float64))
        .sort("month")
    )
    assert revenue["month"].min() >= first_month and revenue["month"].max() < this_month
    chart = monthly_bars(
        revenue.with_columns(group=pl.lit("all")),
        month="month",
        value="revenue",
        group="group",
        what="Revenue",
        value_title="USD",
        month_title="month",
        context="test",
        marks={refresh: "integration copied from production"},
    )
    assert any(shape.type == "line" for shape in chart.layout.shapes)
    after = revenue.filter(pl.col("month") > refresh.replace(day=1))["revenue"]
    earlier = revenue.filter(pl.col("month") < refresh.replace(day=1))["revenue"]
    assert after.len() and after.max() < 0.2 * earlier.min()


def test_02_before_the_refresh_month_the_environments_agree(no_credentials: Path) -> None:
    from stnb import compare

    customers = compare("crm/customers", "integration", "production")
    refresh = default_sandbox().world("integration", int(customers.a.tenant)).refresh_date.date()
    earlier = customers.monthly.filter(pl.col("month") < refresh.replace(day=1))
    created, modified = (earlier.filter(pl.col("kind") == kind)["delta"] for kind in ("created", "modified"))
    assert (created == 0).all(), "created records differ before the refresh month"
    assert (modified <= 0).all() and 0 < -modified.sum() <= customers.record_diff.n_changed


def test_04_integration_holds_a_small_fraction_of_last_month(no_credentials: Path) -> None:
    from stnb.sandbox.reports import set_default_runs_per_minute

    set_default_runs_per_minute(30)
    st, prod = stnb.connect(), stnb.connect("production")
    st.reports.limiter.runs_per_minute = prod.reports.limiter.runs_per_minute = 30
    revenue = st.reports.run("business-unit-dashboard", 175, period="last_month")
    prod_revenue = prod.reports.run("business-unit-dashboard", 175, period="last_month")
    assert revenue["TotalRevenue"].sum() < 0.2 * prod_revenue["TotalRevenue"].sum()


def test_04_the_short_weeks_of_a_backfill_are_hatched(no_credentials: Path, tmp_path: Path) -> None:
    from stnb.charts.explore import period_bars
    from stnb.tenant_time import local_dates

    prod = stnb.connect("production")
    prod.reports.limiter.runs_per_minute = 30
    start, end = local_dates("last_month", prod.timezone)
    weekly = prod.reports.backfill(
        "business-unit-dashboard", 175, start=start, end=end, step="1w", checkpoint=tmp_path / "backfill"
    )
    chart = period_bars(
        weekly,
        every="1w",
        value="TotalRevenue",
        group="Name",
        what="Revenue by business unit per week",
        value_title="USD",
        period_title="week",
        context="test",
    )
    days = (pl.col("period_end") - pl.col("period_start")).dt.total_days() + 1
    short = weekly.filter(days < 7)["period_start"].n_unique()
    assert sum(1 for shape in chart.data[0].marker.pattern.shape if shape) == short

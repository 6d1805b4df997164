"""Reports against the full sandbox through `stnb.connect()`: the figures agree with the list endpoints.

Each (environment, tenant, report) runs once here, so the sandbox's per-minute limit never applies.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime
from decimal import Decimal

import polars as pl
import pytest

import stnb
from stnb import tenant_time
from stnb._clock import FakeClock
from stnb._connection import Connection
from stnb.sandbox import Sandbox

ANCHOR = datetime(2026, 11, 28, tzinfo=UTC)
REVENUE = ("business-unit-dashboard", 175)


@pytest.fixture(scope="module")
def clock() -> FakeClock:
    return FakeClock(start=ANCHOR)


@pytest.fixture(scope="module")
def sandbox(clock: FakeClock) -> Iterator[Sandbox]:
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("STNB_LEDGER", "off")
        yield Sandbox(seed=0, anchor=ANCHOR, clock=clock)


def connect(
    sandbox: Sandbox, clock: FakeClock, env: str = "integration", tenant: str | None = None
) -> Connection:
    return stnb.connect(env=env, sandbox=sandbox, tenant=tenant, clock=clock, progress=False)


def revenue_versus_invoices(st: Connection, first: str, last: str, report: pl.DataFrame) -> None:
    """The report's total and per-unit figures equal the invoices list's for the same local days."""
    start = tenant_time.local_day_bounds(date.fromisoformat(first), st.timezone)[0]
    end = tenant_time.local_day_bounds(date.fromisoformat(last), st.timezone)[1]
    invoices = st.frame("accounting/invoices", invoicedOnOrAfter=start, invoicedOnBefore=end)
    assert invoices.height > 0 and invoices.height == report["Invoices"].sum()
    listed = sum((Decimal(str(v)) for v in invoices["total"].to_list()), Decimal(0))
    reported = sum((Decimal(str(v)) for v in report["TotalRevenue"].to_list()), Decimal(0))
    assert reported == listed
    per_unit = (
        invoices.group_by(pl.col("businessUnit").struct.field("id").alias("BusinessUnitId"))
        .agg(pl.col("total").cast(pl.Float64).sum().round(2).alias("listed"))
        .join(report.select("BusinessUnitId", "TotalRevenue"), on="BusinessUnitId", how="left")
    )
    assert (per_unit["listed"] == per_unit["TotalRevenue"]).all()


def test_revenue_matches_invoices_over_spring_forward_in_new_york(sandbox: Sandbox, clock: FakeClock) -> None:
    st = connect(sandbox, clock)
    assert st.timezone == "America/New_York"
    report = st.reports.run(*REVENUE, From="2026-03-01", To="2026-03-31")
    revenue_versus_invoices(st, "2026-03-01", "2026-03-31", report)


def test_revenue_matches_invoices_over_fall_back_in_los_angeles(sandbox: Sandbox, clock: FakeClock) -> None:
    st = connect(sandbox, clock, tenant="Pacific Breeze Plumbing & Air")
    assert st.timezone == "America/Los_Angeles"
    report = st.reports.run(*REVENUE, From="2025-10-26", To="2025-11-08")
    revenue_versus_invoices(st, "2025-10-26", "2025-11-08", report)


def test_period_preset_and_list_filters_cover_the_same_invoices(sandbox: Sandbox, clock: FakeClock) -> None:
    st = connect(sandbox, clock, env="production")
    report = st.reports.run(*REVENUE, period="last_month")
    filters = tenant_time.filters("last_month", st.timezone, field="invoiced", now=clock.utcnow())
    assert filters == {
        "invoicedOnOrAfter": "2026-10-01T04:00:00Z",
        "invoicedOnBefore": "2026-11-01T04:00:00Z",
    }
    invoices = st.frame("accounting/invoices", **filters)
    assert invoices.height == report["Invoices"].sum() > 0
    assert round(float(invoices["total"].cast(pl.Float64).sum()), 2) == round(report["TotalRevenue"].sum(), 2)


def test_every_sandbox_report_runs_on_the_demo_world(sandbox: Sandbox, clock: FakeClock) -> None:
    st = connect(sandbox, clock, tenant="Prairie Electric & Heating")
    values = {"From": "2026-01-01", "To": "2026-06-30", "AsOf": "2026-06-30"}
    ran = []
    for summary in st.reports.list():
        description = st.reports.describe(summary.category, summary.id)
        params = {name: values[name] for name in description.required}
        frame = st.reports.run(summary.category, summary.id, **params)
        assert frame.columns == [f.name for f in description.fields]
        assert frame.height > 0, summary.name
        ran.append(summary.id)
    assert len(ran) >= 6

"""Each recipe's request count is bounded, printed, and no transactional resource is pulled whole."""

from __future__ import annotations

import warnings

import polars as pl
import pytest

from stnb import recipes
from stnb._connection import Connection
from stnb._text import plural
from stnb.sandbox import Sandbox

# Reference lists (a few dozen rows) may be pulled whole; anything else needs a date or id filter.
REFERENCE = {
    "settings/business-units",
    "settings/technicians",
    "marketing/campaigns",
    "memberships/membership-types",
}
FILTERS = ("OnOrAfter", "Before", "After", "ids", "Ids", "balanceFilter")
# Requests a month of the default demo tenant may take, per recipe (pages of 1000, ids by 50).
BOUNDS = {
    "revenue_by_business_unit": 8,
    "revenue_by_technician": 10,
    "campaign_attribution": 10,
    "membership_retention": 3,
    "receivables_aging": 8,
    "technician_utilization": 20,
}


@pytest.mark.parametrize("name", recipes.names())
@pytest.mark.parametrize(
    "period", [("2026-03-01", "2026-03-31"), ("2025-11-01", "2025-11-30"), ("2026-11-01", "2026-11-27")]
)
def test_a_month_takes_a_bounded_number_of_filtered_requests(
    production: Connection, sandbox: Sandbox, name: str, period: tuple[str, str]
) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        result = recipes.get(name).run(production, period)
    assert 0 < result.requests <= BOUNDS[name], result.describe_requests()
    assert result.requests == sum(p.requests for p in result.pulls)
    world = sandbox.world("production")
    sizes = {"jpm/jobs": world.jobs().height, "accounting/invoices": world.invoices().height}
    for pull in result.pulls:
        if pull.resource in REFERENCE:
            continue
        assert any(marker in name for name in pull.filters for marker in FILTERS), pull
        if pull.resource in sizes:
            assert pull.rows < sizes[pull.resource] / 5, pull  # never the whole resource
    text = result.describe_requests()
    assert text.startswith(f"{name}: {plural(result.requests, 'request')} to the list endpoints")
    assert all(p.resource in text for p in result.pulls)


def test_reconcile_counts_the_report_requests_apart(production: Connection) -> None:
    result = recipes.get("membership_retention").run(production, ("2026-03-01", "2026-03-31"))
    check = result.reconcile()
    assert [p.resource for p in check.pulls] == ["report marketing/Membership Summary"]
    assert check.pulls[0].requests == 1 and check.pulls[0].rows == check.report.height
    assert result.requests == 2  # the recipe's own pulls are unchanged by reconciling


def test_technician_revenue_with_a_business_unit_filters_at_the_source(production: Connection) -> None:
    result = recipes.get("revenue_by_technician").run(
        production, ("2026-03-01", "2026-03-31"), business_unit=1001
    )
    jobs = next(p for p in result.pulls if p.resource == "jpm/jobs")
    assert jobs.filters["businessUnitId"] == "1001"
    assert result.frame.height == 0 or pl.Series(result.frame["CompletedJobs"]).sum() > 0

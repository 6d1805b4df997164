"""The recipes' public surface: names, lookup errors, periods, frames, explanations, import boundaries."""

from __future__ import annotations

import ast
import warnings
from datetime import UTC, date, datetime
from pathlib import Path

import polars as pl
import pytest

import stnb
from stnb import recipes
from stnb._connection import Connection
from stnb.errors import ValidationError
from stnb.recipes import Period

PACKAGE = Path(stnb.__file__).parent


def test_every_recipe_the_issue_asks_for_is_there() -> None:
    assert recipes.names() == [
        "revenue_by_business_unit",
        "revenue_by_technician",
        "campaign_attribution",
        "membership_retention",
        "receivables_aging",
        "technician_utilization",
    ]
    overview = recipes.overview()
    assert overview["name"].to_list() == recipes.names()
    assert overview.filter(pl.col("name") == "campaign_attribution")["by_business_unit"].item() is False


def test_an_unknown_recipe_suggests_the_closest_name() -> None:
    with pytest.raises(recipes.UnknownRecipeError, match="Did you mean 'revenue_by_technician'"):
        recipes.get("revenue_by_technicain")


def test_periods_resolve_presets_in_the_tenants_zone() -> None:
    now = datetime(2026, 3, 15, 3, 0, tzinfo=UTC)  # still 14 March in New York
    p = Period.resolve("yesterday", "America/New_York", now)
    assert (p.first, p.last) == (date(2026, 3, 13), date(2026, 3, 13))
    march = Period.resolve(("2026-03-01", "2026-03-31"), "America/New_York")
    assert march.start == datetime(2026, 3, 1, 5, tzinfo=UTC)  # EST
    assert march.end == datetime(2026, 4, 1, 4, tzinfo=UTC)  # EDT after the spring change
    assert march.utc_start == datetime(2026, 3, 1, tzinfo=UTC)
    assert (march.outer_start, march.outer_end) == (march.utc_start, march.end)
    assert march.report_params() == {"From": "2026-03-01", "To": "2026-03-31"}
    assert Period.resolve("last_month", "UTC", now).first == date(2026, 2, 1)


@pytest.mark.parametrize("bad", ["lastmonth", ("2026-03-31", "2026-03-01"), ("2026-13-01", "2026-03-01"), 42])
def test_bad_periods_fail_before_any_request(bad: object) -> None:
    with pytest.raises(ValidationError):
        Period.resolve(bad, "America/New_York")


def test_frame_totals_and_explanation(production: Connection) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        result = recipes.get("revenue_by_business_unit").run(production, ("2026-03-01", "2026-03-31"))
    frame = result.frame
    assert frame.columns[:2] == ["key", "name"]
    assert {"CompletedRevenue", "TotalRevenue", "CompletedJobs"} <= set(frame.columns)
    assert frame["CompletedJobs"].dtype == pl.Int64
    totals = result.totals()
    assert totals["TotalRevenue"] == pytest.approx(float(frame["TotalRevenue"].sum()), abs=0.01)
    check = result.reconcile()
    text = str(check)
    assert text.startswith("Revenue by business unit, 2026-03-01 to 2026-03-31 (America/New_York)")
    assert "nothing is left unexplained" in text and "UNEXPLAINED" not in text
    assert "date basis" in text and "non-income items" in text
    causes = check.causes
    assert set(causes.columns) == {"figure", "cause", "amount", "records"}
    assert causes.filter(pl.col("cause") == "non-income items")["records"].min() > 0  # type: ignore[operator]


def test_churn_and_retention_are_derived_from_the_reconciled_counts(production: Connection) -> None:
    result = recipes.get("membership_retention").run(production, ("2026-03-01", "2026-03-31"))
    frame = result.frame.filter(pl.col("ActiveAtStart") > 0)
    churn = (frame["Canceled"] + frame["Expired"]) / frame["ActiveAtStart"]
    assert (frame["ChurnRate"] - churn.round(4)).abs().max() == 0  # type: ignore[operator]
    assert ((frame["RetentionRate"] + frame["ChurnRate"] - 1).abs() < 1e-9).all()


def test_a_report_missing_in_the_tenant_is_named(production: Connection) -> None:
    fetcher = recipes.Fetcher(production)
    with pytest.raises(recipes.ReportNotFoundByName, match="no report named 'Nope' in category 'marketing'"):
        fetcher.report("marketing", "Nope", From="2026-03-01", To="2026-03-31")


def _imports(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
    return names


def test_recipes_and_the_sandbox_reports_share_no_code() -> None:
    recipe_imports = set().union(*(_imports(p) for p in (PACKAGE / "recipes").glob("*.py")))
    assert not any(name.startswith("stnb.sandbox") for name in recipe_imports)
    assert not any(name.startswith(("plotly", "stnb.charts", "stnb.widgets")) for name in recipe_imports)
    for module in ("kpi_reports.py", "traps.py"):
        assert not any(name.startswith("stnb.recipes") for name in _imports(PACKAGE / "sandbox" / module))


def test_a_report_is_found_by_another_name_a_tenant_gives_it(production: Connection) -> None:
    fetcher = recipes.Fetcher(production)
    frame = fetcher.report(
        "marketing",
        "Membership retention",
        aliases=("Nope", "membership summary"),
        From="2026-03-01",
        To="2026-03-31",
    )
    assert frame.height > 0 and fetcher.pulls[-1].resource == "report marketing/Membership Summary"


def test_a_report_naming_keys_in_a_name_column_reconciles(production: Connection) -> None:
    result = recipes.get("membership_retention").run(production, ("2026-03-01", "2026-03-31"))
    report = result.reconcile().report.drop("MembershipTypeId").rename({"MembershipType": "Name"})
    check = result.reconcile(report=report)
    assert check.ok and check.table["key"].null_count() == 0  # every name matched the recipe's type ids

"""The sandbox's two environments: the comparison finds exactly what `stnb.sandbox.planted` planted."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from typing import Any

import httpx2
import polars as pl
import pytest

import stnb
from stnb import Comparison, compare
from stnb._client import Client
from stnb._clock import FakeClock
from stnb._compare import compare_all
from stnb._config import Credentials, sandbox_environment
from stnb._connection import Connection
from stnb.sandbox import Sandbox
from stnb.sandbox import planted as P

ANCHOR = datetime(2026, 6, 1, tzinfo=UTC)


@pytest.fixture(scope="module")
def sandbox() -> Sandbox:
    return Sandbox(seed=7, anchor=ANCHOR)


@pytest.fixture(scope="module")
def integration(sandbox: Sandbox) -> Iterator[Connection]:
    with stnb.connect(env="integration", sandbox=sandbox, progress=False) as conn:
        yield conn


@pytest.fixture(scope="module")
def production(sandbox: Sandbox) -> Iterator[Connection]:
    with stnb.connect(env="production", sandbox=sandbox, progress=False) as conn:
        yield conn


@pytest.fixture(scope="module")
def customers(integration: Connection, production: Connection) -> Comparison:
    return compare("crm/customers", integration, production)


def app_connection(sandbox: Sandbox, app: str, env: str) -> Connection:
    """A connection as another demo app, on its smallest tenant (connect() uses the default app)."""
    tenant = min(sandbox.app(app).tenants, key=lambda t: t.size)
    c = tenant.credentials[env]
    credentials = Credentials(c.app_key, c.client_id, c.client_secret, c.tenant_id, app_name=c.app_name)
    client = Client(
        sandbox_environment(env, sandbox.url),
        credentials,
        transport=sandbox.transport(),
        sandbox=True,
        clock=FakeClock(),
        rate=10_000.0,
    )
    return Connection(client, progress=False)


def changed_fields_by_record(cmp: Comparison) -> dict[int, set[str]]:
    return {r["id"]: set(r["fields"]) for r in cmp.record_diff.changed.iter_rows(named=True)}


def test_customers_differ_exactly_as_planted(customers: Comparison) -> None:
    assert customers.ok and customers.method == "full list"
    assert customers.fields_only_in("b") == set(P.PRODUCTION_ONLY_FIELDS["crm/customers"])
    assert customers.fields_only_in("a") == set()
    assert customers.schema_diff.height == 1  # no dtype or null-rate differences besides
    assert customers.new_values_in("b") == {
        "type": set(P.PRODUCTION_ONLY_ENUM_VALUES[("crm/customers", "type")])
    }
    assert customers.new_values_in("a") == {}
    rd = customers.record_diff
    assert rd.only_in_b.height == P.PRODUCTION_NEW_CUSTOMERS
    assert rd.only_in_a.height == P.INTEGRATION_TEST_CUSTOMERS
    assert rd.n_changed == P.PRODUCTION_MODIFIED_CUSTOMERS + P.PRODUCTION_DEACTIVATED_CUSTOMERS
    assert rd.modified_only == 0
    by_record = changed_fields_by_record(customers)
    deactivated = {i for i, fields in by_record.items() if fields == {"active"}}
    renamed_or_moved = {i for i, fields in by_record.items() if fields and fields <= {"name", "address"}}
    assert len(deactivated) == P.PRODUCTION_DEACTIVATED_CUSTOMERS
    assert len(renamed_or_moved) == P.PRODUCTION_MODIFIED_CUSTOMERS
    assert dict(rd.changed_fields.select("field", "records").iter_rows())["active"] == 10
    deactivations = rd.changes.filter(pl.col("field") == "active").select("a", "b").unique().rows()
    assert deactivations == [("true", "false")]


def test_customer_counts_follow_the_plan(customers: Comparison) -> None:
    counts = {r["metric"]: r for r in customers.counts.iter_rows(named=True)}
    assert counts["total"]["delta"] == P.PRODUCTION_NEW_CUSTOMERS - P.INTEGRATION_TEST_CUSTOMERS
    assert counts["inactive"]["delta"] == P.PRODUCTION_DEACTIVATED_CUSTOMERS
    assert counts["rows"]["a"] == counts["total"]["a"]  # the full list, inactive records included
    created = customers.monthly.filter(pl.col("kind") == "created")
    refresh = ANCHOR - timedelta(days=P.REFRESH_DAYS)
    before = created.filter(pl.col("month") < date(refresh.year, refresh.month, 1))
    assert before.height > 12 and (before["a"] == before["b"]).all()  # one history before the copy
    assert (
        created["b"].sum() - created["a"].sum() == P.PRODUCTION_NEW_CUSTOMERS - P.INTEGRATION_TEST_CUSTOMERS
    )


def test_integration_only_customers_are_the_testers(customers: Comparison, integration: Connection) -> None:
    ids = customers.record_diff.only_in_a["id"].to_list()
    names = integration.frame("crm/customers", ids=ids, active="any")["name"].to_list()
    assert len(names) == P.INTEGRATION_TEST_CUSTOMERS
    assert all(name.startswith(P.TEST_NAME_PREFIX) for name in names)
    new_in_production = set(customers.record_diff.only_in_b["id"].to_list())
    assert not new_in_production & set(ids)


@pytest.mark.parametrize(
    ("options", "method"),
    [
        ({}, "full list"),
        ({"threshold": 1000}, "export"),
        (
            {"method": "sample", "page_size": 2000, "sample_pages": 6},
            "sample(10945)",
        ),  # all pages, ids looked up
    ],
    ids=["list", "export", "sample"],
)
def test_jobs_differ_exactly_as_planted(
    integration: Connection, production: Connection, options: Any, method: str
) -> None:
    jobs = compare("jpm/jobs", integration, production, **options)
    assert jobs.ok and jobs.method == method
    assert jobs.fields_only_in("b") == set(P.PRODUCTION_ONLY_FIELDS["jpm/jobs"]) and not jobs.fields_only_in(
        "a"
    )
    assert jobs.new_values_in("b") == {
        "priority": set(P.PRODUCTION_ONLY_ENUM_VALUES[("jpm/jobs", "priority")])
    }
    assert jobs.new_values_in("a") == {}
    rd = jobs.record_diff
    assert (rd.only_in_b.height, rd.only_in_a.height) == (P.PRODUCTION_NEW_JOBS, P.INTEGRATION_TEST_JOBS)
    assert rd.n_changed == 0 and rd.modified_only == 0
    assert jobs.value_diff.filter(pl.col("field") == "priority", pl.col("value") == "Emergency")[
        "b"
    ].to_list() == [P.PRODUCTION_EMERGENCY_JOBS]


def test_the_same_environment_twice_reports_no_difference(sandbox: Sandbox, integration: Connection) -> None:
    with stnb.connect(env="integration", sandbox=sandbox, progress=False) as again:
        cmp = compare("crm/customers", integration, again)
    assert cmp.ok and not cmp.has_differences
    assert cmp.record_diff.compared == cmp.counts.filter(pl.col("metric") == "total")["a"][0]


def test_fleet_insights_sweep_finds_the_scope_denials(sandbox: Sandbox) -> None:
    a = app_connection(sandbox, "Fleet Insights", "integration")
    b = app_connection(sandbox, "Fleet Insights", "production")
    with a, b:
        sweep = compare_all(a, b)
    # the default budget (300 requests) covers every list resource
    assert sweep["note"].str.starts_with("skipped").sum() == 0
    module = pl.col("resource").str.split("/").list.first()
    by_problem = {
        problem: set(group["module"])
        for (problem,), group in sweep.with_columns(module.alias("module")).group_by("scope_problem")
    }
    denied = P.SCOPE_DENIALS["Fleet Insights"]
    assert by_problem.pop("403 on b") == set(denied["production"]) - set(denied["integration"])
    assert by_problem.pop("403 on both") == set(denied["integration"])
    assert list(by_problem) == [None]  # everything else answered on both sides
    assert sweep["resource"][0].startswith("telecom/")  # a scope problem on one side ranks first
    first_look = {r["resource"]: r for r in sweep.iter_rows(named=True)}
    for resource, field in (("crm/customers", "type"), ("jpm/jobs", "priority")):
        row = first_look[resource]
        assert (row["fields_only_a"], row["fields_only_b"]) == ([], list(P.PRODUCTION_ONLY_FIELDS[resource]))
        # one page per side is a first look: planted values show, page-to-page noise may too
        planted = {f"{field}={v}" for v in P.PRODUCTION_ONLY_ENUM_VALUES[(resource, field)]}
        assert planted <= set(row["new_values_b"])


def test_compare_names_the_403_of_a_denied_scope(sandbox: Sandbox) -> None:
    a = app_connection(sandbox, "Fleet Insights", "integration")
    b = app_connection(sandbox, "Fleet Insights", "production")
    with a, b:
        cmp = compare("telecom/calls", a, b)
    assert [(f.side, f.stage, f.status) for f in cmp.failures] == [("b", "count", 403)]
    assert cmp.statuses() == {"a": 200, "b": 403}
    assert "PermissionDenied" in cmp.failures[0].error


class FlakyTransport(httpx2.BaseTransport):
    """Passes requests to the sandbox, then answers 503 to every API call after the first `healthy`."""

    def __init__(self, inner: httpx2.BaseTransport, healthy: int) -> None:
        self.inner, self.healthy, self.calls = inner, healthy, 0

    def handle_request(self, request: httpx2.Request) -> httpx2.Response:
        if not request.url.path.endswith("/connect/token"):
            self.calls += 1
            if self.calls > self.healthy:
                return httpx2.Response(
                    503, json={"title": "Service Unavailable", "status": 503, "traceId": "t"}
                )
        return self.inner.handle_request(request)


def test_production_failing_mid_way_gives_a_partial_result(
    sandbox: Sandbox, integration: Connection, customers: Comparison
) -> None:
    flaky = FlakyTransport(sandbox.transport(), healthy=2)
    with stnb.connect(
        env="production", sandbox=sandbox, transport=flaky, clock=FakeClock(), progress=False
    ) as b:
        cmp = compare("crm/customers", integration, b, page_size=500)
    (failure,) = cmp.failures
    assert (failure.side, failure.stage, failure.status) == ("b", "fetch", 503)
    totals = cmp.counts.filter(pl.col("metric") == "total").select("a", "b").row(0)
    assert totals == customers.counts.filter(pl.col("metric") == "total").select("a", "b").row(0)
    assert cmp.record_diff.compared == 0 and cmp.schema_diff.is_empty()
    service = {r["side"]: r for r in cmp.service.iter_rows(named=True)}
    assert service["b"]["status"] == 503 and service["b"]["errors"] >= 1 and service["a"]["errors"] == 0


def test_comparison_renders_and_charts_on_sandbox_data(customers: Comparison, tmp_path: Any) -> None:
    text = repr(customers)
    assert "fields only in b" in text and "nationalAccount" in text and "Multifamily" in text
    figures = customers.figures()
    assert {"distribution:type", "monthly", "changed_fields"} <= set(figures)
    changed = figures["changed_fields"].data[0]
    assert dict(zip(changed.y, changed.x, strict=True))["active"] == P.PRODUCTION_DEACTIVATED_CUSTOMERS
    page = customers.to_html(tmp_path / "diff.html").read_text(encoding="utf-8")
    assert "Multifamily" in page and "nationalAccount" in page


def test_a_sample_of_jobs_reads_the_same_positions_and_claims_no_missing_values(
    integration: Connection, production: Connection
) -> None:
    jobs = compare("jpm/jobs", integration, production, method="sample", sample_pages=3)
    totals = {r["metric"]: (r["a"], r["b"]) for r in jobs.counts.iter_rows(named=True)}["total"]
    assert totals[0] // 1000 < totals[1] // 1000  # production has a page integration lacks
    assert jobs.ok and jobs.new_values.is_empty()
    statuses = jobs.value_diff.filter(pl.col("field") == "jobStatus")
    assert statuses.height == 6 and (statuses["a"] > 0).all() and (statuses["b"] > 0).all()
    assert min(jobs.a.rows, jobs.b.rows) >= 3000 - P.INTEGRATION_TEST_JOBS  # three full pages each
    assert any("at the same positions on both sides" in note for note in jobs.notes)
    assert any("sides a and b were not read in full" in note for note in jobs.notes)

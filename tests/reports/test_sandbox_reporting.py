"""The sandbox's Reporting API over a small fake world: shapes, paging, errors, the run limit, queries."""

from __future__ import annotations

import dataclasses
import json
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import polars as pl
import pytest

from stnb._clock import FakeClock
from stnb.sandbox import reports as sandbox_reports
from stnb.sandbox.messages import SandboxRequest, SandboxResponse
from stnb.sandbox.reports import QUERY_INLINE_ROWS, QUERY_POLLS_UNTIL_READY, ReportingService, ReportSource

from .fake_source import fake_source

KPI_IDS = {r.id for r in sandbox_reports.KPI_REPORTS}

TENANT = 431848990
JANUARY = [{"name": "From", "value": "2026-01-01"}, {"name": "To", "value": "2026-01-31"}]
AGING = "report-category/accounting/reports/166"
REVENUE = "report-category/business-unit-dashboard/reports/175"


@pytest.fixture(scope="module")
def shared_source() -> ReportSource:
    return fake_source()


@pytest.fixture
def source(shared_source: ReportSource) -> ReportSource:
    # A fresh object per test: the service keeps its run windows per world object.
    return dataclasses.replace(shared_source)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def service(source: ReportSource, clock: FakeClock) -> ReportingService:
    return ReportingService(source, clock=clock)


def call(
    service: ReportingService,
    method: str,
    tail: str,
    body: Any = None,
    env: str = "integration",
    **query: Any,
) -> SandboxResponse:
    raw = body if isinstance(body, bytes) else json.dumps(body).encode() if body is not None else b""
    request = SandboxRequest(
        method,
        f"/reporting/v2/tenant/{TENANT}/{tail}",
        [(k, str(v)) for k, v in query.items()],
        {"content-type": "application/json"},
        raw,
    )
    response = service.handle(request, env, TENANT, tail)
    assert response is not None, f"{method} {tail} answered None (404)"
    return response


def test_categories_and_reports_are_listed_with_paging(service: ReportingService) -> None:
    body = call(service, "GET", "report-categories", includeTotal="true").json()
    assert body["totalCount"] == 5 and body["hasMore"] is False
    assert {"id": "operations", "name": "Operations"} in body["data"]
    page = call(service, "GET", "report-categories", page=2, pageSize=2).json()
    assert (page["page"], page["pageSize"], page["hasMore"], page["totalCount"]) == (2, 2, True, None)
    reports = call(service, "GET", "report-category/operations/reports").json()["data"]
    assert [r["id"] for r in reports] == [162, 2281]
    assert set(reports[0]) == {"id", "name", "description"}


def test_at_least_six_reports_over_categories(service: ReportingService) -> None:
    categories = [c["id"] for c in call(service, "GET", "report-categories").json()["data"]]
    ids = [
        r["id"]
        for c in categories
        for r in call(service, "GET", f"report-category/{c}/reports").json()["data"]
    ]
    assert len(ids) >= 6 and len(set(ids)) == len(ids)


def test_description_has_typed_parameters_and_fields(service: ReportingService) -> None:
    body = call(service, "GET", REVENUE).json()
    assert set(body) == {"id", "name", "description", "modifiedOn", "parameters", "fields"}
    names = [(p["name"], p["dataType"], p["isRequired"], p["isArray"]) for p in body["parameters"]]
    assert names == [
        ("From", "Date", True, False),
        ("To", "Date", True, False),
        ("BusinessUnitIds", "Number", False, True),
    ]
    assert body["parameters"][2]["acceptValues"]["dynamicSetId"] == "business-units"
    assert {"name": "TotalRevenue", "label": "Total Revenue", "dataType": "Number"} in body["fields"]
    static = call(service, "GET", "report-category/operations/reports/162").json()["parameters"][0]
    assert static["acceptValues"]["values"] == [[1, "Created Date"], [2, "Completed Date"]]


def test_dynamic_value_set_lists_business_units(service: ReportingService) -> None:
    body = call(service, "GET", "dynamic-value-sets/business-units", includeTotal="true").json()
    assert body["fields"] == [{"name": "Value", "label": "Value"}, {"name": "Name", "label": "Name"}]
    assert body["data"] == [[3, "Electrical"], [1, "HVAC"], [2, "Plumbing"]]
    assert body["totalCount"] == 3


@pytest.mark.parametrize(
    ("method", "tail", "title"),
    [
        ("GET", "report-category/nope/reports", "Report category 'nope' not found"),
        ("GET", "report-category/operations/reports/175", "Report '175' not found in category 'operations'"),
        ("GET", "report-category/operations/reports/abc", "Report 'abc' not found"),
        ("GET", "dynamic-value-sets/planets", "Dynamic value set 'planets' not found"),
        ("GET", "data-queries/feedface", "Data query 'feedface' not found"),
    ],
)
def test_unknown_things_are_404_in_the_error_envelope(
    service: ReportingService, method: str, tail: str, title: str
) -> None:
    response = call(service, method, tail)
    body = response.json()
    assert response.status == 404
    assert set(body) == {"type", "title", "status", "traceId", "errors", "data"}
    assert title in body["title"]


def test_unknown_endpoint_answers_none(service: ReportingService) -> None:
    request = SandboxRequest("GET", "/x", [], {}, b"")
    assert service.handle(request, "integration", TENANT, "report-things") is None
    assert service.handle(request, "integration", TENANT, f"{REVENUE}/data") is None  # GET on a POST endpoint


def test_data_rows_are_arrays_aligned_to_fields(service: ReportingService, source: ReportSource) -> None:
    body = call(service, "POST", f"{REVENUE}/data", {"parameters": JANUARY}).json()
    assert set(body) == {"page", "pageSize", "hasMore", "totalCount", "fields", "data"}
    assert body["pageSize"] == 1000 and body["totalCount"] is None and body["hasMore"] is False
    names = [f["name"] for f in body["fields"]]
    assert names == ["BusinessUnitId", "Name", "Invoices", "TotalRevenue", "AverageInvoice"]
    assert all(len(row) == len(names) for row in body["data"])
    assert [row[1] for row in body["data"]] == ["Electrical", "HVAC", "Plumbing"]


def test_revenue_total_counts_invoices_by_tenant_local_day(
    service: ReportingService, source: ReportSource
) -> None:
    body = call(service, "POST", f"{REVENUE}/data", {"parameters": JANUARY}).json()
    start, end = datetime(2026, 1, 1, 5, tzinfo=UTC), datetime(2026, 2, 1, 5, tzinfo=UTC)
    cents = [
        c
        for when, c in zip(source.invoices["invoice_date"], source.invoices["total_cents"], strict=True)
        if start <= when < end
    ]
    assert sum(Decimal(str(row[3])) for row in body["data"]) == Decimal(sum(cents)) / 100
    assert sum(row[2] for row in body["data"]) == len(cents)


def test_business_unit_filter(service: ReportingService) -> None:
    params = [*JANUARY, {"name": "BusinessUnitIds", "value": [2]}]
    rows = call(service, "POST", f"{REVENUE}/data", {"parameters": params}).json()["data"]
    assert [row[1] for row in rows] == ["Plumbing"]


def test_big_report_spans_several_pages(service: ReportingService, clock: FakeClock) -> None:
    params = {"parameters": [{"name": "AsOf", "value": "2026-03-01"}]}
    first = call(service, "POST", f"{AGING}/data", params, pageSize=250, includeTotal="true").json()
    total = first["totalCount"]
    assert total > 500 and first["hasMore"] is True and len(first["data"]) == 250
    rows = list(first["data"])
    page = 1
    while True:
        clock.advance(60)
        page += 1
        body = call(service, "POST", f"{AGING}/data", params, page=page, pageSize=250).json()
        rows.extend(body["data"])
        if not body["hasMore"]:
            break
    assert len(rows) == total and page == -(-total // 250)
    assert len({row[0] for row in rows}) == total
    assert rows[0][4] <= rows[-1][4]  # sorted by invoice date, dates as YYYY-MM-DD text


def test_page_past_the_end_is_empty(service: ReportingService) -> None:
    body = call(service, "POST", f"{REVENUE}/data", {"parameters": JANUARY}, page=9).json()
    assert body["data"] == [] and body["hasMore"] is False


def test_paging_in_the_body_is_ignored(service: ReportingService) -> None:
    body = call(service, "POST", f"{REVENUE}/data", {"parameters": JANUARY, "pageSize": 1}).json()
    assert body["pageSize"] == 1000 and len(body["data"]) == 3


@pytest.mark.parametrize(
    ("body", "field", "message"),
    [
        (
            {"parameters": [*JANUARY, {"name": "Color", "value": "red"}]},
            "Color",
            "Parameter 'Color' not found.",
        ),
        ({"parameters": JANUARY[:1]}, "To", "The To parameter is required."),
        ({"parameters": [JANUARY[0], {"name": "To", "value": "31/01/2026"}]}, "To", "not a valid Date"),
        (
            {"parameters": [*JANUARY, {"name": "BusinessUnitIds", "value": ["x"]}]},
            "BusinessUnitIds",
            "not a valid Number",
        ),
        (b"{not json", "body", "not valid JSON"),
        ([1, 2], "body", "must be a JSON object"),
        ({"parameters": {"From": "2026-01-01"}}, "parameters", "must be an array"),
    ],
)
def test_bad_parameters_are_400_with_errors(
    service: ReportingService, body: Any, field: str, message: str
) -> None:
    response = call(service, "POST", f"{REVENUE}/data", body)
    assert response.status == 400
    assert message in response.json()["errors"][field][0]


def test_static_choice_is_enforced(service: ReportingService) -> None:
    body = {"parameters": [*JANUARY, {"name": "DateType", "value": 3}]}
    response = call(service, "POST", "report-category/operations/reports/162/data", body)
    assert response.status == 400 and "not allowed" in response.json()["errors"]["DateType"][0]


@pytest.mark.parametrize(
    ("query", "field"),
    [({"pageSize": 0}, "pageSize"), ({"pageSize": 6000}, "pageSize"), ({"page": "x"}, "page")],
)
def test_bad_paging_is_400(service: ReportingService, query: dict[str, Any], field: str) -> None:
    response = call(service, "POST", f"{REVENUE}/data", {"parameters": JANUARY}, **query)
    assert response.status == 400 and field in response.json()["errors"]


def test_second_run_within_a_minute_is_429(service: ReportingService, clock: FakeClock) -> None:
    assert call(service, "POST", f"{REVENUE}/data", {"parameters": JANUARY}).status == 200
    clock.advance(18)
    refused = call(service, "POST", f"{REVENUE}/data", {"parameters": JANUARY}, page=2)
    assert refused.status == 429
    assert refused.headers["retry-after"] == "42"
    assert refused.json()["title"] == "Rate limit is exceeded. Try again in 42 seconds."
    # Other reports, tenants' environments and a later minute are free.
    assert (
        call(
            service, "POST", f"{AGING}/data", {"parameters": [{"name": "AsOf", "value": "2026-03-01"}]}
        ).status
        == 200
    )
    assert call(service, "POST", f"{REVENUE}/data", {"parameters": JANUARY}, env="production").status == 200
    clock.advance(42)
    assert call(service, "POST", f"{REVENUE}/data", {"parameters": JANUARY}).status == 200


def test_invalid_request_does_not_use_a_run(service: ReportingService) -> None:
    assert call(service, "POST", f"{REVENUE}/data", {"parameters": []}).status == 400
    assert call(service, "POST", f"{REVENUE}/data", {"parameters": JANUARY}).status == 200


def test_limit_is_configurable_and_kept_per_world(source: ReportSource, clock: FakeClock) -> None:
    five = ReportingService(source, clock=clock, runs_per_minute=5)
    statuses = [call(five, "POST", f"{REVENUE}/data", {"parameters": JANUARY}).status for _ in range(6)]
    assert statuses == [200] * 5 + [429]
    # A service built per request for the same world sees the same windows.
    assert (
        call(ReportingService(source, clock=clock), "POST", f"{REVENUE}/data", {"parameters": JANUARY}).status
        == 429
    )


def test_query_answers_small_results_inline(service: ReportingService) -> None:
    response = call(service, "POST", f"{REVENUE}/data/query", {"parameters": JANUARY})
    assert response.status == 200 and len(response.json()["data"]) == 3


def test_query_for_a_big_report_is_polled_until_ready(service: ReportingService) -> None:
    params = {"parameters": [{"name": "AsOf", "value": "2026-04-01"}]}
    full = call(service, "POST", f"{AGING}/data", params, pageSize=5000, includeTotal="true").json()
    assert full["totalCount"] > QUERY_INLINE_ROWS  # big enough for the server to answer 202
    started = call(service, "POST", f"{AGING}/data/query", params, env="production", page=2, pageSize=100)
    assert started.status == 202
    token = started.json()["token"]
    assert started.json()["status"] == "NotStarted"
    for _ in range(QUERY_POLLS_UNTIL_READY):
        pending = call(service, "GET", f"data-queries/{token}")
        assert pending.status == 202 and pending.json() == {"status": "InProgress", "token": token}
    ready = call(service, "GET", f"data-queries/{token}").json()
    assert ready["page"] == 2 and ready["data"] == full["data"][100:200]
    assert call(service, "GET", f"data-queries/{token}").status == 404  # consumed


def test_query_can_be_cancelled(service: ReportingService) -> None:
    params = {"parameters": [{"name": "AsOf", "value": "2026-04-01"}]}
    token = call(service, "POST", f"{AGING}/data/query", params).json()["token"]
    assert call(service, "DELETE", f"data-queries/{token}").status == 204
    assert call(service, "GET", f"data-queries/{token}").status == 404


def test_every_report_runs(service: ReportingService, clock: FakeClock) -> None:
    for category in (
        "accounting",
        "business-unit-dashboard",
        "marketing",
        "operations",
        "technician-dashboard",
    ):
        for report in call(service, "GET", f"report-category/{category}/reports").json()["data"]:
            if report["id"] in KPI_IDS:
                continue  # the KPI reports read a whole world (tests/recipes run them on the sandbox's)
            tail = f"report-category/{category}/reports/{report['id']}"
            described = call(service, "GET", tail).json()
            params = [
                {"name": p["name"], "value": "2026-03-01" if p["name"] == "AsOf" else v["value"]}
                for p in described["parameters"]
                if p["isRequired"]
                for v in [{"value": "2026-01-01" if p["name"] == "From" else "2026-03-31"}]
            ]
            body = call(service, "POST", f"{tail}/data", {"parameters": params}).json()
            assert body["data"], f"{report['name']} returned no rows"
            assert [f["name"] for f in body["fields"]] == [f["name"] for f in described["fields"]]
            assert all(len(row) == len(body["fields"]) for row in body["data"])


@pytest.mark.parametrize(
    ("tz", "day", "inside", "outside"),
    [
        # New York springs forward on 8 March 2026: the local day is 05:00Z .. 04:00Z next day (23 h).
        (
            "America/New_York",
            "2026-03-08",
            ["2026-03-08T05:00:00", "2026-03-09T03:59:59"],
            ["2026-03-08T04:59:59", "2026-03-09T04:00:00"],
        ),
        # Los Angeles falls back on 1 November 2026: 07:00Z .. 08:00Z next day (25 h).
        (
            "America/Los_Angeles",
            "2026-11-01",
            ["2026-11-01T07:00:00", "2026-11-02T07:59:59"],
            ["2026-11-01T06:59:59", "2026-11-02T08:00:00"],
        ),
    ],
)
def test_report_days_are_tenant_local_across_dst(
    shared_source: ReportSource, tz: str, day: str, inside: list[str], outside: list[str]
) -> None:
    stamps = [datetime.fromisoformat(t).replace(tzinfo=UTC) for t in inside + outside]
    invoices = shared_source.invoices.head(len(stamps)).with_columns(
        pl.Series("invoice_date", stamps, dtype=pl.Datetime("us", "UTC")),
        pl.Series("total_cents", [100, 200, 10_000, 20_000], dtype=pl.Int64),
        pl.Series("business_unit_id", [1, 1, 1, 1], dtype=pl.Int64),
    )
    source = dataclasses.replace(shared_source, timezone=tz, invoices=invoices)
    body = {"parameters": [{"name": "From", "value": day}, {"name": "To", "value": day}]}
    rows = call(ReportingService(source, clock=FakeClock()), "POST", f"{REVENUE}/data", body).json()["data"]
    hvac = next(row for row in rows if row[1] == "HVAC")
    assert (hvac[2], hvac[3]) == (2, 3.0)


def test_process_default_limit_applies_to_services_without_their_own(
    source: ReportSource, clock: FakeClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sandbox_reports.service, "_default_runs_per_minute", 1.0)  # restored after the test
    sandbox_reports.set_default_runs_per_minute(3)
    service = ReportingService(source, clock=clock)
    statuses = [call(service, "POST", f"{REVENUE}/data", {"parameters": JANUARY}).status for _ in range(4)]
    assert statuses == [200, 200, 200, 429]
    with pytest.raises(ValueError, match="positive number"):
        sandbox_reports.set_default_runs_per_minute(0)

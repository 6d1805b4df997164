"""`Reports` end to end against the sandbox's reporting service: discovery, caching, validation before
sending, paging, the limiter on an injected clock, server 429s, the async query flow, bad servers."""

from __future__ import annotations

import dataclasses
import inspect
import math
from datetime import UTC, date, datetime
from typing import Any

import httpx2
import polars as pl
import pytest

from stnb._clock import FakeClock
from stnb.errors import NotFound, ValidationError
from stnb.reports import (
    ReportCastWarning,
    ReportLimiter,
    ReportMetadataError,
    ReportMetadataWarning,
    ReportNotFound,
    Reports,
    ReportTimeout,
)
from stnb.sandbox.reports import KPI_REPORTS, QUERY_POLLS_UNTIL_READY, ReportSource

from .fake_source import fake_source
from .harness import ReportServer, json_response

REVENUE = ("business-unit-dashboard", 175)
AGING = ("accounting", 166)
JANUARY = {"From": "2026-01-01", "To": "2026-01-31"}


@pytest.fixture(scope="module")
def shared_source() -> ReportSource:
    return fake_source()


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(start=datetime(2026, 4, 10, 16, tzinfo=UTC))


@pytest.fixture
def server(shared_source: ReportSource, clock: FakeClock) -> ReportServer:
    return ReportServer(dataclasses.replace(shared_source), clock)


@pytest.fixture
def reports(server: ReportServer) -> Reports:
    return server.connect().reports


def polls_of(server: ReportServer) -> list[Any]:
    return [s for s in server.seen if s.method == "GET" and s.tail.startswith("data-queries/")]


class Sink:
    """A progress sink recording what a run shows."""

    def __init__(self) -> None:
        self.total: Any = None
        self.rows = 0
        self.descriptions: list[str] = []

    def update(self, n: int = 1) -> None:
        self.rows += n

    def set_description(self, desc: str | None = None, refresh: bool = True) -> None:
        self.descriptions.append(desc or "")

    def close(self) -> None:
        self.descriptions.append("<closed>")


def test_discovery_is_cached_per_connection(server: ReportServer) -> None:
    conn = server.connect()
    categories = conn.reports.categories()
    assert [c.id for c in categories][:2] == ["accounting", "business-unit-dashboard"]
    assert [r.id for r in conn.reports.list("operations")] == [162, 2281]
    described = conn.reports.describe("business-unit-dashboard", "175")
    before = len(server.seen)
    # `conn.reports` is a new object each time; the cache belongs to the connection.
    assert conn.reports.categories() == categories
    assert conn.reports.describe(*REVENUE) is described
    assert [r.id for r in conn.reports.list("operations")] == [162, 2281]
    assert len(server.seen) == before
    # Another connection asks again.
    server.connect().reports.categories()
    assert len(server.seen) == before + 1
    conn.reports.clear_cache()
    conn.reports.categories()
    assert len(server.seen) == before + 2


def test_list_without_category_lists_every_report(reports: Reports) -> None:
    kpi = {r.id for r in KPI_REPORTS}  # the reports stnb.recipes reconcile against
    assert {r.id for r in reports.list()} == {175, 168, 162, 2281, 182, 166} | kpi


def test_describe_resolves_dynamic_value_sets(reports: Reports) -> None:
    units = reports.describe(*REVENUE).parameter("BusinessUnitIds")
    assert units is not None and units.choices is not None
    assert [(c.value, c.label) for c in units.choices] == [(3, "Electrical"), (1, "HVAC"), (2, "Plumbing")]


def test_unreadable_value_set_warns_and_leaves_the_parameter_open(server: ReportServer) -> None:
    server.override = lambda m, tail, r: (
        json_response(403, {"title": "nope"}) if "dynamic-value-sets" in tail else None
    )
    with pytest.warns(ReportMetadataWarning, match="'business-units' could not be read"):
        description = server.connect().reports.describe(*REVENUE)
    assert description.unresolved_sets == ("business-units",)


def test_run_returns_typed_columns_named_from_fields(reports: Reports) -> None:
    frame = reports.run(*REVENUE, **JANUARY)
    assert frame.columns == ["BusinessUnitId", "Name", "Invoices", "TotalRevenue", "AverageInvoice"]
    assert frame.schema["Invoices"] == pl.Int64 and frame.schema["TotalRevenue"] == pl.Float64
    assert frame.get_column("Name").to_list() == ["Electrical", "HVAC", "Plumbing"]
    info = reports.last_run
    assert info is not None
    assert (info.report_id, info.env, info.tenant, info.sandbox, info.pages, info.rows) == (
        175,
        "integration",
        "431848990",
        True,
        1,
        3,
    )
    assert info.parameters == (("From", "2026-01-01"), ("To", "2026-01-31"))


def test_labels_and_dates_are_accepted(reports: Reports, server: ReportServer) -> None:
    frame = reports.run(*REVENUE, From=date(2026, 1, 1), To="2026-01-31", BusinessUnitIds=["HVAC", 2])
    assert frame.get_column("Name").to_list() == ["HVAC", "Plumbing"]
    sent = server.calls("/data/query")[-1]
    assert sent.query == {"page": "1", "pageSize": "1000", "includeTotal": "true"}


@pytest.mark.parametrize(
    ("params", "field", "message"),
    [
        ({**JANUARY, "Form": "2026-01-01"}, "Form", "did you mean 'From'?"),
        ({"From": "2026-01-01"}, "To", "required (Date) but not given"),
        (
            {**JANUARY, "BusinessUnitIds": [99]},
            "BusinessUnitIds",
            "valid choices: 3 (Electrical), 1 (HVAC), 2 (Plumbing)",
        ),
        ({**JANUARY, "BusinessUnitIds": ["Roofing"]}, "BusinessUnitIds", "'Roofing' is not allowed"),
        ({"From": "January", "To": "2026-01-31"}, "From", "expects a Date"),
    ],
)
def test_invalid_parameters_fail_before_sending(
    reports: Reports, server: ReportServer, params: dict[str, Any], field: str, message: str
) -> None:
    reports.describe(*REVENUE)
    with pytest.raises(ValidationError) as info:
        reports.run(*REVENUE, **params)
    assert message in " ".join(info.value.errors[field])
    assert not server.calls("/data") and not server.calls("/data/query")


@pytest.mark.parametrize("size", [0, 5001, True])
def test_page_size_is_checked(reports: Reports, size: Any) -> None:
    with pytest.raises(ValidationError, match="page_size must be between 1 and 5000"):
        reports.run(*REVENUE, page_size=size, **JANUARY)


def test_rows_spanning_several_pages_wait_for_the_limit_between_pages(
    reports: Reports, server: ReportServer, clock: FakeClock
) -> None:
    sink = Sink()
    frame = reports.run(*AGING, AsOf="2026-03-01", page_size=150, use_query=False, progress=sink)
    pages = server.calls("/data")
    total = sink.total  # the first page asked includeTotal=true
    assert frame.height == total and len(pages) == math.ceil(total / 150) >= 4
    assert frame.get_column("InvoiceId").n_unique() == total
    assert [p.query["page"] for p in pages] == [str(i) for i in range(1, len(pages) + 1)]
    assert all(p.status == 200 for p in pages)  # the limiter waited; the server never had to refuse
    assert sum(clock.sleeps) == pytest.approx(60 * (len(pages) - 1))
    assert "waiting 60 s for the report limit" in sink.descriptions
    assert "waiting 1 s for the report limit" in sink.descriptions
    assert sink.rows == total
    assert frame.schema["InvoiceDate"] == pl.Date and frame.schema["DaysOverdue"] == pl.Int64
    assert reports.last_run is not None and reports.last_run.waited == pytest.approx(60 * (len(pages) - 1))


def test_server_429_is_waited_out_and_retried(server: ReportServer, clock: FakeClock) -> None:
    conn = server.connect()
    relaxed = Reports(conn, limiter=ReportLimiter(runs_per_minute=10, clock=clock))
    frame = relaxed.run(*AGING, AsOf="2026-03-01", page_size=400, use_query=False)
    statuses = [s.status for s in server.calls("/data")]
    assert statuses.count(429) >= 1 and statuses[-1] == 200
    assert relaxed.last_run is not None and frame.height == relaxed.last_run.rows > 400
    # Each refusal said "Try again in 60 seconds"; the run slept that long before asking again.
    assert sum(clock.sleeps) == pytest.approx(60 * (statuses.count(200) - 1))


def test_persistent_429_gives_up(server: ReportServer) -> None:
    refusal = {"title": "Rate limit is exceeded. Try again in 7 seconds.", "status": 429, "traceId": "t"}
    server.override = lambda m, tail, r: (
        json_response(429, refusal, {"Retry-After": "7"}) if tail.endswith("/data") else None
    )
    from stnb.errors import RateLimited

    with pytest.raises(RateLimited, match="Try again in 7 seconds"):
        server.connect().reports.run(*REVENUE, use_query=False, **JANUARY)
    assert len(server.calls("/data")) == 6


def test_big_report_goes_through_the_async_query_flow(reports: Reports, server: ReportServer) -> None:
    frame = reports.run(*AGING, AsOf="2026-04-01", page_size=5000)
    started = server.calls("/data/query")
    polls = polls_of(server)
    assert [s.status for s in started] == [202]
    assert [p.status for p in polls] == [202] * QUERY_POLLS_UNTIL_READY + [200]
    assert reports.last_run is not None and reports.last_run.polled is True
    assert frame.height == reports.last_run.rows > 1000


def test_small_report_answers_inline_through_the_query_endpoint(
    reports: Reports, server: ReportServer
) -> None:
    reports.run(*REVENUE, **JANUARY)
    assert [s.status for s in server.calls("/data/query")] == [200]
    assert not polls_of(server)


def test_missing_query_endpoint_falls_back_to_data_once(server: ReportServer, clock: FakeClock) -> None:
    server.override = lambda m, tail, r: (
        json_response(404, {"title": "Not Found"}) if tail.endswith("/query") else None
    )
    conn = server.connect()
    conn.reports.run(*REVENUE, **JANUARY)
    conn.reports.run(*REVENUE, From="2026-02-01", To="2026-02-28")
    assert len(server.calls("/data/query")) == 1
    assert len(server.calls("/data")) == 2


def test_use_query_true_does_not_fall_back(server: ReportServer) -> None:
    from stnb.errors import NotFound

    server.override = lambda m, tail, r: (
        json_response(404, {"title": "Not Found"}) if tail.endswith("/query") else None
    )
    with pytest.raises(NotFound):
        server.connect().reports.run(*REVENUE, use_query=True, **JANUARY)


def test_query_that_never_finishes_times_out_and_is_cancelled(server: ReportServer, clock: FakeClock) -> None:
    def stuck(method: str, tail: str, request: httpx2.Request) -> httpx2.Response | None:
        if tail.endswith("/data/query"):
            return json_response(202, {"status": "NotStarted", "token": "t0k3n"})
        if tail == "data-queries/t0k3n" and method == "GET":
            return json_response(202, {"status": "InProgress", "token": "t0k3n"})
        if tail == "data-queries/t0k3n" and method == "DELETE":
            return httpx2.Response(204)
        return None

    server.override = stuck
    with pytest.raises(ReportTimeout, match="was cancelled"):
        server.connect().reports.run(*REVENUE, **JANUARY)
    assert len(server.calls("data-queries/t0k3n", method="DELETE")) == 1
    assert clock.monotonic() - 1000 >= 600


def test_a_cell_that_does_not_parse_is_null_and_counted_once(server: ReportServer) -> None:
    body = {
        "page": 1,
        "pageSize": 1000,
        "hasMore": False,
        "totalCount": 3,
        "fields": [
            {"name": "Name", "label": "Name"},
            {"name": "TotalRevenue", "label": "Revenue"},
            {"name": "Invoices", "label": "Invoices"},
        ],
        "data": [["HVAC", 10.5, 3], ["Plumbing", "n/a", 4], ["Electrical", 7, "many"]],
    }
    server.override = lambda m, tail, r: json_response(200, body) if tail.endswith("/data/query") else None
    with pytest.warns(ReportCastWarning) as record:
        frame = server.connect().reports.run(*REVENUE, **JANUARY)
    assert len(record) == 1
    assert "2 cells did not parse" in str(record[0].message)
    assert "TotalRevenue (1), Invoices (1)" in str(record[0].message)
    assert frame.get_column("TotalRevenue").to_list() == [10.5, None, 7.0]
    assert frame.get_column("Invoices").to_list() == [3, 4, None]


def test_malformed_description_is_a_clear_error(server: ReportServer) -> None:
    bad = {
        "id": 175,
        "name": "Revenue",
        "parameters": [{"label": "no name", "dataType": "Date"}],
        "fields": [],
    }
    server.override = lambda m, tail, r: (
        json_response(200, bad) if tail.endswith("/reports/175") and m == "GET" else None
    )
    with pytest.raises(
        ReportMetadataError, match=r"report 175 of category 'business-unit-dashboard', parameters\[0\]"
    ):
        server.connect().reports.describe(*REVENUE)


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"page": 1, "hasMore": False, "fields": [{"name": "A"}], "data": [["x", "y"]]}, "row 0 has 2 cells"),
        ({"page": 1, "hasMore": False, "fields": [{"name": "A"}]}, "no 'data' list"),
        ({"page": 1, "hasMore": False, "fields": "A,B", "data": []}, "'fields' must be a list"),
        ([["x"]], "expected a JSON object"),
    ],
)
def test_malformed_data_pages_are_clear_errors(server: ReportServer, body: Any, message: str) -> None:
    server.override = lambda m, tail, r: json_response(200, body) if tail.endswith("/data/query") else None
    with pytest.raises(ReportMetadataError, match=message):
        server.connect().reports.run(*REVENUE, **JANUARY)


def test_fields_changing_between_pages_is_an_error(server: ReportServer) -> None:
    pages = iter(
        [
            {"page": 1, "hasMore": True, "fields": [{"name": "A"}], "data": [["1"]]},
            {"page": 2, "hasMore": False, "fields": [{"name": "B"}], "data": [["2"]]},
        ]
    )
    server.override = lambda m, tail, r: (
        json_response(200, next(pages)) if tail.endswith("/data/query") else None
    )
    with pytest.raises(ReportMetadataError, match="fields changed between pages"):
        server.connect().reports.run(*REVENUE, **JANUARY)


def test_has_more_with_an_empty_page_stops_with_a_warning(server: ReportServer) -> None:
    body = {"page": 1, "hasMore": True, "fields": [{"name": "Name"}], "data": []}
    server.override = lambda m, tail, r: json_response(200, body) if tail.endswith("/data/query") else None
    with pytest.warns(ReportMetadataWarning, match="hasMore is true but the page is empty"):
        frame = server.connect().reports.run(*REVENUE, **JANUARY)
    assert frame.height == 0 and len(server.calls("/data/query")) == 1


def test_non_json_data_is_an_invalid_response(server: ReportServer) -> None:
    from stnb.errors import InvalidResponse

    server.override = lambda m, tail, r: (
        httpx2.Response(200, content=b"<html>oops") if tail.endswith("/data/query") else None
    )
    with pytest.raises(InvalidResponse):
        server.connect().reports.run(*REVENUE, **JANUARY)


def test_period_fills_tenant_local_dates(reports: Reports, server: ReportServer) -> None:
    # The clock says 2026-04-10 12:00 in New York: last month is March, local dates.
    reports.run(*REVENUE, period="last_month")
    assert reports.last_run is not None
    assert reports.last_run.parameters == (("From", "2026-03-01"), ("To", "2026-03-31"))
    with pytest.raises(ValidationError, match="either period='last_month' or From"):
        reports.run(*REVENUE, period="last_month", From="2026-01-01")
    with pytest.raises(ValidationError, match="needs Date parameters From and To"):
        reports.run(*AGING, period="last_month")


def test_period_uses_the_tenant_zone(server: ReportServer, clock: FakeClock) -> None:
    clock.advance(-13 * 3600)  # 2026-04-10 03:00 UTC is still 9 April in Los Angeles
    reports = server.connect(tz="America/Los_Angeles").reports
    reports.run(*REVENUE, period="yesterday")
    assert reports.last_run is not None
    assert reports.last_run.parameters == (("From", "2026-04-08"), ("To", "2026-04-08"))


def test_async_connections_are_refused() -> None:
    class AsyncClientLike:
        async def request(self, *args: Any, **kwargs: Any) -> None:
            return None

    class Conn:
        client = AsyncClientLike()

    assert inspect.iscoroutinefunction(Conn.client.request)
    with pytest.raises(TypeError, match="needs a synchronous connection"):
        Reports(Conn())


def test_bad_report_id_is_a_validation_error(reports: Reports) -> None:
    with pytest.raises(ValidationError, match="report id must be a whole number"):
        reports.describe("operations", "abc")


def test_describing_a_report_of_an_unknown_category_lists_the_categories(reports: Reports) -> None:
    with pytest.raises(ReportNotFound) as info:
        reports.describe("operation", 162)
    error = info.value
    assert isinstance(error, NotFound) and error.status == 404
    assert error.title == "report category 'operation' does not exist"
    assert error.errors == {
        "category": [
            "did you mean 'operations'? categories: accounting, business-unit-dashboard, marketing, "
            "operations, technician-dashboard"
        ]
    }
    with pytest.raises(ReportNotFound, match="did you mean 'operations'"):
        reports.list("operation")


def test_an_unknown_report_id_lists_the_reports_of_its_category(reports: Reports) -> None:
    with pytest.raises(ReportNotFound) as info:
        reports.run("operations", 175, **JANUARY)
    assert info.value.title == "report 175 does not exist in category 'operations'"
    assert info.value.errors == {
        "report_id": ["the reports of operations: 162 (Jobs by Status), 2281 (Memberships Sold)"]
    }
    assert "traceId" in str(info.value)  # the server's trace id is kept for support


def test_a_404_that_cannot_be_explained_is_passed_on(server: ReportServer) -> None:
    server.override = lambda method, tail, request: (
        json_response(404, {"title": "Gone", "status": 404}) if method == "GET" else None
    )
    with pytest.raises(NotFound) as info:
        server.connect().reports.describe("operations", 162)
    assert type(info.value) is NotFound and "Gone" in str(info.value)


def test_a_mistyped_period_is_a_validation_error_before_sending(
    reports: Reports, server: ReportServer
) -> None:
    with pytest.raises(
        ValidationError, match="unknown date preset 'lastmonth'\n  preset: did you mean 'last_month'"
    ):
        reports.run(*REVENUE, period="lastmonth")
    assert not server.calls("/data") and not server.calls("/data/query")


def test_from_after_to_is_refused_before_sending(reports: Reports, server: ReportServer) -> None:
    with pytest.raises(ValidationError, match="From=2026-02-01 is later than To=2026-01-31"):
        reports.run(*REVENUE, From="2026-02-01", To="2026-01-31")
    assert not server.calls("/data") and not server.calls("/data/query")

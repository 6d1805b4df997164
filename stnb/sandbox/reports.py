"""The sandbox's Reporting API (`/reporting/v2/tenant/{tenant}/...`), computed from the demo world.

Endpoints: report categories, a category's reports, a report's description, dynamic value sets,
`POST .../data` (paging in the query string; every page is a run), `POST .../data/query` (answers
inline for small results, else 202 with a token), `GET/DELETE /data-queries/{token}`.

Reports read the world's tables through `ReportSource` (normalised polars frames). Report dates are
tenant-local: `From`/`To` cover `[local midnight From, local midnight To+1)`, so the revenue
report's total for a period equals the sum of `total` of the invoices the invoices list endpoint
returns for the same bounds in UTC.

The run limit (default 1 run per report per tenant per minute, `runs_per_minute`) answers 429 with
Retry-After and ServiceTitan's title. A query token becomes ready after `QUERY_POLLS_UNTIL_READY`
polls. State (limit windows, query tokens) lives per world, so a service built per request keeps it.
"""

from __future__ import annotations

import hashlib
import json
import math
import threading
import weakref
from collections import OrderedDict, deque
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import polars as pl

from stnb._clock import SYSTEM_CLOCK, Clock
from stnb.sandbox import kpi_reports
from stnb.sandbox.messages import SandboxRequest, SandboxResponse, json_response, problem, trace_id

__all__ = [
    "DEFAULT_DATA_PAGE_SIZE",
    "KPI_REPORTS",
    "QUERY_INLINE_ROWS",
    "QUERY_POLLS_UNTIL_READY",
    "REPORTS",
    "REPORT_RUNS_PER_MINUTE",
    "REPORT_RUN_SECONDS",
    "STILL_RUNNING_ROWS",
    "STILL_RUNNING_TITLE",
    "ReportSource",
    "ReportingService",
    "set_default_runs_per_minute",
    "source_from_world",
]

REPORT_RUNS_PER_MINUTE = 1.0
DEFAULT_DATA_PAGE_SIZE = 1000
DEFAULT_LIST_PAGE_SIZE = 50
MAX_PAGE_SIZE = 5000
QUERY_INLINE_ROWS = 1000  # a /data/query result above this many rows answers 202 and is polled
QUERY_POLLS_UNTIL_READY = 2
REPORT_RUN_SECONDS = 3.0  # how long a big report "runs" when the report-still-running quirk is on
STILL_RUNNING_ROWS = 500  # a result above this many rows is "big": its first /data run answers 409
STILL_RUNNING_TITLE = "The report is still running. Please try again later."
_WINDOW_SECONDS = 60.0
_default_runs_per_minute = REPORT_RUNS_PER_MINUTE
_RESULT_CACHE = 16
_TRACE_NAMESPACE = 7_000_000  # keeps report trace ids apart from the core's request counter


# ---------------------------------------------------------------------------------------------
# The world's tables, as reports read them


@dataclass(frozen=True, eq=False)
class ReportSource:
    """Normalised frames (ids Int64, instants `Datetime("us", "UTC")`, money in Int64 cents).

    business_units, technicians (+ business_unit_id), campaigns, membership_types: `id`, `name`.
    jobs: id, business_unit_id, job_status, created_on, completed_on, campaign_id, technician_id.
    invoices: id, number, invoice_date, due_date, total_cents, balance_cents, business_unit_id,
    job_id, customer_name. calls: id, received_on, campaign_id, call_type, duration_seconds.
    memberships: id, sold_on, business_unit_id, membership_type_id, sold_by_id, price_cents.
    """

    timezone: str
    business_units: pl.DataFrame
    technicians: pl.DataFrame
    campaigns: pl.DataFrame
    membership_types: pl.DataFrame
    jobs: pl.DataFrame
    invoices: pl.DataFrame
    calls: pl.DataFrame
    memberships: pl.DataFrame
    world: Any = field(default=None, compare=False)  # the KPI reports (`kpi_reports`) read the world itself


# ---------------------------------------------------------------------------------------------
# Report definitions


@dataclass(frozen=True)
class _Param:
    name: str
    label: str
    data_type: str
    required: bool = False
    is_array: bool = False
    dynamic_set: str | None = None
    values: tuple[tuple[Any, str], ...] | None = None

    def describe(self) -> dict[str, Any]:
        body: dict[str, Any] = {
            "name": self.name,
            "label": self.label,
            "dataType": self.data_type,
            "isArray": self.is_array,
            "isRequired": self.required,
        }
        if self.dynamic_set is not None or self.values is not None:
            accept: dict[str, Any] = {
                "fields": [{"name": "Value", "label": "Value"}, {"name": "Name", "label": "Name"}]
            }
            if self.dynamic_set is not None:
                accept["dynamicSetId"] = self.dynamic_set
            if self.values is not None:
                accept["values"] = [[value, label] for value, label in self.values]
            body["acceptValues"] = accept
        return body


@dataclass(frozen=True)
class _Field:
    name: str
    label: str
    data_type: str


Compute = Callable[[ReportSource, Mapping[str, Any]], pl.DataFrame]


@dataclass(frozen=True)
class _Report:
    category: str
    id: int
    name: str
    description: str
    parameters: tuple[_Param, ...]
    fields: tuple[_Field, ...]
    compute: Compute
    modified_on: str = "2026-01-05T14:00:00Z"

    def summary(self) -> dict[str, Any]:
        return {"id": self.id, "name": self.name, "description": self.description}

    def describe(self) -> dict[str, Any]:
        return {
            **self.summary(),
            "modifiedOn": self.modified_on,
            "parameters": [p.describe() for p in self.parameters],
            "fields": [{"name": f.name, "label": f.label, "dataType": f.data_type} for f in self.fields],
        }


_FROM = _Param("From", "From", "Date", required=True)
_TO = _Param("To", "To", "Date", required=True)
_UNITS = _Param("BusinessUnitIds", "Business Units", "Number", is_array=True, dynamic_set="business-units")


def _window(source: ReportSource, params: Mapping[str, Any]) -> tuple[datetime, datetime]:
    """UTC bounds of the tenant-local days From..To inclusive."""
    zone = ZoneInfo(source.timezone)
    first: date = params["From"]
    last: date = params["To"]
    start = datetime.combine(first, time(0), tzinfo=zone).astimezone(UTC)
    end = datetime.combine(last + timedelta(days=1), time(0), tzinfo=zone).astimezone(UTC)
    return start, end


def _in_window(column: str, bounds: tuple[datetime, datetime]) -> pl.Expr:
    return (pl.col(column) >= bounds[0]) & (pl.col(column) < bounds[1])


def _units_filter(params: Mapping[str, Any], column: str = "business_unit_id") -> pl.Expr:
    units = params.get("BusinessUnitIds")
    return pl.col(column).is_in(units) if units else pl.lit(True)


def _money(cents: pl.Expr) -> pl.Expr:
    return (cents.cast(pl.Float64) / 100).round(2)


def _unit_names(source: ReportSource) -> pl.DataFrame:
    return source.business_units.select(
        pl.col("id").alias("business_unit_id"), pl.col("name").alias("BusinessUnit")
    )


def _revenue(source: ReportSource, params: Mapping[str, Any]) -> pl.DataFrame:
    invoices = source.invoices.filter(
        _in_window("invoice_date", _window(source, params)) & _units_filter(params)
    )
    totals = invoices.group_by("business_unit_id").agg(
        pl.len().alias("Invoices"), pl.col("total_cents").sum().alias("cents")
    )
    units = source.business_units.filter(_units_filter(params, "id")).select(
        pl.col("id").alias("business_unit_id"), pl.col("name").alias("Name")
    )
    # Every unit appears (zero when idle); invoices of unknown units still count toward the total.
    joined = units.join(totals, on="business_unit_id", how="full", coalesce=True)
    return (
        joined.with_columns(
            pl.col("Name").fill_null("(No business unit)"),
            pl.col("Invoices").fill_null(0),
            pl.col("cents").fill_null(0),
        )
        .with_columns(
            _money(pl.col("cents")).alias("TotalRevenue"),
            pl.when(pl.col("Invoices") > 0)
            .then(_money(pl.col("cents") / pl.col("Invoices")))
            .otherwise(0.0)
            .alias("AverageInvoice"),
        )
        .sort("Name", "business_unit_id", nulls_last=True)
        .select(
            pl.col("business_unit_id").alias("BusinessUnitId"),
            "Name",
            "Invoices",
            "TotalRevenue",
            "AverageInvoice",
        )
    )


def _technician_performance(source: ReportSource, params: Mapping[str, Any]) -> pl.DataFrame:
    jobs = source.jobs.filter(
        (pl.col("job_status") == "Completed")
        & _in_window("completed_on", _window(source, params))
        & _units_filter(params)
        & pl.col("technician_id").is_not_null()
    )
    job_revenue = source.invoices.group_by("job_id").agg(pl.col("total_cents").sum().alias("cents"))
    per_tech = (
        jobs.join(job_revenue, left_on="id", right_on="job_id", how="left")
        .group_by("technician_id")
        .agg(pl.len().alias("CompletedJobs"), pl.col("cents").fill_null(0).sum().alias("cents"))
    )
    techs = source.technicians.select(
        pl.col("id").alias("technician_id"), pl.col("name").alias("Name"), "business_unit_id"
    ).join(_unit_names(source), on="business_unit_id", how="left")
    return (
        per_tech.join(techs, on="technician_id", how="left")
        .with_columns(
            _money(pl.col("cents")).alias("Revenue"),
            _money(pl.col("cents") / pl.col("CompletedJobs")).alias("AverageTicket"),
        )
        .sort("Revenue", "technician_id", descending=[True, False])
        .select(
            pl.col("technician_id").alias("TechnicianId"),
            "Name",
            "BusinessUnit",
            "CompletedJobs",
            "Revenue",
            "AverageTicket",
        )
    )


def _jobs_by_status(source: ReportSource, params: Mapping[str, Any]) -> pl.DataFrame:
    column = "completed_on" if params.get("DateType") == 2 else "created_on"
    jobs = source.jobs.filter(_in_window(column, _window(source, params)) & _units_filter(params))
    return (
        jobs.group_by("business_unit_id", "job_status")
        .agg(pl.len().alias("Jobs"))
        .join(_unit_names(source), on="business_unit_id", how="left")
        .sort("BusinessUnit", "job_status", nulls_last=True)
        .select("BusinessUnit", pl.col("job_status").alias("JobStatus"), "Jobs")
    )


def _calls_by_campaign(source: ReportSource, params: Mapping[str, Any]) -> pl.DataFrame:
    wanted = params.get("CampaignIds")
    calls = source.calls.filter(
        _in_window("received_on", _window(source, params))
        & (pl.col("campaign_id").is_in(wanted) if wanted else pl.lit(True))
    )
    return (
        calls.group_by("campaign_id")
        .agg(
            pl.len().alias("Calls"),
            (pl.col("call_type") == "Booked").sum().alias("BookedCalls"),
            pl.col("duration_seconds").mean().round(0).cast(pl.Int64).alias("AverageDurationSeconds"),
        )
        .join(
            source.campaigns.select(pl.col("id").alias("campaign_id"), pl.col("name")),
            on="campaign_id",
            how="left",
        )
        .with_columns(
            pl.col("name").fill_null("(No campaign)").alias("Campaign"),
            (pl.col("BookedCalls") * 100 / pl.col("Calls")).round(1).alias("ConversionRate"),
        )
        .sort("Calls", "campaign_id", descending=[True, False], nulls_last=True)
        .select(
            pl.col("campaign_id").alias("CampaignId"),
            "Campaign",
            "Calls",
            "BookedCalls",
            "ConversionRate",
            "AverageDurationSeconds",
        )
    )


def _memberships_sold(source: ReportSource, params: Mapping[str, Any]) -> pl.DataFrame:
    sold = source.memberships.filter(_in_window("sold_on", _window(source, params)) & _units_filter(params))
    types = source.membership_types.select(
        pl.col("id").alias("membership_type_id"), pl.col("name").alias("MembershipType")
    )
    return (
        sold.group_by("membership_type_id", "business_unit_id")
        .agg(pl.len().alias("Sold"), pl.col("price_cents").sum().alias("cents"))
        .join(types, on="membership_type_id", how="left")
        .join(_unit_names(source), on="business_unit_id", how="left")
        .with_columns(_money(pl.col("cents")).alias("Revenue"))
        .sort("MembershipType", "BusinessUnit", nulls_last=True)
        .select("MembershipType", "BusinessUnit", "Sold", "Revenue")
    )


def _invoices_aging(source: ReportSource, params: Mapping[str, Any]) -> pl.DataFrame:
    as_of: date = params["AsOf"]
    zone = source.timezone
    end = datetime.combine(as_of + timedelta(days=1), time(0), tzinfo=ZoneInfo(zone)).astimezone(UTC)
    open_invoices = source.invoices.filter(
        (pl.col("balance_cents") > 0) & (pl.col("invoice_date") < end) & _units_filter(params)
    )
    local = open_invoices.with_columns(
        pl.col("invoice_date").dt.convert_time_zone(zone).dt.date().alias("InvoiceDate"),
        pl.col("due_date").dt.convert_time_zone(zone).dt.date().alias("DueDate"),
    )
    overdue = (pl.lit(as_of) - pl.coalesce("DueDate", "InvoiceDate")).dt.total_days()
    return (
        local.join(_unit_names(source), on="business_unit_id", how="left")
        .with_columns(overdue.clip(lower_bound=0).alias("DaysOverdue"))
        .with_columns(
            pl.when(pl.col("DaysOverdue") == 0)
            .then(pl.lit("Current"))
            .when(pl.col("DaysOverdue") <= 30)
            .then(pl.lit("1-30"))
            .when(pl.col("DaysOverdue") <= 60)
            .then(pl.lit("31-60"))
            .when(pl.col("DaysOverdue") <= 90)
            .then(pl.lit("61-90"))
            .otherwise(pl.lit("90+"))
            .alias("AgingBucket"),
            _money(pl.col("total_cents")).alias("Total"),
            _money(pl.col("balance_cents")).alias("Balance"),
        )
        .sort("InvoiceDate", "id")
        .select(
            pl.col("id").alias("InvoiceId"),
            pl.col("number").alias("InvoiceNumber"),
            pl.col("customer_name").alias("Customer"),
            "BusinessUnit",
            "InvoiceDate",
            "DueDate",
            "Total",
            "Balance",
            "DaysOverdue",
            "AgingBucket",
        )
    )


REPORTS: tuple[_Report, ...] = (
    _Report(
        "business-unit-dashboard",
        175,
        "Revenue",
        "Invoiced revenue by business unit for invoices dated From..To (tenant-local dates).",
        (_FROM, _TO, _UNITS),
        (
            _Field("BusinessUnitId", "Business Unit ID", "Number"),
            _Field("Name", "Business Unit", "String"),
            _Field("Invoices", "Invoices", "Number"),
            _Field("TotalRevenue", "Total Revenue", "Number"),
            _Field("AverageInvoice", "Average Invoice", "Number"),
        ),
        _revenue,
    ),
    _Report(
        "technician-dashboard",
        168,
        "Technician Performance",
        "Completed jobs and invoiced revenue per technician for jobs completed From..To.",
        (_FROM, _TO, _UNITS),
        (
            _Field("TechnicianId", "Technician ID", "Number"),
            _Field("Name", "Technician", "String"),
            _Field("BusinessUnit", "Business Unit", "String"),
            _Field("CompletedJobs", "Completed Jobs", "Number"),
            _Field("Revenue", "Revenue", "Number"),
            _Field("AverageTicket", "Average Ticket", "Number"),
        ),
        _technician_performance,
    ),
    _Report(
        "operations",
        162,
        "Jobs by Status",
        "Job counts per business unit and status, by created or completed date.",
        (
            _Param("DateType", "Date Type", "Number", values=((1, "Created Date"), (2, "Completed Date"))),
            _FROM,
            _TO,
            _UNITS,
        ),
        (
            _Field("BusinessUnit", "Business Unit", "String"),
            _Field("JobStatus", "Job Status", "String"),
            _Field("Jobs", "Jobs", "Number"),
        ),
        _jobs_by_status,
    ),
    _Report(
        "operations",
        2281,
        "Memberships Sold",
        "Memberships sold From..To per membership type and business unit.",
        (_FROM, _TO, _UNITS),
        (
            _Field("MembershipType", "Membership Type", "String"),
            _Field("BusinessUnit", "Business Unit", "String"),
            _Field("Sold", "Sold", "Number"),
            _Field("Revenue", "Revenue", "Number"),
        ),
        _memberships_sold,
    ),
    _Report(
        "marketing",
        182,
        "Calls by Campaign",
        "Inbound calls, booked calls and conversion per campaign for calls received From..To.",
        (
            _FROM,
            _TO,
            _Param("CampaignIds", "Campaigns", "Number", is_array=True, dynamic_set="campaigns"),
        ),
        (
            _Field("CampaignId", "Campaign ID", "Number"),
            _Field("Campaign", "Campaign", "String"),
            _Field("Calls", "Calls", "Number"),
            _Field("BookedCalls", "Booked Calls", "Number"),
            _Field("ConversionRate", "Conversion Rate %", "Number"),
            _Field("AverageDurationSeconds", "Average Duration (s)", "Number"),
        ),
        _calls_by_campaign,
    ),
    _Report(
        "accounting",
        166,
        "Invoices Aging",
        "Every invoice with an open balance as of a date, with days overdue and aging bucket.",
        (_Param("AsOf", "As Of", "Date", required=True), _UNITS),
        (
            _Field("InvoiceId", "Invoice ID", "Number"),
            _Field("InvoiceNumber", "Invoice #", "String"),
            _Field("Customer", "Customer", "String"),
            _Field("BusinessUnit", "Business Unit", "String"),
            _Field("InvoiceDate", "Invoice Date", "Date"),
            _Field("DueDate", "Due Date", "Date"),
            _Field("Total", "Total", "Number"),
            _Field("Balance", "Balance", "Number"),
            _Field("DaysOverdue", "Days Overdue", "Number"),
            _Field("AgingBucket", "Aging Bucket", "String"),
        ),
        _invoices_aging,
    ),
)


def _on_world(
    compute: Callable[[Any, Mapping[str, Any]], pl.DataFrame], fields: tuple[_Field, ...]
) -> Compute:
    """A KPI report's computation over the source's world; no rows when the source has no world."""

    def run(source: ReportSource, params: Mapping[str, Any]) -> pl.DataFrame:
        if source.world is None:
            types = {"Number": pl.Float64, "String": pl.String, "Date": pl.Date}
            return pl.DataFrame(schema={f.name: types.get(f.data_type, pl.String) for f in fields})
        return compute(source.world, params)

    return run


def _kpi(
    category: str,
    report_id: int,
    name: str,
    description: str,
    params: tuple[_Param, ...],
    fields: tuple[tuple[str, str, str], ...],
    compute: Callable[[Any, Mapping[str, Any]], pl.DataFrame],
) -> _Report:
    declared = tuple(_Field(*f) for f in fields)
    return _Report(category, report_id, name, description, params, declared, _on_world(compute, declared))


_N, _S = "Number", "String"
# The reports `stnb.recipes` reconcile against (definitions in `stnb.sandbox.kpi_reports`).
KPI_REPORTS: tuple[_Report, ...] = (
    _kpi(
        "business-unit-dashboard",
        3170,
        "Business Unit Performance",
        "Completed, non-job, adjustment and total revenue (income items), completed jobs, per business unit.",
        (_FROM, _TO, _UNITS),
        (
            ("BusinessUnitId", "Business Unit ID", _N),
            ("Name", "Business Unit", _S),
            ("CompletedRevenue", "Completed Revenue", _N),
            ("NonJobRevenue", "Non-Job Revenue", _N),
            ("AdjustmentRevenue", "Adjustment Revenue", _N),
            ("TotalRevenue", "Total Revenue", _N),
            ("CompletedJobs", "Completed Jobs", _N),
        ),
        kpi_reports.business_unit_performance,
    ),
    _kpi(
        "technician-dashboard",
        3171,
        "Technician Revenue",
        "Completed revenue per technician, split between the technicians assigned to each job.",
        (_FROM, _TO, _UNITS),
        (
            ("TechnicianId", "Technician ID", _N),
            ("Name", "Technician", _S),
            ("CompletedRevenue", "Completed Revenue", _N),
            ("CompletedJobs", "Completed Jobs", _N),
        ),
        kpi_reports.technician_revenue,
    ),
    _kpi(
        "technician-dashboard",
        3172,
        "Technician Utilization",
        "Hours booked on assigned appointments against available hours, per technician.",
        (_FROM, _TO, _UNITS),
        (
            ("TechnicianId", "Technician ID", _N),
            ("Name", "Technician", _S),
            ("BookedHours", "Booked Hours", _N),
            ("AvailableHours", "Available Hours", _N),
            ("Utilization", "Utilization", _N),
        ),
        kpi_reports.technician_utilization,
    ),
    _kpi(
        "marketing",
        3184,
        "Campaign Performance",
        "Leads and booked leads by call date; completed jobs and revenue by completion date; per campaign.",
        (_FROM, _TO),
        (
            ("CampaignId", "Campaign ID", _N),
            ("Campaign", "Campaign", _S),
            ("Leads", "Leads", _N),
            ("BookedLeads", "Booked Leads", _N),
            ("CompletedJobs", "Completed Jobs", _N),
            ("CompletedRevenue", "Completed Revenue", _N),
        ),
        kpi_reports.campaign_performance,
    ),
    _kpi(
        "marketing",
        3185,
        "Membership Summary",
        "Memberships active at start and end, new sales, cancellations and expirations per membership type.",
        (_FROM, _TO),
        (
            ("MembershipTypeId", "Membership Type ID", _N),
            ("MembershipType", "Membership Type", _S),
            ("ActiveAtStart", "Active At Start", _N),
            ("NewSales", "New Sales", _N),
            ("Canceled", "Canceled", _N),
            ("Expired", "Expired", _N),
            ("ActiveAtEnd", "Active At End", _N),
        ),
        kpi_reports.membership_summary,
    ),
    _kpi(
        "accounting",
        3167,
        "AR Aging Summary",
        "Open balances as of a date per business unit, aged by days since the invoice date.",
        (_Param("AsOf", "As Of", "Date", required=True), _UNITS),
        (
            ("BusinessUnitId", "Business Unit ID", _N),
            ("BusinessUnit", "Business Unit", _S),
            ("Current", "0-30", _N),
            ("Days31To60", "31-60", _N),
            ("Days61To90", "61-90", _N),
            ("Days91To120", "91-120", _N),
            ("Over120", "Over 120", _N),
            ("Total", "Total", _N),
        ),
        kpi_reports.ar_aging_summary,
    ),
)
REPORTS = REPORTS + KPI_REPORTS

_CATEGORIES: tuple[tuple[str, str], ...] = (
    ("accounting", "Accounting"),
    ("business-unit-dashboard", "Business Unit Dashboard"),
    ("marketing", "Marketing"),
    ("operations", "Operations"),
    ("technician-dashboard", "Technician Dashboard"),
)

_VALUE_SETS: Mapping[str, Callable[[ReportSource], pl.DataFrame]] = {
    "business-units": lambda s: s.business_units,
    "technicians": lambda s: s.technicians,
    "campaigns": lambda s: s.campaigns,
    "membership-types": lambda s: s.membership_types,
}


# ---------------------------------------------------------------------------------------------
# Per-world state: run windows, query tokens, cached results


@dataclass
class _Query:
    report: _Report
    params: dict[str, Any]
    page: int
    page_size: int
    include_total: bool
    polls_left: int


@dataclass
class _State:
    lock: threading.RLock = field(default_factory=threading.RLock)
    runs: dict[tuple[str, int, int], deque[float]] = field(default_factory=dict)
    queries: dict[str, _Query] = field(default_factory=dict)
    results: OrderedDict[str, pl.DataFrame] = field(default_factory=OrderedDict)
    source: ReportSource | None = None
    counter: int = 0
    running: dict[str, float] = field(default_factory=dict)  # big runs in progress: key -> started at
    ran: set[str] = field(default_factory=set)  # big runs that finished (answered from now on)


_STATES: weakref.WeakKeyDictionary[Any, _State] = weakref.WeakKeyDictionary()
_STATES_LOCK = threading.Lock()


def _state_for(world: Any) -> _State:
    with _STATES_LOCK:
        state = _STATES.get(world)
        if state is None:
            state = _State()
            _STATES[world] = state
        return state


class _BadRequest(Exception):
    def __init__(
        self, errors: Mapping[str, Sequence[str]], title: str = "One or more validation errors occurred."
    ):
        super().__init__(title)
        self.title = title
        self.errors = errors


# ---------------------------------------------------------------------------------------------
# The service


class ReportingService:
    """Answers `/reporting/v2/tenant/{tenant}/{tail}` for one world (one environment and tenant).

    `world` provides the tables: a `ReportSource`, or a sandbox world (see `source_from_world`).
    `clock` drives the run limit (the world's `clock` when it has one, else the system clock);
    `runs_per_minute` fixes the limit, else the world's `report_runs_per_minute`, else the process
    default (`set_default_runs_per_minute`), read on every run.
    `still_running` (a flag, or a callable read on every run) reproduces the live API's 409 for a report
    still running: the first `/data` run of a result above `STILL_RUNNING_ROWS` rows answers 409 for
    `REPORT_RUN_SECONDS`; such a refused run does not count against the run limit.
    """

    def __init__(
        self,
        world: Any,
        *,
        clock: Clock | None = None,
        runs_per_minute: float | None = None,
        seed: int | None = None,
        still_running: Callable[[], bool] | bool = False,
    ) -> None:
        self._world = world
        self._still_running = still_running
        self._state = _state_for(world)
        self._clock: Clock = clock or getattr(world, "clock", None) or SYSTEM_CLOCK
        self._fixed_runs_per_minute = _checked_rate(runs_per_minute) if runs_per_minute is not None else None
        self._seed = int(seed if seed is not None else getattr(world, "seed", 0) or 0)

    def handle(self, req: SandboxRequest, env_name: str, tenant_id: int, tail: str) -> SandboxResponse | None:
        """The response for one reporting request, or None when no such endpoint exists (404)."""
        parts = [p for p in tail.strip("/").split("/") if p]
        method = req.method.upper()
        try:
            return self._route(req, method, parts, env_name, int(tenant_id))
        except _BadRequest as exc:
            return problem(400, exc.title, self._trace(), exc.errors)

    def _route(
        self, req: SandboxRequest, method: str, parts: list[str], env: str, tenant: int
    ) -> SandboxResponse | None:
        if parts == ["report-categories"] and method == "GET":
            rows = [{"id": cid, "name": name} for cid, name in _CATEGORIES]
            return json_response(200, _page(rows, req, DEFAULT_LIST_PAGE_SIZE))
        if len(parts) >= 3 and parts[0] == "report-category" and parts[2] == "reports":
            return self._category(req, method, parts[1], parts[3:], env, tenant)
        if len(parts) == 2 and parts[0] == "dynamic-value-sets" and method == "GET":
            return self._value_set(req, parts[1])
        if len(parts) == 2 and parts[0] == "data-queries":
            return self._data_query(req, method, parts[1])
        return None

    def _category(
        self, req: SandboxRequest, method: str, category: str, rest: list[str], env: str, tenant: int
    ) -> SandboxResponse | None:
        if category not in {cid for cid, _ in _CATEGORIES}:
            return self._not_found(f"Report category '{category}' not found")
        if not rest:
            if method != "GET":
                return None
            rows = [r.summary() for r in REPORTS if r.category == category]
            return json_response(200, _page(rows, req, DEFAULT_LIST_PAGE_SIZE))
        report = _find_report(category, rest[0])
        if report is None:
            return self._not_found(f"Report '{rest[0]}' not found in category '{category}'")
        if rest[1:] == [] and method == "GET":
            return json_response(200, report.describe())
        if rest[1:] == ["data"] and method == "POST":
            return self._run(req, report, env, tenant, query=False)
        if rest[1:] == ["data", "query"] and method == "POST":
            return self._run(req, report, env, tenant, query=True)
        return None

    def _value_set(self, req: SandboxRequest, set_id: str) -> SandboxResponse:
        build = _VALUE_SETS.get(set_id)
        if build is None:
            return self._not_found(f"Dynamic value set '{set_id}' not found")
        frame = build(self._source()).sort("name", "id")
        rows = [[row[0], row[1]] for row in frame.select("id", "name").rows()]
        body = _page(rows, req, DEFAULT_LIST_PAGE_SIZE)
        body["fields"] = [{"name": "Value", "label": "Value"}, {"name": "Name", "label": "Name"}]
        return json_response(200, body)

    def _run(
        self, req: SandboxRequest, report: _Report, env: str, tenant: int, *, query: bool
    ) -> SandboxResponse:
        params = _parse_parameters(report, req.body)
        page, page_size, include_total = _paging(req, DEFAULT_DATA_PAGE_SIZE)
        if not query and self._running(env, tenant, report, params):
            return problem(409, STILL_RUNNING_TITLE, self._trace())
        wait = self._take_run(env, tenant, report.id)
        if wait > 0:
            seconds = max(1, math.ceil(wait))
            return problem(
                429,
                f"Rate limit is exceeded. Try again in {seconds} seconds.",
                self._trace(),
                headers={"retry-after": str(seconds)},
            )
        result = self._result(report, params)
        if query and result.height > QUERY_INLINE_ROWS:
            token = self._new_token(report, params, page, page_size)
            with self._state.lock:
                self._state.queries[token] = _Query(
                    report, params, page, page_size, include_total, QUERY_POLLS_UNTIL_READY
                )
            return json_response(202, {"status": "NotStarted", "token": token})
        body = _data_page(report, result, page, page_size, include_total)
        return replace(json_response(200, body), records=len(body["data"]))

    def _running(self, env: str, tenant: int, report: _Report, params: Mapping[str, Any]) -> bool:
        """Whether this run meets the live API's "still running" 409 (a big result's first run)."""
        flag = self._still_running
        if not (flag() if callable(flag) else flag):
            return False
        key = f"{env}:{tenant}:{report.id}:{json.dumps(params, default=str, sort_keys=True)}"
        with self._state.lock:
            if key in self._state.ran:
                return False
        if self._result(report, params).height <= STILL_RUNNING_ROWS:
            return False
        now = self._clock.monotonic()
        with self._state.lock:
            started = self._state.running.setdefault(key, now)
            if now - started < REPORT_RUN_SECONDS:
                return True
            del self._state.running[key]
            self._state.ran.add(key)
            return False

    def _data_query(self, req: SandboxRequest, method: str, token: str) -> SandboxResponse | None:
        with self._state.lock:
            pending = self._state.queries.get(token)
            if pending is None:
                return self._not_found(f"Data query '{token}' not found")
            if method == "DELETE":
                del self._state.queries[token]
                return SandboxResponse(204, {}, b"")
            if method != "GET":
                return None
            if pending.polls_left > 0:
                pending.polls_left -= 1
                return json_response(202, {"status": "InProgress", "token": token})
            del self._state.queries[token]
        result = self._result(pending.report, pending.params)
        body = _data_page(pending.report, result, pending.page, pending.page_size, pending.include_total)
        return json_response(200, body)

    def _take_run(self, env: str, tenant: int, report_id: int) -> float:
        """Seconds until a run is allowed (0 records the run now)."""
        now = self._clock.monotonic()
        rate = self._runs_per_minute()
        window = _WINDOW_SECONDS if rate >= 1 else _WINDOW_SECONDS / rate
        limit = max(1, int(rate))
        with self._state.lock:
            runs = self._state.runs.setdefault((env, tenant, report_id), deque())
            while runs and runs[0] <= now - window:
                runs.popleft()
            if len(runs) >= limit:
                return runs[0] + window - now
            runs.append(now)
            return 0.0

    def _runs_per_minute(self) -> float:
        if self._fixed_runs_per_minute is not None:
            return self._fixed_runs_per_minute
        configured = getattr(self._world, "report_runs_per_minute", None)
        return _checked_rate(configured) if configured is not None else _default_runs_per_minute

    def _result(self, report: _Report, params: Mapping[str, Any]) -> pl.DataFrame:
        key = f"{report.id}:{json.dumps(params, default=str, sort_keys=True)}"
        with self._state.lock:
            cached = self._state.results.get(key)
            if cached is not None:
                self._state.results.move_to_end(key)
                return cached
        result = report.compute(self._source(), params)
        with self._state.lock:
            self._state.results[key] = result
            while len(self._state.results) > _RESULT_CACHE:
                self._state.results.popitem(last=False)
        return result

    def _source(self) -> ReportSource:
        if self._state.source is None:
            world = self._world
            self._state.source = world if isinstance(world, ReportSource) else source_from_world(world)
        return self._state.source

    def _new_token(self, report: _Report, params: Mapping[str, Any], page: int, page_size: int) -> str:
        with self._state.lock:
            self._state.counter += 1
            counter = self._state.counter
        text = f"{self._seed}:{counter}:{report.id}:{page}:{page_size}:{json.dumps(params, default=str)}"
        return hashlib.sha256(text.encode()).hexdigest()[:32]

    def _trace(self) -> str:
        with self._state.lock:
            self._state.counter += 1
            return trace_id(self._seed, _TRACE_NAMESPACE + self._state.counter)

    def _not_found(self, title: str) -> SandboxResponse:
        return problem(404, title, self._trace())


def set_default_runs_per_minute(runs_per_minute: float) -> None:
    """The report limit of every sandbox service in the process that has none of its own (default 1:
    one run per report per tenant per minute, as ServiceTitan). Raise it to run demos quickly."""
    global _default_runs_per_minute
    _default_runs_per_minute = _checked_rate(runs_per_minute)


def _checked_rate(value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or value <= 0:
        raise ValueError(f"report runs_per_minute must be a positive number, got {value!r}")
    return float(value)


def source_from_world(world: Any) -> ReportSource:
    """Normalise the sandbox world's public tables (see `stnb.sandbox.world`) into a `ReportSource`.

    Only active records count, as on the list endpoints; calls and memberships come from the world's
    accessors when it models them, else from its catalog tables.
    """
    invoices = world.invoices().filter(_flag(world.invoices(), "active"))
    jobs = world.jobs().filter(_flag(world.jobs(), "active"))
    first_tech = (
        world.appointment_assignments()
        .sort("assignedOn", "id")
        .group_by("jobId", maintain_order=True)
        .agg(pl.col("technicianId").first())
        .select(pl.col("jobId").alias("id"), pl.col("technicianId").alias("technician_id"))
    )
    calls = _table(world, "calls", "telecom/calls")
    memberships = _table(world, "memberships", "memberships/memberships")
    memberships = memberships.filter(
        _flag(memberships, "active") & (_get(memberships, pl.String, "status") != "Deleted")
    )
    campaigns = _named(world.campaigns())
    embedded = calls.select(
        _get(calls, pl.Int64, "leadCall.campaign.id", "campaign.id").alias("id"),
        _get(calls, pl.String, "leadCall.campaign.name", "campaign.name").alias("name"),
    ).filter(pl.col("id").is_not_null() & ~pl.col("id").is_in(campaigns["id"].implode()))
    return ReportSource(
        world=world,
        timezone=str(world.timezone),
        business_units=_named(world.business_units()),
        technicians=world.technicians().select(
            "id", "name", pl.col("businessUnitId").cast(pl.Int64).alias("business_unit_id")
        ),
        campaigns=pl.concat([campaigns, embedded.unique("id", keep="first").sort("id")]),
        membership_types=_named(world.membership_types()),
        jobs=jobs.select(
            "id",
            pl.col("businessUnitId").alias("business_unit_id"),
            pl.col("jobStatus").alias("job_status"),
            pl.col("createdOn").alias("created_on"),
            pl.col("completedOn").alias("completed_on"),
            pl.col("campaignId").alias("campaign_id"),
        ).join(first_tech, on="id", how="left"),
        invoices=invoices.select(
            "id",
            _get(invoices, pl.String, "referenceNumber").alias("number"),
            pl.col("invoiceDate").alias("invoice_date"),
            _instant(invoices, "dueDate").alias("due_date"),
            _cents(pl.col("total")).fill_null(0).alias("total_cents"),
            _cents(_get(invoices, pl.String, "balance")).fill_null(0).alias("balance_cents"),
            _get(invoices, pl.Int64, "businessUnit.id", "businessUnitId").alias("business_unit_id"),
            _get(invoices, pl.Int64, "job.id").alias("job_id"),
            _get(invoices, pl.String, "customer.name").alias("customer_name"),
        ),
        calls=calls.select(
            "id",
            _instant(calls, "leadCall.receivedOn", "receivedOn", "createdOn").alias("received_on"),
            _get(calls, pl.Int64, "leadCall.campaign.id", "campaign.id").alias("campaign_id"),
            _get(calls, pl.String, "leadCall.callType", "callType").alias("call_type"),
            _seconds(_get(calls, pl.String, "leadCall.duration", "duration")).alias("duration_seconds"),
        ),
        memberships=memberships.select(
            "id",
            _instant(memberships, "createdOn").alias("sold_on"),
            _get(memberships, pl.Int64, "businessUnitId").alias("business_unit_id"),
            _get(memberships, pl.Int64, "membershipTypeId").alias("membership_type_id"),
            _get(memberships, pl.Int64, "soldById").alias("sold_by_id"),
            (_get(memberships, pl.Float64, "initialDeferredRevenue") * 100)
            .round(0)
            .cast(pl.Int64)
            .alias("price_cents"),
        ),
    )


UTC_MICROS = pl.Datetime("us", "UTC")


def _table(world: Any, accessor: str, resource: str) -> pl.DataFrame:
    method = getattr(world, accessor, None)
    frame = method() if callable(method) else world.table(resource)
    if not isinstance(frame, pl.DataFrame):
        raise TypeError(f"world.{accessor}() must return a polars DataFrame")
    return frame


def _named(frame: pl.DataFrame) -> pl.DataFrame:
    return frame.select(pl.col("id").cast(pl.Int64), pl.col("name").cast(pl.String))


def _flag(frame: pl.DataFrame, name: str) -> pl.Expr:
    return pl.col(name).fill_null(True) if name in frame.columns else pl.lit(True)


def _get(frame: pl.DataFrame, dtype: pl.DataType | type[pl.DataType], *paths: str) -> pl.Expr:
    """The first of `paths` (dotted struct paths) the frame has, cast to `dtype`; a null column when
    none exists (the world's generic tables vary in shape)."""
    for path in paths:
        expr = _path(frame.schema, path)
        if expr is not None:
            return expr.cast(dtype, strict=False)
    return pl.lit(None, dtype=dtype)


def _path(schema: Mapping[str, pl.DataType], path: str) -> pl.Expr | None:
    head, *rest = path.split(".")
    if head not in schema:
        return None
    expr = pl.col(head)
    dtype: Any = schema[head]
    for name in rest:
        if not isinstance(dtype, pl.Struct) or name not in {f.name for f in dtype.fields}:
            return None
        expr = expr.struct.field(name)
        dtype = next(f.dtype for f in dtype.fields if f.name == name)
    return expr


def _cents(money: pl.Expr) -> pl.Expr:
    return (money.cast(pl.String).cast(pl.Decimal(18, 2), strict=False) * 100).cast(pl.Int64)


def _instant(frame: pl.DataFrame, *paths: str) -> pl.Expr:
    """A UTC datetime from the first of `paths` present, whether stored as a datetime or RFC 3339 text."""
    for path in paths:
        expr = _path(frame.schema, path)
        if expr is None:
            continue
        dtype = frame.select(expr).schema.dtypes()[0]
        if isinstance(dtype, pl.Datetime):
            return expr.dt.convert_time_zone("UTC") if dtype.time_zone else expr.dt.replace_time_zone("UTC")
        return expr.cast(pl.String).str.to_datetime(
            "%Y-%m-%dT%H:%M:%S%.f%#z", strict=False, time_unit="us", time_zone="UTC"
        )
    return pl.lit(None, dtype=UTC_MICROS)


def _seconds(duration: pl.Expr) -> pl.Expr:
    """Seconds from a TimeSpan text (`[d.]hh:mm:ss[.fff]`); null when it is not one."""
    parts = duration.str.extract_groups(r"^(?:(\d+)\.)?(\d{1,2}):(\d{2}):(\d{2})(?:\.\d+)?$")
    number = [parts.struct.field(str(i)).cast(pl.Int64) for i in range(1, 5)]
    return number[0].fill_null(0) * 86400 + number[1] * 3600 + number[2] * 60 + number[3]


# ---------------------------------------------------------------------------------------------
# Request parsing and response shaping


def _find_report(category: str, raw_id: str) -> _Report | None:
    if not raw_id.isdigit():
        return None
    return next((r for r in REPORTS if r.category == category and r.id == int(raw_id)), None)


def _paging(req: SandboxRequest, default_size: int) -> tuple[int, int, bool]:
    errors: dict[str, list[str]] = {}
    page = _int_query(req, "page", 1, errors)
    size = _int_query(req, "pageSize", default_size, errors)
    if page < 1 and "page" not in errors:
        errors["page"] = ["The page must be 1 or greater."]
    if not 1 <= size <= MAX_PAGE_SIZE and "pageSize" not in errors:
        errors["pageSize"] = [f"The pageSize must be between 1 and {MAX_PAGE_SIZE}."]
    include = req.query_values("includeTotal")
    include_total = bool(include) and include[-1].strip().lower() == "true"
    if errors:
        raise _BadRequest(errors)
    return page, size, include_total


def _int_query(req: SandboxRequest, name: str, default: int, errors: dict[str, list[str]]) -> int:
    values = req.query_values(name)
    if not values or values[-1] == "":
        return default
    try:
        return int(values[-1])
    except ValueError:
        errors[name] = [f"The value '{values[-1]}' is not valid for {name}."]
        return default


def _page(rows: Sequence[Any], req: SandboxRequest, default_size: int) -> dict[str, Any]:
    page, size, include_total = _paging(req, default_size)
    start = (page - 1) * size
    chunk = list(rows[start : start + size])
    return {
        "page": page,
        "pageSize": size,
        "hasMore": start + size < len(rows),
        "totalCount": len(rows) if include_total else None,
        "data": chunk,
    }


def _data_page(
    report: _Report, result: pl.DataFrame, page: int, size: int, include_total: bool
) -> dict[str, Any]:
    start = (page - 1) * size
    chunk = result.slice(start, size) if start < result.height else result.clear()
    text_dates = chunk.with_columns(pl.col(pl.Date).cast(pl.String))
    return {
        "page": page,
        "pageSize": size,
        "hasMore": start + size < result.height,
        "totalCount": result.height if include_total else None,
        "fields": [{"name": f.name, "label": f.label} for f in report.fields],
        "data": [list(row) for row in text_dates.rows()],
    }


def _parse_parameters(report: _Report, body: bytes) -> dict[str, Any]:
    try:
        payload = json.loads(body or b"{}")
    except ValueError as exc:
        raise _BadRequest({"body": ["The request body is not valid JSON."]}) from exc
    if not isinstance(payload, dict):
        raise _BadRequest({"body": ["The request body must be a JSON object with 'parameters'."]})
    raw = payload.get("parameters") or []
    if not isinstance(raw, list):
        raise _BadRequest({"parameters": ["'parameters' must be an array of {name, value}."]})
    declared = {p.name.lower(): p for p in report.parameters}
    errors: dict[str, list[str]] = {}
    values: dict[str, Any] = {}
    for index, item in enumerate(raw):
        if not isinstance(item, dict) or not isinstance(item.get("name"), str):
            errors[f"parameters[{index}]"] = ["Each parameter needs a string 'name' and a 'value'."]
            continue
        param = declared.get(item["name"].lower())
        if param is None:
            errors[item["name"]] = [f"Parameter '{item['name']}' not found."]
            continue
        try:
            values[param.name] = _parameter_value(param, item.get("value"))
        except ValueError as exc:
            errors[param.name] = [str(exc)]
    for param in report.parameters:
        if param.required and values.get(param.name) is None and param.name not in errors:
            errors[param.name] = [f"The {param.name} parameter is required."]
    if errors:
        raise _BadRequest(errors)
    return values


def _parameter_value(param: _Param, value: Any) -> Any:
    if value is None:
        return None
    if param.is_array:
        items = value if isinstance(value, list) else [value]
        return [_scalar(param, item) for item in items]
    if isinstance(value, list):
        raise ValueError(f"The {param.name} parameter takes a single value.")
    return _scalar(param, value)


def _scalar(param: _Param, value: Any) -> Any:
    if param.data_type == "Date":
        text = value[:10] if isinstance(value, str) else None
        try:
            return date.fromisoformat(text) if text is not None else _invalid(param, value)
        except ValueError:
            return _invalid(param, value)
    if param.data_type == "Number":
        if isinstance(value, bool):
            return _invalid(param, value)
        try:
            number = float(value)
        except (TypeError, ValueError):
            return _invalid(param, value)
        if not math.isfinite(number):
            return _invalid(param, value)
        result: Any = int(number) if number.is_integer() else number
        if param.values is not None and result not in {v for v, _ in param.values}:
            raise ValueError(f"The value '{value}' is not allowed for {param.name}.")
        return result
    if param.data_type == "Boolean":
        if isinstance(value, bool):
            return value
        return _invalid(param, value)
    return str(value)


def _invalid(param: _Param, value: Any) -> Any:
    raise ValueError(f"The value '{value}' is not a valid {param.data_type} for {param.name}.")

"""The reports the sandbox serves: six computed from the world's tables, plus the KPI reports
(`stnb.sandbox.reports.kpi`); their categories and dynamic value sets."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import polars as pl

from stnb.sandbox.reports.kpi import KPI_REPORTS
from stnb.sandbox.reports.model import FROM, TO, UNITS, Field, Param, Report
from stnb.sandbox.reports.source import ReportSource

__all__ = ["CATEGORIES", "REPORTS", "VALUE_SETS"]


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


REPORTS: tuple[Report, ...] = (
    Report(
        "business-unit-dashboard",
        175,
        "Revenue",
        "Invoiced revenue by business unit for invoices dated From..To (tenant-local dates).",
        (FROM, TO, UNITS),
        (
            Field("BusinessUnitId", "Business Unit ID", "Number"),
            Field("Name", "Business Unit", "String"),
            Field("Invoices", "Invoices", "Number"),
            Field("TotalRevenue", "Total Revenue", "Number"),
            Field("AverageInvoice", "Average Invoice", "Number"),
        ),
        _revenue,
    ),
    Report(
        "technician-dashboard",
        168,
        "Technician Performance",
        "Completed jobs and invoiced revenue per technician for jobs completed From..To.",
        (FROM, TO, UNITS),
        (
            Field("TechnicianId", "Technician ID", "Number"),
            Field("Name", "Technician", "String"),
            Field("BusinessUnit", "Business Unit", "String"),
            Field("CompletedJobs", "Completed Jobs", "Number"),
            Field("Revenue", "Revenue", "Number"),
            Field("AverageTicket", "Average Ticket", "Number"),
        ),
        _technician_performance,
    ),
    Report(
        "operations",
        162,
        "Jobs by Status",
        "Job counts per business unit and status, by created or completed date.",
        (
            Param("DateType", "Date Type", "Number", values=((1, "Created Date"), (2, "Completed Date"))),
            FROM,
            TO,
            UNITS,
        ),
        (
            Field("BusinessUnit", "Business Unit", "String"),
            Field("JobStatus", "Job Status", "String"),
            Field("Jobs", "Jobs", "Number"),
        ),
        _jobs_by_status,
    ),
    Report(
        "operations",
        2281,
        "Memberships Sold",
        "Memberships sold From..To per membership type and business unit.",
        (FROM, TO, UNITS),
        (
            Field("MembershipType", "Membership Type", "String"),
            Field("BusinessUnit", "Business Unit", "String"),
            Field("Sold", "Sold", "Number"),
            Field("Revenue", "Revenue", "Number"),
        ),
        _memberships_sold,
    ),
    Report(
        "marketing",
        182,
        "Calls by Campaign",
        "Inbound calls, booked calls and conversion per campaign for calls received From..To.",
        (
            FROM,
            TO,
            Param("CampaignIds", "Campaigns", "Number", is_array=True, dynamic_set="campaigns"),
        ),
        (
            Field("CampaignId", "Campaign ID", "Number"),
            Field("Campaign", "Campaign", "String"),
            Field("Calls", "Calls", "Number"),
            Field("BookedCalls", "Booked Calls", "Number"),
            Field("ConversionRate", "Conversion Rate %", "Number"),
            Field("AverageDurationSeconds", "Average Duration (s)", "Number"),
        ),
        _calls_by_campaign,
    ),
    Report(
        "accounting",
        166,
        "Invoices Aging",
        "Every invoice with an open balance as of a date, with days overdue and aging bucket.",
        (Param("AsOf", "As Of", "Date", required=True), UNITS),
        (
            Field("InvoiceId", "Invoice ID", "Number"),
            Field("InvoiceNumber", "Invoice #", "String"),
            Field("Customer", "Customer", "String"),
            Field("BusinessUnit", "Business Unit", "String"),
            Field("InvoiceDate", "Invoice Date", "Date"),
            Field("DueDate", "Due Date", "Date"),
            Field("Total", "Total", "Number"),
            Field("Balance", "Balance", "Number"),
            Field("DaysOverdue", "Days Overdue", "Number"),
            Field("AgingBucket", "Aging Bucket", "String"),
        ),
        _invoices_aging,
    ),
)


REPORTS = REPORTS + KPI_REPORTS

CATEGORIES: tuple[tuple[str, str], ...] = (
    ("accounting", "Accounting"),
    ("business-unit-dashboard", "Business Unit Dashboard"),
    ("marketing", "Marketing"),
    ("operations", "Operations"),
    ("technician-dashboard", "Technician Dashboard"),
)

VALUE_SETS: Mapping[str, Callable[[ReportSource], pl.DataFrame]] = {
    "business-units": lambda s: s.business_units,
    "technicians": lambda s: s.technicians,
    "campaigns": lambda s: s.campaigns,
    "membership-types": lambda s: s.membership_types,
}

"""The sandbox's KPI reports: the figures `stnb.recipes` reconcile against, computed from the world's own
records the way ServiceTitan's help center describes its reports (`kpis-and-reports.md`).

They read the world's tables directly (internal columns included), never the list endpoints, and share
no code with the recipes. Dates are tenant-local (`From`/`To` inclusive). Where ServiceTitan's documents
are silent, the choice made is written next to the report. Only active records count; a job or invoice
that was deleted (inactive) counts nowhere. Money is summed in integer cents and sent in dollars.

- **Business Unit Performance** (business-unit-dashboard): per business unit of the *invoice item*,
  income items only (GL account type Income; tax is not an item). CompletedRevenue: items of non-adjustment
  invoices of jobs Completed in the range (job completion date). AdjustmentRevenue: items of adjustment
  invoices dated in the range. NonJobRevenue: items of invoices with no job dated in the range.
  TotalRevenue is their sum. CompletedJobs counts completed jobs by the *job's* unit (chosen: the
  documents attribute it to the item's unit, which a job with items in two units makes ambiguous).
- **Technician Revenue** (technician-dashboard): CompletedRevenue split equally between the distinct
  technicians assigned to the job's appointments (chosen: the demo world records no split percentages),
  each job's share rounded to the cent, adjustment invoices not counted (the default of the "include
  adjustment invoices in technician reports" setting). CompletedJobs: jobs with a share.
- **Campaign Performance** (marketing): Leads (inbound calls of 60 s or more whose type is not Excused,
  NotLead or Abandoned) and BookedLeads by call date; CompletedJobs and CompletedRevenue of the campaign's
  jobs by completion date (income items, adjustments excluded).
- **Membership Summary** (marketing): per membership type. A membership is active from its creation until
  its end: the cancellation date (Canceled), its `to` date (Expired), its last modification (Suspended;
  chosen: the world records no suspension date), never (Active). ActiveAtStart/ActiveAtEnd count active
  ones at the range's first and last local midnight; NewSales, Canceled, Expired count the events in it.
- **AR Aging Summary** (accounting): balances as of the end of the `AsOf` local day: invoice total minus
  payments applied up to then, for invoices dated up to then, per invoice business unit, aged by days from
  the invoice's local date (chosen: the AR Summary report does not say; invoice date as in AR Detail).
  Credits (negative balances) are netted in.
- **Technician Utilization** (technician-dashboard): BookedHours: hours of the technician's assigned
  appointments inside the range's local days (a visit across local midnight is split there);
  AvailableHours: 8 hours per local weekday of the range (chosen: the demo world has no shifts), for
  every active technician and any other with booked hours. Utilization = BookedHours / AvailableHours.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import polars as pl

__all__ = [
    "AVAILABLE_HOURS_PER_WEEKDAY",
    "LEAD_MIN_SECONDS",
    "NOT_LEAD_CALL_TYPES",
    "ar_aging_summary",
    "business_unit_performance",
    "campaign_performance",
    "membership_summary",
    "technician_revenue",
    "technician_utilization",
]

AVAILABLE_HOURS_PER_WEEKDAY = 8
LEAD_MIN_SECONDS = 60
NOT_LEAD_CALL_TYPES = ("Excused", "NotLead", "Abandoned")
AGING_BUCKETS = (("Current", 0, 30), ("Days31To60", 31, 60), ("Days61To90", 61, 90), ("Days91To120", 91, 120))


def _bounds(world: Any, first: date, last: date) -> tuple[datetime, datetime]:
    zone = ZoneInfo(str(world.timezone))
    start = datetime.combine(first, time(0), tzinfo=zone).astimezone(UTC)
    end = datetime.combine(last + timedelta(days=1), time(0), tzinfo=zone).astimezone(UTC)
    return start, end


def _within(column: str, bounds: tuple[datetime, datetime]) -> pl.Expr:
    return (pl.col(column) >= bounds[0]) & (pl.col(column) < bounds[1])


def _dollars(cents: pl.Expr) -> pl.Expr:
    return (cents.cast(pl.Float64) / 100).round(2)


def _cents(text: pl.Expr) -> pl.Expr:
    return (text.cast(pl.Decimal(18, 2), strict=False) * 100).cast(pl.Int64)


def _units(params: Mapping[str, Any]) -> list[int] | None:
    units = params.get("BusinessUnitIds")
    return [int(u) for u in units] if units else None


def _active(frame: pl.DataFrame) -> pl.DataFrame:
    return frame.filter(pl.col("active").fill_null(True)) if "active" in frame.columns else frame


def _invoice_lines(world: Any) -> pl.DataFrame:
    """One row per income item of every active invoice: invoice id, date, kind, job id, item BU, cents."""
    invoices = _active(world.invoices())
    exploded = invoices.select(
        pl.col("id").alias("invoice_id"),
        pl.col("invoiceDate").alias("invoice_date"),
        pl.col("adjustmentToId").is_not_null().alias("adjustment"),
        pl.col("job").struct.field("id").alias("job_id"),
        "items",
    ).explode("items")
    items = exploded.filter(pl.col("items").is_not_null()).with_columns(
        pl.col("items").struct.field("generalLedgerAccount").struct.field("type").alias("gl_type"),
        pl.col("items").struct.field("businessUnit").struct.field("id").alias("business_unit_id"),
        _cents(pl.col("items").struct.field("total")).alias("cents"),
    )
    return items.filter(pl.col("gl_type") == "Income").drop("items", "gl_type")


def _completed_jobs(world: Any, bounds: tuple[datetime, datetime]) -> pl.DataFrame:
    return _active(world.jobs()).filter((pl.col("jobStatus") == "Completed") & _within("completedOn", bounds))


def business_unit_performance(world: Any, params: Mapping[str, Any]) -> pl.DataFrame:
    bounds = _bounds(world, params["From"], params["To"])
    lines = _invoice_lines(world)
    jobs = _completed_jobs(world, bounds)
    completed = lines.filter(~pl.col("adjustment") & pl.col("job_id").is_in(jobs["id"].implode()))
    dated = lines.filter(_within("invoice_date", bounds))
    parts = pl.concat(
        [
            completed.select("business_unit_id", "cents", pl.lit("CompletedRevenue").alias("part")),
            dated.filter(pl.col("adjustment")).select(
                "business_unit_id", "cents", pl.lit("AdjustmentRevenue").alias("part")
            ),
            dated.filter(~pl.col("adjustment") & pl.col("job_id").is_null()).select(
                "business_unit_id", "cents", pl.lit("NonJobRevenue").alias("part")
            ),
        ]
    )
    sums = {
        part: parts.filter(pl.col("part") == part)
        .group_by("business_unit_id")
        .agg(pl.col("cents").sum().alias(part))
        for part in ("CompletedRevenue", "NonJobRevenue", "AdjustmentRevenue")
    }
    job_counts = jobs.group_by(pl.col("businessUnitId").alias("business_unit_id")).agg(
        pl.len().cast(pl.Int64).alias("CompletedJobs")
    )
    units: pl.DataFrame = world.business_units().select(
        pl.col("id").alias("business_unit_id"), pl.col("name").alias("Name")
    )
    wanted = _units(params)
    if wanted is not None:
        units = units.filter(pl.col("business_unit_id").is_in(wanted))
    frame = units
    for table in sums.values():
        frame = frame.join(table, on="business_unit_id", how="left")
    frame = frame.join(job_counts, on="business_unit_id", how="left").fill_null(0)
    money = ("CompletedRevenue", "NonJobRevenue", "AdjustmentRevenue")
    return (
        frame.with_columns(TotalRevenue=pl.sum_horizontal(money))
        .select(
            pl.col("business_unit_id").alias("BusinessUnitId"),
            "Name",
            *[_dollars(pl.col(c)).alias(c) for c in (*money, "TotalRevenue")],
            "CompletedJobs",
        )
        .sort("Name")
    )


def _job_technicians(world: Any) -> pl.DataFrame:
    """Distinct (job, technician) pairs from the active assignments, with each pair's equal share."""
    pairs = (
        _active(world.appointment_assignments())
        .select(pl.col("jobId").alias("job_id"), pl.col("technicianId").alias("technician_id"))
        .unique()
    )
    return pairs.with_columns((1.0 / pl.len().over("job_id")).alias("share"))


def technician_revenue(world: Any, params: Mapping[str, Any]) -> pl.DataFrame:
    bounds = _bounds(world, params["From"], params["To"])
    jobs = _completed_jobs(world, bounds)
    wanted = _units(params)
    if wanted is not None:
        jobs = jobs.filter(pl.col("businessUnitId").is_in(wanted))
    lines = _invoice_lines(world).filter(~pl.col("adjustment"))
    revenue = lines.group_by("job_id").agg(pl.col("cents").sum())
    shares = (
        _job_technicians(world)
        .join(jobs.select(pl.col("id").alias("job_id")), on="job_id", how="inner")
        .join(revenue, on="job_id", how="left")
        .with_columns(
            (pl.col("cents").fill_null(0).cast(pl.Float64) * pl.col("share")).round(0).alias("split")
        )
    )
    per_tech = shares.group_by("technician_id").agg(
        pl.col("split").sum().cast(pl.Int64).alias("cents"), pl.len().cast(pl.Int64).alias("CompletedJobs")
    )
    names = world.technicians().select(pl.col("id").alias("technician_id"), pl.col("name").alias("Name"))
    return (
        per_tech.join(names, on="technician_id", how="left")
        .select(
            pl.col("technician_id").alias("TechnicianId"),
            "Name",
            _dollars(pl.col("cents")).alias("CompletedRevenue"),
            "CompletedJobs",
        )
        .sort("Name", "TechnicianId")
    )


def campaign_performance(world: Any, params: Mapping[str, Any]) -> pl.DataFrame:
    bounds = _bounds(world, params["From"], params["To"])
    calls = _active(world.calls()).filter(_within("_received", bounds) & (pl.col("_direction") == "Inbound"))
    lead = (pl.col("_seconds") >= LEAD_MIN_SECONDS) & ~pl.col("_call_type").is_in(NOT_LEAD_CALL_TYPES)
    call_counts = calls.group_by(pl.col("_campaign").alias("campaign_id")).agg(
        lead.sum().cast(pl.Int64).alias("Leads"),
        (lead & (pl.col("_call_type") == "Booked")).sum().cast(pl.Int64).alias("BookedLeads"),
    )
    jobs = _completed_jobs(world, bounds).select(
        pl.col("id").alias("job_id"), pl.col("campaignId").alias("campaign_id")
    )
    lines = _invoice_lines(world).filter(~pl.col("adjustment"))
    revenue = jobs.join(lines.group_by("job_id").agg(pl.col("cents").sum()), on="job_id", how="left")
    job_counts = revenue.group_by("campaign_id").agg(
        pl.len().cast(pl.Int64).alias("CompletedJobs"), pl.col("cents").fill_null(0).sum().alias("cents")
    )
    names = world.campaigns().select(pl.col("id").alias("campaign_id"), pl.col("name").alias("Campaign"))
    frame = call_counts.join(job_counts, on="campaign_id", how="full", coalesce=True).join(
        names, on="campaign_id", how="left"
    )
    return (
        frame.with_columns(pl.col("Leads", "BookedLeads", "CompletedJobs", "cents").fill_null(0))
        .select(
            pl.col("campaign_id").alias("CampaignId"),
            "Campaign",
            "Leads",
            "BookedLeads",
            "CompletedJobs",
            _dollars(pl.col("cents")).alias("CompletedRevenue"),
        )
        .sort("Campaign", "CampaignId", nulls_last=True)
    )


def membership_summary(world: Any, params: Mapping[str, Any]) -> pl.DataFrame:
    start, end = _bounds(world, params["From"], params["To"])
    memberships = _active(world.memberships()).filter(pl.col("status") != "Deleted")
    ended = (
        pl.when(pl.col("status") == "Canceled")
        .then(pl.col("cancellationDate"))
        .when(pl.col("status") == "Expired")
        .then(pl.col("to"))
        .when(pl.col("status") == "Suspended")
        .then(pl.col("modifiedOn"))
    )
    frame = memberships.with_columns(ended.alias("_ended"))

    def active_at(instant: datetime) -> pl.Expr:
        return (pl.col("createdOn") < instant) & (pl.col("_ended").is_null() | (pl.col("_ended") >= instant))

    counts = frame.group_by(pl.col("membershipTypeId").alias("membership_type_id")).agg(
        active_at(start).sum().cast(pl.Int64).alias("ActiveAtStart"),
        _within("createdOn", (start, end)).sum().cast(pl.Int64).alias("NewSales"),
        ((pl.col("status") == "Canceled") & _within("_ended", (start, end)))
        .sum()
        .cast(pl.Int64)
        .alias("Canceled"),
        ((pl.col("status") == "Expired") & _within("_ended", (start, end)))
        .sum()
        .cast(pl.Int64)
        .alias("Expired"),
        active_at(end).sum().cast(pl.Int64).alias("ActiveAtEnd"),
    )
    names = world.membership_types().select(
        pl.col("id").alias("membership_type_id"), pl.col("name").alias("MembershipType")
    )
    return (
        counts.join(names, on="membership_type_id", how="left")
        .select(
            pl.col("membership_type_id").alias("MembershipTypeId"),
            "MembershipType",
            "ActiveAtStart",
            "NewSales",
            "Canceled",
            "Expired",
            "ActiveAtEnd",
        )
        .sort("MembershipType", "MembershipTypeId")
    )


def ar_aging_summary(world: Any, params: Mapping[str, Any]) -> pl.DataFrame:
    as_of: date = params["AsOf"]
    _, end = _bounds(world, as_of, as_of)
    zone = str(world.timezone)
    invoices = _active(world.invoices()).filter(pl.col("invoiceDate") < end)
    wanted = _units(params)
    if wanted is not None:
        invoices = invoices.filter(pl.col("businessUnit").struct.field("id").is_in(wanted))
    applied = (
        _active(world.payments())
        .filter(pl.col("date") < end)
        .select("appliedTo")
        .explode("appliedTo")
        .filter(pl.col("appliedTo").is_not_null())
        .select(
            pl.col("appliedTo").struct.field("appliedTo").alias("id"),
            _cents(pl.col("appliedTo").struct.field("appliedAmount")).alias("paid"),
        )
        .group_by("id")
        .agg(pl.col("paid").sum())
    )
    open_ = (
        invoices.select(
            "id",
            pl.col("businessUnit").struct.field("id").alias("business_unit_id"),
            _cents(pl.col("total")).alias("total"),
            pl.col("invoiceDate").dt.convert_time_zone(zone).dt.date().alias("local_date"),
        )
        .join(applied, on="id", how="left")
        .with_columns((pl.col("total") - pl.col("paid").fill_null(0)).alias("balance"))
        .filter(pl.col("balance") != 0)
        .with_columns((pl.lit(as_of) - pl.col("local_date")).dt.total_days().alias("age"))
    )
    buckets = [
        (pl.col("balance") * pl.col("age").is_between(low, high)).sum().alias(name)
        for name, low, high in AGING_BUCKETS
    ]
    buckets.append((pl.col("balance") * (pl.col("age") > 120)).sum().alias("Over120"))
    sums = open_.group_by("business_unit_id").agg(*buckets, pl.col("balance").sum().alias("Total"))
    units = world.business_units().select(
        pl.col("id").alias("business_unit_id"), pl.col("name").alias("BusinessUnit")
    )
    names = [name for name, _, _ in AGING_BUCKETS] + ["Over120", "Total"]
    return (
        sums.join(units, on="business_unit_id", how="left")
        .select(
            pl.col("business_unit_id").alias("BusinessUnitId"),
            "BusinessUnit",
            *[_dollars(pl.col(n)).alias(n) for n in names],
        )
        .sort("BusinessUnit", "BusinessUnitId")
    )


def _weekdays(first: date, last: date) -> int:
    days = (last - first).days + 1
    return sum(1 for n in range(days) if (first + timedelta(days=n)).weekday() < 5)


def technician_utilization(world: Any, params: Mapping[str, Any]) -> pl.DataFrame:
    first: date = params["From"]
    last: date = params["To"]
    start, end = _bounds(world, first, last)
    appointments = _active(world.appointments()).filter(pl.col("status") != "Canceled")
    visits = (
        _active(world.appointment_assignments())
        .select(pl.col("appointmentId").alias("id"), pl.col("technicianId").alias("technician_id"))
        .unique()
        .join(appointments.select("id", "start", "end"), on="id", how="inner")
    )
    overlap = (
        pl.min_horizontal(pl.col("end"), pl.lit(end)) - pl.max_horizontal(pl.col("start"), pl.lit(start))
    ).dt.total_seconds()
    booked = (
        visits.with_columns(overlap.clip(lower_bound=0).alias("seconds"))
        .group_by("technician_id")
        .agg(pl.col("seconds").sum())
        .filter(pl.col("seconds") > 0)
    )
    technicians: pl.DataFrame = world.technicians().select(
        pl.col("id").alias("technician_id"), pl.col("name").alias("Name"), "businessUnitId", "active"
    )
    frame = technicians.join(booked, on="technician_id", how="left").filter(
        pl.col("active") | pl.col("seconds").is_not_null()
    )
    wanted = _units(params)
    if wanted is not None:
        frame = frame.filter(pl.col("businessUnitId").is_in(wanted))
    available = float(AVAILABLE_HOURS_PER_WEEKDAY * _weekdays(first, last))
    hours = pl.col("seconds").fill_null(0) / 3600
    return frame.select(
        pl.col("technician_id").alias("TechnicianId"),
        "Name",
        hours.round(2).alias("BookedHours"),
        pl.lit(available).alias("AvailableHours"),
        (hours / available if available else pl.lit(0.0)).round(4).alias("Utilization"),
    ).sort("Name", "TechnicianId")

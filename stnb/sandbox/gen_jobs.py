"""Jobs with seasonality, their appointments and technician assignments, generated column-wise.

Everything that depends on a job (appointment ids, invoice id, lead call id) follows from the job's row
index through `entity_ids`, so jobs, appointments and invoices can be built independently and still
reference each other exactly.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import polars as pl

from stnb.sandbox.gen_accounting import tax_cents
from stnb.sandbox.gen_base import (
    JOBS_BASE,
    GenContext,
    entity_ids,
    local_times,
    row_key,
    seasonal_day_weights,
)
from stnb.sandbox.gen_crm import CUSTOM_FIELD_DTYPE, EXTERNAL_DATA_DTYPE
from stnb.sandbox.gen_reference import BU_SPECS, JOB_TYPE_SPECS
from stnb.sandbox.rng import Draws, pick, pick_grouped

__all__ = ["JobInputs", "appointment_assignments", "appointments", "job_notes", "jobs_core", "jobs_public"]

TRADES = ("HVAC", "Plumbing", "Electrical")
TRADE_SHARES = (0.45, 0.35, 0.20)
# Month-of-year demand per trade: summer cooling and winter heating peaks for HVAC, steady plumbing.
TRADE_MONTHLY: dict[str, tuple[float, ...]] = {
    "HVAC": (1.25, 1.1, 0.8, 0.7, 0.95, 1.45, 1.75, 1.6, 1.0, 0.8, 1.0, 1.25),
    "Plumbing": (1.15, 1.1, 1.0, 0.95, 0.95, 0.95, 0.95, 0.95, 0.95, 1.0, 1.0, 1.1),
    "Electrical": (0.9, 0.9, 1.0, 1.0, 1.05, 1.1, 1.15, 1.1, 1.0, 1.0, 0.95, 1.0),
}
PRIORITIES = ("Normal", "High", "Low", "Urgent")
PRIORITY_SHARES = (0.72, 0.14, 0.08, 0.06)
SUMMARIES: dict[str, tuple[str, ...]] = {
    "HVAC": (
        "Customer reports the system is blowing warm air.",
        "Thermostat not responding; check wiring and batteries.",
        "Unit is making a loud rattling noise on startup.",
        "Annual maintenance visit requested by the customer.",
        "System short-cycling; check filter and refrigerant.",
    ),
    "Plumbing": (
        "Water leaking under the kitchen sink.",
        "Toilet runs constantly after flushing.",
        "Low water pressure in the upstairs bathroom.",
        "Basement floor drain is backing up.",
        "No hot water since this morning.",
    ),
    "Electrical": (
        "Breaker trips whenever the microwave runs.",
        "Several outlets in the garage are dead.",
        "Customer wants recessed lighting in the living room.",
        "Flickering lights throughout the house.",
        "Estimate requested for a panel upgrade.",
    ),
}


@dataclass(frozen=True, slots=True)
class JobInputs:
    """The tables jobs draw their references from."""

    customers: pl.DataFrame  # id, createdOn, _idx
    locations: pl.DataFrame  # id, customerId, createdOn
    bu_ids: Sequence[int]
    job_type_ids: Sequence[int]
    campaign_ids: Sequence[int]
    campaign_weights: Sequence[float]
    technicians: pl.DataFrame  # id, name, businessUnitId, active
    csr_ids: Sequence[int]
    dispatcher_ids: Sequence[int]


def _trade_day(ctx: GenContext, d: Draws, key: pl.Expr, trade: pl.Expr) -> pl.Expr:
    choices: list[tuple[Sequence[int], Sequence[float] | None]] = []
    for name in TRADES:
        weights = seasonal_day_weights(ctx, TRADE_MONTHLY[name])
        for day in range(min(4, len(weights))):
            weights[day] = 0.0  # no jobs before the imported customers exist
        choices.append((range(len(weights)), weights))
    return pick_grouped(trade, d.uniform(key, "day"), choices)


def _job_type(d: Draws, key: pl.Expr, bu: pl.Expr, warm: pl.Expr) -> pl.Expr:
    """A job type of the business unit, weighted by season (group = unit * 2 + warm)."""
    choices: list[tuple[Sequence[int], Sequence[float] | None]] = []
    for b in range(len(BU_SPECS)):
        specs = [(i, s) for i, s in enumerate(JOB_TYPE_SPECS) if s.bu == b]
        ids = [i for i, _s in specs]
        choices.append((ids, [s.cold_weight for _i, s in specs]))
        choices.append((ids, [s.warm_weight for _i, s in specs]))
    return pick_grouped(bu * 2 + warm.cast(pl.Int64), d.uniform(key, "type"), choices)


def _technician_for(bu_col: pl.Expr, key: pl.Expr, d: Draws, name: str, inputs: JobInputs) -> pl.Expr:
    """A technician of the row's business unit (any active one when the unit has none)."""
    techs = inputs.technicians.filter(pl.col("active"))
    fallback = techs["id"].to_list() or inputs.technicians["id"].to_list()
    units = list(inputs.bu_ids)
    choices: list[tuple[Sequence[int], Sequence[float] | None]] = [
        (techs.filter(pl.col("businessUnitId") == bu_id)["id"].to_list() or fallback, None) for bu_id in units
    ]
    choices.append((fallback, None))
    positions = {bu: n for n, bu in enumerate(units)}
    group = bu_col.replace_strict(positions, default=len(units), return_dtype=pl.Int64)
    return pick_grouped(group, d.uniform(key, name), choices)


def jobs_core(ctx: GenContext, inputs: JobInputs) -> pl.DataFrame:
    """Every organic job with the internal columns its appointments, invoices and calls derive from."""
    n = ctx.count(JOBS_BASE)
    d = ctx.draws("jobs")
    i = row_key(n)
    trade = d.index(i, "trade", len(TRADES), TRADE_SHARES)
    draft = pl.select(
        _key=i,
        _trade=trade,
        _day=_trade_day(ctx, d, i, trade),
        _seconds=d.integers(i, "second", 7 * 3600, 18 * 3600),
    ).sort("_day", "_seconds", "_key")
    k = pl.col("_key")
    frame = (
        draft.with_row_index("_idx")
        .with_columns(pl.col("_idx").cast(pl.Int64))
        .with_columns(
            id=entity_ids("jobs", pl.col("_idx"), d),
            createdOn=local_times(pl.col("_day"), pl.col("_seconds"), ctx),
            _bu=pl.col("_trade") * 2 + d.bernoulli(k, "install", 0.2).cast(pl.Int64),
        )
    )
    warm = pl.col("createdOn").dt.month().is_between(5, 9)
    frame = frame.with_columns(_type=_job_type(d, k, pl.col("_bu"), warm))
    frame = _attach_customer(ctx, frame, inputs, d)
    specs = JOB_TYPE_SPECS
    install = pick([s.job_class == "Install" for s in specs], pl.col("_type"))
    lead_days = (
        pl.when(install)
        .then(d.integers(k, "lead_install", 3, 21))
        .otherwise(d.index(k, "lead_service", 6, (0.35, 0.3, 0.15, 0.1, 0.05, 0.05)))
    )
    slot = d.choice(k, "slot", (8, 10, 12, 14, 16), (0.3, 0.25, 0.2, 0.15, 0.1))
    hours = pick([s.hours for s in specs], pl.col("_type")) * (0.7 + d.uniform(k, "hours") * 0.8)
    start = pl.col("_start")
    frame = (
        frame.with_columns(_start=local_times(pl.col("_day") + lead_days, slot * 3600, ctx), _hours=hours)
        .with_columns(
            # A same-day slot that already passed when the call came in moves to the next day.
            _start=pl.when(start < pl.col("createdOn") + pl.duration(minutes=30))
            .then(start + pl.duration(days=1))
            .otherwise(start),
            _install=install,
        )
        .with_columns(_end=pl.col("_start") + pl.duration(seconds=(pl.col("_hours") * 3600).cast(pl.Int64)))
    )
    refresh = pl.lit(ctx.refresh).dt.cast_time_unit("us")
    u = d.uniform(k, "status")
    done = pl.col("_end") < refresh - pl.duration(days=1)
    started = pl.col("_start") < refresh
    status = (
        pl.when(done & (u < 0.91))
        .then(pl.lit("Completed"))
        .when(done)
        .then(pl.lit("Canceled"))
        .when(started)
        .then(pick(["InProgress", "Dispatched", "Hold"], d.index(k, "open", 3, (0.4, 0.35, 0.25))))
        .when(u < 0.06)
        .then(pl.lit("Canceled"))
        .when(u < 0.12)
        .then(pl.lit("Hold"))
        .otherwise(pl.lit("Scheduled"))
    )
    appts = (
        1
        + d.bernoulli(k, "appt2", 0.08).cast(pl.Int64)
        + d.bernoulli(k, "appt3", 0.02).cast(pl.Int64)
        + (install & d.bernoulli(k, "appt_install", 0.3)).cast(pl.Int64)
    )
    no_charge = d.bernoulli(k, "no_charge", 0.02)
    ticket = pick([s.ticket * 100 for s in specs], pl.col("_type"))
    factor = (0.55 + d.uniform(k, "ticket") * 0.9 + d.uniform(k, "ticket2") ** 6 * 1.5).clip(0.3, 3.0)
    frame = (
        frame.with_columns(jobStatus=status)
        .with_columns(
            _appointments=appts,
            noCharge=no_charge,
            _subtotal_cents=pl.when((pl.col("jobStatus") == "Completed") & ~no_charge)
            .then((ticket * factor).round(0).cast(pl.Int64))
            .otherwise(pl.lit(0, dtype=pl.Int64)),
            _from_call=d.bernoulli(k, "from_call", 0.62),
            _in_project=install & d.bernoulli(k, "project", 0.35),
        )
        .with_columns(_tax_cents=tax_cents(ctx, pl.col("_subtotal_cents"), pl.col("_install")))
    )
    frame = frame.with_columns(
        _first_appt=pl.col("_appointments").cum_sum() - pl.col("_appointments"),
        _call_idx=pl.col("_from_call").cast(pl.Int64).cum_sum() - 1,
        _project_idx=pl.when(pl.col("_in_project")).then(pl.col("_in_project").cast(pl.Int64).cum_sum() - 1),
    )
    modified_span = pl.min_horizontal(
        pl.when(pl.col("jobStatus") == "Completed")
        .then(pl.col("_end") + pl.duration(seconds=d.integers(k, "mod_done", 600, 3 * 86400)))
        .otherwise(
            pl.col("createdOn")
            + pl.duration(
                seconds=(
                    d.uniform(k, "mod_open")
                    * (pl.min_horizontal(pl.col("_start"), refresh) - pl.col("createdOn")).dt.total_seconds()
                ).cast(pl.Int64)
            )
        ),
        refresh - pl.duration(minutes=1),
    )
    return frame.with_columns(
        completedOn=pl.when(pl.col("jobStatus") == "Completed").then(pl.col("_end")),
        modifiedOn=pl.max_horizontal(modified_span, pl.col("createdOn")),
        active=~d.bernoulli(k, "deleted", 0.005),
    )


def _attach_customer(ctx: GenContext, frame: pl.DataFrame, inputs: JobInputs, d: Draws) -> pl.DataFrame:
    """Pick for each job a customer that already existed, then one of its locations that existed too."""
    customers = inputs.customers.sort("createdOn")
    created_us = customers["createdOn"].dt.epoch("us")
    k = pl.col("_key")
    existing = pl.lit(created_us).search_sorted(pl.col("createdOn").dt.epoch("us"), side="right")
    customer_row = (
        (d.uniform(k, "customer") * existing.cast(pl.Float64)).cast(pl.Int64).clip(0, len(customers) - 1)
    )
    frame = frame.with_columns(customerId=pl.lit(customers["id"]).gather(customer_row))
    sites = (
        inputs.locations.sort("createdOn", "id")
        .group_by("customerId")
        .agg(_site_ids=pl.col("id"), _site_created=pl.col("createdOn"))
    )
    frame = frame.join(sites, on="customerId", how="left", maintain_order="left")
    site = (d.uniform(k, "site") ** 3 * pl.col("_site_ids").list.len()).cast(pl.Int64)
    chosen_created = pl.col("_site_created").list.get(site, null_on_oob=True)
    site = pl.when(chosen_created <= pl.col("createdOn")).then(site).otherwise(0)
    frame = frame.with_columns(locationId=pl.col("_site_ids").list.get(site, null_on_oob=True))
    return frame.drop("_site_ids", "_site_created").sort("_idx")


def jobs_public(ctx: GenContext, core: pl.DataFrame, inputs: JobInputs) -> pl.DataFrame:
    """The jobs table as the API serves it (plus internal columns prefixed with `_`)."""
    d = ctx.draws("jobs")
    k = pl.col("_key")
    appt = ctx.draws("appointments")
    calls = ctx.draws("calls")
    trade_summary = [SUMMARIES[t] for t in TRADES]
    summary = pl.format(
        "{} - {}",
        pick([s.name for s in JOB_TYPE_SPECS], pl.col("_type")),
        pl.when(pl.col("_trade") == 0)
        .then(d.choice(k, "summary0", trade_summary[0]))
        .when(pl.col("_trade") == 1)
        .then(d.choice(k, "summary1", trade_summary[1]))
        .otherwise(d.choice(k, "summary2", trade_summary[2])),
    )
    bu_id = pick(list(inputs.bu_ids), pl.col("_bu"))
    frame = core.with_columns(_bu_id=bu_id)
    sold_by = _technician_for(pl.col("_bu_id"), k, d, "sold_by", inputs)
    commercial_po = pl.format("PO-{}", d.integers(k, "po", 10000, 99999))
    return frame.with_columns(
        jobNumber=pl.col("id").cast(pl.String),
        projectId=entity_ids("projects", pl.col("_project_idx"), ctx.draws("projects")),
        businessUnitId=pl.col("_bu_id"),
        jobTypeId=pick(list(inputs.job_type_ids), pl.col("_type")),
        priority=pick(list(PRIORITIES), d.index(k, "priority", len(PRIORITIES), PRIORITY_SHARES)),
        campaignId=pick(
            list(inputs.campaign_ids),
            d.index(k, "campaign", len(inputs.campaign_ids), inputs.campaign_weights),
        ),
        summary=summary,
        customFields=pl.lit([], dtype=CUSTOM_FIELD_DTYPE),
        appointmentCount=pl.col("_appointments"),
        firstAppointmentId=entity_ids("appointments", pl.col("_first_appt"), appt),
        lastAppointmentId=entity_ids(
            "appointments", pl.col("_first_appt") + pl.col("_appointments") - 1, appt
        ),
        recallForId=pl.lit(None, dtype=pl.Int64),
        warrantyId=pl.lit(None, dtype=pl.Int64),
        jobGeneratedLeadSource=pl.lit(None, dtype=pl.Struct({"jobId": pl.Int64, "employeeId": pl.Int64})),
        notificationsEnabled=d.bernoulli(k, "notify", 0.92),
        createdById=d.choice(k, "created_by", list(inputs.csr_ids)),
        tagTypeIds=pl.lit([], dtype=pl.List(pl.Int64)),
        leadCallId=pl.when(pl.col("_from_call")).then(entity_ids("calls", pl.col("_call_idx"), calls)),
        bookingId=pl.lit(None, dtype=pl.Int64),
        soldById=pl.when(pl.col("_install") | d.bernoulli(k, "sold", 0.3)).then(sold_by),
        externalData=pl.lit([], dtype=EXTERNAL_DATA_DTYPE),
        customerPo=pl.when(d.bernoulli(k, "has_po", 0.08)).then(commercial_po).otherwise(pl.lit("")),
        invoiceId=entity_ids("invoices", pl.col("_idx"), ctx.draws("invoices")),
        membershipId=pl.lit(None, dtype=pl.Int64),
        total=((pl.col("_subtotal_cents") + pl.col("_tax_cents")) / 100.0).round(2),
    ).select(
        "id",
        "jobNumber",
        "projectId",
        "customerId",
        "locationId",
        "jobStatus",
        "completedOn",
        "businessUnitId",
        "jobTypeId",
        "priority",
        "campaignId",
        "summary",
        "customFields",
        "appointmentCount",
        "firstAppointmentId",
        "lastAppointmentId",
        "recallForId",
        "warrantyId",
        "jobGeneratedLeadSource",
        "noCharge",
        "notificationsEnabled",
        "createdOn",
        "createdById",
        "modifiedOn",
        "tagTypeIds",
        "leadCallId",
        "bookingId",
        "soldById",
        "externalData",
        "customerPo",
        "invoiceId",
        "membershipId",
        "total",
        "active",
        pl.col("^_.*$"),
    )


_APPOINTMENT_STATUS = {
    "Completed": "Done",
    "Canceled": "Canceled",
    "Dispatched": "Dispatched",
    "Hold": "Hold",
    "Scheduled": "Scheduled",
}


def appointments(ctx: GenContext, jobs: pl.DataFrame) -> pl.DataFrame:
    """Each job's appointments: the first at the job's start, later ones a few days apart."""
    d = ctx.draws("appointments")
    refresh = pl.lit(ctx.refresh).dt.cast_time_unit("us")
    exploded = (
        jobs.select(
            pl.col("id").alias("jobId"),
            "jobNumber",
            "customerId",
            "jobStatus",
            "createdOn",
            "createdById",
            "active",
            "_start",
            "_hours",
            "_appointments",
            "_first_appt",
            "_key",
        )
        .with_columns(_n=pl.int_ranges(0, pl.col("_appointments")))
        .explode("_n")
        .with_columns(_appt_idx=pl.col("_first_appt") + pl.col("_n"))
    )
    a = pl.col("_appt_idx")
    gap_days = d.integers(a, "gap", 1, 4)
    visit_hours = pl.col("_hours") / pl.col("_appointments")
    start = pl.col("_start") + pl.duration(days=pl.col("_n") * gap_days)
    last = pl.col("_n") == pl.col("_appointments") - 1
    status = (
        pl.when(pl.col("jobStatus") == "InProgress")
        .then(pl.when(last).then(pl.lit("Working")).otherwise(pl.lit("Done")))
        .otherwise(pl.col("jobStatus").replace_strict(_APPOINTMENT_STATUS, default="Scheduled"))
    )
    frame = exploded.with_columns(
        id=entity_ids("appointments", a, d),
        appointmentNumber=pl.format("{}-{}", pl.col("jobNumber"), pl.col("_n") + 1),
        start=start,
        end=start + pl.duration(seconds=(visit_hours * 3600).cast(pl.Int64)),
        arrivalWindowStart=start,
        arrivalWindowEnd=start + pl.duration(hours=2),
        status=status,
    )
    created = (
        pl.when(pl.col("_n") == 0)
        .then(pl.col("createdOn"))
        .otherwise(pl.min_horizontal(pl.col("start") - pl.duration(days=1), refresh - pl.duration(hours=2)))
    )
    created = pl.max_horizontal(created, pl.col("createdOn"))
    finished = pl.col("status").is_in(["Done", "Canceled"])
    modified = (
        pl.when(finished)
        .then(pl.col("end") + pl.duration(minutes=d.integers(a, "mod", 5, 600)))
        .otherwise(created + pl.duration(minutes=d.integers(a, "mod_open", 1, 600)))
    )
    frame = frame.with_columns(createdOn=created).with_columns(
        modifiedOn=pl.max_horizontal(
            pl.min_horizontal(modified, refresh - pl.duration(minutes=1)), pl.col("createdOn")
        ),
        specialInstructions=pl.when(d.bernoulli(a, "instructions", 0.15))
        .then(
            d.choice(
                a,
                "instruction",
                ("Call on arrival.", "Gate code 4821.", "Dog in the backyard.", "Use side door."),
            )
        )
        .otherwise(pl.lit(None, dtype=pl.String)),
        unused=pl.lit(False),
        isConfirmed=pl.col("status").is_in(["Done", "Working"]) | d.bernoulli(a, "confirmed", 0.6),
    )
    return frame.select(
        "id",
        "jobId",
        "appointmentNumber",
        "start",
        "end",
        "arrivalWindowStart",
        "arrivalWindowEnd",
        "status",
        "specialInstructions",
        "createdOn",
        "modifiedOn",
        "customerId",
        "unused",
        "createdById",
        "isConfirmed",
        "active",
        pl.col("_appt_idx"),
    )


_ASSIGNMENT_STATUS = {"Done": "Done", "Working": "Working", "Dispatched": "Dispatched"}


def appointment_assignments(
    ctx: GenContext, appointment_frame: pl.DataFrame, jobs: pl.DataFrame, inputs: JobInputs
) -> pl.DataFrame:
    """One technician per appointment, a second one on some; canceled visits keep inactive rows."""
    d = ctx.draws("assignments")
    tech_names = dict(
        zip(inputs.technicians["id"].to_list(), inputs.technicians["name"].to_list(), strict=True)
    )
    base = (
        appointment_frame.join(
            jobs.select(pl.col("id").alias("jobId"), "_bu_id"), on="jobId", how="left", maintain_order="left"
        )
        .sort("_appt_idx")
        .with_columns(_techs=1 + d.bernoulli(pl.col("_appt_idx"), "second", 0.15).cast(pl.Int64))
    )
    exploded = (
        base.with_columns(_t=pl.int_ranges(0, pl.col("_techs")))
        .explode("_t")
        .with_row_index("_row")
        .with_columns(pl.col("_row").cast(pl.Int64))
    )
    r = pl.col("_row")
    technician = _technician_for(pl.col("_bu_id"), r, d, "tech", inputs)
    frame = exploded.with_columns(
        id=entity_ids("assignments", r, d),
        technicianId=technician,
        assignedById=d.choice(r, "assigned_by", list(inputs.dispatcher_ids)),
        assignedOn=pl.col("createdOn") + pl.duration(minutes=d.integers(r, "assigned", 1, 90)),
        status=pl.col("status").replace_strict(_ASSIGNMENT_STATUS, default="Scheduled"),
        isPaused=pl.lit(False),
        appointmentId=pl.col("id"),
        active=pl.col("active") & (pl.col("status") != "Canceled"),
    ).with_columns(
        technicianName=pl.col("technicianId").replace_strict(tech_names, default="", return_dtype=pl.String),
        assignedOn=pl.min_horizontal(pl.col("assignedOn"), pl.col("modifiedOn")),
    )
    return frame.select(
        "id",
        "technicianId",
        "technicianName",
        "assignedById",
        "assignedOn",
        "status",
        "isPaused",
        "jobId",
        "appointmentId",
        "modifiedOn",
        "active",
    )


_NOTES = (
    "Customer asked for a call 30 minutes before arrival.",
    "Parts ordered; follow-up visit needed.",
    "Quoted replacement; customer will think about it.",
    "Left invoice with the homeowner.",
    "Gate code on file; dog is friendly.",
    "Warranty registration completed on site.",
)


def job_notes(ctx: GenContext, jobs: pl.DataFrame) -> pl.DataFrame:
    """Technician and office notes on about a quarter of the jobs."""
    d = ctx.draws("job_notes")
    k = pl.col("_key")
    count = d.bernoulli(k, "one", 0.25).cast(pl.Int64) + d.bernoulli(k, "two", 0.05).cast(pl.Int64)
    exploded = (
        jobs.select(pl.col("id").alias("jobId"), "createdOn", "modifiedOn", "createdById", "active", "_key")
        .with_columns(_n=pl.int_ranges(0, count))
        .explode("_n")
        .drop_nulls("_n")
        .with_row_index("_row")
        .with_columns(pl.col("_row").cast(pl.Int64))
    )
    r = pl.col("_row")
    span = (pl.col("modifiedOn") - pl.col("createdOn")).dt.total_seconds()
    created = pl.col("createdOn") + pl.duration(seconds=(d.uniform(r, "when") * span).cast(pl.Int64))
    return exploded.with_columns(
        id=entity_ids("job_notes", r, d),
        text=d.choice(r, "text", _NOTES),
        isPinned=d.bernoulli(r, "pinned", 0.1),
        createdOn=created,
        modifiedOn=created,
    ).select("id", "jobId", "text", "isPinned", "createdById", "createdOn", "modifiedOn", "active")

"""Reconciliation traps planted in the organic history: records whose figures differ between the list
endpoints read naively and ServiceTitan's reports, so that recipes must handle and name them.

Every tenant-local calendar month of the organic history (the first and the last before the refresh
excepted, see `_months`) holds, in both environments alike (the traps are part of the shared history):

- a **midnight job**: a completed one-visit job whose visit runs from 20:15 on the month's last local day
  to 00:15 on the next month's first local day (MIDNIGHT_JOB_HOURS). It crosses midnight in the tenant's
  zone but, for a US zone, not in UTC (its hours split between two local days, and two months);
- a **late invoice**: the invoice of a job completed in the month's last three local days is dated
  LATE_INVOICE_DAYS after the completion (the next month);
- an **early invoice**: the invoice of a job completed in the month's first three local days is dated
  EARLY_INVOICE_DAYS before the completion (the previous month);
- an **adjustment invoice**: one more invoice (`adjustmentToId` = the late invoice's id, the same job)
  dated on the 10th of the next month at noon local, of ADJUSTMENT_SHARE of that job's subtotal, no tax;
- a **non-job invoice** (membership billing of NON_JOB_CENTS, no job, no tax) dated the 20th of the next
  month at noon local, for the late invoice's customer and business unit;
- an **item in another business unit**: the adjustment invoice's items are posted to the next business
  unit (by id) after the invoice's (`plant_item_traps`);
- an **inactive job**: a completed job of the month's second half that the organic history deleted
  (inactive) keeps an active invoice, when the month has such a job (a deleted job's invoice is
  otherwise deleted with it).

Payments applied after a period need no planting: most invoices are paid days or weeks after their date.
`trap_rows(world)` lists the planted records (kind, id, job id) for tests and notebooks.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import polars as pl

from stnb.sandbox.gen_base import ID_BASES, ID_STRIDE, GenContext, cents_to_money

__all__ = [
    "ADJUSTMENT_ID_OFFSET",
    "ADJUSTMENT_SHARE",
    "EARLY_INVOICE_DAYS",
    "LATE_INVOICE_DAYS",
    "MIDNIGHT_JOB_HOURS",
    "NON_JOB_CENTS",
    "plant_invoice_traps",
    "plant_item_traps",
    "plant_job_traps",
    "trap_rows",
]

LATE_INVOICE_DAYS = 4
EARLY_INVOICE_DAYS = 5
ADJUSTMENT_SHARE = 0.1
NON_JOB_CENTS = 17_900  # a membership's billing: 179.00
MIDNIGHT_JOB_HOURS = 4
ADJUSTMENT_ID_OFFSET = 80_000_000  # adjustment invoices' ids: below the testers' block, above any organic id


def _months(ctx: GenContext) -> list[date]:
    """First local days of the months that get traps: whole months inside the organic history whose traps
    (up to the 20th of the next month) all fall at least a day before the refresh (shared by both
    environments)."""
    zone = ZoneInfo(ctx.profile.timezone)
    first = ctx.start.astimezone(zone).date().replace(day=1)
    before = (ctx.refresh - timedelta(days=1)).astimezone(zone).date()
    months = []
    month = _next_month(first)
    while _next_month(month) + timedelta(days=20) < before:
        months.append(month)
        month = _next_month(month)
    return months


def _next_month(day: date) -> date:
    return (day.replace(day=28) + timedelta(days=4)).replace(day=1)


def _local(day: date, hour: int, minute: int, zone: ZoneInfo) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=zone).astimezone(UTC)


def _pick(frame: pl.DataFrame, condition: pl.Expr, taken: set[int]) -> int | None:
    ids = frame.filter(condition & ~pl.col("id").is_in(list(taken)))["id"]
    return int(ids.min()) if ids.len() else None  # type: ignore[arg-type]


def plant_job_traps(ctx: GenContext, jobs: pl.DataFrame) -> pl.DataFrame:
    """Jobs with the midnight and inactive traps applied; `_trap` names the trap a job carries."""
    zone = ZoneInfo(ctx.profile.timezone)
    local_done = pl.col("completedOn").dt.convert_time_zone(ctx.profile.timezone).dt.date()
    done = (pl.col("jobStatus") == "Completed") & pl.col("active") & (pl.col("_subtotal_cents") > 0)
    # Jobs the organic history deleted: the trap keeps their invoice active (record counts stay as they were).
    deleted_job = (pl.col("jobStatus") == "Completed") & ~pl.col("active") & (pl.col("_subtotal_cents") > 0)
    moves: dict[int, tuple[datetime, datetime]] = {}
    inactive: set[int] = set()
    taken: set[int] = set()
    for month in _months(ctx):
        last_day = _next_month(month) - timedelta(days=1)
        start = _local(last_day, 20, 15, zone)
        midnight = _pick(
            jobs,
            done
            & (pl.col("_appointments") == 1)
            & (pl.col("createdOn") < start - timedelta(hours=2))
            & local_done.is_between(last_day - timedelta(days=6), last_day),
            taken,
        )
        if midnight is not None:
            moves[midnight] = (start, start + timedelta(hours=MIDNIGHT_JOB_HOURS))
            taken.add(midnight)
        deleted = _pick(
            jobs,
            deleted_job & local_done.is_between(month.replace(day=15), last_day - timedelta(days=1)),
            taken,
        )
        if deleted is not None:
            inactive.add(deleted)
            taken.add(deleted)
    if not moves and not inactive:
        return jobs.with_columns(_trap=pl.lit(None, dtype=pl.String))
    move_frame = pl.DataFrame(
        {
            "id": list(moves),
            "_m_start": [s for s, _ in moves.values()],
            "_m_end": [e for _, e in moves.values()],
        },
        schema={"id": pl.Int64, "_m_start": jobs.schema["_start"], "_m_end": jobs.schema["_end"]},
    )
    joined = jobs.join(move_frame, on="id", how="left", maintain_order="left")
    moved = pl.col("_m_start").is_not_null()
    return joined.with_columns(
        _start=pl.coalesce("_m_start", "_start"),
        _end=pl.coalesce("_m_end", "_end"),
        _hours=pl.when(moved).then(float(MIDNIGHT_JOB_HOURS)).otherwise(pl.col("_hours")),
        completedOn=pl.when(moved).then(pl.col("_m_end")).otherwise(pl.col("completedOn")),
        modifiedOn=pl.when(moved)
        .then(pl.max_horizontal("modifiedOn", pl.col("_m_end") + pl.duration(minutes=20)))
        .otherwise(pl.col("modifiedOn")),
        _trap=pl.when(moved)
        .then(pl.lit("midnight_job"))
        .when(pl.col("id").is_in(list(inactive)))
        .then(pl.lit("inactive_job"))
        .otherwise(pl.lit(None, dtype=pl.String)),
    ).drop("_m_start", "_m_end")


def plant_invoice_traps(ctx: GenContext, invoices: pl.DataFrame, jobs: pl.DataFrame) -> pl.DataFrame:
    """Invoices (the internal base table) with late, early and adjustment invoices planted; the invoice
    of an inactive-trap job stays active."""
    zone = ZoneInfo(ctx.profile.timezone)
    traps = jobs.select(pl.col("id").alias("_job_id"), "_trap")
    frame = invoices.join(traps, on="_job_id", how="left", maintain_order="left")
    frame = frame.with_columns(
        active=pl.col("active") | (pl.col("_trap") == "inactive_job").fill_null(False),
        _trap=pl.when(pl.col("_trap") == "inactive_job").then(pl.col("_trap")).otherwise(None),
    )
    local_done = pl.col("completedOn").dt.convert_time_zone(ctx.profile.timezone).dt.date()
    candidate = (
        (pl.col("jobStatus") == "Completed")
        & pl.col("active")
        & (pl.col("_subtotal_cents") > 0)
        & pl.col("_trap").is_null()
    )
    taken = set(jobs.filter(pl.col("_trap").is_not_null())["id"].to_list())
    shifts: dict[int, tuple[str, int]] = {}
    adjustments: list[dict[str, Any]] = []
    for month in _months(ctx):
        last_day = _next_month(month) - timedelta(days=1)
        late = _pick(
            frame.rename({"id": "_invoice_id", "_job_id": "id"}),
            candidate & local_done.is_between(last_day - timedelta(days=2), last_day),
            taken,
        )
        early = _pick(
            frame.rename({"id": "_invoice_id", "_job_id": "id"}),
            candidate & local_done.is_between(month, month + timedelta(days=2)),
            taken,
        )
        if late is not None:
            taken.add(late)
            shifts[late] = ("late_invoice", LATE_INVOICE_DAYS)
            adjustments.append({"job": late, "date": _local(_next_month(month).replace(day=10), 12, 0, zone)})
        if early is not None:
            taken.add(early)
            shifts[early] = ("early_invoice", -EARLY_INVOICE_DAYS)
    if shifts:
        shift_frame = pl.DataFrame(
            {
                "_job_id": list(shifts),
                "_s_kind": [k for k, _ in shifts.values()],
                "_s_days": [d for _, d in shifts.values()],
            },
            schema={"_job_id": pl.Int64, "_s_kind": pl.String, "_s_days": pl.Int64},
        )
        frame = (
            frame.join(shift_frame, on="_job_id", how="left", maintain_order="left")
            .with_columns(
                invoiceDate=pl.col("invoiceDate") + pl.duration(days=pl.col("_s_days").fill_null(0)),
                _trap=pl.coalesce("_s_kind", "_trap"),
            )
            .with_columns(dueDate=pl.col("invoiceDate") + pl.duration(days=30))
            .drop("_s_kind", "_s_days")
        )
    if adjustments:
        extra = _adjustment_rows(frame, adjustments)
        frame = pl.concat([frame, extra, _non_job_rows(frame, extra)], how="vertical")
    return frame


def _non_job_rows(frame: pl.DataFrame, adjustments: pl.DataFrame) -> pl.DataFrame:
    """One non-job invoice (membership billing) per adjustment: the same customer and unit, no job, dated
    the 20th of the adjustment's month at noon, NON_JOB_CENTS and no tax."""
    n = pl.int_range(0, adjustments.height, dtype=pl.Int64)
    top_idx = int(frame["_idx"].max() or 0) + adjustments.height  # type: ignore[arg-type]
    day = pl.col("invoiceDate") + pl.duration(days=10)
    ids = pl.lit(ID_BASES["invoices"] + ADJUSTMENT_ID_OFFSET + 2, dtype=pl.Int64) + n * ID_STRIDE
    rows = adjustments.with_columns(
        adjustmentToId=pl.lit(None, dtype=pl.Int64),
        id=ids,
        _idx=pl.lit(top_idx + 1, dtype=pl.Int64) + n,
        _job_id=pl.lit(None, dtype=pl.Int64),
        job=pl.lit(None, dtype=frame.schema["job"]),
        jobNumber=pl.lit(None, dtype=frame.schema["jobNumber"]),
        referenceNumber=ids.cast(pl.String),
        invoiceDate=day,
        createdOn=day,
        modifiedOn=day + pl.duration(minutes=30),
        dueDate=day + pl.duration(days=30),
        _subtotal_cents=pl.lit(NON_JOB_CENTS, dtype=pl.Int64),
        _tax_cents=pl.lit(0, dtype=pl.Int64),
        _total_cents=pl.lit(NON_JOB_CENTS, dtype=pl.Int64),
        summary=pl.lit("Membership billing"),
        _trap=pl.lit("non_job_invoice"),
    )
    return rows.with_columns(
        subTotal=cents_to_money(pl.col("_subtotal_cents")),
        salesTax=pl.lit("0.00"),
        total=cents_to_money(pl.col("_total_cents")),
    ).select(frame.columns)


def plant_item_traps(items: pl.DataFrame, invoices: pl.DataFrame) -> pl.DataFrame:
    """Invoice items with the item-unit trap: every item of an adjustment invoice is posted to the next
    business unit (by id) after its invoice's: revenue by item unit differs from revenue by invoice unit."""
    units = (
        items.select(pl.col("businessUnit").struct.field("id").alias("id"), pl.col("businessUnit"))
        .unique("id")
        .sort("id")
    )
    if units.height < 2:
        return items
    moved_to = dict(
        zip(
            units["id"].to_list(),
            units["businessUnit"].shift(-1).fill_null(units["businessUnit"][0]).to_list(),
            strict=True,
        )
    )
    adjusted = invoices.filter(pl.col("_trap") == "adjustment_invoice")["id"].implode()
    target = (
        pl.col("businessUnit")
        .struct.field("id")
        .replace_strict({k: v["id"] for k, v in moved_to.items()}, default=None, return_dtype=pl.Int64)
    )
    name = (
        pl.col("businessUnit")
        .struct.field("id")
        .replace_strict({k: v["name"] for k, v in moved_to.items()}, default=None, return_dtype=pl.String)
    )
    return items.with_columns(
        businessUnit=pl.when(pl.col("invoiceId").is_in(adjusted))
        .then(pl.struct(target.alias("id"), name.alias("name")))
        .otherwise(pl.col("businessUnit"))
    )


def _adjustment_rows(frame: pl.DataFrame, adjustments: list[dict[str, Any]]) -> pl.DataFrame:
    """One adjustment invoice per entry: a copy of the job's invoice with its own id, date and amount."""
    dates = pl.DataFrame(
        {"_job_id": [a["job"] for a in adjustments], "_a_date": [a["date"] for a in adjustments]},
        schema={"_job_id": pl.Int64, "_a_date": frame.schema["invoiceDate"]},
    )
    originals = frame.join(dates, on="_job_id", how="inner").sort("_job_id")
    n = pl.int_range(0, originals.height, dtype=pl.Int64)
    top_idx = int(frame["_idx"].max() or 0)  # type: ignore[arg-type]
    subtotal = (pl.col("_subtotal_cents").cast(pl.Float64) * ADJUSTMENT_SHARE).round(0).cast(pl.Int64)
    rows = originals.with_columns(
        adjustmentToId=pl.col("id"),
        id=pl.lit(ID_BASES["invoices"] + ADJUSTMENT_ID_OFFSET, dtype=pl.Int64) + n * ID_STRIDE,
        _idx=pl.lit(top_idx + 1, dtype=pl.Int64) + n,
        invoiceDate=pl.col("_a_date"),
        createdOn=pl.col("_a_date"),
        modifiedOn=pl.col("_a_date") + pl.duration(minutes=30),
        dueDate=pl.col("_a_date") + pl.duration(days=30),
        _subtotal_cents=subtotal,
        _tax_cents=pl.lit(0, dtype=pl.Int64),
        _total_cents=subtotal,
        summary=pl.lit("Adjustment: additional parts after follow-up inspection"),
        _trap=pl.lit("adjustment_invoice"),
    ).drop("_a_date")
    return rows.with_columns(
        subTotal=cents_to_money(pl.col("_subtotal_cents")),
        salesTax=pl.lit("0.00"),
        total=cents_to_money(pl.col("_total_cents")),
    ).select(frame.columns)


def trap_rows(world: Any) -> pl.DataFrame:
    """The planted traps of a world: kind, invoice id (when an invoice carries it) and job id."""
    invoices: pl.DataFrame = world.history.get("invoices_base")
    jobs: pl.DataFrame = world.history.get("jobs")
    from_invoices = invoices.filter(
        pl.col("_trap").is_in(["late_invoice", "early_invoice", "adjustment_invoice", "non_job_invoice"])
    )
    return pl.concat(
        [
            jobs.filter(pl.col("_trap").is_not_null()).select(
                pl.col("_trap").alias("kind"),
                pl.lit(None, dtype=pl.Int64).alias("invoice_id"),
                pl.col("id").alias("job_id"),
            ),
            from_invoices.select(
                pl.col("_trap").alias("kind"),
                pl.col("id").alias("invoice_id"),
                pl.col("_job_id").alias("job_id"),
            ),
        ]
    ).sort("kind", "job_id")

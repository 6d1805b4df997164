"""Revenue recipes: by business unit (Business Unit Performance) and by technician (Technician Revenue).

What they pull, for a period: completed jobs and invoices dated in the period (one filtered pull each,
over the local days and the same dates read as UTC), the invoices of those jobs dated elsewhere (by
id), the jobs of invoices dated in the period that were completed elsewhere (by id), and names.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

import polars as pl

from stnb.recipes.core import BASELINE, Figure, Recipe, ledger_rows
from stnb.recipes.fetch import Fetcher
from stnb.recipes.period import Period

ASSIGNMENT_SETTLE_DAYS = 31  # assignments change until shortly after the job is done

__all__ = ["ASSIGNMENT_SETTLE_DAYS", "REVENUE_BY_BUSINESS_UNIT", "REVENUE_BY_TECHNICIAN", "invoice_facts"]


def cents(expr: pl.Expr) -> pl.Expr:
    return (expr.cast(pl.Decimal(18, 2)) * 100).cast(pl.Int64)


def dollars_text(cents_expr: pl.Expr) -> pl.Expr:
    """Integer cents as exact text: 334047 -> "3340.47" (no float noise)."""
    sign = pl.when(cents_expr < 0).then(pl.lit("-")).otherwise(pl.lit(""))
    whole = cents_expr.abs()
    return pl.format("{}{}.{}", sign, whole // 100, (whole % 100).cast(pl.String).str.zfill(2))


def in_window(column: str, start: object, end: object) -> pl.Expr:
    return (pl.col(column) >= pl.lit(start)) & (pl.col(column) < pl.lit(end))


@dataclass(frozen=True)
class _Pulled:
    jobs: pl.DataFrame  # id, status, completed_on, business_unit_id, campaign_id, created_on, returned
    invoices: pl.DataFrame  # see invoice_facts
    items: pl.DataFrame  # invoice_id, item_bu, item_bu_name, income_cents
    units: pl.DataFrame  # key, name


def _jobs(frame: pl.DataFrame) -> pl.DataFrame:
    if frame.height == 0:
        return pl.DataFrame(
            schema={
                "job_id": pl.Int64,
                "status": pl.String,
                "completed_on": pl.Datetime("us", "UTC"),
                "job_bu": pl.Int64,
                "campaign_id": pl.Int64,
                "created_on": pl.Datetime("us", "UTC"),
                "invoice_id": pl.Int64,
            }
        )
    return frame.select(
        pl.col("id").alias("job_id"),
        pl.col("jobStatus").alias("status"),
        pl.col("completedOn").alias("completed_on"),
        pl.col("businessUnitId").alias("job_bu"),
        pl.col("campaignId").alias("campaign_id"),
        pl.col("createdOn").alias("created_on"),
        pl.col("invoiceId").alias("invoice_id"),
    )


def invoice_facts(frame: pl.DataFrame) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Invoices as (id, date, total_cents, income_cents, adjustment, job_id, invoice_bu, invoice_bu_name)
    and their income items as (invoice_id, item_bu, item_bu_name, income_cents)."""
    if frame.height == 0:
        empty = pl.DataFrame(
            schema={
                "invoice_id": pl.Int64,
                "invoice_date": pl.Datetime("us", "UTC"),
                "total_cents": pl.Int64,
                "adjustment": pl.Boolean,
                "job_id": pl.Int64,
                "invoice_bu": pl.Int64,
                "invoice_bu_name": pl.String,
            }
        )
        items = pl.DataFrame(
            schema={
                "invoice_id": pl.Int64,
                "item_bu": pl.Int64,
                "item_bu_name": pl.String,
                "income_cents": pl.Int64,
            }
        )
        return empty.with_columns(pl.lit(0, dtype=pl.Int64).alias("income_cents")), items
    invoices = frame.unique("id", keep="first").select(
        pl.col("id").alias("invoice_id"),
        pl.col("invoiceDate").alias("invoice_date"),
        cents(pl.col("total")).alias("total_cents"),
        pl.col("adjustmentToId").is_not_null().alias("adjustment"),
        pl.col("job").struct.field("id").alias("job_id"),
        pl.col("businessUnit").struct.field("id").alias("invoice_bu"),
        pl.col("businessUnit").struct.field("name").alias("invoice_bu_name"),
        "items",
    )
    items = (
        invoices.select("invoice_id", "items")
        .explode("items")
        .filter(pl.col("items").is_not_null())
        .select(
            "invoice_id",
            pl.col("items").struct.field("businessUnit").struct.field("id").alias("item_bu"),
            pl.col("items").struct.field("businessUnit").struct.field("name").alias("item_bu_name"),
            pl.col("items").struct.field("generalLedgerAccount").struct.field("type").alias("gl"),
            cents(pl.col("items").struct.field("total")).alias("income_cents"),
        )
        .filter(pl.col("gl") == "Income")
        .drop("gl")
    )
    income = items.group_by("invoice_id").agg(pl.col("income_cents").sum())
    facts = (
        invoices.drop("items")
        .join(income, on="invoice_id", how="left")
        .with_columns(pl.col("income_cents").fill_null(0))
    )
    return facts, items


def job_invoices(f: Fetcher, p: Period, invoice_ids: list[int]) -> pl.DataFrame:
    """The invoices of jobs completed in the period: those dated in it (one filtered pull, where nearly all
    are), then the few dated elsewhere by id."""
    dated = f.frame("accounting/invoices", invoicedOnOrAfter=p.outer_start, invoicedOnBefore=p.outer_end)
    known = set(dated["id"].to_list()) if dated.height else set()
    others = f.by_ids("accounting/invoices", (i for i in invoice_ids if i not in known))
    frames = [d for d in (dated, others) if d.height]
    return pl.concat(frames, how="diagonal_relaxed") if frames else dated


def _pull(f: Fetcher, p: Period) -> _Pulled:
    jobs = _jobs(
        f.frame(
            "jpm/jobs", jobStatus="Completed", completedOnOrAfter=p.outer_start, completedBefore=p.outer_end
        )
    )
    both = job_invoices(f, p, jobs["invoice_id"].drop_nulls().to_list())
    invoices, items = invoice_facts(both)
    job_ids = set(jobs["job_id"].to_list())
    asked = {int(j) for j in invoices["job_id"].drop_nulls().to_list() if j not in job_ids}
    fetched = _jobs(f.by_ids("jpm/jobs", asked))
    all_jobs = pl.concat([jobs, fetched]).unique("job_id", keep="first")
    units = f.frame("settings/business-units", active="any").select(
        pl.col("id").alias("key"), pl.col("name").alias("name")
    )
    return _Pulled(all_jobs, invoices, items, units)


# Stages a figure's amount goes through, from the naive list sum to ServiceTitan's basis (each stage's
# difference from the previous one is booked under its cause).
_STAGES = {
    "TotalRevenue": ("time zone", "date basis", "inactive records"),
    "CompletedRevenue": ("time zone", "date basis", "inactive records", "adjustments", "non-job invoices"),
    "AdjustmentRevenue": ("time zone",),
    "NonJobRevenue": ("time zone",),
}


def _business_unit_ledger(f: Fetcher, p: Period, unit: int | None) -> pl.DataFrame:
    data = _pull(f, p)
    jobs = data.jobs.with_columns(pl.lit(True).alias("returned"))
    inv = data.invoices.join(jobs.drop("invoice_id"), on="job_id", how="left").with_columns(
        pl.col("returned").fill_null(False),
        in_window("invoice_date", p.utc_start, p.utc_end).alias("in_utc"),
        in_window("invoice_date", p.start, p.end).alias("in_local"),
        ((pl.col("status") == "Completed") & in_window("completed_on", p.start, p.end))
        .fill_null(False)
        .alias("completed_in"),
        pl.when(pl.col("adjustment"))
        .then(pl.lit("adjustment"))
        .when(pl.col("job_id").is_null())
        .then(pl.lit("non-job"))
        .otherwise(pl.lit("job"))
        .alias("kind"),
    )
    job = pl.col("kind") == "job"
    missing = job & ~pl.col("returned")
    inc = {
        "baseline": pl.col("in_utc"),
        "time zone": pl.col("in_local"),
        "date basis": pl.when(job & pl.col("returned"))
        .then(pl.col("completed_in"))
        .otherwise(pl.col("in_local")),
        "inactive records": pl.when(missing)
        .then(False)
        .otherwise(pl.when(job).then(pl.col("completed_in")).otherwise(pl.col("in_local"))),
        "adjustments": pl.when(pl.col("kind") == "adjustment")
        .then(False)
        .otherwise(
            pl.when(missing).then(False).when(job).then(pl.col("completed_in")).otherwise(pl.col("in_local"))
        ),
        "non-job invoices": (job & pl.col("returned") & pl.col("completed_in")),
    }
    only = {"AdjustmentRevenue": pl.col("kind") == "adjustment", "NonJobRevenue": pl.col("kind") == "non-job"}
    details = {
        "time zone": pl.format(
            "dated {} UTC: local day {}",
            pl.col("invoice_date").dt.strftime("%Y-%m-%d %H:%M"),
            pl.col("invoice_date").dt.convert_time_zone(p.tz).dt.strftime("%Y-%m-%d"),
        ),
        "date basis": pl.format(
            "invoice dated {} (local), job {} {}",
            pl.col("invoice_date").dt.convert_time_zone(p.tz).dt.strftime("%Y-%m-%d"),
            pl.col("job_id"),
            pl.when(pl.col("completed_on").is_not_null())
            .then(
                pl.format(
                    "completed {}", pl.col("completed_on").dt.convert_time_zone(p.tz).dt.strftime("%Y-%m-%d")
                )
            )
            .otherwise(pl.lit("not completed")),
        ),
        "inactive records": pl.format(
            "job {} is not returned by the API: it was deleted (inactive)", pl.col("job_id")
        ),
        "adjustments": pl.lit("adjustment invoice: counted as AdjustmentRevenue"),
        "non-job invoices": pl.lit("invoice without a job: counted as NonJobRevenue"),
        "non-income items": pl.format(
            "total {} minus income items {}",
            dollars_text(pl.col("total_cents")),
            dollars_text(pl.col("income_cents")),
        ),
    }
    parts = []
    for figure, stages in _STAGES.items():
        scope = only.get(figure, pl.lit(True))
        previous = (inc["baseline"] & scope).cast(pl.Int64)
        base = inv.with_columns((pl.col("total_cents") * previous).alias("amount"))
        parts.append(
            _rows(base, figure, BASELINE, pl.format("invoice {}", pl.col("invoice_id")).alias("detail"))
        )
        for cause in stages:
            now = (inc[cause] & scope).cast(pl.Int64)
            step = inv.with_columns((pl.col("total_cents") * (now - previous)).alias("amount"))
            parts.append(_rows(step, figure, cause, details[cause].alias("detail")))
            previous = now
        final = inv.with_columns(previous.alias("_inc"))
        step = final.with_columns(
            ((pl.col("income_cents") - pl.col("total_cents")) * pl.col("_inc")).alias("amount")
        )
        parts.append(_rows(step, figure, "non-income items", details["non-income items"].alias("detail")))
        parts.extend(_attribution(final, data.items, figure))
    jobs_in = data.jobs.filter(pl.col("status") == "Completed").with_columns(
        in_window("completed_on", p.utc_start, p.utc_end).cast(pl.Int64).alias("u"),
        in_window("completed_on", p.start, p.end).cast(pl.Int64).alias("l"),
        pl.format("job {}", pl.col("job_id")).alias("record"),
        pl.col("job_bu").alias("key"),
        pl.lit("CompletedJobs").alias("figure"),
    )
    parts.append(
        jobs_in.with_columns(pl.col("u").cast(pl.Float64).alias("amount"), pl.lit(BASELINE).alias("cause"))
    )
    parts.append(
        jobs_in.with_columns(
            (pl.col("l") - pl.col("u")).cast(pl.Float64).alias("amount"),
            pl.lit("time zone").alias("cause"),
            pl.format(
                "completed {} UTC: local day {}",
                pl.col("completed_on").dt.strftime("%Y-%m-%d %H:%M"),
                pl.col("completed_on").dt.convert_time_zone(p.tz).dt.strftime("%Y-%m-%d"),
            ).alias("detail"),
        )
    )
    ledger = ledger_rows(pl.concat([ledger_rows(x) for x in parts]))
    ledger = ledger.filter((pl.col("cause") != BASELINE) | (pl.col("amount") != 0))
    names = data.units.rename({"name": "_unit"})
    ledger = (
        ledger.join(names, on="key", how="left")
        .with_columns(pl.coalesce("_unit", "name").alias("name"))
        .drop("_unit")
    )
    return ledger.filter(pl.col("key") == unit) if unit is not None else ledger


def _rows(frame: pl.DataFrame, figure: str, cause: str, detail: pl.Expr) -> pl.DataFrame:
    return frame.select(
        pl.col("invoice_bu").alias("key"),
        pl.col("invoice_bu_name").alias("name"),
        pl.lit(figure).alias("figure"),
        pl.lit(cause).alias("cause"),
        pl.col("amount").cast(pl.Float64),
        pl.format("invoice {}", pl.col("invoice_id")).alias("record"),
        detail,
    )


def _attribution(final: pl.DataFrame, items: pl.DataFrame, figure: str) -> list[pl.DataFrame]:
    """Income moved from the invoice's business unit to its items' (only where they differ)."""
    moved = (
        final.filter(pl.col("_inc") == 1)
        .select("invoice_id", "invoice_bu", "invoice_bu_name")
        .join(items, on="invoice_id", how="inner")
        .filter(pl.col("item_bu") != pl.col("invoice_bu"))
    )
    if moved.height == 0:
        return []
    detail = pl.format(
        "item of business unit {} on an invoice of business unit {}", pl.col("item_bu"), pl.col("invoice_bu")
    )
    common = [
        pl.lit(figure).alias("figure"),
        pl.lit("business unit attribution").alias("cause"),
        pl.format("invoice {}", pl.col("invoice_id")).alias("record"),
        detail.alias("detail"),
    ]
    out_of = moved.select(
        pl.col("invoice_bu").alias("key"),
        pl.col("invoice_bu_name").alias("name"),
        (-pl.col("income_cents")).cast(pl.Float64).alias("amount"),
        *common,
    )
    into = moved.select(
        pl.col("item_bu").alias("key"),
        pl.col("item_bu_name").alias("name"),
        pl.col("income_cents").cast(pl.Float64).alias("amount"),
        *common,
    )
    return [out_of, into]


def _assignments(f: Fetcher, p: Period, jobs: pl.DataFrame) -> pl.DataFrame:
    """The active assignments of `jobs`: those changed between the first job's creation and a month after
    the period (one filtered pull, where nearly all are), then, job by job, any job still without one."""
    empty = pl.DataFrame(schema={"jobId": pl.Int64, "technicianId": pl.Int64})
    since = jobs["created_on"].min()
    if since is None:
        return empty
    window = f.frame(
        "dispatch/appointment-assignments",
        active="true",
        modifiedOnOrAfter=since,
        modifiedBefore=p.end + timedelta(days=ASSIGNMENT_SETTLE_DAYS),
    )
    frames = [window.select("jobId", "technicianId")] if window.height else [empty]
    seen = set(frames[0]["jobId"].to_list())
    for job in sorted(set(jobs["job_id"].to_list()) - seen):
        late = f.frame("dispatch/appointment-assignments", active="true", jobId=job)
        if late.height:
            frames.append(late.select("jobId", "technicianId"))
    return pl.concat(frames)


def _technician_ledger(f: Fetcher, p: Period, unit: int | None) -> pl.DataFrame:
    jobs = _jobs(
        f.frame(
            "jpm/jobs",
            jobStatus="Completed",
            completedOnOrAfter=p.start,
            completedBefore=p.end,
            businessUnitId=unit,
        )
    )
    invoices, _items = invoice_facts(job_invoices(f, p, jobs["invoice_id"].drop_nulls().to_list()))
    revenue = invoices.filter(~pl.col("adjustment")).group_by("job_id").agg(pl.col("income_cents").sum())
    assignments = _assignments(f, p, jobs)
    technicians = f.frame("settings/technicians", active="any").select(
        pl.col("id").alias("key"), pl.col("name"), pl.col("active")
    )
    pairs = (
        assignments.select(pl.col("jobId").alias("job_id"), pl.col("technicianId").alias("key"))
        .unique()
        .join(jobs.select("job_id"), on="job_id", how="inner")
        .with_columns(pl.len().over("job_id").alias("crew"))
        .join(revenue, on="job_id", how="left")
        .with_columns(pl.col("income_cents").fill_null(0).cast(pl.Float64))
        .join(technicians, on="key", how="left")
    )
    record = pl.format("job {}", pl.col("job_id"))
    parts = [
        pairs.select(
            "key",
            "name",
            pl.lit("CompletedRevenue").alias("figure"),
            pl.lit(BASELINE).alias("cause"),
            pl.col("income_cents").alias("amount"),
            record.alias("record"),
            pl.lit("the job's whole revenue").alias("detail"),
        ),
        pairs.select(
            "key",
            "name",
            pl.lit("CompletedRevenue").alias("figure"),
            pl.lit("technician splits").alias("cause"),
            (pl.col("income_cents") / pl.col("crew") - pl.col("income_cents")).alias("amount"),
            record.alias("record"),
            pl.format("shared between {} technicians", pl.col("crew")).alias("detail"),
        ),
        pairs.select(
            "key",
            "name",
            pl.lit("CompletedJobs").alias("figure"),
            pl.lit(BASELINE).alias("cause"),
            pl.lit(1.0).alias("amount"),
            record.alias("record"),
            pl.lit("assigned").alias("detail"),
        ),
    ]
    ledger = ledger_rows(pl.concat([ledger_rows(x) for x in parts]))
    return ledger


MONEY = "money"

REVENUE_BY_BUSINESS_UNIT = Recipe(
    name="revenue_by_business_unit",
    title="Revenue by business unit",
    question="How much did each business unit earn, counted the way ServiceTitan's dashboard counts it?",
    report_category="business-unit-dashboard",
    report_name="Business Unit Performance",
    report_aliases=("Revenue",),  # the BU dashboard's revenue report in many tenants (fields by name)
    report_key="BusinessUnitId",
    report_label="Name",
    key_label="business unit",
    figures=(
        Figure("CompletedRevenue"),
        Figure("AdjustmentRevenue"),
        Figure("NonJobRevenue"),
        Figure("TotalRevenue"),
        Figure("CompletedJobs", "count"),
    ),
    causes=(
        "time zone",
        "date basis",
        "inactive records",
        "adjustments",
        "non-job invoices",
        "non-income items",
        "business unit attribution",
    ),
    build=_business_unit_ledger,
)

REVENUE_BY_TECHNICIAN = Recipe(
    name="revenue_by_technician",
    title="Revenue by technician",
    question="How much completed revenue did each technician bring in, split between a job's technicians?",
    report_category="technician-dashboard",
    report_name="Technician Revenue",
    report_key="TechnicianId",
    report_label="Name",
    key_label="technician",
    figures=(Figure("CompletedRevenue"), Figure("CompletedJobs", "count")),
    causes=("technician splits",),
    build=_technician_ledger,
)

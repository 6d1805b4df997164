"""Campaign attribution: calls -> leads -> booked leads -> completed jobs -> revenue, per campaign.

Leads and booked leads follow the call date; completed jobs and revenue follow the job's completion date
(as ServiceTitan's marketing scorecards do). Pulls: the period's calls and completed jobs (one filtered
pull each), those jobs' invoices by id, and campaign names.
"""

from __future__ import annotations

from typing import Any

import polars as pl

from stnb.recipes.core import BASELINE, Figure, Recipe, ledger_rows
from stnb.recipes.fetch import Fetcher
from stnb.recipes.period import Period
from stnb.recipes.revenue import in_window, invoice_facts, job_invoices

__all__ = ["CAMPAIGN_ATTRIBUTION", "LEAD_MIN_SECONDS", "NOT_LEAD_TYPES"]

LEAD_MIN_SECONDS = 60
NOT_LEAD_TYPES = ("Excused", "NotLead", "Abandoned")


def _seconds(text: pl.Expr) -> pl.Expr:
    parts = text.str.extract_groups(r"^(?:(\d+)\.)?(\d{1,2}):(\d{2}):(\d{2})")
    n = [parts.struct.field(str(i)).cast(pl.Int64) for i in range(1, 5)]
    return n[0].fill_null(0) * 86400 + n[1] * 3600 + n[2] * 60 + n[3]


def _steps(
    frame: pl.DataFrame,
    figure: str,
    stages: list[tuple[str, pl.Expr, pl.Expr]],
    amount: pl.Expr,
    record: pl.Expr,
) -> list[pl.DataFrame]:
    """Ledger rows for one figure: the baseline inclusion, then each (cause, inclusion, detail) stage."""
    out = []
    previous: pl.Expr | None = None
    for cause, include, detail in stages:
        now = include.cast(pl.Int64)
        delta = now if previous is None else now - previous
        out.append(
            frame.select(
                "key",
                "name",
                pl.lit(figure).alias("figure"),
                pl.lit(cause).alias("cause"),
                (amount * delta).cast(pl.Float64).alias("amount"),
                record.alias("record"),
                detail.alias("detail"),
            )
        )
        previous = now
    return out


def _local_day(column: str, tz: str) -> pl.Expr:
    return pl.col(column).dt.convert_time_zone(tz).dt.strftime("%Y-%m-%d")


def _campaign_ledger(f: Fetcher, p: Period, _unit: int | None) -> pl.DataFrame:
    calls = f.frame("telecom/calls", createdOnOrAfter=p.outer_start, createdBefore=p.outer_end)
    jobs = f.frame(
        "jpm/jobs", jobStatus="Completed", completedOnOrAfter=p.outer_start, completedBefore=p.outer_end
    )
    invoice_ids = jobs["invoiceId"].drop_nulls().to_list() if jobs.height else []
    invoices, _ = invoice_facts(job_invoices(f, p, invoice_ids))
    names = f.frame("marketing/campaigns", active="any").select(pl.col("id").alias("key"), pl.col("name"))
    parts: list[pl.DataFrame] = []
    if calls.height:
        lead = pl.col("leadCall")
        c = calls.select(
            pl.col("id"),
            lead.struct.field("receivedOn").alias("received"),
            lead.struct.field("campaign").struct.field("id").alias("key"),
            lead.struct.field("callType").alias("call_type"),
            lead.struct.field("direction").alias("direction"),
            _seconds(lead.struct.field("duration")).alias("seconds"),
        ).join(names, on="key", how="left")
        is_lead = (
            (pl.col("direction") == "Inbound")
            & (pl.col("seconds") >= LEAD_MIN_SECONDS)
            & ~pl.col("call_type").is_in(NOT_LEAD_TYPES)
        ).fill_null(False)
        utc = in_window("received", p.utc_start, p.utc_end)
        local = in_window("received", p.start, p.end)
        tz_detail = pl.format(
            "received {} UTC: local day {}",
            pl.col("received").dt.strftime("%Y-%m-%d %H:%M"),
            _local_day("received", p.tz),
        )
        why = pl.format("{} call, {} s, {}", pl.col("direction"), pl.col("seconds"), pl.col("call_type"))
        record = pl.format("call {}", pl.col("id"))
        booked = pl.col("call_type") == "Booked"
        parts += _steps(
            c,
            "Leads",
            [
                (BASELINE, utc, pl.lit("call")),
                ("time zone", local, tz_detail),
                ("call classification", local & is_lead, why),
            ],
            pl.lit(1),
            record,
        )
        parts += _steps(
            c,
            "BookedLeads",
            [
                (BASELINE, utc & booked, pl.lit("booked call")),
                ("time zone", local & booked, tz_detail),
                ("call classification", local & booked & is_lead, why),
            ],
            pl.lit(1),
            record,
        )
    if jobs.height:
        j = (
            jobs.select(
                pl.col("id").alias("job_id"),
                pl.col("campaignId").alias("key"),
                pl.col("completedOn").alias("done"),
            )
            .join(
                invoices.filter(~pl.col("adjustment"))
                .group_by("job_id")
                .agg(pl.col("total_cents").sum(), pl.col("income_cents").sum()),
                on="job_id",
                how="left",
            )
            .with_columns(pl.col("total_cents", "income_cents").fill_null(0))
            .join(names, on="key", how="left")
        )
        utc = in_window("done", p.utc_start, p.utc_end)
        local = in_window("done", p.start, p.end)
        tz_detail = pl.format(
            "completed {} UTC: local day {}",
            pl.col("done").dt.strftime("%Y-%m-%d %H:%M"),
            _local_day("done", p.tz),
        )
        record = pl.format("job {}", pl.col("job_id"))
        parts += _steps(
            j,
            "CompletedJobs",
            [(BASELINE, utc, pl.lit("completed job")), ("time zone", local, tz_detail)],
            pl.lit(1),
            record,
        )
        parts += _steps(
            j,
            "CompletedRevenue",
            [(BASELINE, utc, pl.lit("invoice total")), ("time zone", local, tz_detail)],
            pl.col("total_cents"),
            record,
        )
        parts.append(
            j.select(
                "key",
                "name",
                pl.lit("CompletedRevenue").alias("figure"),
                pl.lit("non-income items").alias("cause"),
                ((pl.col("income_cents") - pl.col("total_cents")) * local.cast(pl.Int64))
                .cast(pl.Float64)
                .alias("amount"),
                record.alias("record"),
                pl.lit("sales tax and non-income lines").alias("detail"),
            )
        )
    if not parts:
        return ledger_rows(pl.DataFrame(schema={"key": pl.Int64}))
    ledger = pl.concat([ledger_rows(x) for x in parts])
    return ledger.filter((pl.col("cause") != BASELINE) | (pl.col("amount") != 0))


def _derived(frame: pl.DataFrame) -> pl.DataFrame:
    return frame.with_columns(
        pl.when(pl.col("Leads") > 0)
        .then((pl.col("BookedLeads") / pl.col("Leads")).round(4))
        .otherwise(None)
        .alias("BookingRate"),
        pl.when(pl.col("CompletedJobs") > 0)
        .then((pl.col("CompletedRevenue") / pl.col("CompletedJobs")).round(2))
        .otherwise(None)
        .alias("AverageTicket"),
    )


def _params(p: Period, _unit: int | None) -> dict[str, Any]:
    return p.report_params()


CAMPAIGN_ATTRIBUTION = Recipe(
    name="campaign_attribution",
    title="Campaign attribution",
    question="What did each marketing campaign bring in: leads, booked leads, completed jobs and revenue?",
    report_category="marketing",
    report_name="Campaign Performance",
    report_key="CampaignId",
    report_label="Campaign",
    key_label="campaign",
    figures=(
        Figure("Leads", "count"),
        Figure("BookedLeads", "count"),
        Figure("CompletedJobs", "count"),
        Figure("CompletedRevenue"),
    ),
    causes=("time zone", "call classification", "non-income items"),
    build=_campaign_ledger,
    by_business_unit=False,
    report_params=_params,
    derived=_derived,
)

"""Receivables aging: what customers owed at the end of the period, per business unit, in aging buckets
(days since the invoice's local date: 0-30, 31-60, 61-90, 91-120, over 120).

The list endpoints give today's balances; a balance as of the period's end adds back the payments
applied after it. Pulls: invoices dated up to the period's end with a non-zero balance today, the
payments made after the period, and the invoices dated up to the period's end, paid off today and
changed after the period (a payment changes the invoice): three filtered pulls.
"""

from __future__ import annotations

from typing import Any

import polars as pl

from stnb.recipes.core import BASELINE, Figure, Recipe, ledger_rows
from stnb.recipes.fetch import Fetcher
from stnb.recipes.period import Period
from stnb.recipes.revenue import cents, dollars_text, invoice_facts

__all__ = ["BUCKETS", "RECEIVABLES_AGING"]

BUCKETS = (
    ("Current", 0, 30),
    ("Days31To60", 31, 60),
    ("Days61To90", 61, 90),
    ("Days91To120", 91, 120),
    ("Over120", 121, 1_000_000),
)


def _bucket(age: pl.Expr) -> pl.Expr:
    expr = pl.lit(None, dtype=pl.String)
    for name, low, high in reversed(BUCKETS):
        expr = pl.when(age.is_between(low, high)).then(pl.lit(name)).otherwise(expr)
    return expr


def _aging_ledger(f: Fetcher, p: Period, unit: int | None) -> pl.DataFrame:
    open_now = f.frame(
        "accounting/invoices",
        invoicedOnBefore=p.outer_end,
        businessUnitId=unit,
        **{"balanceFilter.Balance": "0", "balanceFilter.Comparer": "NotEquals"},
    )
    payments = f.frame("accounting/payments", paidOnAfter=p.end)
    later = pl.DataFrame(schema={"invoice_id": pl.Int64, "paid_after": pl.Int64})
    if payments.height:
        later = (
            payments.select("appliedTo")
            .explode("appliedTo")
            .filter(pl.col("appliedTo").is_not_null())
            .select(
                pl.col("appliedTo").struct.field("appliedTo").alias("invoice_id"),
                cents(pl.col("appliedTo").struct.field("appliedAmount")).alias("paid_after"),
            )
            .group_by("invoice_id")
            .agg(pl.col("paid_after").sum())
        )
    closed = pl.DataFrame()
    if later.height:
        # Paid off after the period: a payment changes the invoice, so its modifiedOn is after the period.
        closed = f.frame(
            "accounting/invoices",
            invoicedOnBefore=p.outer_end,
            modifiedOnOrAfter=p.end,
            businessUnitId=unit,
            **{"balanceFilter.Balance": "0", "balanceFilter.Comparer": "Equals"},
        )
        if closed.height:
            closed = closed.filter(pl.col("id").is_in(later["invoice_id"].implode()))
    frames = [x for x in (open_now, closed) if x.height]
    if not frames:
        return ledger_rows(pl.DataFrame(schema={"key": pl.Int64}))
    both = pl.concat(frames, how="diagonal_relaxed")
    facts, _ = invoice_facts(both)
    balances = both.unique("id").select(
        pl.col("id").alias("invoice_id"), cents(pl.col("balance")).alias("balance")
    )
    inv = (
        facts.join(balances, on="invoice_id", how="left")
        .join(later, on="invoice_id", how="left")
        .with_columns(pl.col("paid_after").fill_null(0))
        .with_columns(
            (pl.lit(p.last) - pl.col("invoice_date").dt.date()).dt.total_days().alias("utc_age"),
            (pl.lit(p.last) - pl.col("invoice_date").dt.convert_time_zone(p.tz).dt.date())
            .dt.total_days()
            .alias("age"),
            (pl.col("invoice_date") < pl.lit(p.utc_end)).alias("in_utc"),
            (pl.col("invoice_date") < pl.lit(p.end)).alias("in_local"),
        )
        .with_columns(_bucket(pl.col("utc_age")).alias("utc_bucket"), _bucket(pl.col("age")).alias("bucket"))
    )
    record = pl.format("invoice {}", pl.col("invoice_id"))
    tz_detail = pl.format(
        "dated {} UTC: local day {}",
        pl.col("invoice_date").dt.strftime("%Y-%m-%d %H:%M"),
        pl.col("invoice_date").dt.convert_time_zone(p.tz).dt.strftime("%Y-%m-%d"),
    )
    paid_detail = pl.format("paid {} after the period", dollars_text(pl.col("paid_after")))
    parts = []
    for name, _, _ in BUCKETS:
        for figure in (name, "Total"):
            utc_in = pl.col("in_utc") & (
                (pl.col("utc_bucket") == name) if figure != "Total" else pl.lit(True)
            )
            local_in = pl.col("in_local") & (
                (pl.col("bucket") == name) if figure != "Total" else pl.lit(True)
            )
            if figure == "Total" and name != BUCKETS[0][0]:
                continue
            parts.append(
                _row(
                    inv,
                    figure,
                    BASELINE,
                    pl.col("balance") * utc_in.cast(pl.Int64),
                    record,
                    pl.lit("balance today"),
                )
            )
            parts.append(
                _row(
                    inv,
                    figure,
                    "time zone",
                    pl.col("balance") * (local_in.cast(pl.Int64) - utc_in.cast(pl.Int64)),
                    record,
                    tz_detail,
                )
            )
            parts.append(
                _row(
                    inv,
                    figure,
                    "payments after the period",
                    pl.col("paid_after") * local_in.cast(pl.Int64),
                    record,
                    paid_detail,
                )
            )
    ledger = pl.concat([ledger_rows(x) for x in parts])
    return ledger.filter((pl.col("cause") != BASELINE) | (pl.col("amount") != 0))


def _row(
    frame: pl.DataFrame, figure: str, cause: str, amount: pl.Expr, record: pl.Expr, detail: pl.Expr
) -> pl.DataFrame:
    return frame.select(
        pl.col("invoice_bu").alias("key"),
        pl.col("invoice_bu_name").alias("name"),
        pl.lit(figure).alias("figure"),
        pl.lit(cause).alias("cause"),
        amount.cast(pl.Float64).alias("amount"),
        record.alias("record"),
        detail.alias("detail"),
    )


def _params(p: Period, unit: int | None) -> dict[str, Any]:
    params: dict[str, Any] = {"AsOf": p.last.isoformat()}
    if unit is not None:
        params["BusinessUnitIds"] = [unit]
    return params


RECEIVABLES_AGING = Recipe(
    name="receivables_aging",
    title="Receivables aging",
    question="How much did customers owe at the end of the period, and how old were those balances?",
    report_category="accounting",
    report_name="AR Aging Summary",
    report_key="BusinessUnitId",
    report_label="BusinessUnit",
    key_label="business unit",
    figures=(*(Figure(name) for name, _, _ in BUCKETS), Figure("Total")),
    causes=("time zone", "payments after the period"),
    build=_aging_ledger,
    report_params=_params,
)

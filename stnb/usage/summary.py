"""The per-app summary table of the usage report: one row per app, from either or both sources."""

from __future__ import annotations

from collections.abc import Iterable

import polars as pl

from stnb.usage import analytics
from stnb.usage.events import Frame

__all__ = ["SUMMARY_COLUMNS", "app_summary"]

# Column -> meaning; calls and anomalies come from the daily-call source (portal reports, else the
# ledger), attempts through headroom from the ledger only.
SUMMARY_COLUMNS: dict[str, str] = {
    "app": "app name (or id)",
    "calls": "calls in the range",
    "last_7_days": "calls in the last 7 days",
    "wow_pct": "change against the 7 days before, %",
    "anomalies": "days flagged by anomalies()",
    "worst_day": "the most anomalous day",
    "worst_pct": "its deviation from the expected calls, %",
    "projected_30d": "projected calls over the next 30 days",
    "projected_low": "lower end of the 90% band",
    "projected_high": "upper end of the 90% band",
    "attempts": "attempts in the ledger",
    "success_rate": "share of 2xx/3xx attempts",
    "error_rate": "share of other failures",
    "throttle_rate": "share of 429s",
    "p95_ms": "95th percentile latency of responses, ms",
    "peak_rps": "busiest second for one tenant, requests",
    "headroom": "60/s minus that peak",
}


def _volume_part(usage: Frame) -> pl.DataFrame:
    daily = analytics.daily_calls(usage)
    totals = daily.group_by("app").agg(pl.col("calls").sum())
    wow = analytics.week_over_week(daily).select(
        "app", pl.col("this_week").alias("last_7_days"), pl.col("change_pct").alias("wow_pct")
    )
    found = analytics.anomalies(daily)
    worst = (
        found.sort(pl.col("z").abs(), descending=True)
        .group_by("app", maintain_order=True)
        .agg(
            pl.len().cast(pl.Int64).alias("anomalies"),
            pl.col("day").first().alias("worst_day"),
            pl.col("deviation_pct").first().alias("worst_pct"),
        )
    )
    ahead = analytics.projection(daily, days=30)
    projected = ahead.group_by("app").agg(
        pl.col("forecast").sum().round(0).cast(pl.Int64).alias("projected_30d"),
        pl.col("lower").sum().round(0).cast(pl.Int64).alias("projected_low"),
        pl.col("upper").sum().round(0).cast(pl.Int64).alias("projected_high"),
    )
    out = totals.join(wow, on="app", how="left").join(worst, on="app", how="left")
    out = out.join(projected, on="app", how="left")
    return out.with_columns(pl.col("anomalies").fill_null(0))


def _ledger_part(ledger: Frame) -> pl.DataFrame:
    rates = analytics.rates(ledger).select("app", "attempts", "success_rate", "error_rate", "throttle_rate")
    p95 = analytics.latency_percentiles(ledger, quantiles=(0.95,)).select(
        "app", pl.col("p95").alias("p95_ms")
    )
    peaks = (
        analytics.peak_rps_headroom(ledger)
        .sort("peak_rps", descending=True)
        .group_by("app", maintain_order=True)
        .agg(pl.col("peak_rps").first(), pl.col("headroom").first())
    )
    return rates.join(p95, on="app", how="left").join(peaks, on="app", how="left")


def app_summary(portal: Frame | None = None, ledger: Frame | None = None) -> pl.DataFrame:
    """One row per app with the SUMMARY_COLUMNS (null where no source can fill them).

    Calls, weekly change, anomalies and the projection come from `portal` when given, else from
    `ledger`; attempts, rates, latency and headroom always from `ledger`.
    """
    if portal is None and ledger is None:
        raise ValueError("app_summary needs portal reports, a ledger, or both")
    volume = portal if portal is not None else ledger
    assert volume is not None
    parts = [_volume_part(volume)]
    if ledger is not None:
        parts.append(_ledger_part(ledger))
    apps: Iterable[str] = sorted({a for part in parts for a in part["app"].to_list()})
    out = pl.DataFrame({"app": list(apps)}, schema={"app": pl.String()})
    for part in parts:
        out = out.join(part, on="app", how="left")
    for name in SUMMARY_COLUMNS:
        if name not in out.columns:
            out = out.with_columns(pl.lit(None).alias(name))
    return out.select(list(SUMMARY_COLUMNS))

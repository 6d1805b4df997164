"""How much of each period the usage data observes, so partial periods are never read as drops.

A ledger observes from its first attempt to its last: a day it starts at 07:58 holds a third less than a
whole one. A portal report observes whole days (its own days: the portal's files cover days). A period is
*whole* when the data observes at least `WHOLE` of it; anomalies, week-over-week, worst day and
projections use whole periods only; charts draw partial ones and mark them.
"""

from __future__ import annotations

from datetime import timedelta

import polars as pl

from stnb.usage.events import Frame, usage_events

__all__ = ["WHOLE", "observed_intervals", "period_coverage"]

WHOLE = 0.99  # a day the ledger misses by less than 15 minutes still counts as whole


def _at(tz: str | None) -> pl.Expr:
    return pl.col("at").dt.convert_time_zone(tz) if tz else pl.col("at")


def observed_intervals(df: Frame, *, tz: str | None = None) -> pl.DataFrame:
    """Columns lo, hi (hi exclusive): the stretches of time the data observes.

    Ledger rows: one stretch from the first attempt to just after the last. Portal rows: each day a
    report covers (in the day buckets the analytics use), so a portal day counts as whole.
    """
    events = usage_events(df)
    at = _at(tz)
    ledger = (
        events.filter(pl.col("source") == "ledger")
        .select(at.min().alias("lo"), (at.max() + timedelta(microseconds=1)).alias("hi"))
        .drop_nulls()
    )
    day = at.dt.truncate("1d")
    portal = (
        events.filter(pl.col("source") == "portal")
        .select(day.alias("lo"))
        .unique()
        .with_columns(pl.col("lo").dt.offset_by("1d").alias("hi"))
    )
    return pl.concat([ledger.collect(), portal.collect()], how="vertical").sort("lo")


def period_coverage(df: Frame, every: str = "1d", *, tz: str | None = None) -> pl.DataFrame:
    """Columns period, covered (0..1: the share of the period the data observes), whole (covered >= WHOLE).

    Periods are those `dt.truncate(every)` gives (as `calls_over_time`), from the first observed one to
    the last; a period inside a gap of portal reports has covered 0.
    """
    spans = observed_intervals(df, tz=tz)
    if spans.height == 0:
        return pl.DataFrame(
            schema={"period": spans.schema["lo"], "covered": pl.Float64(), "whole": pl.Boolean()}
        )
    first, last = spans["lo"].min(), spans["hi"].max()
    bounds = pl.DataFrame({"lo": [first], "hi": [last]}, schema=spans.schema).select(
        pl.col("lo").dt.truncate(every).alias("first"),
        (pl.col("hi") - timedelta(microseconds=1)).dt.truncate(every).alias("last"),
    )
    grid = bounds.select(
        pl.datetime_ranges(pl.col("first"), pl.col("last"), every, time_zone=tz or "UTC")
        .explode()
        .alias("period")
    ).with_columns(pl.col("period").cast(spans.schema["lo"]))
    grid = grid.with_columns(pl.col("period").dt.offset_by(every).alias("end"))
    overlap = (
        pl.min_horizontal(pl.col("end"), pl.col("hi")) - pl.max_horizontal(pl.col("period"), pl.col("lo"))
    ).dt.total_microseconds()
    length = (pl.col("end") - pl.col("period")).dt.total_microseconds()
    covered = (
        grid.join(spans, how="cross")
        .with_columns(overlap.clip(lower_bound=0).alias("overlap"), length.alias("length"))
        .group_by("period")
        .agg((pl.col("overlap").sum() / pl.col("length").first()).clip(upper_bound=1.0).alias("covered"))
    )
    return covered.sort("period").with_columns((pl.col("covered") >= WHOLE).alias("whole"))

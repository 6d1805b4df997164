"""Counting usage: calls per period and group, rates, latency percentiles, peak rate, weekly change.

Every function accepts a ledger frame, a portal frame or usage events, eager or lazy (aggregating
lazily, so a Parquet scan of a large ledger never loads unused columns), and returns a small eager
frame. `by` names event columns: app, env, tenant, api, module, endpoint, method (see
`stnb.usage.events`). Periods are UTC unless `tz` is given. Portal reports have the resolution of their
files (a day): finer periods put a day's calls at its first hour.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, timedelta

import polars as pl

from stnb.usage.coverage import WHOLE, period_coverage
from stnb.usage.events import Frame, require_ledger, usage_events

__all__ = [
    "RATE_LIMIT_PER_SECOND",
    "By",
    "as_keys",
    "calls_over_time",
    "daily_calls",
    "daily_input",
    "latency_percentiles",
    "peak_rps_headroom",
    "rates",
    "top_movers",
    "week_over_week",
]

RATE_LIMIT_PER_SECOND = 60.0  # ServiceTitan: 60 calls/s per app per tenant (reference §4.1)

By = str | Sequence[str] | None


def as_keys(by: By) -> list[str]:
    """`by` as a list of column names."""
    if by is None:
        return []
    return [by] if isinstance(by, str) else list(by)


def _period(every: str, tz: str | None) -> pl.Expr:
    at = pl.col("at").dt.convert_time_zone(tz) if tz else pl.col("at")
    return at.dt.truncate(every).alias("period")


def _drop_empty_keys(frame: pl.DataFrame, keys: list[str]) -> pl.DataFrame:
    # Coverage rows of empty portal files have null keys and zero calls: they mark time, not a group.
    if not keys:
        return frame
    null_key = pl.any_horizontal([pl.col(k).is_null() for k in keys])
    return frame.filter(~(null_key & (pl.col("calls") == 0)))


def calls_over_time(
    df: Frame,
    every: str = "1d",
    by: By = ("app",),
    *,
    fill: bool = True,
    tz: str | None = None,
) -> pl.DataFrame:
    """Calls per period (`every`: "1h", "1d", "1w", "1mo", ...) and group: columns period, *by, calls.

    With `fill`, periods without calls get 0: over the whole observed range for ledger data, and only
    over periods some report covers for portal data (a missing file is unknown, not zero).
    """
    keys = as_keys(by)
    events = usage_events(df).with_columns(_period(every, tz))
    counts = events.group_by(["period", *keys]).agg(pl.col("calls").sum()).collect()
    counts = _drop_empty_keys(counts, keys)
    if fill and counts.height:
        counts = _fill_zeros(events, counts, keys, every)
    return counts.sort([*keys, "period"], nulls_last=True).select(["period", *keys, "calls"])


def _ledger_grid(ledger: pl.DataFrame, every: str, per_app: bool, dtype: pl.DataType) -> pl.DataFrame:
    lo, hi = ledger["period"].min(), ledger["period"].max()
    assert isinstance(lo, datetime) and isinstance(hi, datetime)
    grid = pl.DataFrame({"period": pl.datetime_range(lo, hi, every, eager=True)}).cast({"period": dtype})
    if per_app:
        grid = ledger.select("app").unique().join(grid, how="cross")
    return grid


def _fill_zeros(events: pl.LazyFrame, counts: pl.DataFrame, keys: list[str], every: str) -> pl.DataFrame:
    per_app = "app" in keys
    scope = ["app"] if per_app else []
    observed = events.select(["source", *scope, "period"]).unique().collect()
    dtype = counts.schema["period"]
    grids = [observed.filter(pl.col("source") == "portal").select([*scope, "period"])]
    ledger = observed.filter(pl.col("source") == "ledger")
    if ledger.height:
        grids.append(_ledger_grid(ledger, every, per_app, dtype).select([*scope, "period"]))
    grid = pl.concat(grids, how="vertical").unique()
    groups = counts.select(keys).unique()
    full = groups.join(grid, on=scope, how="inner") if per_app else groups.join(grid, how="cross")
    filled = full.join(counts, on=["period", *keys], how="left", nulls_equal=True)
    return filled.with_columns(pl.col("calls").fill_null(0))


def daily_calls(df: Frame, by: By = ("app",), *, tz: str | None = None) -> pl.DataFrame:
    """`calls_over_time(df, "1d", by)` with the period as a `date` column named `day`, and `covered`.

    `covered` is the share of the day the data observes (`stnb.usage.coverage`): below `WHOLE` the day
    is partial (a ledger that starts at 07:58), and the analytics leave it out of anomalies, weekly
    change and projections.
    """
    keys = as_keys(by)
    out = calls_over_time(df, "1d", keys, tz=tz)
    covered = period_coverage(df, "1d", tz=tz).select("period", "covered")
    if covered.height:
        out = out.join(covered.cast({"period": out.schema["period"]}), on="period", how="left")
    else:
        out = out.with_columns(pl.lit(None, pl.Float64()).alias("covered"))
    return out.select(
        pl.col("period").dt.date().alias("day"), *keys, "calls", pl.col("covered").fill_null(1.0)
    )


def daily_input(df: Frame, keys: list[str]) -> pl.DataFrame:
    """A daily frame (day or period, *keys, calls[, covered]) as given, or raw usage turned into one.

    The result always has `covered`; a daily frame without it counts every day as whole.
    """
    if isinstance(df, pl.LazyFrame):
        df = df.collect()
    if "calls" in df.columns and ("day" in df.columns or "period" in df.columns) and "at" not in df.columns:
        day = pl.col("day") if "day" in df.columns else pl.col("period").dt.date()
        covered = pl.col("covered") if "covered" in df.columns else pl.lit(1.0)
        return df.select(
            day.cast(pl.Date).alias("day"), *keys, "calls", covered.cast(pl.Float64).alias("covered")
        )
    return daily_calls(df, keys)


def whole_day() -> pl.Expr:
    """True for the rows of a `daily_input` frame that hold a whole day."""
    return pl.col("covered").fill_null(1.0) >= WHOLE


def _with_period(events: pl.LazyFrame, every: str | None, tz: str | None) -> tuple[pl.LazyFrame, list[str]]:
    if every is None:
        return events, []
    return events.with_columns(_period(every, tz)), ["period"]


def rates(df: Frame, by: By = ("app",), every: str | None = None, *, tz: str | None = None) -> pl.DataFrame:
    """Attempts and success, error and 429 rates per group (and period): ledger data only.

    Success is a 2xx/3xx status; throttled is 429; every other status, or no response, is an error.
    Columns: [period], *by, attempts, ok, throttled, errors, success_rate, error_rate, throttle_rate.
    """
    keys = as_keys(by)
    events, period = _with_period(require_ledger(usage_events(df), "rates()"), every, tz)
    ok = pl.col("status").is_between(200, 399).fill_null(False)
    throttled = (pl.col("status") == 429).fill_null(False)
    counts = [
        pl.len().alias("attempts"),
        ok.sum().alias("ok"),
        throttled.sum().alias("throttled"),
        (~ok & ~throttled).sum().alias("errors"),
    ]
    out = (
        events.group_by([*period, *keys])
        .agg(c.cast(pl.Int64) for c in counts)
        .with_columns(
            success_rate=pl.col("ok") / pl.col("attempts"),
            error_rate=pl.col("errors") / pl.col("attempts"),
            throttle_rate=pl.col("throttled") / pl.col("attempts"),
        )
        .collect()
    )
    return out.sort([*keys, *period], nulls_last=True)


def latency_percentiles(
    df: Frame,
    by: By = ("app",),
    every: str | None = None,
    *,
    quantiles: Sequence[float] = (0.5, 0.95, 0.99),
    tz: str | None = None,
    responses_only: bool = True,
) -> pl.DataFrame:
    """Attempts and latency percentiles in ms per group (and period), linear interpolation: ledger only.

    With `responses_only`, attempts that got no response (timeouts, dropped connections: counted as
    errors by `rates`) are left out, so a timeout setting does not pass for a latency.
    Columns: [period], *by, attempts, p50, p95, p99 (names follow `quantiles`: 0.999 -> p99_9).
    """
    keys = as_keys(by)
    events, period = _with_period(require_ledger(usage_events(df), "latency_percentiles()"), every, tz)
    if responses_only:
        events = events.filter(pl.col("status").is_not_null())
    latency = pl.col("latency_ms")
    aggs = [
        latency.quantile(q, interpolation="linear").alias(f"p{round(q * 100, 1):g}".replace(".", "_"))
        for q in quantiles
    ]
    out = events.group_by([*period, *keys]).agg(pl.len().cast(pl.Int64).alias("attempts"), *aggs).collect()
    return out.sort([*keys, *period], nulls_last=True)


def peak_rps_headroom(
    df: Frame,
    limit: float = RATE_LIMIT_PER_SECOND,
    by: By = ("env", "app", "tenant"),
) -> pl.DataFrame:
    """Peak requests in any one clock second per group against the per-app-per-tenant limit: ledger only.

    Token requests (module "auth") are not limited per tenant and are left out. Columns: *by, peak_rps,
    peak_at (the busiest second, the earliest on ties), headroom (limit - peak), utilisation (peak /
    limit); the busiest groups first.
    """
    keys = as_keys(by)
    events = require_ledger(usage_events(df), "peak_rps_headroom()").filter(pl.col("module") != "auth")
    per_second = events.group_by([*keys, pl.col("at").dt.truncate("1s").alias("second")]).agg(n=pl.len())
    ordered = per_second.sort([*keys, "n", "second"], descending=[*([False] * len(keys)), True, False])
    out = (
        ordered.group_by(keys, maintain_order=True)
        .agg(peak_rps=pl.col("n").first().cast(pl.Int64), peak_at=pl.col("second").first())
        .with_columns(
            headroom=pl.lit(limit) - pl.col("peak_rps"),
            utilisation=pl.col("peak_rps") / pl.lit(limit),
        )
        .collect()
    )
    return out.sort(["utilisation", *keys], descending=[True, *([False] * len(keys))], nulls_last=True)


def _windows(df: Frame, keys: list[str], as_of: date | None, days: int) -> pl.DataFrame:
    """Calls per group in the `days` days ending `as_of` (recent) and the `days` days before (before)."""
    if days < 1:
        raise ValueError(f"a comparison window needs at least one day, got {days}")
    daily = daily_input(df, keys)
    # A partial last day (a ledger read at noon) is no day to end a week on: end on the last whole one.
    end = as_of or daily.filter(whole_day())["day"].max()
    if not isinstance(end, date):  # no (whole) day at all
        end = date.min + timedelta(days=2 * days)
    recent_start, before_start = end - timedelta(days=days - 1), end - timedelta(days=2 * days - 1)
    day, calls = pl.col("day"), pl.col("calls")
    in_recent, in_before = (
        day.is_between(recent_start, end),
        day.is_between(before_start, recent_start - timedelta(days=1)),
    )
    recent = calls.filter(in_recent).sum()
    before = calls.filter(in_before).sum()
    partial = (in_recent | in_before) & ~whole_day()
    aggs = [
        recent.cast(pl.Int64).alias("recent"),
        before.cast(pl.Int64).alias("before"),
        partial.any().alias("partial"),
    ]
    grouped = daily.group_by(keys).agg(aggs) if keys else daily.select(aggs)
    # A window holding part of a day compares less time with more: no percentage rather than a false one.
    out = (
        grouped.with_columns(change=pl.col("recent") - pl.col("before"))
        .with_columns(
            change_pct=pl.when((pl.col("before") > 0) & ~pl.col("partial")).then(
                pl.col("change") / pl.col("before") * 100.0
            )
        )
        .drop("partial")
    )
    return out.sort(keys, nulls_last=True) if keys else out


def week_over_week(df: Frame, by: By = ("app",), *, as_of: date | None = None) -> pl.DataFrame:
    """Calls in the 7 days ending `as_of` (default: the last whole day with data) against the 7 days before.

    Columns: *by, this_week, last_week, change, change_pct (-100 when calls stopped; null when last week
    had no calls, or when either week holds a partial day). `df` may be raw usage or a daily frame
    (day/period, *by, calls[, covered]).
    """
    out = _windows(df, as_keys(by), as_of, 7)
    return out.rename({"recent": "this_week", "before": "last_week"})


def top_movers(
    df: Frame,
    by: By = "endpoint",
    *,
    n: int = 5,
    within: By = ("app",),
    weeks: int = 1,
    as_of: date | None = None,
) -> pl.DataFrame:
    """The `n` groups whose calls changed most: the `weeks` weeks ending `as_of` against the `weeks` before.

    `as_of` defaults to the last day with data. Groups that stopped calling (recent 0, change_pct -100)
    come first, however small: a tenant gone silent matters most; then the largest absolute changes.
    Groups without any change are left out. Columns: *within, *by, recent, before, change, change_pct,
    status ("stopped", "started", "up" or "down").
    """
    keys = [*as_keys(within), *as_keys(by)]
    compared = _windows(df, keys, as_of, 7 * weeks).filter(pl.col("change") != 0)
    status = (
        pl.when(pl.col("recent") == 0)
        .then(pl.lit("stopped"))
        .when(pl.col("before") == 0)
        .then(pl.lit("started"))
        .when(pl.col("change") > 0)
        .then(pl.lit("up"))
        .otherwise(pl.lit("down"))
    )
    ranked = compared.with_columns(status.alias("status")).sort(
        [pl.col("status") != "stopped", pl.col("change").abs(), *keys],
        descending=[False, True, *([False] * len(keys))],
        nulls_last=True,
    )
    return ranked.head(n)

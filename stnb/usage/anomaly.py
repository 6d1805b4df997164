"""Unusual days: a robust z-score of daily calls against their trend and weekly pattern."""

from __future__ import annotations

from collections.abc import Sequence

import polars as pl

from stnb.usage.counts import By, as_keys, daily_input, whole_day
from stnb.usage.events import Frame

__all__ = ["anomalies", "anomaly_scores"]

_MAD_SCALE = 0.6745  # makes the median absolute deviation comparable to a standard deviation
_MEAN_AD_SCALE = 1.2533  # the same for the mean absolute deviation, used when the MAD is 0


def _over(expr: pl.Expr, keys: Sequence[str], extra: Sequence[str] = ()) -> pl.Expr:
    part = [*keys, *extra]
    return expr.over(part) if part else expr


def _robust_z(r: pl.Expr, keys: Sequence[str]) -> pl.Expr:
    centred = r - _over(r.median(), keys)
    mad = _over(centred.abs().median(), keys)
    mean_ad = _over(centred.abs().mean(), keys)
    return (
        pl.when(mad > 0)
        .then(_MAD_SCALE * centred / mad)
        .when(mean_ad > 0)
        .then(centred / (_MEAN_AD_SCALE * mean_ad))
        .otherwise(0.0)
    )


def _nearest(value: pl.Expr, *candidates: str) -> pl.Expr:
    best = pl.col(candidates[0])
    for name in candidates[1:]:
        other = pl.col(name)
        best = (
            pl.when(other.is_not_null() & ((value - other).abs() < (value - best).abs()))
            .then(other)
            .otherwise(best)
        )
    return best


def anomaly_scores(df: Frame, by: By = ("app",), *, window: int = 15) -> pl.DataFrame:
    """Every day's robust z-score per group. Columns: *by, day, calls, expected, deviation, deviation_pct, z.

    expected = trend x weekday factor. The weekday factor is the median ratio of a weekday's calls to
    the centred 7-day median. The trend is the centred `window`-day median of deseasonalised calls;
    where the medians of the half-windows before and after a day differ by more than three times the
    series' typical daily noise (a level shift: a launch, a churned tenant), the trend is whichever of
    the three medians is nearest to the day, so a step is explained by its own side while a lone unusual
    day is explained by none. The relative residual r = calls / expected - 1 is scored as
    z = 0.6745 (r - median r) / MAD(r), or with 1.2533 x the mean absolute deviation when the MAD is 0.
    `df` may be raw usage or a daily frame (day/period, *by, calls[, covered]). The first and last days
    are compared with one side only. Days the data covers only in part (`covered` below
    `stnb.usage.coverage.WHOLE`: a ledger that starts or ends mid-day) are neither scored nor used to
    score others: they come back with `whole` false and null expected, deviation and z.
    """
    if window < 3:
        raise ValueError(f"window must be at least 3 days, got {window}")
    keys = as_keys(by)
    half = window // 2
    given = daily_input(df, keys)
    daily = given.filter(whole_day()).sort([*keys, "day"], nulls_last=True)
    calls = pl.col("calls").cast(pl.Float64)
    deseason = pl.col("deseason")
    level = _over(calls.rolling_median(7, center=True, min_samples=1), keys)
    ratio = pl.when(pl.col("level") > 0).then(calls / pl.col("level"))
    factor = _over(ratio.median(), keys, ["weekday"]).fill_null(1.0)
    centred = _over(deseason.rolling_median(window, center=True, min_samples=1), keys)
    before = _over(deseason.shift(1).rolling_median(half, min_samples=1), keys)
    after = _over(deseason.reverse().shift(1).rolling_median(half, min_samples=1).reverse(), keys)
    first_r = pl.when(pl.col("centred") > 0).then(deseason / pl.col("centred") - 1.0)
    noise = _over((first_r - first_r.median()).abs().median(), keys) / _MAD_SCALE
    step = ((pl.col("before") - pl.col("after")).abs() / pl.col("centred")) > 3 * pl.col("noise")
    trend = pl.when(step.fill_null(False)).then(_nearest(deseason, "centred", "before", "after"))
    residual = pl.when(pl.col("expected") > 0).then(calls / pl.col("expected") - 1.0)
    scored = (
        daily.with_columns(pl.col("day").dt.weekday().alias("weekday"), level.alias("level"))
        .with_columns(factor.alias("factor"))
        .with_columns(
            pl.when(pl.col("factor") > 0).then(calls / pl.col("factor")).otherwise(calls).alias("deseason")
        )
        .with_columns(centred.alias("centred"), before.alias("before"), after.alias("after"))
        .with_columns(noise.alias("noise"))
        .with_columns((trend.otherwise(pl.col("centred")) * pl.col("factor")).alias("expected"))
        .with_columns(residual.alias("r"))
    )
    out = scored.select(
        *keys,
        "day",
        "calls",
        "expected",
        (calls - pl.col("expected")).alias("deviation"),
        (pl.col("r") * 100.0).alias("deviation_pct"),
        _robust_z(pl.col("r"), keys).alias("z"),
        pl.lit(True).alias("whole"),
    )
    partial = given.filter(~whole_day()).select(
        *keys,
        "day",
        "calls",
        *(
            pl.lit(None, out.schema[name]).alias(name)
            for name in ("expected", "deviation", "deviation_pct", "z")
        ),
        pl.lit(False).alias("whole"),
    )
    if partial.height == 0:
        return out
    return pl.concat([out, partial.cast(out.schema)], how="vertical").sort([*keys, "day"], nulls_last=True)


def anomalies(df: Frame, threshold: float = 3.5, by: By = ("app",), *, window: int = 15) -> pl.DataFrame:
    """Whole days whose robust z-score (see `anomaly_scores`) exceeds `threshold` in size, largest first.

    Adds `kind`: "drop" or "spike".
    """
    scores = anomaly_scores(df, by, window=window)
    kind = pl.when(pl.col("z") < 0).then(pl.lit("drop")).otherwise(pl.lit("spike")).alias("kind")
    flagged = scores.filter(pl.col("whole") & (pl.col("z").abs() > threshold)).with_columns(kind)
    return flagged.sort(pl.col("z").abs(), descending=True)

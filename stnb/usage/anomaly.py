"""Unusual days: a robust z-score of daily calls against their trend and weekly pattern."""

from __future__ import annotations

from collections.abc import Sequence

import polars as pl

from stnb.usage.counts import By, as_keys, daily_input
from stnb.usage.events import Frame

__all__ = ["anomalies", "anomaly_scores"]

_MAD_SCALE = 0.6745  # makes the median absolute deviation comparable to a standard deviation
_MEAN_AD_SCALE = 1.2533  # the same for the mean absolute deviation, used when the MAD is 0


def _over(expr: pl.Expr, keys: Sequence[str], extra: Sequence[str] = ()) -> pl.Expr:
    part = [*keys, *extra]
    return expr.over(part) if part else expr


def anomaly_scores(df: Frame, by: By = ("app",), *, window: int = 15) -> pl.DataFrame:
    """Every day's robust z-score per group. Columns: *by, day, calls, expected, deviation, deviation_pct, z.

    expected = trend x weekday factor. The weekday factor is the median ratio of a weekday's calls to
    the centred 7-day median; the trend is the centred `window`-day median of deseasonalised calls,
    which follows level shifts such as a launch or a churned tenant. The relative residual
    r = calls / expected - 1 is scored as z = 0.6745 (r - median r) / MAD(r), or with 1.2533 x the mean
    absolute deviation when the MAD is 0. `df` may be raw usage or a daily frame (day/period, *by, calls).
    """
    if window < 3:
        raise ValueError(f"window must be at least 3 days, got {window}")
    keys = as_keys(by)
    daily = daily_input(df, keys).sort([*keys, "day"], nulls_last=True)
    calls = pl.col("calls").cast(pl.Float64)
    level = _over(calls.rolling_median(7, center=True, min_samples=1), keys)
    ratio = pl.when(pl.col("level") > 0).then(calls / pl.col("level"))
    factor = _over(ratio.median(), keys, ["weekday"]).fill_null(1.0)
    deseason = pl.when(pl.col("factor") > 0).then(calls / pl.col("factor")).otherwise(calls)
    trend = _over(pl.col("deseason").rolling_median(window, center=True, min_samples=1), keys)
    residual = pl.when(pl.col("expected") > 0).then(calls / pl.col("expected") - 1.0)
    scored = (
        daily.with_columns(pl.col("day").dt.weekday().alias("weekday"), level.alias("level"))
        .with_columns(factor.alias("factor"))
        .with_columns(deseason.alias("deseason"))
        .with_columns(trend.alias("trend"))
        .with_columns((pl.col("trend") * pl.col("factor")).alias("expected"))
        .with_columns(residual.alias("r"))
    )
    centred = pl.col("r") - _over(pl.col("r").median(), keys)
    mad = _over(centred.abs().median(), keys)
    mean_ad = _over(centred.abs().mean(), keys)
    z = (
        pl.when(mad > 0)
        .then(_MAD_SCALE * centred / mad)
        .when(mean_ad > 0)
        .then(centred / (_MEAN_AD_SCALE * mean_ad))
        .otherwise(0.0)
    )
    return scored.select(
        *keys,
        "day",
        "calls",
        "expected",
        (calls - pl.col("expected")).alias("deviation"),
        (pl.col("r") * 100.0).alias("deviation_pct"),
        z.alias("z"),
    )


def anomalies(df: Frame, threshold: float = 3.5, by: By = ("app",), *, window: int = 15) -> pl.DataFrame:
    """Days whose robust z-score (see `anomaly_scores`) exceeds `threshold` in size, largest first.

    Adds `kind`: "drop" or "spike".
    """
    scores = anomaly_scores(df, by, window=window)
    kind = pl.when(pl.col("z") < 0).then(pl.lit("drop")).otherwise(pl.lit("spike")).alias("kind")
    flagged = scores.filter(pl.col("z").abs() > threshold).with_columns(kind)
    return flagged.sort(pl.col("z").abs(), descending=True)

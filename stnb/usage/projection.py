"""A 30-day projection of daily calls with a band that admits what it does not know."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date, timedelta

import polars as pl

from stnb.usage.counts import By, as_keys, daily_input, whole_day
from stnb.usage.events import Frame

__all__ = ["projection"]


@dataclass(frozen=True, slots=True)
class _Line:
    intercept: float
    slope: float
    n: int
    t_mean: float
    sxx: float

    def at(self, t: float) -> float:
        return self.intercept + self.slope * t

    def widening(self, t: float) -> float:
        """The prediction-interval factor: grows with the distance from the fitted days."""
        return math.sqrt(1.0 + 1.0 / self.n + (t - self.t_mean) ** 2 / self.sxx)


def _quantile(sorted_values: list[float], q: float) -> float:
    pos = q * (len(sorted_values) - 1)
    lo = math.floor(pos)
    hi = min(lo + 1, len(sorted_values) - 1)
    return sorted_values[lo] + (sorted_values[hi] - sorted_values[lo]) * (pos - lo)


def _weekday_factors(values: list[float], days: list[date]) -> dict[int, float]:
    ratios: dict[int, list[float]] = {}
    for i, value in enumerate(values):
        window = sorted(values[max(0, i - 3) : i + 4])
        middle = window[len(window) // 2]
        if middle > 0:
            ratios.setdefault(days[i].weekday(), []).append(value / middle)
    factors = {wd: sorted(rs)[len(rs) // 2] for wd, rs in ratios.items()}
    mean = sum(factors.values()) / len(factors) if factors else 0.0
    return {wd: f / mean for wd, f in factors.items()} if mean > 0 else {}


def _fit_line(y: list[float]) -> _Line:
    n = len(y)
    t_mean = (n - 1) / 2
    sxx = sum((t - t_mean) ** 2 for t in range(n))
    y_mean = sum(y) / n
    slope = sum((t - t_mean) * (v - y_mean) for t, v in enumerate(y)) / sxx
    return _Line(y_mean - slope * t_mean, slope, n, t_mean, sxx)


def _project(
    values: list[float], days: list[date], horizon: int, coverage: float
) -> list[tuple[date, float, float, float]]:
    factors = _weekday_factors(values, days)
    y = [
        v / factors.get(d.weekday(), 1.0) if factors.get(d.weekday(), 0.0) > 0 else v
        for v, d in zip(values, days, strict=True)
    ]
    line = _fit_line(y)
    residuals = sorted(v - line.at(t) for t, v in enumerate(y))
    tail = (1.0 - coverage) / 2
    low, high = _quantile(residuals, tail), _quantile(residuals, 1.0 - tail)
    out = []
    for h in range(1, horizon + 1):
        t = line.n - 1 + h
        day = days[-1] + timedelta(days=h)
        f = factors.get(day.weekday(), 1.0)
        centre, widen = line.at(t), line.widening(t)
        out.append(
            (
                day,
                max(0.0, centre * f),
                max(0.0, (centre + low * widen) * f),
                max(0.0, (centre + high * widen) * f),
            )
        )
    return out


def projection(
    df: Frame,
    days: int = 30,
    by: By = ("app",),
    *,
    weeks: int = 8,
    coverage: float = 0.9,
) -> pl.DataFrame:
    """Daily calls projected `days` ahead per group, with a band meant to hold `coverage` of outcomes.

    Fits a straight line to the last `weeks` weeks of deseasonalised daily calls (weekday factors: the
    median ratio to the centred 7-day median), projects it with the weekly pattern, and bounds it by the
    fit's residual quantiles times the prediction-interval factor sqrt(1 + 1/n + (t - mean t)^2 / Sxx),
    so the band widens with the horizon. Only whole days are fitted (a partial last day would bend the
    line down); the projection starts the day after the last whole one. Groups with less than two weeks
    of data are left out.
    Columns: *by, day, forecast, lower, upper. `df` may be raw usage or a daily frame.
    """
    if days < 1 or weeks < 2 or not 0 < coverage < 1:
        raise ValueError(
            f"projection needs days >= 1, weeks >= 2, 0 < coverage < 1 (got {days}, {weeks}, {coverage})"
        )
    keys = as_keys(by)
    daily = daily_input(df, keys).filter(whole_day()).sort([*keys, "day"])
    schema = {
        **{k: daily.schema[k] for k in keys},
        "day": pl.Date(),
        "forecast": pl.Float64(),
        "lower": pl.Float64(),
        "upper": pl.Float64(),
    }
    rows: list[tuple[object, ...]] = []
    parts = daily.partition_by(keys, as_dict=True, maintain_order=True) if keys else {(): daily}
    for key, part in parts.items():
        last = part["day"].max()
        if not isinstance(last, date):
            continue
        recent = part.filter(pl.col("day") > last - timedelta(days=weeks * 7))
        if recent.height < 14:
            continue  # two weeks are the least that separate a trend from the weekly pattern
        values = [float(v) for v in recent["calls"].to_list()]
        for row in _project(values, recent["day"].to_list(), days, coverage):
            rows.append((*key, *row))
    return pl.DataFrame(rows, schema=schema, orient="row")

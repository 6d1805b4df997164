"""Usage analytics in one namespace: counts and rates, anomalies, projection (pure polars functions)."""

from stnb.usage.anomaly import anomalies, anomaly_scores
from stnb.usage.counts import (
    RATE_LIMIT_PER_SECOND,
    calls_over_time,
    daily_calls,
    latency_percentiles,
    peak_rps_headroom,
    rates,
    top_movers,
    week_over_week,
)
from stnb.usage.coverage import WHOLE, period_coverage
from stnb.usage.events import usage_events
from stnb.usage.projection import projection

__all__ = [
    "RATE_LIMIT_PER_SECOND",
    "WHOLE",
    "anomalies",
    "anomaly_scores",
    "calls_over_time",
    "daily_calls",
    "latency_percentiles",
    "peak_rps_headroom",
    "period_coverage",
    "projection",
    "rates",
    "top_movers",
    "usage_events",
    "week_over_week",
]

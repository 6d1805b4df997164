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
from stnb.usage.events import usage_events
from stnb.usage.projection import projection

__all__ = [
    "RATE_LIMIT_PER_SECOND",
    "anomalies",
    "anomaly_scores",
    "calls_over_time",
    "daily_calls",
    "latency_percentiles",
    "peak_rps_headroom",
    "projection",
    "rates",
    "top_movers",
    "usage_events",
    "week_over_week",
]

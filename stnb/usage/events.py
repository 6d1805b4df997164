"""One shape for both usage sources, so every aggregation works on the ledger and on portal reports.

Columns (EVENT_SCHEMA): at (UTC), source ("ledger" | "portal"), env, app (app name when known, else the
key fingerprint or portal id), app_id, tenant (id as text), tenant_name, api (the API's portal name),
module, endpoint, method, calls (1 per ledger attempt; the portal's count), status, latency_ms,
rate_wait_ms, error_type (null for portal rows, which only count successful calls).
"""

from __future__ import annotations

import polars as pl

from stnb.catalog.portal import API_NAMES
from stnb.usage.columns import UTC_US

__all__ = [
    "EVENT_SCHEMA",
    "Frame",
    "name_tenants",
    "require_ledger",
    "tenant_label",
    "tenant_names",
    "usage_events",
]

Frame = pl.DataFrame | pl.LazyFrame

EVENT_SCHEMA: dict[str, pl.DataType] = {
    "at": UTC_US,
    "source": pl.String(),
    "env": pl.String(),
    "app": pl.String(),
    "app_id": pl.String(),
    "tenant": pl.String(),
    "tenant_name": pl.String(),
    "api": pl.String(),
    "module": pl.String(),
    "endpoint": pl.String(),
    "method": pl.String(),
    "calls": pl.Int64(),
    "status": pl.Int32(),
    "latency_ms": pl.Float64(),
    "rate_wait_ms": pl.Float64(),
    "error_type": pl.String(),
}
_API_LABELS = {**API_NAMES, "auth": "Authentication"}


def _ledger_events(lf: pl.LazyFrame) -> pl.LazyFrame:
    return lf.select(
        pl.col("at").cast(UTC_US),
        pl.lit("ledger").alias("source"),
        pl.col("env"),
        pl.coalesce(pl.col("app_name"), pl.col("app")).alias("app"),
        pl.col("app").alias("app_id"),
        pl.col("tenant"),
        pl.lit(None, pl.String()).alias("tenant_name"),
        pl.col("module")
        .replace_strict(_API_LABELS, default=pl.col("module"), return_dtype=pl.String())
        .alias("api"),
        pl.col("module"),
        pl.col("endpoint"),
        pl.col("method"),
        pl.lit(1, pl.Int64()).alias("calls"),
        pl.col("status").cast(pl.Int32()),
        pl.col("latency_ms").cast(pl.Float64()),
        pl.col("rate_wait_ms").cast(pl.Float64()),
        pl.col("error_type"),
    )


def _portal_events(lf: pl.LazyFrame) -> pl.LazyFrame:
    return lf.select(
        pl.col("start").cast(UTC_US).alias("at"),
        pl.lit("portal").alias("source"),
        pl.lit("production").alias("env"),  # the portal reports production only
        pl.coalesce(pl.col("app_name"), pl.col("app_id")).alias("app"),
        pl.col("app_id"),
        pl.col("tenant_id").alias("tenant"),
        pl.col("tenant_name"),
        pl.col("api"),
        pl.col("module"),
        pl.col("endpoint"),
        pl.col("method"),
        pl.col("calls").cast(pl.Int64()),
        pl.lit(None, pl.Int32()).alias("status"),
        pl.lit(None, pl.Float64()).alias("latency_ms"),
        pl.lit(None, pl.Float64()).alias("rate_wait_ms"),
        pl.lit(None, pl.String()).alias("error_type"),
    )


def usage_events(df: Frame) -> pl.LazyFrame:
    """A ledger frame, a portal frame or events already in this shape, as lazy usage events."""
    lf = df.lazy()
    names = set(lf.collect_schema().names())
    if set(EVENT_SCHEMA) <= names:
        return lf.select(list(EVENT_SCHEMA))
    if {"at", "app", "latency_ms", "status"} <= names:
        return _ledger_events(lf)
    if {"start", "app_id", "calls", "endpoint"} <= names:
        return _portal_events(lf)
    raise ValueError(
        "expected a usage ledger frame (read_ledger), a portal report frame (import_portal_reports) or "
        f"usage events; got columns {sorted(names)}"
    )


def require_ledger(events: pl.LazyFrame, what: str) -> pl.LazyFrame:
    """Only ledger rows; raises when there are none (portal reports carry no status or latency)."""
    ledger = events.filter(pl.col("source") == "ledger")
    if ledger.select(pl.len()).collect().item() == 0:
        raise ValueError(
            f"{what} needs ledger data (status and latency per attempt); the portal's usage report only "
            "counts successful calls"
        )
    return ledger


def tenant_names(*frames: Frame | None) -> pl.DataFrame:
    """Columns tenant, tenant_name: the names the frames know (portal reports name tenants; the ledger
    only has ids)."""
    parts = [
        usage_events(f).select("tenant", "tenant_name").drop_nulls().unique().collect()
        for f in frames
        if f is not None
    ]
    if not parts:
        return pl.DataFrame(schema={"tenant": pl.String(), "tenant_name": pl.String()})
    return pl.concat(parts).unique("tenant", keep="first", maintain_order=True)


def name_tenants(events: Frame, names: pl.DataFrame) -> pl.LazyFrame:
    """`events` with `tenant_name` filled from `names` (tenant, tenant_name) where it is missing."""
    known = names.lazy().select("tenant", pl.col("tenant_name").alias("__name"))
    joined = usage_events(events).join(known, on="tenant", how="left", maintain_order="left")
    filled = pl.coalesce("tenant_name", "__name").alias("tenant_name")
    return joined.with_columns(filled).select(list(EVENT_SCHEMA))


def tenant_label() -> pl.Expr:
    """ "Name (id)" when the tenant's name is known, else its id: how charts and tables name a tenant."""
    named = pl.format("{} ({})", pl.col("tenant_name"), pl.col("tenant"))
    return pl.when(pl.col("tenant_name").is_not_null()).then(named).otherwise(pl.col("tenant"))

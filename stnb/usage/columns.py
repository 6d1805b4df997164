"""Column names and polars dtypes shared by the ledger, the portal import and the analytics."""

from __future__ import annotations

import polars as pl

__all__ = ["LEDGER_COLUMNS", "LEDGER_SCHEMA", "PORTAL_SCHEMA", "UTC_US"]

UTC_US = pl.Datetime("us", "UTC")

# One row per HTTP attempt, as recorded by `UsageLedger` (order = SQLite column order).
LEDGER_SCHEMA: dict[str, pl.DataType] = {
    "id": pl.Int64(),  # unique attempt id; replays of a batch are ignored by it
    "at": UTC_US,  # when the attempt was sent
    "env": pl.String(),
    "app": pl.String(),  # app key fingerprint, never the key
    "app_name": pl.String(),
    "tenant": pl.String(),
    "method": pl.String(),
    "module": pl.String(),  # API family: jpm, crm, ...; "auth" for token requests
    "endpoint": pl.String(),  # URL template
    "status": pl.Int32(),  # null when no response arrived
    "latency_ms": pl.Float64(),
    "bytes": pl.Int64(),
    "attempt": pl.Int32(),
    "rate_wait_ms": pl.Float64(),
    "error_type": pl.String(),
    "sandbox": pl.Boolean(),  # the built-in sandbox answered: demo traffic, left out of analytics by default
}
LEDGER_COLUMNS = tuple(LEDGER_SCHEMA)

# One row per (file, tenant, endpoint) of the developer portal's API Usage Report.
PORTAL_SCHEMA: dict[str, pl.DataType] = {
    "app_id": pl.String(),  # the portal's public app id
    "app_name": pl.String(),
    "tenant_id": pl.String(),
    "tenant_name": pl.String(),
    "api": pl.String(),  # portal API name, e.g. "Job Planning and Management"
    "module": pl.String(),  # URL slug of that API when known (jpm, crm, ...)
    "method": pl.String(),
    "endpoint": pl.String(),  # as the portal shows it: /tenant/{tenant}/jobs
    "start": UTC_US,  # first instant covered by the file
    "end": UTC_US,  # first instant after the file's range
    "calls": pl.Int64(),  # successful (2xx) production calls in [start, end)
    "file": pl.String(),
}

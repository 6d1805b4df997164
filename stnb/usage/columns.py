"""Column names and polars dtypes shared by the ledger, the portal import and the analytics."""

from __future__ import annotations

import polars as pl

# The ledger's columns belong with its file (the foundations' `stnb._ledger.store`).
from stnb._ledger.store import LEDGER_COLUMNS, LEDGER_SCHEMA, UTC_US

__all__ = ["LEDGER_COLUMNS", "LEDGER_SCHEMA", "PORTAL_SCHEMA", "UTC_US"]

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

"""The sandbox's Reporting API (`/reporting/v2/tenant/{tenant}/...`), computed from the demo world.

Endpoints: report categories, a category's reports, a report's description, dynamic value sets,
`POST .../data` (paging in the query string; every page is a run), `POST .../data/query` (answers
inline for small results, else 202 with a token), `GET/DELETE /data-queries/{token}`.

Reports read the world's tables through `ReportSource` (normalised polars frames). Report dates are
tenant-local: `From`/`To` cover `[local midnight From, local midnight To+1)`, so the revenue
report's total for a period equals the sum of `total` of the invoices the invoices list endpoint
returns for the same bounds in UTC.

The run limit (default 1 run per report per tenant per minute, `runs_per_minute`) answers 429 with
Retry-After and ServiceTitan's title. A query token becomes ready after `QUERY_POLLS_UNTIL_READY`
polls. State (limit windows, query tokens) lives per world, so a service built per request keeps it.

One module per concept: `source` (`ReportSource`, `source_from_world`), `model` (a report's parameters,
fields and description), `definitions` (the reports served, their categories and value sets), `kpi` (the
KPI reports), `requests` (paging, parameters, JSON pages), `service` (`ReportingService`, the run limit).
"""

from __future__ import annotations

from stnb.sandbox.reports.definitions import REPORTS
from stnb.sandbox.reports.kpi import KPI_REPORTS
from stnb.sandbox.reports.service import (
    DEFAULT_DATA_PAGE_SIZE,
    QUERY_INLINE_ROWS,
    QUERY_POLLS_UNTIL_READY,
    REPORT_RUN_SECONDS,
    REPORT_RUNS_PER_MINUTE,
    STILL_RUNNING_ROWS,
    STILL_RUNNING_TITLE,
    ReportingService,
    set_default_runs_per_minute,
)
from stnb.sandbox.reports.source import ReportSource, source_from_world

__all__ = [
    "DEFAULT_DATA_PAGE_SIZE",
    "KPI_REPORTS",
    "QUERY_INLINE_ROWS",
    "QUERY_POLLS_UNTIL_READY",
    "REPORTS",
    "REPORT_RUNS_PER_MINUTE",
    "REPORT_RUN_SECONDS",
    "STILL_RUNNING_ROWS",
    "STILL_RUNNING_TITLE",
    "ReportSource",
    "ReportingService",
    "set_default_runs_per_minute",
    "source_from_world",
]

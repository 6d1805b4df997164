"""stnb: explore the ServiceTitan API from Jupyter.

import stnb
st = stnb.connect()                      # the sandbox when no credentials are configured
df = st.frame("crm/customers", active="any")

This module is the user's vocabulary: `connect`, `connect_async`, `compare`, `check`, the connection
and result types, the error classes and the warnings, plus the subpackages users import (`reports`,
`usage`, `widgets`, `charts`, `tables`, `pages`, `recipes`, `sandbox`, `catalog`, `tenant_time`,
`errors`). Everything else lives in `_`-prefixed modules (internals: their names may change). Every
name here is imported on first use, so `import stnb` costs a few milliseconds: polars, httpx2 and the
catalog load when something first needs them (`stnb --help` and `stnb resources` never load polars).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from stnb import _accessors

if TYPE_CHECKING:
    from stnb import (
        catalog,
        charts,
        errors,
        pages,
        recipes,
        reports,
        sandbox,
        tables,
        tenant_time,
        usage,
        widgets,
    )
    from stnb._attempts import Attempt, add_observer, remove_observer
    from stnb._auth import clear_tokens
    from stnb._compare import compare_all
    from stnb._connect import connect, connect_async
    from stnb._connection import AsyncConnection, Connection, QueryInfo
    from stnb._frames.drift import SchemaDriftWarning
    from stnb._paging.errors import ExportTokenRejected, PagingOptionError, PagingWarning, TruncationWarning
    from stnb._paging.export import AsyncExportCursor, ExportCursor
    from stnb._paging.pages import AsyncPageIterator, Page, PageIterator
    from stnb._query import EmptyRangeWarning
    from stnb._retry import RetryPolicy
    from stnb.catalog import UnknownResourceError
    from stnb.errors import (
        ApiError,
        AuthError,
        ConfigError,
        Conflict,
        InvalidRequest,
        InvalidResponse,
        MissingExtra,
        NotFound,
        PermissionDenied,
        RateLimited,
        ServerError,
        StnbError,
        TransportError,
        Unprocessable,
        UsageError,
        UsageTypeError,
        ValidationError,
        WriteForbidden,
    )
    from stnb.pages.check_report import CheckResult, check
    from stnb.pages.comparison import Comparison, compare

__version__ = "0.1.0"


def _reports_accessor(conn: Any) -> Any:
    """`st.reports`: the Reporting API of a connection (the analysis layer), loaded on first use."""
    from stnb.reports import Reports

    return Reports(conn)


# The package root registers the accessors the data layer offers but does not import (`st.reports`):
# Python runs this file before any stnb.* module, so they exist however stnb is imported.
_accessors.register("reports", _reports_accessor)

# Public name -> the module that defines it, imported when the name is first read.
_LAZY_NAMES: dict[str, str] = {
    "Attempt": "stnb._attempts",
    "add_observer": "stnb._attempts",
    "remove_observer": "stnb._attempts",
    "clear_tokens": "stnb._auth",
    # The public results are the presentation layer's subclasses (they draw figures and write pages);
    # the analysis (stnb._check, stnb._compare) returns plain data objects.
    "CheckResult": "stnb.pages.check_report",
    "check": "stnb.pages.check_report",
    "Comparison": "stnb.pages.comparison",
    "compare": "stnb.pages.comparison",
    "compare_all": "stnb._compare",
    "connect": "stnb._connect",
    "connect_async": "stnb._connect",
    "AsyncConnection": "stnb._connection",
    "Connection": "stnb._connection",
    "QueryInfo": "stnb._connection",
    "SchemaDriftWarning": "stnb._frames.drift",
    **dict.fromkeys(("AsyncPageIterator", "Page", "PageIterator"), "stnb._paging.pages"),
    **dict.fromkeys(("AsyncExportCursor", "ExportCursor"), "stnb._paging.export"),
    **dict.fromkeys(
        ("ExportTokenRejected", "PagingOptionError", "PagingWarning", "TruncationWarning"),
        "stnb._paging.errors",
    ),
    "EmptyRangeWarning": "stnb._query",
    "RetryPolicy": "stnb._retry",
    "UnknownResourceError": "stnb.catalog",
    **dict.fromkeys(
        (
            "ApiError",
            "AuthError",
            "ConfigError",
            "Conflict",
            "InvalidRequest",
            "InvalidResponse",
            "MissingExtra",
            "NotFound",
            "PermissionDenied",
            "RateLimited",
            "ServerError",
            "StnbError",
            "TransportError",
            "Unprocessable",
            "UsageError",
            "UsageTypeError",
            "ValidationError",
            "WriteForbidden",
        ),
        "stnb.errors",
    ),
}

# The public subpackages, loaded on first use (`stnb.tables.readable(...)` works without importing it first).
_SUBPACKAGES = frozenset(
    {
        "catalog",
        "charts",
        "errors",
        "pages",
        "recipes",
        "reports",
        "sandbox",
        "tables",
        "tenant_time",
        "usage",
        "widgets",
    }
)


def __getattr__(name: str) -> Any:
    module = _LAZY_NAMES.get(name)
    if module is not None:
        value = getattr(importlib.import_module(module), name)
        globals()[name] = value  # later reads skip this hook
        return value
    if name in _SUBPACKAGES:
        return importlib.import_module(f"stnb.{name}")  # also binds it here, so this runs once per name
    raise AttributeError(f"module 'stnb' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(__all__)


__all__ = [
    "ApiError",
    "AsyncConnection",
    "AsyncExportCursor",
    "AsyncPageIterator",
    "Attempt",
    "AuthError",
    "CheckResult",
    "Comparison",
    "ConfigError",
    "Conflict",
    "Connection",
    "EmptyRangeWarning",
    "ExportCursor",
    "ExportTokenRejected",
    "InvalidRequest",
    "InvalidResponse",
    "MissingExtra",
    "NotFound",
    "Page",
    "PageIterator",
    "PagingOptionError",
    "PagingWarning",
    "PermissionDenied",
    "QueryInfo",
    "RateLimited",
    "RetryPolicy",
    "SchemaDriftWarning",
    "ServerError",
    "StnbError",
    "TransportError",
    "TruncationWarning",
    "UnknownResourceError",
    "Unprocessable",
    "UsageError",
    "UsageTypeError",
    "ValidationError",
    "WriteForbidden",
    "__version__",
    "add_observer",
    "catalog",
    "charts",
    "check",
    "clear_tokens",
    "compare",
    "compare_all",
    "connect",
    "connect_async",
    "errors",
    "pages",
    "recipes",
    "remove_observer",
    "reports",
    "sandbox",
    "tables",
    "tenant_time",
    "usage",
    "widgets",
]

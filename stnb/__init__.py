"""stnb: explore the ServiceTitan API from Jupyter.

import stnb
st = stnb.connect()                      # the sandbox when no credentials are configured
df = st.frame("crm/customers", active="any")

Submodules such as `stnb.tenant_time`, `stnb.sandbox` or `stnb.usage` are imported on first attribute
access, so `import stnb` stays quick and `stnb.tenant_time.preset(...)` works without importing it.
"""

import importlib
from types import ModuleType

from stnb.catalog import UnknownResourceError
from stnb.check import CheckResult, check
from stnb.compare import Comparison, compare, compare_all
from stnb.connect import connect, connect_async
from stnb.connection import AsyncConnection, Connection, QueryInfo
from stnb.errors import (
    ApiError,
    AuthError,
    ConfigError,
    Conflict,
    InvalidRequest,
    InvalidResponse,
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
from stnb.frames import SchemaDriftWarning
from stnb.paging import (
    AsyncExportCursor,
    AsyncPageIterator,
    ExportCursor,
    ExportTokenRejected,
    Page,
    PageIterator,
    PagingOptionError,
    PagingWarning,
    TruncationWarning,
)

__version__ = "0.1.0"

# Public submodules loaded on first use (`stnb.compare`, `stnb.check` and `stnb.connect` are the functions).
_LAZY_SUBMODULES = frozenset(
    {
        "attempts",
        "auth",
        "catalog",
        "charts",
        "client",
        "clock",
        "config",
        "connection",
        "errors",
        "frames",
        "pacing",
        "paging",
        "query",
        "recipes",
        "reports",
        "retry",
        "sandbox",
        "tables",
        "tenant_time",
        "usage",
        "widgets",
    }
)


def __getattr__(name: str) -> ModuleType:
    if name in _LAZY_SUBMODULES:
        return importlib.import_module(f"stnb.{name}")  # also binds it here, so this runs once per name
    raise AttributeError(f"module 'stnb' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | _LAZY_SUBMODULES)


__all__ = [
    "ApiError",
    "AsyncConnection",
    "AsyncExportCursor",
    "AsyncPageIterator",
    "AuthError",
    "CheckResult",
    "Comparison",
    "ConfigError",
    "Conflict",
    "Connection",
    "ExportCursor",
    "ExportTokenRejected",
    "InvalidRequest",
    "InvalidResponse",
    "NotFound",
    "Page",
    "PageIterator",
    "PagingOptionError",
    "PagingWarning",
    "PermissionDenied",
    "QueryInfo",
    "RateLimited",
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
    "check",
    "compare",
    "compare_all",
    "connect",
    "connect_async",
]

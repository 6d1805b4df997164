"""stnb: explore the ServiceTitan API from Jupyter.

import stnb
st = stnb.connect()                      # the sandbox when no credentials are configured
df = st.frame("crm/customers", active="any")

Every public name and submodule is imported on first attribute access, so `import stnb` costs a few
milliseconds: polars, httpx and the catalog load when something first needs them (`stnb --help` and
`stnb resources` never load polars). `stnb.tenant_time.preset(...)` works without importing it first.
"""

from __future__ import annotations

import importlib
import sys
from types import ModuleType
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
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

# Public name -> the module that defines it, imported when the name is first read.
_LAZY_NAMES: dict[str, str] = {
    "UnknownResourceError": "stnb.catalog",
    "CheckResult": "stnb.check",
    "check": "stnb.check",
    "Comparison": "stnb.compare",
    "compare": "stnb.compare",
    "compare_all": "stnb.compare",
    "connect": "stnb.connect",
    "connect_async": "stnb.connect",
    "AsyncConnection": "stnb.connection",
    "Connection": "stnb.connection",
    "QueryInfo": "stnb.connection",
    **dict.fromkeys(
        (
            "ApiError",
            "AuthError",
            "ConfigError",
            "Conflict",
            "InvalidRequest",
            "InvalidResponse",
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
    "SchemaDriftWarning": "stnb.frames",
    **dict.fromkeys(
        (
            "AsyncExportCursor",
            "AsyncPageIterator",
            "ExportCursor",
            "ExportTokenRejected",
            "Page",
            "PageIterator",
            "PagingOptionError",
            "PagingWarning",
            "TruncationWarning",
        ),
        "stnb.paging",
    ),
}

# Public submodules loaded on first use (`stnb.check`, `stnb.compare` and `stnb.connect` are the functions).
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
# Submodules whose name is also a function here: importing the submodule must not replace the function.
_SHADOWED = frozenset({"check", "compare", "connect"})


def __getattr__(name: str) -> Any:
    module = _LAZY_NAMES.get(name)
    if module is not None:
        value = getattr(importlib.import_module(module), name)
        globals()[name] = value  # later reads skip this hook
        return value
    if name in _LAZY_SUBMODULES:
        return importlib.import_module(f"stnb.{name}")  # also binds it here, so this runs once per name
    raise AttributeError(f"module 'stnb' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | _LAZY_SUBMODULES | set(_LAZY_NAMES))


class _Package(ModuleType):
    """`stnb`'s module type: the import system binding the `stnb.compare` / `stnb.connect` submodules
    as attributes leaves the functions of the same name in place."""

    def __setattr__(self, name: str, value: Any) -> None:
        if name in _SHADOWED and isinstance(value, ModuleType):
            if name in self.__dict__ and not isinstance(self.__dict__[name], ModuleType):
                return
            self.__dict__.pop(name, None)  # read through __getattr__: the function
            return
        super().__setattr__(name, value)


sys.modules[__name__].__class__ = _Package

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

"""stnb: explore the ServiceTitan API from Jupyter.

import stnb
st = stnb.connect()                      # the sandbox when no credentials are configured
df = st.frame("crm/customers", active="any")
"""

from stnb.catalog import UnknownResourceError
from stnb.compare import Comparison, compare, compare_all
from stnb.connect import connect, connect_async
from stnb.connection import AsyncConnection, Connection, QueryInfo
from stnb.errors import (
    ApiError,
    AuthError,
    ConfigError,
    Conflict,
    InvalidResponse,
    NotFound,
    PermissionDenied,
    RateLimited,
    ServerError,
    StnbError,
    TransportError,
    Unprocessable,
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
    PagingWarning,
    TruncationWarning,
)

__version__ = "0.1.0"

__all__ = [
    "ApiError",
    "AsyncConnection",
    "AsyncExportCursor",
    "AsyncPageIterator",
    "AuthError",
    "Comparison",
    "ConfigError",
    "Conflict",
    "Connection",
    "ExportCursor",
    "ExportTokenRejected",
    "InvalidResponse",
    "NotFound",
    "Page",
    "PageIterator",
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
    "ValidationError",
    "WriteForbidden",
    "__version__",
    "compare",
    "compare_all",
    "connect",
    "connect_async",
]

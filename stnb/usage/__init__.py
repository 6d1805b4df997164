"""Per-app API usage: the attempt ledger, the developer portal's usage reports, analytics and the report.

`stnb.usage.analytics` holds the aggregations; the HTML report (`write_html_report`, `build_report`)
is loaded on first use because it pulls in plotly.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from stnb.usage.demo import DemoUsage, build_demo_usage
from stnb.usage.ledger import (
    LedgerDisabled,
    LedgerError,
    UsageLedger,
    export_ledger,
    install_default_ledger,
    read_ledger,
)
from stnb.usage.portal import PortalOverlapWarning, PortalReportError, import_portal_reports

if TYPE_CHECKING:
    from stnb.usage.report import build_report, write_html_report

__all__ = [
    "DemoUsage",
    "LedgerDisabled",
    "LedgerError",
    "PortalOverlapWarning",
    "PortalReportError",
    "UsageLedger",
    "build_demo_usage",
    "build_report",
    "export_ledger",
    "import_portal_reports",
    "install_default_ledger",
    "read_ledger",
    "write_html_report",
]


def __getattr__(name: str) -> Any:
    if name in ("build_report", "write_html_report"):
        from stnb.usage import report

        return getattr(report, name)
    raise AttributeError(f"module 'stnb.usage' has no attribute {name!r}")

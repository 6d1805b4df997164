"""Per-app API usage: the attempt ledger, the developer portal's usage reports, and their analytics.

`stnb.usage.analytics` holds the aggregations, `stnb.usage.report` the numbers of the usage report. The
report's page (charts, tables) is `stnb.pages.usage_report`; demo usage for the sandbox's apps (portal
CSVs and a ledger) is `stnb.sandbox.demo_usage`.
"""

from stnb.usage.ledger import (
    LedgerDisabled,
    LedgerError,
    UsageLedger,
    export_ledger,
    install_default_ledger,
    read_ledger,
)
from stnb.usage.portal import PortalOverlapWarning, PortalReportError, import_portal_reports

__all__ = [
    "LedgerDisabled",
    "LedgerError",
    "PortalOverlapWarning",
    "PortalReportError",
    "UsageLedger",
    "export_ledger",
    "import_portal_reports",
    "install_default_ledger",
    "read_ledger",
]

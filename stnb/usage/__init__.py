"""Per-app API usage: the attempt ledger, the developer portal's usage reports, and analytics."""

from stnb.usage.ledger import (
    LedgerDisabled,
    LedgerError,
    UsageLedger,
    export_ledger,
    install_default_ledger,
    read_ledger,
)

__all__ = [
    "LedgerDisabled",
    "LedgerError",
    "UsageLedger",
    "export_ledger",
    "install_default_ledger",
    "read_ledger",
]

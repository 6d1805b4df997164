"""The usage ledger's storage, owned by the foundations: the SQLite file (`store`) and the writer thread
that records every attempt (`writer`).

`stnb.connect()` installs the process-wide ledger from here, so every connection is recorded whether or
not `stnb.usage` is ever imported, and the data layer never imports the usage layer. `stnb.usage` (the
analytics and the report) reads the same file through these functions; `stnb.usage.ledger` is the public
name of everything here.
"""

from stnb._ledger.store import (
    DEFAULT_RETENTION_DAYS,
    LEDGER_COLUMNS,
    LEDGER_ENV_VAR,
    LEDGER_SCHEMA,
    SCHEMA_VERSION,
    LedgerDisabled,
    LedgerError,
    LedgerRead,
    ledger_path,
    load_ledger,
    read_ledger,
)
from stnb._ledger.writer import (
    BATCH_ROWS,
    DEFAULT_MAX_QUEUE,
    UsageLedger,
    install_default_ledger,
    installed_ledger,
    uninstall_default_ledger,
)

__all__ = [
    "BATCH_ROWS",
    "DEFAULT_MAX_QUEUE",
    "DEFAULT_RETENTION_DAYS",
    "LEDGER_COLUMNS",
    "LEDGER_ENV_VAR",
    "LEDGER_SCHEMA",
    "SCHEMA_VERSION",
    "LedgerDisabled",
    "LedgerError",
    "LedgerRead",
    "UsageLedger",
    "install_default_ledger",
    "installed_ledger",
    "ledger_path",
    "load_ledger",
    "read_ledger",
    "uninstall_default_ledger",
]

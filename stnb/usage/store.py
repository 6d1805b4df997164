"""The ledger's SQLite file, as the usage layer sees it: the storage itself belongs to the foundations
(`stnb._ledger.store`, so that every connection records without importing this layer); these are its names."""

from stnb._ledger.store import (
    BUSY_TIMEOUT_MS,
    DEFAULT_RETENTION_DAYS,
    INSERT_SQL,
    LEDGER_ENV_VAR,
    SCHEMA_VERSION,
    LedgerDisabled,
    LedgerError,
    apply_retention,
    connect,
    count_rows,
    default_ledger_path,
    ensure_schema,
    ledger_path,
    open_existing,
    read_rows,
    to_us,
)

__all__ = [
    "BUSY_TIMEOUT_MS",
    "DEFAULT_RETENTION_DAYS",
    "INSERT_SQL",
    "LEDGER_ENV_VAR",
    "SCHEMA_VERSION",
    "LedgerDisabled",
    "LedgerError",
    "apply_retention",
    "connect",
    "count_rows",
    "default_ledger_path",
    "ensure_schema",
    "ledger_path",
    "open_existing",
    "read_rows",
    "to_us",
]

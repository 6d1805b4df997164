"""`stnb.usage.ledger`: the usage ledger, every attempt the client makes in a local SQLite file.

The file and its writer belong to the foundations (`stnb._ledger`): `stnb.connect()` records every
attempt there without importing this layer. This module is their public name, plus what only analysis
needs: dropped-attempt counts, Parquet export. Attempts the built-in sandbox answered are left out of every
read unless `include_sandbox=True`.
"""

from __future__ import annotations

import os
import sqlite3
from datetime import datetime
from pathlib import Path

import polars as pl

from stnb._ledger.store import (
    DEFAULT_RETENTION_DAYS,
    LedgerDisabled,
    LedgerError,
    LedgerRead,
    ledger_path,
    load_ledger,
    open_existing,
    read_ledger,
    where_clause,
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
    "LedgerDisabled",
    "LedgerError",
    "LedgerRead",
    "UsageLedger",
    "dropped_attempts",
    "export_ledger",
    "install_default_ledger",
    "installed_ledger",
    "load_ledger",
    "read_ledger",
    "uninstall_default_ledger",
    "write_parquet",
]


def dropped_attempts(
    path: str | os.PathLike[str] | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
) -> int:
    """How many attempts the recording processes dropped from a full queue (`since <= at < until`),
    as counted in the ledger file; 0 for a file written before drops were counted."""
    file = ledger_path(path)
    where, params = where_clause(since, until, None)
    sql = "SELECT coalesce(sum(count), 0) FROM ledger_drops" + where
    with open_existing(file) as conn:
        try:
            return int(conn.execute(sql, params).fetchone()[0])
        except sqlite3.OperationalError:  # no ledger_drops table: nothing was ever dropped there
            return 0


def export_ledger(
    out: str | os.PathLike[str],
    path: str | os.PathLike[str] | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    *,
    include_sandbox: bool = False,
) -> Path:
    """Write the ledger (or a time window of it) to a Parquet file, atomically; returns the file.

    Sandbox attempts are left out unless `include_sandbox=True` (as in `read_ledger`).
    """
    _require_parquet(Path(out))  # before reading: a wrong name fails fast
    return write_parquet(read_ledger(path, since, until, include_sandbox=include_sandbox), out)


def _require_parquet(target: Path) -> None:
    if target.suffix.lower() != ".parquet":
        raise ValueError(f"export to a .parquet file, got {target.name!r}")


def write_parquet(frame: pl.DataFrame, out: str | os.PathLike[str]) -> Path:
    """Write `frame` to the Parquet file `out` atomically (a reader never sees half a file)."""
    target = Path(out)
    _require_parquet(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    try:
        frame.write_parquet(tmp)
        os.replace(tmp, target)
    finally:
        tmp.unlink(missing_ok=True)
    return target

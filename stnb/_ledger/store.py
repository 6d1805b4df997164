"""The usage ledger's SQLite file: location, schema, connections, retention and reads.

The foundations own the file: every connection records its attempts here (`stnb._ledger.writer`)
whether or not the usage layer is ever imported; `stnb.usage` reads it back for analytics.

WAL mode with `synchronous=NORMAL`: a committed transaction survives the writing process being killed
(the WAL is already in the OS's hands); only an OS crash or power loss can drop the last transactions.
Schema versions: 1 = the attempt columns; 2 adds `sandbox` (0/1). Opening an older file migrates it in
place (existing rows get `sandbox = 0`: earlier stnb versions could not tell).
"""

from __future__ import annotations

import logging
import os
import sqlite3
from collections.abc import Iterator, Mapping
from contextlib import closing, contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import platformdirs
import polars as pl

__all__ = [
    "BUSY_TIMEOUT_MS",
    "DEFAULT_RETENTION_DAYS",
    "INSERT_SQL",
    "LEDGER_COLUMNS",
    "LEDGER_ENV_VAR",
    "LEDGER_SCHEMA",
    "SCHEMA_VERSION",
    "UTC_US",
    "LedgerDisabled",
    "LedgerError",
    "LedgerRead",
    "apply_retention",
    "connect",
    "count_rows",
    "default_ledger_path",
    "ensure_schema",
    "ledger_path",
    "load_ledger",
    "open_existing",
    "read_ledger",
    "read_rows",
    "to_us",
    "where_clause",
]

log = logging.getLogger("stnb.usage")

LEDGER_ENV_VAR = "STNB_LEDGER"
SCHEMA_VERSION = 2
DEFAULT_RETENTION_DAYS = 400
BUSY_TIMEOUT_MS = 10_000
_OFF = frozenset({"off", "0", "false", "no", "none", "disabled"})
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
UTC_US = pl.Datetime("us", "UTC")

# One row per HTTP attempt, as recorded by `UsageLedger` (order = SQLite column order).
LEDGER_SCHEMA: dict[str, pl.DataType] = {
    "id": pl.Int64(),  # unique attempt id; replays of a batch are ignored by it
    "at": UTC_US,  # when the attempt was sent
    "env": pl.String(),
    "app": pl.String(),  # app key fingerprint, never the key
    "app_name": pl.String(),
    "tenant": pl.String(),
    "method": pl.String(),
    "module": pl.String(),  # API family: jpm, crm, ...; "auth" for token requests
    "endpoint": pl.String(),  # URL template
    "status": pl.Int32(),  # null when no response arrived
    "latency_ms": pl.Float64(),
    "bytes": pl.Int64(),
    "attempt": pl.Int32(),
    "rate_wait_ms": pl.Float64(),
    "error_type": pl.String(),
    "sandbox": pl.Boolean(),  # the built-in sandbox answered: demo traffic, left out of analytics by default
}
LEDGER_COLUMNS = tuple(LEDGER_SCHEMA)

_CREATE = """
CREATE TABLE IF NOT EXISTS attempts (
    id INTEGER PRIMARY KEY,
    at_us INTEGER NOT NULL,
    env TEXT NOT NULL,
    app TEXT NOT NULL,
    app_name TEXT,
    tenant TEXT NOT NULL,
    method TEXT NOT NULL,
    module TEXT NOT NULL,
    endpoint TEXT NOT NULL,
    status INTEGER,
    latency_ms REAL NOT NULL,
    bytes INTEGER NOT NULL,
    attempt INTEGER NOT NULL,
    rate_wait_ms REAL NOT NULL,
    error_type TEXT,
    sandbox INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX IF NOT EXISTS attempts_at ON attempts (at_us);
"""
# Columns added after version 1, with their definitions (ALTER TABLE ADD COLUMN keeps existing rows).
_ADDED_COLUMNS = {"sandbox": "INTEGER NOT NULL DEFAULT 0"}
_SQL_COLUMNS = ("id", "at_us", *LEDGER_COLUMNS[2:])
_PLACEHOLDERS = ", ".join("?" * len(_SQL_COLUMNS))
INSERT_SQL = f"INSERT OR IGNORE INTO attempts ({', '.join(_SQL_COLUMNS)}) VALUES ({_PLACEHOLDERS})"


class LedgerError(RuntimeError):
    """The ledger file cannot be opened, created or read."""


class LedgerDisabled(LedgerError):
    """`STNB_LEDGER=off` disables the ledger and no explicit path was given."""


def default_ledger_path() -> Path:
    """`<platform user data dir>/stnb/usage.sqlite3` (e.g. ~/.local/share/stnb on Linux)."""
    return Path(platformdirs.user_data_dir("stnb")) / "usage.sqlite3"


def ledger_path(path: str | os.PathLike[str] | None = None, environ: Mapping[str, str] | None = None) -> Path:
    """The ledger file to use: `path`, else `$STNB_LEDGER`, else the platform default.

    Raises `LedgerDisabled` when no path is given and `STNB_LEDGER` is `off`.
    """
    if path is not None:
        return Path(path).expanduser()
    env = os.environ if environ is None else environ
    value = env.get(LEDGER_ENV_VAR, "").strip()
    if value.lower() in _OFF:
        raise LedgerDisabled(f"the usage ledger is disabled ({LEDGER_ENV_VAR}={value})")
    return Path(value).expanduser() if value else default_ledger_path()


def connect(path: Path) -> sqlite3.Connection:
    """A connection in WAL mode that waits (up to 10 s) instead of failing while another process writes."""
    try:
        conn = sqlite3.connect(path, timeout=BUSY_TIMEOUT_MS / 1000, isolation_level=None)
    except sqlite3.Error as exc:
        raise LedgerError(f"cannot open the usage ledger at {path}: {exc}") from exc
    try:
        conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        if conn.execute("PRAGMA journal_mode = WAL").fetchone()[0].lower() != "wal":
            raise LedgerError(f"the usage ledger at {path} cannot use WAL mode (is it on a network drive?)")
        conn.execute("PRAGMA synchronous = NORMAL")
    except sqlite3.Error as exc:
        conn.close()
        raise LedgerError(f"cannot open the usage ledger at {path}: {exc}") from exc
    return conn


def ensure_schema(conn: sqlite3.Connection, path: Path) -> None:
    """Create the table on first use, migrate a file from an older stnb, refuse one from a newer stnb."""
    try:
        version = conn.execute("PRAGMA user_version").fetchone()[0]
        _refuse_newer(version, path)
        if version == SCHEMA_VERSION:
            return
        conn.execute("BEGIN IMMEDIATE")
        try:
            version = conn.execute("PRAGMA user_version").fetchone()[0]  # another process may have migrated
            _refuse_newer(version, path)
            if version < SCHEMA_VERSION:
                _create_or_migrate(conn)
                conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise
    except sqlite3.Error as exc:
        raise LedgerError(f"cannot prepare the usage ledger at {path}: {exc}") from exc


def _refuse_newer(version: int, path: Path) -> None:
    if version > SCHEMA_VERSION:
        raise LedgerError(
            f"the usage ledger at {path} has schema version {version}; this stnb reads up to "
            f"{SCHEMA_VERSION}: upgrade stnb or point STNB_LEDGER at another file"
        )


def _create_or_migrate(conn: sqlite3.Connection) -> None:
    for statement in _CREATE.split(";"):
        if statement.strip():
            conn.execute(statement)
    present = {row[1] for row in conn.execute("PRAGMA table_info(attempts)")}
    for name, definition in _ADDED_COLUMNS.items():
        if name not in present:
            conn.execute(f"ALTER TABLE attempts ADD COLUMN {name} {definition}")


def to_us(moment: datetime) -> int:
    """Microseconds since the epoch; naive datetimes are taken as UTC."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return (moment - _EPOCH) // timedelta(microseconds=1)


def apply_retention(conn: sqlite3.Connection, days: int | None, now: datetime) -> int:
    """Delete attempts older than `days` days before `now`; returns how many were deleted."""
    if days is None:
        return 0
    if days < 0:
        raise ValueError(f"retention_days must be >= 0 or None, got {days}")
    cutoff = to_us(now - timedelta(days=days))
    cur = conn.execute("DELETE FROM attempts WHERE at_us < ?", (cutoff,))
    return cur.rowcount


@contextmanager
def open_existing(path: Path) -> Iterator[sqlite3.Connection]:
    """A connection to a ledger that must already exist (reads never create files)."""
    if not path.exists():
        raise LedgerError(f"no usage ledger at {path} (nothing has been recorded there yet)")
    with closing(connect(path)) as conn:
        ensure_schema(conn, path)
        yield conn


def where_clause(
    since: datetime | None, until: datetime | None, sandbox: bool | None
) -> tuple[str, list[int]]:
    """A WHERE clause for `since <= at < until` and, unless `sandbox` is None, that sandbox flag."""
    where, params = [], []
    if since is not None:
        where.append("at_us >= ?")
        params.append(to_us(since))
    if until is not None:
        where.append("at_us < ?")
        params.append(to_us(until))
    if sandbox is not None:
        where.append("sandbox = ?")
        params.append(int(sandbox))
    return (" WHERE " + " AND ".join(where) if where else ""), params


def read_rows(
    conn: sqlite3.Connection,
    since: datetime | None = None,
    until: datetime | None = None,
    batch_size: int = 200_000,
    *,
    sandbox: bool | None = None,
) -> Iterator[pl.DataFrame]:
    """Attempts with `since <= at < until`, oldest first, as frames of at most `batch_size` rows.

    `sandbox`: None reads every attempt, False only real ones, True only the sandbox's.
    """
    where, params = where_clause(since, until, sandbox)
    sql = f"SELECT {', '.join(_SQL_COLUMNS)} FROM attempts{where} ORDER BY at_us, id"
    raw_schema = {**LEDGER_SCHEMA, "at": pl.Int64(), "sandbox": pl.Int64()}
    cur = conn.execute(sql, params)
    while rows := cur.fetchmany(batch_size):
        frame = pl.DataFrame(rows, schema=raw_schema, orient="row")
        yield frame.with_columns(
            pl.from_epoch(pl.col("at"), time_unit="us").dt.replace_time_zone("UTC"),
            pl.col("sandbox").cast(pl.Boolean()),
        )


def count_rows(
    conn: sqlite3.Connection,
    since: datetime | None = None,
    until: datetime | None = None,
    *,
    sandbox: bool | None = None,
) -> int:
    """How many attempts `read_rows` with the same arguments would return."""
    where, params = where_clause(since, until, sandbox)
    return int(conn.execute(f"SELECT count(*) FROM attempts{where}", params).fetchone()[0])


@dataclass(frozen=True, slots=True)
class LedgerRead:
    """Attempts read from a ledger, and how many sandbox attempts in the same range were left out."""

    frame: pl.DataFrame  # columns: LEDGER_SCHEMA
    sandbox_left_out: int


def load_ledger(
    path: str | os.PathLike[str] | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    *,
    include_sandbox: bool = False,
) -> LedgerRead:
    """Attempts with `since <= at < until`; sandbox attempts are counted and left out unless included."""
    file = ledger_path(path)
    with open_existing(file) as conn:
        frames = list(read_rows(conn, since, until, sandbox=None if include_sandbox else False))
        left_out = 0 if include_sandbox else count_rows(conn, since, until, sandbox=True)
    frame = pl.concat(frames, rechunk=True) if frames else pl.DataFrame(schema=LEDGER_SCHEMA)
    return LedgerRead(frame, left_out)


def read_ledger(
    path: str | os.PathLike[str] | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    *,
    include_sandbox: bool = False,
) -> pl.DataFrame:
    """Recorded attempts with `since <= at < until` as a frame (columns: `LEDGER_SCHEMA`).

    Attempts the built-in sandbox answered are left out (a warning on the `stnb.usage` logger says how
    many) unless `include_sandbox=True`; the `sandbox` column tells them apart.
    """
    read = load_ledger(path, since, until, include_sandbox=include_sandbox)
    if read.sandbox_left_out:
        log.warning(
            "stnb: left out %s sandbox attempts (demo traffic) of the usage ledger %s; "
            "include_sandbox=True keeps them",
            f"{read.sandbox_left_out:,}",
            ledger_path(path),
        )
    return read.frame

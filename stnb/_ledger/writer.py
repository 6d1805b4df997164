"""`UsageLedger`: every attempt the client makes, recorded durably in a local SQLite file.

The foundations own the writer: `stnb.connect()` installs the process-wide ledger (`install_default_ledger`)
without importing the usage layer, which reads the file back (`stnb.usage`).

The ledger is an attempt observer (`stnb._attempts.add_observer`). Recording only puts the attempt on an
in-memory queue; a daemon writer thread commits queued attempts in transactions of at most
`BATCH_ROWS` rows, the first at most `flush_interval` seconds after they arrive, so the request path
never touches the disk and a row reaches the file well within a second, under any load. Several kernels
and processes can share one file (SQLite WAL with a busy timeout). What has been committed survives the
process being killed (WAL + `synchronous=NORMAL`); an OS crash or power loss may drop the last
transactions. Attempts still queued when a process is killed are lost; `flush()` forces a commit, and
`close()` and interpreter exit flush (a forked worker process exits without running exit handlers: close
its ledger explicitly).

The queue is bounded (`max_queue`, default 100,000 attempts). When attempts arrive faster than the file
takes them and the queue is full, the oldest queued attempt is dropped and counted: recording never
blocks or slows an API call, and memory stays bounded. Dropped attempts are counted on the object
(`overflowed`, `dropped`) and in the file (table `ledger_drops`, one row per commit that followed
drops), so `stnb usage ledger` and `dropped_attempts()` report them.

Attempts answered by the built-in sandbox are recorded with `sandbox = true`; every read leaves them out
unless asked for with `include_sandbox=True`, so demo traffic never shows up as real usage.
"""

from __future__ import annotations

import atexit
import logging
import os
import secrets
import sqlite3
import threading
import time
import weakref
from collections import deque
from collections.abc import Sequence
from datetime import datetime

import polars as pl

from stnb._attempts import Attempt, add_observer, remove_observer
from stnb._clock import SYSTEM_CLOCK, Clock
from stnb._ledger.store import (
    DEFAULT_RETENTION_DAYS,
    INSERT_SQL,
    LedgerDisabled,
    LedgerError,
    apply_retention,
    connect,
    ensure_schema,
    ledger_path,
    read_ledger,
    to_us,
)

__all__ = [
    "BATCH_ROWS",
    "DEFAULT_MAX_QUEUE",
    "UsageLedger",
    "install_default_ledger",
    "installed_ledger",
    "uninstall_default_ledger",
]

log = logging.getLogger("stnb.usage")

_WRITE_RETRIES = 6  # a busy file is retried with backoff before a batch is given up
DEFAULT_MAX_QUEUE = 100_000  # attempts waiting for the writer; beyond it the oldest are dropped
BATCH_ROWS = 5_000  # rows per transaction: each commit stays short whatever the backlog

_CREATE_DROPS = (
    "CREATE TABLE IF NOT EXISTS ledger_drops "
    "(at_us INTEGER NOT NULL, pid INTEGER NOT NULL, count INTEGER NOT NULL, reason TEXT NOT NULL)"
)
_INSERT_DROPS = "INSERT INTO ledger_drops (at_us, pid, count, reason) VALUES (?, ?, ?, ?)"


class _IdSource:
    """Attempt ids: a random 40-bit prefix per process (re-drawn after fork) and a 23-bit counter.

    Unique across processes without coordination, and fits SQLite's INTEGER PRIMARY KEY.
    """

    _COUNTER_BITS = 23

    def __init__(self) -> None:
        self._reset()

    def _reset(self) -> None:
        self._prefix = secrets.randbits(40)
        self._counter = 0

    def next(self) -> int:
        if self._counter >= 1 << self._COUNTER_BITS:
            self._reset()
        self._counter += 1
        return (self._prefix << self._COUNTER_BITS) | self._counter


def _row(attempt_id: int, a: Attempt) -> tuple[object, ...]:
    return (
        attempt_id,
        to_us(a.at),
        a.env,
        a.app,
        a.app_name,
        a.tenant,
        a.method,
        a.module,
        a.endpoint,
        a.status,
        float(a.latency_ms),
        int(a.bytes),
        int(a.attempt),
        float(a.rate_wait_ms),
        a.error_type,
        bool(a.sandbox),
    )


class UsageLedger:
    """A durable, multi-process-safe record of API attempts; call it with an `Attempt` to record one.

    `path` defaults to `$STNB_LEDGER` or the platform data dir. `retention_days` (default 400; None keeps
    everything) deletes older rows when the writer starts.
    """

    def __init__(
        self,
        path: str | os.PathLike[str] | None = None,
        *,
        flush_interval: float = 0.25,
        retention_days: int | None = DEFAULT_RETENTION_DAYS,
        clock: Clock | None = None,
        max_queue: int = DEFAULT_MAX_QUEUE,
    ) -> None:
        if flush_interval <= 0:
            raise ValueError(f"flush_interval must be > 0 seconds, got {flush_interval}")
        if isinstance(max_queue, bool) or not isinstance(max_queue, int) or max_queue < 1:
            raise ValueError(f"max_queue must be a whole number of attempts >= 1, got {max_queue!r}")
        self.max_queue = max_queue
        if retention_days is not None and retention_days < 0:
            raise ValueError(f"retention_days must be >= 0 or None, got {retention_days}")
        self.path = ledger_path(path)
        self.flush_interval = flush_interval
        self.retention_days = retention_days
        self._clock = clock or SYSTEM_CLOCK
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise LedgerError(f"cannot create the folder for the usage ledger {self.path}: {exc}") from exc
        conn = connect(self.path)  # fail here, in the caller, when the file is unusable
        try:
            ensure_schema(conn, self.path)
        finally:
            conn.close()
        self._closed = False
        self._failed = False
        self._start()
        atexit.register(self._at_exit)
        self_ref = weakref.ref(self)
        os.register_at_fork(after_in_child=lambda: _restart_in_child(self_ref))

    def _start(self) -> None:
        self._lock = threading.Lock()  # guards everything below (a plain lock: recording stays cheap)
        self._cond = threading.Condition(self._lock)  # the writer, flushes and wait_written wait on it
        self._idle = False  # the writer waits for attempts: the next one must wake it
        self._pending: deque[Attempt] = deque()
        self._oldest_at = 0.0  # time.monotonic() when the oldest pending attempt arrived
        self._accepted = 0  # attempts queued so far
        self._handled = 0  # of those: committed, given up, or pushed out of a full queue
        self._flush_to = 0  # a flush waits for `_handled` to reach this: no batching delay until then
        self._stopping = False
        self._written = 0
        self._write_failed = 0
        self._overflowed = 0
        self._unreported = 0  # overflowed attempts not yet counted in the file's ledger_drops
        self._ids = _IdSource()
        self._thread = threading.Thread(target=self._run, name="stnb-usage-ledger", daemon=True)
        self._thread.start()

    def __repr__(self) -> str:
        state = "closed" if self._closed else "open"
        return f"UsageLedger({str(self.path)!r}, {state}, written={self._written})"

    def __call__(self, attempt: Attempt) -> None:
        """Record one attempt (never blocks; a full queue drops its oldest attempt and counts it)."""
        if self._closed:
            return
        pending = self._pending
        with self._lock:
            size = len(pending)
            if size >= self.max_queue:
                pending.popleft()
                self._overflowed += 1
                self._unreported += 1
                self._handled += 1
            elif size == 0:
                self._oldest_at = time.monotonic()
            pending.append(attempt)
            self._accepted += 1
            if self._idle and (size == 0 or size + 1 >= BATCH_ROWS):
                self._idle = False
                self._cond.notify_all()

    record = __call__

    @property
    def written(self) -> int:
        """Rows this ledger object has committed."""
        return self._written

    @property
    def dropped(self) -> int:
        """Attempts lost: pushed out of the full queue (`overflowed`) or given up after the file stayed
        unwritable (logged as warnings)."""
        return self._overflowed + self._write_failed

    @property
    def overflowed(self) -> int:
        """Attempts dropped because the queue was full (the oldest queued ones)."""
        return self._overflowed

    @property
    def queued(self) -> int:
        """Attempts waiting for the writer now (at most `max_queue`)."""
        return len(self._pending)

    def wait_written(self, count: int, timeout: float) -> bool:
        """Block until this ledger has committed at least `count` rows; False on timeout."""
        with self._cond:
            return self._cond.wait_for(lambda: self._written >= count, timeout)

    def flush(self, timeout: float = 10.0) -> bool:
        """Commit everything recorded so far; False if that did not finish within `timeout` seconds."""
        if self._failed:
            return False  # the writer could not open the file (logged)
        if self._closed:
            return not self._thread.is_alive()  # close() already flushed
        with self._cond:
            target = self._accepted
            self._flush_to = max(self._flush_to, target)
            self._idle = False
            self._cond.notify_all()
            return self._cond.wait_for(lambda: self._handled >= target or self._failed, timeout) and not (
                self._failed
            )

    def close(self, timeout: float = 10.0) -> None:
        """Flush, stop the writer thread and stop accepting attempts (idempotent)."""
        if self._closed:
            return
        self._closed = True
        with self._cond:
            self._stopping = True
            self._idle = False
            self._cond.notify_all()
        self._thread.join(timeout)
        atexit.unregister(self._at_exit)

    def __enter__(self) -> UsageLedger:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def read(
        self, since: datetime | None = None, until: datetime | None = None, *, include_sandbox: bool = False
    ) -> pl.DataFrame:
        """Flush, then read this ledger's file (see `read_ledger`; sandbox attempts only if asked for)."""
        self.flush()
        return read_ledger(self.path, since=since, until=until, include_sandbox=include_sandbox)

    def _at_exit(self) -> None:
        self.close(timeout=5.0)

    def _restart_in_child(self) -> None:
        # The parent's queue and thread do not exist in a forked child: start afresh, drop inherited items.
        if not self._closed:
            self._start()
        else:
            self._lock = threading.Lock()
            self._cond = threading.Condition(self._lock)
            self._written = 0

    def _run(self) -> None:
        try:
            conn = connect(self.path)
        except LedgerError as exc:
            self._failed = True
            self._closed = True  # stop queueing attempts nobody will write
            with self._cond:
                self._pending.clear()
                self._cond.notify_all()
            log.warning("usage ledger writer could not start, recording stopped: %s", exc)
            return
        try:
            self._retain(conn)
            try:
                conn.execute(_CREATE_DROPS)
            except sqlite3.Error as exc:
                log.warning("usage ledger %s cannot count dropped attempts: %s", self.path, exc)
            self._loop(conn)
        finally:
            conn.close()

    def _retain(self, conn: sqlite3.Connection) -> None:
        try:
            deleted = apply_retention(conn, self.retention_days, self._clock.utcnow())
        except sqlite3.Error as exc:
            log.warning("usage ledger retention skipped (%s): %s", self.path, exc)
            return
        if deleted:
            log.info("usage ledger: deleted %d attempts older than %s days", deleted, self.retention_days)

    def _loop(self, conn: sqlite3.Connection) -> None:
        while True:
            with self._cond:
                while not (self._pending or self._unreported or self._stopping):
                    self._idle = True
                    self._cond.wait()
                # Gather a batch: until it is full, a flush or close asks, or the oldest waited long enough.
                while (
                    len(self._pending) < BATCH_ROWS and not self._stopping and self._flush_to <= self._handled
                ):
                    remaining = self._oldest_at + self.flush_interval - time.monotonic()
                    if remaining <= 0:
                        break
                    self._idle = True
                    self._cond.wait(remaining)
                self._idle = False
                count = min(BATCH_ROWS, len(self._pending))
                batch = [self._pending.popleft() for _ in range(count)]
                drops, self._unreported = self._unreported, 0
                if self._pending:
                    self._oldest_at = 0.0  # the rest has waited already: the next batch goes at once
                done = self._stopping and not self._pending
            if batch or drops:
                self._write(conn, batch, drops)
            with self._cond:
                self._handled += len(batch)
                self._cond.notify_all()
            if done:
                return

    def _write(self, conn: sqlite3.Connection, batch: Sequence[Attempt], drops: int = 0) -> None:
        rows = [_row(self._ids.next(), a) for a in batch]
        delay = 0.05
        for attempt in range(_WRITE_RETRIES):
            try:
                conn.execute("BEGIN IMMEDIATE")
                try:
                    conn.executemany(INSERT_SQL, rows)
                    if drops:
                        conn.execute(
                            _INSERT_DROPS, (to_us(self._clock.utcnow()), os.getpid(), drops, "queue full")
                        )
                    conn.execute("COMMIT")
                except BaseException:
                    conn.execute("ROLLBACK")
                    raise
            except sqlite3.OperationalError as exc:
                if attempt + 1 < _WRITE_RETRIES:
                    time.sleep(delay)  # a busy file: rows have ids, so a retried batch never duplicates
                    delay *= 2
                    continue
                self._give_up(rows, exc)
                return
            except sqlite3.Error as exc:
                self._give_up(rows, exc)
                return
            with self._cond:
                self._written += len(rows)
                self._cond.notify_all()
            return

    def _give_up(self, rows: Sequence[tuple[object, ...]], exc: Exception) -> None:
        self._write_failed += len(rows)
        log.warning("usage ledger could not write %d attempts to %s: %s", len(rows), self.path, exc)


def _restart_in_child(ref: weakref.ref[UsageLedger]) -> None:
    ledger = ref()
    if ledger is not None:
        ledger._restart_in_child()


_default: UsageLedger | None = None
_default_lock = threading.Lock()


def install_default_ledger() -> UsageLedger | None:
    """Create the process-wide ledger once and register it as an attempt observer.

    Returns None when `STNB_LEDGER=off` or the file cannot be used (a warning is logged then): usage
    recording must never stop API calls. Idempotent.
    """
    global _default
    with _default_lock:
        if _default is not None:
            return _default
        try:
            ledger = UsageLedger()
        except LedgerDisabled:
            return None
        except LedgerError as exc:
            log.warning("usage ledger disabled: %s", exc)
            return None
        add_observer(ledger)
        _default = ledger
        return ledger


def installed_ledger() -> UsageLedger | None:
    """The ledger installed by `install_default_ledger`, if any."""
    return _default


def uninstall_default_ledger() -> None:
    """Unregister and close the process-wide ledger (mainly for tests and notebooks switching files)."""
    global _default
    with _default_lock:
        if _default is None:
            return
        remove_observer(_default)
        _default.close()
        _default = None

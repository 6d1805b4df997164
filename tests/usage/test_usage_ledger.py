"""UsageLedger: recording, durability, retention, configuration, secrets."""

from __future__ import annotations

import sqlite3
import threading
from datetime import timedelta
from pathlib import Path

import polars as pl
import pytest
from usage_helpers import T0, attempt

from stnb import _attempts as attempts_mod
from stnb._clock import FakeClock
from stnb._ledger import writer as writer_mod
from stnb.usage import ledger as ledger_mod
from stnb.usage.columns import LEDGER_SCHEMA
from stnb.usage.ledger import (
    LedgerDisabled,
    LedgerError,
    UsageLedger,
    export_ledger,
    install_default_ledger,
    read_ledger,
    uninstall_default_ledger,
)
from stnb.usage.store import SCHEMA_VERSION, ledger_path


@pytest.fixture
def db(tmp_path: Path) -> Path:
    return tmp_path / "ledger" / "usage.sqlite3"


def test_records_every_field_and_reads_back_typed(db: Path) -> None:
    with UsageLedger(db) as led:
        led(
            attempt(
                1,
                status=429,
                latency_ms=12.5,
                nbytes=321,
                attempt_no=2,
                rate_wait_ms=1500.0,
                error_type="RateLimited",
            )
        )
        led(
            attempt(
                2,
                status=None,
                error_type="ConnectTimeout",
                app_name=None,
                module="auth",
                endpoint="/connect/token",
                tenant="",
                method="POST",
            )
        )
    df = read_ledger(db)
    assert df.schema == pl.Schema(LEDGER_SCHEMA)
    assert df.height == 2
    first, second = df.to_dicts()
    assert first["at"] == T0 + timedelta(milliseconds=1)
    assert (first["status"], first["latency_ms"], first["bytes"], first["attempt"]) == (429, 12.5, 321, 2)
    assert (first["rate_wait_ms"], first["error_type"], first["app_name"]) == (
        1500.0,
        "RateLimited",
        "Acme Dispatch Board",
    )
    assert second["status"] is None and second["app_name"] is None and second["tenant"] == ""
    assert second["module"] == "auth" and second["endpoint"] == "/connect/token"
    assert df["id"].n_unique() == 2


def test_file_is_wal_with_schema_version(db: Path) -> None:
    UsageLedger(db).close()
    conn = sqlite3.connect(db)
    try:
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
    finally:
        conn.close()


def test_rows_reach_disk_without_flush_within_a_second(db: Path) -> None:
    led = UsageLedger(db, flush_interval=0.05)
    try:
        led(attempt(1))
        assert led.wait_written(1, timeout=1.0)
        # A separate connection (another process would see the same) finds the committed row.
        conn = sqlite3.connect(db)
        try:
            assert conn.execute("SELECT count(*) FROM attempts").fetchone()[0] == 1
        finally:
            conn.close()
    finally:
        led.close()


def test_flush_commits_everything_recorded_before_it(db: Path) -> None:
    led = UsageLedger(db, flush_interval=30.0)  # only flush() can commit within the test
    try:
        for i in range(500):
            led(attempt(i))
        assert led.flush(timeout=5.0)
        assert read_ledger(db).height == 500
    finally:
        led.close()


def test_recording_from_many_threads_loses_nothing(db: Path) -> None:
    led = UsageLedger(db)

    def work(t: int) -> None:
        for i in range(1000):
            led(attempt(i, tenant=str(t)))

    threads = [threading.Thread(target=work, args=(t,)) for t in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    led.close()
    df = read_ledger(db)
    assert df.height == 8000
    assert df.group_by("tenant").len()["len"].to_list() == [1000] * 8


def test_replayed_rows_are_ignored(db: Path) -> None:
    with UsageLedger(db) as led:
        led(attempt(1))
    df = read_ledger(db)
    row = df.row(0)
    conn = sqlite3.connect(db)
    try:
        from stnb.usage.store import INSERT_SQL

        raw = (row[0], int(row[1].timestamp() * 1_000_000), *row[2:])
        conn.execute(INSERT_SQL, raw)
        conn.commit()
    finally:
        conn.close()
    assert read_ledger(db).height == 1


def test_closed_ledger_ignores_new_attempts(db: Path) -> None:
    led = UsageLedger(db)
    led(attempt(1))
    led.close()
    led(attempt(2))
    led.close()  # idempotent
    assert read_ledger(db).height == 1
    assert "closed" in repr(led)


def test_retention_deletes_old_rows_at_open(db: Path) -> None:
    with UsageLedger(db, retention_days=None) as led:
        led(attempt(at=T0 - timedelta(days=30)))
        led(attempt(at=T0 - timedelta(days=5)))
        led(attempt(at=T0))
    clock = FakeClock(start=T0)
    with UsageLedger(db, retention_days=10, clock=clock) as led:
        assert led.flush()
    assert read_ledger(db)["at"].to_list() == [T0 - timedelta(days=5), T0]


def test_read_window_is_half_open(db: Path) -> None:
    with UsageLedger(db) as led:
        for h in range(5):
            led(attempt(at=T0 + timedelta(hours=h)))
    df = read_ledger(db, since=T0 + timedelta(hours=1), until=T0 + timedelta(hours=3))
    assert df["at"].to_list() == [T0 + timedelta(hours=1), T0 + timedelta(hours=2)]


def test_export_to_parquet_round_trips(db: Path, tmp_path: Path) -> None:
    with UsageLedger(db) as led:
        for i in range(10):
            led(attempt(i, status=200 if i % 3 else 500))
    out = export_ledger(tmp_path / "out" / "usage.parquet", db)
    back = pl.read_parquet(out)
    assert back.equals(read_ledger(db))
    assert not list(out.parent.glob(".*tmp"))
    with pytest.raises(ValueError, match=r"\.parquet"):
        export_ledger(tmp_path / "usage.csv", db)


def test_reading_a_missing_ledger_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(LedgerError, match="no usage ledger at"):
        read_ledger(tmp_path / "nothing.sqlite3")
    assert not (tmp_path / "nothing.sqlite3").exists()


def test_newer_schema_is_refused(db: Path) -> None:
    UsageLedger(db).close()
    conn = sqlite3.connect(db)
    conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    conn.commit()
    conn.close()
    with pytest.raises(LedgerError, match="upgrade stnb"):
        UsageLedger(db)


def test_unusable_path_fails_in_the_constructor(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    with pytest.raises(LedgerError, match="cannot create the folder"):
        UsageLedger(blocker / "usage.sqlite3")
    not_sqlite = tmp_path / "garbage.sqlite3"
    not_sqlite.write_bytes(b"this is not a database" * 100)
    with pytest.raises(LedgerError, match="cannot open the usage ledger"):
        UsageLedger(not_sqlite)


def test_writer_that_cannot_open_stops_recording(
    db: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    real_connect = writer_mod.connect
    calls = []

    def connect_once(path: Path) -> object:
        calls.append(path)
        if len(calls) > 1:  # the constructor's check passes, the writer thread's open fails
            raise LedgerError(f"cannot open the usage ledger at {path}: disk I/O error")
        return real_connect(path)

    monkeypatch.setattr(writer_mod, "connect", connect_once)  # the writer lives in the foundations
    led = UsageLedger(db)
    led._thread.join(5)
    led(attempt(1))  # ignored, not queued forever
    assert led.flush() is False
    assert "recording stopped" in caplog.text
    led.close()


def test_invalid_arguments(db: Path) -> None:
    with pytest.raises(ValueError, match="flush_interval"):
        UsageLedger(db, flush_interval=0)
    with pytest.raises(ValueError, match="retention_days"):
        UsageLedger(db, retention_days=-1)


def test_path_resolution(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert ledger_path(tmp_path / "x.sqlite3", environ={}) == tmp_path / "x.sqlite3"
    assert ledger_path(None, environ={"STNB_LEDGER": str(tmp_path / "y.sqlite3")}) == tmp_path / "y.sqlite3"
    assert ledger_path(None, environ={}).name == "usage.sqlite3"
    with pytest.raises(LedgerDisabled):
        ledger_path(None, environ={"STNB_LEDGER": "off"})
    # An explicit path wins even when the variable disables the default ledger.
    assert ledger_path(tmp_path / "z.sqlite3", environ={"STNB_LEDGER": "off"}) == tmp_path / "z.sqlite3"


def test_install_default_ledger_is_idempotent_and_observes(db: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("STNB_LEDGER", str(db))
    uninstall_default_ledger()
    try:
        first = install_default_ledger()
        assert first is not None and install_default_ledger() is first
        attempts_mod.notify(attempt(1))
        assert first.flush()
        assert read_ledger(db).height == 1
    finally:
        uninstall_default_ledger()
    assert ledger_mod.installed_ledger() is None
    attempts_mod.notify(attempt(2))  # no longer observed
    assert read_ledger(db).height == 1


def test_install_default_ledger_off_or_broken_returns_none(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    uninstall_default_ledger()
    monkeypatch.setenv("STNB_LEDGER", "off")
    assert install_default_ledger() is None
    blocker = tmp_path / "file"
    blocker.write_text("x")
    monkeypatch.setenv("STNB_LEDGER", str(blocker / "usage.sqlite3"))
    assert install_default_ledger() is None
    assert "usage ledger disabled" in caplog.text

"""Sandbox attempts: flagged when recorded, kept in the ledger, left out of usage analytics by default."""

from __future__ import annotations

import logging
import sqlite3
from datetime import timedelta
from pathlib import Path

import polars as pl
import pytest
from usage_helpers import T0, attempt

import stnb
from stnb._attempts import Attempt, add_observer, mark_sandbox_app, notify, remove_observer
from stnb.cli.main import main
from stnb.pages.usage_report import build_report
from stnb.sandbox import Sandbox
from stnb.usage.columns import LEDGER_SCHEMA
from stnb.usage.ledger import (
    UsageLedger,
    export_ledger,
    installed_ledger,
    load_ledger,
    read_ledger,
    uninstall_default_ledger,
)
from stnb.usage.store import SCHEMA_VERSION

# The ledger table exactly as stnb wrote it before the sandbox flag (schema version 1).
_V1_TABLE = """
CREATE TABLE attempts (
    id INTEGER PRIMARY KEY, at_us INTEGER NOT NULL, env TEXT NOT NULL, app TEXT NOT NULL, app_name TEXT,
    tenant TEXT NOT NULL, method TEXT NOT NULL, module TEXT NOT NULL, endpoint TEXT NOT NULL,
    status INTEGER, latency_ms REAL NOT NULL, bytes INTEGER NOT NULL, attempt INTEGER NOT NULL,
    rate_wait_ms REAL NOT NULL, error_type TEXT
)
"""


def _v1_ledger(path: Path, rows: int) -> None:
    conn = sqlite3.connect(path)
    try:
        conn.execute(_V1_TABLE)
        conn.execute("CREATE INDEX attempts_at ON attempts (at_us)")
        at_us = int(T0.timestamp() * 1_000_000)
        conn.executemany(
            "INSERT INTO attempts VALUES (?, ?, 'production', 'a1b2c3d4', 'Acme Dispatch Board', '1', 'GET', "
            "'jpm', '/jpm/v2/tenant/{tenant}/jobs', 200, 20.0, 100, 1, 0.0, NULL)",
            [(i + 1, at_us + i) for i in range(rows)],
        )
        conn.execute("PRAGMA user_version = 1")
        conn.commit()
    finally:
        conn.close()


@pytest.fixture
def mixed(tmp_path: Path) -> Path:
    """A ledger with 3 real attempts of 'Real App' and 5 sandbox attempts of 'Acme Dispatch Board'."""
    db = tmp_path / "mixed.sqlite3"
    with UsageLedger(db) as led:
        for i in range(3):
            led(attempt(i, app="feed0001", app_name="Real App"))
        for i in range(5):
            led(attempt(10 + i, sandbox=True))
    return db


def test_attempts_of_a_marked_sandbox_app_reach_observers_flagged() -> None:
    seen: list[Attempt] = []
    add_observer(seen.append)
    try:
        mark_sandbox_app("5a5a5a5a")
        notify(attempt(1, app="5a5a5a5a"))
        notify(attempt(2, app="0b0b0b0b"))
    finally:
        remove_observer(seen.append)
    assert [(a.app, a.sandbox) for a in seen] == [("5a5a5a5a", True), ("0b0b0b0b", False)]


def test_sandbox_calls_are_recorded_flagged_and_left_out_of_reads(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    db = tmp_path / "usage.sqlite3"
    monkeypatch.setenv("STNB_LEDGER", str(db))
    uninstall_default_ledger()
    try:
        with stnb.connect("integration", sandbox=Sandbox(), progress=False) as st:
            st.request_json("GET", "/jpm/v2/tenant/{tenant}/jobs", params={"pageSize": 5})
        ledger = installed_ledger()
        assert ledger is not None and ledger.flush()
        with caplog.at_level(logging.WARNING, logger="stnb.usage"):
            assert ledger.read().height == 0
        everything = ledger.read(include_sandbox=True)
    finally:
        uninstall_default_ledger()
    assert everything.height >= 2 and everything["sandbox"].all()  # the token request and the page
    assert f"left out {everything.height:,} sandbox attempts" in caplog.text
    assert "include_sandbox=True" in caplog.text


def test_reads_and_exports_leave_sandbox_rows_out_unless_asked(mixed: Path, tmp_path: Path) -> None:
    real = read_ledger(mixed)
    assert real.schema == pl.Schema(LEDGER_SCHEMA)
    assert set(real["app_name"]) == {"Real App"} and not real["sandbox"].any()
    both = read_ledger(mixed, include_sandbox=True)
    assert both.height == 8 and both["sandbox"].sum() == 5
    assert load_ledger(mixed).sandbox_left_out == 5
    assert load_ledger(mixed, until=T0 + timedelta(milliseconds=12)).sandbox_left_out == 2
    assert load_ledger(mixed, include_sandbox=True).sandbox_left_out == 0
    assert pl.read_parquet(export_ledger(tmp_path / "real.parquet", mixed)).height == 3
    out = export_ledger(tmp_path / "all.parquet", mixed, include_sandbox=True)
    assert pl.read_parquet(out)["sandbox"].sum() == 5


def test_a_ledger_from_the_previous_schema_is_migrated_in_place(tmp_path: Path) -> None:
    db = tmp_path / "old.sqlite3"
    _v1_ledger(db, rows=4)
    old = read_ledger(db)  # reading migrates; earlier rows could not be told apart, so they count as real
    assert old.height == 4 and not old["sandbox"].any()
    with UsageLedger(db) as led:
        led(attempt(100, sandbox=True))
        led(attempt(101))
    assert read_ledger(db).height == 5
    assert read_ledger(db, include_sandbox=True)["sandbox"].to_list() == [False] * 4 + [True, False]
    conn = sqlite3.connect(db)
    try:
        assert conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION == 2
        columns = [row[1] for row in conn.execute("PRAGMA table_info(attempts)")]
        assert columns[-1] == "sandbox" and len(columns) == 16
    finally:
        conn.close()


def test_migration_is_idempotent_when_another_process_already_added_the_column(tmp_path: Path) -> None:
    db = tmp_path / "half.sqlite3"
    _v1_ledger(db, rows=1)
    conn = sqlite3.connect(db)
    conn.execute("ALTER TABLE attempts ADD COLUMN sandbox INTEGER NOT NULL DEFAULT 0")
    conn.commit()
    conn.close()
    assert read_ledger(db).height == 1


def test_the_report_leaves_sandbox_attempts_out_and_says_how_many(mixed: Path) -> None:
    report = build_report(ledger=mixed)
    assert report.summary["app"].to_list() == ["Real App"]
    assert report.summary["attempts"].sum() == 3
    assert report.sandbox_left_out == 5
    assert "(5 sandbox attempts left out)" in report.to_html()
    everything = build_report(ledger=mixed, include_sandbox=True)
    assert sorted(everything.summary["app"].to_list()) == ["Acme Dispatch Board", "Real App"]
    assert everything.sandbox_left_out == 0 and "left out" not in everything.sources[0]
    as_frame = build_report(ledger=read_ledger(mixed, include_sandbox=True))  # frames follow the same rule
    assert as_frame.sandbox_left_out == 5 and as_frame.summary["app"].to_list() == ["Real App"]


def test_only_sandbox_usage_explains_the_empty_report(tmp_path: Path) -> None:
    only_sandbox = tmp_path / "sandbox.sqlite3"
    with UsageLedger(only_sandbox) as led:
        led(attempt(1, sandbox=True))
    with pytest.raises(ValueError) as info:
        build_report(ledger=only_sandbox)
    assert str(info.value) == (
        "no usage to report; the sources hold no usage besides sandbox attempts; 1 sandbox attempts were "
        "left out (include_sandbox=True, CLI: --include-sandbox, keeps them)"
    )
    assert build_report(ledger=only_sandbox, include_sandbox=True).summary.height == 1


def test_cli_ledger_and_report_leave_sandbox_out_and_take_include_sandbox(
    mixed: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["usage", "ledger", "--path", str(mixed)]) == 0
    out = capsys.readouterr().out
    assert "3 attempts from" in out and "Real App (production): 3" in out
    assert "Acme Dispatch Board" not in out
    assert "left out 5 sandbox attempts (demo traffic); --include-sandbox keeps them" in out

    assert main(["usage", "ledger", "--path", str(mixed), "--include-sandbox"]) == 0
    out = capsys.readouterr().out
    assert "8 attempts from" in out and "Acme Dispatch Board (production, sandbox): 5" in out
    assert "left out" not in out

    html = tmp_path / "usage.html"
    assert main(["usage", "report", "--ledger", str(mixed), "--out", str(html)]) == 0
    out = capsys.readouterr().out
    assert "left out 5 sandbox attempts" in out
    assert "Acme Dispatch Board" not in html.read_text(encoding="utf-8")
    assert main(["usage", "report", "--ledger", str(mixed), "--out", str(html), "--include-sandbox"]) == 0
    assert "left out" not in capsys.readouterr().out
    assert "Acme Dispatch Board" in html.read_text(encoding="utf-8")

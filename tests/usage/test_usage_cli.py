"""`stnb usage ledger|report`: inclusive day ranges, the --demo folder's lifetime, error lines."""

from __future__ import annotations

import functools
import tempfile
from datetime import date, timedelta
from pathlib import Path

import polars as pl
import pytest
from usage_helpers import T0, attempt

from stnb.cli.main import main
from stnb.sandbox import demo_usage as demo_mod
from stnb.usage.ledger import UsageLedger


@pytest.fixture
def three_days(tmp_path: Path) -> Path:
    """One attempt at noon UTC on 2026-06-01, 06-02 and 06-03, plus one at 23:59:59 on 06-02."""
    db = tmp_path / "days.sqlite3"
    with UsageLedger(db) as led:
        for day in range(3):
            led(attempt(at=T0 + timedelta(days=day)))
        led(attempt(at=T0 + timedelta(days=1, hours=11, minutes=59, seconds=59)))
    return db


def test_ledger_until_includes_the_named_day_like_report_to(
    three_days: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert T0.date() == date(2026, 6, 1)
    argv = ["usage", "ledger", "--path", str(three_days), "--until", "2026-06-02"]
    assert main([*argv, "--export", str(tmp_path / "a.parquet")]) == 0
    assert "3 attempts from 2026-06-01 12:00 to 2026-06-02 23:59 UTC" in capsys.readouterr().out
    assert pl.read_parquet(tmp_path / "a.parquet").height == 3

    one_day = ["--since", "2026-06-02", "--until", "2026-06-02"]
    assert main(["usage", "ledger", "--path", str(three_days), *one_day]) == 0
    assert "2 attempts from 2026-06-02 12:00 to 2026-06-02 23:59 UTC" in capsys.readouterr().out

    out = tmp_path / "u.html"
    argv = ["usage", "report", "--ledger", str(three_days), "--to", "2026-06-02", "--out", str(out)]
    assert main(argv) == 0
    assert "2026-06-01 – 2026-06-02" in out.read_text(encoding="utf-8")


def test_ledger_until_before_since_is_an_error(three_days: Path, capsys: pytest.CaptureFixture[str]) -> None:
    argv = ["usage", "ledger", "--path", str(three_days), "--since", "2026-06-03", "--until", "2026-06-01"]
    assert main(argv) == 1
    err = capsys.readouterr().err
    assert err == "stnb usage ledger: error: --until 2026-06-01 is before --since 2026-06-03\n"


def _help(sub: str, capsys: pytest.CaptureFixture[str]) -> str:
    with pytest.raises(SystemExit):
        main(["usage", sub, "--help"])
    return " ".join(capsys.readouterr().out.split())  # argparse wraps lines


def test_help_says_both_ends_are_inclusive(capsys: pytest.CaptureFixture[str]) -> None:
    ledger_help, report_help = _help("ledger", capsys), _help("report", capsys)
    assert "last UTC day to include (inclusive, as report --to)" in ledger_help
    assert "last UTC day to include (inclusive)" in report_help
    assert "--include-sandbox" in ledger_help and "--include-sandbox" in report_help


def test_demo_report_removes_its_temporary_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    scratch = tmp_path / "tmp"
    scratch.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(scratch))
    small = functools.partial(demo_mod.build_demo_usage, days=21, ledger_days=2, end=date(2026, 11, 27))
    monkeypatch.setattr(demo_mod, "build_demo_usage", small)
    out = tmp_path / "usage.html"
    assert main(["usage", "report", "--demo", "--out", str(out)]) == 0
    assert "in a temporary folder, removed when done" in capsys.readouterr().out
    assert out.is_file()
    assert list(scratch.iterdir()) == []

    kept = tmp_path / "kept"
    assert main(["usage", "report", "--demo", "--demo-dir", str(kept), "--out", str(out)]) == 0
    assert f"in {kept}:" in capsys.readouterr().out
    assert (kept / "ledger.sqlite3").is_file() and list(scratch.iterdir()) == []

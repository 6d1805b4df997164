"""The `stnb` entry point: one-line errors instead of tracebacks, argparse range checks, closed pipes."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from stnb.cli import core
from stnb.cli.main import main
from stnb.errors import ConfigError

ROOT = Path(__file__).resolve().parents[1]


def test_an_unknown_environment_is_one_line_on_stderr(
    no_credentials: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["doctor", "--env", "prod"]) == 1
    captured = capsys.readouterr()
    assert captured.err.startswith("stnb doctor: error: unknown environment 'prod'")
    assert "did you mean 'production'?" in captured.err
    assert "Traceback" not in captured.err and captured.out == ""


def test_errors_from_any_command_are_handled_and_debug_shows_the_traceback(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    def failing_pull(*_args: object, **_kwargs: object) -> int:
        raise ConfigError("the profiles TOML is malformed")

    monkeypatch.setattr(core, "pull", failing_pull)
    monkeypatch.delenv("STNB_DEBUG", raising=False)
    argv = ["pull", "jobs", "--out", str(tmp_path / "jobs.parquet")]
    assert main(argv) == 1
    err = capsys.readouterr().err
    assert err == "stnb pull: error: the profiles TOML is malformed\n"

    assert main(["--debug", *argv]) == 1
    err = capsys.readouterr().err
    assert "Traceback" in err and err.endswith("stnb pull: error: the profiles TOML is malformed\n")

    monkeypatch.setenv("STNB_DEBUG", "1")
    assert main(argv) == 1
    assert "Traceback" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (
            ["pull", "jobs", "--max-pages", "0", "--out", "x.parquet"],
            "argument --max-pages: must be at least 1",
        ),
        (["pull", "jobs", "--page-size", "0", "--out", "x.csv"], "between 1 and 5000, got 0"),
        (["pull", "jobs", "--page-size", "5001", "--out", "x.csv"], "between 1 and 5000, got 5001"),
        (["pull", "jobs", "--max-pages", "two", "--out", "x.csv"], "expected a whole number, got 'two'"),
        (["sandbox", "serve", "--port", "99999"], "argument --port: must be between 0 and 65535, got 99999"),
        (["sandbox", "serve", "--scale", "0"], "argument --scale: must be > 0"),
        (["sandbox", "serve", "--rate-limit", "-1"], "argument --rate-limit: must be >= 0"),
        (["report", "run", "operations", "162", "--page-size", "0"], "argument --page-size"),
        (
            ["report", "run", "business-unit-dashboard", "175", "--period", "lastmonth"],
            "argument --period: unknown date preset 'lastmonth'",
        ),
        (["compare", "--all", "--budget", "0"], "argument --budget: must be at least 1"),
        (["lab", "--port", "70000"], "argument --port: must be between 1 and 65535, got 70000"),
    ],
)
def test_numeric_and_preset_options_are_checked_by_argparse(
    no_credentials: Path, capsys: pytest.CaptureFixture[str], argv: list[str], message: str
) -> None:
    with pytest.raises(SystemExit) as exited:
        main(argv)
    assert exited.value.code == 2
    err = capsys.readouterr().err
    assert err.startswith("stnb ") and ": error: " in err and message in err
    assert err.count("\n") == 1  # one line, not argparse's usage block
    assert "Traceback" not in err


def test_a_closed_stdout_ends_quietly(no_credentials: Path) -> None:
    read_end, write_end = os.pipe()
    os.close(read_end)  # the reader is gone before the first write, as after `| head` has had enough
    try:
        result = subprocess.run(
            [sys.executable, "-m", "stnb.cli.main", "resources"],
            stdout=write_end,
            stderr=subprocess.PIPE,
            text=True,
            cwd=ROOT,
            timeout=60,
            check=False,
        )
    finally:
        os.close(write_end)
    assert result.returncode == 1
    assert result.stderr == ""

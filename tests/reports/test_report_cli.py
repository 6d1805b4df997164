"""`stnb report list|describe|run` against the sandbox; no secret in any output."""

from __future__ import annotations

import io
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import polars as pl
import pytest

from stnb._clock import FakeClock
from stnb.cli.main import main
from stnb.cli.report import describe_report, list_reports, run_report
from stnb.sandbox import Sandbox
from stnb.sandbox.reports import KPI_REPORTS

ANCHOR = datetime(2026, 11, 28, tzinfo=UTC)


@pytest.fixture(autouse=True)
def no_ledger(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("STNB_LEDGER", "off")


@pytest.fixture
def sandbox() -> Iterator[Sandbox]:
    yield Sandbox(seed=0, anchor=ANCHOR)  # fresh per test: each run of a report counts against its limit


@pytest.fixture(scope="module")
def browsing() -> Sandbox:
    return Sandbox(seed=0, anchor=ANCHOR)  # for commands that never run a report


def secrets_of(sandbox: Sandbox) -> list[str]:
    creds = sandbox.credentials["integration"]
    return [creds.client_secret, creds.app_key, creds.client_id]


def test_list_shows_categories_and_reports(browsing: Sandbox) -> None:
    sandbox = browsing
    out = io.StringIO()
    assert list_reports(sandbox=sandbox, clock=FakeClock(), out=out) == 0
    text = out.getvalue()
    assert "# integration tenant" in text and "(sandbox)" in text
    assert "business-unit-dashboard   175  Revenue" in text
    assert f"{6 + len(KPI_REPORTS)} reports in 5 categories" in text  # 6 + those stnb.recipes use
    one = io.StringIO()
    assert list_reports("operations", sandbox=sandbox, out=one) == 0
    assert "2 reports in 1 category\n" in one.getvalue()
    assert not any(secret in text for secret in secrets_of(sandbox))


def test_list_unknown_category(browsing: Sandbox, capsys: pytest.CaptureFixture[str]) -> None:
    assert list_reports("finance", sandbox=browsing, out=io.StringIO()) == 1
    assert "unknown report category 'finance'; categories: accounting," in capsys.readouterr().err


def test_describe_shows_parameters_choices_and_fields(browsing: Sandbox) -> None:
    out = io.StringIO()
    assert describe_report("business-unit-dashboard", "175", sandbox=browsing, out=out) == 0
    text = out.getvalue()
    assert "175 Revenue (business-unit-dashboard)" in text
    assert "From             Date      required" in text
    assert "BusinessUnitIds  Number[]  optional; choices: 1012 (Drains & Water Heaters)" in text
    assert "TotalRevenue    Number   Total Revenue" in text


@pytest.mark.parametrize("suffix", [".csv", ".parquet"])
def test_run_writes_the_report_by_extension(sandbox: Sandbox, tmp_path: Path, suffix: str) -> None:
    path = tmp_path / f"revenue{suffix}"
    out = io.StringIO()
    code = run_report(
        "business-unit-dashboard",
        "175",
        ["From=2026-01-01", "To=2026-01-31", "BusinessUnitIds=1001,1006"],
        out_path=path,
        sandbox=sandbox,
        clock=FakeClock(),
        out=out,
    )
    assert code == 0
    frame = pl.read_csv(path) if suffix == ".csv" else pl.read_parquet(path)
    assert frame.columns == ["BusinessUnitId", "Name", "Invoices", "TotalRevenue", "AverageInvoice"]
    assert sorted(frame["BusinessUnitId"].to_list()) == [1001, 1006]
    assert out.getvalue().startswith(
        "wrote 2 rows x 5 columns of report 175 (Revenue) from integration tenant"
    )
    assert not any(secret in out.getvalue() for secret in secrets_of(sandbox))


def test_run_without_out_prints_rows(sandbox: Sandbox) -> None:
    out = io.StringIO()
    assert (
        run_report("operations", "162", ["From=2026-01-01", "To=2026-01-31"], sandbox=sandbox, out=out) == 0
    )
    assert "JobStatus" in out.getvalue() and "1 page" in out.getvalue()


def test_run_with_bad_parameters_fails_before_sending(
    sandbox: Sandbox, capsys: pytest.CaptureFixture[str]
) -> None:
    code = run_report("business-unit-dashboard", "175", ["Form=2026-01-01", "To=2026-01-31"], sandbox=sandbox)
    assert code == 1
    err = capsys.readouterr().err
    assert "stnb report: error: invalid parameters for report 175 (Revenue)" in err
    assert "did you mean 'From'?" in err
    assert run_report("business-unit-dashboard", "175", ["From"], sandbox=sandbox) == 1
    assert "-p 'From' is not NAME=VALUE" in capsys.readouterr().err


def test_run_rejects_other_file_types(
    sandbox: Sandbox, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run_report("operations", "162", [], out_path=tmp_path / "x.xlsx", sandbox=sandbox) == 1
    assert "--out must end in .parquet or .csv" in capsys.readouterr().err


def test_cli_entry_point_runs_a_report_on_the_sandbox(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "aging.csv"
    code = main(
        ["report", "run", "accounting", "166", "-p", "AsOf=2026-06-30", "--out", str(path), "--sandbox"]
    )
    assert code == 0
    assert pl.read_csv(path).height > 0
    assert "of report 166 (Invoices Aging)" in capsys.readouterr().out
    assert main(["report"]) == 2


def test_describe_unknown_category_or_id_names_what_exists(
    browsing: Sandbox, capsys: pytest.CaptureFixture[str]
) -> None:
    assert describe_report("operation", "162", sandbox=browsing, out=io.StringIO()) == 1
    err = capsys.readouterr().err
    assert "unknown report category 'operation'; did you mean 'operations'? categories: accounting," in err
    assert "404" not in err
    assert describe_report("operations", "999", sandbox=browsing, out=io.StringIO()) == 1
    err = capsys.readouterr().err
    assert "category 'operations' has no report 999; its reports: 162 (Jobs by Status), 2281" in err


def test_run_of_an_unknown_report_names_what_exists(
    browsing: Sandbox, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run_report("operations", "161", ["From=2026-01-01"], sandbox=browsing, out=io.StringIO()) == 1
    assert "has no report 161; its reports: 162 (Jobs by Status)" in capsys.readouterr().err


@pytest.mark.parametrize("command", ["describe", "run"])
def test_report_positionals_have_help(command: str, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["report", command, "--help"])
    text = " ".join(capsys.readouterr().out.split())
    assert "category report category id, e.g. operations" in text
    assert "ID report id within the category, e.g. 162" in text

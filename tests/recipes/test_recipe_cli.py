"""`stnb recipe list` and `stnb recipe run`: the table, the requests, the reconciliation, the exit code."""

from __future__ import annotations

import io
import subprocess
import sys
from pathlib import Path

import polars as pl
import pytest

from stnb._clock import FakeClock
from stnb.cli.main import main
from stnb.cli.recipe import list_recipes, run_recipe
from stnb.sandbox import Sandbox


def test_list_names_every_recipe_with_its_question_and_report() -> None:
    out = io.StringIO()
    assert list_recipes(out=out) == 0
    text = out.getvalue()
    assert "revenue_by_business_unit\n" in text and "campaign_attribution (whole company)" in text
    assert "reconciles with: business-unit-dashboard / Business Unit Performance" in text
    assert text.rstrip().endswith("6 recipes; run one with `stnb recipe run NAME --period last_month`")


def test_run_prints_table_requests_and_a_reconciliation(sandbox: Sandbox, clock: FakeClock) -> None:
    out = io.StringIO()
    code = run_recipe(
        "revenue_by_business_unit",
        period="2026-03-01..2026-03-31",
        env="production",
        sandbox=sandbox,
        clock=clock,
        out=out,
    )
    text = out.getvalue()
    assert code == 0, text
    assert text.startswith("# Revenue by business unit: 2026-03-01 to 2026-03-31 (America/New_York)")
    assert "revenue_by_business_unit: 5 requests to the list endpoints" in text
    assert "- jpm/jobs [jobStatus=Completed" in text
    assert "reconciled with report 'Business Unit Performance'" in text
    assert "nothing is left unexplained" in text and "UNEXPLAINED" not in text
    assert sandbox.credentials["production"].client_secret not in text


@pytest.mark.parametrize("suffix", [".csv", ".parquet"])
def test_run_writes_the_table(sandbox: Sandbox, clock: FakeClock, tmp_path: Path, suffix: str) -> None:
    target = tmp_path / f"aging{suffix}"
    out = io.StringIO()
    code = run_recipe(
        "receivables_aging",
        period="2026-06-01..2026-06-30",
        out_path=target,
        env="production",
        sandbox=sandbox,
        clock=clock,
        out=out,
        reconcile=False,
    )
    assert code == 0 and f"to {target}" in out.getvalue()
    frame = pl.read_csv(target) if suffix == ".csv" else pl.read_parquet(target)
    assert {"name", "Current", "Over120", "Total"} <= set(frame.columns) and frame.height > 0
    assert "reconciled" not in out.getvalue()


def test_run_defaults_to_last_month(sandbox: Sandbox, clock: FakeClock) -> None:
    out = io.StringIO()
    assert run_recipe("membership_retention", env="production", sandbox=sandbox, clock=clock, out=out) == 0
    assert "last_month (2026-10-01 to 2026-10-31, America/New_York)" in out.getvalue()


def test_bad_input_fails_with_one_line(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    assert main(["recipe", "run", "revenue_by_bu"]) == 1
    assert "no recipe named 'revenue_by_bu'" in capsys.readouterr().err
    assert main(["recipe", "run", "receivables_aging", "--out", str(tmp_path / "x.json")]) == 1
    assert "--out must end in .parquet or .csv" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        main(["recipe", "run", "receivables_aging", "--period", "2026-03-31..2026-03-01"])
    assert "ends before it starts" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        main(["recipe", "run", "receivables_aging", "--period", "lastmonth"])
    assert "did you mean 'last_month'" in capsys.readouterr().err


def test_the_cli_module_loads_no_heavy_module() -> None:
    probe = "import sys, stnb.cli.recipe; print([m for m in ('stnb.recipes', 'plotly') if m in sys.modules])"
    loaded = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True).stdout
    assert loaded.strip() == "[]"

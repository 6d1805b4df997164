"""The sandbox fallback notice of `stnb.connect()` names the switch for Python and for the CLI."""

from __future__ import annotations

from stnb.cli.main import build_parser
from stnb.connect import SANDBOX_NOTICE


def test_the_notice_names_the_python_argument_and_the_cli_flag() -> None:
    notice = SANDBOX_NOTICE.format(env="integration")
    assert notice == (
        "stnb: no credentials for 'integration' — using the built-in sandbox (demo data). "
        "Pass sandbox=False (CLI: --no-sandbox) to require real credentials."
    )
    args = build_parser().parse_args(["pull", "jobs", "--out", "jobs.parquet", "--no-sandbox"])
    assert args.sandbox is False  # the flag the notice names exists and means sandbox=False

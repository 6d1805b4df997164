"""The sandbox fallback notice of `stnb.connect()` names the switch for Python and for the CLI."""

from __future__ import annotations

import logging
import sys

import pytest

from stnb._connect import SANDBOX_NOTICE
from stnb.cli.main import build_parser


def test_the_notice_names_the_python_argument_and_the_cli_flag() -> None:
    notice = SANDBOX_NOTICE.format(env="integration")
    assert notice == (
        "stnb: no credentials for 'integration' — using the built-in sandbox (demo data). "
        "Pass sandbox=False (CLI: --no-sandbox) to require real credentials."
    )
    args = build_parser().parse_args(["pull", "jobs", "--out", "jobs.parquet", "--no-sandbox"])
    assert args.sandbox is False  # the flag the notice names exists and means sandbox=False


def test_in_a_notebook_the_notice_is_one_banner_not_stderr(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture, no_credentials: None
) -> None:
    import IPython.display

    import stnb

    connect_module = sys.modules["stnb._connect"]

    shown: list[str] = []
    monkeypatch.setattr(connect_module, "_in_notebook", lambda: True)
    monkeypatch.setattr(connect_module, "_notebook_notice_shown", False)
    monkeypatch.setattr(IPython.display, "display", lambda obj: shown.append(obj.data))
    with caplog.at_level(logging.INFO, logger="stnb"):
        stnb.connect("integration")
        stnb.connect("production")
    assert len(shown) == 1 and "using the built-in sandbox" in shown[0] and "stnb-banner" in shown[0]
    assert not [r for r in caplog.records if r.levelno >= logging.WARNING]  # nothing on stderr


def test_outside_a_notebook_the_notice_is_a_warning(
    caplog: pytest.LogCaptureFixture, no_credentials: None
) -> None:
    import stnb

    with caplog.at_level(logging.WARNING, logger="stnb"):
        stnb.connect("integration")
    assert SANDBOX_NOTICE.format(env="integration") in caplog.messages

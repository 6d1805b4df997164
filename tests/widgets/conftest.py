"""Widget tests run without a browser, offline, with no credentials and no ledger outside tmp_path."""

from __future__ import annotations

import os
from pathlib import Path

import pytest


@pytest.fixture(autouse=True)
def isolated_config(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """No credentials anywhere: empty cwd (no .env), no STNB_/SERVICETITAN_ variables, no profiles file."""
    for name in list(os.environ):
        if name.startswith(("STNB_", "SERVICETITAN_")):
            monkeypatch.delenv(name)
    monkeypatch.setenv("STNB_PROFILES", str(tmp_path / "profiles.toml"))
    monkeypatch.setenv("STNB_LEDGER", "off")
    workdir = tmp_path / "cwd"
    workdir.mkdir()
    monkeypatch.chdir(workdir)
    return workdir

"""Suite-wide settings: tests never write to the user's real usage ledger or cache, nor read credentials."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import pytest

# Set before any stnb import so connect() installs its default ledger in a throwaway place.
_LEDGER_DIR = Path(tempfile.mkdtemp(prefix="stnb-test-ledger-"))
os.environ.setdefault("STNB_LEDGER", str(_LEDGER_DIR / "usage.sqlite3"))
os.environ.setdefault("STNB_PROFILES", str(_LEDGER_DIR / "no-profiles.toml"))
os.environ.setdefault("STNB_CACHE_DIR", str(_LEDGER_DIR / "cache"))  # the demo usage's cached frames


@pytest.fixture
def no_credentials(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """A fresh machine: no STNB_/SERVICETITAN_ variables, no .env, no profiles file, no usage ledger.

    Returns the (empty) working directory; `tmp_path / "profiles.toml"` is where profiles would be read.
    """
    for name in list(os.environ):
        if name.startswith(("STNB_", "SERVICETITAN_")):
            monkeypatch.delenv(name)
    monkeypatch.setenv("STNB_PROFILES", str(tmp_path / "profiles.toml"))
    monkeypatch.setenv("STNB_LEDGER", "off")
    monkeypatch.setenv("STNB_CACHE_DIR", str(tmp_path / "cache"))  # never the user's cache
    workdir = tmp_path / "cwd"
    workdir.mkdir()
    monkeypatch.chdir(workdir)
    return workdir

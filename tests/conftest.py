"""Suite-wide settings: tests never write to the user's real usage ledger or read their credentials."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

# Set before any stnb import so connect() installs its default ledger in a throwaway place.
_LEDGER_DIR = Path(tempfile.mkdtemp(prefix="stnb-test-ledger-"))
os.environ.setdefault("STNB_LEDGER", str(_LEDGER_DIR / "usage.sqlite3"))
os.environ.setdefault("STNB_PROFILES", str(_LEDGER_DIR / "no-profiles.toml"))

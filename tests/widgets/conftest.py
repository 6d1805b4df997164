"""Widget tests run without a browser, offline, with no credentials and no ledger outside tmp_path."""

from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture(autouse=True)
def isolated_config(no_credentials: Path) -> Path:
    """Every widget test runs as on a fresh machine (see the suite-wide `no_credentials`)."""
    return no_credentials

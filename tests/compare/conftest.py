"""Comparison tests record no usage: the default ledger would write to the user's data directory."""

from __future__ import annotations

from collections.abc import Iterator

import pytest


@pytest.fixture(autouse=True, scope="session")
def _no_usage_ledger() -> Iterator[None]:
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("STNB_LEDGER", "off")
        yield

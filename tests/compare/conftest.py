"""Comparison tests record no usage: the default ledger would write to the user's data directory.

Module-scoped, so the setting is undone before other test directories run in the same session.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest


@pytest.fixture(autouse=True, scope="module")
def _no_usage_ledger() -> Iterator[None]:
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("STNB_LEDGER", "off")
        yield

"""One demo world (default scale, anchored so that periods are fixed) shared by the recipe tests.

The sandbox's report limit and the client's limiter are raised: these tests run many reports a minute.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest

import stnb
from stnb._clock import FakeClock
from stnb._connection import Connection
from stnb.sandbox import Sandbox

ANCHOR = datetime(2026, 11, 28, tzinfo=UTC)
PACIFIC = "Pacific Breeze Plumbing & Air"


@pytest.fixture(scope="package")
def clock() -> FakeClock:
    return FakeClock(start=ANCHOR)


@pytest.fixture(scope="package")
def sandbox(clock: FakeClock) -> Iterator[Sandbox]:
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("STNB_LEDGER", "off")
        yield Sandbox(seed=0, anchor=ANCHOR, clock=clock, report_runs_per_minute=100_000)


def connect(
    sandbox: Sandbox, clock: FakeClock, env: str = "production", tenant: str | None = None
) -> Connection:
    st = stnb.connect(env=env, sandbox=sandbox, tenant=tenant, clock=clock, progress=False)
    st.reports.limiter.runs_per_minute = 100_000
    return st


@pytest.fixture(scope="package")
def production(sandbox: Sandbox, clock: FakeClock) -> Connection:
    return connect(sandbox, clock)


@pytest.fixture(scope="package")
def pacific(sandbox: Sandbox, clock: FakeClock) -> Connection:
    return connect(sandbox, clock, tenant=PACIFIC)

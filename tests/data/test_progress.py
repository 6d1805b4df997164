"""Progress bars keep their delay: nothing for quick pulls, and a slow pull's bar is gone once it ends.

The walk's clock is a FakeClock that the scripted server advances per request, so "slow" costs nothing.
tqdm writes to the captured stderr; `screen` replays its carriage returns to see what a terminal shows.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

import httpx2
import pytest

from stnb._client import AsyncClient, Client
from stnb._clock import FakeClock
from stnb._config import sandbox_environment
from stnb._connection import PROGRESS_DELAY, AsyncConnection, Connection

from .conftest import BASE, FakeApi, credentials, job

JOBS = "/jpm/v2/tenant/{tenant}/jobs"
EXPORT = "/jpm/v2/tenant/{tenant}/export/jobs"


def screen(err: str) -> list[str]:
    """The lines a terminal shows after printing `err` (each \\r returns to the line's start)."""
    shown: list[str] = []
    for line in err.split("\n"):
        current = ""
        for part in line.split("\r"):
            current = part + current[len(part) :]
        shown.append(current.rstrip())
    return [line for line in shown if line]


def slow_server(fake: FakeApi, clock: FakeClock, seconds: float) -> None:
    def tick(request: httpx2.Request, params: dict[str, str]) -> None:
        clock.advance(seconds)

    fake.override = tick


@pytest.fixture
def default_conn(fake: FakeApi, clock: FakeClock) -> Iterator[Connection]:
    """A connection with the default progress setting (a bar only for pulls slower than the delay)."""
    client = Client(
        sandbox_environment("integration", BASE),
        credentials(),
        transport=httpx2.MockTransport(fake.handle),
        clock=clock,
        rate=1000.0,
    )
    with Connection(client, clock=clock) as connection:
        yield connection


@pytest.fixture(autouse=True)
def jobs(fake: FakeApi) -> None:
    fake.lists[fake.path(JOBS)] = [job(i) for i in range(1, 201)]
    fake.exports[fake.path(EXPORT)] = [job(i) for i in range(1, 41)]


def test_a_quick_pull_prints_no_bar(
    default_conn: Connection, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    default_conn.to_parquet("jpm/jobs", tmp_path / "j.parquet", page_size=10)
    default_conn.frame("jpm/jobs", page_size=10, includeTotal=False)
    default_conn.export_frame("jpm/jobs")
    assert capsys.readouterr().err == ""


def test_a_quick_async_pull_prints_no_bar(
    fake: FakeApi, clock: FakeClock, capsys: pytest.CaptureFixture[str]
) -> None:
    client = AsyncClient(
        sandbox_environment("integration", BASE),
        credentials(),
        transport=httpx2.MockTransport(fake.handle),
        clock=clock,
        rate=1000.0,
    )

    async def run() -> int:
        async with AsyncConnection(client, clock=clock) as conn:
            frame = await conn.frame("jpm/jobs", page_size=10)
            return frame.height

    assert asyncio.run(run()) == 200
    assert capsys.readouterr().err == ""


def test_a_slow_pull_shows_its_bar_once_due_and_clears_it(
    default_conn: Connection, fake: FakeApi, clock: FakeClock, capsys: pytest.CaptureFixture[str]
) -> None:
    slow_server(fake, clock, PROGRESS_DELAY / 4)
    frame = default_conn.frame("jpm/jobs", page_size=10)
    assert frame.height == 200
    err = capsys.readouterr().err
    assert "jpm/jobs" in err and "/20" in err
    assert "0/20" not in err  # it appears once due, with the pages already done
    assert screen(err) == []  # closing removed it


def test_a_slow_export_shows_its_bar_and_clears_it(
    default_conn: Connection, fake: FakeApi, clock: FakeClock, capsys: pytest.CaptureFixture[str]
) -> None:
    slow_server(fake, clock, PROGRESS_DELAY)
    assert default_conn.export_frame("jpm/jobs").height == 40
    err = capsys.readouterr().err
    assert "jpm/jobs export" in err
    assert screen(err) == []


def test_progress_true_shows_the_bar_from_the_first_page_and_still_clears_it(
    default_conn: Connection, capsys: pytest.CaptureFixture[str]
) -> None:
    default_conn.frame("jpm/jobs", page_size=50, progress=True)
    err = capsys.readouterr().err
    assert "jpm/jobs:   0%" in err and "0/4" in err  # shown at once, the total known from the first page
    assert screen(err) == []


def test_a_bars_rate_and_elapsed_time_come_from_the_walks_clock(
    default_conn: Connection, fake: FakeApi, clock: FakeClock, capsys: pytest.CaptureFixture[str]
) -> None:
    slow_server(fake, clock, 0.5)  # half a second per page on the clock; the wall clock barely moves
    default_conn.frame("jpm/jobs", page_size=10, includeTotal=False, progress=True)
    drawn = [part.rstrip() for part in capsys.readouterr().err.split("\r") if part.strip()]
    # The bar opened with the first page; 19 more pages took 9.5 s on the clock.
    assert any(p.startswith("jpm/jobs: 20page [00:09,  2.00page/s, rows=200]") for p in drawn)

"""Paging warnings point at the caller's line that iterates (or pulls), sync and async, however deep the
flow, its driver and the helpers in between are."""

from __future__ import annotations

import asyncio
import inspect
import warnings
from collections.abc import Callable

import httpx2
import pytest

from stnb._connection import AsyncConnection, Connection
from stnb._paging import PagingWarning, TruncationWarning

from .conftest import FakeApi, job

JOBS = "/jpm/v2/tenant/{tenant}/jobs"
EXPORT = "/jpm/v2/tenant/{tenant}/export/jobs"


def caught(category: type[Warning], action: Callable[[], int]) -> tuple[warnings.WarningMessage, int]:
    """Run `action` (which returns the line it iterates on); the one warning of `category` it raised."""
    with warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter("always")
        line = action()
    (warning,) = [w for w in seen if issubclass(w.category, category)]
    return warning, line


def here() -> int:
    """The caller's line number."""
    frame = inspect.currentframe()
    assert frame is not None and frame.f_back is not None
    return frame.f_back.f_lineno


@pytest.fixture
def stalled_export(fake: FakeApi) -> None:
    def stuck(request: httpx2.Request, params: dict[str, str]) -> httpx2.Response | None:
        if not request.url.path.endswith("/export/jobs"):
            return None
        data = [job(1)] if "from" not in params else []
        return httpx2.Response(200, json={"hasMore": True, "continueFrom": "pos:1", "data": data})

    fake.override = stuck


@pytest.fixture
def empty_second_page(fake: FakeApi) -> None:
    def empty(request: httpx2.Request, params: dict[str, str]) -> httpx2.Response | None:
        data = [job(1)] if params.get("page", "1") == "1" else []
        body = {"page": int(params.get("page", "1")), "pageSize": 5, "hasMore": True, "data": data}
        return httpx2.Response(200, json=body)

    fake.override = empty


@pytest.fixture
def jobs(fake: FakeApi) -> None:
    fake.lists[fake.path(JOBS)] = [job(i) for i in range(1, 101)]


def test_a_stalled_export_warns_at_the_loop_over_the_cursor(conn: Connection, stalled_export: None) -> None:
    def iterate() -> int:
        for _batch in conn.export("jpm/jobs"):
            line = here() - 1
        return line

    warning, line = caught(PagingWarning, iterate)
    assert warning.filename == __file__
    assert warning.lineno == line


def test_a_stalled_async_export_warns_at_the_async_loop(aconn: AsyncConnection, stalled_export: None) -> None:
    async def iterate() -> int:
        async with aconn:
            async for _record in aconn.export("jpm/jobs").items():
                line = here() - 1
        return line

    warning, line = caught(PagingWarning, lambda: asyncio.run(iterate()))
    assert warning.filename == __file__
    assert warning.lineno == line


def test_an_empty_page_warns_at_the_loop_over_items(conn: Connection, empty_second_page: None) -> None:
    def iterate() -> int:
        for _record in conn.items("jpm/jobs", page_size=5):
            line = here() - 1
        return line

    warning, line = caught(PagingWarning, iterate)
    assert warning.filename == __file__
    assert warning.lineno == line


def test_an_empty_async_page_warns_at_the_async_loop(aconn: AsyncConnection, empty_second_page: None) -> None:
    async def iterate() -> int:
        async with aconn:
            async for _page in aconn.pages("jpm/jobs", page_size=5):
                line = here() - 1
        return line

    warning, line = caught(PagingWarning, lambda: asyncio.run(iterate()))
    assert warning.filename == __file__
    assert warning.lineno == line


def test_truncation_warns_at_the_call_that_pulls(
    conn: Connection, aconn: AsyncConnection, jobs: None
) -> None:
    def pull() -> int:
        conn.frame("jpm/jobs", page_size=10, max_pages=2)
        return here() - 1

    async def apull() -> int:
        async with aconn:
            await aconn.frame("jpm/jobs", page_size=10, max_pages=2)
            return here() - 1

    for action in (pull, lambda: asyncio.run(apull())):
        warning, line = caught(TruncationWarning, action)
        assert (warning.filename, warning.lineno) == (__file__, line)

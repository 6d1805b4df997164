"""Large pages: the walk learns the total with a one-record request, then fetches every page at once (two
large pages no longer run one after the other), with the same records, order, totals and limits."""

from __future__ import annotations

import asyncio
import threading
import warnings
from typing import Any

import httpx2
import pytest

from stnb._connection import AsyncConnection, Connection
from stnb._paging import PROBE_FROM_PAGE_SIZE, TruncationWarning

from .conftest import FakeApi, job

JOBS = "/jpm/v2/tenant/{tenant}/jobs"
SIZE = 2000


@pytest.fixture
def jobs(fake: FakeApi) -> list[dict[str, Any]]:
    records = [job(i) for i in range(1, 7001)]  # 4 pages of 2000
    fake.lists[fake.path(JOBS)] = records
    return records


def test_large_pages_are_fetched_together_after_a_one_record_probe(
    conn: Connection, fake: FakeApi, jobs: list[dict[str, Any]]
) -> None:
    assert SIZE >= PROBE_FROM_PAGE_SIZE
    gate = threading.Barrier(2, timeout=10)

    def together(request: httpx2.Request, params: dict[str, str]) -> httpx2.Response | None:
        if params.get("pageSize") == str(SIZE) and params.get("page") in ("1", "2"):
            gate.wait()  # pages 1 and 2 are answered only once both are in flight
        return None

    fake.override = together
    walk = conn.pages("jpm/jobs", pageSize=SIZE)
    pages = list(walk)
    assert [p.number for p in pages] == [1, 2, 3, 4]
    assert [r["id"] for p in pages for r in p.items] == [r["id"] for r in jobs]
    assert walk.total_count == 7000 and walk.rows == 7000
    sent = fake.api_requests(JOBS)
    probes = [p for p in sent if p["pageSize"] == "1"]
    assert probes == [{"page": "1", "pageSize": "1", "includeTotal": "true"}]
    large = [p for p in sent if p["pageSize"] == str(SIZE)]
    assert sorted(p["page"] for p in large) == ["1", "2", "3", "4"], "each page asked for once"
    assert all("includeTotal" not in p for p in large)
    assert len(sent) == 5


def test_probe_respects_max_pages(conn: Connection, fake: FakeApi, jobs: list[dict[str, Any]]) -> None:
    with pytest.warns(TruncationWarning, match="max_pages=2"):
        pages = list(conn.pages("jpm/jobs", pageSize=SIZE, max_pages=2))
    assert [p.number for p in pages] == [1, 2]
    large = [p["page"] for p in fake.api_requests(JOBS) if p["pageSize"] == str(SIZE)]
    assert sorted(large) == ["1", "2"], "no page beyond the budget"


def test_one_page_of_records_costs_the_probe_and_two_pages(conn: Connection, fake: FakeApi) -> None:
    fake.lists[fake.path(JOBS)] = [job(i) for i in range(1, 11)]
    walk = conn.pages("jpm/jobs", pageSize=SIZE)
    assert [len(p) for p in walk] == [10]
    assert walk.total_count == 10
    # The second page is asked for with the probe (most lists of large pages have one); here it is unused.
    sent = sorted((p["pageSize"], p["page"]) for p in fake.api_requests(JOBS))
    assert sent in ([("1", "1"), (str(SIZE), "1"), (str(SIZE), "2")], [("1", "1"), (str(SIZE), "1")])


def test_an_empty_list_gives_one_empty_page(conn: Connection, fake: FakeApi) -> None:
    fake.lists[fake.path(JOBS)] = []
    walk = conn.pages("jpm/jobs", pageSize=SIZE)
    assert [len(p) for p in walk] == [0]
    assert walk.total_count == 0


def test_small_pages_and_a_single_page_budget_do_not_probe(
    conn: Connection, fake: FakeApi, jobs: list[dict[str, Any]]
) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", TruncationWarning)
        list(conn.pages("jpm/jobs", pageSize=PROBE_FROM_PAGE_SIZE - 1, max_pages=3))
        list(conn.pages("jpm/jobs", pageSize=SIZE, max_pages=1))
    assert all(p["pageSize"] != "1" for p in fake.api_requests(JOBS))


def test_async_walk_probes_too(fake: FakeApi, jobs: list[dict[str, Any]], aconn: AsyncConnection) -> None:
    async def walk() -> list[int]:
        async with aconn:
            return [p.number async for p in aconn.pages("jpm/jobs", pageSize=SIZE)]

    assert asyncio.run(walk()) == [1, 2, 3, 4]
    sizes = sorted(p["pageSize"] for p in fake.api_requests(JOBS))
    assert sizes == ["1", *[str(SIZE)] * 4], "one probe, each page once"

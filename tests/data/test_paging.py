"""Page walks and export cursors over a scripted ServiceTitan (httpx2.MockTransport): edge cases first."""

from __future__ import annotations

import asyncio
import copy
import json
import threading
import warnings
from pathlib import Path
from typing import Any

import httpx2
import pytest

from stnb._connection import AsyncConnection, Connection
from stnb._paging import (
    AsyncExportCursor,
    ExportCursor,
    ExportTokenRejected,
    PagingWarning,
    TruncationWarning,
)
from stnb.errors import ConfigError, InvalidResponse, ValidationError

from .conftest import FakeApi, job

JOBS = "/jpm/v2/tenant/{tenant}/jobs"
EXPORT = "/jpm/v2/tenant/{tenant}/export/jobs"


@pytest.fixture
def jobs(fake: FakeApi) -> list[dict[str, Any]]:
    records = [job(i) for i in range(1, 1001)]
    fake.lists[fake.path(JOBS)] = records
    return records


def test_pages_come_back_in_order_and_complete_with_concurrency(
    conn: Connection, fake: FakeApi, jobs: list[dict[str, Any]]
) -> None:
    in_flight = 0
    peak = 0
    lock = threading.Lock()
    gate = threading.Barrier(3, timeout=5)

    def slow(request: httpx2.Request, params: dict[str, str]) -> httpx2.Response | None:
        nonlocal in_flight, peak
        if params.get("page") in ("2", "3", "4"):
            with lock:
                in_flight += 1
                peak = max(peak, in_flight)
            gate.wait()  # pages 2-4 are only answered once all three are in flight at the same time
            with lock:
                in_flight -= 1
        return None

    fake.override = slow
    walk = conn.pages("jpm/jobs", pageSize=100)
    pages = list(walk)
    assert [p.number for p in pages] == list(range(1, 11))
    assert [r["id"] for p in pages for r in p.items] == [r["id"] for r in jobs]
    assert peak == 3
    assert walk.total_count == 1000 and walk.pages == 10 and walk.rows == 1000
    sent = fake.api_requests(JOBS)
    assert sent[0]["includeTotal"] == "true"
    assert all("includeTotal" not in p for p in sent[1:])


def test_without_total_count_pages_are_walked_one_by_one(
    conn: Connection, fake: FakeApi, jobs: list[dict[str, Any]]
) -> None:
    items = list(conn.items("jpm/jobs", pageSize=300, includeTotal=False))
    assert len(items) == 1000
    assert [p["page"] for p in fake.api_requests(JOBS)] == ["1", "2", "3", "4"]


def test_caller_params_are_not_mutated(conn: Connection, fake: FakeApi, jobs: list[dict[str, Any]]) -> None:
    filters: dict[str, Any] = {"pageSize": 250, "jobStatus": "Completed", "ids": list(range(1, 70))}
    before = copy.deepcopy(filters)
    list(conn.pages("jpm/jobs", **filters))
    assert filters == before


def test_ids_over_50_are_chunked_and_merged(
    conn: Connection, fake: FakeApi, jobs: list[dict[str, Any]]
) -> None:
    df = conn.frame("jpm/jobs", ids=list(range(1, 121)))
    sent = fake.api_requests(JOBS)
    assert len(sent) == 3
    assert [len(p["ids"].split(",")) for p in sent] == [50, 50, 20]
    assert df["id"].to_list() == list(range(1, 121))
    assert conn.last_query is not None and conn.last_query.rows == 120


def test_page_size_above_the_maximum_fails_before_any_request(conn: Connection, fake: FakeApi) -> None:
    with pytest.raises(ValidationError) as info:
        conn.frame("jpm/jobs", pageSize=6000)
    assert "5000" in str(info.value)
    assert fake.requests == [] and fake.token_requests == 0


def test_unknown_resource_suggests_names(conn: Connection, fake: FakeApi) -> None:
    from stnb.catalog import UnknownResourceError

    with pytest.raises(UnknownResourceError) as info:
        conn.frame("jpm/jbos")
    assert "jpm/jobs" in info.value.suggestions
    assert fake.requests == []


def test_max_pages_warns_about_truncation(
    conn: Connection, fake: FakeApi, jobs: list[dict[str, Any]]
) -> None:
    with pytest.warns(TruncationWarning, match="max_pages=3"):
        df = conn.frame("jpm/jobs", pageSize=100, max_pages=3)
    assert df.height == 300
    assert conn.last_query is not None and conn.last_query.truncated
    assert len(fake.api_requests(JOBS)) == 3


def test_max_pages_equal_to_the_data_does_not_warn(
    conn: Connection, fake: FakeApi, jobs: list[dict[str, Any]]
) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        df = conn.frame("jpm/jobs", pageSize=500, max_pages=2)
    assert df.height == 1000
    assert conn.last_query is not None and not conn.last_query.truncated


def test_has_more_with_an_empty_page_stops_with_a_warning(conn: Connection, fake: FakeApi) -> None:
    fake.lists[fake.path(JOBS)] = [job(i) for i in range(1, 6)]

    def empty_but_more(request: httpx2.Request, params: dict[str, str]) -> httpx2.Response | None:
        if params.get("page", "1") != "1":
            body = {
                "page": int(params["page"]),
                "pageSize": 5,
                "hasMore": True,
                "totalCount": None,
                "data": [],
            }
            return httpx2.Response(200, json=body)
        body = {"page": 1, "pageSize": 5, "hasMore": True, "totalCount": None, "data": [job(1)]}
        return httpx2.Response(200, json=body)

    fake.override = empty_but_more
    with pytest.warns(PagingWarning, match="empty although hasMore"):
        rows = list(conn.items("jpm/jobs", pageSize=5))
    assert [r["id"] for r in rows] == [1]
    assert len(fake.api_requests(JOBS)) == 2


def test_truncated_json_is_retried_then_reported_clearly(conn: Connection, fake: FakeApi) -> None:
    fake.lists[fake.path(JOBS)] = [job(i) for i in range(1, 21)]
    broken = {"count": 0}

    def truncate_page_2(request: httpx2.Request, params: dict[str, str]) -> httpx2.Response | None:
        if params.get("page") == "2":
            broken["count"] += 1
            return httpx2.Response(200, content=b'{"page": 2, "data": [{"id": 1')
        return None

    fake.override = truncate_page_2
    seen: list[int] = []
    with pytest.raises(InvalidResponse) as info:
        for page in conn.pages("jpm/jobs", pageSize=10, includeTotal=False):
            seen.append(page.number)
    assert seen == [1]  # the first page was delivered before the failure
    assert "/jpm/v2/tenant/{tenant}/jobs" in str(info.value)
    assert broken["count"] >= 2  # reads are retried before giving up


def test_a_transient_truncated_page_is_recovered(conn: Connection, fake: FakeApi) -> None:
    fake.lists[fake.path(JOBS)] = [job(i) for i in range(1, 21)]
    broken = {"left": 1}

    def once(request: httpx2.Request, params: dict[str, str]) -> httpx2.Response | None:
        if params.get("page") == "2" and broken["left"]:
            broken["left"] -= 1
            return httpx2.Response(200, content=b'{"page": 2, "da')
        return None

    fake.override = once
    assert [r["id"] for r in conn.items("jpm/jobs", pageSize=10)] == list(range(1, 21))


def test_an_envelope_without_data_is_an_invalid_response(conn: Connection, fake: FakeApi) -> None:
    fake.override = lambda request, params: httpx2.Response(200, json={"page": 1, "hasMore": False})
    with pytest.raises(InvalidResponse, match="data field"):
        conn.frame("jpm/jobs")


def test_export_follows_continue_from_until_has_more_is_false(conn: Connection, fake: FakeApi) -> None:
    fake.exports[fake.path(EXPORT)] = [job(i) for i in range(1, 11)]
    cursor = conn.export("jpm/jobs")
    batches = list(cursor)
    assert [len(b) for b in batches] == [4, 4, 2]
    assert cursor.done
    assert cursor.checkpoint["continue_from"] == "pos:10"
    assert cursor.checkpoint["fetched"] == 10
    assert [p.get("from") for p in fake.api_requests(EXPORT)] == [None, "pos:4", "pos:8"]


def test_export_removes_duplicates_keeping_the_newest(conn: Connection, fake: FakeApi) -> None:
    fake.exports[fake.path(EXPORT)] = [
        job(1, "2025-03-01T10:00:00Z"),
        job(2, "2025-03-01T10:00:00Z"),
        job(1, "2025-03-02T10:00:00.5Z"),  # newer version of 1 in the same batch
        job(3, "2025-03-01T10:00:00Z"),
        job(2, "2025-03-01T10:00:00Z"),  # repeated (includeRecentChanges style), not newer
        job(4, "2025-03-01T10:00:00Z"),
        job(1, "2025-03-01T11:00:00Z"),  # older than what was delivered
        job(3, "2025-03-05T00:00:00Z"),  # genuinely newer: delivered again
    ]
    items = list(conn.export("jpm/jobs").items())
    assert [(r["id"], r["modifiedOn"]) for r in items] == [
        (2, "2025-03-01T10:00:00Z"),
        (1, "2025-03-02T10:00:00.5Z"),
        (3, "2025-03-01T10:00:00Z"),
        (4, "2025-03-01T10:00:00Z"),
        (3, "2025-03-05T00:00:00Z"),
    ]


def test_export_checkpoint_resume_gives_exactly_the_rest(
    conn: Connection, fake: FakeApi, tmp_path: Path
) -> None:
    records = [job(i) for i in range(1, 23)]
    fake.exports[fake.path(EXPORT)] = records
    cursor = conn.export("jpm/jobs", since="2025-01-01")
    first: list[int] = []
    for batch in cursor:
        first.extend(r["id"] for r in batch)
        cursor.save(tmp_path / "jobs.checkpoint.json")
        if len(first) >= 8:
            break
    saved = json.loads((tmp_path / "jobs.checkpoint.json").read_text())
    assert saved["continue_from"] == "pos:8" and saved["fetched"] == 8
    assert set(saved) == {"resource", "env", "tenant", "continue_from", "fetched", "updated_at"}
    resumed = ExportCursor.resume(conn, tmp_path / "jobs.checkpoint.json")
    rest = [r["id"] for r in resumed.items()]
    assert first + rest == [r["id"] for r in records]
    assert resumed.checkpoint["fetched"] == 22
    assert fake.api_requests(EXPORT)[0]["from"] == "2025-01-01"


def test_a_checkpoint_from_another_tenant_is_refused(conn: Connection, fake: FakeApi) -> None:
    checkpoint = {"resource": "jpm/jobs", "env": "integration", "tenant": "1", "continue_from": "pos:4"}
    with pytest.raises(ConfigError, match="tenant"):
        conn.export("jpm/jobs", checkpoint=checkpoint)
    with pytest.raises(ConfigError, match="not an export checkpoint"):
        conn.export("jpm/jobs", checkpoint={"resource": "jpm/jobs"})


def test_a_rejected_export_token_keeps_the_checkpoint(conn: Connection, fake: FakeApi) -> None:
    fake.exports[fake.path(EXPORT)] = [job(i) for i in range(1, 11)]
    checkpoint = {
        "resource": "jpm/jobs",
        "env": "integration",
        "tenant": conn.tenant,
        "continue_from": "garbled-token",
        "fetched": 4,
        "updated_at": None,
    }
    cursor = conn.export("jpm/jobs", checkpoint=checkpoint)
    with pytest.raises(ExportTokenRejected) as info:
        list(cursor)
    assert info.value.checkpoint == checkpoint
    assert cursor.checkpoint == checkpoint
    assert "garbled-token" in str(info.value) and "since=" in str(info.value)


def test_export_has_more_with_an_empty_batch_stops(conn: Connection, fake: FakeApi) -> None:
    def stuck(request: httpx2.Request, params: dict[str, str]) -> httpx2.Response | None:
        data = [job(1)] if "from" not in params else []
        return httpx2.Response(200, json={"hasMore": True, "continueFrom": "pos:1", "data": data})

    fake.override = stuck
    fake.exports[fake.path(EXPORT)] = []
    cursor = conn.export("jpm/jobs")
    with pytest.warns(PagingWarning, match="did not advance|empty"):
        batches = list(cursor)
    assert [len(b) for b in batches] == [1]
    assert len(fake.api_requests(EXPORT)) == 2
    assert not cursor.done and cursor.checkpoint["continue_from"] == "pos:1"


def test_export_reserved_parameters_are_refused(conn: Connection) -> None:
    with pytest.raises(ValidationError, match="since="):
        conn.export("jpm/jobs", **{"from": "2025-01-01"})
    with pytest.raises(ValidationError):
        conn.export("jpm/jobs", since="2025-01-01", checkpoint={"resource": "jpm/jobs"})


def test_a_401_mid_pull_refreshes_the_token_and_loses_nothing(conn: Connection, fake: FakeApi) -> None:
    fake.lists[fake.path(JOBS)] = [job(i) for i in range(1, 51)]
    revoked = {"done": False}

    def revoke_at_page_3(request: httpx2.Request, params: dict[str, str]) -> httpx2.Response | None:
        if params.get("page") == "3" and not revoked["done"]:
            revoked["done"] = True
            fake.revoke()
            return httpx2.Response(401, json={"title": "Unauthorized"})
        return None

    fake.override = revoke_at_page_3
    ids = [r["id"] for r in conn.items("jpm/jobs", pageSize=10, includeTotal=False)]
    assert ids == list(range(1, 51))
    assert fake.token_requests == 2


def test_async_pages_frame_and_export(aconn: AsyncConnection, fake: FakeApi) -> None:
    fake.lists[fake.path(JOBS)] = [job(i) for i in range(1, 301)]
    fake.exports[fake.path(EXPORT)] = [job(i) for i in range(1, 11)]

    async def run() -> tuple[list[int], int, list[int], list[int]]:
        async with aconn:
            numbers = [p.number async for p in aconn.pages("jpm/jobs", pageSize=50)]
            df = await aconn.frame("jpm/jobs", pageSize=100)
            cursor = aconn.export("jpm/jobs")
            first = []
            async for batch in cursor:
                first.extend(r["id"] for r in batch)
                break
            resumed = AsyncExportCursor.resume(aconn, cursor.checkpoint)
            rest = [r["id"] async for r in resumed.items()]
            return numbers, df.height, first, rest

    numbers, height, first, rest = asyncio.run(run())
    assert numbers == [1, 2, 3, 4, 5, 6]
    assert height == 300
    assert first + rest == list(range(1, 11))


def test_async_max_pages_and_empty_page(aconn: AsyncConnection, fake: FakeApi) -> None:
    fake.lists[fake.path(JOBS)] = [job(i) for i in range(1, 301)]

    async def run() -> int:
        async with aconn:
            df = await aconn.frame("jpm/jobs", pageSize=50, max_pages=2)
            return df.height

    with pytest.warns(TruncationWarning):
        assert asyncio.run(run()) == 100


def test_progress_bar_names_the_resource_and_active(
    conn: Connection, fake: FakeApi, capsys: pytest.CaptureFixture[str]
) -> None:
    fake.lists[fake.path("/crm/v2/tenant/{tenant}/customers")] = [{"id": i} for i in range(1, 101)]
    conn.frame("crm/customers", pageSize=10, progress=True)
    err = capsys.readouterr().err
    assert "crm/customers active=True" in err
    assert "/10 " in err  # the total is known from totalCount
    conn.frame("crm/customers", pageSize=10, progress=False)
    assert capsys.readouterr().err == ""


def test_iterating_again_starts_over(conn: Connection, fake: FakeApi, jobs: list[dict[str, Any]]) -> None:
    walk = conn.pages("jpm/jobs", pageSize=400)
    assert sum(len(p) for p in walk) == 1000
    assert sum(len(p) for p in walk) == 1000
    assert (walk.pages, walk.rows, walk.total_count) == (3, 1000, 1000)


def test_a_pull_stopped_before_some_ids_chunks_does_not_report_a_partial_total(
    conn: Connection, fake: FakeApi, jobs: list[dict[str, Any]]
) -> None:
    with pytest.warns(TruncationWarning) as caught:
        df = conn.frame("jpm/jobs", ids=list(range(1, 131)), pageSize=20, max_pages=3)
    assert df.height == 50  # the first chunk's three pages
    (warning,) = caught
    assert str(warning.message) == (
        "jpm/jobs: stopped after 3 pages (max_pages=3); 50 records fetched; 2 of 3 ids chunks not fetched"
    )
    info = conn.last_query
    assert info is not None and info.truncated and info.total_count is None


def test_a_pull_stopped_in_the_last_ids_chunk_knows_the_total(
    conn: Connection, fake: FakeApi, jobs: list[dict[str, Any]]
) -> None:
    with pytest.warns(TruncationWarning) as caught:
        conn.frame("jpm/jobs", ids=list(range(1, 131)), pageSize=20, max_pages=7)
    (warning,) = caught
    assert str(warning.message).endswith("; 120 of 130 records fetched, more exist")
    assert conn.last_query is not None and conn.last_query.total_count == 130
    walk = conn.pages("jpm/jobs", ids=list(range(1, 131)), pageSize=50)
    assert sum(len(p) for p in walk) == 130 and walk.total_count == 130

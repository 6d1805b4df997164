"""Export feeds: continuation tokens, dates in `from`, inactive rows, catching up, later changes."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from stnb._clock import FakeClock
from stnb.sandbox import Sandbox

from .conftest import ANCHOR, Api, make_api

EXPORT_JOBS = "/jpm/v2/tenant/{tenant}/export/jobs"
EXPORT_CUSTOMERS = "/crm/v2/tenant/{tenant}/export/customers"


def _drain(api: Api, path: str, **params: Any) -> tuple[list[dict[str, Any]], str, int]:
    rows: list[dict[str, Any]] = []
    calls = 0
    while True:
        body = api.json(path, **params)
        calls += 1
        assert list(body) == ["hasMore", "continueFrom", "data"]
        rows.extend(body["data"])
        params["from"] = body["continueFrom"]
        if not body["hasMore"]:
            return rows, body["continueFrom"], calls


@pytest.fixture
def small_batches(api: Api) -> Iterator[Api]:
    api.sandbox.export_batch_size = 700
    yield api
    api.sandbox.export_batch_size = 500


def test_export_walks_everything_in_modified_order_including_inactive(small_batches: Api) -> None:
    api = small_batches
    rows, token, calls = _drain(api, EXPORT_CUSTOMERS)
    every = api.json("/crm/v2/tenant/{tenant}/customers", active="Any", pageSize=1, includeTotal="true")
    assert len(rows) == every["totalCount"] and calls == -(-len(rows) // 700)
    assert len({r["id"] for r in rows}) == len(rows)
    assert any(r["active"] is False for r in rows)
    keys = [(r["modifiedOn"], r["id"]) for r in rows]
    assert keys == sorted(keys)
    caught_up = api.json(EXPORT_CUSTOMERS, **{"from": token})
    assert caught_up == {"hasMore": False, "continueFrom": token, "data": []}


def test_deleted_jobs_only_appear_in_the_export(api: Api) -> None:
    rows, _token, _calls = _drain(api, EXPORT_JOBS)
    deleted = [r for r in rows if r["active"] is False]
    assert deleted
    listed = api.get(f"/jpm/v2/tenant/{{tenant}}/jobs/{deleted[0]['id']}")
    assert listed.status_code == 404


def test_a_date_in_from_starts_at_that_modified_on(api: Api) -> None:
    rows, _token, _calls = _drain(api, EXPORT_JOBS, **{"from": "2026-02-01"})
    assert rows and min(r["modifiedOn"] for r in rows) >= "2026-02-01T00:00:00Z"
    everything, _t, _c = _drain(api, EXPORT_JOBS)
    assert len(rows) == sum(1 for r in everything if r["modifiedOn"] >= "2026-02-01T00:00:00Z")


def test_include_recent_changes_may_repeat_records_but_loses_none(small_batches: Api) -> None:
    api = small_batches
    plain, _t, _c = _drain(api, EXPORT_CUSTOMERS)
    recent, _t2, _c2 = _drain(api, EXPORT_CUSTOMERS, includeRecentChanges="true")
    assert len(recent) > len(plain)
    assert {r["id"] for r in recent} == {r["id"] for r in plain}


def test_changes_after_a_checkpoint_appear_on_the_next_call() -> None:
    sandbox = Sandbox(seed=5, anchor=ANCHOR, clock=FakeClock(ANCHOR), rate_limit=0)
    api = make_api("embedded", sandbox, None)
    _rows, checkpoint, _calls = _drain(api, EXPORT_JOBS)
    job_id = api.json("/jpm/v2/tenant/{tenant}/jobs", pageSize=1)["data"][0]["id"]
    patched = api.send(
        "PATCH", f"/jpm/v2/tenant/{{tenant}}/jobs/{job_id}", json={"summary": "Customer called back"}
    )
    assert patched.status_code == 200
    body = api.json(EXPORT_JOBS, **{"from": checkpoint})
    assert [r["id"] for r in body["data"]] == [job_id]
    assert body["data"][0]["summary"] == "Customer called back" and body["hasMore"] is False
    assert api.json(EXPORT_JOBS, **{"from": body["continueFrom"]})["data"] == []


def test_a_token_from_another_feed_or_garbage_gives_400(api: Api) -> None:
    token = api.json(EXPORT_CUSTOMERS)["continueFrom"]
    for bad in (token, "not-a-token"):
        response = api.get(EXPORT_JOBS, **{"from": bad})
        assert response.status_code == 400
        assert "from" in response.json()["errors"]


def test_export_of_a_generic_resource_answers(api: Api) -> None:
    body = api.json("/inventory/v2/tenant/{tenant}/export/purchase-orders")
    assert body["data"] and body["hasMore"] is False

"""Paging options out of range are refused before any request, with one clear error whatever the value."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from stnb import ValidationError
from stnb._connection import AsyncConnection, Connection
from stnb._paging import PageIterator, PagingOptionError

from .conftest import FakeApi, job

JOBS = "/jpm/v2/tenant/{tenant}/jobs"


@pytest.fixture(autouse=True)
def jobs(fake: FakeApi) -> None:
    fake.lists[fake.path(JOBS)] = [job(i) for i in range(1, 31)]


@pytest.mark.parametrize("size", [0, -5, 5001])
def test_a_page_size_outside_1_to_5000_is_refused_the_same_way(
    conn: Connection, fake: FakeApi, size: int
) -> None:
    with pytest.raises(ValidationError) as info:
        conn.frame("jpm/jobs", page_size=size)
    assert f"pageSize must be between 1 and 5000, got {size}" in str(info.value)
    assert info.value.status is None and "pageSize" in info.value.errors
    assert fake.requests == []


def test_page_size_zero_is_refused_by_every_list_method(conn: Connection, fake: FakeApi) -> None:
    for call in (
        lambda: conn.pages("jpm/jobs", page_size=0),
        lambda: conn.items("jpm/jobs", page_size=0),
        lambda: conn.to_parquet("jpm/jobs", "never.parquet", page_size=0),
    ):
        with pytest.raises(ValidationError, match="between 1 and 5000, got 0"):
            call()
    assert fake.requests == []


def test_page_size_zero_is_refused_by_the_async_connection(aconn: AsyncConnection, fake: FakeApi) -> None:
    async def run() -> None:
        async with aconn:
            await aconn.frame("jpm/jobs", page_size=0)

    with pytest.raises(ValidationError, match="between 1 and 5000, got 0"):
        asyncio.run(run())
    assert fake.requests == []


def test_the_connection_default_page_size_applies_only_when_none_is_given(
    conn: Connection, fake: FakeApi
) -> None:
    conn.frame("jpm/jobs")
    conn.frame("jpm/jobs", page_size=7)
    assert [p["pageSize"] for p in fake.api_requests(JOBS) if p.get("page") == "1"] == ["500", "7"]


@pytest.mark.parametrize("value", [0, -1, True, 2.5])
def test_max_pages_out_of_range_is_a_validation_error(conn: Connection, fake: FakeApi, value: Any) -> None:
    with pytest.raises(PagingOptionError) as info:
        conn.frame("jpm/jobs", max_pages=value)
    assert isinstance(info.value, ValidationError) and isinstance(info.value, ValueError)
    assert f"max_pages must be a whole number of at least 1, got {value!r}" in str(info.value)
    assert list(info.value.errors) == ["max_pages"]
    assert fake.requests == []


def test_concurrency_below_one_is_refused(conn: Connection) -> None:
    endpoint = conn.resource("jpm/jobs").endpoint("list")
    with pytest.raises(PagingOptionError, match="concurrency must be a whole number of at least 1, got 0"):
        PageIterator(conn.client, endpoint, [{}], resource="jpm/jobs", concurrency=0)


def test_export_since_a_naive_datetime_fails_before_any_request(conn: Connection, fake: FakeApi) -> None:
    """Found by the property test: a naive datetime escaped as an internal ValueError subclass."""
    from datetime import datetime

    with pytest.raises(ValidationError, match="no time zone"):
        next(iter(conn.export("jpm/jobs", since=datetime(2026, 1, 1))))
    assert fake.api_requests("/jpm/v2/tenant/{tenant}/export/jobs") == []

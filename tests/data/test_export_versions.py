"""Exports in flat memory: the compact record of handed-out versions (`stnb._seen.SeenVersions`) answers
like a plain dict, the feed still drops duplicates keeping the newest `modifiedOn` across many batches and
blocks, the next batch is asked for while the current one is handed out, and `to_parquet(export=True)`
keeps one row per id, the newest."""

from __future__ import annotations

import functools
import random
import threading
from pathlib import Path
from typing import Any

import httpx2
import polars as pl
import pytest

import stnb._paging.export
from stnb._connection import Connection
from stnb._frames import ParquetSink
from stnb._seen import SeenVersions, _parse_all, micros

from .conftest import FakeApi, job

EXPORT = "/jpm/v2/tenant/{tenant}/export/jobs"

MOMENTS = [
    "2025-03-01T10:00:00Z",
    "2025-03-01T10:00:00.5Z",
    "2025-03-01T10:00:00.1234567Z",
    "2025-03-01T11:00:00+01:00",  # the same moment as the first, with an offset
    "2025-03-02",
    "2025-03-01T10:00:00",
    "2025-02-30T00:00:00Z",  # no such day
    "2025-03-01T23:59:60Z",  # leap second: refused as by parse_rfc3339
    "2025-03-01T24:00:00Z",
    " 2025-03-01T10:00:00Z",
    "not a date",
    "",
    None,
    12,
]


def test_vectorised_parsing_reads_every_layout_as_parse_rfc3339() -> None:
    assert _parse_all(MOMENTS) == [micros(m) for m in MOMENTS]
    assert micros("2025-03-01T10:00:00Z") == micros("2025-03-01T11:00:00+01:00") is not None
    assert micros(20250301) is None, "only text is a moment"


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_seen_versions_answer_like_a_dict_across_blocks_and_merges(seed: int) -> None:
    rng = random.Random(seed)
    seen = SeenVersions(block=8)  # tiny blocks: many runs, merges and lookups across them
    reference: dict[Any, int | None] = {}
    keys: list[Any] = [*range(300), 2**63 + 5, -(2**63) - 1, "A-17", "B-2", 10**30]
    for _ in range(60):
        batch = rng.sample(keys, 12)
        previous = seen.previous(batch)
        assert previous == {k: reference[k] for k in batch if k in reference}
        for key in batch:
            raw = rng.choice(MOMENTS)
            seen.add(key, raw, again=key in reference)
            reference[key] = micros(raw)
    assert len(seen) == len(reference)
    assert seen.previous(keys) == reference


def test_seen_versions_keep_about_sixteen_bytes_per_id() -> None:
    seen = SeenVersions(block=1024)
    for key in range(50_000):
        seen.add(key, "2025-03-01T10:00:00Z")
    stored = sum(run.estimated_size() for run in seen._runs)
    assert stored <= 16 * 50_000
    assert len(seen._recent) < 1024


@pytest.fixture
def small_blocks(monkeypatch: pytest.MonkeyPatch) -> None:
    """Exports remember versions in blocks of 3 ids, so a few batches cross several runs."""
    monkeypatch.setattr(stnb._paging.export, "SeenVersions", functools.partial(SeenVersions, block=3))


def test_export_keeps_the_newest_version_across_batches_and_blocks(
    conn: Connection, fake: FakeApi, small_blocks: None
) -> None:
    fake.exports[fake.path(EXPORT)] = [
        *(job(i, "2025-03-01T10:00:00Z") for i in range(1, 13)),
        job(2, "2025-03-01T09:00:00Z"),  # older than delivered: dropped
        job(5, "2025-03-01T10:00:00Z"),  # the same version again: dropped
        job(7, "2025-03-03T00:00:00Z"),  # newer: delivered again
        job(7, "2025-03-02T00:00:00Z"),  # older than the one just delivered: dropped
        job(1, "2025-03-04T00:00:00.25Z"),  # newer: delivered again
        job(13, "2025-03-01T10:00:00Z"),
    ]
    fake.export_batch = 4
    cursor = conn.export("jpm/jobs")
    items = [(r["id"], r["modifiedOn"]) for r in cursor.items()]
    assert items == [
        *((i, "2025-03-01T10:00:00Z") for i in range(1, 13)),
        (7, "2025-03-03T00:00:00Z"),
        (1, "2025-03-04T00:00:00.25Z"),
        (13, "2025-03-01T10:00:00Z"),
    ]
    assert cursor.repeated_ids == frozenset({1, 7})


def test_export_to_parquet_keeps_one_row_per_id_the_newest(
    conn: Connection, fake: FakeApi, small_blocks: None, tmp_path: Path
) -> None:
    fake.exports[fake.path(EXPORT)] = [
        *(job(i, "2025-03-01T10:00:00Z") for i in range(1, 9)),
        job(3, "2025-03-02T00:00:00Z"),
        job(3, "2025-03-01T00:00:00Z"),
        job(9, "2025-03-01T10:00:00Z"),
    ]
    path = conn.to_parquet("jpm/jobs", tmp_path / "jobs.parquet", export=True)
    frame = pl.read_parquet(path)
    assert frame["id"].to_list() == [1, 2, 4, 5, 6, 7, 8, 3, 9], "the older row of 3 is dropped, order kept"
    newest = frame.filter(pl.col("id") == 3)["modifiedOn"].item()
    assert newest.isoformat() == "2025-03-02T00:00:00+00:00"
    assert conn.last_query is not None and conn.last_query.rows == 9


def test_export_asks_for_the_next_batch_before_the_current_one_is_used(
    conn: Connection, fake: FakeApi
) -> None:
    fake.exports[fake.path(EXPORT)] = [job(i) for i in range(1, 11)]
    second_asked = threading.Event()

    def watch(request: httpx2.Request, params: dict[str, str]) -> httpx2.Response | None:
        if params.get("from") == "pos:4":
            second_asked.set()
        return None  # answered as usual

    fake.override = watch
    batches = iter(conn.export("jpm/jobs"))
    first = next(batches)
    # Holding the first batch, the second is already on its way (a worker thread sends it).
    assert second_asked.wait(timeout=10), "the next batch was not asked for while the first was in use"
    assert [r["id"] for r in first] == [1, 2, 3, 4]
    assert [[r["id"] for r in b] for b in batches] == [[5, 6, 7, 8], [9, 10]]
    assert [p.get("from") for p in fake.api_requests(EXPORT)] == [None, "pos:4", "pos:8"]


def test_parquet_sink_with_repeated_keys_drops_only_their_older_rows(tmp_path: Path) -> None:
    frames = [
        pl.DataFrame({"id": [1, 2, 3], "v": ["a", "b", "c"]}),
        pl.DataFrame({"id": [2, 4, 4], "v": ["b2", "d", "d2"]}),
    ]
    with ParquetSink(tmp_path / "told.parquet", unique_by="id") as sink:
        for frame in frames:
            sink.write(frame)
        sink.only_repeated({2})
    told = pl.read_parquet(sink.path)
    assert told.rows() == [(1, "a"), (3, "c"), (2, "b2"), (4, "d"), (4, "d2")], "only the keys it was told"
    assert sink.rows == 5
    with ParquetSink(tmp_path / "all.parquet", unique_by="id") as full:
        for frame in frames:
            full.write(frame)
    assert pl.read_parquet(full.path).rows() == [(1, "a"), (3, "c"), (2, "b2"), (4, "d2")]
    assert full.rows == 4
    with ParquetSink(tmp_path / "none.parquet", unique_by="id") as untouched:
        for frame in frames:
            untouched.write(frame)
        untouched.only_repeated(frozenset())
    assert pl.read_parquet(untouched.path).height == 6

"""Typed frames from JSON records and bounded-memory Parquet/CSV streaming."""

from __future__ import annotations

import gc
import re
import warnings
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import polars as pl
import pytest

from stnb._frames import (
    DATETIME,
    MONEY,
    ParquetSink,
    SchemaDriftWarning,
    polars_dtype,
    polars_schema,
    to_frame,
)
from stnb.catalog import load_catalog

FIELDS: dict[str, Any] = {
    "id": "int64",
    "count": "int32",
    "ratio": "float64",
    "ok": "bool",
    "name": "string",
    "status": {"enum": ["A", "B"]},
    "when": "datetime",
    "day": "date",
    "total": "money",
    "quantity": "decimal_string",
    "tags": {"list": "int64"},
    "customFields": {"list": {"struct": {"typeId": "int64", "at": "datetime"}}},
    "customer": {"struct": {"id": "int64", "since": "datetime", "phones": {"list": "string"}}},
    "raw": {"list": "json"},
}


def record(**overrides: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "id": 9_000_000_001,
        "count": 3,
        "ratio": 1,
        "ok": True,
        "name": "Ann",
        "status": "A",
        "when": "2025-06-01T12:00:00Z",
        "day": "2025-06-01",
        "total": "1234.50",
        "quantity": "2.125",
        "tags": [1, 2],
        "customFields": [{"typeId": 7, "at": "2025-06-01T12:00:00.1234567Z"}],
        "customer": {"id": 5, "since": "2024-01-01T00:00:00+02:00", "phones": ["555"]},
        "raw": [{"k": [1]}, "x"],
    }
    base.update(overrides)
    return base


def test_schema_maps_every_catalog_type() -> None:
    schema = polars_schema(FIELDS)
    assert schema["id"] == pl.Int64
    assert schema["count"] == pl.Int32
    assert schema["ratio"] == pl.Float64
    assert schema["ok"] == pl.Boolean
    assert schema["status"] == pl.String
    assert schema["when"] == pl.Datetime("us", "UTC")
    assert schema["day"] == pl.Date
    assert schema["total"] == pl.Decimal(18, 2)
    assert schema["quantity"] == pl.Decimal(18, 6)
    assert schema["tags"] == pl.List(pl.Int64)
    assert schema["customer"] == pl.Struct({"id": pl.Int64, "since": DATETIME, "phones": pl.List(pl.String)})
    assert polars_dtype("json") == pl.String


def test_frame_has_the_explicit_schema_and_parsed_values() -> None:
    df = to_frame([record(), record(id=2, tags=[], customFields=None, customer=None)], FIELDS)
    assert df.schema == polars_schema(FIELDS)
    first = df.row(0, named=True)
    assert first["id"] == 9_000_000_001
    assert first["when"] == datetime(2025, 6, 1, 12, tzinfo=UTC)
    assert first["day"] == date(2025, 6, 1)
    assert first["total"] == Decimal("1234.50")
    assert first["quantity"] == Decimal("2.125")
    assert first["customFields"][0]["at"] == datetime(2025, 6, 1, 12, 0, 0, 123456, tzinfo=UTC)
    assert first["customer"]["since"] == datetime(2023, 12, 31, 22, tzinfo=UTC)
    assert first["raw"] == ['{"k": [1]}', '"x"']
    second = df.row(1, named=True)
    assert second["tags"] == [] and second["customFields"] is None and second["customer"] is None


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2025-06-01T12:00:00Z", datetime(2025, 6, 1, 12, tzinfo=UTC)),
        ("2025-06-01T12:00:00.5Z", datetime(2025, 6, 1, 12, 0, 0, 500000, tzinfo=UTC)),
        ("2025-06-01T12:00:00-05:00", datetime(2025, 6, 1, 17, tzinfo=UTC)),
        ("2025-06-01T12:00:00", datetime(2025, 6, 1, 12, tzinfo=UTC)),
        ("2025-06-01T12:00:00.1234567", datetime(2025, 6, 1, 12, 0, 0, 123456, tzinfo=UTC)),
        ("2025-06-01", datetime(2025, 6, 1, tzinfo=UTC)),
        ("not a date", None),
    ],
)
def test_datetime_variants(text: str, expected: datetime | None) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error" if expected is not None else "ignore", SchemaDriftWarning)
        assert to_frame([{"when": text}], {"when": "datetime"})["when"][0] == expected


def test_bad_cells_become_null_instead_of_failing() -> None:
    bad = record(id="abc", count="x", ok="maybe", when=12, total="lots", tags=[1, "x"], customer={"id": "?"})
    with pytest.warns(SchemaDriftWarning, match=r"set to null: count \(1\), customer\.id \(1\), id \(1\)"):
        df = to_frame([record(), bad], FIELDS, resource="test/bad-cells")
    row = df.row(1, named=True)
    assert row["id"] is None and row["count"] is None and row["when"] is None and row["total"] is None
    assert row["tags"] == [1, None]
    assert row["customer"]["id"] is None
    assert df.row(0, named=True)["id"] == 9_000_000_001


def test_unknown_fields_are_kept_and_reported_once_per_resource() -> None:
    records = [record(extraFlag=True, extraText="x")]
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        first = to_frame(records, FIELDS, resource="test/drift-once")
        again = to_frame(records, FIELDS, resource="test/drift-once")
        later = to_frame([record(extraFlag=False, another=1)], FIELDS, resource="test/drift-once")
    messages = [str(w.message) for w in caught if issubclass(w.category, SchemaDriftWarning)]
    assert messages == [
        "test/drift-once: fields not in the catalog kept as inferred columns: extraFlag, extraText",
        "test/drift-once: fields not in the catalog kept as inferred columns: another",
    ]
    assert first["extraFlag"].to_list() == [True] and again.columns == first.columns
    assert later["another"].to_list() == [1]


def test_empty_input_gives_an_empty_typed_frame() -> None:
    df = to_frame([], FIELDS)
    assert df.height == 0 and df.schema == polars_schema(FIELDS)


def test_accounting_money_from_the_catalog_is_decimal() -> None:
    invoices = load_catalog().resolve("accounting/invoices")
    df = to_frame(
        [
            {
                "id": 1,
                "total": "10.10",
                "items": [{"id": 2, "price": "3.35"}],
                "createdOn": "2025-01-01T00:00:00Z",
            }
        ],
        invoices.fields,
    )
    assert df.schema["total"] == MONEY
    assert df["total"][0] == Decimal("10.10")
    assert df["items"][0][0]["price"] == Decimal("3.35")
    assert df.schema["createdOn"] == DATETIME


def test_parquet_sink_streams_parts_and_combines_atomically(tmp_path: Path) -> None:
    target = tmp_path / "out.parquet"
    with ParquetSink(target, schema=polars_schema(FIELDS)) as sink:
        for start in range(0, 30, 10):
            sink.write(to_frame([record(id=i) for i in range(start, start + 10)], FIELDS))
            assert not target.exists()
    back = pl.read_parquet(target)
    assert back.height == 30 and sink.rows == 30
    assert back.schema == polars_schema(FIELDS)
    assert back["id"].to_list() == list(range(30))
    assert [p.name for p in tmp_path.iterdir()] == ["out.parquet"]


def test_parquet_sink_keeps_the_newest_row_per_id(tmp_path: Path) -> None:
    target = tmp_path / "dedup.parquet"
    with ParquetSink(target, unique_by="id") as sink:
        sink.write(pl.DataFrame({"id": [1, 2], "v": ["old", "a"]}))
        sink.write(pl.DataFrame({"id": [1, 3], "v": ["new", "b"]}))
    back = pl.read_parquet(target)
    assert dict(zip(back["id"], back["v"], strict=True)) == {1: "new", 2: "a", 3: "b"}
    assert sink.rows == 3


def test_parquet_sink_abort_leaves_nothing(tmp_path: Path) -> None:
    target = tmp_path / "fail.parquet"
    with pytest.raises(RuntimeError), ParquetSink(target) as sink:
        sink.write(pl.DataFrame({"id": [1]}))
        raise RuntimeError("network died")
    assert list(tmp_path.iterdir()) == []


def test_parquet_sink_with_no_batches_writes_the_schema(tmp_path: Path) -> None:
    target = tmp_path / "empty.parquet"
    ParquetSink(target, schema=polars_schema(FIELDS)).close()
    assert pl.read_parquet(target).schema == polars_schema(FIELDS)


def test_csv_output_holds_nested_values_as_json(tmp_path: Path) -> None:
    target = tmp_path / "out.csv"
    with ParquetSink(target) as sink:
        sink.write(to_frame([record(), record(id=2, tags=None, customer=None)], FIELDS))
    back = pl.read_csv(target)
    assert back["tags"].to_list() == ["[1,2]", None]
    assert back["customer"][0].startswith('{"id":5')
    assert back["total"].to_list() == [1234.5, 1234.5]


def test_csv_sink_with_no_batches_writes_the_header(tmp_path: Path) -> None:
    target = tmp_path / "empty.csv"
    sink = ParquetSink(target, schema=polars_schema({"id": "int64", "name": "string"}))
    sink.close()
    assert target.read_text().strip() == "id,name"
    assert sink.rows == 0


NESTED: dict[str, Any] = {
    "id": "int64",
    "items": {
        "list": {
            "struct": {
                "id": "int64",
                "price": "money",
                "at": "datetime",
                "account": {"struct": {"id": "int64", "name": "string"}},
            }
        }
    },
    "lead": {"struct": {"jobId": "int64", "on": "date"}},
    "tags": {"list": "int64"},
}


def item(n: int, **overrides: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "id": n,
        "price": f"{n}.25",
        "at": "2025-06-01T12:00:00Z",
        "account": {"id": n * 10, "name": f"acct {n}"},
    }
    base.update(overrides)
    return base


def test_nested_lists_keep_order_empties_nulls_and_bad_cells() -> None:
    records = [
        {"id": 1, "items": [item(1), item(2)], "lead": {"jobId": 7, "on": "2025-01-02"}, "tags": [3]},
        {"id": 2, "items": [], "lead": None, "tags": []},
        {"id": 3, "items": None, "lead": "oops", "tags": None},
        {"id": 4, "items": "oops", "lead": {"jobId": "x"}, "tags": [1, "x", 2]},
        {"id": 5, "items": [item(5, account=None, price="lots", at=None)], "lead": {}, "tags": [9]},
    ]
    expected = (
        r"set to null: items \(1\), items\[\]\.price \(1\), lead \(1\), lead\.jobId \(1\), tags\[\] \(1\)"
    )
    with pytest.warns(SchemaDriftWarning, match=expected):
        df = to_frame(records, NESTED, resource="test/nested-bad-cells")
    assert df.schema == polars_schema(NESTED)
    assert df["id"].to_list() == [1, 2, 3, 4, 5]
    items = df["items"].to_list()
    assert [None if v is None else [i["id"] for i in v] for v in items] == [[1, 2], [], None, None, [5]]
    assert items[0][1] == {
        "id": 2,
        "price": Decimal("2.25"),
        "at": datetime(2025, 6, 1, 12, tzinfo=UTC),
        "account": {"id": 20, "name": "acct 2"},
    }
    assert items[4][0] == {"id": 5, "price": None, "at": None, "account": None}
    assert df["lead"].to_list() == [
        {"jobId": 7, "on": date(2025, 1, 2)},
        None,
        None,
        {"jobId": None, "on": None},
        {"jobId": None, "on": None},
    ]
    assert df["tags"].to_list() == [[3], [], None, [1, None, 2], [9]]


def test_nested_fields_empty_across_the_batch_keep_empty_versus_null() -> None:
    df = to_frame(
        [{"id": 1, "items": [], "lead": None, "tags": None}, {"id": 2, "items": None, "tags": []}], NESTED
    )
    assert df.schema == polars_schema(NESTED)
    assert df["items"].to_list() == [[], None]
    assert df["tags"].to_list() == [None, []]
    assert df["lead"].to_list() == [None, None]


def test_records_with_different_key_orders_or_missing_keys_load_alike() -> None:
    same = [record(id=i) for i in range(4)]
    shuffled = [dict(reversed(list(r.items()))) if i % 2 else r for i, r in enumerate(same)]
    sparse = [{k: v for k, v in r.items() if k != "name" or i != 2} for i, r in enumerate(same)]
    expected = to_frame(same, FIELDS)
    assert to_frame(shuffled, FIELDS).equals(expected)
    assert to_frame(sparse, FIELDS)["name"].to_list() == ["Ann", "Ann", None, "Ann"]
    assert to_frame(sparse, FIELDS).drop("name").equals(expected.drop("name"))


def test_unknown_fields_are_kept_in_row_order_whatever_the_layouts() -> None:
    records = [{"id": 1, "zNew": "a"}, {"zNew": "b", "id": 2}, {"id": 3}]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SchemaDriftWarning)
        df = to_frame(records, {"id": "int64"}, resource="test/drift-layouts")
    assert df.columns == ["id", "zNew"]
    assert df.rows() == [(1, "a"), (2, "b"), (3, None)]


def test_values_of_the_wrong_container_type_become_null_and_are_reported() -> None:
    records = [{"tags": {"a": 1}, "customer": [1, 2], "name": {"x": 1}}, {"tags": [4]}]
    with pytest.warns(SchemaDriftWarning) as caught:
        df = to_frame(records, FIELDS, resource="test/wrong-containers")
    messages = [str(w.message) for w in caught]
    assert any(re.search(r"set to null: customer \(1\), tags \(1\)", m) for m in messages), messages
    assert any("another type than documented were kept as text: name (1 object)" in m for m in messages)
    assert df["tags"].to_list() == [None, [4]]
    assert df["customer"].to_list() == [None, None]
    assert df["name"].to_list() == ['{"x":1}', None], "an object in a text field is kept as its JSON text"
    assert df.height == 2


def test_records_that_are_not_objects_are_skipped() -> None:
    df = to_frame([record(id=1), "junk", None, record(id=2)], FIELDS)  # type: ignore[list-item]
    assert df["id"].to_list() == [1, 2]


def test_conversion_leaves_the_garbage_collector_as_it_found_it() -> None:
    assert gc.isenabled()
    to_frame([record()], FIELDS)
    assert gc.isenabled()
    gc.disable()
    try:
        to_frame([record()], FIELDS)
        assert not gc.isenabled()
    finally:
        gc.enable()


def test_conversion_never_switches_the_garbage_collector(monkeypatch: pytest.MonkeyPatch) -> None:
    """No process-wide side effect on a call (issue 16): the collector is neither turned off nor on."""

    def switched(*_: object) -> None:
        raise AssertionError("to_frame switched the process-wide garbage collector")

    monkeypatch.setattr(gc, "disable", switched)
    monkeypatch.setattr(gc, "enable", switched)
    batch = [record(id=i) for i in range(200)]
    assert to_frame(batch, FIELDS)["id"].to_list() == list(range(200))


def test_concurrent_conversions_resume_the_garbage_collector_once_all_end() -> None:
    batch = [record(id=i) for i in range(200)]
    with ThreadPoolExecutor(max_workers=4) as pool:
        frames = list(pool.map(lambda _: to_frame(batch, FIELDS), range(16)))
    assert all(f["id"].to_list() == list(range(200)) for f in frames)
    assert gc.isenabled()

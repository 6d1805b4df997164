"""Typed frames lose nothing silently: precision, nested unknown fields, drifting types, misfit cells."""

from __future__ import annotations

import itertools
import warnings
from decimal import Decimal
from pathlib import Path
from typing import Any

import polars as pl
import pytest

from stnb._frames import DECIMAL, MONEY, ParquetSink, SchemaDriftWarning, concat_frames, to_frame
from stnb.catalog import FieldType

_names = itertools.count()

MONEYED: dict[str, FieldType] = {
    "id": "int64",
    "total": "money",
    "items": {"list": {"struct": {"id": "int64", "price": "money", "quantity": "decimal_string"}}},
}
NESTED: dict[str, FieldType] = {
    "id": "int64",
    "address": {"struct": {"city": "string"}},
    "tags": {"list": {"struct": {"name": "string"}}},
}


def resource() -> str:
    """A fresh resource name: the one-time warnings are per (resource, field) and per process."""
    return f"test/lossless-{next(_names)}"


def drift_messages(records: list[dict[str, Any]], fields: dict[str, FieldType], **kw: Any) -> list[str]:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        to_frame(records, fields, **kw)
    return [str(w.message) for w in caught if issubclass(w.category, SchemaDriftWarning)]


def test_money_within_two_decimals_keeps_the_documented_dtype() -> None:
    df = to_frame(
        [{"id": 1, "total": "12.30", "items": [{"id": 1, "price": "-0.05", "quantity": "1.5"}]}], MONEYED
    )
    assert df.schema["total"] == MONEY
    item = df["items"][0][0]
    assert (df["total"][0], item["price"], item["quantity"]) == (
        Decimal("12.30"),
        Decimal("-0.05"),
        Decimal("1.5"),
    )
    assert df.schema["items"] == pl.List(pl.Struct({"id": pl.Int64, "price": MONEY, "quantity": DECIMAL}))


def test_money_with_more_digits_is_kept_exactly_and_reported() -> None:
    name = resource()
    records = [{"id": 1, "total": "12.345", "items": [{"id": 7, "price": "-0.005", "quantity": "1.2345678"}]}]
    with pytest.warns(
        SchemaDriftWarning,
        match=r"kept exactly as Decimal\(38, 9\): items\[\]\.price, items\[\]\.quantity, total",
    ):
        df = to_frame(records, MONEYED, resource=name)
    item = df["items"][0][0]
    assert df["total"][0] == Decimal("12.345")
    assert item["price"] == Decimal("-0.005"), "no rounding, and the sign survives"
    assert item["quantity"] == Decimal("1.2345678")
    big = to_frame([{"id": 2, "total": "99999999999999999.99"}], MONEYED, resource=name)
    assert big["total"][0] == Decimal("99999999999999999.99"), "18 digits before the point do not become null"


def test_unreadable_money_becomes_null_and_is_counted() -> None:
    name = resource()
    messages = drift_messages([{"id": 1, "total": "n/a"}, {"id": 2, "total": "3.50"}], MONEYED, resource=name)
    assert messages == [f"{name}: values that do not fit the documented type were set to null: total (1)"]


def test_integer_fields_never_truncate() -> None:
    name = resource()
    records: list[dict[str, Any]] = [{"id": 3.7}, {"id": "4.5"}, {"id": 1}, {"id": 2.0}, {"id": " 7 "}]
    with pytest.warns(SchemaDriftWarning, match=r"set to null: id \(2\)"):
        df = to_frame(records, {"id": "int64"}, resource=name)
    assert df["id"].to_list() == [None, None, 1, 2, 7]


def test_numbers_in_text_fields_are_kept_as_json_text_and_reported_once() -> None:
    name = resource()
    records: list[dict[str, Any]] = [{"id": 1, "address": {"city": 12}}, {"id": 2, "address": {"city": "X"}}]
    kept = r"another type than documented were kept as text: address\.city \(1 integer\)"
    with pytest.warns(SchemaDriftWarning, match=kept):
        df = to_frame(records, NESTED, resource=name)
    assert df["address"].struct.field("city").to_list() == ["12", "X"]
    with warnings.catch_warnings():
        warnings.simplefilter("error", SchemaDriftWarning)
        again = to_frame(records, NESTED, resource=name)  # reported once per resource
    assert again.equals(df)


def test_unknown_fields_inside_objects_and_lists_are_kept_and_reported_once() -> None:
    name = resource()
    records = [
        {"id": 1, "address": {"city": "X", "county": "W"}, "tags": [{"name": "a", "color": "red"}]},
        {"id": 2, "address": {"city": "Y"}, "tags": []},
    ]
    with pytest.warns(SchemaDriftWarning, match=r"inferred columns: address\.county, tags\[\]\.color"):
        df = to_frame(records, NESTED, resource=name)
    assert df["address"].struct.field("county").to_list() == ["W", None]
    assert df["tags"][0].to_list() == [{"name": "a", "color": "red"}]
    assert drift_messages(records, NESTED, resource=name) == [], "told once per resource and field"


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        ([{"a": 1}, "a"], ['{"a":1}', '"a"']),
        ([[{"a": 1}], [1, "a"]], ['[{"a":1}]', '[1,"a"]']),
        ([True, 1], ["true", "1"]),
        ([[1], 5], ["[1]", "5"]),
    ],
)
def test_unknown_fields_of_mixed_types_are_json_text(values: list[Any], expected: list[str]) -> None:
    with pytest.warns(SchemaDriftWarning):
        df = to_frame([{"id": i, "x": v} for i, v in enumerate(values)], {"id": "int64"}, resource=resource())
    assert df.schema["x"] == pl.String and df["x"].to_list() == expected


def test_unknown_fields_of_one_type_keep_it() -> None:
    with pytest.warns(SchemaDriftWarning):
        df = to_frame(
            [{"id": 1, "n": 1}, {"id": 2, "n": 2.5}, {"id": 3, "n": None}],
            {"id": "int64"},
            resource=resource(),
        )
    assert df["n"].to_list() == [1.0, 2.5, None]


def _drifting_batches() -> list[pl.DataFrame]:
    name = resource()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SchemaDriftWarning)
        return [
            to_frame([{"id": 1, "x": 5}], {"id": "int64"}, resource=name),
            to_frame([{"id": 2, "x": {"a": 5}}], {"id": "int64"}, resource=name),
            to_frame([{"id": 3, "x": None}], {"id": "int64"}, resource=name),
        ]


def test_a_field_whose_type_drifts_between_batches_becomes_text_not_a_wrong_value() -> None:
    frame = concat_frames(_drifting_batches())
    assert frame["x"].to_list() == ["5", '{"a":5}', None]


def test_parquet_and_csv_keep_a_drifting_field(tmp_path: Path) -> None:
    for suffix in ("parquet", "csv"):
        path = tmp_path / f"out.{suffix}"
        with ParquetSink(path) as sink:
            for batch in _drifting_batches():
                sink.write(batch)
        back = pl.read_parquet(path) if suffix == "parquet" else pl.read_csv(path, infer_schema=False)
        assert back["x"].to_list() == ["5", '{"a":5}', None], suffix


def test_csv_writes_a_missing_object_as_an_empty_cell(tmp_path: Path) -> None:
    frame = to_frame(
        [{"id": 1, "address": None, "tags": None}, {"id": 2, "address": {"city": "X"}, "tags": []}], NESTED
    )
    path = tmp_path / "out.csv"
    with ParquetSink(path) as sink:
        sink.write(frame)
    back = pl.read_csv(path, infer_schema=False)
    assert back["address"].to_list() == [None, '{"city":"X"}']
    assert back["tags"].to_list() == [None, "[]"]


def test_a_silenced_conversion_does_not_use_up_the_warning() -> None:
    name = resource()
    records = [{"id": 1, "surprise": True}]
    assert drift_messages(records, {"id": "int64"}, resource=name, report=False) == []
    assert drift_messages(records, {"id": "int64"}, resource=name) == [
        f"{name}: fields not in the catalog kept as inferred columns: surprise"
    ]


def test_decimals_beyond_nine_places_are_rounded_and_reported() -> None:
    name = resource()
    with pytest.warns(SchemaDriftWarning, match=r"more than 9 decimal places were rounded to 9: total \(1\)"):
        df = to_frame(
            [{"id": 1, "total": "1.0000000001"}, {"id": 2, "total": "2.50"}], MONEYED, resource=name
        )
    assert df["total"].to_list() == [Decimal("1.00"), Decimal("2.50")]

"""JSON records -> typed polars frames with explicit schemas from the catalog, and Parquet streaming.

Field types map to dtypes as follows: int64/int32 -> Int64/Int32, float64 -> Float64, bool -> Boolean,
string and enum -> String, datetime -> Datetime("us", "UTC") (parsed from RFC3339 with or without
fractional seconds, "Z" or an offset; a value without an offset is read as UTC, as the API sends UTC),
date -> Date, money -> Decimal(18, 2), decimal_string -> Decimal(18, 6), {"list": T} -> List,
{"struct": ...} -> Struct, json -> String holding the value's JSON text.

`to_frame` is tolerant: a cell that does not fit its type becomes null instead of failing the page.
Fields the catalog does not know are kept as extra (inferred) columns and reported once per resource
with a `SchemaDriftWarning`.
"""

from __future__ import annotations

import json
import os
import shutil
import threading
import uuid
import warnings
from collections.abc import Mapping, Sequence
from itertools import chain
from pathlib import Path
from types import TracebackType
from typing import Any

import polars as pl
from polars.datatypes import DataTypeClass

from stnb.catalog import FieldType

__all__ = [
    "DATETIME",
    "DECIMAL",
    "MONEY",
    "ParquetSink",
    "SchemaDriftWarning",
    "polars_dtype",
    "polars_schema",
    "to_frame",
    "unknown_fields",
]

DATETIME = pl.Datetime("us", "UTC")
MONEY = pl.Decimal(18, 2)
DECIMAL = pl.Decimal(18, 6)

_SCALARS: dict[str, pl.DataType] = {
    "int64": pl.Int64(),
    "int32": pl.Int32(),
    "float64": pl.Float64(),
    "bool": pl.Boolean(),
    "string": pl.String(),
    "datetime": DATETIME,
    "date": pl.Date(),
    "money": MONEY,
    "decimal_string": DECIMAL,
    "json": pl.String(),
}
# Types that arrive as JSON strings and are converted by a polars expression after loading.
_PARSED = frozenset({"datetime", "date", "money", "decimal_string"})
_TZ_FORMAT = "%Y-%m-%dT%H:%M:%S%.f%#z"
_WHOLE_SECONDS_Z = "%Y-%m-%dT%H:%M:%SZ"
_NAIVE_FORMAT = "%Y-%m-%dT%H:%M:%S%.f"


class SchemaDriftWarning(UserWarning):
    """Records carried fields the catalog does not describe; they are kept as inferred columns."""


def polars_dtype(ftype: FieldType) -> pl.DataType:
    """The polars dtype for one catalog field type."""
    if isinstance(ftype, str):
        return _SCALARS.get(ftype, pl.String())
    if "enum" in ftype:
        return pl.String()
    if "list" in ftype:
        return pl.List(polars_dtype(ftype["list"]))
    if "struct" in ftype:
        return pl.Struct({name: polars_dtype(t) for name, t in ftype["struct"].items()})
    return pl.String()


def polars_schema(fields: Mapping[str, FieldType]) -> pl.Schema:
    """The polars schema for a resource's catalog fields, in catalog order."""
    return pl.Schema({name: polars_dtype(t) for name, t in fields.items()})


def unknown_fields(records: Sequence[Mapping[str, Any]], fields: Mapping[str, FieldType]) -> list[str]:
    """Keys present in the records that the catalog fields do not name, sorted."""
    keys: set[str] = set().union(*map(dict.keys, records)) if records else set()  # type: ignore[arg-type]
    return sorted(keys.difference(fields))


def to_frame(
    records: Sequence[Mapping[str, Any]],
    fields: Mapping[str, FieldType],
    *,
    resource: str | None = None,
) -> pl.DataFrame:
    """Build a typed DataFrame from JSON records: every catalog field as a column, extras appended.

    `resource` names the source in the one-time warning about unknown fields.
    """
    rows: list[dict[str, Any]] = [r for r in records if isinstance(r, dict)]
    extras = unknown_fields(rows, fields)
    flat = {n: t for n, t in fields.items() if not _is_list(t) and not _has_json(t)}
    columns = {s.name: s for s in _flat_columns(rows, flat)}
    for name, ftype in fields.items():
        if name not in flat:
            values = [r.get(name) for r in rows]
            if _has_json(ftype):
                values = [_encode_json(v, ftype) for v in values]
            columns[name] = _load(name, values, ftype)
    frame = pl.DataFrame([columns[name] for name in fields])
    if extras:
        _report_unknown(resource or "records", extras)
        frame = frame.hstack([_inferred(name, [r.get(name) for r in rows]) for name in extras])
    return frame


def _flat_columns(records: list[dict[str, Any]], flat: Mapping[str, FieldType]) -> list[pl.Series]:
    if not flat:
        return []
    raw = {name: _raw_dtype(t) for name, t in flat.items()}
    try:
        loaded = pl.from_dicts(records, schema=raw).get_columns() if records else _empty(raw)
    except (pl.exceptions.PolarsError, TypeError, ValueError, OverflowError):
        # Some cell has the wrong type: rebuild column by column, where bad cells become null.
        loaded = [
            _scalar_or_nested(name, [r.get(name) for r in records], dtype) for name, dtype in raw.items()
        ]
    return [_finish(series, flat[series.name]) for series in loaded]


def _empty(schema: Mapping[str, pl.DataType]) -> list[pl.Series]:
    return [pl.Series(name, [], dtype=dtype) for name, dtype in schema.items()]


def _load(name: str, values: list[Any], ftype: FieldType) -> pl.Series:
    """One column from its JSON values, in its final dtype."""
    if isinstance(ftype, dict) and "list" in ftype and not _is_list(ftype["list"]):
        return _list_column(name, values, ftype["list"])
    return _finish(_scalar_or_nested(name, values, _raw_dtype(ftype)), ftype)


def _scalar_or_nested(name: str, values: list[Any], dtype: pl.DataType) -> pl.Series:
    if isinstance(dtype, pl.Struct):
        return _struct_column(name, values, dtype)
    try:
        return pl.Series(name, values, dtype=dtype, strict=False)
    except (pl.exceptions.PolarsError, TypeError, ValueError, OverflowError):
        return pl.Series(name, [None] * len(values), dtype=dtype)


def _struct_column(name: str, values: list[Any], dtype: pl.Struct) -> pl.Series:
    try:
        return pl.Series(name, values, dtype=dtype, strict=False)
    except (pl.exceptions.PolarsError, TypeError, ValueError, OverflowError):
        dicts = [v if isinstance(v, dict) else None for v in values]
        parts = [
            _scalar_or_nested(f.name, [d.get(f.name) if d else None for d in dicts], _instance(f.dtype))
            for f in dtype.fields
        ]
        return _restruct(name, parts, pl.Series([d is not None for d in dicts]))


def _restruct(name: str, parts: list[pl.Series], valid: pl.Series) -> pl.Series:
    """A struct Series from its field Series, null where `valid` is false."""
    frame = pl.DataFrame(parts) if parts else pl.DataFrame(height=len(valid))
    return frame.select(pl.when(pl.lit(valid)).then(pl.struct(pl.all())).alias(name)).to_series()


def _finish(series: pl.Series, ftype: FieldType) -> pl.Series:
    """Turn a loaded (raw) column into its final dtype: parse datetimes, dates and decimals, recursively."""
    if isinstance(ftype, str):
        if ftype == "datetime":
            return _datetimes(series)
        if ftype == "date":
            return series.str.slice(0, 10).str.to_date("%Y-%m-%d", strict=False)
        if ftype in ("money", "decimal_string"):
            return series.cast(_SCALARS[ftype], strict=False)
        return series
    if "struct" in ftype:
        subtypes: Mapping[str, FieldType] = ftype["struct"]
        if not any(_needs_parsing(t) for t in subtypes.values()):
            return series
        parts = [_finish(part, subtypes[part.name]) for part in series.struct.unnest().get_columns()]
        return _restruct(series.name, parts, series.is_not_null())
    if "list" in ftype:
        inner = _convert(pl.element(), ftype["list"])
        return series if inner is None else series.list.eval(inner)
    return series


def _datetimes(series: pl.Series) -> pl.Series:
    # Cheapest first: ServiceTitan's usual whole-second "Z" layout, then one layout inferred from the
    # data, then every RFC3339 variant; each later pass runs only if the earlier one left values unparsed.
    parsed = series.str.to_datetime(_WHOLE_SECONDS_Z, time_unit="us", strict=False).dt.replace_time_zone(
        "UTC"
    )
    for fallback in (_inferred_layout, _parse_datetime):
        if not (parsed.is_null() & series.is_not_null()).any():
            break
        frame = pl.DataFrame({"parsed": parsed, "raw": series})
        parsed = frame.select(pl.coalesce(pl.col("parsed"), fallback(pl.col("raw")))).to_series()
    return parsed.alias(series.name)


def _inferred_layout(expr: pl.Expr) -> pl.Expr:
    return expr.str.to_datetime(time_unit="us", time_zone="UTC", strict=False)


def _needs_parsing(ftype: FieldType) -> bool:
    if isinstance(ftype, str):
        return ftype in _PARSED
    if "list" in ftype:
        return _needs_parsing(ftype["list"])
    if "struct" in ftype:
        return any(_needs_parsing(t) for t in ftype["struct"].values())
    return False


def _list_column(name: str, values: list[Any], inner_type: FieldType) -> pl.Series:
    """A List column built from one flat inner column plus row offsets: far faster than per-row lists."""
    lengths = [len(v) if type(v) is list else -1 for v in values]
    flat = list(chain.from_iterable(v for v in values if type(v) is list))
    inner_values = _load("v", flat, inner_type)
    inner = inner_values.dtype
    rows = pl.Series("row", range(len(values)), dtype=pl.Int64)
    lens = pl.Series("len", lengths, dtype=pl.Int64)
    grouped = (
        pl.DataFrame({"row": rows.repeat_by(lens.clip(0)).explode(empty_as_null=False), "v": inner_values})
        .group_by("row", maintain_order=True)
        .agg(pl.col("v"))
    )
    empty = pl.lit([], dtype=pl.List(inner))
    return (
        pl.DataFrame({"row": rows, "len": lens})
        .join(grouped, on="row", how="left", maintain_order="left")
        .select(
            pl.when(pl.col("len") < 0)
            .then(None)
            .when(pl.col("len") == 0)
            .then(empty)
            .otherwise(pl.col("v"))
            .alias(name)
        )
        .to_series()
    )


def _instance(dtype: pl.DataType | DataTypeClass) -> pl.DataType:
    return dtype() if isinstance(dtype, DataTypeClass) else dtype


def _inferred(name: str, values: list[Any]) -> pl.Series:
    try:
        return pl.Series(name, values, strict=False)
    except (pl.exceptions.PolarsError, TypeError, ValueError, OverflowError):
        return pl.Series(name, [None if v is None else json.dumps(v) for v in values], dtype=pl.String)


def _raw_dtype(ftype: FieldType) -> pl.DataType:
    """The dtype a field is loaded as: values parsed later (datetimes, decimals) load as strings."""
    if isinstance(ftype, str):
        return pl.String() if ftype in _PARSED else polars_dtype(ftype)
    if "list" in ftype:
        return pl.List(_raw_dtype(ftype["list"]))
    if "struct" in ftype:
        return pl.Struct({name: _raw_dtype(t) for name, t in ftype["struct"].items()})
    return pl.String()


def _convert(expr: pl.Expr, ftype: FieldType) -> pl.Expr | None:
    """The expression turning a loaded (raw) column into its final dtype; None when it is already final."""
    if isinstance(ftype, str):
        if ftype == "datetime":
            return _parse_datetime(expr)
        if ftype == "date":
            return expr.str.slice(0, 10).str.to_date("%Y-%m-%d", strict=False)
        if ftype in ("money", "decimal_string"):
            return expr.cast(_SCALARS[ftype], strict=False)
        return None
    if "list" in ftype:
        inner = _convert(pl.element(), ftype["list"])
        return None if inner is None else expr.list.eval(inner)
    if "struct" in ftype:
        subs = [
            sub.alias(name)
            for name, t in ftype["struct"].items()
            if (sub := _convert(pl.field(name), t)) is not None
        ]
        return expr.struct.with_fields(subs) if subs else None
    return None


def _parse_datetime(expr: pl.Expr) -> pl.Expr:
    with_offset = expr.str.to_datetime(_TZ_FORMAT, time_zone="UTC", time_unit="us", strict=False)
    naive = expr.str.to_datetime(_NAIVE_FORMAT, time_unit="us", strict=False).dt.replace_time_zone("UTC")
    date_only = expr.str.to_date("%Y-%m-%d", strict=False).cast(pl.Datetime("us")).dt.replace_time_zone("UTC")
    return pl.coalesce(with_offset, naive, date_only)


def _is_list(ftype: FieldType) -> bool:
    return isinstance(ftype, dict) and "list" in ftype


def _has_json(ftype: FieldType) -> bool:
    if isinstance(ftype, str):
        return ftype == "json"
    if "list" in ftype:
        return _has_json(ftype["list"])
    if "struct" in ftype:
        return any(_has_json(t) for t in ftype["struct"].values())
    return False


def _encode_json(value: Any, ftype: FieldType) -> Any:
    """Replace the values of json-typed (sub)fields by their JSON text; used only where the type has some."""
    if value is None:
        return None
    if isinstance(ftype, str):
        return json.dumps(value) if ftype == "json" else value
    if "list" in ftype:
        return [_encode_json(v, ftype["list"]) for v in value] if isinstance(value, list) else None
    if "struct" in ftype:
        if not isinstance(value, dict):
            return None
        return {k: _encode_json(v, ftype["struct"].get(k, "string")) for k, v in value.items()}
    return value


_reported: set[tuple[str, str]] = set()
_reported_lock = threading.Lock()


def _report_unknown(resource: str, names: list[str]) -> None:
    with _reported_lock:
        new = [n for n in names if (resource, n) not in _reported]
        _reported.update((resource, n) for n in new)
    if new:
        warnings.warn(
            f"{resource}: fields not in the catalog kept as inferred columns: {', '.join(new)}",
            SchemaDriftWarning,
            stacklevel=3,
        )


def _json_text(column: str, dtype: pl.DataType) -> pl.Expr:
    """Nested columns as JSON text, for formats (CSV) that only hold scalars."""
    if isinstance(dtype, pl.Struct):
        return pl.col(column).struct.json_encode()
    wrapped = pl.struct(pl.col(column).alias("v")).struct.json_encode()
    text = wrapped.str.strip_prefix('{"v":').str.strip_suffix("}")
    return pl.when(pl.col(column).is_null()).then(None).otherwise(text)


class ParquetSink:
    """Writes frames as they arrive and combines them into one file at `close()`, with bounded memory.

    Each `write` stores one Parquet part in a hidden directory next to `path`; `close` streams the parts
    into `path` (Parquet, or CSV when `path` ends in ".csv", nested columns as JSON text) through a
    temporary file and an atomic rename, so a failed pull never leaves a half-written file behind.
    `unique_by` keeps the last row per key (exports: later batches hold newer versions).
    """

    def __init__(
        self,
        path: str | os.PathLike[str],
        *,
        schema: pl.Schema | None = None,
        unique_by: str | None = None,
    ) -> None:
        self.path = Path(path)
        self.rows = 0
        self._schema = schema
        self._unique_by = unique_by
        self._parts: list[Path] = []
        self._dir = self.path.parent / f".{self.path.name}.parts-{uuid.uuid4().hex[:8]}"
        self._closed = False

    def write(self, frame: pl.DataFrame) -> None:
        """Store one batch on disk; it is not kept in memory."""
        if self._closed:
            raise ValueError(f"ParquetSink for {self.path} is already closed")
        if frame.height == 0 and self._parts:
            return
        self._write_part(frame)

    def _write_part(self, frame: pl.DataFrame) -> None:
        self._dir.mkdir(parents=True, exist_ok=True)
        part = self._dir / f"part-{len(self._parts):06d}.parquet"
        frame.write_parquet(part)
        self._parts.append(part)
        self.rows += frame.height

    def close(self) -> Path:
        """Combine the parts into `path` atomically and remove them; returns `path`."""
        if self._closed:
            return self.path
        self._closed = True
        try:
            if not self._parts:
                self._write_part(pl.DataFrame(schema=self._schema or {}))
            scans = [pl.scan_parquet(p) for p in self._parts]
            lazy = scans[0] if len(scans) == 1 else pl.concat(scans, how="diagonal_relaxed")
            if self._unique_by is not None:
                lazy = lazy.unique(subset=self._unique_by, keep="last", maintain_order=True)
                self.rows = int(lazy.select(pl.len()).collect().item())
            self.path.parent.mkdir(parents=True, exist_ok=True)
            tmp = self.path.parent / f".{self.path.name}.{uuid.uuid4().hex[:8]}.tmp"
            try:
                if self.path.suffix.lower() == ".csv":
                    schema = lazy.collect_schema()
                    nested = [
                        _json_text(name, dtype).alias(name)
                        for name, dtype in schema.items()
                        if isinstance(dtype, (pl.Struct, pl.List))
                    ]
                    lazy.with_columns(nested).sink_csv(tmp)
                else:
                    lazy.sink_parquet(tmp)
                os.replace(tmp, self.path)
            finally:
                tmp.unlink(missing_ok=True)
        finally:
            self._cleanup()
        return self.path

    def abort(self) -> None:
        """Drop every part written so far; `path` is left untouched."""
        self._closed = True
        self._cleanup()

    def _cleanup(self) -> None:
        shutil.rmtree(self._dir, ignore_errors=True)

    def __enter__(self) -> ParquetSink:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if exc_type is None:
            self.close()
        else:
            self.abort()

"""`to_frame`: JSON records -> typed polars frames with explicit schemas from the catalog.

Field types map to dtypes as follows: int64/int32 -> Int64/Int32, float64 -> Float64, bool -> Boolean,
string and enum -> String, datetime -> Datetime("us", "UTC") (parsed from RFC3339 with or without
fractional seconds, "Z" or an offset; a value without an offset is read as UTC, as the API sends UTC),
date -> Date, money -> Decimal(18, 2), decimal_string -> Decimal(18, 6), {"list": T} -> List,
{"struct": ...} -> Struct, json -> String holding the value's JSON text.

`to_frame` is tolerant and loses nothing silently:
- a cell that does not fit its type becomes null instead of failing the page (a fraction in an integer
  field is not truncated), and the column and count are reported once per resource; numbers, booleans
  and objects in a string field are kept as their JSON text;
- money or decimal strings with more digits than Decimal(18, 2) / Decimal(18, 6) hold keep every digit
  (up to 9 decimals; beyond that they are rounded to 9, reported) in a Decimal(38, 9) column for that
  batch, reported once;
- fields the catalog does not know, also inside nested objects, are kept (extra columns, or extra struct
  fields) and reported once per resource with a `SchemaDriftWarning`; an extra field whose values mix
  types is kept as JSON text;
- values of another JSON type than documented in a text field (an integer in a string enum, as the live
  API sends for `landedCostMethod`) are kept as their JSON text ("0"), reported once per resource; a
  date-time in a date field (`postDate` "2025-10-13T00:00:00") is read as its date, reported once (with
  how many had a time of day other than midnight, which a date cannot hold).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from contextlib import suppress
from itertools import chain, compress, repeat
from operator import is_not
from typing import Any, cast

import polars as pl

from stnb._frames.drift import Notes, report_drift
from stnb._frames.schema import SCALARS, polars_dtype
from stnb.catalog import FieldType
from stnb.catalog.order import field_order

__all__ = ["WIDE_DECIMAL", "to_frame"]


# Types that arrive as JSON strings and are converted by a polars expression after loading.
_PARSED = frozenset({"datetime", "date", "money", "decimal_string"})
_TZ_FORMAT = "%Y-%m-%dT%H:%M:%S%.f%#z"
_WHOLE_SECONDS_Z = "%Y-%m-%dT%H:%M:%SZ"
_NAIVE_FORMAT = "%Y-%m-%dT%H:%M:%S%.f"


def to_frame(
    records: Sequence[Mapping[str, Any]],
    fields: Mapping[str, FieldType],
    *,
    resource: str | None = None,
    report: bool = True,
) -> pl.DataFrame:
    """Build a typed DataFrame from JSON records: every catalog field as a column, extras appended.

    Columns come identity first (`stnb.catalog.order.field_order`: id, number/name, status, …Id keys,
    dates, the rest in catalog order), so `id`, `jobNumber` and `jobStatus` lead a jobs frame.

    `resource` names the source in the one-time warnings (unknown fields, cells that did not fit);
    `report=False` skips them, and they are then still given the first time they are not skipped.
    """
    notes = Notes()
    # The type check runs in C; the filtering comprehension only when something is not a dict.
    rows: list[dict[str, Any]] = (
        cast("list[dict[str, Any]]", list(records))
        if set(map(type, records)) <= {dict}
        else [r for r in records if isinstance(r, dict)]
    )
    frame = _typed_frame(rows, fields, notes)
    if report:
        report_drift(resource or "records", notes)
    return frame


def _typed_frame(rows: list[dict[str, Any]], fields: Mapping[str, FieldType], notes: Notes) -> pl.DataFrame:
    values, keys = _dict_columns(rows)
    missing = (None,) * len(rows)
    columns = []
    for name in field_order(fields):  # identity first: id, number/name, status, keys, dates, the rest
        ftype = fields[name]
        column = values.get(name, missing)
        if _has_json(ftype):
            column = [_encode_json(v, ftype) for v in column]
        columns.append(_column(name, column, ftype, notes, name))
    frame = pl.DataFrame(columns, height=len(rows))
    extras = sorted(keys.difference(fields))
    if extras:
        notes.unknown.extend(extras)
        frame = frame.hstack([_inferred(name, values[name]) for name in extras])
    return frame


def _dict_columns(rows: Sequence[dict[str, Any]]) -> tuple[dict[str, Sequence[Any]], set[str]]:
    """The values of every key, column by column, and the set of keys seen.

    JSON from one API nearly always lists the same keys in the same order; then every value goes into
    one flat list and each column is a strided slice of it, with no hash lookup per cell.
    """
    if not rows:
        return {}, set()
    layout = list(rows[0])
    width = len(layout)
    keys = list(chain.from_iterable(rows))
    # Every row repeats the first row's keys exactly when the key list is periodic with the first
    # row's width (a row cannot repeat a key); comparing each row with its neighbour hits the identity
    # fast path, because the JSON parser shares key strings within a page.
    if len(keys) == width * len(rows) and keys[width:] == keys[:-width]:
        cells = list(chain.from_iterable(map(dict.values, rows)))
        return {name: cells[i::width] for i, name in enumerate(layout)}, set(layout)
    names = set(keys)
    return {name: [r.get(name) for r in rows] for name in names}, names


def _column(name: str, values: Sequence[Any], ftype: FieldType, notes: Notes, path: str) -> pl.Series:
    """One column from its JSON values, in its final dtype; `path` names it in notes ("items[].total")."""
    if isinstance(ftype, dict):
        if "list" in ftype:
            return _list_column(name, values, ftype["list"], notes, path)
        if "struct" in ftype:
            return _struct_column(name, values, ftype["struct"], notes, path)
    if ftype == "string" or (isinstance(ftype, dict) and "enum" in ftype):
        values = _text_values(values, notes, path)
    raw = _scalar_column(name, values, _raw_dtype(ftype), notes, path)
    return _finish(raw, ftype, notes, path)


_JSON_TYPES = {int: "integer", float: "number", bool: "boolean", dict: "object", list: "array"}


def _text_values(values: Sequence[Any], notes: Notes, path: str) -> Sequence[Any]:
    """A text field's values, with values of another JSON type (an integer in a string enum, as the live
    API sends some) kept as their JSON text and counted by type in `notes`; one C-level scan when all is
    text."""
    if set(map(type, values)) <= {str, type(None)}:
        return values
    counts = notes.mistyped.setdefault(path, {})
    for value in values:
        if value is not None and type(value) is not str:
            kind = _JSON_TYPES.get(type(value), type(value).__name__)
            counts[kind] = counts.get(kind, 0) + 1
    return [v if v is None or type(v) is str else _to_text(v) for v in values]


def _scalar_column(
    name: str, values: Sequence[Any], dtype: pl.DataType, notes: Notes, path: str
) -> pl.Series:
    try:
        return pl.Series(name, values, dtype=dtype)
    except (pl.exceptions.PolarsError, TypeError, ValueError, OverflowError):
        pass
    # Some cell has another type: convert what converts without loss, null the rest and count it.
    fit: Callable[[Any], Any] = _FITTERS.get(type(dtype), _to_text)
    cells = [None if v is None else fit(v) for v in values]
    lost = sum(v is not None for v in values) - sum(c is not None for c in cells)
    try:
        series = pl.Series(name, cells, dtype=dtype, strict=False)
    except (pl.exceptions.PolarsError, TypeError, ValueError, OverflowError):
        series = pl.Series(name, [None] * len(values), dtype=dtype)
    lost += series.null_count() - sum(c is None for c in cells)
    if lost:
        notes.unfit[path] = notes.unfit.get(path, 0) + lost
    return series


def _to_int(value: Any) -> int | None:
    if type(value) is int or type(value) is bool:
        return int(value)
    if type(value) is float and value.is_integer():
        return int(value)
    if type(value) is str:
        with suppress(ValueError):
            return int(value.strip())
    return None  # a fraction, an object or text that is not a whole number: never truncated


def _to_float(value: Any) -> float | None:
    if type(value) in (int, float, bool):
        return float(value)
    if type(value) is str:
        with suppress(ValueError):
            return float(value)
    return None


def _to_bool(value: Any) -> bool | None:
    if type(value) is bool:
        return value
    if type(value) is str and value.strip().lower() in ("true", "false"):
        return value.strip().lower() == "true"
    return None


def _to_text(value: Any) -> str:
    """Text as it is; numbers, booleans, objects and lists as their JSON text (nothing dropped)."""
    return value if type(value) is str else _compact_json(value)


_FITTERS: dict[type, Callable[[Any], Any]] = {
    pl.Int64: _to_int,
    pl.Int32: _to_int,
    pl.Float64: _to_float,
    pl.Boolean: _to_bool,
    pl.String: _to_text,
}


def _struct_column(
    name: str, values: Sequence[Any], subtypes: Mapping[str, FieldType], notes: Notes, path: str
) -> pl.Series:
    """A Struct column: the objects' fields loaded column by column, null where a row has no object.

    Fields the catalog does not know are appended to the struct (inferred) and noted."""
    if values.count(None) == len(values):
        # Common for optional objects (lead source, batch): one C-level scan, nothing to load.
        dtype = pl.Struct({sub: polars_dtype(t) for sub, t in subtypes.items()})
        return pl.repeat(None, len(values), dtype=dtype, eager=True).alias(name)
    values, present = _present(values, dict, notes, path)
    dicts = values if present is None else list(compress(values, present))
    inner, keys = _dict_columns(dicts)
    missing = (None,) * len(dicts)
    parts = [_column(sub, inner.get(sub, missing), t, notes, f"{path}.{sub}") for sub, t in subtypes.items()]
    extras = sorted(keys.difference(subtypes))
    if extras:
        notes.unknown.extend(f"{path}.{sub}" for sub in extras)
        parts.extend(_inferred(sub, inner[sub]) for sub in extras)
    struct = pl.DataFrame(parts, height=len(dicts)).to_struct(name)
    if present is None:
        return struct
    # Rows without an object gather a null index, which gives a null struct.
    where = pl.select(pl.when(pl.lit(present)).then(pl.lit(present).cum_sum() - 1)).to_series()
    return struct.gather(where)


def _list_column(
    name: str, values: Sequence[Any], inner_type: FieldType, notes: Notes, path: str
) -> pl.Series:
    """A List column from one flat inner column plus row lengths: far faster than per-row lists."""
    empty = pl.repeat(pl.lit([], dtype=pl.List(polars_dtype(inner_type))), len(values))
    if values.count([]) == len(values):
        # Common for optional lists (tags, custom fields): one C-level scan, nothing to load.
        return pl.select(empty.alias(name)).to_series()
    values, present = _present(values, list, notes, path)
    if not any(values):
        return pl.select(
            (empty if present is None else pl.when(pl.lit(present)).then(empty)).alias(name)
        ).to_series()
    lists = values if present is None else list(compress(values, present))
    inner = _column(name, list(chain.from_iterable(lists)), inner_type, notes, f"{path}[]")
    lengths = pl.Series("len", list(map(len, lists)), dtype=pl.Int64)
    if present is not None:
        lengths = pl.zeros(len(values), pl.Int64, eager=True).scatter(present.arg_true(), lengths)
    # Each row gathers its slice of the flat column: one vectorised pass, no group-by or join.
    ends = lengths.cum_sum()
    slices = pl.int_ranges(pl.lit(ends - lengths), pl.lit(ends))
    if present is not None:
        slices = pl.when(pl.lit(present)).then(slices)
    return pl.select(pl.lit(inner.implode()).list.gather(slices).alias(name)).to_series()


def _present(
    values: Sequence[Any], kind: type, notes: Notes, path: str
) -> tuple[Sequence[Any], pl.Series | None]:
    """Values with cells of another type than `kind` set to None (counted in `notes`), and which rows
    hold a value.

    The mask is None when every row holds one; the checks run in C unless some cell has a wrong type.
    """
    if not set(map(type, values)) <= {kind, type(None)}:
        before = len(values) - values.count(None)
        values = [v if type(v) is kind else None for v in values]
        notes.unfit[path] = notes.unfit.get(path, 0) + before - (len(values) - values.count(None))
    if not values.count(None):
        return values, None
    return values, pl.Series("present", list(map(is_not, values, repeat(None))), dtype=pl.Boolean)


def _finish(series: pl.Series, ftype: FieldType, notes: Notes, path: str) -> pl.Series:
    """Turn a loaded (raw) scalar column into its final dtype: parse datetimes, dates and decimals."""
    if ftype == "datetime":
        parsed = _datetimes(series)
    elif ftype == "date":
        parsed = series.str.slice(0, 10).str.to_date("%Y-%m-%d", strict=False)
        _note_date_times(series, notes, path)
    elif ftype in ("money", "decimal_string"):
        parsed = _decimals(series, SCALARS[str(ftype)], notes, path)
    else:
        return series
    lost = parsed.null_count() - series.null_count()
    if lost:
        notes.unfit[path] = notes.unfit.get(path, 0) + lost
    return parsed


def _note_date_times(series: pl.Series, notes: Notes, path: str) -> None:
    """Count date-times in a date field (read as their date), and those whose time of day is not 00:00."""
    longer = series.str.len_bytes() > 10
    if not longer.any():
        return
    timed = series.filter(longer).str.slice(10).str.contains(r"[1-9]")
    seen = notes.dated.setdefault(path, [0, 0])
    seen[0] += int(longer.sum())
    seen[1] += int(timed.sum())


WIDE_DECIMAL = pl.Decimal(38, 9)


def _decimals(text: pl.Series, dtype: pl.DataType, notes: Notes, path: str) -> pl.Series:
    """Decimal strings in `dtype` when every value fits it exactly, else in Decimal(38, 9) (noted)."""
    wide = text.cast(WIDE_DECIMAL, strict=False)
    rounded = int(text.str.contains(r"\.\d{10}").sum())  # more decimals than even Decimal(38, 9) holds
    if rounded:
        notes.rounded[path] = notes.rounded.get(path, 0) + rounded
    narrow = wide.cast(dtype, strict=False)
    # Equal null counts and equal values after widening back: the narrow column lost nothing.
    if narrow.null_count() == wide.null_count() and bool((narrow.cast(WIDE_DECIMAL) == wide).all()):
        return narrow
    notes.widened.append(path)
    return wide


def _datetimes(series: pl.Series) -> pl.Series:
    # Cheapest first: ServiceTitan's usual whole-second "Z" layout, then one layout inferred from the
    # data, then every RFC3339 variant; each later pass runs only if the earlier one left values unparsed.
    parsed = series.str.to_datetime(_WHOLE_SECONDS_Z, time_unit="us", time_zone="UTC", strict=False)
    for fallback in (_inferred_layout, _parse_datetime):
        # Null counts are cached, and a parse only adds nulls: equal counts mean every value parsed.
        if parsed.null_count() == series.null_count():
            break
        frame = pl.DataFrame({"parsed": parsed, "raw": series})
        parsed = frame.select(pl.coalesce(pl.col("parsed"), fallback(pl.col("raw")))).to_series()
    return parsed.alias(series.name)


def _inferred_layout(expr: pl.Expr) -> pl.Expr:
    return expr.str.to_datetime(time_unit="us", time_zone="UTC", strict=False)


def _parse_datetime(expr: pl.Expr) -> pl.Expr:
    with_offset = expr.str.to_datetime(_TZ_FORMAT, time_zone="UTC", time_unit="us", strict=False)
    naive = expr.str.to_datetime(_NAIVE_FORMAT, time_unit="us", strict=False).dt.replace_time_zone("UTC")
    date_only = expr.str.to_date("%Y-%m-%d", strict=False).cast(pl.Datetime("us")).dt.replace_time_zone("UTC")
    return pl.coalesce(with_offset, naive, date_only)


def _inferred(name: str, values: Sequence[Any]) -> pl.Series:
    """A field the catalog does not know: its own dtype when its values agree on one, else JSON text."""
    kinds = set(map(type, values)) - {type(None)}
    if kinds == {int, float}:
        values = [None if v is None else float(v) for v in values]
        kinds = {float}
    if len(kinds) == 1:
        with suppress(pl.exceptions.PolarsError, TypeError, ValueError, OverflowError):
            series = pl.Series(name, values, strict=True)
            if series.dtype != pl.Object:
                return series
    elif not kinds:
        return pl.Series(name, values, dtype=pl.Null)
    return pl.Series(name, [None if v is None else _compact_json(v) for v in values], dtype=pl.String)


def _compact_json(value: Any) -> str:
    """JSON text without spaces, as polars writes it (so text from either source compares equal)."""
    return json.dumps(value, separators=(",", ":"))


def _raw_dtype(ftype: FieldType) -> pl.DataType:
    """The dtype a scalar field is loaded as: values parsed later (datetimes, decimals) load as strings."""
    if isinstance(ftype, str):
        return pl.String() if ftype in _PARSED else polars_dtype(ftype)
    return polars_dtype(ftype)


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

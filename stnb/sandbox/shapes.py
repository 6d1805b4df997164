"""Catalog field types -> polars columns: typed placeholder values for fields a builder left out, and the
projection that turns a table's rows into the JSON an endpoint sends.

Tables keep top-level datetimes as `Datetime("us", "UTC")` (so filters and sorting are polars
expressions) and nested datetimes as RFC 3339 text; money is text ("12.50"), as accounting sends it.
Columns whose names start with `_` are internal and never sent.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import polars as pl

from stnb.catalog import FieldType
from stnb.sandbox.names import FIRST_NAMES, LAST_NAMES, STREET_NAMES
from stnb.sandbox.rng import Draws, pick, pick_weighted

__all__ = [
    "DATETIME",
    "conform",
    "dtype_of",
    "placeholder",
    "render_json",
    "render_rows",
]

DATETIME = pl.Datetime("us", "UTC")
_RFC3339 = "%Y-%m-%dT%H:%M:%SZ"
_SCALARS: Mapping[str, pl.DataType] = {
    "int32": pl.Int32(),
    "int64": pl.Int64(),
    "float64": pl.Float64(),
    "bool": pl.Boolean(),
    "string": pl.String(),
    "date": pl.String(),
    "money": pl.String(),
    "decimal_string": pl.String(),
    "json": pl.String(),
}


def dtype_of(ftype: FieldType, top: bool = True) -> pl.DataType:
    """The polars dtype a field of this catalog type is stored as."""
    if isinstance(ftype, str):
        if ftype == "datetime":
            return DATETIME if top else pl.String()
        return _SCALARS.get(ftype, pl.String())
    if "enum" in ftype:
        return pl.String()
    if "list" in ftype:
        return pl.List(dtype_of(ftype["list"], top=False))
    if "struct" in ftype:
        return pl.Struct({name: dtype_of(sub, top=False) for name, sub in ftype["struct"].items()})
    return pl.String()


def _title(name: str) -> str:
    out = "".join(f" {c}" if c.isupper() else c for c in name).strip()
    return out[:1].upper() + out[1:]


def _placeholder_text(name: str, key: pl.Expr, label: str) -> pl.Expr:
    lowered = name.lower()
    n = (key % 1000).cast(pl.String)
    if lowered == "firstname":
        return pick(FIRST_NAMES, key % len(FIRST_NAMES))
    if lowered == "lastname":
        return pick(LAST_NAMES, (key // 7) % len(LAST_NAMES))
    if lowered in ("street", "streetaddress"):
        return pl.format(
            "{} {} {}", key % 900 + 100, pick(STREET_NAMES, key % len(STREET_NAMES)), pl.lit("St")
        )
    if lowered == "city":
        return pl.lit("Springfield")
    if lowered == "unit":
        return pl.lit("")
    if "email" in lowered:
        return pl.format("user{}@example.com", n)
    if "phone" in lowered or lowered in ("from", "to"):
        return pl.format("(555) 010-{}", (key % 10000).cast(pl.String).str.zfill(4))
    if "url" in lowered or "link" in lowered:
        return pl.format("https://example.com/{}/{}", pl.lit(name), n)
    if "color" in lowered:
        return pl.lit("#1E88E5")
    if "zip" in lowered:
        return pl.lit("10601")
    if lowered in ("state",):
        return pl.lit("NY")
    if lowered in ("country",):
        return pl.lit("USA")
    if lowered in ("currency",):
        return pl.lit("USD")
    if "name" in lowered or lowered in ("title", "description", "summary"):
        return pl.format("{} {}", pl.lit(label), n)
    if "code" in lowered or "number" in lowered:
        return pl.format("{}-{}", pl.lit(name[:3].upper()), (key % 100000).cast(pl.String).str.zfill(5))
    return pl.format("{} {}", pl.lit(_title(name)), n)


def placeholder(
    name: str,
    ftype: FieldType,
    key: pl.Expr,
    draws: Draws,
    *,
    label: str,
    start: datetime,
    end: datetime,
    pools: Mapping[str, list[int]] | None = None,
    top: bool = True,
) -> pl.Expr:
    """A typed, never-null value per row for a field the builder did not provide.

    Integer fields ending in `Id` draw from `pools[name]` when one is given (so generic records point
    at real technicians, customers, jobs...); lists are empty; enums take one of their values.
    """
    salt = f"placeholder:{name}"
    if isinstance(ftype, dict):
        if "enum" in ftype:
            values = list(dict.fromkeys(ftype["enum"])) or [""]
            return pick_weighted(draws.uniform(key, salt), values)
        if "list" in ftype:
            return pl.lit([], dtype=dtype_of(ftype, top=False))
        if "struct" in ftype:
            subs = {
                sub: placeholder(
                    f"{name}Id" if sub == "id" else sub,
                    subtype,
                    key,
                    draws,
                    label=label,
                    start=start,
                    end=end,
                    pools=pools,
                    top=False,
                )
                for sub, subtype in ftype["struct"].items()
            }
            return (
                pl.struct([v.alias(k) for k, v in subs.items()])
                if subs
                else pl.lit(None, dtype=pl.Struct({}))
            )
        return pl.lit(None, dtype=pl.String)
    if ftype in ("int32", "int64"):
        dtype = pl.Int32 if ftype == "int32" else pl.Int64
        pool = (pools or {}).get(name)
        if pool:
            return pick(pool, draws.index(key, salt, len(pool))).cast(dtype)
        return draws.integers(key, salt, 1, 100).cast(dtype)
    if ftype == "float64":
        return (draws.uniform(key, salt) * 100).round(2)
    if ftype == "bool":
        share = 0.9 if name in ("active", "enabled", "isActive") else 0.2
        return draws.bernoulli(key, salt, share)
    if ftype in ("datetime", "date"):
        seconds = int((end - start).total_seconds())
        moment = pl.lit(start).dt.cast_time_unit("us") + pl.duration(
            seconds=draws.integers(key, salt, 0, max(0, seconds))
        )
        if ftype == "date":
            return moment.dt.strftime("%Y-%m-%d")
        return moment.dt.replace_time_zone("UTC") if top else moment.dt.strftime(_RFC3339)
    if ftype == "money":
        cents = draws.integers(key, salt, 100, 50_000)
        return pl.format("{}.{}", cents // 100, (cents % 100).cast(pl.String).str.zfill(2))
    if ftype == "decimal_string":
        return pl.format("{}.00", draws.integers(key, salt, 1, 5))
    if ftype == "json":
        return pl.lit(None, dtype=pl.String)
    return _placeholder_text(name, key, label)


@dataclass(frozen=True, slots=True)
class _Fill:
    """What placeholders need besides the field: row key, draws and the record's time span."""

    key: pl.Expr
    draws: Draws
    label: str
    start: datetime
    end: datetime
    pools: Mapping[str, list[int]] | None

    def value(self, name: str, ftype: FieldType, top: bool) -> pl.Expr:
        return placeholder(
            name,
            ftype,
            self.key,
            self.draws,
            label=self.label,
            start=self.start,
            end=self.end,
            pools=self.pools,
            top=top,
        )

    def constant(self) -> _Fill:
        """The same, for values inside lists (one value for every element)."""
        return _Fill(pl.lit(0, dtype=pl.Int64), self.draws, self.label, self.start, self.end, None)


def _fit(expr: pl.Expr, name: str, ftype: FieldType, dtype: Any, fill: _Fill) -> pl.Expr | None:
    """`expr` reshaped to the catalog type (missing struct fields added, unknown ones dropped, at any
    depth), or None when it already fits."""
    if not isinstance(ftype, dict):
        return None
    if "struct" in ftype and isinstance(dtype, pl.Struct):
        wanted: dict[str, FieldType] = ftype["struct"]
        have = {f.name: f.dtype for f in dtype.fields}
        parts: list[pl.Expr] = []
        changed = any(sub not in wanted for sub in have)
        for sub, sub_dtype in have.items():
            if sub not in wanted:
                continue
            inner = _fit(expr.struct.field(sub), sub, wanted[sub], sub_dtype, fill)
            changed = changed or inner is not None
            parts.append((inner if inner is not None else expr.struct.field(sub)).alias(sub))
        for sub, subtype in wanted.items():
            if sub not in have:
                changed = True
                parts.append(fill.value(f"{name}Id" if sub == "id" else sub, subtype, top=False).alias(sub))
        if not changed:
            return None
        return pl.when(expr.is_not_null()).then(pl.struct(parts) if parts else expr)
    if "list" in ftype and isinstance(dtype, pl.List):
        inner = _fit(pl.element(), name, ftype["list"], dtype.inner, fill.constant())
        return None if inner is None else expr.list.eval(inner)
    return None


def conform(
    frame: pl.DataFrame,
    fields: Mapping[str, FieldType],
    draws: Draws,
    *,
    label: str,
    start: datetime,
    end: datetime,
    pools: Mapping[str, list[int]] | None = None,
) -> pl.DataFrame:
    """Shape a table to an endpoint's fields: add the fields it lacks (at any depth, as placeholders),
    drop nested fields the endpoint does not send, and store datetimes in whole seconds."""
    numeric_id = "id" in frame.columns and frame.schema["id"].is_integer()
    key = pl.col("id").cast(pl.Int64) if numeric_id else pl.int_range(0, pl.len(), dtype=pl.Int64)
    fill = _Fill(key, draws, label, start, end, pools)
    exprs: list[pl.Expr] = _record_times(frame, fields, key, draws, start, end)
    added = {e.meta.output_name() for e in exprs}
    for name, ftype in fields.items():
        if name in added:
            continue
        if name not in frame.columns:
            exprs.append(fill.value(name, ftype, top=True).alias(name))
            continue
        current = frame.schema[name]
        if ftype == "datetime" and isinstance(current, pl.Datetime):
            exprs.append(pl.col(name).dt.cast_time_unit("us").dt.truncate("1s").alias(name))
            continue
        fitted = _fit(pl.col(name), name, ftype, current, fill)
        if fitted is not None:
            exprs.append(fitted.alias(name))
    return frame.with_columns(exprs) if exprs else frame


def _record_times(
    frame: pl.DataFrame,
    fields: Mapping[str, FieldType],
    key: pl.Expr,
    draws: Draws,
    start: datetime,
    end: datetime,
) -> list[pl.Expr]:
    """Placeholders for a missing `createdOn` or `modifiedOn` that keep `createdOn <= modifiedOn`."""
    if fields.get("createdOn") != "datetime" or fields.get("modifiedOn") != "datetime":
        return []
    has_created, has_modified = "createdOn" in frame.columns, "modifiedOn" in frame.columns
    if has_created and has_modified:
        return []
    first = pl.lit(start).dt.cast_time_unit("us").dt.replace_time_zone("UTC")
    last = pl.lit(end).dt.cast_time_unit("us").dt.replace_time_zone("UTC")

    def between(low: pl.Expr, high: pl.Expr, share: pl.Expr) -> pl.Expr:
        seconds = ((high - low).dt.total_seconds().clip(lower_bound=0) * share).cast(pl.Int64)
        return (low + pl.duration(seconds=seconds)).dt.truncate("1s")

    created = pl.col("createdOn").dt.cast_time_unit("us")
    modified = pl.col("modifiedOn").dt.cast_time_unit("us")
    if has_modified:  # created some time before the last change
        return [between(first, modified, draws.uniform(key, "placeholder:createdOn")).alias("createdOn")]
    if has_created:  # changed some time after creation, most records soon after
        return [between(created, last, draws.uniform(key, "placeholder:modifiedOn") ** 3).alias("modifiedOn")]
    made = between(first, last, draws.uniform(key, "placeholder:createdOn"))
    changed = between(made, last, draws.uniform(key, "placeholder:modifiedOn") ** 3)
    return [made.alias("createdOn"), changed.alias("modifiedOn")]


def output_columns(frame: pl.DataFrame, fields: Iterable[str]) -> list[str]:
    """The frame's columns an endpoint sends, in the frame's order."""
    wanted = set(fields)
    return [c for c in frame.columns if c in wanted]


def render_rows(frame: pl.DataFrame, positions: pl.Series, columns: list[str]) -> bytes:
    """The rows at `positions` as a JSON array (a contiguous run is sliced, not gathered)."""
    selected = frame.select(columns)
    first, last = positions[0], positions[-1]
    if last - first + 1 == len(positions) and positions.is_sorted():
        return render_json(selected.slice(first, len(positions)), columns)
    return render_json(selected[positions], columns)


def render_json(frame: pl.DataFrame, columns: list[str]) -> bytes:
    """Rows as a JSON array, datetimes as RFC 3339 UTC text with a Z."""
    exprs = []
    schema = frame.schema
    for name in columns:
        dtype = schema[name]
        if isinstance(dtype, pl.Datetime):
            exprs.append(pl.col(name).dt.strftime(_RFC3339))
        else:
            exprs.append(pl.col(name))
    if frame.height == 0:
        return b"[]"
    return frame.select(exprs).write_json().encode("utf-8")

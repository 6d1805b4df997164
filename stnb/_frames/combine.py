"""One frame from many batches: columns aligned by name, a column whose batches disagree on its kind
of type kept as JSON text."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import polars as pl

__all__ = ["as_text", "concat_frames", "drifting_columns", "json_text"]


def concat_frames(frames: Sequence[pl.DataFrame], schema: pl.Schema | None = None) -> pl.DataFrame:
    """The batches of one pull as one frame (`schema` when there is none).

    Columns are aligned by name; a column whose batches disagree on its kind of type (a drifting field
    outside the catalog: a number in one batch, an object in another) becomes JSON text in every batch
    rather than being coerced into one of the types.
    """
    if not frames:
        return pl.DataFrame(schema=schema or {})
    if len(frames) == 1:
        return frames[0]
    drifting = drifting_columns([f.schema for f in frames])
    if drifting:
        frames = [
            f.with_columns(as_text(n, f.schema[n]).alias(n) for n in drifting if n in f.schema)
            for f in frames
        ]
    return pl.concat(frames, how="diagonal_relaxed")


def drifting_columns(schemas: Sequence[Mapping[str, pl.DataType]]) -> list[str]:
    """Columns whose non-null dtypes are of different kinds across `schemas`."""
    kinds: dict[str, set[str]] = {}
    for schema in schemas:
        for name, dtype in schema.items():
            if dtype != pl.Null:
                kinds.setdefault(name, set()).add(_kind(dtype))
    return [name for name, seen in kinds.items() if len(seen) > 1]


def _kind(dtype: pl.DataType) -> str:
    # Numbers widen into each other and structs merge their fields without loss; other kinds do not.
    if dtype.is_numeric():
        return "number"
    return type(dtype).__name__


def as_text(column: str, dtype: pl.DataType) -> pl.Expr:
    if isinstance(dtype, (pl.Struct, pl.List)):
        return json_text(column, dtype)
    return pl.col(column).cast(pl.String)


def json_text(column: str, dtype: pl.DataType) -> pl.Expr:
    """Nested columns as JSON text, for formats (CSV) that only hold scalars; null stays null."""
    if isinstance(dtype, pl.Struct):
        return pl.when(pl.col(column).is_null()).then(None).otherwise(pl.col(column).struct.json_encode())
    wrapped = pl.struct(pl.col(column).alias("v")).struct.json_encode()
    text = wrapped.str.strip_prefix('{"v":').str.strip_suffix("}")
    return pl.when(pl.col(column).is_null()).then(None).otherwise(text)

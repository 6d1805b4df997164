"""Schema differences of two sides: fields only on one side, dtype differences, null-rate differences."""

from __future__ import annotations

from collections.abc import Collection

import polars as pl

__all__ = ["SCHEMA_DIFF_SCHEMA", "schema_diff"]

SCHEMA_DIFF_SCHEMA = {
    "field": pl.String,
    "change": pl.String,  # "only in a" | "only in b" | "dtype" | "null rate"
    "dtype_a": pl.String,
    "dtype_b": pl.String,
    "null_rate_a": pl.Float64,
    "null_rate_b": pl.Float64,
}


def _null_rates(lf: pl.LazyFrame, columns: list[str]) -> dict[str, float]:
    if not columns:
        return {}
    row = (
        lf.select(
            [pl.col(c).null_count().cast(pl.Float64).alias(c) for c in columns] + [pl.len().alias("__rows")]
        )
        .collect()
        .row(0, named=True)
    )
    rows = row.pop("__rows")
    return {c: (v / rows if rows else 0.0) for c, v in row.items()}


def schema_diff(
    a: pl.LazyFrame | pl.DataFrame,
    b: pl.LazyFrame | pl.DataFrame,
    *,
    fields_a: Collection[str] | None = None,
    fields_b: Collection[str] | None = None,
    null_rate_threshold: float = 0.05,
) -> pl.DataFrame:
    """One row per field that differs between the sides (columns in `SCHEMA_DIFF_SCHEMA`).

    `fields_a`/`fields_b` are the field names the API actually sent on each side (keys of the raw
    records); a typed frame may hold all-null columns for fields its schema knows, so without them a
    field counts as present when its column exists. Null rates differing by at least
    `null_rate_threshold` (absolute) are reported; all-null columns typed `Null` are not dtype differences.
    """
    la, lb = a.lazy(), b.lazy()
    sa, sb = la.collect_schema(), lb.collect_schema()
    present_a = set(sa) if fields_a is None else set(fields_a)
    present_b = set(sb) if fields_b is None else set(fields_b)
    common = sorted(present_a & present_b & set(sa) & set(sb))
    rates_a, rates_b = _null_rates(la, common), _null_rates(lb, common)
    rows: list[tuple[str, str, str | None, str | None, float | None, float | None]] = []
    for name in sorted(present_a - present_b):
        rows.append((name, "only in a", str(sa[name]) if name in sa else None, None, None, None))
    for name in sorted(present_b - present_a):
        rows.append((name, "only in b", None, str(sb[name]) if name in sb else None, None, None))
    for name in common:
        da, db = sa[name], sb[name]
        if da != db and da != pl.Null and db != pl.Null:
            rows.append((name, "dtype", str(da), str(db), rates_a[name], rates_b[name]))
        elif abs(rates_a[name] - rates_b[name]) >= null_rate_threshold:
            rows.append((name, "null rate", str(da), str(db), rates_a[name], rates_b[name]))
    return pl.DataFrame(rows, schema=SCHEMA_DIFF_SCHEMA, orient="row")

"""Record counts of two sides: totals, active and inactive, and records created or modified per month."""

from __future__ import annotations

import polars as pl

__all__ = ["count_summary", "monthly_counts"]

_MONTHLY_COLUMNS = {"created": "createdOn", "modified": "modifiedOn"}


def _side_counts(lf: pl.LazyFrame) -> dict[str, int | None]:
    schema = lf.collect_schema()
    exprs = [pl.len().cast(pl.Int64).alias("total")]
    if "active" in schema and schema["active"] == pl.Boolean:
        exprs.append(pl.col("active").count().cast(pl.Int64).alias("sent"))
        exprs.append(pl.col("active").sum().cast(pl.Int64).alias("active"))
        exprs.append((~pl.col("active")).sum().cast(pl.Int64).alias("inactive"))
    row = lf.select(exprs).collect().row(0, named=True)
    if not row.get("sent"):  # a typed frame holds an all-null column when the API never sent `active`
        return {"total": row["total"], "active": None, "inactive": None}
    return {"total": row["total"], "active": row["active"], "inactive": row["inactive"]}


def count_summary(
    a: pl.LazyFrame | pl.DataFrame,
    b: pl.LazyFrame | pl.DataFrame,
    *,
    totals: tuple[int | None, int | None] = (None, None),
) -> pl.DataFrame:
    """Rows fetched, server totals, active and inactive records per side (`metric`, `a`, `b`, `delta`).

    `totals` are the servers' `totalCount`s when known; without them the fetched row count stands in.
    A side without `active` values (column missing or all null) reports null for active and inactive.
    """
    ca, cb = _side_counts(a.lazy()), _side_counts(b.lazy())
    rows = [
        ("rows", ca["total"], cb["total"]),
        (
            "total",
            totals[0] if totals[0] is not None else ca["total"],
            totals[1] if totals[1] is not None else cb["total"],
        ),
        ("active", ca["active"], cb["active"]),
        ("inactive", ca["inactive"], cb["inactive"]),
    ]
    return pl.DataFrame(
        rows, schema={"metric": pl.String, "a": pl.Int64, "b": pl.Int64}, orient="row"
    ).with_columns(delta=pl.col("b") - pl.col("a"))


def _per_month(lf: pl.LazyFrame, kind: str, column: str) -> pl.LazyFrame:
    schema = lf.collect_schema()
    if column not in schema or not isinstance(schema[column], pl.Datetime):
        return pl.LazyFrame(schema={"kind": pl.String, "month": pl.Date, "n": pl.Int64})
    return (
        lf.select(pl.col(column).dt.truncate("1mo").dt.date().alias("month"))
        .drop_nulls()
        .group_by("month")
        .agg(pl.len().cast(pl.Int64).alias("n"))
        .select(pl.lit(kind).alias("kind"), "month", "n")
    )


def monthly_counts(a: pl.LazyFrame | pl.DataFrame, b: pl.LazyFrame | pl.DataFrame) -> pl.DataFrame:
    """Records created and modified per UTC calendar month: `kind`, `month`, `a`, `b`, `delta`."""
    parts = []
    for side, frame in (("a", a.lazy()), ("b", b.lazy())):
        per_kind = [_per_month(frame, kind, column) for kind, column in _MONTHLY_COLUMNS.items()]
        parts.append(pl.concat(per_kind).rename({"n": side}))
    return (
        parts[0]
        .join(parts[1], on=["kind", "month"], how="full", coalesce=True)
        .with_columns(pl.col("a").fill_null(0), pl.col("b").fill_null(0))
        .with_columns(delta=pl.col("b") - pl.col("a"))
        .sort("kind", "month")
        .collect()
    )

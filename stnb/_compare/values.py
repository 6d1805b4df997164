"""Value differences of two sides: categorical distributions side by side, new values, numeric summaries."""

from __future__ import annotations

from collections.abc import Collection

import polars as pl

__all__ = [
    "DISTRIBUTION_SCHEMA",
    "NUMERIC_SCHEMA",
    "categorical_columns",
    "distributions",
    "is_id_like",
    "new_values",
    "numeric_summary",
]

DISTRIBUTION_SCHEMA = {
    "field": pl.String,
    "kind": pl.String,  # "bool" | "enum" | "string"
    "value": pl.String,
    "a": pl.Int64,
    "b": pl.Int64,
    "share_a": pl.Float64,
    "share_b": pl.Float64,
}
NUMERIC_SCHEMA = {
    "field": pl.String,
    "stat": pl.String,
    "a": pl.Float64,
    "b": pl.Float64,
    "delta": pl.Float64,
}
_QUANTILES = {"p50": 0.5, "p95": 0.95}


def is_id_like(name: str) -> bool:
    """Identifiers and reference keys (`id`, `customerId`, `tagTypeIds`) are not quantities to summarise."""
    return name == "id" or name.endswith(("Id", "Ids"))


def _kind(dtype: pl.DataType, name: str, enums: Collection[str]) -> str | None:
    if dtype == pl.Boolean:
        return "bool"
    if isinstance(dtype, pl.Enum | pl.Categorical) or (dtype == pl.String and name in enums):
        return "enum"
    if dtype == pl.String:
        return "string"
    return None


def categorical_columns(
    a: pl.LazyFrame | pl.DataFrame,
    b: pl.LazyFrame | pl.DataFrame,
    *,
    enums: Collection[str] = (),
    max_values: int = 25,
    min_repeats: float = 3.0,
    probe_rows: int = 50_000,
) -> dict[str, str]:
    """Columns present on both sides that hold categories, mapped to their kind ("bool", "enum", "string").

    Booleans and known enums (`enums`, from the catalog) always qualify; other string columns qualify when
    both sides together hold at most `max_values` distinct non-empty values, each seen `min_repeats`
    times on average (names, numbers and PO references, mostly unique, are left out). The string test looks at
    the first `probe_rows` rows of each side, so a large side is not hashed in full just to decide.
    """
    la, lb = a.lazy(), b.lazy()
    sa, sb = la.collect_schema(), lb.collect_schema()
    kinds: dict[str, str] = {}
    for name in sa:
        if name not in sb or is_id_like(name):
            continue
        ka, kb = _kind(sa[name], name, enums), _kind(sb[name], name, enums)
        if ka is not None and ka == kb:
            kinds[name] = ka
    strings = [n for n, k in kinds.items() if k == "string"]
    if strings:
        both = pl.concat([la.select(strings).head(probe_rows), lb.select(strings).head(probe_rows)])
        filled = {c: pl.col(c).filter(pl.col(c) != "") for c in strings}  # "" is a missing value here
        distinct = both.select([e.n_unique().alias(c) for c, e in filled.items()])
        present = both.select([e.count().alias(c) for c, e in filled.items()])
        counts, sizes = pl.collect_all([distinct, present])
        for name in strings:
            values, rows = counts[name][0], sizes[name][0]
            if values == 0 or values > max_values or rows < min_repeats * values:
                del kinds[name]
    return kinds


def _counts(lf: pl.LazyFrame, name: str) -> pl.LazyFrame:
    return lf.group_by(pl.col(name).cast(pl.String).alias("value")).agg(pl.len().cast(pl.Int64).alias("n"))


def distributions(
    a: pl.LazyFrame | pl.DataFrame, b: pl.LazyFrame | pl.DataFrame, columns: dict[str, str]
) -> pl.DataFrame:
    """Value counts and shares of each categorical column on both sides (columns in `DISTRIBUTION_SCHEMA`)."""
    la, lb = a.lazy(), b.lazy()
    parts = []
    for name, kind in columns.items():
        joined = (
            _counts(la, name)
            .rename({"n": "a"})
            .join(
                _counts(lb, name).rename({"n": "b"}), on="value", how="full", coalesce=True, nulls_equal=True
            )
            .with_columns(pl.col("a").fill_null(0), pl.col("b").fill_null(0))
            .select(
                pl.lit(name).alias("field"),
                pl.lit(kind).alias("kind"),
                "value",
                "a",
                "b",
                (pl.col("a") / pl.col("a").sum()).fill_nan(None).alias("share_a"),
                (pl.col("b") / pl.col("b").sum()).fill_nan(None).alias("share_b"),
            )
        )
        parts.append(joined)
    if not parts:
        return pl.DataFrame(schema=DISTRIBUTION_SCHEMA)
    frames = pl.collect_all(parts)
    return (
        pl.concat(frames)
        .cast(DISTRIBUTION_SCHEMA)  # type: ignore[arg-type]
        .sort("field", pl.col("a") + pl.col("b"), "value", descending=[False, True, False], nulls_last=True)
    )


def new_values(dist: pl.DataFrame) -> pl.DataFrame:
    """Category values seen on one side only (`field`, `value`, `side`), from a `distributions` frame.

    Booleans and missing values are not "values" in this sense and are left out, and so is a field
    with no values at all on one side (that is a null-rate difference, not a new category).
    """
    filled_on_both = (pl.col("a").sum().over("field") > 0) & (pl.col("b").sum().over("field") > 0)
    return (
        dist.filter(pl.col("kind") != "bool", pl.col("value").is_not_null())
        .filter(filled_on_both)
        .filter((pl.col("a") == 0) | (pl.col("b") == 0))
        .select(
            "field", "value", pl.when(pl.col("a") == 0).then(pl.lit("b")).otherwise(pl.lit("a")).alias("side")
        )
        .sort("field", "side", "value")
    )


def _numeric_columns(schema: pl.Schema) -> list[str]:
    return [n for n, t in schema.items() if t.is_numeric() and not is_id_like(n)]


def _stats(lf: pl.LazyFrame, columns: list[str]) -> pl.LazyFrame:
    exprs: list[pl.Expr] = []
    for c in columns:
        x = pl.col(c).cast(pl.Float64)
        exprs += [
            x.count().cast(pl.Float64).alias(f"{c}\x00count"),
            x.sum().alias(f"{c}\x00sum"),
            x.mean().alias(f"{c}\x00mean"),
            x.min().alias(f"{c}\x00min"),
            *[x.quantile(q).alias(f"{c}\x00{label}") for label, q in _QUANTILES.items()],
            x.max().alias(f"{c}\x00max"),
        ]
    return lf.select(exprs).unpivot(variable_name="key", value_name="v")


def numeric_summary(a: pl.LazyFrame | pl.DataFrame, b: pl.LazyFrame | pl.DataFrame) -> pl.DataFrame:
    """Count, sum, mean, min, p50, p95 and max of each numeric, non-id column present on both sides."""
    la, lb = a.lazy(), b.lazy()
    sa, sb = la.collect_schema(), lb.collect_schema()
    columns = [c for c in _numeric_columns(sa) if c in sb and sb[c].is_numeric()]
    if not columns:
        return pl.DataFrame(schema=NUMERIC_SCHEMA)
    fa, fb = pl.collect_all([_stats(la, columns), _stats(lb, columns)])
    return (
        fa.rename({"v": "a"})
        .join(fb.rename({"v": "b"}), on="key", how="inner", maintain_order="left")
        .select(
            pl.col("key").str.split_exact("\x00", 1).struct.rename_fields(["field", "stat"]).struct.unnest(),
            "a",
            "b",
        )
        .with_columns(delta=pl.col("b") - pl.col("a"))
        .cast(NUMERIC_SCHEMA)  # type: ignore[arg-type]
    )

"""Record-level differences by id: records on one side only, changed records and their fields."""

from __future__ import annotations

import json
from collections.abc import Collection
from dataclasses import dataclass

import polars as pl

__all__ = ["DEFAULT_IGNORED", "RecordDiff", "record_diff"]

DEFAULT_IGNORED = ("modifiedOn",)  # bookkeeping that moves with any write; reported apart from real changes


def _changes_schema(id_column: str) -> dict[str, pl.DataType]:
    return {id_column: pl.Int64(), "field": pl.String(), "a": pl.String(), "b": pl.String()}


@dataclass(frozen=True)
class RecordDiff:
    """What differs record by record between two sides that share an id space."""

    id_column: str
    compared: int  # ids present on both sides
    only_in_a: pl.DataFrame  # the ids (one column) of records found on side a only
    only_in_b: pl.DataFrame
    changed: pl.DataFrame  # id, fields (list of changed field names), n_fields
    changed_fields: pl.DataFrame  # field, records: how many records changed each field
    changes: pl.DataFrame  # id, field, a, b (JSON text) for the first `max_detail` changed records
    modified_only: int  # records whose only difference is in the ignored fields
    ignored: tuple[str, ...]
    fields: tuple[str, ...]  # the fields that were compared

    @property
    def n_changed(self) -> int:
        return self.changed.height

    def __repr__(self) -> str:
        return (
            f"<RecordDiff compared={self.compared} only_in_a={self.only_in_a.height} "
            f"only_in_b={self.only_in_b.height} changed={self.n_changed} modified_only={self.modified_only}>"
        )

    @classmethod
    def empty(cls, id_column: str = "id", ignored: tuple[str, ...] = DEFAULT_IGNORED) -> RecordDiff:
        ids = pl.DataFrame(schema={id_column: pl.Int64})
        return cls(
            id_column=id_column,
            compared=0,
            only_in_a=ids,
            only_in_b=ids,
            changed=pl.DataFrame(
                schema={id_column: pl.Int64, "fields": pl.List(pl.String), "n_fields": pl.Int64}
            ),
            changed_fields=pl.DataFrame(schema={"field": pl.String, "records": pl.Int64}),
            changes=pl.DataFrame(schema=_changes_schema(id_column)),
            modified_only=0,
            ignored=ignored,
            fields=(),
        )


def _json_text(column: str, suffix: str) -> pl.Expr:
    """The value of `column` as JSON text, so nested structs and lists compare and display as text."""
    prefix = len(json.dumps(column)) + 2  # '{"name":' before the value and '}' after it
    wrapped = pl.struct(pl.col(column + suffix).alias(column)).struct.json_encode()
    return wrapped.str.slice(prefix, wrapped.str.len_chars() - prefix - 1)


def _differs(column: str, dtype_a: pl.DataType, dtype_b: pl.DataType) -> pl.Expr:
    if dtype_a == dtype_b and not dtype_a.is_nested():
        return pl.col(column).ne_missing(pl.col(column + "__b"))
    if dtype_a.is_numeric() and dtype_b.is_numeric():  # 3 and 3.0 are the same amount
        return pl.col(column).cast(pl.Float64).ne_missing(pl.col(column + "__b").cast(pl.Float64))
    return _json_text(column, "").ne_missing(_json_text(column, "__b"))


def record_diff(
    a: pl.LazyFrame | pl.DataFrame,
    b: pl.LazyFrame | pl.DataFrame,
    *,
    id_column: str = "id",
    fields: Collection[str] | None = None,
    ignore: Collection[str] = DEFAULT_IGNORED,
    max_detail: int = 1000,
) -> RecordDiff:
    """Compare records with equal ids field by field.

    `fields` limits the comparison (default: every column both sides have); fields on one side only
    are a schema difference and are not compared here. Nested values compare as JSON text. Records
    whose only differences are in `ignore` count as `modified_only`, not as changed.
    """
    la, lb = a.lazy(), b.lazy()
    sa, sb = la.collect_schema(), lb.collect_schema()
    if id_column not in sa or id_column not in sb:
        raise ValueError(f"both sides need an {id_column!r} column to compare records")
    names = [c for c in sa if c in sb and c != id_column and (fields is None or c in fields)]
    ignored = tuple(c for c in ignore if c in names)
    compared = [c for c in names if c not in ignored]
    ids_a, ids_b = la.select(id_column), lb.select(id_column)
    joined = la.select(id_column, *names).join(
        lb.select(id_column, *names), on=id_column, how="inner", suffix="__b"
    )
    flags = joined.select(
        id_column,
        *[_differs(c, sa[c], sb[c]).alias(c) for c in compared],
        pl.any_horizontal([_differs(c, sa[c], sb[c]) for c in ignored] or [pl.lit(False)]).alias("__ignored"),
        *[pl.col(c).alias(f"{c}__a") for c in compared],
        *[pl.col(f"{c}__b") for c in compared],
    )
    any_change = pl.any_horizontal([pl.col(c) for c in compared] or [pl.lit(False)])
    changed_lf = (
        flags.filter(any_change)
        .select(
            id_column,
            pl.concat_list([pl.when(pl.col(c)).then(pl.lit(c)) for c in compared])
            .list.drop_nulls()
            .alias("fields")
            if compared
            else pl.lit([], dtype=pl.List(pl.String)).alias("fields"),
        )
        .with_columns(n_fields=pl.col("fields").list.len().cast(pl.Int64))
        .sort(id_column)
    )
    counts_lf = flags.select(
        pl.len().alias("__compared"),
        (~any_change & pl.col("__ignored")).sum().alias("__modified_only"),
        *[pl.col(c).sum().alias(c) for c in compared],
    )
    only_a_lf = ids_a.join(ids_b, on=id_column, how="anti").sort(id_column)
    only_b_lf = ids_b.join(ids_a, on=id_column, how="anti").sort(id_column)
    detail_lf = _changes(flags.filter(any_change).sort(id_column).head(max_detail), id_column, compared)
    changed, counts, only_a, only_b, changes = pl.collect_all(
        [changed_lf, counts_lf, only_a_lf, only_b_lf, detail_lf]
    )
    totals = counts.row(0, named=True)
    changed_fields = (
        pl.DataFrame(
            [(c, int(totals[c] or 0)) for c in compared],
            schema={"field": pl.String, "records": pl.Int64},
            orient="row",
        )
        .filter(pl.col("records") > 0)
        .sort("records", "field", descending=[True, False])
    )
    return RecordDiff(
        id_column=id_column,
        compared=int(totals["__compared"]),
        only_in_a=only_a,
        only_in_b=only_b,
        changed=changed,
        changed_fields=changed_fields,
        changes=changes,
        modified_only=int(totals["__modified_only"] or 0),
        ignored=ignored,
        fields=tuple(compared),
    )


def _changes(flags: pl.LazyFrame, id_column: str, compared: list[str]) -> pl.LazyFrame:
    parts = [
        flags.filter(pl.col(c)).select(
            id_column,
            pl.lit(c).alias("field"),
            _json_text(c, "__a").alias("a"),
            _json_text(c, "__b").alias("b"),
        )
        for c in compared
    ]
    if not parts:
        return pl.LazyFrame(schema=_changes_schema(id_column))
    return pl.concat(parts).sort(id_column, "field")

"""Record-level differences by id: records on one side only, changed records and their fields."""

from __future__ import annotations

import json
import math
import tempfile
from collections.abc import Collection
from dataclasses import dataclass
from pathlib import Path

import polars as pl

from stnb.catalog.order import field_order, field_rank

__all__ = ["DEFAULT_IGNORED", "RecordDiff", "record_diff"]

PARTITION_ROWS = 250_000  # records per side compared at once; larger sides are split by id hash
DEFAULT_IGNORED = ("modifiedOn",)  # bookkeeping that moves with any write; reported apart from real changes


def _changes_schema(id_column: str) -> dict[str, pl.DataType]:
    return {id_column: pl.Int64(), "field": pl.String(), "a": pl.String(), "b": pl.String()}


@dataclass(frozen=True, eq=False)  # frames have no single truth value to compare by
class RecordDiff:
    """What differs record by record between two sides that share an id space."""

    id_column: str
    compared: int  # ids present on both sides
    only_in_a: pl.DataFrame  # records found on side a only: id first, then up to KEY_FIELDS key fields
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


def _hashed(column: str, own: pl.DataType, other: pl.DataType) -> pl.Expr:
    """A 64-bit hash of each value, in a form both sides share even when their dtypes differ."""
    if own == other:  # structs and lists hash element-wise
        return pl.col(column).hash()
    if own.is_numeric() and other.is_numeric():  # 3 and 3.0 are the same amount
        return pl.col(column).cast(pl.Float64).hash()
    return _json_text(column, "").hash()


def record_diff(
    a: pl.LazyFrame | pl.DataFrame,
    b: pl.LazyFrame | pl.DataFrame,
    *,
    id_column: str = "id",
    fields: Collection[str] | None = None,
    ignore: Collection[str] = DEFAULT_IGNORED,
    max_detail: int = 1000,
    partition_rows: int = PARTITION_ROWS,
) -> RecordDiff:
    """Compare records with equal ids field by field.

    `fields` limits the comparison (default: every column both sides have); fields on one side only
    are a schema difference and are not compared here. Values are compared through 64-bit hashes
    (a collision, about 1 in 2**64, could hide one change); values of different dtypes compare as
    JSON text, numbers as numbers. `changes` shows old and new values as JSON text. Records whose
    only differences are in `ignore` count as `modified_only`, not as changed. Sides larger than
    `partition_rows` are compared in id partitions, so memory follows the partition, not the side.
    """
    la, lb = a.lazy(), b.lazy()
    sa, sb = la.collect_schema(), lb.collect_schema()
    if id_column not in sa or id_column not in sb:
        raise ValueError(f"both sides need an {id_column!r} column to compare records")
    names = [c for c in sa if c in sb and c != id_column and (fields is None or c in fields)]
    ignored = tuple(c for c in ignore if c in names)
    compared = [c for c in names if c not in ignored]
    ids_a, ids_b = la.select(id_column), lb.select(id_column)
    sizes, only_a, only_b = pl.collect_all(
        [
            pl.concat([ids_a.select(pl.len()), ids_b.select(pl.len())]),
            _key_fields(la, sa, id_column).join(ids_b, on=id_column, how="anti").sort(id_column),
            _key_fields(lb, sb, id_column).join(ids_a, on=id_column, how="anti").sort(id_column),
        ]
    )
    parts = max(1, math.ceil(int(sizes["len"].max() or 0) / partition_rows))  # type: ignore[arg-type]
    # Each side shrinks to ids and one hash per field; values are re-read for the detail only.
    hashes_a = la.select(id_column, *[_hashed(c, sa[c], sb[c]).alias(c) for c in names])
    hashes_b = lb.select(id_column, *[_hashed(c, sb[c], sa[c]).alias(c) for c in names])
    with tempfile.TemporaryDirectory(prefix="stnb-records-") as tmp:
        if parts > 1:  # hash once, streaming to disk, then join one id partition at a time
            hashes_a.sink_parquet(Path(tmp) / "a.parquet")
            hashes_b.sink_parquet(Path(tmp) / "b.parquet")
            hashes_a = pl.scan_parquet(Path(tmp) / "a.parquet")
            hashes_b = pl.scan_parquet(Path(tmp) / "b.parquet")
        pieces = [
            _compare_part(hashes_a, hashes_b, id_column, compared, ignored, part, parts)
            for part in range(parts)
        ]
    changed = pl.concat([c for c, _ in pieces]).sort(id_column)
    counts = pl.concat([n for _, n in pieces]).sum()
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
        compared=int(totals["__compared"] or 0),
        only_in_a=only_a,
        only_in_b=only_b,
        changed=changed,
        changed_fields=changed_fields,
        changes=_changes(la, lb, changed.head(max_detail), id_column),
        modified_only=int(totals["__modified_only"] or 0),
        ignored=ignored,
        fields=tuple(compared),
    )


KEY_FIELDS = 5  # besides the id: what tells a person which record it is (number, name, status, dates)


def _key_fields(lf: pl.LazyFrame, schema: pl.Schema, id_column: str) -> pl.LazyFrame:
    """The id and the first KEY_FIELDS scalar fields in reading order (`field_order`: number, name,
    status, links, dates), so a one-side-only record shows what it is, not just its id."""
    scalar = [
        c
        for c in field_order(schema.names())
        if c != id_column and not isinstance(schema[c], (pl.Struct, pl.List, pl.Array, pl.Object))
    ]
    priority = {1: 0, 2: 1, 4: 2, 3: 3}  # number/name, status, dates, then links to other records
    wanted = sorted((c for c in scalar if field_rank(c) in priority), key=lambda c: priority[field_rank(c)])
    wanted = wanted[:KEY_FIELDS]
    return lf.select(id_column, *wanted)


def _compare_part(
    hashes_a: pl.LazyFrame,
    hashes_b: pl.LazyFrame,
    id_column: str,
    compared: list[str],
    ignored: tuple[str, ...],
    part: int,
    parts: int,
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Changed records (id, fields, n_fields) and per-field counts for the ids of one partition."""
    if parts > 1:
        mine = (pl.col(id_column).hash() % parts) == part
        hashes_a, hashes_b = hashes_a.filter(mine), hashes_b.filter(mine)

    def differs(c: str) -> pl.Expr:
        return pl.col(c) != pl.col(c + "__b")

    flags = (
        hashes_a.join(hashes_b, on=id_column, how="inner", suffix="__b")
        .select(
            id_column,
            *[differs(c).alias(c) for c in compared],
            pl.any_horizontal([differs(c) for c in ignored] or [pl.lit(False)]).alias("__ignored"),
        )
        .collect()
    )
    any_change = pl.any_horizontal([pl.col(c) for c in compared] or [pl.lit(False)])
    changed = (
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
    )
    counts = flags.select(
        pl.len().cast(pl.Int64).alias("__compared"),
        (~any_change & pl.col("__ignored")).sum().cast(pl.Int64).alias("__modified_only"),
        *[pl.col(c).sum().cast(pl.Int64).alias(c) for c in compared],
    )
    return changed, counts


def _changes(la: pl.LazyFrame, lb: pl.LazyFrame, changed: pl.DataFrame, id_column: str) -> pl.DataFrame:
    """Old and new values (JSON text) of the changed fields of a few records, read back by id."""
    if changed.is_empty():
        return pl.DataFrame(schema=_changes_schema(id_column))
    ids = changed[id_column].implode()
    names = sorted(set(changed["fields"].explode().drop_nulls().to_list()))

    def values(lf: pl.LazyFrame, side: str) -> pl.LazyFrame:
        return (
            lf.filter(pl.col(id_column).is_in(ids))
            .select(id_column, *[_json_text(c, "").alias(c) for c in names])
            .unpivot(index=id_column, variable_name="field", value_name=side)
        )

    wanted = changed.select(id_column, pl.col("fields").alias("field")).explode("field").lazy()
    return (
        wanted.join(values(la, "a"), on=[id_column, "field"], how="left")
        .join(values(lb, "b"), on=[id_column, "field"], how="left")
        .sort(id_column, "field")
        .collect()
    )

"""Turn two sides' frames into a `Comparison`: the pure core of `compare()`, no I/O."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass, replace

import polars as pl

from stnb._compare.comparison import Comparison, Failure, SideInfo
from stnb._compare.counts import count_summary, monthly_counts
from stnb._compare.records import DEFAULT_IGNORED, RecordDiff, record_diff
from stnb._compare.schema import schema_diff
from stnb._compare.values import categorical_columns, distributions, new_values, numeric_summary

__all__ = ["SideData", "analyse"]


@dataclass(frozen=True, eq=False)
class SideData:
    """The records one side answered with, as a (lazy) frame, and the field names the API sent."""

    info: SideInfo
    frame: pl.LazyFrame
    fields: frozenset[str] | None = None  # keys seen in the raw records; None: the frame's columns


def _sent(side: SideData | None) -> pl.LazyFrame:
    """The side's frame without the columns the API never sent (typed frames add them all-null)."""
    if side is None:
        return pl.LazyFrame()
    if side.fields is None:
        return side.frame
    return side.frame.select([c for c in side.frame.collect_schema() if c in side.fields])


def _one_sided(frame: pl.DataFrame, missing: str) -> pl.DataFrame:
    """Keep the answering side's numbers and blank the failed side's (zeros would read as data)."""
    return frame.with_columns(pl.lit(None, dtype=frame.schema[missing]).alias(missing), delta=pl.lit(None))


def analyse(
    resource: str,
    a: SideData | None,
    b: SideData | None,
    *,
    info_a: SideInfo,
    info_b: SideInfo,
    method: str,
    filters: dict[str, str] | None = None,
    enums: Collection[str] = (),
    service: pl.DataFrame | None = None,
    failures: Sequence[Failure] = (),
    notes: Sequence[str] = (),
    id_column: str = "id",
    ignore: Collection[str] = DEFAULT_IGNORED,
    null_rate_threshold: float = 0.05,
) -> Comparison:
    """Compare what two sides answered; a side that failed (None) leaves only the other side's counts."""
    fa = _sent(a)
    fb = _sent(b)
    counts = count_summary(fa, fb, totals=(info_a.total, info_b.total))
    monthly = monthly_counts(fa, fb)
    for missing, present, info in (("a", a, info_a), ("b", b, info_b)):
        if present is None:
            counts, monthly = _one_sided(counts, missing), _one_sided(monthly, missing)
            if info.total is not None:  # the server's count arrived before the side failed
                counts = counts.with_columns(
                    pl.when(pl.col("metric") == "total")
                    .then(info.total)
                    .otherwise(pl.col(missing))
                    .alias(missing)
                )
    cmp = Comparison(
        resource=resource,
        a=info_a,
        b=info_b,
        method=method,
        filters=dict(filters or {}),
        counts=counts,
        monthly=monthly,
        failures=tuple(failures),
        notes=tuple(notes),
    )
    if service is not None:
        cmp = replace(cmp, service=service)
    if a is None or b is None:
        return cmp
    dist = distributions(fa, fb, categorical_columns(fa, fb, enums=enums))
    has_ids = id_column in fa.collect_schema() and id_column in fb.collect_schema()
    return replace(
        cmp,
        schema_diff=schema_diff(
            fa, fb, fields_a=a.fields, fields_b=b.fields, null_rate_threshold=null_rate_threshold
        ),
        value_diff=dist,
        new_values=new_values(dist),
        numeric=numeric_summary(fa, fb),
        record_diff=_records(a, b, id_column, ignore) if has_ids else RecordDiff.empty(id_column),
    )


def _records(a: SideData, b: SideData, id_column: str, ignore: Collection[str]) -> RecordDiff:
    """Compare the fields both sides sent: a field new on one side is a schema difference, not a change."""
    shared = None
    if a.fields is not None and b.fields is not None:
        shared = a.fields & b.fields
    return record_diff(a.frame, b.frame, id_column=id_column, fields=shared, ignore=ignore)

"""Frames as people read them: identity columns first, nested records summarised on one line."""

from __future__ import annotations

import polars as pl

from stnb.catalog.order import field_order
from stnb.tables.format import list_text, one_line

__all__ = ["readable"]


def _summary(series: pl.Series) -> pl.Series:
    if isinstance(series.dtype, pl.Struct):
        values = [None if v is None else one_line(v) for v in series.to_list()]
    else:
        values = [None if v is None else list_text(v) for v in series.to_list()]
    return pl.Series(series.name, values, dtype=pl.String())


def readable(frame: pl.DataFrame, *, reorder: bool = True) -> pl.DataFrame:
    """`frame` for display: with `reorder`, identity columns first (id, number/name, status, …Id keys,
    dates; `stnb.catalog.order`); struct columns as one line ("12 Main St, Norwalk, CT 06850", a
    business unit as its name) and list columns as "a, b" or "12 items". The data itself is unchanged:
    keep the original frame for analysis.
    """
    nested = [n for n, t in frame.schema.items() if isinstance(t, (pl.Struct, pl.List, pl.Array))]
    out = frame.with_columns([_summary(frame.get_column(n)) for n in nested]) if nested else frame
    return out.select(field_order(out.columns)) if reorder else out

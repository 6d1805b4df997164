"""Report rows (positional arrays) to a typed polars frame: load every cell as text, then cast per type.

Declared report types are unreliable, so a cast never fails: a cell that does not parse becomes null
and is counted, and the caller warns once with the counts per column. Empty text is plain null, not a
bad cell. `Number` becomes Int64 when every value is a whole number, else Float64; `Date` becomes Date,
or a tenant-local Datetime when the values carry times of day; `Time` becomes Time.
"""

from __future__ import annotations

import json
import warnings
from collections.abc import Mapping, Sequence
from datetime import time
from typing import Any

import polars as pl

from stnb.reports.model import ReportMetadataError

__all__ = ["ReportCastWarning", "cast_frame", "column_names", "string_frame", "warn_bad_cells"]

_INTEGER = r"^[+-]?\d+$"
_TRUE = ("true", "1", "yes")
_FALSE = ("false", "0", "no")


class ReportCastWarning(UserWarning):
    """Some report cells did not parse as their declared type and became null."""


def column_names(names: Sequence[str]) -> list[str]:
    """Unique column names: a repeated field name gets a `_2`, `_3`, … suffix."""
    seen: dict[str, int] = {}
    result = []
    for name in names:
        count = seen.get(name, 0) + 1
        seen[name] = count
        result.append(name if count == 1 else f"{name}_{count}")
    return result


def string_frame(names: Sequence[str], rows: Sequence[Any], *, where: str) -> pl.DataFrame:
    """All-String frame from positional rows; a row whose length differs from the fields is an error."""
    width = len(names)
    columns: list[list[str | None]] = [[] for _ in range(width)]
    for index, row in enumerate(rows):
        if not isinstance(row, list) or len(row) != width:
            size = len(row) if isinstance(row, list) else type(row).__name__
            raise ReportMetadataError(
                f"{where}: row {index} has {size} cells but the report has {width} fields; "
                "rows must be arrays aligned to the fields"
            )
        for column, cell in zip(columns, row, strict=True):
            column.append(_text(cell))
    return pl.DataFrame(
        {name: pl.Series(name, column, dtype=pl.String) for name, column in zip(names, columns, strict=True)}
    )


def cast_frame(
    frame: pl.DataFrame, types: Mapping[str, str], *, tz: str | None = None
) -> tuple[pl.DataFrame, dict[str, int]]:
    """Cast String columns to their declared types; returns the frame and bad cells per column.

    `tz` is the tenant's zone: date-times with an offset are converted to tenant-local wall time.
    """
    bad: dict[str, int] = {}
    casts = []
    for name in frame.columns:
        kind = types.get(name, "String")
        if kind == "String":
            continue
        stripped = frame.get_column(name).str.strip_chars()
        text = pl.select(pl.when(stripped.str.len_chars() > 0).then(stripped)).to_series()
        typed = _cast(text, kind, tz)
        introduced = typed.null_count() - text.null_count()
        if introduced:
            bad[name] = introduced
        casts.append(typed.alias(name))
    return (frame.with_columns(casts) if casts else frame), bad


def warn_bad_cells(bad: Mapping[str, int], where: str, *, stacklevel: int = 3) -> None:
    """One warning naming how many cells became null and in which columns."""
    if not bad:
        return
    total = sum(bad.values())
    detail = ", ".join(f"{name} ({count})" for name, count in bad.items())
    warnings.warn(
        f"{where}: {total} cell{'s' if total != 1 else ''} did not parse as the declared type and "
        f"became null: {detail}",
        ReportCastWarning,
        stacklevel=stacklevel,
    )


def _cast(text: pl.Series, kind: str, tz: str | None) -> pl.Series:
    if kind == "Number":
        non_null = text.drop_nulls()
        if non_null.len() and bool(non_null.str.contains(_INTEGER).all()):
            return text.cast(pl.Int64, strict=False)
        return text.cast(pl.Float64, strict=False)
    if kind == "Boolean":
        lower = text.str.to_lowercase()
        return (
            pl.select(
                pl.when(lower.is_in(_TRUE)).then(True).when(lower.is_in(_FALSE)).then(False).otherwise(None)
            )
            .to_series()
            .cast(pl.Boolean)
        )
    if kind == "Time":
        return pl.select(
            pl.coalesce(
                text.str.to_time("%H:%M:%S%.f", strict=False), text.str.to_time("%H:%M", strict=False)
            )
        ).to_series()
    if kind == "Date":
        return _date_or_datetime(text, tz)
    return text


def _date_or_datetime(text: pl.Series, tz: str | None) -> pl.Series:
    plain = text.str.to_date("%Y-%m-%d", strict=False)
    local = text.str.to_datetime("%Y-%m-%dT%H:%M:%S%.f", strict=False, time_unit="us")
    aware = text.str.to_datetime("%Y-%m-%dT%H:%M:%S%.f%#z", strict=False, time_unit="us", time_zone="UTC")
    aware_local = (aware.dt.convert_time_zone(tz) if tz else aware).dt.replace_time_zone(None)
    stamp = pl.select(pl.coalesce(local, aware_local)).to_series()
    if bool((stamp.drop_nulls().dt.time() != time(0)).any()):
        return pl.select(pl.coalesce(plain.cast(pl.Datetime("us")), stamp)).to_series()
    return pl.select(pl.coalesce(plain, stamp.dt.date())).to_series()


def _text(cell: Any) -> str | None:
    if cell is None or isinstance(cell, str):
        return cell
    if isinstance(cell, bool):
        return "true" if cell else "false"
    if isinstance(cell, int | float):
        return repr(cell)
    return json.dumps(cell, separators=(",", ":"), sort_keys=True)

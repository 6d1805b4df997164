"""Browsing tables: itables (DataTables) over formatted cells, every row it holds searched and sorted.

Cells are formatted by the same `format_value` as publication tables, in forms DataTables still sorts
as numbers ("1,234", "$12.50", "3.1%"); units it cannot read (ms) move into the header. itables'
silent downsampling is off: a frame longer than `max_rows` shows its first `max_rows` rows and says so
in words in the caption.
"""

from __future__ import annotations

import html
from collections.abc import Mapping

import polars as pl

from stnb.errors import require_extra
from stnb.tables.format import Unit, format_value, words
from stnb.tables.publish import units_of
from stnb.tables.readable import readable

__all__ = ["BROWSE_MAX_ROWS", "browse_frame", "browse_html", "browse_note"]

BROWSE_MAX_ROWS = 2_000  # a page stays responsive; beyond that, Parquet is the way to all rows
_IN_HEADER: dict[Unit, str] = {"ms": "ms"}


def _cell(value: object, unit: Unit) -> str:
    if value is None:
        return ""
    if unit == "ms" and isinstance(value, (int, float)):
        return f"{value:,.1f}" if abs(value) < 10 else f"{round(value):,}"
    return format_value(value, unit)


def browse_frame(
    frame: pl.DataFrame,
    *,
    units: Mapping[str, Unit] | None = None,
    labels: Mapping[str, str] | None = None,
    reorder: bool = True,
) -> pl.DataFrame:
    """`frame` as the strings a browsing table shows: formatted cells, headers in words."""
    shown = readable(frame, reorder=reorder)
    found = units_of(shown, units)
    columns = []
    for name in shown.columns:
        unit = found[name]
        header = words(name, labels)
        if unit in _IN_HEADER and not (labels and name in labels):
            header = f"{header} ({_IN_HEADER[unit]})"
        values = [_cell(v, unit) for v in shown.get_column(name).to_list()]
        columns.append(pl.Series(header, values, dtype=pl.String()))
    return pl.DataFrame(columns, height=shown.height)


def browse_note(total: int, shown: int) -> str:
    """What the table holds, in words: "12 rows", or "the first 5,000 of 9,986 rows …"."""
    if shown >= total:
        return f"{total:,} row" + ("" if total == 1 else "s")
    return (
        f"Showing the first {shown:,} of {total:,} rows: search and sort work on these {shown:,}. "
        "Save the frame to Parquet (or narrow the query) for all of them."
    )


def browse_html(
    frame: pl.DataFrame,
    *,
    caption: str | None = None,
    units: Mapping[str, Unit] | None = None,
    labels: Mapping[str, str] | None = None,
    max_rows: int = BROWSE_MAX_ROWS,
    page_length: int = 10,
    reorder: bool = True,
) -> str:
    """An interactive table (sort, search, pages) of `frame`'s first `max_rows` rows; the caption says how
    many rows it holds. Needs the DataTables bundle in the page (`stnb.widgets.outputs.datatable_assets`)
    and itables, which comes with the lab extra (`MissingExtra` without it).
    """
    require_extra("lab", "stnb.tables.browse_html", ("itables",))
    from itables import javascript  # itables imports pandas when present: load on first use

    head = frame.head(max_rows)
    note = browse_note(frame.height, head.height)
    text = f"{caption} · {note}" if caption else note
    return str(
        javascript.to_html_datatable(
            browse_frame(head, units=units, labels=labels, reorder=reorder),
            caption=html.escape(text),
            connected=False,
            pageLength=page_length,
            maxBytes=0,
            maxRows=0,
            maxColumns=0,
            show_dtypes=False,
            classes="display compact stnb-browse",
            style="table-layout:auto;width:100%;margin:0",
        )
    )

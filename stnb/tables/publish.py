"""Publication tables: great_tables (polars' `DataFrame.style`) with stnb's formatter and headers in words."""

from __future__ import annotations

import html
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

import polars as pl

from stnb.tables.format import Unit, format_value, unit_for, words
from stnb.tables.readable import readable

if TYPE_CHECKING:
    from great_tables import GT

__all__ = ["FONT", "publication_html", "publication_table", "table", "units_of"]

FONT = ["Inter", "Segoe UI", "Roboto", "Helvetica", "Arial", "sans-serif"]  # the charts' and report's font
_LEFT: frozenset[Unit] = frozenset({"text", "id", "date", "datetime"})


def _formatter(unit: Unit) -> Callable[[Any], str]:
    # great_tables takes a formatter's output as HTML: escape it, so a value never becomes markup
    return lambda value: html.escape(format_value(value, unit))


def units_of(frame: pl.DataFrame, units: Mapping[str, Unit] | None = None) -> dict[str, Unit]:
    """Each column's unit: `units` where given, else `unit_for(name, dtype)`."""
    given = dict(units or {})
    return {name: given.get(name) or unit_for(name, dtype) for name, dtype in frame.schema.items()}


def publication_table(
    frame: pl.DataFrame,
    *,
    title: str | None = None,
    subtitle: str | None = None,
    units: Mapping[str, Unit] | None = None,
    labels: Mapping[str, str] | None = None,
    notes: Sequence[str] = (),
    reorder: bool = False,
) -> GT:
    """`frame` as a great_tables table: every cell through `format_value` in its column's unit, headers in
    words (`labels` override), numbers right-aligned, nested records on one line, `notes` under it.
    """
    shown = readable(frame, reorder=reorder)
    found = units_of(shown, units)
    gt = shown.style
    for name, unit in found.items():
        gt = gt.fmt(_formatter(unit), columns=name)
    header: dict[str, Any] = {name: words(name, labels) for name in shown.columns}
    gt = gt.cols_label(cases=header)
    numeric = [n for n, u in found.items() if u not in _LEFT]
    if numeric:
        gt = gt.cols_align("right", columns=numeric)
    left = [n for n in shown.columns if n not in numeric]
    if left:
        gt = gt.cols_align("left", columns=left)
    if title:
        gt = gt.tab_header(title=title, subtitle=subtitle)
    for note in notes:
        gt = gt.tab_source_note(note)
    options: dict[str, Any] = {
        "table_font_names": FONT,
        "table_font_size": "13px",
        "table_font_color": "#1F2937",
        "heading_align": "left",
        "heading_title_font_size": "15px",
        "heading_subtitle_font_size": "12px",
        "column_labels_font_weight": "600",
        "column_labels_background_color": "#F9FAFB",
        "data_row_padding": "4px",
        "source_notes_font_size": "12px",
        "table_margin_left": "0px",
    }
    return gt.tab_options(**options)


def publication_html(
    frame: pl.DataFrame,
    *,
    title: str | None = None,
    subtitle: str | None = None,
    units: Mapping[str, Unit] | None = None,
    labels: Mapping[str, str] | None = None,
    notes: Sequence[str] = (),
    reorder: bool = False,
) -> str:
    """`publication_table(...)` as an HTML fragment (its own scoped CSS; no fonts or scripts fetched)."""
    table = publication_table(
        frame, title=title, subtitle=subtitle, units=units, labels=labels, notes=notes, reorder=reorder
    )
    return str(table.as_raw_html())


def table(
    frame: pl.DataFrame,
    title: str | None = None,
    *,
    subtitle: str | None = None,
    units: Mapping[str, Unit] | None = None,
    labels: Mapping[str, str] | None = None,
    notes: Sequence[str] = (),
    max_rows: int = 20,
    reorder: bool = True,
) -> GT:
    """`frame` as a notebook shows it: a publication table of its first `max_rows` rows (the notes say how
    many there are), identity columns first, nested records on one line. Display it (last line of a cell).
    """
    shown = frame.head(max_rows)
    more = [f"The first {shown.height:,} of {frame.height:,} rows."] if frame.height > shown.height else []
    return publication_table(
        shown,
        title=title,
        subtitle=subtitle,
        units=units,
        labels=labels,
        notes=[*notes, *more],
        reorder=reorder,
    )

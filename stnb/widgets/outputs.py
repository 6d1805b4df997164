"""What goes into an `ipywidgets.Output`: HTML, interactive tables (itables) and plotly figures.

Widgets set `Output.outputs` directly instead of printing inside `with out:` blocks: that works in and
out of a kernel (so tests can read it) and replaces a result in place. Tables render offline: each
widget carries the DataTables bundle once (`datatable_assets`), and every table waits for it.
"""

from __future__ import annotations

import html
import json
from collections.abc import Mapping, Sequence
from functools import cache
from typing import Any

import ipywidgets
import plotly.graph_objects as go
import polars as pl

from stnb._text import plural
from stnb.tables import BROWSE_MAX_ROWS, Unit, browse_html, browse_note, publication_html

__all__ = [
    "PLOTLY_MIME",
    "datatable_assets",
    "figure_output",
    "frame_output",
    "html_output",
    "show",
    "small_table_output",
    "table_output",
    "text_of",
]

PLOTLY_MIME = "application/vnd.plotly.v1+json"
TABLE_PAGE_LENGTH = 10
FIGURE_HEIGHT = 450


Output = dict[str, Any]


def _display(data: dict[str, Any]) -> Output:
    return {"output_type": "display_data", "data": data, "metadata": {}}


def html_output(html: str) -> Output:
    """An HTML output (scripts run in trusted notebooks and in Voila)."""
    return _display({"text/html": html, "text/plain": "(HTML)"})


@cache
def _assets_html() -> str:
    from itables import javascript, options  # itables imports pandas when present: load on first use

    return javascript.generate_init_offline_itables_html(options.dt_bundle)


def datatable_assets() -> Output:
    """The DataTables library for offline tables; loading it twice is a no-op in the page."""
    return html_output(_assets_html())


def table_output(
    frame: pl.DataFrame,
    caption: str | None = None,
    *,
    units: Mapping[str, Unit] | None = None,
    labels: Mapping[str, str] | None = None,
    max_rows: int = BROWSE_MAX_ROWS,
    reorder: bool = True,
) -> Output:
    """`frame` as an interactive table (sort, search, pages) of formatted cells with headers in words; the
    caption says how many rows it holds (the first `max_rows`, never a silent sample)."""
    page = browse_html(
        frame,
        caption=caption,
        units=units,
        labels=labels,
        max_rows=max_rows,
        page_length=TABLE_PAGE_LENGTH,
        reorder=reorder,
    )
    plain = f"{plural(frame.height, 'row')} × {plural(frame.width, 'column')}"
    if frame.height > max_rows:
        plain += f" ({browse_note(frame.height, max_rows)})"
    return _display({"text/html": page, "text/plain": plain})


def small_table_output(
    frame: pl.DataFrame,
    caption: str = "",
    *,
    subtitle: str | None = None,
    units: Mapping[str, Unit] | None = None,
    labels: Mapping[str, str] | None = None,
    notes: Sequence[str] = (),
) -> Output:
    """A short frame as a publication table (great_tables): every row and column, formatted by unit."""
    page = publication_html(
        frame, title=caption or None, subtitle=subtitle, units=units, labels=labels, notes=notes
    )
    return _display({"text/html": page, "text/plain": caption or plural(frame.height, "row")})


SMALL_TABLE_ROWS = 50  # up to this many rows a frame is a publication table; beyond, a browsing table


def frame_output(
    frame: pl.DataFrame,
    title: str,
    *,
    units: Mapping[str, Unit] | None = None,
    labels: Mapping[str, str] | None = None,
) -> Output:
    """A titled table: every row as a publication table when short, else a browsing table under the title."""
    if frame.height <= SMALL_TABLE_ROWS:
        return small_table_output(frame, title, units=units, labels=labels)
    heading = f'<div style="font-weight:600;margin:10px 0 4px">{html.escape(title)}</div>'
    table = table_output(frame, units=units, labels=labels)
    return _display({"text/html": heading + table["data"]["text/html"], "text/plain": title})


def figure_output(fig: go.Figure) -> Output:
    """A plotly figure as JupyterLab's and Voila's plotly mime bundle (no FigureWidget, no anywidget)."""
    spec = json.loads(fig.to_json())
    # Inside an Output widget the container takes its height from the plot: without a fixed height a
    # window resize collapses the plot to nothing.
    spec.setdefault("layout", {}).setdefault("height", FIGURE_HEIGHT)
    spec["config"] = {"displaylogo": False}
    title = fig.layout.title.text or "plotly figure"
    return _display({PLOTLY_MIME: spec, "text/plain": str(title)})


def show(out: ipywidgets.Output, *outputs: Output) -> None:
    """Replace everything `out` shows with `outputs`."""
    out.outputs = tuple(outputs)


def text_of(out: ipywidgets.Output) -> str:
    """Every text/plain and text/html payload `out` shows, joined (for tests and scans)."""
    parts: list[str] = []
    for output in out.outputs:
        data = output.get("data", {})
        parts.extend(str(data[key]) for key in ("text/plain", "text/html") if key in data)
        parts.extend(str(output[key]) for key in ("text",) if key in output)
    return "\n".join(parts)

"""What goes into an `ipywidgets.Output`: HTML, interactive tables (itables) and plotly figures.

Widgets set `Output.outputs` directly instead of printing inside `with out:` blocks: that works in and
out of a kernel (so tests can read it) and replaces a result in place. Tables render offline: each
widget carries the DataTables bundle once (`datatable_assets`), and every table waits for it.
"""

from __future__ import annotations

import html
import json
from functools import cache
from typing import Any

import ipywidgets
import plotly.graph_objects as go
import polars as pl

__all__ = [
    "PLOTLY_MIME",
    "datatable_assets",
    "figure_output",
    "html_output",
    "show",
    "small_table_output",
    "table_output",
    "text_of",
]

PLOTLY_MIME = "application/vnd.plotly.v1+json"
TABLE_PAGE_LENGTH = 10
FIGURE_HEIGHT = 450
_TABLE_MAX_BYTES = 2**20  # itables downsamples bigger frames; the full frame stays downloadable


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


def table_output(frame: pl.DataFrame, caption: str | None = None) -> Output:
    """`frame` as an interactive table (sort, search, pages); a plain HTML table without JavaScript."""
    from itables import javascript

    html = javascript.to_html_datatable(
        frame,
        caption=caption,
        connected=False,
        pageLength=TABLE_PAGE_LENGTH,
        maxBytes=_TABLE_MAX_BYTES,
        classes="display nowrap compact",
    )
    return _display({"text/html": html, "text/plain": f"{frame.height} rows × {frame.width} columns"})


def small_table_output(frame: pl.DataFrame, caption: str = "") -> Output:
    """A short frame as a static HTML table, every row and column shown (no JavaScript needed)."""
    with pl.Config(tbl_rows=-1, tbl_cols=-1, fmt_str_lengths=200, tbl_hide_dataframe_shape=True):
        table = frame._repr_html_()
    title = f'<div style="font-weight:600;margin:8px 0 2px">{html.escape(caption)}</div>' if caption else ""
    return html_output(f"{title}{table}")


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

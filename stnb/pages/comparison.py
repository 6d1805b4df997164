"""The `Comparison` users get from `stnb.compare`: the analysis's frames, plus its tables, figures and page.

`stnb._compare` (analysis) answers the question with a plain data object, `stnb._compare.Comparison`
(frames, a text summary). This subclass adds what needs the presentation layer: the notebook view
(`_repr_html_`, a publication table), `figures()` (plotly, from `stnb.charts.compare`) and `to_html(path)`
(a self-contained page). `compare` is `stnb._compare.compare` returning this subclass; `stnb.compare`
and `stnb.Comparison` name these. `write_sweep_html` writes the page of a `compare_all` sweep.
"""

from __future__ import annotations

import dataclasses
import html
import json
from pathlib import Path
from typing import TYPE_CHECKING

import polars as pl

from stnb._compare import comparison as data
from stnb._compare.run import compare as _compare
from stnb._compare.summary import is_identifier, summary_frame, title, verdict
from stnb.pages.document import page, presenting, write_page
from stnb.tables import publication_html

if TYPE_CHECKING:
    import plotly.graph_objects as go

    from stnb.tables import Unit

__all__ = ["Comparison", "change_lines", "compare", "write_html", "write_sweep_html"]


class Comparison(data.Comparison):
    """Counts, schema, values, records and service of one resource on sides `a` and `b` (see
    `stnb._compare.Comparison` for the frames), shown as a table in a notebook, drawn by `figures()` and
    written as a page by `to_html(path)`."""

    @classmethod
    def of(cls, result: data.Comparison) -> Comparison:
        """The same comparison (its frames shared, not copied), presentable."""
        if isinstance(result, cls):
            return result
        return cls(**{f.name: getattr(result, f.name) for f in dataclasses.fields(result)})

    def _repr_html_(self) -> str:
        return to_html_fragment(self)

    def figures(self) -> dict[str, go.Figure]:
        """Plotly figures: side-by-side distributions per field, monthly counts, changed fields."""
        from stnb.charts.compare import comparison_figures  # plotly loads when a figure is asked for

        return comparison_figures(self)

    def to_html(self, path: str | Path) -> Path:
        """Write a self-contained HTML page (tables and figures, plotly.js inlined once)."""
        return write_html(self, Path(path))


compare = presenting(_compare, Comparison.of)


_STYLE = (
    "<style>.stnb-compare table{border-collapse:collapse;font-size:13px}"
    ".stnb-compare th,.stnb-compare td{padding:2px 10px;text-align:left;border-bottom:1px solid #E5E7EB}"
    ".stnb-compare .verdict{color:#374151}</style>"
)


def to_html_fragment(cmp: data.Comparison) -> str:
    """The compact summary as an HTML fragment (what a notebook shows): a publication table."""
    from stnb.tables import publication_html

    table = publication_html(
        summary_frame(cmp),
        title=title(cmp),
        subtitle=verdict(cmp),
        units={"a": "text", "b": "text"},
        labels={"a": f"a: {cmp.a.label}", "b": f"b: {cmp.b.label}"},
        notes=cmp.notes,
    )
    return f"<div class='stnb-compare'>{table}</div>"


_DETAIL_ROWS = 50  # rows of each detail table on the page; the frames on the Comparison hold them all


def _section(title: str, frame: pl.DataFrame, ids: frozenset[str], note: str = "") -> str:
    from stnb.tables import publication_html

    shown = frame.head(_DETAIL_ROWS)
    notes = [note] if note else []
    if frame.height > shown.height:
        notes.append(f"The first {shown.height:,} of {frame.height:,} rows; the Comparison object holds all.")
    units: dict[str, Unit] = {c: "id" for c in shown.columns if c in ids or is_identifier(c)}
    return f"<section>{publication_html(shown, title=title, units=units, notes=notes)}</section>"


def change_lines(changes: pl.DataFrame, id_column: str = "id") -> pl.DataFrame:
    """`RecordDiff.changes` as id, field, change ("old → new"), nested values summarised on one line."""
    from stnb.tables.format import format_value

    def shown(text: str | None) -> str:
        if text is None:
            return "–"
        try:
            value = json.loads(text)
        except ValueError:
            return text
        return format_value(value, "text") if value is not None else "–"

    return changes.select(
        id_column,
        "field",
        pl.struct("a", "b")
        .map_elements(lambda r: f"{shown(r['a'])} → {shown(r['b'])}", return_dtype=pl.String)
        .alias("change"),
    )


def write_html(cmp: data.Comparison, path: Path) -> Path:
    """A self-contained page: summary, detail tables and the figures (plotly.js inlined once)."""
    from stnb.charts.compare import comparison_figures

    rd = cmp.record_diff
    ids = frozenset({rd.id_column})
    sections = [
        ("Counts", cmp.counts, ""),
        ("Schema differences", cmp.schema_diff, ""),
        ("Values seen on one side only", cmp.new_values, ""),
        ("Changed fields", rd.changed_fields, ""),
        ("Changed records: field, a → b", change_lines(rd.changes, rd.id_column), ""),
        ("Numeric summaries", cmp.numeric, ""),
        ("Service", cmp.service, ""),
    ]
    parts = [to_html_fragment(cmp)]
    parts += [_section(t, df, ids, note) for t, df, note in sections if df.height]
    for side, only in (("a", rd.only_in_a), ("b", rd.only_in_b)):
        if only.height:
            label = cmp.a.label if side == "a" else cmp.b.label
            parts.append(_section(f"Records only in {side} ({label}): {only.height:,}", only, ids))
    for i, fig in enumerate(comparison_figures(cmp).values()):
        parts.append(fig.to_html(full_html=False, include_plotlyjs=(i == 0)))
    return write_page(page(title(cmp), "".join(parts)), path)


_SWEEP_COLUMNS = (
    "resource",
    "status_a",
    "status_b",
    "count_a",
    "count_b",
    "fields_only_a",
    "fields_only_b",
    "dtype_diffs",
    "new_values_a",
    "new_values_b",
    "changed",
    "scope_problem",
    "score",
    "note",
)


def write_sweep_html(sweep: pl.DataFrame, path: str | Path, *, title: str) -> Path:
    """A page with the whole `compare_all` frame, most different resources first, under `title`."""
    columns = [c for c in _SWEEP_COLUMNS if c in sweep.columns]
    compared = sweep.filter(pl.col("status_a").is_not_null() | pl.col("status_b").is_not_null()).height
    said = f"{compared:,} of {sweep.height:,} resources compared on their first page"
    labels = {"status_a": "Status (a)", "status_b": "Status (b)", "count_a": "Records (a)"}
    labels |= {"count_b": "Records (b)", "new_values_a": "New values (a)", "new_values_b": "New values (b)"}
    labels |= {"fields_only_a": "Fields only in a", "fields_only_b": "Fields only in b"}
    labels |= {"dtype_diffs": "Type differences", "changed": "Changed values"}
    table = publication_html(
        sweep.select(columns), units={"status_a": "id", "status_b": "id"}, labels=labels
    )  # a publication table, as every stnb page (stnb.tables): counts with separators, headers in words
    body = (
        f"{_STYLE}<div class='stnb-compare'><p><b>{html.escape(title)}</b></p>"
        f"<p class='verdict'>{html.escape(said)}</p>{table}</div>"
    )
    return write_page(page(title, body), path)

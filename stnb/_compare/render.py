"""Comparison as a compact summary: a polars frame, aligned text, an HTML fragment, an HTML page."""

from __future__ import annotations

import html
import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

import polars as pl

if TYPE_CHECKING:
    from stnb._compare.comparison import Comparison
    from stnb.tables import Unit

__all__ = ["change_lines", "summary_frame", "to_html_fragment", "to_text", "write_html", "write_sweep_html"]

SUMMARY_SCHEMA = {"aspect": pl.String, "item": pl.String, "a": pl.String, "b": pl.String}
_TOP_FIELDS = 5  # changed fields listed in the summary line; the full list is in record_diff
_ID_SUFFIXES = ("Id", "Ids", "_id", "_ids")


def _num(value: Any) -> str:
    return "" if value is None else f"{value:,}" if isinstance(value, int) else str(value)


def _ms(value: float | None) -> str:
    return "–" if value is None else f"{value:.0f}"


def _rows(cmp: Comparison) -> list[tuple[str, str, str, str]]:
    rows: list[tuple[str, str, str, str]] = []
    for r in cmp.counts.iter_rows(named=True):
        unknown = r["a"] is None and r["b"] is None  # e.g. active, on resources that do not send it
        if not unknown and (r["metric"] != "rows" or cmp.method != "full list"):
            rows.append(("counts", r["metric"], _num(r["a"]), _num(r["b"])))
    for side in ("a", "b"):
        only = sorted(cmp.fields_only_in(side))
        if only:
            joined = ", ".join(only)
            rows.append(
                (
                    "schema",
                    f"fields only in {side}",
                    joined if side == "a" else "",
                    joined if side == "b" else "",
                )
            )
    for r in cmp.schema_diff.filter(pl.col("change") == "dtype").iter_rows(named=True):
        rows.append(("schema", f"dtype of {r['field']}", r["dtype_a"], r["dtype_b"]))
    for r in cmp.schema_diff.filter(pl.col("change") == "null rate").iter_rows(named=True):
        rows.append(
            ("schema", f"null rate of {r['field']}", f"{r['null_rate_a']:.0%}", f"{r['null_rate_b']:.0%}")
        )
    news_a, news_b = cmp.new_values_in("a"), cmp.new_values_in("b")
    for name in sorted(set(news_a) | set(news_b)):
        rows.append(
            (
                "values",
                f"{name} values on one side",
                ", ".join(sorted(news_a.get(name, ()))),
                ", ".join(sorted(news_b.get(name, ()))),
            )
        )
    rd = cmp.record_diff
    if rd.compared or rd.only_in_a.height or rd.only_in_b.height:
        rows.append(("records", "only on this side", _num(rd.only_in_a.height), _num(rd.only_in_b.height)))
        top = ", ".join(
            f"{r['field']} {r['records']}" for r in rd.changed_fields.head(_TOP_FIELDS).iter_rows(named=True)
        )
        changed = _num(rd.n_changed) + (f" ({top})" if top else "")
        rows.append(("records", f"changed of {rd.compared:,} shared", changed, changed))
        if rd.modified_only:
            only_fields = "/".join(rd.ignored)
            rows.append(
                ("records", f"{only_fields} changed only", _num(rd.modified_only), _num(rd.modified_only))
            )
    service = {r["side"]: r for r in cmp.service.iter_rows(named=True)}
    if service:
        sa, sb = service.get("a", {}), service.get("b", {})
        rows.append(("service", "status", _num(sa.get("status")) or "–", _num(sb.get("status")) or "–"))
        rows.append(
            (
                "service",
                "requests / errors",
                f"{sa.get('requests', 0)} / {sa.get('errors', 0)}",
                f"{sb.get('requests', 0)} / {sb.get('errors', 0)}",
            )
        )
        rows.append(
            (
                "service",
                "latency p50 / p95 ms",
                f"{_ms(sa.get('p50_ms'))} / {_ms(sa.get('p95_ms'))}",
                f"{_ms(sb.get('p50_ms'))} / {_ms(sb.get('p95_ms'))}",
            )
        )
    for f in cmp.failures:
        text = f"{f.stage}: {f.error}"
        rows.append(
            ("failure", f"side {f.side}", text if f.side == "a" else "", text if f.side == "b" else "")
        )
    return rows


def summary_frame(cmp: Comparison) -> pl.DataFrame:
    """The compact summary: one row per aspect that was measured or differs."""
    return pl.DataFrame(_rows(cmp), schema=SUMMARY_SCHEMA, orient="row")


def _title(cmp: Comparison) -> str:
    filters = ", ".join(f"{k}={v}" for k, v in cmp.filters.items())
    return (
        f"{cmp.resource}{f' [{filters}]' if filters else ''}: a = {cmp.a.label} vs b = {cmp.b.label}"
        f" · {cmp.method}"
    )


def _verdict(cmp: Comparison) -> str:
    if cmp.failures:
        return "partial result: " + "; ".join(str(f) for f in cmp.failures)
    return "differences found" if cmp.has_differences else "no differences"


def to_text(cmp: Comparison) -> str:
    """Aligned plain-text summary (the `repr` and the CLI output)."""
    rows = [("aspect", "item", "a", "b"), *_rows(cmp)]
    widths = [max(len(r[i]) for r in rows) for i in range(4)]
    lines = [_title(cmp), _verdict(cmp)]
    lines += ["  ".join(cell.ljust(w) for cell, w in zip(r, widths, strict=True)).rstrip() for r in rows]
    lines += [f"note: {n}" for n in cmp.notes]
    return "\n".join(lines)


def _is_identifier(column: str) -> bool:
    """Ids print as written: '100000178', not '100,000,178'."""
    return column.lower() == "id" or column.endswith(_ID_SUFFIXES)


def _cell(value: Any, identifier: bool) -> str:
    if value is None:
        return ""
    if isinstance(value, list):
        return ", ".join(_cell(v, identifier) for v in value)
    if isinstance(value, bool) or identifier:
        return str(value)
    return _num(value)


def _table(df: pl.DataFrame, max_rows: int = 50, *, ids: frozenset[str] = frozenset()) -> str:
    """An HTML table of the first `max_rows` rows; columns in `ids` (or named like ids) print plainly."""
    head = "".join(f"<th>{html.escape(c)}</th>" for c in df.columns)
    plain = [c in ids or _is_identifier(c) for c in df.columns]
    body = []
    for row in df.head(max_rows).iter_rows():
        cells = "".join(
            f"<td>{html.escape(_cell(v, identifier))}</td>" for v, identifier in zip(row, plain, strict=True)
        )
        body.append(f"<tr>{cells}</tr>")
    more = f"<p class='more'>… {df.height - max_rows:,} more rows</p>" if df.height > max_rows else ""
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>{more}"


_STYLE = (
    "<style>.stnb-compare table{border-collapse:collapse;font-size:13px}"
    ".stnb-compare th,.stnb-compare td{padding:2px 10px;text-align:left;border-bottom:1px solid #E5E7EB}"
    ".stnb-compare .verdict{color:#374151}</style>"
)


def to_html_fragment(cmp: Comparison) -> str:
    """The compact summary as an HTML fragment (what a notebook shows): a publication table."""
    from stnb.tables import publication_html

    table = publication_html(
        summary_frame(cmp),
        title=_title(cmp),
        subtitle=_verdict(cmp),
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
    units: dict[str, Unit] = {c: "id" for c in shown.columns if c in ids or _is_identifier(c)}
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


def write_html(cmp: Comparison, path: Path) -> Path:
    """A self-contained page: summary, detail tables and the figures (plotly.js inlined once)."""
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
    for i, fig in enumerate(cmp.figures().values()):
        parts.append(fig.to_html(full_html=False, include_plotlyjs=(i == 0)))
    return _write_page(_title(cmp), "".join(parts), path)


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


def write_sweep_html(sweep: pl.DataFrame, path: Path, *, title: str) -> Path:
    """A page with the whole `compare_all` frame, most different resources first, under `title`."""
    columns = [c for c in _SWEEP_COLUMNS if c in sweep.columns]
    compared = sweep.filter(pl.col("status_a").is_not_null() | pl.col("status_b").is_not_null()).height
    verdict = f"{compared:,} of {sweep.height:,} resources compared on their first page"
    body = (
        f"{_STYLE}<div class='stnb-compare'><p><b>{html.escape(title)}</b></p>"
        f"<p class='verdict'>{html.escape(verdict)}</p>{_table(sweep.select(columns), sweep.height)}</div>"
    )
    return _write_page(title, body, path)


_PAGE_STYLE = (
    "<style>body{font-family:Inter,'Segoe UI',Roboto,Helvetica,Arial,sans-serif;color:#1F2937;"
    "margin:24px auto;max-width:1280px;padding:0 16px}section{margin:20px 0;overflow-x:auto}</style>"
)


def _write_page(title: str, body: str, path: Path) -> Path:
    doc = (
        "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>"
        "<meta name='viewport' content='width=device-width, initial-scale=1'>"
        f"<title>{html.escape(title)}</title>{_PAGE_STYLE}</head><body>{body}</body></html>"
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")  # written whole, then renamed: no half page on failure
    tmp.write_text(doc, encoding="utf-8")
    tmp.replace(path)
    return path

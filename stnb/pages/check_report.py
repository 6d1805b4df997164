"""The `CheckResult` users get from `stnb.check`: the findings as frames, plus figures and a page.

`stnb._check` (analysis) returns a plain `stnb._check.CheckResult` (frames, a verdict, text, JSON). This
subclass adds the notebook view (`_repr_html_`), `figures()` (plotly, from `stnb.charts.check`) and
`to_html()`: a self-contained page in plain HTML and CSS, no scripts. Every cell is escaped; examples
arrive masked from the analysis; the page is run through the redactor once more so no token or secret
can reach a ticket. `check` is `stnb._check.check` returning this subclass; `stnb.check` and
`stnb.CheckResult` name these.
"""

from __future__ import annotations

import dataclasses
import html
from pathlib import Path
from typing import TYPE_CHECKING

import polars as pl
from great_tables import loc, style

from stnb._check import result as data
from stnb._check.findings import BREAKS, LOSES_DATA
from stnb._check.run import check as _check
from stnb._redact import redact
from stnb._text import plural
from stnb.pages.document import presenting, write_page
from stnb.tables import publication_table

if TYPE_CHECKING:
    import plotly.graph_objects as go

__all__ = ["CheckResult", "check", "check_page"]


class CheckResult(data.CheckResult):
    """What `stnb.check` found (see `stnb._check.CheckResult` for the frames), shown in a notebook, drawn
    by `figures()` and written as a page by `to_html()`."""

    @classmethod
    def of(cls, result: data.CheckResult) -> CheckResult:
        """The same result (its frames shared, not copied), presentable."""
        if isinstance(result, cls):
            return result
        return cls(**{f.name: getattr(result, f.name) for f in dataclasses.fields(result)})

    def _repr_html_(self) -> str:
        return check_fragment(self, compact=True)

    def figures(self) -> dict[str, go.Figure]:
        """Plotly figures: findings by resource and severity, known deviations by status."""
        from stnb.charts.check import check_figures  # plotly loads when a figure is asked for

        return check_figures(self)

    def to_html(self, path: str | Path | None = None) -> str:
        """A self-contained page (no scripts, no secrets, examples masked); written to `path` if given."""
        text = check_page(self)
        if path is not None:
            write_page(text, path)
        return text


check = presenting(_check, CheckResult.of)

_STYLE = """
body{font-family:system-ui,-apple-system,"Segoe UI",sans-serif;margin:2em;color:#222}
h2{font-size:1.1em;margin-top:1.5em}.verdict{font-size:1.1em}
"""
_COLUMNS = (
    "resource",
    "endpoint",
    "category",
    "check",
    "field",
    "documented",
    "observed",
    "example",
    "severity",
    "known",
    "note",
)


def _table(frame: pl.DataFrame, columns: tuple[str, ...] | list[str], limit: int | None = None) -> str:
    """A publication table (great_tables, as on every stnb page): headers in words, every cell as text
    (escaped), severities that break a client or lose data in colour, and how many rows are left out."""
    shown = (frame.head(limit) if limit is not None else frame).select(
        [pl.col(c).cast(pl.String) for c in columns if c in frame.columns]
    )
    left_out = frame.height - shown.height
    notes = [f"… and {plural(left_out, 'more row')} (the whole list is in the page `to_html()` writes)"]
    table = publication_table(
        shown, units=dict.fromkeys(shown.columns, "text"), notes=notes if left_out else ()
    )
    if "severity" in shown.columns:
        for severity, colour in ((BREAKS, "#B91C1C"), (LOSES_DATA, "#C2410C")):
            table = table.tab_style(
                style=style.text(color=colour, weight="bold"),
                locations=loc.body(columns="severity", rows=pl.col("severity") == severity),
            )
    return str(table.as_raw_html())


def check_fragment(result: data.CheckResult, compact: bool = False) -> str:
    """The result as an HTML fragment (compact: the verdict and the first findings only)."""
    verdict = (
        "nothing new breaks a client"
        if result.ok
        else f"{result.breaking.height} new findings break a client"
    )
    parts = [f'<p class="verdict"><b>{html.escape(verdict)}</b> — {html.escape(result.summary())}</p>']
    findings = result.findings.with_columns(pl.col("severity").cast(pl.String)).sort("severity", "resource")
    if findings.height:
        parts.append(_table(findings, _COLUMNS, 10 if compact else None))
    quirks = result.quirks.with_columns(pl.col("status").cast(pl.String))
    if compact:
        counts = quirks.group_by("status").len().sort("status")
        text = ", ".join(f"{n} {s}" for s, n in counts.iter_rows())
        parts.append(f"<p>Known deviations: {html.escape(text)}</p>")
    else:
        parts.append("<h2>Known deviations</h2>")
        parts.append(_table(quirks, ("quirk", "status", "evidence", "documents", "live")))
        if result.rate_headers:
            headers = pl.DataFrame(
                {"header": list(result.rate_headers), "value": list(result.rate_headers.values())}
            )
            parts.append("<h2>Rate-limit headers seen</h2>" + _table(headers, ("header", "value")))
        if result.unchecked.height:
            parts.append(
                "<h2>Not checked</h2>" + _table(result.unchecked, ("resource", "endpoint", "reason"))
            )
    return redact("\n".join(parts))


def check_page(result: data.CheckResult) -> str:
    """The whole page: when and against which documents, the verdict, every finding, the deviations."""
    docs = ", ".join(result.documents) or "unknown"
    body = check_fragment(result)
    title = f"stnb check — {result.env}"
    meta = (
        f"<p>Started {html.escape(result.started.strftime('%Y-%m-%d %H:%M UTC'))}; "
        f"documents {html.escape(docs)}. "
        "Examples are masked: numbers, dates and enum words are shown, other text only by its length.</p>"
    )
    page = (
        f'<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>{html.escape(title)}</title>'
        f"<style>{_STYLE}</style></head><body><h1>{html.escape(title)}</h1>{meta}{body}</body></html>"
    )
    return redact(page)

"""The usage report: one self-contained HTML file (plotly.js inlined once) with a summary and charts.

The numbers come from `stnb.usage.report.report_numbers` (analysis), the charts from
`stnb.charts.usage`, the tables from `stnb.tables`. `build_report` computes everything;
`UsageReport.write_html` writes the page (it opens offline) and `UsageReport.write_pngs` writes each
chart as a PNG through kaleido (the png extra), which needs a Chromium browser. Attempts the built-in
sandbox answered are left out unless `include_sandbox=True`; the page says how many.
"""

from __future__ import annotations

import html
import os
import shutil
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from importlib import metadata
from pathlib import Path

import plotly.graph_objects as go
import plotly.offline
import polars as pl

from stnb.charts import usage as charts
from stnb.errors import require_extra
from stnb.pages.document import write_page
from stnb.tables import MISSING, Unit, format_value, publication_html
from stnb.usage.report import CallsSource, PathLike, report_numbers

__all__ = [
    "ChromiumNotFound",
    "UsageReport",
    "anomaly_table_html",
    "build_report",
    "chromium_path",
    "summary_table_html",
    "write_html_report",
]


def _version() -> str:
    try:
        return metadata.version("stnb")
    except metadata.PackageNotFoundError:
        return "(version unknown)"


class ChromiumNotFound(RuntimeError):
    """PNG export needs Chromium (kaleido drives it) and none was found."""


def chromium_path() -> str | None:
    """The Chromium kaleido will use: `$BROWSER_PATH`, else chromium/chrome on PATH, else None."""
    env = os.environ.get("BROWSER_PATH")
    if env and Path(env).is_file():
        return env
    for name in ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable"):
        found = shutil.which(name)
        if found:
            return found
    return None


@dataclass
class UsageReport:
    """A computed usage report: summary table, anomaly table and titled figures (in page order).

    `calls_source` says where the calls (and anomalies, projection) come from, `with_ledger` whether
    the ledger's columns are filled, `sandbox_left_out` how many sandbox attempts were left out.
    """

    title: str
    start: date | None
    end: date | None
    sources: list[str]
    summary: pl.DataFrame
    anomalies: pl.DataFrame
    figures: list[tuple[str, go.Figure]] = field(default_factory=list)  # (slug, figure)
    calls_source: CallsSource = "portal"
    with_ledger: bool = True
    sandbox_left_out: int = 0

    def to_html(self) -> str:
        """The whole page as text: plotly.js inlined once, no external resources."""
        parts = [_HEAD.format(title=html.escape(self.title), plotlyjs=plotly.offline.get_plotlyjs())]
        parts.append(f"<h1>{html.escape(self.title)}</h1>")
        span = f"{self.start or '…'} – {self.end or '…'}"
        generated = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
        parts.append(
            f"<p class='meta'>{html.escape(span)} · generated {generated} by stnb {_version()}<br>"
            f"Sources: {html.escape('; '.join(self.sources))}</p>"
        )
        parts.append("<h2>Summary per app</h2>")
        parts.append(summary_table_html(self.summary, with_ledger=self.with_ledger))
        parts.append(f"<p class='notes'>{html.escape(_notes_text(self.calls_source, self.with_ledger))}</p>")
        if self.anomalies.height:
            parts.append("<h2>Anomalous days</h2>")
            parts.append(anomaly_table_html(self.anomalies))
        for slug, fig in self.figures:
            div = fig.to_html(
                full_html=False,
                include_plotlyjs=False,
                div_id=f"chart-{slug}",
                config={"displaylogo": False, "responsive": True},
            )
            parts.append(f"<section class='chart'>{div}</section>")
        parts.append("</body></html>")
        return "\n".join(parts)

    def write_html(self, out: PathLike) -> Path:
        """Write the page (atomically) and return its path."""
        return write_page(self.to_html(), out)

    def write_pngs(self, folder: PathLike, *, width: int = 1200, height: int = 600) -> list[Path]:
        """Write every chart as `<folder>/<slug>.png`; raises `MissingExtra` without kaleido (the png
        extra) and `ChromiumNotFound` without Chromium."""
        require_extra("png", "UsageReport.write_pngs")
        browser = chromium_path()
        if browser is None:
            raise ChromiumNotFound(
                "PNG export needs Chromium (kaleido renders with it) and none was found: install it "
                "(Debian: apt-get install chromium) or set BROWSER_PATH; the HTML report needs no browser"
            )
        target = Path(folder)
        target.mkdir(parents=True, exist_ok=True)
        files = [target / f"{slug}.png" for slug, _ in self.figures]
        if files:
            import kaleido  # the png extra, checked above

            opts = {"format": "png", "width": width, "height": height}
            specs = [
                {"fig": fig.to_dict(), "path": file, "opts": opts}
                for (_, fig), file in zip(self.figures, files, strict=True)
            ]
            # The browser is handed to kaleido, not set in os.environ: a call changes nothing process-wide.
            # No MathJax (the charts have no TeX; kaleido would fetch it from a CDN).
            kaleido.write_fig_from_object_sync(specs, kopts={"path": browser, "mathjax": False})
        return files


_HEAD = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title}</title>
<style>
body {{ font-family: Inter, "Segoe UI", Roboto, Helvetica, Arial, sans-serif; color: #1F2937;
       margin: 24px auto; max-width: 1280px; padding: 0 16px; }}
h1 {{ font-size: 24px; margin-bottom: 4px; }} h2 {{ font-size: 18px; margin-top: 28px; }}
.meta {{ color: #6B7280; font-size: 13px; }}
.scroll {{ overflow-x: auto; }}
.notes {{ color: #6B7280; font-size: 12px; max-width: 960px; }}
section.chart {{ margin: 24px 0; }}
</style>
<script type="text/javascript">{plotlyjs}</script>
</head><body>"""

_CALLS_NOTES: dict[CallsSource, str] = {
    "portal": "Calls, weekly change, anomalies and the projection come from the developer portal's API "
    "Usage Reports: successful (2xx) production calls, Pacific days.",
    "ledger": "Calls, weekly change, anomalies and the projection count every attempt in the local ledger "
    "of calls made through stnb: any environment, failures, retries and token requests included, "
    "UTC days.",
}
_LEDGER_NOTES = {
    True: "Ledger attempts, success, errors, 429s, latency and peak requests per second come from the "
    "local ledger (token requests and retries included).",
    False: "Ledger attempts, success, errors, 429s, latency and headroom need the local ledger of calls "
    "made through stnb, which this report does not use (shown as –).",
}
_METHOD_NOTES = (
    "Anomalies: robust z-score of daily calls against trend and weekday pattern, |z| > 3.5, on whole "
    "days only (a day the data covers in part is drawn, shaded, and never flagged). "
    "Projection: a linear trend over the last 8 weeks with the weekly pattern; the range is a 90% band "
    "from the fit's residuals that widens with the horizon. Headroom: 60 requests/s per app and tenant "
    "minus the busiest second seen."
)


def _notes_text(calls_source: CallsSource, with_ledger: bool) -> str:
    """The footnote under the summary table: where each column comes from, true for these sources."""
    return " ".join((_CALLS_NOTES[calls_source], _LEDGER_NOTES[with_ledger], _METHOD_NOTES))


def _per_second(value: object, signed: bool = False) -> str:
    if not isinstance(value, (int, float)):
        return MISSING
    return f"{value:+.0f}/s" if signed else f"{value:,.0f}/s"


def _summary_display(summary: pl.DataFrame) -> pl.DataFrame:
    """The summary as the page shows it: worst day with its deviation, the projection with its band."""
    rows = []
    for r in summary.iter_rows(named=True):
        worst = MISSING
        if r["worst_day"] is not None:
            worst = f"{format_value(r['worst_day'], 'date')} ({format_value(r['worst_pct'], 'pct')})"
        projected = MISSING
        if r["projected_30d"] is not None:
            low, high = format_value(r["projected_low"], "count"), format_value(r["projected_high"], "count")
            projected = f"{format_value(r['projected_30d'], 'count')} ({low} – {high})"
        rows.append(
            {
                **{k: r[k] for k in ("app", "calls", "last_7_days", "wow_pct", "anomalies")},
                "worst": worst,
                "projected": projected,
                **{k: r[k] for k in ("attempts", "success_rate", "error_rate", "throttle_rate", "p95_ms")},
                "peak": _per_second(r["peak_rps"]),
                "headroom": _per_second(r["headroom"], signed=True),
            }
        )
    schema = {
        "app": pl.String(),
        "calls": pl.Int64(),
        "last_7_days": pl.Int64(),
        "wow_pct": pl.Float64(),
        "anomalies": pl.Int64(),
        "worst": pl.String(),
        "projected": pl.String(),
        "attempts": pl.Int64(),
        "success_rate": pl.Float64(),
        "error_rate": pl.Float64(),
        "throttle_rate": pl.Float64(),
        "p95_ms": pl.Float64(),
        "peak": pl.String(),
        "headroom": pl.String(),
    }
    return pl.DataFrame(rows, schema=schema, orient="row")


_SUMMARY_LABELS = {
    "app": "App",
    "calls": "Calls",
    "last_7_days": "Last 7 days",
    "wow_pct": "Week over week",
    "anomalies": "Anomalous days",
    "worst": "Largest anomaly",
    "projected": "Next 30 days (90% band)",
    "attempts": "Ledger attempts",
    "success_rate": "Success",
    "error_rate": "Errors",
    "throttle_rate": "429s",
    "p95_ms": "p95 latency",
    "peak": "Peak per tenant",
    "headroom": "Headroom to 60/s",
}
_SUMMARY_UNITS: dict[str, Unit] = {"worst": "text", "projected": "text", "peak": "text", "headroom": "text"}


_LEDGER_DISPLAY = ("attempts", "success_rate", "error_rate", "throttle_rate", "p95_ms", "peak", "headroom")


def summary_table_html(
    summary: pl.DataFrame, *, title: str | None = None, subtitle: str | None = None, with_ledger: bool = True
) -> str:
    """The per-app summary (`app_summary`) as a publication table; `with_ledger=False` leaves out the
    columns only a ledger fills."""
    shown = _summary_display(summary)
    if not with_ledger:
        shown = shown.drop(_LEDGER_DISPLAY)
    table = publication_html(
        shown, title=title, subtitle=subtitle, labels=_SUMMARY_LABELS, units=_SUMMARY_UNITS
    )
    return f"<div class='scroll'>{table}</div>"


def anomaly_table_html(found: pl.DataFrame, *, title: str | None = None, subtitle: str | None = None) -> str:
    """Anomalous days (`analytics.anomalies`) as a publication table: app, day, kind, calls, expected,
    deviation in %, z-score."""
    shown = found.select("app", "day", "kind", "calls", pl.col("expected").round(0), "deviation_pct", "z")
    table = publication_html(
        shown,
        title=title,
        subtitle=subtitle,
        units={"expected": "count"},
        labels={"deviation_pct": "Deviation", "expected": "Expected calls"},
    )
    return f"<div class='scroll'>{table}</div>"


def build_report(
    *,
    ledger: PathLike | pl.DataFrame | pl.LazyFrame | None = None,
    portal: PathLike | Iterable[PathLike] | pl.DataFrame | pl.LazyFrame | None = None,
    start: date | None = None,
    end: date | None = None,
    apps: Sequence[str] | None = None,
    title: str = "API usage report",
    include_sandbox: bool = False,
) -> UsageReport:
    """Compute the report from a ledger (path or frame) and/or portal reports (paths or frame).

    Ledger rows flagged `sandbox` (attempts the built-in sandbox answered) are left out unless
    `include_sandbox=True`; `UsageReport.sandbox_left_out` and the page say how many.
    """
    numbers = report_numbers(
        ledger=ledger,
        portal=portal,
        start=start,
        end=end,
        apps=apps,
        title=title,
        include_sandbox=include_sandbox,
    )
    volume, ledger_frame = numbers.volume, numbers.ledger
    figures: list[tuple[str, go.Figure]] = [
        ("trend", charts.trend(volume)),
        ("families", charts.family_area(volume)),
        ("endpoints", charts.endpoint_heatmap(volume)),
        ("tenants", charts.tenants_ranked(volume)),
        ("projection", charts.projection(volume)),
    ]
    if ledger_frame is not None:
        figures += [
            ("errors", charts.error_rates(ledger_frame)),
            ("latency", charts.latency(ledger_frame)),
            ("headroom", charts.headroom(ledger_frame)),
        ]
    return UsageReport(
        title=numbers.title,
        start=numbers.start,
        end=numbers.end,
        sources=numbers.sources,
        summary=numbers.summary,
        anomalies=numbers.anomalies,
        figures=figures,
        calls_source=numbers.calls_source,
        with_ledger=numbers.with_ledger,
        sandbox_left_out=numbers.sandbox_left_out,
    )


def write_html_report(
    out: PathLike,
    *,
    ledger: PathLike | pl.DataFrame | pl.LazyFrame | None = None,
    portal: PathLike | Iterable[PathLike] | pl.DataFrame | pl.LazyFrame | None = None,
    start: date | None = None,
    end: date | None = None,
    apps: Sequence[str] | None = None,
    png_dir: PathLike | None = None,
    include_sandbox: bool = False,
) -> Path:
    """Write the self-contained HTML report to `out` (and PNGs to `png_dir` when Chromium is present).

    Without Chromium the HTML is still written and `ChromiumNotFound` is raised afterwards, so callers
    can say that the images were skipped.
    """
    report = build_report(
        ledger=ledger, portal=portal, start=start, end=end, apps=apps, include_sandbox=include_sandbox
    )
    path = report.write_html(out)
    if png_dir is not None:
        report.write_pngs(png_dir)
    return path

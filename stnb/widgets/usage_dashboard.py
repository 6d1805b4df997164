"""UsageDashboard: per-app API usage over time from the portal's usage reports and the local ledger.

The numbers come from `stnb.usage.analytics` and the report from `stnb.pages.usage_report`; the dashboard
chooses the source, apps, date range, granularity, grouping and metric, and redraws its charts in place
whenever one of them changes (all local data: no request is ever made).
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import ipywidgets as widgets
import polars as pl

from stnb._text import plural
from stnb.charts import usage as usage_charts
from stnb.charts.explore import group_lines
from stnb.pages.usage_report import anomaly_table_html, build_report, summary_table_html
from stnb.usage import analytics, import_portal_reports, read_ledger
from stnb.usage.events import name_tenants, tenant_label, tenant_names, usage_events
from stnb.usage.summary import app_summary
from stnb.widgets.demo_cache import demo_frames
from stnb.widgets.outputs import figure_output, html_output, show
from stnb.widgets.render import banner_html, button_layout, error_html, text_html

__all__ = [
    "GRANULARITIES",
    "GROUPS",
    "METRICS",
    "RANGES",
    "SOURCES",
    "UsageDashboard",
    "metric_over_time",
]

PathLike = str | os.PathLike[str]
SOURCES = {
    "portal": "portal usage reports (production, successful calls)",
    "ledger": "ledger (every attempt this machine made)",
}
GRANULARITIES = (("hour", "1h"), ("day", "1d"), ("week", "1w"), ("month", "1mo"))
GROUPS = (("app", "app"), ("tenant", "tenant"), ("API family", "api"), ("endpoint", "endpoint"))
# metric -> (what the ledger-only analytics call it, axis title); "calls" also works on portal data.
METRICS: dict[str, tuple[str, str]] = {
    "calls": ("calls", "calls"),
    "errors": ("errors", "failed attempts"),
    "error rate": ("error_rate", "% of attempts failing"),
    "429 responses": ("throttled", "429 responses"),
    "p95 latency": ("p95", "95th percentile latency (ms)"),
}
RANGES = (("last 7 days", 7), ("last 28 days", 28), ("last 90 days", 90), ("everything", 0), ("custom", -1))
TOP_GROUPS = 8
DEFAULT_RANGE_DAYS = 90  # a quarter: long enough to show a launch or an incident against the trend


def metric_over_time(events: pl.DataFrame, metric: str, by: str, every: str) -> pl.DataFrame:
    """Columns period, `by`, value: the chosen metric per period and group (see `METRICS`)."""
    column, _ = METRICS[metric]
    if by == "tenant":  # named where a portal report names it
        events = events.with_columns(tenant_label().alias("tenant"))
    if metric == "calls":
        frame = analytics.calls_over_time(events, every, by)
    elif metric == "p95 latency":
        frame = analytics.latency_percentiles(events, by, every)
    else:
        frame = analytics.rates(events, by, every)
    value = pl.col(column).cast(pl.Float64)
    if column.endswith("_rate"):
        value = value * 100.0  # in percent, as the report shows rates
    return frame.select("period", by, value.alias("value"))


def _events(frame: pl.DataFrame | None) -> pl.DataFrame | None:
    return None if frame is None or frame.height == 0 else usage_events(frame).collect()


class UsageDashboard:
    """Apps, date range, granularity, group-by and metric pickers over usage data, charts updated in place.

    `portal` is a portal report frame (`import_portal_reports`), `ledger` a ledger frame (`read_ledger`);
    at least one is needed. `UsageDashboard.load(...)` reads them from files, or builds the sandbox demo.
    """

    def __init__(
        self,
        *,
        portal: pl.DataFrame | None = None,
        ledger: pl.DataFrame | None = None,
        output_dir: PathLike = "output",
    ) -> None:
        self.portal = portal
        self.ledger = ledger
        self.output_dir = Path(output_dir)
        self._events = {
            name: e for name, e in (("portal", _events(portal)), ("ledger", _events(ledger))) if e is not None
        }
        names = tenant_names(*self._events.values())
        if "ledger" in self._events and names.height:  # the ledger knows tenant ids only
            self._events["ledger"] = name_tenants(self._events["ledger"], names).collect()
        if not self._events:
            raise ValueError("the usage dashboard needs portal reports, a ledger with attempts, or both")
        self._quiet = False

        sources = list(self._events)
        self.source = widgets.Dropdown(
            options=[(SOURCES[s], s) for s in sources],
            value=sources[0],
            description="source",
            layout={"width": "480px"},  # the whole source name, never "portal usage reports (productio…"
        )
        self.apps = widgets.SelectMultiple(description="apps", rows=4)
        self.range = widgets.Dropdown(options=list(RANGES), value=DEFAULT_RANGE_DAYS, description="range")
        self.start = widgets.DatePicker(description="from")
        self.end = widgets.DatePicker(description="to (incl.)")
        self.granularity = widgets.ToggleButtons(
            options=list(GRANULARITIES),
            value="1d",
            description="per",
            style={"description_width": "90px", "button_width": "72px"},
            # the label beside the buttons: the widget's element is a block (label above) in Voila and the lab
            layout={"display": "flex", "align_items": "center", "width": "auto"},
        )
        self.group_by = widgets.Dropdown(options=list(GROUPS), value="app", description="group by")
        self.metric = widgets.Dropdown(description="metric")
        self.export_button = widgets.Button(
            description="Export HTML report", icon="file", layout=button_layout()
        )
        self.status = widgets.HTML()
        self.chart = widgets.Output()
        self.trend = widgets.Output()
        self.tables = widgets.Output()
        self.exported = widgets.HTML()
        self.widget = widgets.VBox(
            [
                widgets.HBox([self.source, self.apps]),
                widgets.HBox([self.range, self.start, self.end]),
                widgets.HBox([self.granularity]),
                widgets.HBox([self.group_by, self.metric]),
                self.status,
                self.chart,
                self.trend,
                self.tables,
                widgets.HBox([self.export_button, self.exported]),
            ]
        )
        self._source_changed()
        self.source.observe(lambda _change: self._source_changed(), names="value")
        self.range.observe(lambda _change: self._range_changed(), names="value")
        for control in (self.apps, self.start, self.end, self.granularity, self.group_by, self.metric):
            control.observe(self._control_changed, names="value")
        self.export_button.on_click(lambda _button: self.export())

    def _repr_mimebundle_(self, **kwargs: Any) -> Any:
        return self.widget._repr_mimebundle_(**kwargs)

    @classmethod
    def load(
        cls,
        *,
        portal: PathLike | Iterable[PathLike] | None = None,
        ledger: PathLike | None = None,
        demo_dir: PathLike = "output/demo-usage",
        output_dir: PathLike = "output",
        ready_file: PathLike | None = None,
    ) -> UsageDashboard:
        """Read portal CSVs and/or a ledger file; with neither, the sandbox's demo usage (built in
        `demo_dir` the first time, then read from stnb's cache: `stnb.widgets.demo_cache`).

        `ready_file`: a file written once the dashboard has drawn ("ready"), or has failed to load
        ("error: ..."); `stnb dashboard` waits for it before it prints the page's address.
        """
        try:
            if portal is None and ledger is None:
                demo = demo_frames(demo_dir)
                dashboard = cls(portal=demo.portal, ledger=demo.ledger, output_dir=output_dir)
            else:
                dashboard = cls(
                    portal=import_portal_reports(portal) if portal is not None else None,
                    ledger=read_ledger(ledger) if ledger is not None else None,
                    output_dir=output_dir,
                )
        except Exception as exc:
            _signal(ready_file, f"error: {exc}")
            raise
        _signal(ready_file, "ready")
        return dashboard

    @classmethod
    def page(
        cls,
        *,
        portal: PathLike | Iterable[PathLike] | None = None,
        ledger: PathLike | None = None,
        demo_dir: PathLike = "output/demo-usage",
        output_dir: PathLike = "output",
        ready_file: PathLike | None = None,
    ) -> UsageDashboard | widgets.HTML:
        """`load(...)` for a page without code (`stnb dashboard usage`): data that cannot be read shows
        as a box that says what is wrong, never as a traceback or Voila's "error when executing cell"."""
        try:
            return cls.load(
                portal=portal, ledger=ledger, demo_dir=demo_dir, output_dir=output_dir, ready_file=ready_file
            )
        except Exception as exc:
            return widgets.HTML(error_html(exc))

    # -- selection ---------------------------------------------------------------------------------

    @property
    def events(self) -> pl.DataFrame:
        """The chosen source's events within the chosen apps and date range."""
        events = self._events[self.source.value]
        keep = pl.lit(True)
        if self.apps.value:
            keep &= pl.col("app").is_in(list(self.apps.value))
        if self.start.value is not None:
            keep &= pl.col("at") >= _midnight(self.start.value)
        if self.end.value is not None:
            keep &= pl.col("at") < _midnight(self.end.value + timedelta(days=1))
        return events.filter(keep)

    def _bounds(self) -> tuple[date, date]:
        at = self._events[self.source.value].get_column("at")
        first, last = at.min(), at.max()
        assert isinstance(first, datetime) and isinstance(last, datetime)
        return first.date(), last.date()

    def _source_changed(self) -> None:
        events = self._events[self.source.value]
        self._quiet = True
        try:
            apps = sorted(events.get_column("app").drop_nulls().unique().to_list())
            self.apps.options = apps
            self.apps.value = tuple(apps)
            metrics = list(METRICS) if self.source.value == "ledger" else ["calls"]
            self.metric.options = metrics
            self.metric.value = metrics[0] if self.metric.value not in metrics else self.metric.value
            self._apply_range()
        finally:
            self._quiet = False
        self.refresh()

    def _range_changed(self) -> None:
        self._quiet = True
        try:
            self._apply_range()
        finally:
            self._quiet = False
        self.refresh()

    def _apply_range(self) -> None:
        days = self.range.value
        if days < 0:
            return  # custom: the date pickers rule
        first, last = self._bounds()
        self.start.value = first if days == 0 else max(first, last - timedelta(days=days - 1))
        self.end.value = last

    def _control_changed(self, change: dict[str, Any]) -> None:
        if self._quiet:
            return
        if change["owner"] in (self.start, self.end) and self.range.value >= 0:
            self._quiet = True
            self.range.value = -1  # a date typed by hand makes the range custom
            self._quiet = False
        self.refresh()

    # -- drawing -----------------------------------------------------------------------------------

    def context(self, events: pl.DataFrame) -> str:
        """Where the numbers come from: source, environments, apps, tenants and the date range."""
        envs = (
            " + ".join(sorted(events.get_column("env").drop_nulls().unique().to_list())) or "no environment"
        )
        apps = events.get_column("app").drop_nulls().n_unique()
        tenants = events.get_column("tenant").drop_nulls().n_unique()
        span = f"{self.start.value or '…'} – {self.end.value or '…'}"
        return f"{self.source.value} · {envs} · {plural(apps, 'app')} · {plural(tenants, 'tenant')} · {span}"

    def refresh(self) -> None:
        """Redraw the charts and tables for the current choices (in place)."""
        events = self.events
        if events.height == 0:
            self.status.value = banner_html("No usage in the chosen apps and dates.", "info")
            for out in (self.chart, self.trend, self.tables):
                show(out)
            return
        metric, by, every = self.metric.value, self.group_by.value, self.granularity.value
        context = self.context(events)
        try:
            values = metric_over_time(events, metric, by, every)
            what = f"{metric} per {dict((v, k) for k, v in GRANULARITIES)[every]} by {_label_of(by)}"
            main = group_lines(
                values,
                x="period",
                y="value",
                group=by,
                what=what[0].upper() + what[1:],
                value_title=METRICS[metric][1],
                context=context,
                top=TOP_GROUPS,
            )
            shown = usage_charts.context(events)
            usage_charts.mark_periods(main, events, shown, every)  # a short first or last period is no drop
            trend = usage_charts.trend(events)
            found = analytics.anomalies(analytics.daily_calls(events))
            portal = events if self.source.value == "portal" else None
            ledger = events if self.source.value == "ledger" else None
            summary = app_summary(portal, ledger)
        except Exception as exc:  # shown inline, never as a traceback
            self.status.value = error_html(exc)
            return
        total = int(events.get_column("calls").sum())
        self.status.value = f"<div><b>{total:,} calls</b> · {text_html(context)}</div>"
        show(self.chart, figure_output(main))
        show(self.trend, figure_output(trend))
        with_ledger = self.source.value == "ledger"
        anomalies = (
            anomaly_table_html(found, title="Anomalous days (whole days only)", subtitle=context)
            if found.height
            else banner_html("No anomalous day: every whole day is close to its trend and weekday.", "ok")
        )
        show(
            self.tables,
            html_output(anomalies),
            html_output(
                summary_table_html(
                    summary, title="Summary per app", subtitle=context, with_ledger=with_ledger
                )
            ),
        )

    # -- export ------------------------------------------------------------------------------------

    def export(self, path: PathLike | None = None) -> Path | None:
        """Write the HTML usage report for the chosen apps and dates (both sources when available)."""
        target = Path(path) if path is not None else self.output_dir / "usage-report.html"
        try:
            report = build_report(
                ledger=self.ledger if "ledger" in self._events else None,
                portal=self.portal if "portal" in self._events else None,
                start=self.start.value,
                end=self.end.value,
                apps=list(self.apps.value) or None,
            )
            written = report.write_html(target)
        except Exception as exc:  # shown inline, never as a traceback
            self.exported.value = error_html(exc)
            return None
        href = text_html(_relative(written).as_posix())
        self.exported.value = f'report written: <a href="{href}" target="_blank">{href}</a>'
        return written


def _signal(ready_file: PathLike | None, state: str) -> None:
    """Write `state` to `ready_file` (whole: a reader never sees half of it); nobody waiting is fine."""
    if ready_file is None:
        return
    target = Path(ready_file)
    partial = target.with_name(f".{target.name}.partial")
    try:
        partial.write_text(" ".join(state.split()) + "\n", encoding="utf-8")
        partial.replace(target)
    except OSError:
        pass  # the server that asked is gone (a refilled kernel after `stnb dashboard` stopped)


def _label_of(column: str) -> str:
    """The human name of a group-by column."""
    return next((label for label, value in GROUPS if value == column), column)


def _midnight(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=UTC)


def _relative(path: Path) -> Path:
    try:
        return path.resolve().relative_to(Path.cwd().resolve())
    except ValueError:
        return path

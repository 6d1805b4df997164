"""ReportRunner: pick a report, fill the parameter form generated from its description, run it, see it.

Discovery, validation, paging and the one-run-per-minute limit are `stnb.reports`; the runner turns a
report's description into inputs, collects their values, and shows the run's progress (including the
wait for the report limit), its table and a chart.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import date
from typing import Any

import ipywidgets as widgets
import polars as pl

from stnb._clock import SYSTEM_CLOCK, Clock
from stnb._connection import Connection
from stnb._text import plural
from stnb.charts.explore import category_bars, measures
from stnb.reports import ReportDescription, ReportParameter, Reports, RunInfo
from stnb.tables.format import words
from stnb.tenant_time import TenantClock
from stnb.widgets.filter_form import DATE_PRESETS, NOT_SET
from stnb.widgets.outputs import datatable_assets, figure_output, show, table_output
from stnb.widgets.render import banner_html, button_layout, error_html, origin_html, origin_text, text_html

__all__ = ["ParameterForm", "ReportRunner", "WidgetProgress"]

ConnectionSource = Connection | Callable[[], Connection]
_PERIODS = [(label, value) for label, value in DATE_PRESETS if value != "custom"]
_STYLE = {"description_width": "150px"}
_WIDE = widgets.Layout(width="420px")


class WidgetProgress:
    """A `stnb.reports.ProgressSink` drawn as a progress bar and a line of text (waits show there)."""

    def __init__(self, bar: widgets.IntProgress, label: widgets.HTML) -> None:
        self._bar = bar
        self._label = label
        self._total: int | None = None

    @property
    def total(self) -> int | None:
        return self._total

    @total.setter
    def total(self, value: int | None) -> None:
        self._total = value
        self._bar.max = max(1, value or 1)

    def update(self, n: int = 1) -> None:
        if self._total is None:
            self._bar.max = max(self._bar.max, self._bar.value + n)
        self._bar.value = min(self._bar.max, self._bar.value + n)

    def set_description(self, desc: str | None = None, refresh: bool = True) -> None:
        self._label.value = text_html(desc or "")

    def close(self) -> None:
        self._bar.value = self._bar.max


def _input(parameter: ReportParameter) -> widgets.Widget:
    label = f"{parameter.label}{' *' if parameter.is_required else ''}"
    common: dict[str, Any] = {"description": label, "style": _STYLE, "layout": _WIDE}
    if parameter.choices is not None and parameter.is_array:
        return widgets.SelectMultiple(
            options=[(c.label, c.value) for c in parameter.choices], rows=5, **common
        )
    if parameter.choices is not None:
        options = [("(not set)", NOT_SET), *[(c.label, c.value) for c in parameter.choices]]
        return widgets.Dropdown(options=options, value=NOT_SET, **common)
    if parameter.data_type == "Date":
        return widgets.DatePicker(**common)
    if parameter.data_type == "Boolean":
        return widgets.Dropdown(options=[("(not set)", NOT_SET), ("true", True), ("false", False)], **common)
    hint = {"Number": "a number", "Time": "HH:MM"}.get(parameter.data_type, "text")
    if parameter.is_array:
        hint = f"{hint}, several separated by commas"
    return widgets.Text(placeholder=hint, **common)


class ParameterForm:
    """Inputs generated from a report's parameters; a period preset fills `From`/`To` when it has both."""

    def __init__(self, description: ReportDescription, timezone: str, *, clock: Clock | None = None) -> None:
        self.description = description
        self.timezone = timezone
        self._tenant_clock = TenantClock(timezone, clock or SYSTEM_CLOCK)
        self.inputs = {p.name: _input(p) for p in description.parameters}
        has_range = description.parameter("From") is not None and description.parameter("To") is not None
        self.period = widgets.Dropdown(
            options=_PERIODS,
            value=NOT_SET,
            description="period",
            style=_STYLE,
            layout=_WIDE if has_range else widgets.Layout(display="none"),
        )
        self.period.observe(lambda _change: self._apply_period(), names="value")
        self.widget = widgets.VBox([self.period, *self.inputs.values()])

    def _apply_period(self) -> None:
        preset = self.period.value
        if preset:
            first, last = self._tenant_clock.local_dates(preset)
            self.inputs["From"].value = date.fromisoformat(first)
            self.inputs["To"].value = date.fromisoformat(last)

    def values(self) -> dict[str, Any]:
        """The parameters that are set, as `Reports.run` takes them (validated there)."""
        chosen: dict[str, Any] = {}
        for parameter in self.description.parameters:
            value = self.inputs[parameter.name].value
            if isinstance(value, str):
                value = value.strip()
                if parameter.is_array and value:
                    value = [part.strip() for part in value.split(",") if part.strip()]
            if value in (None, NOT_SET, ()) or value == []:
                continue
            chosen[parameter.name] = list(value) if isinstance(value, tuple) else value
        return chosen


class ReportRunner:
    """Category and report pickers, a generated parameter form, Run, and the result as table and chart.

    `connection` is a `Connection` or a callable returning one (e.g. `ConnectionPanel.connect`); `clock`
    resolves the period presets (tenant-local "today").
    """

    def __init__(
        self,
        connection: ConnectionSource,
        category: str | None = None,
        report: int | None = None,
        *,
        clock: Clock | None = None,
    ) -> None:
        self._source = connection
        self._clock = clock
        self.frame: pl.DataFrame | None = None
        self.last_run: RunInfo | None = None
        self.form: ParameterForm | None = None
        self._quiet = False
        self._context = ""
        reports = self.reports
        categories = reports.categories()
        self.category = widgets.Dropdown(
            options=[(c.name, c.id) for c in categories],
            value=category or categories[0].id,
            description="category",
        )
        self.report = widgets.Dropdown(description="report")
        self.about = widgets.HTML()
        self.form_box = widgets.VBox()
        self.run_button = widgets.Button(
            description="Run report", icon="play", button_style="primary", layout=button_layout()
        )
        self.progress = widgets.IntProgress(value=0, min=0, max=1, description="rows")
        self.progress_label = widgets.HTML()
        self.status = widgets.HTML()
        self.table = widgets.Output()
        self.measure = widgets.Dropdown(
            description="chart", options=[], style={"description_width": "initial"}, layout={"width": "auto"}
        )
        self.chart = widgets.Output()
        assets = widgets.Output()
        show(assets, datatable_assets())
        self.widget = widgets.VBox(
            [
                assets,
                widgets.HBox([self.category, self.report]),
                self.about,
                self.form_box,
                widgets.HBox([self.run_button, self.progress, self.progress_label]),
                self.status,
                self.table,
                self.measure,
                self.chart,
            ]
        )
        self._fill_reports(report)
        self.category.observe(lambda _change: self._fill_reports(None), names="value")
        self.report.observe(self._on_report, names="value")
        self.run_button.on_click(lambda _button: self.run())
        self.measure.observe(lambda _change: self._draw(), names="value")

    def _repr_mimebundle_(self, **kwargs: Any) -> Any:
        return self.widget._repr_mimebundle_(**kwargs)

    def _connection(self) -> Connection:
        return self._source if isinstance(self._source, Connection) else self._source()

    @property
    def reports(self) -> Reports:
        """The Reporting API of the current connection."""
        reports: Reports = self._connection().reports
        return reports

    # -- choosing ----------------------------------------------------------------------------------

    def _fill_reports(self, keep: int | None) -> None:
        listed = self.reports.list(self.category.value)
        self._quiet = True
        try:
            self.report.options = [(f"{r.name} ({r.id})", r.id) for r in listed]
            self.report.value = keep if keep is not None else (listed[0].id if listed else None)
        finally:
            self._quiet = False
        self._build_form()

    def _on_report(self, _change: dict[str, Any]) -> None:
        if not self._quiet:
            self._build_form()

    def _build_form(self) -> None:
        if self.report.value is None:
            self.form, self.form_box.children, self.about.value = None, [], ""
            return
        try:
            description = self.reports.describe(self.category.value, self.report.value)
        except Exception as exc:  # shown inline, never as a traceback
            self.form, self.form_box.children = None, []
            self.about.value = error_html(exc)
            return
        self.form = ParameterForm(description, self._connection().timezone, clock=self._clock)
        self.form_box.children = [self.form.widget]
        fields = ", ".join(f"{f.label} ({f.data_type})" for f in description.fields)
        self.about.value = (
            f"<div>{text_html(description.description or description.name)}</div>"
            f"<div style='font-size:12px'>returns: {text_html(fields)} · * required</div>"
        )

    # -- running -----------------------------------------------------------------------------------

    def run(self) -> pl.DataFrame | None:
        """Run the chosen report with the form's parameters; waits for the report limit are shown."""
        if self.form is None:
            self.status.value = banner_html("Choose a report first.", "info")
            return None
        self.run_button.disabled = True
        self.progress.value, self.progress.max, self.progress.bar_style = 0, 1, ""
        self.status.value = ""
        sink = WidgetProgress(self.progress, self.progress_label)
        started = time.perf_counter()
        reports = self.reports
        try:
            frame = reports.run(self.category.value, self.report.value, progress=sink, **self.form.values())
        except Exception as exc:  # shown inline, never as a traceback
            self.progress.bar_style = "danger"
            self.status.value = error_html(exc)
            return None
        finally:
            self.run_button.disabled = False
        self.progress.bar_style = "success"
        self.frame, self.last_run = frame, reports.last_run
        self._show(frame, reports.last_run, time.perf_counter() - started)
        return frame

    def _show(self, frame: pl.DataFrame, info: RunInfo | None, seconds: float) -> None:
        assert info is not None
        sent = ", ".join(f"{name}={value}" for name, value in info.parameters) or "none"
        waited = f", {info.waited:.0f} s of it waiting for the report limit" if info.waited >= 1 else ""
        self.progress_label.value = text_html(f"{plural(frame.height, 'row')} in {seconds:.1f} s{waited}")
        self.status.value = (
            f"<div><b>{text_html(info.name)}</b> ({info.report_id}) · {plural(frame.height, 'row')} in "
            f"{plural(info.pages, 'page')} · {origin_html(info.env, info.tenant, info.sandbox)}</div>"
            f"<div style='font-size:12px'>parameters: {text_html(sent)}</div>"
        )
        context = f"report {info.report_id} · {origin_text(info.env, info.tenant, info.sandbox)} · {sent}"
        show(self.table, table_output(frame, caption=f"{info.name} · {context}", reorder=False))
        self._context = context
        found = measures(frame)
        self._quiet = True
        try:
            self.measure.options = [(words(m), m) for m in found]
            self.measure.value = found[0] if found else None  # the report's main measure
        finally:
            self._quiet = False
        self._draw()

    def _draw(self) -> None:
        """Chart the chosen measure of the last result (redrawn when the measure changes)."""
        if self._quiet or self.frame is None or self.last_run is None:
            return
        figure = category_bars(
            self.frame, what=self.last_run.name, context=self._context, value=self.measure.value
        )
        show(self.chart, *([figure_output(figure)] if figure is not None else []))

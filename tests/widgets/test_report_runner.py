"""ReportRunner on the sandbox's Reporting API: generated form, runs, the report-limit wait, errors."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime

import ipywidgets
import pytest

import stnb
from stnb._clock import FakeClock
from stnb._connection import Connection
from stnb.sandbox import Sandbox
from stnb.sandbox.reports import REPORT_RUNS_PER_MINUTE, set_default_runs_per_minute
from stnb.widgets import ReportRunner
from stnb.widgets.outputs import PLOTLY_MIME, text_of

from .helpers import widget_state

NOW = datetime(2026, 6, 15, 16, 0, tzinfo=UTC)  # noon in New York
REVENUE = ("business-unit-dashboard", 175)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(NOW)


@pytest.fixture
def st(clock: FakeClock) -> Iterator[Connection]:
    # The server side of the limit follows the system clock, so it is opened up here; stnb's own limiter
    # (on the fake clock) still enforces one run per minute, which is what these tests watch.
    set_default_runs_per_minute(10_000)
    sandbox = Sandbox(anchor=datetime(2026, 6, 15, tzinfo=UTC), clock=clock)
    try:
        yield stnb.connect(sandbox=sandbox, clock=clock, progress=False)
    finally:
        set_default_runs_per_minute(REPORT_RUNS_PER_MINUTE)


@pytest.fixture
def runner(st: Connection, clock: FakeClock) -> ReportRunner:
    return ReportRunner(st, *REVENUE, clock=clock)


def test_pickers_and_form_come_from_the_reports_description(runner: ReportRunner, st: Connection) -> None:
    assert [value for _, value in runner.category.options] == [c.id for c in st.reports.categories()]
    assert runner.report.label == "Revenue (175)"
    assert runner.form is not None
    inputs = runner.form.inputs
    assert isinstance(inputs["From"], ipywidgets.DatePicker) and inputs["From"].description == "From *"
    assert isinstance(inputs["BusinessUnitIds"], ipywidgets.SelectMultiple)
    assert "HVAC Service" in [label for label, _ in inputs["BusinessUnitIds"].options]
    assert "Invoiced revenue by business unit" in runner.about.value
    runner.category.value = "operations"
    assert runner.report.value == 162
    date_type = runner.form.inputs["DateType"]
    assert isinstance(date_type, ipywidgets.Dropdown)
    assert [label for label, _ in date_type.options] == ["(not set)", "Created Date", "Completed Date"]


def test_a_period_fills_tenant_local_dates(runner: ReportRunner) -> None:
    assert runner.form is not None
    runner.form.period.value = "last_month"
    assert runner.form.values() == {"From": date(2026, 5, 1), "To": date(2026, 5, 31)}


def test_a_run_shows_the_report_with_its_origin(runner: ReportRunner, st: Connection) -> None:
    assert runner.form is not None
    runner.form.period.value = "last_month"
    frame = runner.run()
    expected = st.reports.run(*REVENUE, From="2026-05-01", To="2026-05-31")
    assert frame is not None and frame.equals(expected)
    assert runner.last_run is not None and runner.last_run.parameters == (
        ("From", "2026-05-01"),
        ("To", "2026-05-31"),
    )
    origin = f"integration · tenant {st.tenant} · sandbox"
    assert f"from {origin}" in runner.status.value and "From=2026-05-01, To=2026-05-31" in runner.status.value
    assert f"Revenue · report 175 · {origin}" in text_of(runner.table)
    (chart,) = runner.chart.outputs
    layout = chart["data"][PLOTLY_MIME]["layout"]
    assert layout["title"]["text"].startswith("Revenue: total revenue by ")  # the report's main measure
    assert runner.measure.value == "TotalRevenue" and "Invoices" in dict(runner.measure.options).values()
    runner.measure.value = "Invoices"
    (chart,) = runner.chart.outputs
    assert chart["data"][PLOTLY_MIME]["layout"]["yaxis"]["title"]["text"] == "Invoices"
    assert runner.progress.bar_style == "success"


def test_a_second_run_waits_for_the_report_limit_visibly(runner: ReportRunner, clock: FakeClock) -> None:
    assert runner.form is not None
    runner.form.period.value = "last_month"
    seen: list[str] = []
    runner.progress_label.observe(lambda change: seen.append(change["new"]), names="value")
    assert runner.run() is not None
    started = clock.monotonic()
    assert runner.run() is not None
    assert clock.monotonic() - started == pytest.approx(60.0)
    assert "waiting 60 s for the report limit" in seen
    assert "60 s of it waiting for the report limit" in runner.progress_label.value


def test_array_parameters_are_sent_as_lists(runner: ReportRunner) -> None:
    assert runner.form is not None
    runner.form.period.value = "last_month"
    runner.form.inputs["BusinessUnitIds"].value = (1001, 1006)
    frame = runner.run()
    assert frame is not None and sorted(frame["BusinessUnitId"].to_list()) == [1001, 1006]
    assert runner.last_run is not None and ("BusinessUnitIds", [1001, 1006]) in runner.last_run.parameters


def test_missing_or_bad_parameters_are_reported_inline(runner: ReportRunner) -> None:
    assert runner.run() is None
    assert 'class="stnb-error"' in runner.status.value
    assert "From: required (Date) but not given" in runner.status.value
    assert runner.progress.bar_style == "danger" and not runner.run_button.disabled


def test_widget_state_holds_no_secret(runner: ReportRunner, st: Connection) -> None:
    assert runner.form is not None
    runner.form.period.value = "last_month"
    runner.run()
    state = widget_state(runner.widget)
    creds = st.client.credentials
    assert creds.client_secret not in state and creds.app_key not in state and creds.client_id not in state

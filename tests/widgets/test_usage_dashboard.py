"""UsageDashboard over the sandbox's demo usage: pickers redraw the charts in place, anomalies, export."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path
from typing import Any

import ipywidgets
import polars as pl
import pytest

from stnb.charts.periods import PARTIAL_SHAPE
from stnb.sandbox.demo_usage import THROTTLE_DAYS_BEFORE_END, DemoUsage, build_demo_usage
from stnb.sandbox.portal import INCIDENT_DAYS_BEFORE_END
from stnb.usage import analytics, import_portal_reports, read_ledger
from stnb.widgets import UsageDashboard
from stnb.widgets.outputs import PLOTLY_MIME, text_of

END = date(2026, 6, 30)
Frames = tuple[pl.DataFrame, pl.DataFrame]  # portal reports, ledger


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> DemoUsage:
    return build_demo_usage(tmp_path_factory.mktemp("usage"), days=60, ledger_days=14, end=END)


@pytest.fixture(scope="module")
def frames(demo: DemoUsage) -> Frames:
    return import_portal_reports(demo.portal_dir), read_ledger(demo.ledger_path)


@pytest.fixture
def dashboard(frames: Frames, tmp_path: Path) -> UsageDashboard:
    portal, ledger = frames
    return UsageDashboard(portal=portal, ledger=ledger, output_dir=tmp_path / "out")


def figure(out: ipywidgets.Output) -> dict[str, Any]:
    (output,) = out.outputs
    spec: dict[str, Any] = output["data"][PLOTLY_MIME]
    return spec


def plotted_total(out: ipywidgets.Output) -> float:
    return sum(sum(y for y in trace["y"] if y is not None) for trace in figure(out)["data"])


def test_it_opens_on_the_portal_with_every_app_and_a_quarter(dashboard: UsageDashboard) -> None:
    assert dashboard.source.value == "portal"
    assert dashboard.apps.value == ("Acme Dispatch Board", "Fleet Insights")
    assert dashboard.metric.options == ("calls",), "the portal only counts successful calls"
    assert (dashboard.start.value, dashboard.end.value) == (END - timedelta(days=59), END)
    title = figure(dashboard.chart)["layout"]["title"]["text"]
    assert title.startswith("Calls per day by app<br><sup>portal · production · 2 apps")
    assert f"{END - timedelta(days=59)} – {END}" in title


def test_the_chart_counts_what_analytics_counts(dashboard: UsageDashboard, frames: Frames) -> None:
    portal, _ = frames
    expected = analytics.calls_over_time(portal, "1d", "app")["calls"].sum()
    assert plotted_total(dashboard.chart) == expected
    assert f"<b>{expected:,} calls</b>" in dashboard.status.value


def test_group_by_and_granularity_redraw_in_place(dashboard: UsageDashboard) -> None:
    chart_widget = dashboard.chart
    total = plotted_total(dashboard.chart)
    dashboard.granularity.value = "1w"
    assert figure(dashboard.chart)["layout"]["title"]["text"].startswith("Calls per week by app")
    assert plotted_total(dashboard.chart) == total
    dashboard.group_by.value = "endpoint"
    fig = figure(dashboard.chart)
    assert dashboard.chart is chart_widget
    assert fig["layout"]["title"]["text"].startswith("Calls per week by endpoint")
    assert len(fig["data"]) == 8 and "top 8 of" in fig["layout"]["title"]["text"]


def test_choosing_apps_filters_every_chart(dashboard: UsageDashboard, frames: Frames) -> None:
    portal, _ = frames
    dashboard.apps.value = ("Fleet Insights",)
    names = {trace["name"] for trace in figure(dashboard.chart)["data"]}
    assert names == {"Fleet Insights"}
    expected = portal.filter(pl.col("app_name") == "Fleet Insights")["calls"].sum()
    assert plotted_total(dashboard.chart) == expected
    trend_names = {t["name"] for t in figure(dashboard.trend)["data"]}
    assert "Acme Dispatch Board" not in trend_names


def test_the_planted_incident_is_flagged(dashboard: UsageDashboard) -> None:
    tables = text_of(dashboard.tables)
    incident = END - timedelta(days=INCIDENT_DAYS_BEFORE_END)
    assert "Anomalous days" in tables and str(incident) in tables and "drop" in tables
    assert "Summary per app" in tables


def test_the_ledger_offers_error_and_latency_metrics(dashboard: UsageDashboard, frames: Frames) -> None:
    _, ledger = frames
    dashboard.metric.value = "calls"
    dashboard.source.value = "ledger"
    assert dashboard.metric.options == ("calls", "errors", "error rate", "429 responses", "p95 latency")
    dashboard.group_by.value = "tenant"
    dashboard.metric.value = "429 responses"
    throttled = ledger.filter(pl.col("status") == 429)
    assert plotted_total(dashboard.chart) == throttled.height > 0
    storm_day = END - timedelta(days=THROTTLE_DAYS_BEFORE_END)
    peak = max(
        (
            (x, y)
            for trace in figure(dashboard.chart)["data"]
            for x, y in zip(trace["x"], trace["y"], strict=True)
        ),
        key=lambda point: point[1] or 0,
    )
    assert peak[0].startswith(str(storm_day))
    dashboard.metric.value = "p95 latency"
    assert figure(dashboard.chart)["layout"]["yaxis"]["title"]["text"] == "95th percentile latency (ms)"
    assert "integration + production" in dashboard.status.value
    dashboard.source.value = "portal"
    assert dashboard.metric.value == "calls"


def test_typing_a_date_makes_the_range_custom(dashboard: UsageDashboard, frames: Frames) -> None:
    portal, _ = frames
    dashboard.start.value = END - timedelta(days=6)
    assert dashboard.range.value == -1
    week = portal.filter(pl.col("start").dt.date() >= END - timedelta(days=6))["calls"].sum()
    assert plotted_total(dashboard.chart) == week
    dashboard.range.value = 7
    assert (dashboard.start.value, dashboard.end.value) == (END - timedelta(days=6), END)


def test_an_empty_selection_says_so(dashboard: UsageDashboard) -> None:
    dashboard.start.value = END + timedelta(days=5)
    assert "No usage in the chosen apps and dates." in dashboard.status.value
    assert dashboard.chart.outputs == ()


def test_export_writes_the_html_report_for_the_selection(dashboard: UsageDashboard, tmp_path: Path) -> None:
    dashboard.apps.value = ("Acme Dispatch Board",)
    path = dashboard.export()
    assert path == tmp_path / "out" / "usage-report.html"
    page = path.read_text(encoding="utf-8")
    assert "Acme Dispatch Board" in page and "Fleet Insights" not in page
    assert "usage-report.html" in dashboard.exported.value


def test_export_failures_are_shown_inline(dashboard: UsageDashboard, tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    assert dashboard.export(blocker / "report.html") is None
    assert 'class="stnb-error"' in dashboard.exported.value


def test_load_reads_files_and_needs_some_usage(demo: DemoUsage, tmp_path: Path) -> None:
    loaded = UsageDashboard.load(portal=demo.portal_dir, output_dir=tmp_path)
    assert [value for _, value in loaded.source.options] == ["portal"]
    with pytest.raises(ValueError, match="needs portal reports, a ledger"):
        UsageDashboard(ledger=pl.DataFrame(schema=read_ledger(demo.ledger_path).schema))


def test_load_writes_its_ready_file_once_drawn_or_failed(demo: DemoUsage, tmp_path: Path) -> None:
    ready = tmp_path / "ready"
    loaded = UsageDashboard.load(portal=demo.portal_dir, output_dir=tmp_path, ready_file=ready)
    assert ready.read_text() == "ready\n" and loaded.chart.outputs  # written after the first drawing
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(Exception) as raised:
        UsageDashboard.load(portal=empty, output_dir=tmp_path, ready_file=ready)
    assert ready.read_text() == f"error: {' '.join(str(raised.value).split())}\n"
    gone = tmp_path / "gone" / "ready"  # the server that asked has stopped: nothing to tell, no error
    UsageDashboard.load(portal=demo.portal_dir, output_dir=tmp_path, ready_file=gone)


def test_the_page_shows_data_it_cannot_read_as_a_box_not_a_traceback(demo: DemoUsage, tmp_path: Path) -> None:
    empty, ready = tmp_path / "empty", tmp_path / "ready"
    empty.mkdir()
    shown = UsageDashboard.page(portal=empty, output_dir=tmp_path, ready_file=ready)
    assert isinstance(shown, ipywidgets.HTML) and 'class="stnb-error"' in shown.value
    assert "holds no .csv portal reports" in shown.value and "Traceback" not in shown.value
    assert ready.read_text().startswith("error: ")
    assert isinstance(UsageDashboard.page(portal=demo.portal_dir, output_dir=tmp_path), UsageDashboard)


def test_load_without_sources_uses_the_cached_demo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("STNB_CACHE_DIR", str(tmp_path / "cache"))
    first = UsageDashboard.load(demo_dir=tmp_path / "demo", output_dir=tmp_path)
    assert (tmp_path / "demo" / "ledger.sqlite3").exists() and list((tmp_path / "cache").iterdir())
    again = UsageDashboard.load(demo_dir=tmp_path / "elsewhere", output_dir=tmp_path)
    assert not (tmp_path / "elsewhere").exists()  # read from the cache, nothing rebuilt
    assert again.ledger is not None and first.ledger is not None
    assert again.ledger.equals(first.ledger) and again.status.value == first.status.value


def test_weeks_the_range_covers_in_part_are_shaded(dashboard: UsageDashboard) -> None:
    dashboard.granularity.value = "1w"
    layout = figure(dashboard.chart)["layout"]
    # 2026-05-02 (a Saturday) to 2026-06-30 (a Tuesday): two days of the first week, two of the last;
    # each shade is centred on its week's point (the Monday)
    shaded = [(s["x0"][:13], s["x1"][:13]) for s in layout["shapes"] if s["name"] == PARTIAL_SHAPE]
    assert shaded == [("2026-04-23T12", "2026-04-30T12"), ("2026-06-25T12", "2026-07-02T12")]
    assert [a["text"] for a in layout["annotations"]] == ["partial week: 2 of 7 days"] * 2
    dashboard.granularity.value = "1d"
    assert not figure(dashboard.chart)["layout"].get("shapes")


def test_ledger_tenants_carry_the_portal_names_and_rates_read_in_percent(
    dashboard: UsageDashboard, frames: Frames
) -> None:
    portal_names = set(frames[0]["tenant_name"].drop_nulls().to_list())
    dashboard.source.value = "ledger"
    dashboard.group_by.value = "tenant"
    shown = [trace["name"] for trace in figure(dashboard.chart)["data"]]
    assert any(name.split(" (")[0] in portal_names for name in shown), shown
    dashboard.metric.value = "error rate"
    spec = figure(dashboard.chart)
    assert spec["layout"]["yaxis"]["title"]["text"].startswith("%")
    rates = analytics.rates(dashboard.events, "tenant", "1d")
    top = max(y for trace in spec["data"] for y in trace["y"] if y is not None)
    assert top > 1 and top == pytest.approx(100 * rates["error_rate"].max())  # 2.3 (%), not 0.023

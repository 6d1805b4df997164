"""Usage charts: one theme, titles with app, environment and dates, and the data they claim to show."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import plotly.io as pio
import polars as pl
import pytest

from stnb.charts import theme
from stnb.charts import usage as charts
from stnb.sandbox.demo_usage import build_demo_usage
from stnb.usage.ledger import read_ledger
from stnb.usage.portal import import_portal_reports

END = date(2026, 11, 27)


@pytest.fixture(scope="module")
def frames(tmp_path_factory: pytest.TempPathFactory) -> tuple[pl.DataFrame, pl.DataFrame]:
    demo = build_demo_usage(tmp_path_factory.mktemp("charts"), end=END, ledger_days=14)
    return import_portal_reports(demo.portal_dir), read_ledger(demo.ledger_path)


def test_the_template_is_registered_and_titles_carry_context() -> None:
    assert theme.TEMPLATE in pio.templates
    fig = theme.titled(charts.go.Figure(), "Calls", "Acme", "production", date(2026, 6, 1), date(2026, 6, 30))
    assert fig.layout.title.text == "Calls<br><sup>Acme · production · 2026-06-01 – 2026-06-30</sup>"
    assert fig.layout.template.layout.colorway == theme.COLORS
    assert theme.rgba("#0072B2", 0.5) == "rgba(0,114,178,0.5)"
    assert theme.date_range_text(None, date(2026, 1, 2)) == "… – 2026-01-02"


def test_portal_charts(frames: tuple[pl.DataFrame, pl.DataFrame]) -> None:
    portal, _ = frames
    context = "Acme Dispatch Board, Fleet Insights · production · 2026-06-01 – 2026-11-27"
    for build in (
        charts.trend,
        charts.family_area,
        charts.endpoint_heatmap,
        charts.tenants_ranked,
        charts.projection,
    ):
        fig = build(portal)
        assert context in fig.layout.title.text, build.__name__
        assert fig.layout.template.layout.colorway == theme.COLORS


def test_trend_lines_sum_to_the_data_and_mark_the_incident(frames: tuple[pl.DataFrame, pl.DataFrame]) -> None:
    portal, _ = frames
    fig = charts.trend(portal)
    lines = {t.name: sum(t.y) for t in fig.data if t.mode == "lines"}
    totals = dict(portal.group_by("app_name").agg(pl.col("calls").sum()).iter_rows())
    assert lines == totals
    marks = next(t for t in fig.data if t.name == "anomaly")
    assert date(2026, 10, 11) in list(marks.x)
    assert not any(t.name == "anomaly" for t in charts.trend(portal, mark_anomalies=False).data)
    weekly = charts.trend(portal, every="1w")
    assert "per week" in weekly.layout.title.text


def test_calls_by_any_column_keeps_the_top_groups(frames: tuple[pl.DataFrame, pl.DataFrame]) -> None:
    portal, _ = frames
    fig = charts.calls_by(portal, by="endpoint", every="1w", top=3)
    names = [t.name for t in fig.data]
    assert len(names) == 4 and names[-1] == "other"
    assert sum(sum(t.y) for t in fig.data) == portal["calls"].sum()  # nothing lost in "other"
    busiest = portal.group_by("endpoint").agg(pl.col("calls").sum()).sort("calls", descending=True)
    assert names[0] == busiest["endpoint"][0]
    assert "by endpoint" in fig.layout.title.text and "per week" in fig.layout.title.text
    by_tenant = charts.calls_by(portal, by="tenant", top=10)
    assert "other" not in [t.name for t in by_tenant.data]


def test_family_area_is_stacked_by_api(frames: tuple[pl.DataFrame, pl.DataFrame]) -> None:
    portal, _ = frames
    fig = charts.family_area(portal)
    assert {t.stackgroup for t in fig.data} == {"apis"}
    assert {t.name for t in fig.data} == set(portal["api"].unique())


def test_heatmap_shows_the_busiest_endpoints(frames: tuple[pl.DataFrame, pl.DataFrame]) -> None:
    portal, _ = frames
    fig = charts.endpoint_heatmap(portal, top=5)
    heat = fig.data[0]
    assert len(heat.y) == 5
    busiest = (
        portal.group_by("method", "endpoint").agg(pl.col("calls").sum()).sort("calls", descending=True).row(0)
    )
    assert heat.y[-1] == f"{busiest[0]} {busiest[1]}"  # top row of the chart
    assert sum(heat.z[-1]) == busiest[2]


def test_tenants_ranked(frames: tuple[pl.DataFrame, pl.DataFrame]) -> None:
    portal, _ = frames
    fig = charts.tenants_ranked(portal)
    bars = {t.name: dict(zip(t.y, t.x, strict=True)) for t in fig.data}
    first = fig.data[0].y[-1]
    assert first.startswith("Comfort Pros Home Services (")  # biggest at the top
    total = sum(b.get(first, 0) for b in bars.values())
    tenant_id = first.rsplit("(", 1)[1].rstrip(")")
    assert total == portal.filter(pl.col("tenant_id") == tenant_id)["calls"].sum()


def test_ledger_charts(frames: tuple[pl.DataFrame, pl.DataFrame]) -> None:
    _, ledger = frames
    for build in (charts.error_rates, charts.latency, charts.headroom):
        fig = build(ledger)
        assert "integration + production" in fig.layout.title.text
    errors = charts.error_rates(ledger)
    assert {t.name for t in errors.data} >= {"Acme Dispatch Board: errors", "Fleet Insights: 429s"}
    assert all(max(t.y) <= 100 for t in errors.data)
    latency = charts.latency(ledger)
    assert {t.name.rsplit(": ", 1)[1] for t in latency.data} == {"p50", "p95", "p99"}
    headroom = charts.headroom(ledger)
    bar = headroom.data[0]
    assert max(bar.x) == 90 and bar.marker.color[list(bar.x).index(90)] == theme.LIMIT_COLOR
    assert headroom.layout.shapes[0].x0 == 60  # the limit line


def test_ledger_charts_refuse_portal_only_data(frames: tuple[pl.DataFrame, pl.DataFrame]) -> None:
    portal, _ = frames
    with pytest.raises(ValueError, match="needs ledger data"):
        charts.latency(portal)


def test_projection_chart_has_a_band_per_app(frames: tuple[pl.DataFrame, pl.DataFrame]) -> None:
    portal, _ = frames
    fig = charts.projection(portal, days=10)
    bands = [t for t in fig.data if t.fill == "tonexty"]
    assert len(bands) == 2 and all(len(t.x) == 10 for t in bands)


def test_figures_serialise(frames: tuple[pl.DataFrame, pl.DataFrame], tmp_path: Path) -> None:
    portal, ledger = frames
    for fig in (charts.trend(portal), charts.headroom(ledger)):
        assert pio.to_json(fig)


def test_every_api_family_has_its_own_colour_and_the_legend_sits_under_the_plot() -> None:
    from stnb.charts import theme

    assert len(set(theme.COLORS)) == len(theme.COLORS) >= 16
    legend = theme.go.layout.Template(theme.pio.templates[theme.TEMPLATE]).layout.legend
    assert (legend.yref, legend.yanchor, legend.y) == ("container", "bottom", 0)  # away from the title

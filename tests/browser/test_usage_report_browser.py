"""The HTML usage report opens in headless Chromium, offline, without errors, and draws every chart.

`watched_page` is conftest.WatchedPage (not imported: several folders have a conftest module).
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import pytest

from stnb.pages.usage_report import build_report
from stnb.sandbox.demo_usage import build_demo_usage


@pytest.fixture(scope="module")
def report_file(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, int]:
    folder = tmp_path_factory.mktemp("usage-report")
    demo = build_demo_usage(folder / "demo", end=date(2026, 11, 27), ledger_days=7)
    report = build_report(ledger=demo.ledger_path, portal=demo.portal_dir)
    return report.write_html(folder / "usage.html"), len(report.figures)


def test_report_renders_offline_without_errors(report_file: tuple[Path, int], watched_page: Any) -> None:
    path, charts = report_file
    url = path.resolve().as_uri()
    watched_page.go(url, offline=True)
    page = watched_page.page
    page.wait_for_function(
        f"document.querySelectorAll('.js-plotly-plot .main-svg').length >= {charts}", timeout=30_000
    )
    assert page.locator(".js-plotly-plot").count() == charts
    assert watched_page.blocked == []  # everything it needs is inside the file
    assert watched_page.errors == []
    titles = page.locator(".gtitle").all_text_contents()  # SVG text has no innerText
    assert len(titles) == charts
    assert all("Acme Dispatch Board" in t and "2026-" in t for t in titles)
    assert page.locator("table").first.inner_text().count("Acme Dispatch Board") == 1
    anomaly_points = page.evaluate(
        "() => document.getElementById('chart-trend').data.filter(t => t.name === 'anomaly')[0].x"
    )
    assert "2026-10-11" in [str(x)[:10] for x in anomaly_points]  # the planted incident is marked


def test_report_screenshot_is_not_blank(
    report_file: tuple[Path, int], watched_page: Any, tmp_path: Path
) -> None:
    path, charts = report_file
    watched_page.go(path.resolve().as_uri(), offline=True)
    watched_page.page.wait_for_function(
        f"document.querySelectorAll('.js-plotly-plot .main-svg').length >= {charts}", timeout=30_000
    )
    shot = watched_page.page.locator("#chart-trend").screenshot(path=str(tmp_path / "trend.png"))
    assert len(shot) > 10_000  # a drawn chart, not an empty box
    assert watched_page.errors == []


def test_png_export_with_chromium(
    chromium_executable: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from stnb.pages.usage_report import UsageReport, chromium_path

    monkeypatch.setenv("BROWSER_PATH", chromium_executable)
    assert chromium_path() == chromium_executable
    demo = build_demo_usage(tmp_path / "demo", end=date(2026, 11, 27), days=30, ledger_days=2)
    full = build_report(portal=demo.portal_dir)
    one = UsageReport(
        full.title, full.start, full.end, full.sources, full.summary, full.anomalies, full.figures[:1]
    )
    files = one.write_pngs(tmp_path / "png", width=800, height=400)
    assert [f.name for f in files] == ["trend.png"]
    assert files[0].read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and files[0].stat().st_size > 10_000

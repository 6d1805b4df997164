"""The HTML pages stnb writes (the environment comparison and the usage report) in headless Chromium:
offline, no console errors, no raw floats, and a screenshot of each in tests/artifacts/screenshots/."""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from stnb.pages.usage_report import build_report
from stnb.sandbox.demo_usage import build_demo_usage
from tests.browser.pages import screenshot

RAW_FLOAT = re.compile(r"\d\.\d{5,}|\de-\d\d")  # 469432.19999999995, -5.82e-11: never on a page
# Elements wider than the window (a table running off to the right) or text cut inside its cell.
WIDER_THAN_PAGE = """() => {
  const width = document.documentElement.clientWidth;
  const found = [];
  for (const e of document.querySelectorAll('table, .js-plotly-plot, h1, h2, h3, p')) {
    const box = e.getBoundingClientRect();
    if (box.right > width + 1) found.push(`${e.tagName}.${e.className}: ends at ${Math.round(box.right)}`);
  }
  for (const e of document.querySelectorAll('td, th')) {
    if (e.scrollWidth > e.clientWidth + 1) found.push(`cut: ${e.textContent.trim().slice(0, 60)}`);
  }
  return found;
}"""


@pytest.fixture(scope="module")
def compare_page(tmp_path_factory: pytest.TempPathFactory) -> Path:
    import os

    from stnb import compare

    folder = tmp_path_factory.mktemp("compare")
    saved = {k: os.environ.pop(k) for k in list(os.environ) if k.startswith(("STNB_", "SERVICETITAN_"))}
    os.environ["STNB_PROFILES"] = str(folder / "no-profiles.toml")
    try:
        cmp = compare("crm/customers", "integration", "production")
        return cmp.to_html(folder / "compare.html")
    finally:
        os.environ.pop("STNB_PROFILES", None)
        os.environ.update(saved)


@pytest.fixture(scope="module")
def report_page(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("report")
    demo = build_demo_usage(folder / "demo", end=date(2026, 11, 27), ledger_days=14)
    return build_report(ledger=demo.ledger_path, portal=demo.portal_dir).write_html(folder / "usage.html")


def _open(watched_page: Any, path: Path) -> Any:
    watched_page.go(path.resolve().as_uri(), offline=True)
    page = watched_page.page
    page.wait_for_function(
        "document.querySelectorAll('.js-plotly-plot .main-svg').length >= 1", timeout=60_000
    )
    return page


def test_the_compare_page_reads_like_the_report(compare_page: Path, watched_page: Any) -> None:
    page = _open(watched_page, compare_page)
    text = page.inner_text("body")
    assert "Records only in a" in text and "Changed records: field, a → b" in text and " → " in text
    assert not RAW_FLOAT.search(text), RAW_FLOAT.search(text)
    assert '{"' not in text  # nested values on one line, not JSON
    font = page.evaluate("getComputedStyle(document.body).fontFamily")
    assert "serif" not in font.replace("sans-serif", "")
    assert watched_page.blocked == [] and watched_page.errors == []
    assert page.evaluate(WIDER_THAN_PAGE) == []
    screenshot(page, "compare.png")


def test_the_usage_report_page(report_page: Path, watched_page: Any) -> None:
    page = _open(watched_page, report_page)
    page.wait_for_function(
        "document.querySelectorAll('.js-plotly-plot .main-svg').length >= 8", timeout=60_000
    )
    text = page.inner_text("body")
    assert "Summary per app" in text and "Week over week" in text
    assert not RAW_FLOAT.search(text), RAW_FLOAT.search(text)
    assert watched_page.blocked == [] and watched_page.errors == []
    assert page.evaluate(WIDER_THAN_PAGE) == []
    screenshot(page, "usage_report.png")

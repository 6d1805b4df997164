"""The recipes notebook in JupyterLab (headless Chromium): every cell runs, each recipe shows its chart
and its reconciliation, picking another period redraws it, and the page logs no console error."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from test_lab_browser import WIDGET_TIMEOUT_MS, _run_all_cells, _screenshot, lab_url

__all__ = ["lab_url"]  # the JupyterLab fixture, shared with the other notebook tests

RECIPE_TITLES = (
    "Revenue by business unit",
    "Revenue by technician",
    "Campaign attribution",
    "Membership retention and churn",
    "Receivables aging",
    "Technician utilization",
)


def test_recipes_notebook_runs_and_the_period_picker_redraws(lab_url: str, watched_page: Any) -> None:
    page = watched_page.page
    _run_all_cells(page, lab_url, "05_recipes.ipynb")
    for title in RECIPE_TITLES:
        chart = page.locator(".js-plotly-plot", has_text=title).first
        chart.wait_for(state="attached", timeout=WIDGET_TIMEOUT_MS)
    waterfalls = page.locator(".js-plotly-plot", has_text="list sum to report")
    waterfalls.first.wait_for(state="attached", timeout=WIDGET_TIMEOUT_MS)
    assert waterfalls.count() == len(RECIPE_TITLES)
    assert page.locator("text=agrees to the cent").count() == len(RECIPE_TITLES)
    assert page.locator("text=/UNEXPLAINED/").count() == 0  # case-sensitive: "nothing unexplained" is fine

    period = page.locator(".widget-dropdown", has_text="period").locator("select").first
    view = page.locator(".jp-Cell", has=period).first
    view.scroll_into_view_if_needed()
    chosen = period.locator("option:checked").text_content() or ""
    labels = [text or "" for text in period.locator("option").all_text_contents()]
    other = labels[labels.index(chosen) + 1]  # the month before
    month = datetime.strptime(other.strip(), "%B %Y")
    period.select_option(label=other)
    redrawn = view.locator(".js-plotly-plot", has_text=f"{month:%Y-%m}-01 to").first
    redrawn.wait_for(state="visible", timeout=WIDGET_TIMEOUT_MS)
    assert redrawn.bounding_box()["height"] > 100
    assert "agrees to the cent" in (view.text_content() or "")

    unit = view.locator(".widget-dropdown", has_text="business unit").locator("select").first
    unit.select_option(index=1)
    one = view.locator("text=over 1 business unit.").first
    one.wait_for(state="visible", timeout=WIDGET_TIMEOUT_MS)
    view.locator(".js-plotly-plot", has_text="list sum to report").first.wait_for(
        state="visible", timeout=WIDGET_TIMEOUT_MS
    )
    _screenshot(page, view, "lab_recipes.png")
    assert watched_page.errors == []

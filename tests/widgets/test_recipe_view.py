"""RecipeView driven without a browser: pickers, outputs, re-runs, errors."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

import stnb
from stnb._clock import FakeClock
from stnb.sandbox import Sandbox
from stnb.widgets import RecipeView
from stnb.widgets.outputs import PLOTLY_MIME, text_of
from stnb.widgets.recipe_view import period_choices

ANCHOR = datetime(2026, 11, 28, tzinfo=UTC)


@pytest.fixture(scope="module")
def st() -> stnb.Connection:
    clock = FakeClock(start=ANCHOR)
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("STNB_LEDGER", "off")
        sandbox = Sandbox(seed=0, anchor=ANCHOR, clock=clock, scale=0.3, report_runs_per_minute=100_000)
        conn = stnb.connect("production", sandbox=sandbox, clock=clock, progress=False)
    conn.reports.limiter.runs_per_minute = 100_000
    return conn


def test_period_choices_are_presets_then_whole_months() -> None:
    choices = period_choices(date(2026, 3, 15), months=3)
    assert [label for label, _ in choices][:3] == ["Last month", "Month to date", "Last 30 days"]
    assert choices[3:] == [
        ("February 2026", ("2026-02-01", "2026-02-28")),
        ("January 2026", ("2026-01-01", "2026-01-31")),
        ("December 2025", ("2025-12-01", "2025-12-31")),
    ]


def test_the_view_shows_answer_chart_waterfall_and_explanation(st: stnb.Connection) -> None:
    view = RecipeView(st, "revenue_by_business_unit", period=("2026-03-01", "2026-03-31"))
    text = text_of(view.out)
    assert "Revenue by business unit" in text and "agrees to the cent" in text
    assert "date basis" in text and "nothing is left unexplained" in text
    assert "revenue_by_business_unit: 5 requests" in text and "1 request, " in text
    figures = [o for o in view.out.outputs if PLOTLY_MIME in o.get("data", {})]
    assert len(figures) == 2
    assert view.check is not None and view.check.ok
    assert view.business_unit.label == "All business units"


def test_picking_a_period_or_a_unit_runs_again(st: stnb.Connection) -> None:
    view = RecipeView(st, "receivables_aging", period=("2026-03-01", "2026-03-31"))
    first = view.result
    view.period.value = ("2026-02-01", "2026-02-28")
    assert view.result is not first and view.result is not None
    assert str(view.result.period).startswith("2026-02-01 to 2026-02-28")
    unit = view.business_unit.options[1][1]
    view.business_unit.value = unit
    assert view.result.business_unit == unit
    assert set(view.result.frame["key"].to_list()) <= {unit}
    view.business_unit.value = view.business_unit.options[0][1]
    assert view.business_unit.label == "All business units"  # a None value would show a blank picker
    assert view.result.business_unit is None


def test_company_wide_recipes_disable_the_unit_picker(st: stnb.Connection) -> None:
    view = RecipeView(st, "campaign_attribution", period=("2026-03-01", "2026-03-31"), units=[])
    assert view.business_unit.disabled


def test_a_failure_shows_as_a_banner(st: stnb.Connection) -> None:
    view = RecipeView(st, "membership_retention", period=("2026-03-01", "2026-03-31"), units=[])
    view.period.options = [*view.period.options, ("broken", "not_a_preset")]
    view.period.value = "not_a_preset"
    assert "unknown date preset" in text_of(view.out)

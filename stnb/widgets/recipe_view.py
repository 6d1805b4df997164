"""RecipeView: one recipe with a period and a business-unit picker; shows the answer in a sentence, its
chart, its reconciliation with ServiceTitan's report (a waterfall and the causes in words), and the
requests it took. Changing either picker runs the recipe again.
"""

from __future__ import annotations

import calendar
import html
from datetime import date, datetime
from typing import Any

import ipywidgets as widgets
import polars as pl

from stnb.charts.recipes import recipe_chart, reconciliation_waterfall
from stnb.recipes import Recipe, RecipeResult, Reconciliation, get
from stnb.tables import Unit, format_value
from stnb.widgets.outputs import figure_output, html_output, show, small_table_output
from stnb.widgets.render import banner_html, error_html, origin_html, text_html

__all__ = ["RecipeView", "period_choices"]

_STYLE = {"description_width": "110px"}
_PRESETS = (
    ("Last month", "last_month"),
    ("Month to date", "month_to_date"),
    ("Last 30 days", "last_30_days"),
)


def period_choices(today: date, months: int = 12) -> list[tuple[str, Any]]:
    """Presets, then each of the `months` whole calendar months before `today`'s (label, (first, last))."""
    out: list[tuple[str, Any]] = list(_PRESETS)
    year, month = today.year, today.month
    for _ in range(months):
        year, month = (year - 1, 12) if month == 1 else (year, month - 1)
        last = calendar.monthrange(year, month)[1]
        first_day = date(year, month, 1)
        out.append(
            (first_day.strftime("%B %Y"), (first_day.isoformat(), date(year, month, last).isoformat()))
        )
    return out


ALL_UNITS = 0  # the unit picker's value for every business unit (ids start at 1)


class RecipeView:
    """A recipe, its chart and its reconciliation, for the period and business unit picked."""

    def __init__(
        self,
        conn: Any,
        recipe: str | Recipe,
        *,
        period: Any = "last_month",
        business_unit: int | None = None,
        today: date | None = None,
        units: list[tuple[str, int]] | None = None,
    ) -> None:
        self.conn = conn
        self.recipe = get(recipe) if isinstance(recipe, str) else recipe
        clock = getattr(conn, "_clock", None)
        now = clock.utcnow() if clock is not None else datetime.now().astimezone()
        choices = period_choices(today or now.date())
        if not any(value == period for _, value in choices):
            choices.append((str(period), period))
        self.period = widgets.Dropdown(options=choices, value=period, description="period", style=_STYLE)
        # "All" is 0, not None: a Dropdown whose value is None shows no label at all.
        unit_choices: list[tuple[str, int]] = [("All business units", ALL_UNITS), *(units or self._units())]
        self.business_unit = widgets.Dropdown(
            options=unit_choices,
            value=ALL_UNITS if business_unit is None else business_unit,
            description="business unit",
            style=_STYLE,
            disabled=not self.recipe.by_business_unit,
        )
        self.out = widgets.Output()
        self.result: RecipeResult | None = None
        self.check: Reconciliation | None = None
        self.period.observe(lambda _change: self.run(), names="value")
        self.business_unit.observe(lambda _change: self.run(), names="value")
        self.widget = widgets.VBox(
            [widgets.HBox([self.period, self.business_unit]), self.out],
            layout=widgets.Layout(width="100%"),
        )
        self.run()

    def _repr_mimebundle_(self, **kwargs: Any) -> Any:
        return self.widget._repr_mimebundle_(**kwargs)

    def _units(self) -> list[tuple[str, int]]:
        frame = self.conn.frame("settings/business-units", active="any", progress=False)
        return [(str(n), int(i)) for i, n in frame.select("id", "name").sort("name").iter_rows()]

    def run(self) -> Reconciliation | None:
        """Run the recipe and its reconciliation for the current choices; show them (errors as a banner)."""
        show(self.out, html_output(banner_html(f"running {self.recipe.title.lower()} …", "info")))
        try:
            self.result = self.recipe.run(
                self.conn, self.period.value, business_unit=self.business_unit.value or None
            )
            self.check = self.result.reconcile()
        except Exception as exc:  # a widget shows the failure instead of raising into the event loop
            show(self.out, html_output(error_html(exc)))
            return None
        self._show(self.result, self.check)
        return self.check

    def _show(self, result: RecipeResult, check: Reconciliation) -> None:
        recipe = result.recipe
        figure = _main_figure(check)
        outputs = [
            html_output(
                _headline(result, check) + origin_html(self.conn.env, self.conn.tenant, self.conn.sandbox)
            ),
            figure_output(recipe_chart(result)),
            figure_output(reconciliation_waterfall(check, figure)),
            html_output(_no_math(_explanation(check))),
        ]
        causes = check.causes
        if causes.height:
            units = {f.name: f.unit for f in check.figures}
            shown = causes.with_columns(
                pl.struct("figure", "amount")
                .map_elements(lambda r: _signed(r["amount"], units[r["figure"]]), return_dtype=pl.String)
                .alias("change")
            ).select("figure", "cause", "change", "records")
            caption = "What explains the differences"
            outputs.append(_no_math_output(small_table_output(shown, caption, units={"records": "count"})))
            rows = check.rows(figure=figure).sort(pl.col("amount").abs(), descending=True).head(8)
            if rows.height:
                caption = f"The largest records behind the differences in {figure}"
                unit = _TABLE_UNITS[units[figure]]
                table = small_table_output(rows.drop("key", "figure"), caption, units={"amount": unit})
                outputs.append(_no_math_output(table))
        outputs.append(
            html_output(f"<pre style='font-size:11px'>{text_html(result.describe_requests())}</pre>")
        )
        if not check.ok:
            outputs.insert(
                0, html_output(banner_html(f"{recipe.title}: a difference is left unexplained", "error"))
            )
        show(self.out, *outputs)


_TABLE_UNITS: dict[str, Unit] = {"money": "money", "count": "count", "hours": "number"}


def _signed(value: float, unit: str) -> str:
    text = format_value(value, _TABLE_UNITS[unit]) + (" h" if unit == "hours" else "")
    return f"+{text}" if value > 0 else text


def _no_math_output(output: dict[str, Any]) -> dict[str, Any]:
    data = dict(output["data"])
    data["text/html"] = _no_math(str(data["text/html"]))
    return {**output, "data": data}


def _no_math(fragment: str) -> str:
    """Dollar amounts must not read as TeX: JupyterLab's MathJax skips elements of this class."""
    return f'<div class="mathjax_ignore tex2jax_ignore">{fragment}</div>'


_MAIN = {
    "revenue_by_business_unit": "TotalRevenue",
    "revenue_by_technician": "CompletedRevenue",
    "campaign_attribution": "CompletedRevenue",
    "membership_retention": "ActiveAtEnd",
    "receivables_aging": "Total",
    "technician_utilization": "BookedHours",
}


def _main_figure(check: Reconciliation) -> str:
    return _MAIN.get(check.result.recipe.name, check.figures[0].name)


def _headline(result: RecipeResult, check: Reconciliation) -> str:
    recipe = result.recipe
    main = _main_figure(check)
    fig = next(f for f in check.figures if f.name == main)
    total = result.totals().get(main, 0.0)
    amount = (
        f"${total:,.2f}"
        if fig.unit == "money"
        else f"{total:,.2f} h"
        if fig.unit == "hours"
        else f"{total:,.0f}"
    )
    keys = result.frame.height
    agree = (
        "ServiceTitan's report agrees to the cent once the differences below are accounted for."
        if check.ok
        else "ServiceTitan's report differs by an amount no known cause explains."
    )
    label = f"{recipe.key_label}{'s' if keys != 1 else ''}"
    title = f"<b>{html.escape(recipe.title)}</b>, {html.escape(str(result.period))}"
    text = f"{main} {amount} over {keys} {label}. {agree}"
    return f"<p style='font-size:14px;margin:4px 0'>{title}: {html.escape(text)}</p>"


def _explanation(check: Reconciliation) -> str:
    """`explain()` as a list per figure, its causes nested under it."""
    blocks: list[tuple[str, list[str]]] = []
    for line in check.explain():
        if line.startswith("  - ") and blocks:
            blocks[-1][1].append(line[4:])
        else:
            blocks.append((line, []))
    items = "".join(
        f"<li>{text_html(head)}<ul>{''.join(f'<li>{text_html(sub)}</li>' for sub in subs)}</ul></li>"
        for head, subs in blocks
    )
    return f"<ul style='font-size:12px;margin:4px 0'>{items}</ul>"

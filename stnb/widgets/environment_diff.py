"""EnvironmentDiff: ask two environments the same question (`stnb.compare`) and show what differs.

The comparison itself, its tables and its figures come from `stnb.compare` and `stnb.charts.compare`;
this widget picks the sides, the resource and the method, and lays the results out in tabs. A sweep
over every resource (`compare_all`) ranks where to look first.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import ipywidgets as widgets
import plotly.graph_objects as go
import polars as pl

from stnb._compare import SideSpec, compare_all
from stnb._compare.sides import describe_side, open_side
from stnb._connection import Connection
from stnb.catalog import Catalog, load_catalog
from stnb.pages.comparison import Comparison, change_lines, compare
from stnb.widgets.choices import side_choices
from stnb.widgets.outputs import (
    datatable_assets,
    figure_output,
    frame_output,
    html_output,
    show,
    small_table_output,
    table_output,
)
from stnb.widgets.render import banner_html, button_layout, error_html, origin_text, text_html

__all__ = ["METHODS", "EnvironmentDiff"]

METHODS = ("auto", "list", "export", "sample")
SWEEP_BUDGET = 120  # requests: one page of each resource on each side, a minute of the rate limit at most
_TABS = ("Summary", "Records", "Schema and values", "Charts", "Service")


def _comparable(catalog: Catalog) -> list[str]:
    """Resources a comparison can read without a parent id."""
    return [r.key for r in catalog if r.list is not None and r.list.parent_param is None]


class EnvironmentDiff:
    """Side and resource pickers, Compare and Sweep buttons, and the comparison in tabs.

    `a` and `b` are comparison sides (an environment name, `profile.environment`, or a `Connection`);
    `connect_options` go to every connection the comparison opens (e.g. `{"sandbox": True}`).
    """

    def __init__(
        self,
        a: SideSpec = "integration",
        b: SideSpec = "production",
        resource: str = "crm/customers",
        *,
        connect_options: Mapping[str, Any] | None = None,
        catalog: Catalog | None = None,
    ) -> None:
        self._connect_options = dict(connect_options or {})
        self._given = {"a": a, "b": b}
        self.comparison: Comparison | None = None
        self.sweep_result: pl.DataFrame | None = None
        self._figures: dict[str, go.Figure] = {}
        catalog = catalog or load_catalog()
        sides = side_choices()
        self.side_a = widgets.Dropdown(options=self._options(sides, a), description="side a")
        self.side_b = widgets.Dropdown(options=self._options(sides, b), description="side b")
        self.resource = widgets.Dropdown(
            options=_comparable(catalog), value=catalog.resolve(resource).key, description="resource"
        )
        self.method = widgets.ToggleButtons(options=list(METHODS), value="auto", description="method")
        self.compare_button = widgets.Button(
            description="Compare", icon="exchange", button_style="primary", layout=button_layout()
        )
        self.sweep_button = widgets.Button(
            description="Sweep every resource", icon="search", layout=button_layout()
        )
        self.status = widgets.HTML()
        self.tabs = widgets.Tab(children=[widgets.Output() for _ in _TABS])
        for index, title in enumerate(_TABS):
            self.tabs.set_title(index, title)
        self.distribution_field = widgets.Dropdown(description="values of", options=[])
        self.distribution = widgets.Output()
        self.sweep_output = widgets.Output()
        assets = widgets.Output()
        show(assets, datatable_assets())
        self.distribution_field.observe(lambda _change: self._show_distribution(), names="value")
        self.compare_button.on_click(lambda _button: self.run())
        self.sweep_button.on_click(lambda _button: self.sweep())
        self.widget = widgets.VBox(
            [
                assets,
                widgets.HBox([self.side_a, self.side_b]),
                widgets.HBox([self.resource, self.method]),
                widgets.HBox([self.compare_button, self.sweep_button]),
                self.status,
                self.tabs,
                widgets.HBox([self.distribution_field]),
                self.distribution,
                self.sweep_output,
            ]
        )

    def _repr_mimebundle_(self, **kwargs: Any) -> Any:
        return self.widget._repr_mimebundle_(**kwargs)

    @staticmethod
    def _options(sides: list[str], given: SideSpec) -> list[tuple[str, str]]:
        label = given if isinstance(given, str) else f"{describe_side(given)} (given)"
        return [(label, "given"), *[(side, side) for side in sides if side != label]]

    def _side(self, value: str, name: str) -> SideSpec:
        return self._given[name] if value == "given" else value

    @property
    def sides(self) -> tuple[SideSpec, SideSpec]:
        """The two sides as `stnb.compare` takes them."""
        return self._side(self.side_a.value, "a"), self._side(self.side_b.value, "b")

    # -- comparing ---------------------------------------------------------------------------------

    def run(self) -> Comparison | None:
        """Compare the chosen resource on both sides and show every part; errors are shown inline."""
        self.compare_button.disabled = True
        self.status.value = banner_html(f"Comparing {self.resource.value} on both sides…", "info")
        a, b = self.sides
        try:
            cmp = compare(
                self.resource.value, a, b, method=self.method.value, connect_options=self._connect_options
            )
        except Exception as exc:  # bad input or an unexpected failure: shown, not raised
            self.status.value = error_html(exc)
            return None
        finally:
            self.compare_button.disabled = False
        self.comparison = cmp
        self._show(cmp)
        return cmp

    def _show(self, cmp: Comparison) -> None:
        verdict = "differences found" if cmp.has_differences else "no differences"
        header = (
            f"<div><b>{text_html(cmp.resource)}</b> · {text_html(cmp.method)} · {verdict}</div>"
            f"<div style='font-size:12px'>a = {text_html(cmp.a.label)} · b = {text_html(cmp.b.label)}"
            f"{' · filters: ' + text_html(str(cmp.filters)) if cmp.filters else ''}</div>"
        )
        failures = "".join(banner_html(str(failure), "error") for failure in cmp.failures)
        notes = "".join(f"<div style='font-size:12px'>note: {text_html(n)}</div>" for n in cmp.notes)
        self.status.value = header + failures + notes
        summary, records, schema, charts, service = self.tabs.children
        context = f"{cmp.resource} · a = {cmp.a.label} · b = {cmp.b.label}"
        show(summary, small_table_output(cmp.summary(), f"What differs · {context}"))
        diff = cmp.record_diff
        show(
            records,
            small_table_output(
                diff.changed_fields, f"Changed fields ({diff.n_changed} of {diff.compared} shared)"
            ),
            frame_output(diff.only_in_a, f"Records only in a: {cmp.a.label}", units={diff.id_column: "id"}),
            frame_output(diff.only_in_b, f"Records only in b: {cmp.b.label}", units={diff.id_column: "id"}),
            frame_output(
                change_lines(diff.changes, diff.id_column),
                "Changed records, field by field: a → b",
                units={diff.id_column: "id"},
            ),
        )
        show(
            schema,
            small_table_output(cmp.schema_diff, "Schema: fields, dtypes and null rates that differ"),
            small_table_output(cmp.new_values, "Values seen on one side only"),
            small_table_output(cmp.numeric, "Numeric fields side by side"),
        )
        figures = cmp.figures()
        show(
            charts,
            *(figure_output(figures[name]) for name in ("monthly", "changed_fields") if name in figures),
        )
        show(service, small_table_output(cmp.service, "Requests, errors and latency per side"))
        fields = [name.split(":", 1)[1] for name in figures if name.startswith("distribution:")]
        self._figures = figures
        self.distribution_field.options = fields
        self.distribution_field.value = fields[0] if fields else None
        self._show_distribution()

    def _show_distribution(self) -> None:
        name = self.distribution_field.value
        figure = self._figures.get(f"distribution:{name}")
        show(self.distribution, *([figure_output(figure)] if figure is not None else []))

    # -- sweeping ----------------------------------------------------------------------------------

    def sweep(self, budget: int = SWEEP_BUDGET) -> pl.DataFrame | None:
        """One page of every resource on both sides, ranked by how much differs."""
        self.sweep_button.disabled = True
        show(self.sweep_output, html_output(banner_html("Sweeping every resource, one page each…", "info")))
        opened: list[tuple[Connection, bool]] = []
        try:
            for side in self.sides:
                opened.append(open_side(side, self._connect_options))
            (a, _), (b, _) = opened
            ranked = compare_all(a, b, budget=budget)
        except Exception as exc:  # shown, not raised
            show(self.sweep_output, html_output(error_html(exc)))
            return None
        finally:
            self.sweep_button.disabled = False
            for conn, owned in opened:
                if owned:
                    conn.close()
        self.sweep_result = ranked
        caption = f"every resource, most different first · a = {_origin(a)} · b = {_origin(b)}"
        show(self.sweep_output, table_output(ranked, caption=caption))
        return ranked


def _origin(conn: Connection) -> str:
    return origin_text(conn.env, conn.tenant, conn.sandbox)

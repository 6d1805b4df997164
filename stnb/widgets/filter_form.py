"""Filter inputs generated from a catalog endpoint: the active tri-state, a date range, one input per filter.

The form only collects text; `stnb._query` validates and converts it when the query is built, so a bad
value comes back as the same `ValidationError` a script would get.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import ipywidgets as widgets

from stnb._clock import SYSTEM_CLOCK, Clock
from stnb.catalog import Endpoint, Param
from stnb.tenant_time import TenantClock, filter_names, last_n_days, local_day_bounds, rfc3339

__all__ = ["ACTIVE_CHOICES", "CUSTOM", "DATE_PRESETS", "NOT_SET", "FilterForm", "date_stems"]

ACTIVE_CHOICES = ("True", "Any", "False")
CUSTOM = "custom"
NOT_SET = ""  # a dropdown whose value is None shows a blank box, so "not set" is the empty string
DATE_PRESETS: tuple[tuple[str, str], ...] = (
    ("no date filter", NOT_SET),
    ("today", "today"),
    ("yesterday", "yesterday"),
    ("last 7 days", "last_7_days"),
    ("last 30 days", last_n_days(30)),
    ("month to date", "month_to_date"),
    ("last month", "last_month"),
    ("custom dates", CUSTOM),
)
_LOWER_SUFFIX = "OnOrAfter"
_PREFERRED_STEMS = ("modified", "created")  # what exploring usually means by "recent"
_STYLE = {"description_width": "170px"}
_WIDE = widgets.Layout(width="340px")


def date_stems(endpoint: Endpoint) -> list[str]:
    """Date fields with both bounds among the filters (`modified`, `created`, `invoiced`, ...)."""
    filters = endpoint.filters
    stems = []
    for name in filters:
        if name.endswith(_LOWER_SUFFIX):
            stem = name[: -len(_LOWER_SUFFIX)]
            lower, upper = filter_names(stem)
            if lower in filters and upper in filters:
                stems.append(stem)
    return sorted(stems, key=lambda s: (_PREFERRED_STEMS.index(s) if s in _PREFERRED_STEMS else 99, s))


def _input(param: Param) -> widgets.Widget:
    if param.enum and not param.array:
        return widgets.Dropdown(
            options=[("(not set)", NOT_SET), *[(v, v) for v in param.enum]],
            value=NOT_SET,
            description=param.name,
            style=_STYLE,
            layout=_WIDE,
        )
    if param.type == "bool":
        return widgets.Dropdown(
            options=[("(not set)", NOT_SET), ("true", "true"), ("false", "false")],
            value=NOT_SET,
            description=param.name,
            style=_STYLE,
            layout=_WIDE,
        )
    hint = {
        "int32": "integer",
        "int64": "integer",
        "float64": "number",
        "datetime": "2026-01-31 or 2026-01-31T08:00:00Z",
        "date": "2026-01-31",
    }.get(param.type, "text")
    if param.array or param.name == "ids":
        hint = f"{hint}, several separated by commas"
    if param.enum:
        hint = f"any of {', '.join(param.enum)}, separated by commas"
    return widgets.Text(description=param.name, placeholder=hint, style=_STYLE, layout=_WIDE)


class FilterForm:
    """The inputs for one list endpoint. `values()` returns the filters that are set, ready for `frame()`."""

    def __init__(self, endpoint: Endpoint, timezone: str, *, clock: Clock | None = None) -> None:
        self.endpoint = endpoint
        self.timezone = timezone
        self._tenant_clock = TenantClock(timezone, clock or SYSTEM_CLOCK)
        supported = endpoint.supports_active
        self.active = widgets.ToggleButtons(
            options=list(ACTIVE_CHOICES),
            value="Any" if supported else "True",
            description="active",
            disabled=not supported,
            tooltips=[
                "active records only (ServiceTitan's default)",
                "active and inactive records",
                "inactive records only",
            ],
            style={"description_width": "60px", "button_width": "70px"},
            layout=widgets.Layout(display=None if supported else "none"),  # no toggle for what does nothing
        )
        self.active_note = widgets.HTML(
            "" if supported else "<i>this resource has no active filter: every record is returned</i>"
        )
        stems = date_stems(endpoint)
        self.date_field = widgets.Dropdown(
            options=stems or ["(none)"], description="date field", disabled=not stems
        )
        self.date_preset = widgets.Dropdown(
            options=list(DATE_PRESETS), value=NOT_SET, description="dates", disabled=not stems
        )
        self.date_from = widgets.DatePicker(description="from", layout=widgets.Layout(display="none"))
        self.date_to = widgets.DatePicker(description="to (incl.)", layout=widgets.Layout(display="none"))
        self.date_preset.observe(self._on_preset, names="value")
        self.sort = widgets.Dropdown(
            options=[("(server order)", NOT_SET)]
            + [(f"{sign}{f}", f"{sign}{f}") for f in endpoint.sort for sign in "+-"],
            value=NOT_SET,
            description="sort",
            disabled=not endpoint.sort,
        )
        paired = {n for s in stems for n in filter_names(s)}
        skipped = {"active", "sort"} | paired
        self.inputs: dict[str, widgets.Widget] = {
            name: _input(param)
            for name, param in sorted(endpoint.filters.items())
            if name not in skipped and not param.map
        }
        self.unsupported = sorted(name for name, param in endpoint.filters.items() if param.map)
        grid = widgets.GridBox(
            list(self.inputs.values()),
            layout=widgets.Layout(grid_template_columns="repeat(auto-fill, 350px)", grid_gap="4px 12px"),
        )
        more = widgets.Accordion(children=[grid], selected_index=None)
        more.set_title(0, f"Filters ({len(self.inputs)})")
        self.widget = widgets.VBox(
            [
                widgets.HBox([self.active, self.active_note]),
                widgets.HBox([self.date_field, self.date_preset, self.sort]),
                widgets.HBox([self.date_from, self.date_to]),
                more,
            ]
        )

    def _on_preset(self, change: dict[str, Any]) -> None:
        shown = "flex" if change["new"] == CUSTOM else "none"
        self.date_from.layout.display = shown
        self.date_to.layout.display = shown

    def values(self) -> dict[str, Any]:
        """The filters that are set: `active` (when supported), date bounds in UTC, sort, and the inputs."""
        chosen: dict[str, Any] = {}
        if self.endpoint.supports_active:
            chosen["active"] = self.active.value
        chosen.update(self.date_filters())
        if self.sort.value:
            chosen["sort"] = self.sort.value
        for name, control in self.inputs.items():
            value = control.value.strip()
            if value:
                chosen[name] = value
        return chosen

    def date_filters(self) -> dict[str, str]:
        """The date range as the two list filters, bounds at tenant-local midnights, in UTC."""
        preset = self.date_preset.value
        if not preset or self.date_field.disabled:
            return {}
        field = self.date_field.value
        if preset != CUSTOM:
            return self._tenant_clock.filters(preset, field)
        first: date | None = self.date_from.value
        last: date | None = self.date_to.value
        lower, upper = filter_names(field)
        bounds: dict[str, str] = {}
        if first is not None:
            bounds[lower] = rfc3339(local_day_bounds(first, self.timezone)[0])
        if last is not None:
            bounds[upper] = rfc3339(local_day_bounds(last, self.timezone)[1])
        if first is not None and last is not None and last < first:
            raise ValueError(f"the date range ends ({last}) before it starts ({first})")
        return bounds

    def describe(self) -> str:
        """The date range in words, e.g. `modified: last 7 days (America/New_York)`."""
        preset = self.date_preset.value
        if not preset or self.date_field.disabled:
            return ""
        label = dict((v, k) for k, v in DATE_PRESETS)[preset]
        return f"{self.date_field.value}: {label} ({self.timezone})"

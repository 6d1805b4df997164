"""One look for every stnb figure: the plotly template "stnb" and a title helper.

Importing this module registers the template; figures opt in with `template="stnb"` (or `themed(fig)`),
so stnb never changes plotly's global default behind a user's back.
"""

from __future__ import annotations

from datetime import date, datetime

import plotly.graph_objects as go
import plotly.io as pio

__all__ = [
    "COLORS",
    "LIMIT_COLOR",
    "TEMPLATE",
    "date_range_text",
    "register_template",
    "rgba",
    "themed",
    "titled",
]

TEMPLATE = "stnb"

# Okabe-Ito first (distinguishable with the common colour-vision deficiencies), then Paul Tol's muted
# scheme: 16 distinct colours, so every API family (and every app or tenant a chart shows) has its own.
COLORS = (
    "#0072B2",
    "#E69F00",
    "#009E73",
    "#CC79A7",
    "#56B4E9",
    "#D55E00",
    "#F0E442",
    "#000000",
    "#882255",
    "#117733",
    "#332288",
    "#DDCC77",
    "#AA4499",
    "#44AA99",
    "#999933",
    "#88CCEE",
)
LIMIT_COLOR = "#B00020"  # limits, anomalies and errors: one red across charts
_FONT = "Inter, 'Segoe UI', Roboto, Helvetica, Arial, sans-serif"
_GRID = "#E5E7EB"


def rgba(color: str, alpha: float) -> str:
    """`#RRGGBB` as a CSS rgba() string with the given opacity (for bands and fills)."""
    red, green, blue = (int(color[i : i + 2], 16) for i in (1, 3, 5))
    return f"rgba({red},{green},{blue},{alpha})"


def register_template() -> None:
    """Register (or refresh) the "stnb" template in `plotly.io.templates`."""
    axis = {
        "gridcolor": _GRID,
        "zerolinecolor": _GRID,
        "linecolor": "#9CA3AF",
        "ticks": "outside",
        "tickcolor": "#9CA3AF",
        "automargin": True,
        "title": {"standoff": 8},
    }
    pio.templates[TEMPLATE] = go.layout.Template(
        layout={
            "font": {"family": _FONT, "size": 13, "color": "#1F2937"},
            # Title at the very top, legend at the very bottom of the figure (below the axis title): however
            # many entries it wraps to, plotly makes room for it, and it never covers the title.
            "title": {
                "x": 0.0,
                "xanchor": "left",
                "xref": "container",
                "y": 1.0,
                "yanchor": "top",
                "yref": "container",
                "pad": {"t": 12, "l": 12},
                "font": {"size": 16},
            },
            "colorway": list(COLORS),
            "paper_bgcolor": "white",
            "plot_bgcolor": "white",
            "margin": {"l": 60, "r": 24, "t": 72, "b": 48},
            "xaxis": axis,
            "yaxis": axis,
            "legend": {
                "orientation": "h",
                "yanchor": "bottom",
                "y": 0.0,
                "xanchor": "left",
                "x": 0.0,
                "yref": "container",
            },
            "hoverlabel": {"font": {"family": _FONT}},
            "hovermode": "x unified",
            "colorscale": {"sequential": [[0.0, "#F7FBFF"], [0.5, "#6BAED6"], [1.0, "#08306B"]]},
        }
    )


def themed(fig: go.Figure) -> go.Figure:
    """Apply the stnb template to `fig` (in place) and return it."""
    fig.update_layout(template=TEMPLATE)
    return fig


def date_range_text(start: date | datetime | None, end: date | datetime | None) -> str:
    """`2026-06-01 – 2026-06-30`; open ends read as "…"."""

    def one(value: date | datetime | None) -> str:
        if value is None:
            return "…"
        if isinstance(value, datetime):
            fmt = "%Y-%m-%d %H:%M" if (value.hour or value.minute) else "%Y-%m-%d"
            return value.strftime(fmt)
        return value.isoformat()

    return f"{one(start)} – {one(end)}"


def titled(
    fig: go.Figure,
    what: str,
    app: str | None,
    env: str | None,
    start: date | datetime | None,
    end: date | datetime | None,
) -> go.Figure:
    """Title `fig` with what it shows plus app, environment and date range, and apply the theme."""
    context = " · ".join(part for part in (app or "all apps", env or "all environments") if part)
    fig.update_layout(
        template=TEMPLATE,
        title={
            "text": f"{what}<br><sup>{context} · {date_range_text(start, end)}</sup>",
        },
    )
    return fig


register_template()

"""Usage charts: one function per question a product team asks, each returning a plotly Figure.

Every function takes a ledger frame, a portal report frame or usage events (eager or lazy) and titles
its figure with the apps, environment and date range it shows. Error, latency and headroom charts need
ledger data (the portal only counts successful calls). Call counts per week or month shade the periods
the data covers only in part (`stnb.charts.periods`), so a short last week does not read as a drop.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, timedelta

import plotly.graph_objects as go
import polars as pl

from stnb.charts.periods import mark_coverage, mark_partial
from stnb.charts.theme import COLORS, LIMIT_COLOR, rgba, titled
from stnb.usage import analytics
from stnb.usage.events import Frame, tenant_label, usage_events

__all__ = [
    "Context",
    "calls_by",
    "context",
    "endpoint_heatmap",
    "error_rates",
    "family_area",
    "headroom",
    "latency",
    "mark_periods",
    "projection",
    "tenants_ranked",
    "trend",
]

_EVERY_WORDS = {"1h": "hour", "1d": "day", "1w": "week", "1mo": "month"}


class Context:
    """What a figure shows: apps, environment and date range (for titles)."""

    def __init__(
        self, apps: Sequence[str], envs: Sequence[str], start: date | None, end: date | None
    ) -> None:
        self.apps = list(apps)
        self.envs = list(envs)
        self.start = start
        self.end = end

    @property
    def app(self) -> str:
        if len(self.apps) == 1:
            return self.apps[0]
        if 1 < len(self.apps) <= 3:
            return ", ".join(self.apps)
        return f"{len(self.apps)} apps" if self.apps else "no apps"  # more than 3 here

    @property
    def env(self) -> str:
        return " + ".join(self.envs) if self.envs else "no environment"


def context(usage: Frame) -> Context:
    """Apps, environments and first/last day present in `usage`."""
    events = usage_events(usage)
    summary = events.select(
        pl.col("app").drop_nulls().unique().sort().implode().alias("apps"),
        pl.col("env").drop_nulls().unique().sort().implode().alias("envs"),
        pl.col("at").min().dt.date().alias("start"),
        pl.col("at").max().dt.date().alias("end"),
    ).collect()
    row = summary.row(0, named=True)
    return Context(row["apps"] or [], row["envs"] or [], row["start"], row["end"])


def _title(fig: go.Figure, what: str, ctx: Context) -> go.Figure:
    return titled(fig, what, ctx.app, ctx.env, ctx.start, ctx.end)


def _per(every: str) -> str:
    return _EVERY_WORDS.get(every, every)


def mark_periods(fig: go.Figure, usage: Frame, ctx: Context, every: str) -> go.Figure:
    """Shade the periods `usage` covers in part: weeks and months by days, days and hours by time."""
    if every in ("1d", "1h"):
        return mark_coverage(fig, analytics.period_coverage(usage, every).iter_rows(), every)
    return mark_partial(fig, ctx.start, ctx.end, every)


def _color(i: int) -> str:
    return COLORS[i % len(COLORS)]


def trend(
    usage: Frame, *, every: str = "1d", mark_anomalies: bool = True, threshold: float = 3.5
) -> go.Figure:
    """Calls per period and app, with anomalous days (robust z-score) marked when `every` is a day."""
    ctx = context(usage)
    counts = analytics.calls_over_time(usage, every, "app")
    fig = go.Figure()
    for i, (app,) in enumerate(counts.select("app").unique(maintain_order=True).iter_rows()):
        part = counts.filter(pl.col("app") == app)
        fig.add_trace(
            go.Scatter(
                x=part["period"].to_list(),
                y=part["calls"].to_list(),
                mode="lines",
                name=app,
                line={"color": _color(i), "width": 2},
            )
        )
    if mark_anomalies and every == "1d" and counts.height:
        found = analytics.anomalies(analytics.daily_calls(usage), threshold=threshold)  # whole days
        if found.height:
            text = [
                f"{a}: {k} of {abs(p):.0f}% ({c:,} calls, about {e:,.0f} expected; z = {z:.1f})"
                for a, k, p, c, e, z in found.select(
                    "app", "kind", "deviation_pct", "calls", "expected", "z"
                ).iter_rows()
            ]
            fig.add_trace(
                go.Scatter(
                    x=found["day"].to_list(),
                    y=found["calls"].to_list(),
                    mode="markers",
                    name="anomaly",
                    marker={"color": LIMIT_COLOR, "size": 11, "symbol": "x", "line": {"width": 1}},
                    text=text,
                    hovertemplate="%{x|%Y-%m-%d}<br>%{text}<extra></extra>",
                )
            )
    fig.update_layout(yaxis_title=f"calls per {_per(every)}", xaxis_title=None)
    mark_periods(fig, usage, ctx, every)
    return _title(fig, f"API calls per {_per(every)}", ctx)


def calls_by(usage: Frame, *, by: str = "app", every: str = "1d", top: int = 8) -> go.Figure:
    """Calls per period for the `top` busiest groups of `by`, the rest summed as "other".

    `by`: app, env, tenant, api, module, endpoint or method.
    """
    ctx = context(usage)
    counts = analytics.calls_over_time(usage, every, by)
    ranked = counts.group_by(by).agg(pl.col("calls").sum()).sort(["calls", by], descending=[True, False])
    keep = ranked.head(top)[by].to_list()
    label = pl.when(pl.col(by).is_in(keep)).then(pl.col(by).cast(pl.String)).otherwise(pl.lit("other"))
    shown = counts.with_columns(label.alias("group")).group_by("period", "group").agg(pl.col("calls").sum())
    fig = go.Figure()
    for i, name in enumerate([*map(str, keep), *(["other"] if ranked.height > top else [])]):
        part = shown.filter(pl.col("group") == name).sort("period")
        fig.add_trace(
            go.Scatter(
                x=part["period"].to_list(),
                y=part["calls"].to_list(),
                mode="lines",
                name=name,
                line={"color": _color(i)},
            )
        )
    fig.update_layout(yaxis_title=f"calls per {_per(every)}")
    mark_periods(fig, usage, ctx, every)
    return _title(fig, f"Calls per {_per(every)} by {by}", ctx)


def family_area(usage: Frame, *, every: str = "1d") -> go.Figure:
    """Calls per period stacked by API family."""
    ctx = context(usage)
    counts = analytics.calls_over_time(usage, every, "api")
    totals = counts.group_by("api").agg(pl.col("calls").sum()).sort("calls", descending=True)
    fig = go.Figure()
    for i, api in enumerate(totals["api"].to_list()):
        part = counts.filter(pl.col("api") == api).sort("period")
        fig.add_trace(
            go.Scatter(
                x=part["period"].to_list(),
                y=part["calls"].to_list(),
                name=api,
                mode="lines",
                stackgroup="apis",
                line={"width": 0.5, "color": _color(i)},
            )
        )
    fig.update_layout(yaxis_title=f"calls per {_per(every)}")
    mark_periods(fig, usage, ctx, every)
    return _title(fig, f"Calls per {_per(every)} by API family", ctx)


def endpoint_heatmap(usage: Frame, *, top: int = 20) -> go.Figure:
    """Daily calls for the `top` busiest endpoints (method + path) as an endpoint x day heatmap."""
    ctx = context(usage)
    events = usage_events(usage).with_columns(
        pl.concat_str([pl.col("method"), pl.col("endpoint")], separator=" ").alias("route")
    )
    routes = (
        events.group_by("route", "endpoint")
        .agg(pl.col("calls").sum())
        .sort(["calls", "route"], descending=[True, False])
        .head(top)
        .collect()
    )
    by_route = (
        events.filter(pl.col("route").is_in(routes["route"].implode()))
        .with_columns(pl.col("at").dt.truncate("1d").alias("period"))
        .group_by("route", "period")
        .agg(pl.col("calls").sum())
        .collect()
    )
    days = sorted(set(by_route["period"].to_list()))
    order = list(reversed(routes["route"].to_list()))  # busiest at the top
    grid = {(r, d): 0 for r in order for d in days}
    for route, period, calls in by_route.iter_rows():
        grid[(route, period)] = calls
    z = [[grid[(r, d)] for d in days] for r in order]
    fig = go.Figure(
        go.Heatmap(
            x=days,
            y=order,
            z=z,
            colorscale="Blues",
            colorbar={"title": {"text": "calls"}},
            hovertemplate="%{y}<br>%{x|%Y-%m-%d}: %{z:,} calls<extra></extra>",
        )
    )
    fig.update_layout(height=max(360, 26 * len(order) + 140), yaxis={"automargin": True})
    return _title(fig, f"Calls per day, top {len(order)} endpoints", ctx)


def tenants_ranked(usage: Frame, *, top: int = 15) -> go.Figure:
    """Tenants ranked by calls over the whole range, one bar segment per app."""
    ctx = context(usage)
    events = usage_events(usage).filter(pl.col("tenant").is_not_null(), pl.col("module") != "auth")
    label = pl.when(pl.col("tenant_name").is_not_null()).then(
        pl.format("{} ({})", pl.col("tenant_name"), pl.col("tenant"))
    )
    per = (
        events.with_columns(label.otherwise(pl.col("tenant")).alias("label"))
        .group_by("label", "app")
        .agg(pl.col("calls").sum())
        .collect()
    )
    ranked = (
        per.group_by("label").agg(pl.col("calls").sum()).sort(["calls", "label"], descending=[True, False])
    )
    labels = list(reversed(ranked.head(top)["label"].to_list()))
    fig = go.Figure()
    for i, app in enumerate(sorted(per["app"].unique().to_list())):
        part = dict(per.filter(pl.col("app") == app).select("label", "calls").iter_rows())
        fig.add_trace(
            go.Bar(
                y=labels,
                x=[part.get(lab, 0) for lab in labels],
                name=app,
                orientation="h",
                marker={"color": _color(i)},
            )
        )
    fig.update_layout(barmode="stack", xaxis_title="calls", height=max(320, 30 * len(labels) + 160))
    return _title(fig, "Tenants ranked by calls", ctx)


def error_rates(ledger: Frame, *, every: str = "1d") -> go.Figure:
    """Error rate and 429 (throttled) rate per period and app, in percent: ledger data only."""
    ctx = context(ledger)
    rates = analytics.rates(ledger, "app", every)
    fig = go.Figure()
    for i, app in enumerate(rates["app"].unique(maintain_order=True).to_list()):
        part = rates.filter(pl.col("app") == app).sort("period")
        for column, name, dash in (("error_rate", "errors", "solid"), ("throttle_rate", "429s", "dot")):
            fig.add_trace(
                go.Scatter(
                    x=part["period"].to_list(),
                    y=(part[column] * 100).to_list(),
                    name=f"{app}: {name}",
                    mode="lines",
                    line={"color": _color(i), "dash": dash},
                    hovertemplate="%{x|%Y-%m-%d %H:%M}: %{y:.2f}%<extra>" + f"{app}: {name}</extra>",
                )
            )
    fig.update_layout(yaxis_title="% of attempts", yaxis={"rangemode": "tozero"})
    return _title(fig, f"Error and 429 rates per {_per(every)}", ctx)


def latency(ledger: Frame, *, every: str = "1d") -> go.Figure:
    """Latency p50, p95 and p99 per period and app, in milliseconds: ledger data only."""
    ctx = context(ledger)
    stats = analytics.latency_percentiles(ledger, "app", every)
    fig = go.Figure()
    for i, app in enumerate(stats["app"].unique(maintain_order=True).to_list()):
        part = stats.filter(pl.col("app") == app).sort("period")
        for column, dash in (("p50", "solid"), ("p95", "dash"), ("p99", "dot")):
            fig.add_trace(
                go.Scatter(
                    x=part["period"].to_list(),
                    y=part[column].to_list(),
                    name=f"{app}: {column}",
                    mode="lines",
                    line={"color": _color(i), "dash": dash},
                )
            )
    fig.update_layout(yaxis_title="ms", yaxis={"rangemode": "tozero"})
    return _title(fig, f"Latency percentiles per {_per(every)}", ctx)


def headroom(ledger: Frame, *, limit: float = analytics.RATE_LIMIT_PER_SECOND) -> go.Figure:
    """Peak requests per second for each app and tenant against the per-app-per-tenant limit."""
    ctx = context(ledger)
    named = usage_events(ledger).with_columns(tenant_label().alias("tenant"))
    peaks = analytics.peak_rps_headroom(named, limit=limit, by=("env", "app", "tenant"))
    peaks = peaks.sort(["peak_rps", "app", "tenant"], descending=[False, False, False])
    labels = [f"{a} · {t} · {e}" for e, a, t in peaks.select("env", "app", "tenant").iter_rows()]
    colors = [LIMIT_COLOR if p > limit else COLORS[0] for p in peaks["peak_rps"].to_list()]
    details = [
        f"busiest second {at:%Y-%m-%d %H:%M:%S} UTC; headroom {h:+.0f}/s"
        for at, h in peaks.select("peak_at", "headroom").iter_rows()
    ]
    fig = go.Figure(
        go.Bar(
            y=labels,
            x=peaks["peak_rps"].to_list(),
            orientation="h",
            marker={"color": colors},
            text=[f"{p}/s" for p in peaks["peak_rps"].to_list()],
            textposition="outside",
            cliponaxis=False,
            customdata=details,
            hovertemplate="%{y}<br>%{x} requests in one second<br>%{customdata}<extra></extra>",
            name="peak requests/s",
        )
    )
    fig.add_vline(
        x=limit,
        line={"color": LIMIT_COLOR, "dash": "dash"},
        annotation={"text": f"limit {limit:g}/s", "font": {"color": LIMIT_COLOR}},
        annotation_position="top",
    )
    fig.update_layout(
        xaxis_title="peak requests in one second", height=max(300, 28 * len(labels) + 160), showlegend=False
    )
    return _title(fig, "Rate-limit headroom (peak requests/s per app and tenant)", ctx)


def projection(usage: Frame, *, days: int = 30, history_days: int = 56) -> go.Figure:
    """Daily calls for the last `history_days` and the projection for the next `days`, with its band."""
    ctx = context(usage)
    daily = analytics.daily_calls(usage)
    ahead = analytics.projection(daily, days=days)
    fig = go.Figure()
    last = daily["day"].max()
    for i, app in enumerate(daily["app"].unique(maintain_order=True).to_list()):
        color = _color(i)
        past = daily.filter(pl.col("app") == app)
        if isinstance(last, date):
            past = past.filter(pl.col("day") > last - timedelta(days=history_days))
        future = ahead.filter(pl.col("app") == app)
        fig.add_trace(
            go.Scatter(x=past["day"].to_list(), y=past["calls"].to_list(), name=app, line={"color": color})
        )
        if future.height:
            fig.add_trace(
                go.Scatter(
                    x=future["day"].to_list(),
                    y=future["upper"].to_list(),
                    mode="lines",
                    line={"width": 0},
                    showlegend=False,
                    hoverinfo="skip",
                )
            )
            fig.add_trace(
                go.Scatter(
                    x=future["day"].to_list(),
                    y=future["lower"].to_list(),
                    mode="lines",
                    line={"width": 0},
                    fill="tonexty",
                    fillcolor=rgba(color, 0.18),
                    name=f"{app}: 90% band",
                )
            )
            fig.add_trace(
                go.Scatter(
                    x=future["day"].to_list(),
                    y=future["forecast"].to_list(),
                    name=f"{app}: projection",
                    line={"color": color, "dash": "dash"},
                )
            )
    fig.update_layout(yaxis_title="calls per day", legend={"traceorder": "normal"})
    return _title(fig, f"Calls per day and a {days}-day projection", ctx)

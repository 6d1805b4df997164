"""The numbers of the usage report: its sources loaded, windowed and summarised (no figures, no HTML).

`report_numbers(ledger=..., portal=...)` reads a ledger (path or frame) and/or the portal's usage
reports (paths or frame), keeps the chosen days and apps, leaves sandbox attempts out unless asked, and
computes the per-app summary and the anomalous days. The page that shows them, with its charts, is
`stnb.pages.usage_report`.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Literal

import polars as pl

from stnb.usage import analytics
from stnb.usage.events import name_tenants, tenant_names, usage_events
from stnb.usage.ledger import load_ledger
from stnb.usage.portal import import_portal_reports
from stnb.usage.summary import app_summary

__all__ = ["CallsSource", "PathLike", "ReportNumbers", "report_numbers"]

PathLike = str | os.PathLike[str]
CallsSource = Literal["portal", "ledger"]
_LISTED_APPS = 10  # an error message names at most this many apps


@dataclass(frozen=True)
class ReportNumbers:
    """What a usage report shows, as frames.

    `volume`: the rows calls are counted from (the portal's when present, else the ledger's); `ledger`:
    the ledger's rows when the report uses a ledger (errors, latency, headroom). `calls_source` says which
    source counts the calls, `sandbox_left_out` how many sandbox attempts were left out.
    """

    title: str
    start: date | None
    end: date | None
    sources: list[str]
    summary: pl.DataFrame
    anomalies: pl.DataFrame
    volume: pl.DataFrame
    ledger: pl.DataFrame | None
    calls_source: CallsSource
    sandbox_left_out: int

    @property
    def with_ledger(self) -> bool:
        return self.ledger is not None


def _load_ledger(ledger: PathLike | pl.DataFrame | pl.LazyFrame | None) -> pl.DataFrame | None:
    """The ledger's rows, sandbox attempts included (`_split_sandbox` decides what to keep)."""
    if ledger is None:
        return None
    if isinstance(ledger, pl.LazyFrame):
        return ledger.collect()
    if isinstance(ledger, pl.DataFrame):
        return ledger
    return load_ledger(ledger, include_sandbox=True).frame


def _split_sandbox(
    frame: pl.DataFrame | None, include: bool
) -> tuple[pl.DataFrame | None, pl.DataFrame | None]:
    """(rows to report, sandbox rows left out); frames without a `sandbox` column hold no sandbox rows."""
    if frame is None or include or "sandbox" not in frame.columns:
        return frame, None
    flagged = pl.col("sandbox").fill_null(False)
    return frame.filter(~flagged), frame.filter(flagged)


def _load_portal(
    portal: PathLike | Iterable[PathLike] | pl.DataFrame | pl.LazyFrame | None,
) -> pl.DataFrame | None:
    if portal is None:
        return None
    if isinstance(portal, pl.LazyFrame):
        return portal.collect()
    if isinstance(portal, pl.DataFrame):
        return portal
    return import_portal_reports(portal)


def _window(
    frame: pl.DataFrame | None, start: date | None, end: date | None, apps: Sequence[str] | None
) -> pl.DataFrame | None:
    """Rows of `frame` within [start, end] (UTC days, inclusive) and of the named apps (name or id)."""
    if frame is None:
        return None
    at = _time_column(frame)
    keep = pl.lit(True)
    if start is not None:
        keep &= pl.col(at) >= datetime.combine(start, datetime.min.time(), tzinfo=UTC)
    if end is not None:
        keep &= pl.col(at) < datetime.combine(end + timedelta(days=1), datetime.min.time(), tzinfo=UTC)
    if apps:
        wanted = list(apps)
        keep &= pl.col("app_name").is_in(wanted) | pl.col(_id_column(frame)).is_in(wanted)
    return frame.filter(keep)


def _time_column(frame: pl.DataFrame) -> str:
    return "start" if "start" in frame.columns else "at"


def _id_column(frame: pl.DataFrame) -> str:
    return "app_id" if "app_id" in frame.columns else "app"


def _rows(frame: pl.DataFrame | None) -> int:
    return 0 if frame is None else frame.height


def _non_empty(frame: pl.DataFrame | None) -> pl.DataFrame | None:
    return frame if frame is not None and frame.height else None


def _no_usage_message(
    available: Sequence[pl.DataFrame | None],
    start: date | None,
    end: date | None,
    apps: Sequence[str] | None,
    sandbox_left_out: int,
) -> str:
    """Why the report is empty: what was asked for, which apps and days the data has."""
    asked = []
    if apps:
        asked.append("apps " + ", ".join(repr(a) for a in apps))
    if start is not None or end is not None:
        asked.append(f"{start or '…'} – {end or '…'}")
    text = f"no usage in the chosen range and apps ({'; '.join(asked)})" if asked else "no usage to report"
    frames = [f for f in available if f is not None and f.height]
    if not frames:
        text += "; the sources hold no usage" + (" besides sandbox attempts" if sandbox_left_out else "")
    else:
        names: set[str] = set()
        days: list[date] = []
        for f in frames:
            names.update(f.select(pl.coalesce("app_name", _id_column(f))).to_series().drop_nulls().to_list())
            at = f.get_column(_time_column(f))
            first, last = at.min(), at.max()
            assert isinstance(first, datetime) and isinstance(last, datetime)
            days += [first.date(), last.date()]
        listed = sorted(names)
        shown = ", ".join(repr(n) for n in listed[:_LISTED_APPS])
        if len(listed) > _LISTED_APPS:
            shown += f" and {len(listed) - _LISTED_APPS} more"
        text += f"; the data has apps {shown} with usage from {min(days)} to {max(days)} (UTC days)"
    if sandbox_left_out:
        text += (
            f"; {sandbox_left_out:,} sandbox attempts were left out "
            "(include_sandbox=True, CLI: --include-sandbox, keeps them)"
        )
    return text


def report_numbers(
    *,
    ledger: PathLike | pl.DataFrame | pl.LazyFrame | None = None,
    portal: PathLike | Iterable[PathLike] | pl.DataFrame | pl.LazyFrame | None = None,
    start: date | None = None,
    end: date | None = None,
    apps: Sequence[str] | None = None,
    title: str = "API usage report",
    include_sandbox: bool = False,
) -> ReportNumbers:
    """The report's numbers from a ledger (path or frame) and/or portal reports (paths or frame).

    Ledger rows flagged `sandbox` (attempts the built-in sandbox answered) are left out unless
    `include_sandbox=True`; `sandbox_left_out` says how many. Raises ValueError when there is nothing to
    report, saying which apps and days the sources hold.
    """
    if ledger is None and portal is None:
        raise ValueError("a usage report needs a ledger, portal reports, or both")
    if start and end and end < start:
        raise ValueError(f"the report ends ({end}) before it starts ({start})")
    portal_all = _load_portal(portal)
    ledger_all, ledger_sandbox = _split_sandbox(_load_ledger(ledger), include_sandbox)
    portal_frame = _non_empty(_window(portal_all, start, end, apps))
    ledger_frame = _non_empty(_window(ledger_all, start, end, apps))
    left_out = _rows(_window(ledger_sandbox, start, end, apps))
    sources = []
    if portal is not None:
        sources.append(
            "developer portal usage reports"
            if not isinstance(portal, (str, os.PathLike))
            else f"portal reports in {portal}"
        )
    if ledger is not None:
        name = "usage ledger" if not isinstance(ledger, (str, os.PathLike)) else f"ledger {ledger}"
        sources.append(name + (f" ({left_out:,} sandbox attempts left out)" if left_out else ""))
    if portal_frame is None and ledger_frame is None:
        raise ValueError(_no_usage_message((portal_all, ledger_all), start, end, apps, left_out))
    if portal_frame is not None and ledger_frame is not None:  # name the ledger's tenants as the portal does
        ledger_frame = name_tenants(ledger_frame, tenant_names(portal_frame)).collect()
    volume = portal_frame if portal_frame is not None else ledger_frame
    assert volume is not None
    events = usage_events(volume)
    span = events.select(
        pl.col("at").min().dt.date().alias("first"), pl.col("at").max().dt.date().alias("last")
    )
    first, last = span.collect().row(0)
    return ReportNumbers(
        title=title,
        start=start or first,
        end=end or last,
        sources=sources,
        summary=app_summary(portal_frame, ledger_frame),
        anomalies=analytics.anomalies(analytics.daily_calls(events)),
        volume=volume,
        ledger=ledger_frame,
        calls_source="portal" if portal_frame is not None else "ledger",
        sandbox_left_out=left_out,
    )

"""What a recipe asks the API for: every list pull and report run goes through a `Fetcher`, which counts
the requests (pages) and keeps a log of each pull's resource, filters and rows."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import polars as pl

from stnb import tenant_time
from stnb._flow import collect_warnings, warn_caller
from stnb._frames import SchemaDriftWarning
from stnb._text import plural

__all__ = ["IDS_PER_REQUEST", "Fetcher", "Pull", "ReportNotFoundByName"]

IDS_PER_REQUEST = 50  # the API's limit for `ids`
PAGE_SIZE = 1000


class ReportNotFoundByName(LookupError):
    """No report of that name in the category (report ids differ between tenants: recipes look reports up
    by category and name)."""


@dataclass(frozen=True)
class Pull:
    """One pull: a list resource (or a report) with the filters sent, the requests it took and rows back."""

    resource: str
    filters: dict[str, str]
    requests: int
    rows: int

    def describe(self) -> str:
        shown = ", ".join(f"{k}={v if len(v) < 40 else v[:37] + '...'}" for k, v in self.filters.items())
        return f"{self.resource} [{shown}]: {plural(self.requests, 'request')}, {plural(self.rows, 'row')}"


@dataclass
class Fetcher:
    """A connection's reads on behalf of one recipe run."""

    conn: Any
    pulls: list[Pull] = field(default_factory=list)

    @property
    def requests(self) -> int:
        return sum(p.requests for p in self.pulls)

    def frame(self, resource: str, **filters: Any) -> pl.DataFrame:
        sent = {k: _text(v) for k, v in filters.items() if v is not None}
        if "active" not in sent and _supports_active(self.conn, resource):
            sent["active"] = "true"  # said out loud: active records only, as ServiceTitan's default
        with collect_warnings() as caught:
            frame = self.conn.frame(resource, page_size=PAGE_SIZE, progress=False, **sent)
        for warning in caught:  # fields the catalog lacks (production's extras) are kept; recipes ignore them
            if not isinstance(warning, SchemaDriftWarning):
                warn_caller(str(warning), type(warning))
        info = getattr(self.conn, "last_query", None)
        pages = int(getattr(info, "pages", 1) or 1)
        self.pulls.append(Pull(resource, sent, pages, frame.height))
        return frame  # type: ignore[no-any-return]

    def by_ids(self, resource: str, ids: Iterable[int], param: str = "ids", **filters: Any) -> pl.DataFrame:
        """Records by id, IDS_PER_REQUEST ids a request (nothing asked when there are no ids)."""
        wanted = sorted({int(i) for i in ids})
        frames = [
            self.frame(resource, **{param: ",".join(str(i) for i in chunk)}, **filters)
            for chunk in _chunks(wanted, IDS_PER_REQUEST)
        ]
        frames = [f for f in frames if f.height]
        return pl.concat(frames, how="diagonal_relaxed") if frames else pl.DataFrame()

    def report(self, category: str, name: str, *, aliases: Sequence[str] = (), **params: Any) -> pl.DataFrame:
        """Run the report called `name` in `category` (looked up by name, never by id), else the first of
        `aliases` the tenant has (names differ between tenants too)."""
        reports = self.conn.reports
        listed = {r.name.strip().lower(): r for r in reports.list(category)}
        found = next(
            (listed[n.strip().lower()] for n in (name, *aliases) if n.strip().lower() in listed), None
        )
        if found is None:
            known = ", ".join(sorted(r.name for r in listed.values()))
            raise ReportNotFoundByName(f"no report named {name!r} in category {category!r} (has: {known})")
        name = found.name
        frame = reports.run(category, found.id, **params)
        run = reports.last_run
        pages = int(getattr(run, "pages", 1) or 1)
        self.pulls.append(
            Pull(f"report {category}/{name}", {k: _text(v) for k, v in params.items()}, pages, frame.height)
        )
        return frame  # type: ignore[no-any-return]


def _supports_active(conn: Any, resource: str) -> bool:
    try:
        endpoint = conn.resource(resource).endpoint("list")
    except (LookupError, AttributeError, ValueError):
        return False
    return bool(getattr(endpoint, "supports_active", False))


def _chunks(values: Sequence[int], size: int) -> Iterable[Sequence[int]]:
    for start in range(0, len(values), size):
        yield values[start : start + size]


def _text(value: Any) -> str:
    if isinstance(value, datetime):
        return tenant_time.rfc3339(value)
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list | tuple):
        return ",".join(str(v) for v in value)
    return str(value)

"""`Reports`: discover, describe and run ServiceTitan reports into polars frames.

The flow the Reporting API demands: list categories and reports, describe a report (parameters and
fields; cached per connection, dynamic value sets resolved), validate parameters locally, then run
it page by page under the one-run-per-minute limit. Rows arrive as arrays aligned to `fields`; they
are loaded as text and cast to the declared types without failing (see `stnb.reports.casting`).

`use_query`: None (default) runs through `POST .../data/query`, which answers inline when the
result is ready and with 202 and a token when the server wants the result polled; it falls back to
`POST .../data` when the query endpoint does not exist. True insists on the query endpoint, False
uses `/data` only (a 202 from it is still polled).
"""

from __future__ import annotations

import builtins
import contextlib
import difflib
import inspect
import threading
import warnings
import weakref
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import httpx2
import polars as pl

from stnb import tenant_time
from stnb._clock import Clock
from stnb._connection import ReportSource
from stnb._progress import Progress, ProgressSink, open_progress
from stnb.errors import (
    Conflict,
    InvalidRequest,
    InvalidResponse,
    NotFound,
    RateLimited,
    StnbError,
    UsageTypeError,
)
from stnb.reports.casting import cast_frame, column_names, string_frame, warn_bad_cells
from stnb.reports.limiter import ReportLimiter, shared_limiter
from stnb.reports.model import (
    Choice,
    ReportCategory,
    ReportDescription,
    ReportMetadataError,
    ReportMetadataWarning,
    ReportSummary,
    dynamic_set_ids,
    parse_categories,
    parse_description,
    parse_reports,
    parse_value_set,
)
from stnb.reports.validation import build_parameters

__all__ = ["DEFAULT_PAGE_SIZE", "MAX_PAGE_SIZE", "ReportNotFound", "ReportTimeout", "Reports", "RunInfo"]

DEFAULT_PAGE_SIZE = 1000  # the API's own default for report data
MAX_PAGE_SIZE = 5000
LIST_PAGE_SIZE = 500
MAX_REFUSALS = 5  # server 429s and 409s tolerated for one page (each one waited out) before giving up
STILL_RUNNING_WAIT = 5.0  # seconds before asking again after a 409 "report still running" (times refusals)
POLL_INTERVAL = 2.0
QUERY_TIMEOUT = 600.0
_MAX_LIST_PAGES = 1000  # metadata lists are small; a server that never says hasMore=false is a bug
_MAX_LISTED_REPORTS = 30

_BASE = "reporting/v2/tenant/{tenant}"
_CATEGORIES = f"{_BASE}/report-categories"
_REPORTS = f"{_BASE}/report-category/{{category}}/reports"
_REPORT = f"{_BASE}/report-category/{{category}}/reports/{{report_id}}"
_DATA = f"{_REPORT}/data"
_QUERY = f"{_REPORT}/data/query"
_QUERY_RESULT = f"{_BASE}/data-queries/{{token}}"
_VALUE_SET = f"{_BASE}/dynamic-value-sets/{{set_id}}"


class ReportTimeout(StnbError):
    """An async report query did not finish in time; it was cancelled on the server."""


class ReportNotFound(NotFound):
    """The category or the report id does not exist; the message lists what does (categories, or the
    category's reports with their ids and names)."""


@dataclass(frozen=True)
class RunInfo:
    """What answered the last run: report, environment, tenant, parameters sent, pages, waits."""

    category: str
    report_id: int
    name: str
    env: str
    tenant: str
    sandbox: bool
    parameters: tuple[tuple[str, Any], ...]
    pages: int
    rows: int
    waited: float
    polled: bool
    bad_cells: Mapping[str, int] = field(default_factory=dict)


@dataclass
class _Cache:
    lock: threading.Lock = field(default_factory=threading.Lock)
    categories: list[ReportCategory] | None = None
    reports: dict[str, list[ReportSummary]] = field(default_factory=dict)
    descriptions: dict[tuple[str, int], ReportDescription] = field(default_factory=dict)
    value_sets: dict[str, tuple[Choice, ...]] = field(default_factory=dict)
    query_unsupported: bool = False


_CACHES: weakref.WeakKeyDictionary[Any, _Cache] = weakref.WeakKeyDictionary()
_CACHES_LOCK = threading.Lock()


def _cache_for(conn: Any) -> _Cache:
    with _CACHES_LOCK:
        cache = _CACHES.get(conn)
        if cache is None:
            cache = _Cache()
            _CACHES[conn] = cache
        return cache


class Reports:
    """The Reporting API of one connection (`st.reports`); metadata is cached per connection.

    `limiter` defaults to the process-wide limiter of the connection's clock, so every `Reports` of
    the process shares the one-run-per-minute windows.
    """

    def __init__(
        self, conn: ReportSource, *, limiter: ReportLimiter | None = None, clock: Clock | None = None
    ) -> None:
        client = conn.client
        if not callable(getattr(client, "request", None)) or _is_async(client):
            raise TypeError(
                "stnb.reports needs a synchronous connection (stnb.connect()); "
                f"got {type(conn).__name__} with {type(client).__name__}"
            )
        self._conn = conn
        self._client = client
        self._clock: Clock = clock or conn.clock  # the clock the connection waits with (tests inject one)
        self._limiter = limiter or shared_limiter(self._clock)
        self._cache = _cache_for(conn)
        self.last_run: RunInfo | None = None

    def __repr__(self) -> str:
        return f"<stnb.Reports env={self._conn.env} tenant={self._conn.tenant}>"

    @property
    def limiter(self) -> ReportLimiter:
        """The limiter runs wait on (set `limiter.runs_per_minute` to change the limit)."""
        return self._limiter

    # -- discovery -----------------------------------------------------------------------------------

    def categories(self) -> builtins.list[ReportCategory]:
        """Report categories (`operations`, `technician-dashboard`, ...)."""
        with self._cache.lock:
            cached = self._cache.categories
        if cached is None:
            cached = parse_categories(list(self._all_items(_CATEGORIES, {})))
            with self._cache.lock:
                self._cache.categories = cached
        return builtins.list(cached)

    def list(self, category: str | None = None) -> builtins.list[ReportSummary]:
        """The reports of `category`, or of every category when None."""
        if category is None:
            return [report for c in self.categories() for report in self.list(c.id)]
        category = _text_id(category, "category")
        with self._cache.lock:
            cached = self._cache.reports.get(category)
        if cached is None:
            try:
                items = list(self._all_items(_REPORTS, {"category": category}))
            except NotFound as exc:
                raise self._not_found(exc, category, None) from exc
            cached = parse_reports(category, items)
            with self._cache.lock:
                self._cache.reports[category] = cached
        return builtins.list(cached)

    def describe(self, category: str, report_id: int | str) -> ReportDescription:
        """A report's parameters (types, required flags, allowed values) and fields."""
        category = _text_id(category, "category")
        rid = _report_id(report_id)
        with self._cache.lock:
            cached = self._cache.descriptions.get((category, rid))
        if cached is not None:
            return cached
        try:
            body = self._client.request_json(
                "GET", _REPORT, path_params={"category": category, "report_id": rid}
            )
        except NotFound as exc:
            raise self._not_found(exc, category, rid) from exc
        sets = {set_id: choices for set_id in dynamic_set_ids(body) if (choices := self._set_or_none(set_id))}
        description = parse_description(category, rid, body, sets)
        with self._cache.lock:
            self._cache.descriptions[(category, rid)] = description
        return description

    def value_set(self, set_id: str) -> tuple[Choice, ...]:
        """The choices of a dynamic value set (e.g. the tenant's business units)."""
        set_id = _text_id(set_id, "set_id")
        with self._cache.lock:
            cached = self._cache.value_sets.get(set_id)
        if cached is not None:
            return cached
        rows: builtins.list[Any] = []
        fields: Any = None
        for page in self._pages(_VALUE_SET, {"set_id": set_id}):
            fields = page.get("fields", fields)
            rows.extend(page["data"])
        choices = parse_value_set(set_id, fields, rows)
        with self._cache.lock:
            self._cache.value_sets[set_id] = choices
        return choices

    def clear_cache(self) -> None:
        """Forget cached categories, reports, descriptions and value sets of this connection."""
        with self._cache.lock:
            self._cache.categories = None
            self._cache.reports.clear()
            self._cache.descriptions.clear()
            self._cache.value_sets.clear()
            self._cache.query_unsupported = False

    # -- running -------------------------------------------------------------------------------------

    def run(
        self,
        category: str,
        report_id: int | str,
        *,
        page_size: int | None = None,
        progress: bool | ProgressSink | None = None,
        use_query: bool | None = None,
        period: str | None = None,
        **params: Any,
    ) -> pl.DataFrame:
        """Run a report into a typed frame: every page, under the report limit (waiting, not failing).

        Parameters go as keywords (`From="2026-01-01", To="2026-01-31"`) and are validated first;
        `period` (a `stnb.tenant_time` preset such as "last_month") fills `From`/`To` with
        tenant-local dates. `last_run` afterwards tells what answered.
        """
        description = self.describe(category, report_id)
        sent = build_parameters(description, self._with_period(description, period, params))
        size = _page_size(page_size)
        bar = open_progress(
            self._progress(progress),
            f"report {description.id} {description.name}",
            unit="row",
            clock=self._clock,
            leave=True,
            eager=True,
        )
        key = (self._conn.env, bool(self._conn.sandbox), str(self._conn.tenant), description.id)
        frames: builtins.list[pl.DataFrame] = []
        names: builtins.list[str] | None = None
        waited = 0.0
        polled = False
        pages = 0
        try:
            while True:
                pages += 1
                body, page_wait, page_polled = self._data_page(
                    description, sent, pages, size, key, bar, use_query
                )
                waited += page_wait
                polled = polled or page_polled
                page_names = _field_names(body, description, names, pages)
                names = names or page_names
                rows = body["data"]
                frames.append(string_frame(names, rows, where=_where(description, pages)))
                bar.update(len(rows))
                if not body.get("hasMore"):
                    break
                if not rows:
                    warnings.warn(
                        f"{_where(description, pages)}: hasMore is true but the page is empty; stopped",
                        ReportMetadataWarning,
                        stacklevel=2,
                    )
                    break
        finally:
            bar.close()
        combined = pl.concat(frames) if frames else string_frame(_declared_names(description), [], where="")
        frame, bad = cast_frame(combined, description.field_types(), tz=self._conn.timezone)
        warn_bad_cells(bad, f"report {description.id} ({description.name})")
        self.last_run = RunInfo(
            category=category,
            report_id=description.id,
            name=description.name,
            env=self._conn.env,
            tenant=str(self._conn.tenant),
            sandbox=bool(self._conn.sandbox),
            parameters=tuple((p["name"], p["value"]) for p in sent),
            pages=pages,
            rows=frame.height,
            waited=waited,
            polled=polled,
            bad_cells=bad,
        )
        return frame

    def backfill(
        self,
        category: str,
        report_id: int | str,
        *,
        start: date | str,
        end: date | str,
        step: str = "1d",
        checkpoint: str | Path | None = None,
        progress: bool | ProgressSink | None = None,
        date_params: tuple[str, str] = ("From", "To"),
        **params: Any,
    ) -> pl.DataFrame:
        """Run a report once per window of `step` ("1d", "7d", "2w", "1m") from `start` to `end`
        (inclusive, tenant-local) and join the results, with `period_start`/`period_end` columns.

        With `checkpoint` (a directory), each finished window is saved as it completes, and a later
        call with the same arguments runs only the windows still missing.
        """
        from stnb.reports.backfill import run_backfill  # the window bookkeeping lives in its own module

        return run_backfill(
            self,
            category,
            report_id,
            start=start,
            end=end,
            step=step,
            checkpoint=checkpoint,
            progress=progress,
            date_params=date_params,
            params=params,
        )

    @property
    def identity(self) -> dict[str, Any]:
        """Which environment and tenant these reports come from (saved with backfill checkpoints)."""
        return {"env": self._conn.env, "tenant": str(self._conn.tenant), "sandbox": bool(self._conn.sandbox)}

    # -- internals -----------------------------------------------------------------------------------

    def _progress(self, progress: bool | ProgressSink | None) -> bool | ProgressSink | None:
        # The connection's own setting (connect(progress=...)) applies when the call gives none.
        if progress is not None:
            return progress
        return self._conn.progress

    def _with_period(
        self, description: ReportDescription, period: str | None, params: Mapping[str, Any]
    ) -> dict[str, Any]:
        if period is None:
            return dict(params)
        names = [p.name for p in description.parameters if p.data_type == "Date"]
        if not {"From", "To"} <= set(names):
            raise InvalidRequest(
                f"period={period!r} needs Date parameters From and To; report {description.id} has "
                f"{', '.join(names) or 'no Date parameters'}",
                errors={"period": ["report has no From/To dates"]},
                status=None,
            )
        given = {k for k in params if k.lower() in ("from", "to")}
        if given:
            raise InvalidRequest(
                f"pass either period={period!r} or {', '.join(sorted(given))}, not both",
                errors={k: ["given together with period"] for k in sorted(given)},
                status=None,
            )
        first, last = tenant_time.local_dates(period, self._conn.timezone, self._clock.utcnow())
        return {**params, "From": first, "To": last}

    def _data_page(
        self,
        description: ReportDescription,
        parameters: builtins.list[dict[str, Any]],
        page: int,
        size: int,
        key: tuple[Any, ...],
        bar: Progress,
        use_query: bool | None,
    ) -> tuple[dict[str, Any], float, bool]:
        """One page of data: waits for the limit, honours server 429s and 409s "report still running" (the
        live API's answer while the same report runs), follows a 202 token. Every request after a wait is
        authenticated afresh, so a token that expired meanwhile is renewed first."""
        path_params = {"category": description.category, "report_id": description.id}
        query = {"page": page, "pageSize": size, "includeTotal": "true" if page == 1 else "false"}
        waited = 0.0
        refusals = 0
        running = False
        while True:
            slot = self._limiter.acquire(key, on_wait=bar.waiting)
            waited += slot.wait
            try:
                response = self._post_data(path_params, query, parameters, use_query)
            except RateLimited as exc:
                refusals += 1
                if refusals > MAX_REFUSALS:
                    raise
                self._limiter.block(slot, exc.retry_after if exc.retry_after is not None else 60.0)
                continue
            except Conflict:
                refusals += 1
                if refusals > MAX_REFUSALS:
                    raise
                bar.status("report still running on the server")
                self._limiter.block(slot, STILL_RUNNING_WAIT * refusals)
                running = True
                continue
            if running:
                bar.status(None)
            body = _json_object(response, _where(description, page))
            polled = response.status_code == 202
            if polled:
                body = self._poll(body, description, page, bar)
            _check_page(body, _where(description, page))
            if page == 1:
                bar.set_total(_int_or_none(body.get("totalCount")))
            return body, waited, polled

    def _post_data(
        self,
        path_params: dict[str, Any],
        query: dict[str, Any],
        parameters: builtins.list[dict[str, Any]],
        use_query: bool | None,
    ) -> httpx2.Response:
        retry = self._client.retry.with_changes(retry_statuses=self._client.retry.retry_statuses - {429})
        kwargs: dict[str, Any] = {
            "params": query,
            "json": {"parameters": parameters},
            "path_params": path_params,
            "read_only": True,
            "retry": retry,
        }
        if use_query is False or (use_query is None and self._cache.query_unsupported):
            return self._client.request("POST", _DATA, **kwargs)
        try:
            return self._client.request("POST", _QUERY, **kwargs)
        except NotFound:
            if use_query:
                raise
            with self._cache.lock:
                self._cache.query_unsupported = True  # this server has no query endpoint
            return self._client.request("POST", _DATA, **kwargs)

    def _poll(
        self, started: dict[str, Any], description: ReportDescription, page: int, bar: Progress
    ) -> dict[str, Any]:
        token = started.get("token")
        where = _where(description, page)
        if not isinstance(token, str) or not token:
            raise ReportMetadataError(f"{where}: the server answered 202 without a query token")
        deadline = self._clock.monotonic() + QUERY_TIMEOUT
        polls = 0
        try:
            while True:
                polls += 1
                bar.status(f"report running on the server (poll {polls})")
                self._clock.sleep(POLL_INTERVAL)
                response = self._client.request("GET", _QUERY_RESULT, path_params={"token": token})
                if response.status_code != 202:
                    bar.status(None)
                    return _json_object(response, where)
                if self._clock.monotonic() >= deadline:
                    raise ReportTimeout(
                        f"{where}: the query did not finish within {QUERY_TIMEOUT:.0f} s and was cancelled"
                    )
        except BaseException:
            self._cancel(token)
            raise

    def _cancel(self, token: str) -> None:
        with contextlib.suppress(StnbError):  # best effort: the server frees abandoned queries itself
            self._client.request("DELETE", _QUERY_RESULT, path_params={"token": token}, read_only=True)

    def _not_found(self, error: NotFound, category: str, report_id: int | None) -> NotFound:
        """A `ReportNotFound` listing what exists instead, or `error` itself when that is unknown too."""
        try:
            categories = [c.id for c in self.categories()]
            known = category in categories
            reports = self.list(category) if known and report_id is not None else []
        except (StnbError, ReportMetadataError):
            return error  # listing failed as well: the server's own 404 is all there is to say
        context = {"trace_id": error.trace_id, "method": error.method, "url_template": error.url_template}
        if not known:
            close = difflib.get_close_matches(category, categories, n=1, cutoff=0.6)
            hint = f"did you mean {close[0]!r}? " if close else ""
            return ReportNotFound(
                error.status,
                f"report category {category!r} does not exist",
                errors={"category": [f"{hint}categories: {', '.join(categories)}"]},
                **context,
            )
        if report_id is None or any(r.id == report_id for r in reports):
            return error
        listed = ", ".join(f"{r.id} ({r.name})" for r in reports[:_MAX_LISTED_REPORTS]) or "none"
        more = len(reports) - _MAX_LISTED_REPORTS
        listed += f", … and {more} more (stnb report list {category})" if more > 0 else ""
        return ReportNotFound(
            error.status,
            f"report {report_id} does not exist in category {category!r}",
            errors={"report_id": [f"the reports of {category}: {listed}"]},
            **context,
        )

    def _set_or_none(self, set_id: str) -> tuple[Choice, ...] | None:
        try:
            return self.value_set(set_id)
        except (StnbError, ReportMetadataError) as exc:
            warnings.warn(
                f"dynamic value set {set_id!r} could not be read ({type(exc).__name__}); "
                "its parameter accepts any value of its type",
                ReportMetadataWarning,
                stacklevel=3,
            )
            return None

    def _pages(self, template: str, path_params: dict[str, Any]) -> Iterator[dict[str, Any]]:
        for page in range(1, _MAX_LIST_PAGES + 1):
            response = self._client.request(
                "GET", template, params={"page": page, "pageSize": LIST_PAGE_SIZE}, path_params=path_params
            )
            body = _json_object(response, template)
            if not isinstance(body.get("data"), builtins.list):
                raise ReportMetadataError(f"{template}: page {page} has no 'data' list")
            yield body
            if not body.get("hasMore") or not body["data"]:
                return
        raise ReportMetadataError(f"{template}: still hasMore after {_MAX_LIST_PAGES} pages")

    def _all_items(self, template: str, path_params: dict[str, Any]) -> Iterator[Any]:
        for body in self._pages(template, path_params):
            yield from body["data"]


def _is_async(client: Any) -> bool:
    return inspect.iscoroutinefunction(client.request)


def _text_id(value: Any, name: str) -> str:
    """A category or value-set id: non-empty text."""
    if not isinstance(value, str):
        raise UsageTypeError(f"{name} must be text such as 'operations', got {type(value).__name__}")
    if not value.strip():
        raise InvalidRequest(f"{name} is empty", errors={name: ["empty"]}, status=None)
    return value


def _report_id(report_id: int | str) -> int:
    if (
        isinstance(report_id, bool)
        or not isinstance(report_id, int | str)
        or not str(report_id).strip().isdigit()
    ):
        raise InvalidRequest(
            f"report id must be a whole number, got {report_id!r}",
            errors={"report_id": ["not a whole number"]},
            status=None,
        )
    return int(report_id)


def _page_size(page_size: int | None) -> int:
    size = DEFAULT_PAGE_SIZE if page_size is None else page_size
    if isinstance(size, bool) or not isinstance(size, int) or not 1 <= size <= MAX_PAGE_SIZE:
        raise InvalidRequest(
            f"page_size must be between 1 and {MAX_PAGE_SIZE}, got {page_size!r}",
            errors={"pageSize": [f"between 1 and {MAX_PAGE_SIZE}"]},
            status=None,
        )
    return size


def _where(description: ReportDescription, page: int) -> str:
    return f"report {description.id} ({description.name}), page {page}"


def _json_object(response: httpx2.Response, where: str) -> dict[str, Any]:
    try:
        body = response.json()
    except ValueError as exc:
        raise InvalidResponse(
            f"{where}: the response is not JSON",
            status=response.status_code,
            method=response.request.method,
        ) from exc
    if not isinstance(body, dict):
        raise ReportMetadataError(f"{where}: expected a JSON object, got {type(body).__name__}")
    return body


def _check_page(body: dict[str, Any], where: str) -> None:
    if not isinstance(body.get("data"), builtins.list):
        raise ReportMetadataError(f"{where}: the response has no 'data' list of rows")


def _field_names(
    body: dict[str, Any], description: ReportDescription, previous: builtins.list[str] | None, page: int
) -> builtins.list[str]:
    """Column names from the page's `fields` (the report's own when a page omits them)."""
    raw = body.get("fields")
    if raw is None:
        names = _declared_names(description)
    elif isinstance(raw, builtins.list) and all(
        isinstance(f, dict) and isinstance(f.get("name"), str) for f in raw
    ):
        names = column_names([f["name"] for f in raw])
    else:
        raise ReportMetadataError(f"{_where(description, page)}: 'fields' must be a list of {{name, label}}")
    if previous is not None and names != previous:
        raise ReportMetadataError(
            f"{_where(description, page)}: fields changed between pages ({previous} then {names}); "
            "run the report again"
        )
    return names


def _declared_names(description: ReportDescription) -> builtins.list[str]:
    return column_names([f.name for f in description.fields])


def _int_or_none(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None

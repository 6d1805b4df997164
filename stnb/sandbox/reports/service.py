"""`ReportingService`: the Reporting API's endpoints for one world, with the run limit, query tokens and
the report-still-running quirk; state lives per world."""

from __future__ import annotations

import hashlib
import json
import math
import threading
import weakref
from collections import OrderedDict, deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

import polars as pl

from stnb._clock import SYSTEM_CLOCK, Clock
from stnb.sandbox.messages import SandboxRequest, SandboxResponse, json_response, problem, trace_id
from stnb.sandbox.reports.definitions import CATEGORIES, REPORTS, VALUE_SETS
from stnb.sandbox.reports.model import Report
from stnb.sandbox.reports.requests import (
    BadRequest,
    data_page,
    find_report,
    list_page,
    parse_paging,
    parse_parameters,
)
from stnb.sandbox.reports.source import ReportSource, source_from_world

__all__ = [
    "DEFAULT_DATA_PAGE_SIZE",
    "QUERY_INLINE_ROWS",
    "QUERY_POLLS_UNTIL_READY",
    "REPORT_RUNS_PER_MINUTE",
    "REPORT_RUN_SECONDS",
    "STILL_RUNNING_ROWS",
    "STILL_RUNNING_TITLE",
    "ReportingService",
    "set_default_runs_per_minute",
]


REPORT_RUNS_PER_MINUTE = 1.0
DEFAULT_DATA_PAGE_SIZE = 1000
DEFAULT_LIST_PAGE_SIZE = 50


QUERY_INLINE_ROWS = 1000  # a /data/query result above this many rows answers 202 and is polled
QUERY_POLLS_UNTIL_READY = 2
REPORT_RUN_SECONDS = 3.0  # how long a big report "runs" when the report-still-running quirk is on
STILL_RUNNING_ROWS = 500  # a result above this many rows is "big": its first /data run answers 409
STILL_RUNNING_TITLE = "The report is still running. Please try again later."
_WINDOW_SECONDS = 60.0
_default_runs_per_minute = REPORT_RUNS_PER_MINUTE
_RESULT_CACHE = 16
_TRACE_NAMESPACE = 7_000_000  # keeps report trace ids apart from the core's request counter


@dataclass
class _Query:
    report: Report
    params: dict[str, Any]
    page: int
    page_size: int
    include_total: bool
    polls_left: int


@dataclass
class _State:
    lock: threading.RLock = field(default_factory=threading.RLock)
    runs: dict[tuple[str, int, int], deque[float]] = field(default_factory=dict)
    queries: dict[str, _Query] = field(default_factory=dict)
    results: OrderedDict[str, pl.DataFrame] = field(default_factory=OrderedDict)
    source: ReportSource | None = None
    counter: int = 0
    running: dict[str, float] = field(default_factory=dict)  # big runs in progress: key -> started at
    ran: set[str] = field(default_factory=set)  # big runs that finished (answered from now on)


_STATES: weakref.WeakKeyDictionary[Any, _State] = weakref.WeakKeyDictionary()
_STATES_LOCK = threading.Lock()


def _state_for(world: Any) -> _State:
    with _STATES_LOCK:
        state = _STATES.get(world)
        if state is None:
            state = _State()
            _STATES[world] = state
        return state


class ReportingService:
    """Answers `/reporting/v2/tenant/{tenant}/{tail}` for one world (one environment and tenant).

    `world` provides the tables: a `ReportSource`, or a sandbox world (see `source_from_world`).
    `clock` drives the run limit (the world's `clock` when it has one, else the system clock);
    `runs_per_minute` fixes the limit, else the world's `report_runs_per_minute`, else the process
    default (`set_default_runs_per_minute`), read on every run.
    `still_running` (a flag, or a callable read on every run) reproduces the live API's 409 for a report
    still running: the first `/data` run of a result above `STILL_RUNNING_ROWS` rows answers 409 for
    `REPORT_RUN_SECONDS`; such a refused run does not count against the run limit.
    """

    def __init__(
        self,
        world: Any,
        *,
        clock: Clock | None = None,
        runs_per_minute: float | None = None,
        seed: int | None = None,
        still_running: Callable[[], bool] | bool = False,
    ) -> None:
        self._world = world
        self._still_running = still_running
        self._state = _state_for(world)
        self._clock: Clock = clock or getattr(world, "clock", None) or SYSTEM_CLOCK
        self._fixed_runs_per_minute = _checked_rate(runs_per_minute) if runs_per_minute is not None else None
        self._seed = int(seed if seed is not None else getattr(world, "seed", 0) or 0)

    def handle(self, req: SandboxRequest, env_name: str, tenant_id: int, tail: str) -> SandboxResponse | None:
        """The response for one reporting request, or None when no such endpoint exists (404)."""
        parts = [p for p in tail.strip("/").split("/") if p]
        method = req.method.upper()
        try:
            return self._route(req, method, parts, env_name, int(tenant_id))
        except BadRequest as exc:
            return problem(400, exc.title, self._trace(), exc.errors)

    def _route(
        self, req: SandboxRequest, method: str, parts: list[str], env: str, tenant: int
    ) -> SandboxResponse | None:
        if parts == ["report-categories"] and method == "GET":
            rows = [{"id": cid, "name": name} for cid, name in CATEGORIES]
            return json_response(200, list_page(rows, req, DEFAULT_LIST_PAGE_SIZE))
        if len(parts) >= 3 and parts[0] == "report-category" and parts[2] == "reports":
            return self._category(req, method, parts[1], parts[3:], env, tenant)
        if len(parts) == 2 and parts[0] == "dynamic-value-sets" and method == "GET":
            return self._value_set(req, parts[1])
        if len(parts) == 2 and parts[0] == "data-queries":
            return self._data_query(req, method, parts[1])
        return None

    def _category(
        self, req: SandboxRequest, method: str, category: str, rest: list[str], env: str, tenant: int
    ) -> SandboxResponse | None:
        if category not in {cid for cid, _ in CATEGORIES}:
            return self._not_found(f"Report category '{category}' not found")
        if not rest:
            if method != "GET":
                return None
            rows = [r.summary() for r in REPORTS if r.category == category]
            return json_response(200, list_page(rows, req, DEFAULT_LIST_PAGE_SIZE))
        report = find_report(category, rest[0])
        if report is None:
            return self._not_found(f"Report '{rest[0]}' not found in category '{category}'")
        if rest[1:] == [] and method == "GET":
            return json_response(200, report.describe())
        if rest[1:] == ["data"] and method == "POST":
            return self._run(req, report, env, tenant, query=False)
        if rest[1:] == ["data", "query"] and method == "POST":
            return self._run(req, report, env, tenant, query=True)
        return None

    def _value_set(self, req: SandboxRequest, set_id: str) -> SandboxResponse:
        build = VALUE_SETS.get(set_id)
        if build is None:
            return self._not_found(f"Dynamic value set '{set_id}' not found")
        frame = build(self._source()).sort("name", "id")
        rows = [[row[0], row[1]] for row in frame.select("id", "name").rows()]
        body = list_page(rows, req, DEFAULT_LIST_PAGE_SIZE)
        body["fields"] = [{"name": "Value", "label": "Value"}, {"name": "Name", "label": "Name"}]
        return json_response(200, body)

    def _run(
        self, req: SandboxRequest, report: Report, env: str, tenant: int, *, query: bool
    ) -> SandboxResponse:
        params = parse_parameters(report, req.body)
        page, page_size, include_total = parse_paging(req, DEFAULT_DATA_PAGE_SIZE)
        if not query and self._running(env, tenant, report, params):
            return problem(409, STILL_RUNNING_TITLE, self._trace())
        wait = self._take_run(env, tenant, report.id)
        if wait > 0:
            seconds = max(1, math.ceil(wait))
            return problem(
                429,
                f"Rate limit is exceeded. Try again in {seconds} seconds.",
                self._trace(),
                headers={"retry-after": str(seconds)},
            )
        result = self._result(report, params)
        if query and result.height > QUERY_INLINE_ROWS:
            token = self._new_token(report, params, page, page_size)
            with self._state.lock:
                self._state.queries[token] = _Query(
                    report, params, page, page_size, include_total, QUERY_POLLS_UNTIL_READY
                )
            return json_response(202, {"status": "NotStarted", "token": token})
        body = data_page(report, result, page, page_size, include_total)
        return replace(json_response(200, body), records=len(body["data"]))

    def _running(self, env: str, tenant: int, report: Report, params: Mapping[str, Any]) -> bool:
        """Whether this run meets the live API's "still running" 409 (a big result's first run)."""
        flag = self._still_running
        if not (flag() if callable(flag) else flag):
            return False
        key = f"{env}:{tenant}:{report.id}:{json.dumps(params, default=str, sort_keys=True)}"
        with self._state.lock:
            if key in self._state.ran:
                return False
        if self._result(report, params).height <= STILL_RUNNING_ROWS:
            return False
        now = self._clock.monotonic()
        with self._state.lock:
            started = self._state.running.setdefault(key, now)
            if now - started < REPORT_RUN_SECONDS:
                return True
            del self._state.running[key]
            self._state.ran.add(key)
            return False

    def _data_query(self, req: SandboxRequest, method: str, token: str) -> SandboxResponse | None:
        with self._state.lock:
            pending = self._state.queries.get(token)
            if pending is None:
                return self._not_found(f"Data query '{token}' not found")
            if method == "DELETE":
                del self._state.queries[token]
                return SandboxResponse(204, {}, b"")
            if method != "GET":
                return None
            if pending.polls_left > 0:
                pending.polls_left -= 1
                return json_response(202, {"status": "InProgress", "token": token})
            del self._state.queries[token]
        result = self._result(pending.report, pending.params)
        body = data_page(pending.report, result, pending.page, pending.page_size, pending.include_total)
        return json_response(200, body)

    def _take_run(self, env: str, tenant: int, report_id: int) -> float:
        """Seconds until a run is allowed (0 records the run now)."""
        now = self._clock.monotonic()
        rate = self._runs_per_minute()
        window = _WINDOW_SECONDS if rate >= 1 else _WINDOW_SECONDS / rate
        limit = max(1, int(rate))
        with self._state.lock:
            runs = self._state.runs.setdefault((env, tenant, report_id), deque())
            while runs and runs[0] <= now - window:
                runs.popleft()
            if len(runs) >= limit:
                return runs[0] + window - now
            runs.append(now)
            return 0.0

    def _runs_per_minute(self) -> float:
        if self._fixed_runs_per_minute is not None:
            return self._fixed_runs_per_minute
        configured = getattr(self._world, "report_runs_per_minute", None)
        return _checked_rate(configured) if configured is not None else _default_runs_per_minute

    def _result(self, report: Report, params: Mapping[str, Any]) -> pl.DataFrame:
        key = f"{report.id}:{json.dumps(params, default=str, sort_keys=True)}"
        with self._state.lock:
            cached = self._state.results.get(key)
            if cached is not None:
                self._state.results.move_to_end(key)
                return cached
        result = report.compute(self._source(), params)
        with self._state.lock:
            self._state.results[key] = result
            while len(self._state.results) > _RESULT_CACHE:
                self._state.results.popitem(last=False)
        return result

    def _source(self) -> ReportSource:
        if self._state.source is None:
            world = self._world
            self._state.source = world if isinstance(world, ReportSource) else source_from_world(world)
        return self._state.source

    def _new_token(self, report: Report, params: Mapping[str, Any], page: int, page_size: int) -> str:
        with self._state.lock:
            self._state.counter += 1
            counter = self._state.counter
        text = f"{self._seed}:{counter}:{report.id}:{page}:{page_size}:{json.dumps(params, default=str)}"
        return hashlib.sha256(text.encode()).hexdigest()[:32]

    def _trace(self) -> str:
        with self._state.lock:
            self._state.counter += 1
            return trace_id(self._seed, _TRACE_NAMESPACE + self._state.counter)

    def _not_found(self, title: str) -> SandboxResponse:
        return problem(404, title, self._trace())


def set_default_runs_per_minute(runs_per_minute: float) -> None:
    """The report limit of every sandbox service in the process that has none of its own (default 1:
    one run per report per tenant per minute, as ServiceTitan). Raise it to run demos quickly."""
    global _default_runs_per_minute
    _default_runs_per_minute = _checked_rate(runs_per_minute)


def _checked_rate(value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or value <= 0:
        raise ValueError(f"report runs_per_minute must be a positive number, got {value!r}")
    return float(value)

"""`Connection` / `AsyncConnection`: one tenant of one environment, addressed by catalog resource names.

What `stnb.connect()` returns. Every method takes a catalog name (`"crm/customers"`, or `"customers"`
when unique) and validates filters before sending anything (see `stnb._query`).

`active`: when a resource supports it and the caller omits it, `active=True` is sent, which is what the
live API applies when it is omitted, also on the lists whose documents say all records are returned by
default (`stnb.catalog.quirks`, "active-by-default"): the result is the live API's whatever the server's
default. The effective value is always visible: in `conn.last_query.active`, in the progress bar's
description, and in a one-time log line per resource. Pass `active="any"` to include inactive records.

`last_query` describes the last `frame()` / `to_parquet()` (polars frames carry no metadata): which
resource, environment and tenant answered, the effective filters (including `active`), pages, rows,
and whether `max_pages` truncated the result.
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import AsyncIterator, Callable, Coroutine, Generator, Iterator, Mapping, Sequence
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Generic, Protocol, TypeVar, Unpack, cast

import httpx2
import polars as pl

from stnb import _accessors
from stnb import _capacity as capacity
from stnb._checks import check_output_path, check_record_id
from stnb._clock import Clock
from stnb._flow import END, Effect, Iteration, Next, arun, run
from stnb._frames import ParquetSink, concat_frames, polars_schema, to_frame
from stnb._paging import (
    DEFAULT_CONCURRENCY,
    AsyncExportCursor,
    AsyncPageIterator,
    ExportCursor,
    PageIterator,
)
from stnb._query import QueryParams, build_query, effective_active, split_path_params
from stnb.catalog import Catalog, Endpoint, Resource, load_catalog
from stnb.errors import InvalidRequest, InvalidResponse

if TYPE_CHECKING:
    from stnb._client import AsyncClient, Client, RequestOptions

_C = TypeVar("_C", bound="Client | AsyncClient")

__all__ = ["DEFAULT_PAGE_SIZE", "AsyncConnection", "Connection", "QueryInfo", "ReportSource"]

DEFAULT_PAGE_SIZE = 500  # the API's own default (50) makes long walks needlessly chatty
CONVERT_ROWS = 5000  # records per typed conversion: amortises per-call costs, bounds memory
PROGRESS_DELAY = 2.0  # progress=None: a bar appears only for pulls that take longer than this

log = logging.getLogger("stnb")
# How the one-time `active` note tells the caller to include inactive records (the CLI sets its spelling).
ACTIVE_HINT: ContextVar[str] = ContextVar("stnb_active_hint", default="pass active='any'")
_active_noted: set[str] = set()
_active_lock = threading.Lock()


@dataclass(frozen=True, slots=True)
class QueryInfo:
    """What answered the last `frame()` / `to_parquet()`, and with which effective filters."""

    resource: str
    kind: str  # "list" | "export"
    env: str
    tenant: str
    sandbox: bool
    filters: dict[str, Any] = field(
        default_factory=dict
    )  # as sent, plus `active` when the API default applies
    active: str | None = None  # "True" | "Any" | "False"; None when the resource has no active filter
    pages: int = 0
    rows: int = 0
    truncated: bool = False
    total_count: int | None = None  # the server's total over every ids chunk; None when unknown


class ReportSource(Protocol):
    """What the layers above get from a connection (the Reporting API, `st.reports`): who answers, the
    tenant's time zone, the clock to wait on, the progress default, and the client that sends."""

    @property
    def env(self) -> str: ...

    @property
    def tenant(self) -> str: ...

    @property
    def sandbox(self) -> bool: ...

    @property
    def timezone(self) -> str: ...

    @property
    def clock(self) -> Clock: ...

    @property
    def progress(self) -> bool | None: ...

    @property
    def client(self) -> Client: ...


@dataclass(frozen=True, slots=True)
class _Plan:
    """A list call resolved and validated, before any request."""

    resource: Resource
    endpoint: Endpoint
    queries: list[QueryParams]
    path_params: dict[str, Any]
    active: str | None

    @property
    def effective(self) -> dict[str, Any]:
        shown: dict[str, Any] = dict(self.queries[0])
        if len(self.queries) > 1:
            shown["ids"] = ",".join(_joined(q["ids"]) for q in self.queries)
        if self.active is not None:
            shown["active"] = self.active
        return {**self.path_params, **shown}

    def description(self) -> str:
        active = f" active={self.active}" if self.active is not None else ""
        return f"{self.resource.key}{active}"


def _joined(value: str | list[str]) -> str:
    return value if isinstance(value, str) else ",".join(value)


def _progress_flag(value: bool | None, default: bool | None) -> bool | float:
    chosen = default if value is None else value
    if chosen is None:
        return PROGRESS_DELAY
    return chosen


def _note_active(resource: Resource, active: str | None, filters: Mapping[str, Any]) -> None:
    if active is None or filters.get("active") is not None:
        return
    with _active_lock:
        if resource.key in _active_noted:
            return
        _active_noted.add(resource.key)
    log.warning(
        "stnb: %s: active not given, so active=True is sent and only active records come back, as "
        "ServiceTitan does when it is omitted; %s to include inactive ones",
        resource.key,
        ACTIVE_HINT.get(),
    )


class _Base(Generic[_C]):
    """What both connections share: catalog resolution, query planning, metadata."""

    catalog: Catalog
    last_query: QueryInfo | None

    def __init__(
        self,
        client: _C,
        *,
        catalog: Catalog | None = None,
        progress: bool | None = None,
        page_size: int = DEFAULT_PAGE_SIZE,
        concurrency: int = DEFAULT_CONCURRENCY,
        clock: Clock | None = None,
    ) -> None:
        self.client: _C = client
        self._clock = clock or client.clock  # one clock: the client's, unless another is given
        self.catalog = catalog or load_catalog()
        self.last_query = None
        self._progress = progress
        self._page_size = page_size
        self._concurrency = concurrency
        self._accessors: dict[str, Any] = {}

    @property
    def env(self) -> str:
        """Which environment answers: "integration" or "production" (also for the sandbox)."""
        return self.client.env

    @property
    def tenant(self) -> str:
        """Which tenant answers (its id, as text)."""
        return self.client.tenant

    @property
    def timezone(self) -> str:
        """The tenant's IANA time zone (UTC when unknown)."""
        return self.client.timezone

    @property
    def sandbox(self) -> bool:
        """True when the built-in sandbox answers instead of ServiceTitan."""
        return self.client.sandbox

    @property
    def clock(self) -> Clock:
        """The clock pulls and reports time and wait with (`stnb.connect(clock=...)`)."""
        return self._clock

    @property
    def progress(self) -> bool | None:
        """The progress default (`stnb.connect(progress=...)`): True, False, or None (bars only for slow
        pulls); a call's own `progress=` wins."""
        return self._progress

    def __repr__(self) -> str:
        kind = " (sandbox)" if self.sandbox else ""
        return f"<stnb.{type(self).__name__} env={self.env} tenant={self.tenant}{kind}>"

    def resource(self, name: str) -> Resource:
        """The catalog entry for `name` (UnknownResourceError with suggestions otherwise)."""
        return self.catalog.resolve(name)

    def _plan(self, name: str, filters: Mapping[str, Any], page_size: int | None) -> _Plan:
        resource = self.catalog.resolve(name)
        endpoint = resource.endpoint("list")
        path_params, rest = split_path_params(endpoint, filters)
        if (
            page_size is not None
            and rest.get("pageSize") is not None
            and str(rest["pageSize"]) != str(page_size)
        ):
            raise InvalidRequest(
                f"{resource.key}: page_size={page_size} and pageSize={rest['pageSize']} disagree; pass one",
                errors={"pageSize": ["given twice"]},
                status=None,
            )
        if "pageSize" in endpoint.params and rest.get("pageSize") is None:
            rest["pageSize"] = self._page_size if page_size is None else page_size
        plan_active = effective_active(endpoint, rest)
        given = {"active": rest.get("active")}
        if plan_active is not None and rest.get("active") is None:
            rest["active"] = plan_active  # sent explicitly: servers disagree on the default (see above)
        queries = build_query(endpoint, rest, resource=resource.key)
        _note_active(resource, plan_active, given)  # once the query is valid: a refused call says only why
        return _Plan(resource, endpoint, queries, path_params, plan_active)

    def _export_endpoint(
        self, name: str, filters: Mapping[str, Any]
    ) -> tuple[Resource, Endpoint, QueryParams]:
        resource = self.catalog.resolve(name)
        endpoint = resource.endpoint("export")
        reserved = {"from", "includeRecentChanges"} & set(filters)
        if reserved:
            raise InvalidRequest(
                f"{resource.key} export: use since=/checkpoint=/include_recent_changes= instead of "
                f"{', '.join(sorted(reserved))}",
                errors={k: ["set by the cursor"] for k in reserved},
                status=None,
            )
        (params,) = build_query(endpoint, filters, resource=f"{resource.key} export")
        return resource, endpoint, params

    def _info(self, plan: _Plan, walk: PageIterator | AsyncPageIterator) -> QueryInfo:
        return QueryInfo(
            resource=plan.resource.key,
            kind="list",
            env=self.env,
            tenant=self.tenant,
            sandbox=self.sandbox,
            filters=plan.effective,
            active=plan.active,
            pages=walk.pages,
            rows=walk.rows,
            truncated=walk.truncated,
            total_count=walk.total_count,
        )

    def _export_info(self, resource: Resource, params: QueryParams, batches: int, rows: int) -> QueryInfo:
        return QueryInfo(
            resource=resource.key,
            kind="export",
            env=self.env,
            tenant=self.tenant,
            sandbox=self.sandbox,
            filters=dict(params),
            active=str(params["active"]) if "active" in params else None,
            pages=batches,
            rows=rows,
        )

    def _capacity_queries(
        self,
        start: str | date | datetime,
        end: str | date | datetime,
        business_unit_ids: Sequence[int] | None,
        job_type_id: int | None,
        skill_based_availability: bool,
    ) -> list[dict[str, Any]]:
        windows = capacity.capacity_windows(
            capacity.capacity_moment(start, "start"),
            capacity.capacity_moment(end, "end"),
            self._clock.utcnow(),
        )
        return [
            capacity.capacity_body(
                first,
                last,
                business_unit_ids=business_unit_ids,
                job_type_id=job_type_id,
                skill_based_availability=skill_based_availability,
            )
            for first, last in windows
        ]

    def _get_request(
        self, name: str, id: int | str, params: Mapping[str, Any]
    ) -> tuple[Endpoint, QueryParams | None, dict[str, Any]]:
        """The get endpoint of `name`, and the query and path parameters that fetch record `id`."""
        res = self.catalog.resolve(name)
        endpoint = res.endpoint("get")
        id = check_record_id(id)
        path_params, rest = split_path_params(endpoint, params)
        (query,) = build_query(endpoint, rest, resource=res.key)
        path_params[endpoint.id_param or "id"] = id
        return endpoint, query or None, path_params

    @property
    def reports(self) -> Any:
        """The Reporting API for this tenant (`stnb.reports.Reports`), built on first use.

        The analysis layer registers it (`stnb._accessors`): this layer does not import it.
        """
        return self._accessor("reports")

    def _accessor(self, name: str) -> Any:
        accessor = self._accessors.get(name)
        if accessor is None:
            accessor = self._accessors[name] = _accessors.build(name, self)
        return accessor


_P = TypeVar("_P", bound="PageIterator | AsyncPageIterator")
_E = TypeVar("_E", bound="ExportCursor | AsyncExportCursor")
_I = TypeVar("_I")  # the records of `items`: an iterator, or an async iterator
_F = TypeVar("_F")  # a frame, or a coroutine of one
_R = TypeVar("_R")  # a record (dict), or a coroutine of one
_W = TypeVar("_W")  # a written file's Path, or a coroutine of one
_S = TypeVar("_S")  # an httpx2.Response, or a coroutine of one
_Flow = Generator[Any, Any, None]  # a `stnb._flow` flow: effects out, their results in, one output


@dataclass(frozen=True, slots=True)
class _Ask(Effect):
    """One call of the client: `request` (the response back) or `request_json` (parsed JSON back)."""

    call: str
    method: str
    path: str
    options: Mapping[str, Any]


class _Connection(_Base[_C], Generic[_C, _P, _E, _I, _F, _R, _W, _S]):
    """The public API of both connections, written once. What needs I/O is a flow (`stnb._flow`): the
    synchronous connection runs it to its result, the asyncio one returns the coroutine that does."""

    _pages_type: type[_P]
    _export_type: type[_E]
    _asyncio: bool  # flows run to their result (False), or become the coroutine that does (True)

    def _run(self, flow: _Flow) -> Any:
        return arun(flow, self._perform) if self._asyncio else run(flow, self._perform)

    def _perform(self, step: Effect) -> Any:
        """Do one effect of a flow: a client call (the asyncio connection's comes back as an awaitable)."""
        if not isinstance(step, _Ask):
            raise TypeError(f"unknown effect {step!r}")
        return getattr(self.client, step.call)(step.method, step.path, **step.options)

    def pages(
        self,
        resource: str,
        *,
        max_pages: int | None = None,
        page_size: int | None = None,
        progress: bool | None = None,
        **filters: Any,
    ) -> _P:
        """Iterate the pages of a list resource: `for page in conn.pages("jpm/jobs", pageSize=500)`
        (`async for` on an `AsyncConnection`)."""
        plan = self._plan(resource, filters, page_size)
        return self._iterator(plan, max_pages, progress)

    def items(
        self,
        resource: str,
        *,
        max_pages: int | None = None,
        page_size: int | None = None,
        progress: bool | None = None,
        **filters: Any,
    ) -> _I:
        """Iterate the records of a list resource, page after page (`async for` on an `AsyncConnection`)."""
        walk = self.pages(resource, max_pages=max_pages, page_size=page_size, progress=progress, **filters)
        return cast(_I, walk.items())

    def frame(
        self,
        resource: str,
        *,
        max_pages: int | None = None,
        progress: bool | None = None,
        page_size: int | None = None,
        **filters: Any,
    ) -> _F:
        """All pages of a list resource as one typed DataFrame; `last_query` tells what answered."""
        return cast(_F, self._run(self._frame_flow(resource, max_pages, progress, page_size, filters)))

    def export(
        self,
        resource: str,
        *,
        since: str | date | datetime | None = None,
        checkpoint: Mapping[str, Any] | str | os.PathLike[str] | None = None,
        include_recent_changes: bool = False,
        progress: bool | None = None,
        **filters: Any,
    ) -> _E:
        """An export cursor from the beginning, from `since`, or from a saved `checkpoint`:
        `for batch in conn.export("jpm/jobs", since="2025-01-01")` (`async for` on an `AsyncConnection`)."""
        res, endpoint, params = self._export_endpoint(resource, filters)
        cursor: Any = self._export_type(
            self.client,  # each connection's cursor takes its own client
            endpoint,
            resource=res.key,
            since=since,
            checkpoint=_checkpoint(checkpoint),
            include_recent_changes=include_recent_changes,
            params={k: str(v) for k, v in params.items()},
            progress=_progress_flag(progress, self._progress),
            clock=self._clock,
        )
        return cast(_E, cursor)

    def export_frame(
        self,
        resource: str,
        *,
        since: str | date | datetime | None = None,
        checkpoint: Mapping[str, Any] | str | os.PathLike[str] | None = None,
        include_recent_changes: bool = False,
        progress: bool | None = None,
        **filters: Any,
    ) -> _F:
        """A whole export feed (inactive and deleted rows included) as one typed frame, one row per id."""
        options = {"since": since, "checkpoint": checkpoint, "include_recent_changes": include_recent_changes}
        return cast(
            _F, self._run(self._export_frame_flow(resource, filters, {**options, "progress": progress}))
        )

    def get(self, resource: str, id: int | str, **params: Any) -> _R:
        """One record by id."""
        return cast(_R, self._run(self._get_flow(resource, id, params)))

    def capacity(
        self,
        start: str | date | datetime,
        end: str | date | datetime,
        *,
        business_unit_ids: Sequence[int] | None = None,
        job_type_id: int | None = None,
        skill_based_availability: bool = False,
    ) -> _F:
        """Dispatch capacity from `start` (clamped to now) to `end`, in queries of at most 14 days, as one
        frame of availabilities (`stnb._capacity`)."""
        window = (start, end, business_unit_ids, job_type_id, skill_based_availability)
        return cast(_F, self._run(self._capacity_flow(*window)))

    def request(self, method: str, path: str, **options: Unpack[RequestOptions]) -> _S:
        """The escape hatch: any call, the 2xx `httpx2.Response` back (`stnb._client.Client.request`)."""
        return cast(_S, self._run(_asked("request", method, path, options)))

    def request_json(self, method: str, path: str, **options: Unpack[RequestOptions]) -> Any:
        """The escape hatch: any call, parsed JSON back (`stnb._client.Client.request_json`)."""
        return self._run(_asked("request_json", method, path, options))

    def to_parquet(
        self,
        resource: str,
        path: str | os.PathLike[str],
        *,
        export: bool = False,
        since: str | date | datetime | None = None,
        max_pages: int | None = None,
        page_size: int | None = None,
        progress: bool | None = None,
        **filters: Any,
    ) -> _W:
        """Stream a list (or, with `export=True`, an export feed) page by page into a Parquet file.

        Memory stays bounded by a few pages; the file appears only when complete (atomic rename).
        A path ending in ".csv" writes CSV instead, nested columns as JSON text. The path is checked
        before anything is fetched (suffix .parquet or .csv, not a directory, a writable folder).
        """
        if export:
            flow = self._export_file_flow(resource, filters, since, progress, path)
        else:
            flow = self._list_file_flow(resource, max_pages, page_size, progress, filters, path)
        return cast(_W, self._run(flow))

    # -- flows: the logic of the calls above, once for both connections ------------------------------

    def _frame_flow(
        self,
        resource: str,
        max_pages: int | None,
        progress: bool | None,
        page_size: int | None,
        filters: dict[str, Any],
    ) -> _Flow:
        plan = self._plan(resource, filters, page_size)
        walk = self._iterator(plan, max_pages, progress)
        fields = plan.resource.fields_for("list")
        frames: list[pl.DataFrame] = []
        yield from _converted(walk, fields, plan.resource.key, frames.append, pages=True)
        self.last_query = self._info(plan, walk)
        yield _concat(frames, fields)

    def _export_frame_flow(self, resource: str, filters: dict[str, Any], options: dict[str, Any]) -> _Flow:
        res, _, params = self._export_endpoint(resource, filters)
        fields = res.fields_for("export")
        cursor: Any = self.export(resource, **options, **filters)
        frames: list[pl.DataFrame] = []
        yield from _converted(cursor, fields, res.key, frames.append, pages=False)
        result = _dedupe_newest(_concat(frames, fields))
        self.last_query = self._export_info(res, params, cursor.batches, result.height)
        yield result

    def _get_flow(self, resource: str, id: int | str, params: dict[str, Any]) -> _Flow:
        endpoint, query, path_params = self._get_request(resource, id, params)
        body = yield _Ask("request_json", "GET", endpoint.path, {"params": query, "path_params": path_params})
        yield _record(body, endpoint)

    def _capacity_flow(
        self,
        start: str | date | datetime,
        end: str | date | datetime,
        business_unit_ids: Sequence[int] | None,
        job_type_id: int | None,
        skill_based_availability: bool,
    ) -> _Flow:
        bodies = self._capacity_queries(start, end, business_unit_ids, job_type_id, skill_based_availability)
        answers = []
        for body in bodies:
            options = {"json": body, "read_only": True}
            answers.append((yield _Ask("request_json", "POST", capacity.CAPACITY_PATH, options)))
        yield capacity.capacity_frame(answers)

    def _export_file_flow(
        self,
        resource: str,
        filters: dict[str, Any],
        since: str | date | datetime | None,
        progress: bool | None,
        file: str | os.PathLike[str],
    ) -> _Flow:
        path = check_output_path(file)
        res, _, params = self._export_endpoint(resource, filters)
        fields = res.fields_for("export")
        cursor: Any = self.export(resource, since=since, progress=progress, **filters)
        with ParquetSink(path, schema=polars_schema(fields), unique_by=_id_key(fields)) as sink:
            yield from _converted(cursor, fields, res.key, sink.write, pages=False)
            sink.only_repeated(cursor.repeated_ids)
            batches = cursor.batches
            del cursor  # its record of every id handed out is not needed to combine the parts
        self.last_query = self._export_info(res, params, batches, sink.rows)
        yield sink.path

    def _list_file_flow(
        self,
        resource: str,
        max_pages: int | None,
        page_size: int | None,
        progress: bool | None,
        filters: dict[str, Any],
        file: str | os.PathLike[str],
    ) -> _Flow:
        path = check_output_path(file)
        plan = self._plan(resource, filters, page_size)
        fields = plan.resource.fields_for("list")
        walk = self._iterator(plan, max_pages, progress)
        with ParquetSink(path, schema=polars_schema(fields)) as sink:
            yield from _converted(walk, fields, plan.resource.key, sink.write, pages=True)
        self.last_query = self._info(plan, walk)
        yield sink.path

    def _iterator(self, plan: _Plan, max_pages: int | None, progress: bool | None) -> _P:
        walk: Any = self._pages_type(
            self.client,  # each connection's walk takes its own client
            plan.endpoint,
            plan.queries,
            resource=plan.resource.key,
            path_params=plan.path_params,
            max_pages=max_pages,
            concurrency=self._concurrency,
            progress=_progress_flag(progress, self._progress),
            description=plan.description(),
            clock=self._clock,
        )
        return cast(_P, walk)


def _asked(call: str, method: str, path: str, options: Mapping[str, Any]) -> _Flow:
    """The flow of one client call (`request` or `request_json`)."""
    yield (yield _Ask(call, method, path, options))


class Connection(
    _Connection[
        "Client",
        PageIterator,
        ExportCursor,
        Iterator[dict[str, Any]],
        pl.DataFrame,
        dict[str, Any],
        Path,
        httpx2.Response,
    ]
):
    """A synchronous connection; see the module docstring. Thread-safe for concurrent reads."""

    _pages_type = PageIterator
    _export_type = ExportCursor
    _asyncio = False

    def close(self) -> None:
        """Close the HTTP connections."""
        self.client.close()

    def __enter__(self) -> Connection:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class AsyncConnection(
    _Connection[
        "AsyncClient",
        AsyncPageIterator,
        AsyncExportCursor,
        AsyncIterator[dict[str, Any]],
        Coroutine[Any, Any, pl.DataFrame],
        Coroutine[Any, Any, dict[str, Any]],
        Coroutine[Any, Any, Path],
        Coroutine[Any, Any, httpx2.Response],
    ]
):
    """The asyncio twin of `Connection`: the same methods, awaited (iterators with `async for`)."""

    _pages_type = AsyncPageIterator
    _export_type = AsyncExportCursor
    _asyncio = True

    async def aclose(self) -> None:
        """Close the HTTP connections."""
        await self.client.close()

    close = aclose  # `await conn.close()` works too

    async def __aenter__(self) -> AsyncConnection:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()


def _converted(
    source: Any,
    fields: Mapping[str, Any],
    resource: str,
    emit: Callable[[pl.DataFrame], object],
    *,
    pages: bool,
) -> Generator[Effect, Any, None]:
    """Typed frames of about CONVERT_ROWS records, each handed to `emit`, from a page walk (`pages=True`)
    or an export feed's batches: fewer, larger conversions cost much less per record."""
    iteration = Iteration(source)
    pending: list[dict[str, Any]] = []
    while (batch := (yield Next(iteration))) is not END:
        pending.extend(batch.items if pages else batch)
        if len(pending) >= CONVERT_ROWS:
            emit(to_frame(pending, fields, resource=resource))
            pending = []
    if pending:
        emit(to_frame(pending, fields, resource=resource))


def _concat(frames: list[pl.DataFrame], fields: Mapping[str, Any]) -> pl.DataFrame:
    return concat_frames(frames, polars_schema(fields))


def _record(body: Any, endpoint: Endpoint) -> dict[str, Any]:
    if endpoint.envelope == "data" and isinstance(body, dict) and isinstance(body.get("data"), dict):
        return body["data"]  # type: ignore[no-any-return]  # one record wrapped in {data}
    if not isinstance(body, dict):
        raise InvalidResponse(
            f"expected one JSON object, got {type(body).__name__}", method="GET", url_template=endpoint.path
        )
    return body


def _dedupe_newest(frame: pl.DataFrame) -> pl.DataFrame:
    """One row per id: the last delivered, which export feeds order by modifiedOn."""
    if "id" not in frame.columns or frame.height == 0:
        return frame
    return frame.unique(subset="id", keep="last", maintain_order=True)


def _id_key(fields: Mapping[str, Any]) -> str | None:
    return "id" if "id" in fields else None


def _checkpoint(value: Mapping[str, Any] | str | os.PathLike[str] | None) -> Mapping[str, Any] | None:
    if value is None or isinstance(value, Mapping):
        return value
    from stnb._paging import load_checkpoint

    return load_checkpoint(value)

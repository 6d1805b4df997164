"""Page-based lists and export feeds as iterators, sync and async.

`PageIterator` walks `page`/`pageSize`/`hasMore` lists. When the first page reports `totalCount`
(asked with `includeTotal=true`), the remaining pages are fetched concurrently by a small pool and
still come out in order; the client's shared pacer keeps the pool under the rate limit. `max_pages`
stops early with a `TruncationWarning`; a page that is empty although `hasMore` is true stops the walk
with a `PagingWarning` instead of looping forever.

`ExportCursor` follows an export feed (`from` -> `continueFrom`) until `hasMore` is false, drops
duplicate ids (keeping the newest `modifiedOn`) and keeps a JSON-able checkpoint that covers every
batch already handed out: save it after storing a batch, resume later with `ExportCursor.resume`.

The walk and the feed are written once, as sans-IO flows (`stnb._flow`); the sync and async classes only
run the requests they ask for. Their warnings point at the caller's line that iterates (`_flow.warn_caller`).
A progress bar appears only once a walk has run for its delay (on the injected clock) and is removed when
the walk ends, so quick pulls leave no trace in terminals or notebook outputs.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import math
import os
import uuid
from collections import deque
from collections.abc import AsyncIterator, Awaitable, Callable, Generator, Iterator, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from pathlib import Path
from typing import Any, Generic, Protocol, TypeVar

from stnb._clock import SYSTEM_CLOCK, Clock
from stnb._flow import Effect, adrive, drive, warn_caller
from stnb._query import QueryParams, format_datetime
from stnb._seen import SeenVersions, micros
from stnb._text import plural
from stnb.catalog import Endpoint
from stnb.catalog.quirks import first_page as live_first_page
from stnb.errors import ConfigError, InvalidRequest, InvalidResponse, UsageTypeError, ValidationError

__all__ = [
    "DEFAULT_CONCURRENCY",
    "AsyncExportCursor",
    "AsyncPageIterator",
    "ExportCursor",
    "ExportTokenRejected",
    "Page",
    "PageIterator",
    "PagingOptionError",
    "PagingWarning",
    "TruncationWarning",
    "load_checkpoint",
]

DEFAULT_CONCURRENCY = 8
# From this page size on, a walk first asks for the total with a one-record page, then fetches every page
# at once: two large pages in a row would otherwise run one after the other.
PROBE_FROM_PAGE_SIZE = 1000
_WINDOW_PER_WORKER = 2  # pages requested ahead per worker: keeps the pool busy, memory bounded


class TruncationWarning(UserWarning):
    """A walk stopped at `max_pages` although the server had more records."""


class PagingWarning(UserWarning):
    """The server's paging was inconsistent (e.g. `hasMore` true on an empty page); the walk stopped."""


class PagingOptionError(InvalidRequest):
    """A paging option is out of range (e.g. `max_pages=0`); raised before any request.

    Also a `ValueError`, which these checks raised before they became `ValidationError`s."""


class ExportTokenRejected(ValidationError):
    """The server refused an export continuation token; `checkpoint` is the unchanged last good state."""

    checkpoint: dict[str, Any]

    def __init__(self, message: str, *, checkpoint: dict[str, Any], **kwargs: Any) -> None:
        self.checkpoint = checkpoint
        super().__init__(message, **kwargs)


class SyncRequester(Protocol):
    """What the iterators need from `stnb._client.Client`."""

    @property
    def env(self) -> str: ...
    @property
    def tenant(self) -> str: ...
    def request_json(
        self, method: str, path: str, *, params: Any = None, path_params: Mapping[str, Any] | None = None
    ) -> Any: ...


class AsyncRequester(Protocol):
    """What the async iterators need from `stnb._client.AsyncClient`."""

    @property
    def env(self) -> str: ...
    @property
    def tenant(self) -> str: ...
    async def request_json(
        self, method: str, path: str, *, params: Any = None, path_params: Mapping[str, Any] | None = None
    ) -> Any: ...


_Requester = TypeVar("_Requester", SyncRequester, AsyncRequester)
_T = TypeVar("_T")
_F = TypeVar("_F")


@dataclass(frozen=True, slots=True)
class Page:
    """One page of a list: its records and what the server said about the rest."""

    items: list[dict[str, Any]]
    number: int
    has_more: bool
    total_count: int | None = None
    page_size: int | None = None
    chunk: int = 0  # which `ids` chunk (query) this page belongs to

    def __len__(self) -> int:
        return len(self.items)


@dataclass(frozen=True, slots=True)
class _Get(Effect):
    """GET the endpoint with these query parameters; the parsed JSON body comes back."""

    params: Mapping[str, str | list[str]]


@dataclass(frozen=True, slots=True)
class _Prefetch(Effect):
    """The walk asks for these gets next, in this order: start them concurrently."""

    gets: tuple[_Get, ...]


@dataclass(slots=True)
class _Walk:
    """Shared state and decisions of a sync or async page walk (no I/O here)."""

    endpoint: Endpoint
    queries: list[QueryParams]
    resource: str
    max_pages: int | None
    concurrency: int
    pages: int = 0
    rows: int = 0
    truncated: bool = False
    total_count: int | None = None  # the sum over every query, None until each query's total is known
    counted: int = 0  # queries (ids chunks) whose first page reported totalCount
    counted_total: int = 0  # the sum of those totals: a lower bound until every query is counted
    stopped: bool = False
    clock: Clock = SYSTEM_CLOCK
    progress: _Bar | None = None
    base: int = 1  # the number of the server's first page: 0 where the live API counts from 0

    @property
    def paged(self) -> bool:
        return "page" in self.endpoint.params

    def start(self, progress: bool | float, description: str | None) -> None:
        """Begin a walk; iterating the same iterator again starts over with fresh counters."""
        self.pages = self.rows = 0
        self.truncated = self.stopped = False
        self.total_count = None
        self.counted = self.counted_total = 0
        self.base = live_first_page(self.endpoint.path)
        self.progress = _open_bar(progress, description or self.resource, "page", self.clock)

    def params(self, query: QueryParams, number: int | None, with_total: bool) -> QueryParams:
        params = dict(query)
        if number is not None and self.paged:
            params["page"] = str(number)
        if with_total:
            params["includeTotal"] = "true"
        return params

    def first_page(self, query: QueryParams) -> int:
        return int(str(query.get("page", self.base)))

    def page_size(self, query: QueryParams) -> int | None:
        size = query.get("pageSize")
        return int(str(size)) if size is not None else None

    def wants_total(self, query: QueryParams) -> bool:
        return (
            self.paged
            and self.concurrency > 1
            and "includeTotal" in self.endpoint.params
            and ("includeTotal" not in query)
        )

    def probes(self, query: QueryParams) -> bool:
        """True when the walk learns the total with a small request before fetching large pages."""
        size = self.page_size(query)
        return (
            self.wants_total(query)
            and size is not None
            and size >= PROBE_FROM_PAGE_SIZE
            and self.first_page(query) == 1  # lists counted from 0 keep the plain walk
            and (self.budget() is None or (self.budget() or 0) > 1)
        )

    def probe_params(self, query: QueryParams) -> QueryParams:
        params = dict(query)
        params.update(page="1", pageSize="1", includeTotal="true")
        return params

    def pages_from_total(self, total: int, query: QueryParams, first: int) -> range:
        """The pages from `first` on that hold records, as far as the budget allows."""
        size = self.page_size(query) or 1
        last = max(first, math.ceil(total / size))
        budget = self.budget()
        if budget is not None:
            last = min(last, first + budget - 1)
        return range(first, last + 1)

    def budget(self) -> int | None:
        return None if self.max_pages is None else max(0, self.max_pages - self.pages)

    def decode(self, body: Any, number: int, chunk: int) -> Page:
        envelope = self.endpoint.envelope
        if envelope == "array" or (isinstance(body, list) and envelope != "page"):
            if not isinstance(body, list):
                raise self._invalid(number, "expected a JSON array")
            return Page(_records(body, self, number), number, False, len(body), None, chunk)
        if not isinstance(body, dict):
            raise self._invalid(number, "expected a JSON object with data and hasMore")
        data = body.get("data")
        if not isinstance(data, list):
            raise self._invalid(number, "the data field is missing or not a list")
        if envelope == "data" and "hasMore" not in body:  # the whole list in {data}, no paging fields
            return Page(_records(data, self, number), number, False, len(data), None, chunk)
        has_more = body.get("hasMore")
        if not isinstance(has_more, bool):
            raise self._invalid(number, "the hasMore field is missing or not true/false")
        total = body.get("totalCount")
        size = body.get("pageSize")
        if number == 0 and body.get("page") == 1 and self.base == 0:
            # Asked for page 0 of a list the live API counts from 0, and this server counts from 1 (the
            # sandbox with quirks="none"): it sent its first page; go on from 2 so nothing repeats.
            self.base = number = 1
        return Page(
            _records(data, self, number),
            number,
            has_more,
            total if isinstance(total, int) and not isinstance(total, bool) else None,
            size if isinstance(size, int) and not isinstance(size, bool) else None,
            chunk,
        )

    def _invalid(self, number: int, what: str) -> InvalidResponse:
        return InvalidResponse(
            f"{self.resource} page {number}: {what}; pages before it were received "
            f"(resume with page={number})",
            method="GET",
            url_template=self.endpoint.path,
        )

    def remaining(self, first: Page, query: QueryParams) -> range:
        """Pages to fetch concurrently after `first`, or an empty range to go one by one."""
        size = first.page_size if first.page_size is not None else self.page_size(query)
        if first.total_count is None or not size or self.concurrency <= 1 or not first.has_more:
            return range(0)
        last = math.ceil(first.total_count / size) - 1 + self.base
        budget = self.budget()  # `first` is not counted yet, so it takes one page of the budget
        if budget is not None:
            last = min(last, first.number + budget - 1)
        return range(first.number + 1, last + 1)

    def accept(self, page: Page, more_queries: bool) -> bool:
        """Count a page about to be yielded; False when the walk must stop after it."""
        self.pages += 1
        self.rows += len(page.items)
        if page.total_count is not None and page.number == self.first_page(self.queries[page.chunk]):
            self.counted += 1
            self.counted_total += page.total_count
            if self.counted == len(self.queries):  # a partial sum is not the total
                self.total_count = self.counted_total
        if self.progress is not None:
            self.progress.update(1, rows=self.rows)
        if page.has_more and not page.items:
            warn_caller(
                f"{self.resource}: page {page.number} is empty although hasMore is true; "
                "stopping here instead of looping forever",
                PagingWarning,
            )
            self.stopped = True
            return False
        if page.has_more and not self.paged:
            self._truncate(f"{self.resource} reports more records but its endpoint takes no page parameter")
            return False
        if self.max_pages is not None and self.pages >= self.max_pages and (page.has_more or more_queries):
            self._truncate(
                f"{self.resource}: stopped after {self.pages} page{'s' if self.pages != 1 else ''} "
                f"(max_pages={self.max_pages}); {self._fetched(page)}"
            )
            return False
        return page.has_more

    def _fetched(self, last: Page) -> str:
        """How much of the walk was fetched when it stopped after `last`, without guessing a total."""
        total = f" of {plural(self.total_count, 'record')}" if self.total_count is not None else ""
        fetched = f"{self.rows:,}" if total else plural(self.rows, "record")  # "3 of 10 records", "1 record"
        text = f"{fetched}{total} fetched" + (", more exist" if last.has_more else "")
        unread = len(self.queries) - 1 - last.chunk
        if unread:
            text += f"; {unread} of {len(self.queries)} ids chunks not fetched"
        return text

    def _truncate(self, message: str) -> None:
        self.truncated = True
        self.stopped = True
        warn_caller(message, TruncationWarning)

    def set_progress_total(self, first: Page, ahead: range) -> None:
        """Once the first page of a query tells how many pages it has, the bar's total is known."""
        if self.progress is not None and (ahead or not first.has_more):
            self.progress.set_total(self.pages + len(ahead) + 1)

    def close_progress(self) -> None:
        if self.progress is not None:
            self.progress.close()
            self.progress = None

    def steps(
        self, progress: bool | float, description: str | None
    ) -> Generator[_Get | _Prefetch | Page, Any, None]:
        """The walk as a flow (see `stnb._flow`): yields the gets to run and the pages to hand out.

        After a first page that reports `totalCount`, the pages up to the last one are announced with a
        `_Prefetch`; they are then asked for one by one as usual, and come from the prefetch."""
        self.start(progress, description)
        try:
            for chunk, query in enumerate(self.queries):
                more_queries = chunk < len(self.queries) - 1
                number = self.first_page(query)
                if self.probes(query):
                    # The probe travels with the first two pages (a list of large pages usually has a
                    # second); the other pages follow the probe's answer.
                    probe_get = _Get(self.probe_params(query))
                    first_get = _Get(self.params(query, number, False))
                    budget = self.budget()
                    together = [probe_get, first_get]
                    if budget is None or budget > 1:
                        together.append(_Get(self.params(query, number + 1, False)))
                    yield _Prefetch(tuple(together))
                    probe = self.decode((yield probe_get), 1, chunk)
                    total = probe.total_count
                    every = self.pages_from_total(total, query, number) if total is not None else range(0)
                    if len(every) > 1:
                        yield _Prefetch(tuple(_Get(self.params(query, n, False)) for n in every))
                    page = self.decode((yield first_get), number, chunk)
                    page = replace(page, total_count=total)
                    ahead = every[1:]
                else:
                    page = self.decode(
                        (yield _Get(self.params(query, number, self.wants_total(query)))), number, chunk
                    )
                    number = page.number
                    ahead = self.remaining(page, query)
                self.set_progress_total(page, ahead)
                keep_going = self.accept(page, more_queries)
                yield page
                if keep_going and ahead and not self.probes(query):
                    yield _Prefetch(tuple(_Get(self.params(query, n, False)) for n in ahead))
                while keep_going:
                    number += 1
                    page = self.decode((yield _Get(self.params(query, number, False))), number, chunk)
                    keep_going = self.accept(page, more_queries)
                    yield page
                if self.stopped:
                    return
        finally:
            self.close_progress()


class _Bar:
    """A tqdm.auto bar that appears only once the work has run `delay` seconds and vanishes on close.

    tqdm's own `delay=` is defeated by any explicit refresh (setting a total), and a bar displayed that
    way is neither cleared on close nor kept out of notebook outputs; so the bar is created only when
    due, on the walk's clock, already showing the progress made and the total if known."""

    def __init__(self, description: str, unit: str, delay: float, clock: Clock) -> None:
        self._description = description
        self._unit = unit
        self._delay = delay
        self._clock = clock
        self._started = clock.monotonic()
        self._bar: Any = None
        self._total: int | None = None
        self._done = 0
        self._rows: int | None = None

    def set_total(self, total: int) -> None:
        self._total = total
        if self._bar is not None:
            self._bar.total = total
            self._bar.refresh()
        else:
            self._open_when_due()

    def update(self, done: int, *, rows: int | None = None) -> None:
        self._done += done
        if rows is not None:
            self._rows = rows
        if self._bar is None:
            self._open_when_due()
            return
        if rows is not None:
            self._bar.set_postfix(rows=rows, refresh=False)
        self._bar.update(done)

    def close(self) -> None:
        if self._bar is not None:
            self._bar.close()
            self._bar = None

    def _open_when_due(self) -> None:
        if self._clock.monotonic() - self._started < self._delay:
            return
        from tqdm.auto import tqdm  # imported on first use: it loads ipywidgets in notebooks

        self._bar = tqdm(
            desc=self._description, unit=self._unit, total=self._total, initial=self._done, leave=False
        )
        if self._rows is not None:
            self._bar.set_postfix(rows=self._rows)


def _open_bar(setting: bool | float, description: str, unit: str, clock: Clock) -> _Bar | None:
    """True shows a bar from the first progress on, a number once the work has taken that many
    seconds, False never."""
    if setting is False:
        return None
    return _Bar(description, unit, 0.0 if setting is True else float(setting), clock)


def _check_count(name: str, value: int | None, meaning: str) -> None:
    """A whole number of at least 1 (None passes: the option is off), else a `PagingOptionError`."""
    if value is None or (isinstance(value, int) and not isinstance(value, bool) and value >= 1):
        return
    raise PagingOptionError(
        f"{name} must be a whole number of at least 1, got {value!r}",
        errors={name: [meaning]},
        status=None,
    )


def _records(data: list[Any], walk: _Walk, number: int) -> list[dict[str, Any]]:
    if all(isinstance(item, dict) for item in data):
        return data
    raise walk._invalid(number, "the data list holds values that are not JSON objects")


class _PagesBase(Generic[_Requester]):
    """What both page iterators share; only running the walk's gets differs."""

    def __init__(
        self,
        client: _Requester,
        endpoint: Endpoint,
        queries: Sequence[QueryParams],
        *,
        resource: str,
        path_params: Mapping[str, Any] | None = None,
        max_pages: int | None = None,
        concurrency: int = DEFAULT_CONCURRENCY,
        progress: bool | float = False,
        description: str | None = None,
        clock: Clock | None = None,
    ) -> None:
        _check_count("max_pages", max_pages, "stop after this many pages; None walks every page")
        _check_count("concurrency", concurrency, "pages fetched at the same time; 1 walks one by one")
        self._client: _Requester = client
        self._path_params = dict(path_params or {})
        own = [dict(q) for q in queries]
        self._walk = _Walk(endpoint, own, resource, max_pages, concurrency, clock=clock or SYSTEM_CLOCK)
        self._progress = progress
        self._description = description

    @property
    def pages(self) -> int:
        return self._walk.pages

    @property
    def rows(self) -> int:
        return self._walk.rows

    @property
    def truncated(self) -> bool:
        return self._walk.truncated

    @property
    def total_count(self) -> int | None:
        return self._walk.total_count

    def _steps(self) -> Generator[_Get | _Prefetch | Page, Any, None]:
        return self._walk.steps(self._progress, self._description)


class PageIterator(_PagesBase[SyncRequester]):
    """Iterate the pages of a list endpoint (`for page in it`), or its records (`it.items()`).

    After (or during) iteration: `pages`, `rows`, `truncated` and `total_count` describe the walk;
    `total_count` is the server's total over every `ids` chunk, None until each chunk's first page has
    reported one (a walk stopped before some chunk never knows its total).
    """

    def items(self) -> Iterator[dict[str, Any]]:
        """Every record of every page, in order."""
        for page in self:
            yield from page.items

    def __iter__(self) -> Iterator[Page]:
        runner = _Threads(self._get, self._walk.concurrency)
        try:
            yield from drive(self._steps(), runner.perform)
        finally:
            runner.close()

    def _get(self, step: _Get) -> Any:
        return self._client.request_json(
            "GET", self._walk.endpoint.path, params=step.params, path_params=self._path_params or None
        )


class AsyncPageIterator(_PagesBase[AsyncRequester]):
    """The asyncio twin of `PageIterator`: `async for page in it`, `async for item in it.items()`."""

    async def items(self) -> AsyncIterator[dict[str, Any]]:
        """Every record of every page, in order."""
        async for page in self:
            for item in page.items:
                yield item

    async def __aiter__(self) -> AsyncIterator[Page]:
        runner = _Tasks(self._get, self._walk.concurrency)
        try:
            async with contextlib.aclosing(adrive(self._steps(), runner.perform)) as pages:
                async for page in pages:
                    yield page
        finally:
            await runner.aclose()

    async def _get(self, step: _Get) -> Any:
        return await self._client.request_json(
            "GET", self._walk.endpoint.path, params=step.params, path_params=self._path_params or None
        )


class _Threads:
    """Runs a walk's gets: in the caller's thread, or from a `_Prefetch` that a bounded pool runs ahead."""

    def __init__(self, get: Callable[[_Get], Any], concurrency: int) -> None:
        self._get = get
        self._concurrency = concurrency
        self._pool: ThreadPoolExecutor | None = None
        self._pending: deque[tuple[_Get, Future[Any]]] = deque()
        self._todo: Iterator[_Get] = iter(())

    def perform(self, step: _Get | _Prefetch) -> Any:
        if isinstance(step, _Prefetch):
            running = list(self._pending)  # gets the new prefetch asks for again keep their request
            self._pending.clear()
            if self._pool is None:  # kept for later prefetches (an export announces one per batch)
                self._pool = ThreadPoolExecutor(max_workers=self._concurrency, thread_name_prefix="stnb-page")
            self._todo = iter(step.gets)
            self._submit(min(self._concurrency, len(step.gets)) * _WINDOW_PER_WORKER, running)
            for _, future in running:
                future.cancel()
            return None
        if self._pending and self._pending[0][0] == step:
            body = self._pending.popleft()[1].result()
            self._submit(1)
            return body
        self._drop_pending()  # the walk moved on: what was fetched ahead is not needed
        return self._get(step)

    def _submit(self, count: int, running: list[tuple[_Get, Future[Any]]] | None = None) -> None:
        assert self._pool is not None
        for get in _take(self._todo, count):
            future = _adopt(running, get)
            self._pending.append((get, future if future is not None else self._pool.submit(self._get, get)))

    def _drop_pending(self) -> None:
        for _, future in self._pending:
            future.cancel()
        self._pending.clear()
        self._todo = iter(())

    def close(self) -> None:
        self._drop_pending()
        if self._pool is not None:
            self._pool.shutdown(wait=False, cancel_futures=True)
            self._pool = None


class _Tasks:
    """The asyncio twin of `_Threads`: gets run ahead as tasks."""

    def __init__(self, get: Callable[[_Get], Awaitable[Any]], concurrency: int) -> None:
        self._get = get
        self._concurrency = concurrency
        self._pending: deque[tuple[_Get, asyncio.Future[Any]]] = deque()
        self._todo: Iterator[_Get] = iter(())

    async def perform(self, step: _Get | _Prefetch) -> Any:
        if isinstance(step, _Prefetch):
            running = list(self._pending)
            self._pending.clear()
            self._todo = iter(step.gets)
            self._submit(min(self._concurrency, len(step.gets)) * _WINDOW_PER_WORKER, running)
            self._pending, kept = deque(running), self._pending
            await self.aclose()  # the gets no longer wanted
            self._pending = kept
            return None
        if self._pending and self._pending[0][0] == step:
            body = await self._pending.popleft()[1]
            self._submit(1)
            return body
        await self.aclose()  # the walk moved on: what was fetched ahead is not needed
        return await self._get(step)

    def _submit(self, count: int, running: list[tuple[_Get, asyncio.Future[Any]]] | None = None) -> None:
        for get in _take(self._todo, count):
            task = _adopt(running, get)
            self._pending.append((get, task if task is not None else asyncio.ensure_future(self._get(get))))

    async def aclose(self) -> None:
        for _, task in self._pending:
            task.cancel()
        for _, task in self._pending:
            with contextlib.suppress(BaseException):
                await task
        self._pending.clear()


def _adopt(running: list[tuple[_Get, _F]] | None, get: _Get) -> _F | None:
    """The request already running for `get`, taken out of `running`; None when there is none."""
    for index, (started, future) in enumerate(running or ()):
        if started == get:
            assert running is not None
            del running[index]
            return future
    return None


def _take(items: Iterator[_T], count: int) -> list[_T]:
    out: list[_T] = []
    for n in items:
        out.append(n)
        if len(out) >= count:
            break
    return out


# -- exports ----------------------------------------------------------------------------------------

_CHECKPOINT_KEYS = ("resource", "env", "tenant", "continue_from", "fetched", "updated_at")


def load_checkpoint(source: str | os.PathLike[str] | Mapping[str, Any]) -> dict[str, Any]:
    """A checkpoint dict from a saved JSON file or a mapping, checked for the expected keys."""
    if isinstance(source, Mapping):
        data = dict(source)
        where = "checkpoint"
    else:
        if not isinstance(source, str | os.PathLike):
            raise UsageTypeError(f"checkpoint must be a dict or a file path, got {type(source).__name__}")
        path = Path(source)
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise ConfigError(f"cannot read export checkpoint {path}: {exc}") from None
        where = str(path)
        if not isinstance(data, dict):
            raise ConfigError(f"{path} does not hold an export checkpoint (expected a JSON object)")
    missing = [k for k in ("resource", "env", "tenant", "continue_from") if k not in data]
    if missing:
        raise ConfigError(f"{where} is not an export checkpoint: missing {', '.join(missing)}")
    return data


def _since_text(since: str | date | datetime) -> str:
    """`from` accepts a date string; datetimes are sent as RFC3339 UTC."""
    if isinstance(since, datetime):
        try:
            return format_datetime(since)
        except ValueError as exc:  # a naive datetime
            raise InvalidRequest(
                f"since={since!r}: {exc}", errors={"since": ["expected an aware datetime"]}, status=None
            ) from None
    if isinstance(since, date):
        return since.isoformat()
    if not isinstance(since, str):
        raise UsageTypeError(f"since must be a date, a datetime or text such as '2026-01-01', got {since!r}")
    text = since.strip()
    try:
        return date.fromisoformat(text).isoformat()
    except ValueError:
        pass
    try:
        return format_datetime(text)
    except ValueError as exc:
        raise InvalidRequest(
            f"since={since!r}: {exc}", errors={"since": ["expected a date or date-time"]}, status=None
        ) from None


@dataclass(slots=True)
class _Feed:
    """State and decisions of an export walk (no I/O): checkpoint, dedupe, parsing."""

    endpoint: Endpoint
    resource: str
    env: str
    tenant: str
    continue_from: str | None
    fetched: int
    clock: Clock
    base: dict[str, str]
    updated_at: str | None = None
    done: bool = False
    batches: int = 0
    seen: SeenVersions = field(default_factory=SeenVersions)
    repeated: set[Any] = field(default_factory=set)  # ids handed out again (a newer version)
    progress: _Bar | None = None

    @property
    def checkpoint(self) -> dict[str, Any]:
        return {
            "resource": self.resource,
            "env": self.env,
            "tenant": self.tenant,
            "continue_from": self.continue_from,
            "fetched": self.fetched,
            "updated_at": self.updated_at,
        }

    def params(self) -> dict[str, str]:
        params = dict(self.base)
        if self.continue_from:
            params["from"] = self.continue_from
        return params

    def rejected(self, error: ValidationError) -> ExportTokenRejected:
        token = self.continue_from
        return ExportTokenRejected(
            f"{self.resource}: the server rejected the export position from={token!r} ({error.title}). "
            "The checkpoint is unchanged; resume later, or restart with since=<date> to rebuild from a date",
            checkpoint=self.checkpoint,
            errors=error.errors,
            status=error.status,
            trace_id=error.trace_id,
            method="GET",
            url_template=self.endpoint.path,
        )

    def parse(self, body: Any) -> tuple[list[dict[str, Any]], bool, str | None]:
        if not isinstance(body, dict):
            raise self._invalid("expected a JSON object with data, hasMore and continueFrom")
        data = body.get("data")
        has_more = body.get("hasMore")
        token = body.get("continueFrom")
        if not isinstance(data, list) or not all(isinstance(r, dict) for r in data):
            raise self._invalid("the data field is missing or not a list of objects")
        if not isinstance(has_more, bool):
            raise self._invalid("the hasMore field is missing or not true/false")
        if token is not None and not isinstance(token, str):
            raise self._invalid("continueFrom is not a string")
        return data, has_more, token

    def _invalid(self, what: str) -> InvalidResponse:
        return InvalidResponse(
            f"{self.resource} export: {what}; the checkpoint still points at the last good batch",
            method="GET",
            url_template=self.endpoint.path,
        )

    def dedupe(self, data: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """Keep each id's newest version, and only if newer than what earlier batches delivered.

        `modifiedOn` is parsed only for ids that appear twice (in this batch, or in an earlier one)."""
        keys = [record.get("id") for record in data]
        chosen = list(zip(data, keys, strict=True))
        distinct = set(keys)
        distinct.discard(None)
        if len(distinct) + keys.count(None) < len(keys):
            chosen = _newest_in_batch(chosen)
        previous = self.seen.previous([key for _, key in chosen if key is not None])
        out: list[dict[str, Any]] = []
        for record, key in chosen:
            if key is None:
                out.append(record)
                continue
            again = key in previous
            if again:
                if not _newer(micros(record.get("modifiedOn")), previous[key]):
                    continue
                self.repeated.add(key)
            self.seen.add(key, record.get("modifiedOn"), again=again)
            out.append(record)
        return out

    def next_get(self, data: list[dict[str, Any]], has_more: bool, token: str | None) -> _Get | None:
        """The request after this batch, when the feed will go on (so it can be sent while this batch is
        handed out); None when the feed ends or stalls here."""
        if not has_more or not data or not token or token == self.continue_from:
            return None
        params = dict(self.base)
        params["from"] = token
        return _Get(params)

    def commit(self, batch: list[dict[str, Any]], token: str | None, has_more: bool) -> None:
        if token:
            self.continue_from = token
        self.fetched += len(batch)
        self.batches += 1
        self.updated_at = format_datetime(self.clock.utcnow())
        self.done = not has_more
        if self.progress is not None:
            self.progress.update(len(batch))

    def stalled(self, data: list[dict[str, Any]], has_more: bool, previous: str | None) -> bool:
        """True when the feed says hasMore but made no progress (empty batch or the same token)."""
        if not has_more:
            return False
        if not data or self.continue_from == previous:
            warn_caller(
                f"{self.resource} export: hasMore is true but the batch was empty or the position did not "
                "advance; stopping. The checkpoint keeps the last position, so resume later",
                PagingWarning,
            )
            return True
        return False

    def open_progress(self, setting: bool | float, description: str | None) -> None:
        self.progress = _open_bar(setting, description or f"{self.resource} export", "rec", self.clock)

    def close_progress(self) -> None:
        if self.progress is not None:
            self.progress.close()
            self.progress = None

    def steps(self, progress: bool | float) -> Generator[_Get | _Prefetch | list[dict[str, Any]], Any, None]:
        """The feed as a flow (see `stnb._flow`): yields the gets to run and the batches to hand out.

        As soon as a batch's position token is known, the next batch is announced (`_Prefetch`), so the
        driver can fetch it while this one is deduplicated, handed out and stored."""
        self.open_progress(progress, None)
        try:
            while True:
                previous = self.continue_from
                try:
                    body = yield _Get(self.params())
                except ValidationError as exc:
                    if previous and not isinstance(exc, ExportTokenRejected):
                        raise self.rejected(exc) from exc
                    raise
                data, has_more, token = self.parse(body)
                ahead = self.next_get(data, has_more, token)
                if ahead is not None:
                    yield _Prefetch((ahead,))
                batch = self.dedupe(data)
                self.commit(batch, token, has_more)
                if batch:
                    yield batch
                if not has_more or self.stalled(data, has_more, previous):
                    return
        finally:
            self.close_progress()


def _newer(moment: int | None, than: int | None) -> bool:
    if moment is None:
        return False
    return than is None or moment > than


def _newest_in_batch(chosen: list[tuple[dict[str, Any], Any]]) -> list[tuple[dict[str, Any], Any]]:
    """One record per id that appears more than once: the first with the newest modifiedOn."""
    counts: dict[Any, int] = {}
    for _, key in chosen:
        if key is not None:
            counts[key] = counts.get(key, 0) + 1
    best: dict[Any, tuple[int | None, int]] = {}
    for index, (record, key) in enumerate(chosen):
        if key is not None and counts[key] > 1:
            moment = micros(record.get("modifiedOn"))
            if key not in best or _newer(moment, best[key][0]):
                best[key] = (moment, index)
    keep = {index for _, index in best.values()}
    return [
        (record, key)
        for index, (record, key) in enumerate(chosen)
        if key is None or counts[key] == 1 or index in keep
    ]


def _new_feed(
    client: SyncRequester | AsyncRequester,
    endpoint: Endpoint,
    resource: str,
    since: str | date | datetime | None,
    checkpoint: Mapping[str, Any] | None,
    include_recent_changes: bool,
    params: Mapping[str, str] | None,
    clock: Clock | None,
) -> _Feed:
    if since is not None and checkpoint is not None:
        raise InvalidRequest(
            "pass since= or checkpoint=, not both (the checkpoint already holds the position)",
            errors={"since": ["conflicts with checkpoint"]},
            status=None,
        )
    start: str | None = _since_text(since) if since is not None else None
    fetched = 0
    if checkpoint is not None:
        data = load_checkpoint(checkpoint)
        mismatch = [
            f"{key} {data[key]!r} (this cursor: {mine!r})"
            for key, mine in (("resource", resource), ("env", client.env), ("tenant", client.tenant))
            if str(data[key]) != mine
        ]
        if mismatch:
            raise ConfigError(f"the checkpoint belongs to another export: {'; '.join(mismatch)}")
        start = data["continue_from"]
        fetched = int(data.get("fetched") or 0)
    base = dict(params or {})
    if include_recent_changes:
        base["includeRecentChanges"] = "true"
    feed = _Feed(endpoint, resource, client.env, client.tenant, start, fetched, clock or SYSTEM_CLOCK, base)
    if checkpoint is not None:
        feed.updated_at = checkpoint.get("updated_at") if isinstance(checkpoint, Mapping) else None
    return feed


class _CursorBase(Generic[_Requester]):
    """What both export cursors share; only running the feed's gets differs."""

    def __init__(
        self,
        client: _Requester,
        endpoint: Endpoint,
        *,
        resource: str,
        since: str | date | datetime | None = None,
        checkpoint: Mapping[str, Any] | None = None,
        include_recent_changes: bool = False,
        params: Mapping[str, str] | None = None,
        progress: bool | float = False,
        clock: Clock | None = None,
    ) -> None:
        self._client: _Requester = client
        self._feed = _new_feed(
            client, endpoint, resource, since, checkpoint, include_recent_changes, params, clock
        )
        self._progress = progress

    @property
    def checkpoint(self) -> dict[str, Any]:
        """`{resource, env, tenant, continue_from, fetched, updated_at}`, covers batches handed out."""
        return self._feed.checkpoint

    @property
    def done(self) -> bool:
        """True once the server said hasMore=false (caught up; poll again later from the checkpoint)."""
        return self._feed.done

    @property
    def fetched(self) -> int:
        """Records handed out so far, including those before the checkpoint this cursor resumed from."""
        return self._feed.fetched

    @property
    def batches(self) -> int:
        """Batches (export requests) this cursor has made."""
        return self._feed.batches

    @property
    def repeated_ids(self) -> frozenset[Any]:
        """Ids handed out more than once (a newer version in a later batch): rows stored for them earlier
        are out of date."""
        return frozenset(self._feed.repeated)

    def save(self, path: str | os.PathLike[str]) -> Path:
        """Write the checkpoint as JSON, atomically; returns the path."""
        target = Path(path)
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp = target.with_name(f".{target.name}.{uuid.uuid4().hex[:8]}.tmp")
        try:
            tmp.write_text(json.dumps(self.checkpoint, indent=2) + "\n", encoding="utf-8")
            os.replace(tmp, target)
        finally:
            tmp.unlink(missing_ok=True)
        return target


class ExportCursor(_CursorBase[SyncRequester]):
    """Iterate an export feed batch by batch (`for batch in cur`), or record by record (`cur.items()`)."""

    @classmethod
    def resume(
        cls, conn: Any, source: str | os.PathLike[str] | Mapping[str, Any], **kwargs: Any
    ) -> ExportCursor:
        """Continue a saved export: `ExportCursor.resume(conn, "jobs.checkpoint.json")`."""
        data = load_checkpoint(source)
        cursor = conn.export(data["resource"], checkpoint=data, **kwargs)
        if not isinstance(cursor, ExportCursor):
            raise TypeError("ExportCursor.resume needs a stnb.Connection; use AsyncExportCursor.resume")
        return cursor

    def items(self) -> Iterator[dict[str, Any]]:
        """Every record of every batch."""
        for batch in self:
            yield from batch

    def __iter__(self) -> Iterator[list[dict[str, Any]]]:
        runner = _Threads(self._get, 1)  # one worker: the next batch travels while this one is used
        try:
            yield from drive(self._feed.steps(self._progress), runner.perform)
        finally:
            runner.close()

    def _get(self, step: _Get) -> Any:
        return self._client.request_json("GET", self._feed.endpoint.path, params=step.params)


class AsyncExportCursor(_CursorBase[AsyncRequester]):
    """The asyncio twin of `ExportCursor`: `async for batch in cur`."""

    @classmethod
    def resume(
        cls, conn: Any, source: str | os.PathLike[str] | Mapping[str, Any], **kwargs: Any
    ) -> AsyncExportCursor:
        """Continue a saved export on an `AsyncConnection`."""
        data = load_checkpoint(source)
        cursor = conn.export(data["resource"], checkpoint=data, **kwargs)
        if not isinstance(cursor, AsyncExportCursor):
            raise TypeError("AsyncExportCursor.resume needs a stnb.AsyncConnection")
        return cursor

    async def items(self) -> AsyncIterator[dict[str, Any]]:
        """Every record of every batch."""
        async for batch in self:
            for record in batch:
                yield record

    async def __aiter__(self) -> AsyncIterator[list[dict[str, Any]]]:
        runner = _Tasks(self._get, 1)
        try:
            async with contextlib.aclosing(adrive(self._feed.steps(self._progress), runner.perform)) as feed:
                async for batch in feed:
                    yield batch
        finally:
            await runner.aclose()

    async def _get(self, step: _Get) -> Any:
        return await self._client.request_json("GET", self._feed.endpoint.path, params=step.params)

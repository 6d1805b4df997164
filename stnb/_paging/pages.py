"""Page-based lists: the walk over `page`/`pageSize`/`hasMore` (a sans-IO flow) and its sync and async
iterators."""

from __future__ import annotations

import contextlib
import math
from collections.abc import AsyncIterator, Generator, Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any, Generic

from stnb._clock import SYSTEM_CLOCK, Clock
from stnb._flow import adrive, drive, warn_caller
from stnb._paging.errors import PagingOptionError, PagingWarning, TruncationWarning
from stnb._paging.prefetch import Tasks, Threads
from stnb._paging.steps import AsyncRequester, Get, Prefetch, Requester, SyncRequester
from stnb._progress import Progress, open_progress
from stnb._query import QueryParams
from stnb._text import plural
from stnb.catalog import Endpoint
from stnb.catalog.quirks import first_page as live_first_page
from stnb.errors import InvalidResponse

__all__ = [
    "DEFAULT_CONCURRENCY",
    "PROBE_FROM_PAGE_SIZE",
    "AsyncPageIterator",
    "Page",
    "PageIterator",
]


DEFAULT_CONCURRENCY = 8
# From this page size on, a walk first asks for the total with a one-record page, then fetches every page
# at once: two large pages in a row would otherwise run one after the other.
PROBE_FROM_PAGE_SIZE = 1000


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
    progress: Progress | None = None
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
        self.progress = open_progress(progress, description or self.resource, unit="page", clock=self.clock)

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
    ) -> Generator[Get | Prefetch | Page, Any, None]:
        """The walk as a flow (see `stnb._flow`): yields the gets to run and the pages to hand out.

        After a first page that reports `totalCount`, the pages up to the last one are announced with a
        `Prefetch`; they are then asked for one by one as usual, and come from the prefetch."""
        self.start(progress, description)
        try:
            for chunk, query in enumerate(self.queries):
                more_queries = chunk < len(self.queries) - 1
                number = self.first_page(query)
                if self.probes(query):
                    # The probe travels with the first two pages (a list of large pages usually has a
                    # second); the other pages follow the probe's answer.
                    probe_get = Get(self.probe_params(query))
                    first_get = Get(self.params(query, number, False))
                    budget = self.budget()
                    together = [probe_get, first_get]
                    if budget is None or budget > 1:
                        together.append(Get(self.params(query, number + 1, False)))
                    yield Prefetch(tuple(together))
                    probe = self.decode((yield probe_get), 1, chunk)
                    total = probe.total_count
                    every = self.pages_from_total(total, query, number) if total is not None else range(0)
                    if len(every) > 1:
                        yield Prefetch(tuple(Get(self.params(query, n, False)) for n in every))
                    page = self.decode((yield first_get), number, chunk)
                    page = replace(page, total_count=total)
                    ahead = every[1:]
                else:
                    page = self.decode(
                        (yield Get(self.params(query, number, self.wants_total(query)))), number, chunk
                    )
                    number = page.number
                    ahead = self.remaining(page, query)
                self.set_progress_total(page, ahead)
                keep_going = self.accept(page, more_queries)
                yield page
                if keep_going and ahead and not self.probes(query):
                    yield Prefetch(tuple(Get(self.params(query, n, False)) for n in ahead))
                while keep_going:
                    number += 1
                    page = self.decode((yield Get(self.params(query, number, False))), number, chunk)
                    keep_going = self.accept(page, more_queries)
                    yield page
                if self.stopped:
                    return
        finally:
            self.close_progress()


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


class _PagesBase(Generic[Requester]):
    """What both page iterators share; only running the walk's gets differs."""

    def __init__(
        self,
        client: Requester,
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
        self._client: Requester = client
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

    def _steps(self) -> Generator[Get | Prefetch | Page, Any, None]:
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
        runner = Threads(self._get, self._walk.concurrency)
        try:
            yield from drive(self._steps(), runner.perform)
        finally:
            runner.close()

    def _get(self, step: Get) -> Any:
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
        runner = Tasks(self._get, self._walk.concurrency)
        try:
            async with contextlib.aclosing(adrive(self._steps(), runner.perform)) as pages:
                async for page in pages:
                    yield page
        finally:
            await runner.aclose()

    async def _get(self, step: Get) -> Any:
        return await self._client.request_json(
            "GET", self._walk.endpoint.path, params=step.params, path_params=self._path_params or None
        )

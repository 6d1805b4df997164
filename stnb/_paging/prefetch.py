"""Running a flow's gets: in the caller's thread or task, or ahead of time from a `Prefetch` (a bounded
thread pool for the sync twins, tasks for the async ones)."""

from __future__ import annotations

import asyncio
import contextlib
from collections import deque
from collections.abc import Awaitable, Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any, TypeVar

from stnb._paging.steps import Get, Prefetch

__all__ = ["Tasks", "Threads"]

_T = TypeVar("_T")
_F = TypeVar("_F")


_WINDOW_PER_WORKER = 2  # pages requested ahead per worker: keeps the pool busy, memory bounded


class Threads:
    """Runs a walk's gets: in the caller's thread, or from a `Prefetch` that a bounded pool runs ahead."""

    def __init__(self, get: Callable[[Get], Any], concurrency: int) -> None:
        self._get = get
        self._concurrency = concurrency
        self._pool: ThreadPoolExecutor | None = None
        self._pending: deque[tuple[Get, Future[Any]]] = deque()
        self._todo: Iterator[Get] = iter(())

    def perform(self, step: Get | Prefetch) -> Any:
        if isinstance(step, Prefetch):
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

    def _submit(self, count: int, running: list[tuple[Get, Future[Any]]] | None = None) -> None:
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


class Tasks:
    """The asyncio twin of `Threads`: gets run ahead as tasks."""

    def __init__(self, get: Callable[[Get], Awaitable[Any]], concurrency: int) -> None:
        self._get = get
        self._concurrency = concurrency
        self._pending: deque[tuple[Get, asyncio.Future[Any]]] = deque()
        self._todo: Iterator[Get] = iter(())

    async def perform(self, step: Get | Prefetch) -> Any:
        if isinstance(step, Prefetch):
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

    def _submit(self, count: int, running: list[tuple[Get, asyncio.Future[Any]]] | None = None) -> None:
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


def _adopt(running: list[tuple[Get, _F]] | None, get: Get) -> _F | None:
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

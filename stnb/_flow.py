"""Logic written once as a generator (a *flow*), run by a sync or an async driver that does its I/O.

A flow yields steps. An `Effect` asks the driver for I/O (send a request, sleep, wait for the pacer): the
driver performs it and sends the result back in, or throws in the exception it raised, so the flow handles
failures right where it asked. Any other step is output, handed to whoever iterates the driver. Only
`Exception`s go back in: cancellation and interrupts propagate from the driver as from a plain call.

A flow warns with `warn_caller`: how many frames (flow, driver, shells, helpers) lie between it and the
code iterating the driver depends on the path taken, so the warning is attributed to the first frame
outside the stnb package, the user's line.
"""

from __future__ import annotations

import os
import sys
import warnings
from collections.abc import AsyncGenerator, Awaitable, Callable, Generator, Iterator
from contextlib import closing, contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any, TypeVar

__all__ = ["END", "Effect", "Iteration", "Next", "adrive", "arun", "drive", "run", "warn_caller"]

T = TypeVar("T")

_PACKAGE = os.path.dirname(__file__) + os.sep  # as in code objects' co_filename


class Effect:
    """Base class of the steps a driver performs (instead of handing them out)."""

    __slots__ = ()


@dataclass(slots=True)
class Iteration:
    """An iterable a flow walks step by step (`yield Next(iteration)`); its iterator is made on the first
    step: with `iter` by the sync driver, with `aiter` by the async one."""

    source: Any
    iterator: Any = None


@dataclass(frozen=True, slots=True)
class Next(Effect):
    """The next item of an iteration, or `END` after the last: the drivers perform it themselves."""

    iteration: Iteration


END: Any = object()


async def adrive(
    flow: Generator[Effect | T, Any, None],
    perform: Callable[[Any], Awaitable[Any]],
    advance: Callable[[Iteration], Awaitable[Any]] | None = None,
) -> AsyncGenerator[T, None]:
    """Iterate a flow's output, with the awaited `perform` doing each effect it asks for (`advance` each
    `Next`: `async for` by default)."""
    step_next = advance or _anext
    with closing(flow):
        reply: Any = None
        error: Exception | None = None
        while True:
            try:
                step = flow.send(reply) if error is None else flow.throw(error)
            except StopIteration:
                return
            reply, error = None, None
            if not isinstance(step, Effect):
                yield step
                continue
            try:
                reply = await (step_next(step.iteration) if isinstance(step, Next) else perform(step))
            except Exception as exc:
                error = exc


def drive(flow: Generator[Effect | T, Any, None], perform: Callable[[Any], Any]) -> Generator[T, None, None]:
    """`adrive` without an event loop: every await in it is on a plain call here, so it never suspends and
    each step of its coroutine completes at once (the one driver serves both kinds of caller)."""
    outputs = adrive(flow, _now(perform), _now(_next))
    try:
        while True:
            try:
                yield _completed(outputs.__anext__())
            except StopAsyncIteration:
                return
    finally:
        _completed(outputs.aclose())


def run(flow: Generator[Effect | T, Any, None], perform: Callable[[Any], Any]) -> T:
    """Drive a flow that outputs exactly one value, and return that value."""
    (result,) = drive(flow, perform)
    return result


async def arun(flow: Generator[Effect | T, Any, None], perform: Callable[[Any], Awaitable[Any]]) -> T:
    """`run` with an awaited `perform`."""
    (result,) = [out async for out in adrive(flow, perform)]
    return result


def _next(iteration: Iteration) -> Any:
    if iteration.iterator is None:
        iteration.iterator = iter(iteration.source)
    return next(iteration.iterator, END)


async def _anext(iteration: Iteration) -> Any:
    if iteration.iterator is None:
        iteration.iterator = aiter(iteration.source)
    return await anext(iteration.iterator, END)


def _now(call: Callable[[Any], Any]) -> Callable[[Any], Awaitable[Any]]:
    """`call` as an awaitable that completes at once, with its result or its exception."""

    async def done(arg: Any) -> Any:
        return call(arg)

    return done


def _completed(step: Awaitable[T]) -> T:
    """The result of an awaitable that never suspends (see `drive`)."""
    coroutine = step.__await__()
    try:
        coroutine.send(None)
    except StopIteration as stop:
        return stop.value  # type: ignore[no-any-return]
    coroutine.close()
    raise RuntimeError("a synchronous flow step suspended (an awaitable needing an event loop)")


# Where stnb's warnings go in this thread or task instead of `warnings.warn`, when a caller collects them.
_COLLECTOR: ContextVar[list[Warning] | None] = ContextVar("stnb_warning_collector", default=None)


@contextmanager
def collect_warnings() -> Iterator[list[Warning]]:
    """Collect the warnings stnb raises in this context (this thread or task) instead of showing them.

    For code that reports them its own way (a comparison's notes, the explorer's status line, recipes that
    never read unknown fields). The process's warning filters are left alone: `warnings.catch_warnings` would
    change them for every thread while the block runs.
    """
    caught: list[Warning] = []
    token = _COLLECTOR.set(caught)
    try:
        yield caught
    finally:
        _COLLECTOR.reset(token)


def warn_caller(message: str, category: type[Warning]) -> None:
    """`warnings.warn`, attributed to the nearest caller outside the stnb package (or collected: see
    `collect_warnings`)."""
    collector = _COLLECTOR.get()
    if collector is not None:
        collector.append(category(message))
        return
    frame = sys._getframe(1)
    level = 2  # stacklevel 2 is the frame that called warn_caller
    while frame.f_back is not None and frame.f_code.co_filename.startswith(_PACKAGE):
        frame = frame.f_back
        level += 1
    name = frame.f_code.co_filename
    if "ipykernel_" in name or name.startswith("<ipython-input-"):
        # A notebook cell: say which cell, not the kernel's temporary file name.
        shell = sys.modules.get("IPython")
        get = getattr(shell, "get_ipython", None)
        count = getattr(get() if callable(get) else None, "execution_count", None)
        where = f"cell [{count}]" if count else "this cell"
        warnings.warn_explicit(
            message,
            category,
            where,
            frame.f_lineno,
            module=frame.f_globals.get("__name__", "__main__"),
            registry=frame.f_globals.setdefault("__warningregistry__", {}),
        )
        return
    warnings.warn(message, category, stacklevel=level)

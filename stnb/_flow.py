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
from collections.abc import AsyncGenerator, Awaitable, Callable, Generator
from contextlib import closing
from typing import Any, TypeVar

__all__ = ["Effect", "adrive", "arun", "drive", "run", "warn_caller"]

T = TypeVar("T")

_PACKAGE = os.path.dirname(__file__) + os.sep  # as in code objects' co_filename


class Effect:
    """Base class of the steps a driver performs (instead of handing them out)."""

    __slots__ = ()


def drive(flow: Generator[Effect | T, Any, None], perform: Callable[[Any], Any]) -> Generator[T, None, None]:
    """Iterate a flow's output, with `perform` doing each effect it asks for."""
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
                reply = perform(step)
            except Exception as exc:
                error = exc


async def adrive(
    flow: Generator[Effect | T, Any, None], perform: Callable[[Any], Awaitable[Any]]
) -> AsyncGenerator[T, None]:
    """`drive` with an awaited `perform`."""
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
                reply = await perform(step)
            except Exception as exc:
                error = exc


def run(flow: Generator[Effect | T, Any, None], perform: Callable[[Any], Any]) -> T:
    """Drive a flow that outputs exactly one value, and return that value."""
    (result,) = drive(flow, perform)
    return result


async def arun(flow: Generator[Effect | T, Any, None], perform: Callable[[Any], Awaitable[Any]]) -> T:
    """`run` with an awaited `perform`."""
    (result,) = [out async for out in adrive(flow, perform)]
    return result


def warn_caller(message: str, category: type[Warning]) -> None:
    """`warnings.warn`, attributed to the nearest caller outside the stnb package."""
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

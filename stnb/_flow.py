"""Logic written once as a generator (a *flow*), run by a sync or an async driver that does its I/O.

A flow yields steps. An `Effect` asks the driver for I/O (send a request, sleep, wait for the pacer): the
driver performs it and sends the result back in, or throws in the exception it raised, so the flow handles
failures right where it asked. Any other step is output, handed to whoever iterates the driver. Only
`Exception`s go back in: cancellation and interrupts propagate from the driver as from a plain call.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator, Awaitable, Callable, Generator
from contextlib import closing
from typing import Any, TypeVar

__all__ = ["Effect", "adrive", "arun", "drive", "run"]

T = TypeVar("T")


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

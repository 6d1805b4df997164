"""What the walks and feeds ask their runners for (`Get`, `Prefetch`: `stnb._flow` effects), and what
they need from a client (`SyncRequester`, `AsyncRequester`)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Protocol, TypeVar

from stnb._flow import Effect

__all__ = ["AsyncRequester", "Get", "Prefetch", "Requester", "SyncRequester"]


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


Requester = TypeVar("Requester", SyncRequester, AsyncRequester)


@dataclass(frozen=True, slots=True)
class Get(Effect):
    """GET the endpoint with these query parameters; the parsed JSON body comes back."""

    params: Mapping[str, str | list[str]]


@dataclass(frozen=True, slots=True)
class Prefetch(Effect):
    """The walk asks for these gets next, in this order: start them concurrently."""

    gets: tuple[Get, ...]

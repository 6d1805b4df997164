"""The embedded adapter: an httpx transport (sync and async) that hands requests to the core in-process.

No sockets. Latency and slow responses wait on the sandbox's clock; a dropped connection raises what a
real one would (`httpx.RemoteProtocolError` on a sync client, `httpx.ReadError` on an async one).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import httpx

from stnb.sandbox.messages import SandboxRequest, SandboxResponse

if TYPE_CHECKING:
    from stnb.sandbox.core import Sandbox

__all__ = ["SandboxTransport", "to_sandbox_request"]


def to_sandbox_request(request: httpx.Request, body: bytes) -> SandboxRequest:
    query = [(k, v) for k, v in request.url.params.multi_items()]
    headers = {k.lower(): v for k, v in request.headers.items()}
    return SandboxRequest(request.method, request.url.path, query, headers, body)


def _to_httpx(response: SandboxResponse, request: httpx.Request) -> httpx.Response:
    return httpx.Response(
        response.status,
        headers=list(response.headers.items()),
        content=response.body,
        request=request,
    )


class SandboxTransport(httpx.BaseTransport, httpx.AsyncBaseTransport):
    """Usable as `httpx.Client(transport=...)` and `httpx.AsyncClient(transport=...)`."""

    def __init__(self, sandbox: Sandbox) -> None:
        self.sandbox = sandbox

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        response = self.sandbox.handle(to_sandbox_request(request, request.read()))
        if response.delay > 0:
            self.sandbox.clock.sleep(response.delay)
        if response.drop:
            raise httpx.RemoteProtocolError(
                "Server disconnected without sending a response.", request=request
            )
        return _to_httpx(response, request)

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        response = self.sandbox.handle(to_sandbox_request(request, await request.aread()))
        if response.delay > 0:
            await self.sandbox.clock.asleep(response.delay)
        if response.drop:
            raise httpx.ReadError("Connection reset by peer", request=request)
        return _to_httpx(response, request)

    def close(self) -> None:
        """Nothing to release: no connections."""

    async def aclose(self) -> None:
        """Nothing to release: no connections."""

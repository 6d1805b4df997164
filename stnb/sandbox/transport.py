"""The embedded adapter: an httpx2 transport (sync and async) that hands requests to the core in-process.

No sockets. Latency and slow responses wait on the sandbox's clock; a dropped connection raises what a
real one would (`httpx2.RemoteProtocolError` on a sync client, `httpx2.ReadError` on an async one).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import httpx2

from stnb.sandbox.messages import SandboxRequest, SandboxResponse

if TYPE_CHECKING:
    from stnb.sandbox.core import Sandbox

__all__ = ["SandboxTransport", "to_sandbox_request"]


def to_sandbox_request(request: httpx2.Request, body: bytes) -> SandboxRequest:
    query = [(k, v) for k, v in request.url.params.multi_items()]
    headers = {k.lower(): v for k, v in request.headers.items()}
    return SandboxRequest(request.method, request.url.path, query, headers, body)


def _to_httpx(response: SandboxResponse, request: httpx2.Request) -> httpx2.Response:
    return httpx2.Response(
        response.status,
        headers=list(response.headers.items()),
        content=response.body,
        request=request,
    )


class SandboxTransport(httpx2.BaseTransport, httpx2.AsyncBaseTransport):
    """Usable as `httpx2.Client(transport=...)` and `httpx2.AsyncClient(transport=...)`."""

    def __init__(self, sandbox: Sandbox) -> None:
        self.sandbox = sandbox

    def handle_request(self, request: httpx2.Request) -> httpx2.Response:
        response = self.sandbox.handle(to_sandbox_request(request, request.read()))
        if response.delay > 0:
            self.sandbox.clock.sleep(response.delay)
        if response.drop:
            raise httpx2.RemoteProtocolError(
                "Server disconnected without sending a response.", request=request
            )
        return _to_httpx(response, request)

    async def handle_async_request(self, request: httpx2.Request) -> httpx2.Response:
        response = self.sandbox.handle(to_sandbox_request(request, await request.aread()))
        if response.delay > 0:
            await self.sandbox.clock.asleep(response.delay)
        if response.drop:
            raise httpx2.ReadError("Connection reset by peer", request=request)
        return _to_httpx(response, request)

    def close(self) -> None:
        """Nothing to release: no connections."""

    async def aclose(self) -> None:
        """Nothing to release: no connections."""

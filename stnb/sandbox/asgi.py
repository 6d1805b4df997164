"""The served adapter: a plain ASGI application around the core (no framework).

The core runs in a worker thread so a slow build or a big page never stalls other connections; delays
(latency model, slow faults) are awaited on the sandbox's clock; a dropped connection sends a response
head announcing a body it never completes, so the server closes the socket mid-response.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, MutableMapping
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl

from stnb.sandbox.messages import SandboxRequest

if TYPE_CHECKING:
    from stnb.sandbox.core import Sandbox

__all__ = ["ASGIApp", "create_app"]

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]


async def _read_body(receive: Receive) -> bytes:
    chunks = []
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            break
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            break
    return b"".join(chunks)


def _to_request(scope: Scope, body: bytes) -> SandboxRequest:
    raw_query = scope.get("query_string", b"").decode("latin-1")
    query = parse_qsl(raw_query, keep_blank_values=True)
    headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope.get("headers", [])}
    return SandboxRequest(scope["method"], scope["path"], query, headers, body)


async def _lifespan(receive: Receive, send: Send) -> None:
    while True:
        message = await receive()
        if message["type"] == "lifespan.startup":
            await send({"type": "lifespan.startup.complete"})
        elif message["type"] == "lifespan.shutdown":
            await send({"type": "lifespan.shutdown.complete"})
            return


def create_app(sandbox: Sandbox) -> ASGIApp:
    """An ASGI 3 application that answers every request from `sandbox`."""

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await _lifespan(receive, send)
            return
        if scope["type"] != "http":
            return
        request = _to_request(scope, await _read_body(receive))
        response = await asyncio.get_running_loop().run_in_executor(None, sandbox.handle, request)
        if response.delay > 0:
            await sandbox.clock.asleep(response.delay)
        if response.drop:
            await send(
                {"type": "http.response.start", "status": 200, "headers": [(b"content-length", b"1024")]}
            )
            await send({"type": "http.response.body", "body": b"{", "more_body": True})
            return
        headers = [(k.encode("latin-1"), v.encode("latin-1")) for k, v in response.headers.items()]
        headers.append((b"content-length", str(len(response.body)).encode()))
        await send({"type": "http.response.start", "status": response.status, "headers": headers})
        await send({"type": "http.response.body", "body": response.body})

    return app

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

from stnb.sandbox.messages import SandboxRequest, SandboxResponse, problem

if TYPE_CHECKING:
    from stnb.sandbox.core import Sandbox

__all__ = ["MAX_BODY_BYTES", "ASGIApp", "create_app"]

MAX_BODY_BYTES = 8 * 1024 * 1024  # a larger body is answered 413 without being read to the end

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]


class _TooLarge(Exception):
    pass


async def _read_body(receive: Receive, limit: int = MAX_BODY_BYTES) -> bytes:
    chunks = []
    size = 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            break
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            raise _TooLarge
        chunks.append(chunk)
        if not message.get("more_body", False):
            break
    return b"".join(chunks)


def _too_large() -> SandboxResponse:
    return problem(
        413,
        "Request Entity Too Large",
        "00-" + "0" * 32 + "-" + "0" * 16 + "-00",
        {"body": [f"The request body is larger than {MAX_BODY_BYTES:,} bytes."]},
    )


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
        try:
            body = await _read_body(receive)
        except _TooLarge:
            response = _too_large()
        else:
            request = _to_request(scope, body)
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

"""Serving a sandbox over HTTP: uvicorn on an already-bound socket, in a daemon thread.

uvicorn comes with the serve extra (`pip install 'stnb[serve]'`); without it, importing this module raises
`stnb.errors.MissingExtra` saying so. The embedded sandbox (`stnb.connect()` without credentials) needs no
server.
"""

from __future__ import annotations

import logging
import socket
import threading
from types import TracebackType

from stnb.errors import MissingExtra

try:
    import uvicorn
except ModuleNotFoundError as exc:  # only uvicorn itself missing; a broken uvicorn install stays visible
    if exc.name != "uvicorn":
        raise
    raise MissingExtra("stnb.sandbox.serve_in_thread", "serve") from None

from stnb.sandbox.asgi import create_app
from stnb.sandbox.core import Sandbox
from stnb.sandbox.identity import SandboxCredentials

__all__ = ["ServerHandle", "serve_in_thread"]

_START_TIMEOUT = 15.0


class _Server(uvicorn.Server):
    """A uvicorn server that signals readiness instead of being polled."""

    def __init__(self, config: uvicorn.Config, ready: threading.Event) -> None:
        super().__init__(config)
        self._ready = ready

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        await super().startup(sockets=sockets)
        self._ready.set()


class ServerHandle:
    """A running sandbox server: `.url`, `.credentials`, `.sandbox`, `.stop()`; a context manager."""

    def __init__(self, sandbox: Sandbox, server: _Server, thread: threading.Thread, url: str) -> None:
        self.sandbox = sandbox
        self.url = url
        self._server = server
        self._thread = thread

    @property
    def credentials(self) -> dict[str, SandboxCredentials]:
        return self.sandbox.credentials

    @property
    def running(self) -> bool:
        return self._thread.is_alive()

    def stop(self, timeout: float = 10.0) -> None:
        """Stop accepting requests and wait for the server thread to end."""
        self._server.should_exit = True
        self._thread.join(timeout)

    def __enter__(self) -> ServerHandle:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    def __repr__(self) -> str:
        state = "running" if self.running else "stopped"
        return f"<stnb.sandbox.ServerHandle {self.url} {state}>"


def serve_in_thread(sandbox: Sandbox, host: str = "127.0.0.1", port: int = 0) -> ServerHandle:
    """Bind `host:port` (0 picks a free port), start uvicorn in a daemon thread, return when it is ready."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    # proto=IPPROTO_TCP lets asyncio disable Nagle on accepted sockets (else every response waits ~40 ms).
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    sock.bind((host, port))
    sock.listen(256)
    bound_port = sock.getsockname()[1]
    config = uvicorn.Config(
        create_app(sandbox),
        log_level=logging.WARNING,
        access_log=False,
        lifespan="off",
        loop="asyncio",
        http="h11",
        timeout_keep_alive=30,
    )
    ready = threading.Event()
    server = _Server(config, ready)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, name="stnb-sandbox", daemon=True)
    thread.start()
    if not ready.wait(_START_TIMEOUT):
        server.should_exit = True
        thread.join(5.0)
        sock.close()
        raise RuntimeError(f"the sandbox server did not start within {_START_TIMEOUT:g} s")
    display_host = f"[{host}]" if ":" in host else host
    return ServerHandle(sandbox, server, thread, f"http://{display_host}:{bound_port}")

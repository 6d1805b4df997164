"""An offline ServiceTitan: one pure core (`Sandbox.handle`) over seeded demo worlds, with two adapters.

- `Sandbox().transport()`: an in-process httpx2 transport, sync and async, no sockets (the embedded
  default, at `https://sandbox.invalid`);
- `serve_in_thread()` / `stnb sandbox serve`: the ASGI app (`stnb.sandbox.asgi.create_app`) on uvicorn.

Planted differences between the `integration` and `production` environments are documented in
`stnb.sandbox.planted`; the world accessors other modules can use in `stnb.sandbox.world`.
"""

from __future__ import annotations

import os
import threading
from typing import TYPE_CHECKING, Any

from stnb.sandbox.core import EMBEDDED_URL, LIVE_LATENCY, LatencyModel, Sandbox, ServedRequest
from stnb.sandbox.faults import FaultSpec, FaultSpecError
from stnb.sandbox.identity import SandboxApp, SandboxCredentials, SandboxTenant
from stnb.sandbox.messages import SandboxRequest, SandboxResponse
from stnb.sandbox.quirks import ENV_VAR as QUIRKS_ENV_VAR
from stnb.sandbox.quirks import Quirks

if TYPE_CHECKING:
    from stnb.sandbox.server import ServerHandle

__all__ = [
    "EMBEDDED_URL",
    "LIVE_LATENCY",
    "FaultSpec",
    "FaultSpecError",
    "LatencyModel",
    "Quirks",
    "Sandbox",
    "SandboxApp",
    "SandboxCredentials",
    "SandboxRequest",
    "SandboxResponse",
    "SandboxTenant",
    "ServedRequest",
    "ServerHandle",
    "default_sandbox",
    "serve_in_thread",
]

_default: Sandbox | None = None
_default_lock = threading.Lock()


def default_sandbox() -> Sandbox:
    """The process-wide `Sandbox()` (seed 0), built once on first use; thread-safe.

    Its quirks come from `STNB_SANDBOX_QUIRKS` when set ("none" serves exactly what the documents say)."""
    global _default
    if _default is None:
        with _default_lock:
            if _default is None:
                _default = Sandbox(quirks=os.environ.get(QUIRKS_ENV_VAR) or None)
    return _default


def serve_in_thread(
    seed: int = 0,
    scale: float = 1.0,
    latency_ms: float = 0.0,
    faults: str | FaultSpec | None = None,
    rate_limit: float = 60.0,
    token_ttl: int = 900,
    host: str = "127.0.0.1",
    port: int = 0,
    per_record_ms: float = 0.0,
    quirks: str | Quirks | None = None,
    **sandbox_options: Any,
) -> ServerHandle:
    """Serve a new sandbox over HTTP from a daemon thread; returns once it accepts connections.

    Latency is off unless asked for (tests and notebooks stay fast); `stnb sandbox serve` uses
    `LIVE_LATENCY` (pass `latency_ms=LIVE_LATENCY.base_ms, per_record_ms=LIVE_LATENCY.per_record_ms`).
    `sandbox_options` go to `Sandbox` (`anchor=`, `clock=`). To serve an existing sandbox, use
    `stnb.sandbox.server.serve_in_thread(sandbox, host=..., port=...)`.
    """
    from stnb.sandbox.server import serve_in_thread as _serve

    sandbox = Sandbox(
        seed=seed,
        scale=scale,
        latency_ms=latency_ms,
        faults=faults,
        rate_limit=rate_limit,
        token_ttl=token_ttl,
        per_record_ms=per_record_ms,
        quirks=quirks,
        **sandbox_options,
    )
    return _serve(sandbox, host=host, port=port)


def __getattr__(name: str) -> Any:
    if name == "ServerHandle":
        from stnb.sandbox.server import ServerHandle

        return ServerHandle
    raise AttributeError(f"module 'stnb.sandbox' has no attribute {name!r}")

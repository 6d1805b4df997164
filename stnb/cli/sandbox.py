"""`stnb sandbox serve`: the offline ServiceTitan over HTTP, with the demo credentials to use."""

from __future__ import annotations

import argparse
import signal
import sys
import threading
from typing import Any, TextIO

__all__ = ["register"]


def register(subparsers: argparse._SubParsersAction[Any]) -> None:
    """Add `stnb sandbox serve`."""
    parser = subparsers.add_parser("sandbox", help="run the offline ServiceTitan sandbox")
    commands = parser.add_subparsers(dest="sandbox_command", metavar="COMMAND")
    serve = commands.add_parser(
        "serve",
        help="serve the sandbox over HTTP until Ctrl-C",
        description="Serve the offline ServiceTitan sandbox over HTTP and print demo credentials for it.",
    )
    serve.add_argument("--host", default="127.0.0.1", help="interface to bind (default 127.0.0.1)")
    serve.add_argument(
        "--port", type=int, default=8765, help="port to bind, 0 for any free port (default 8765)"
    )
    serve.add_argument("--seed", type=int, default=0, help="world seed (default 0)")
    serve.add_argument("--scale", type=float, default=1.0, help="data volume multiplier (default 1)")
    serve.add_argument("--latency-ms", type=float, default=0.0, help="added latency per request in ms")
    serve.add_argument(
        "--rate-limit", type=float, default=60.0, help="requests/s per app and tenant (0: none)"
    )
    serve.add_argument(
        "--faults",
        default=None,
        metavar="SPEC",
        help="faults to inject, e.g. '429=0.05,500=0.01,slow=0.02:2.0,drop=0.01,revoke_after=200'",
    )
    serve.set_defaults(func=_serve)
    parser.set_defaults(func=lambda args: _usage(parser))


def _usage(parser: argparse.ArgumentParser) -> int:
    parser.print_help()
    return 2


def print_banner(url: str, sandbox: Any, out: TextIO) -> None:
    """The base URL and, per environment, the demo credentials of the default app and tenant."""
    app = sandbox.default_app
    tenant = sandbox.default_tenant
    print(f"stnb sandbox listening on {url}", file=out)
    print(f"  token endpoint: POST {url}/connect/token", file=out)
    print(f"  API:            {url}/{{module}}/v2/tenant/{tenant.tenant_id}/...", file=out)
    print(
        f"DEMO credentials (sandbox only, not real secrets) for app {app.name!r}, tenant {tenant.name!r}:",
        file=out,
    )
    for env, creds in sandbox.credentials.items():
        print(f"  [{env}]", file=out)
        print(f"    app key:       {creds.app_key}", file=out)
        print(f"    client id:     {creds.client_id}", file=out)
        print(f"    client secret: {creds.client_secret}", file=out)
        print(f"    tenant id:     {creds.tenant_id}", file=out)
    print("Press Ctrl-C to stop.", file=out, flush=True)


def _serve(args: argparse.Namespace) -> int:
    from stnb.sandbox import FaultSpecError, Sandbox
    from stnb.sandbox.server import serve_in_thread

    try:
        sandbox = Sandbox(
            seed=args.seed,
            scale=args.scale,
            latency_ms=args.latency_ms,
            faults=args.faults,
            rate_limit=args.rate_limit,
        )
    except (FaultSpecError, ValueError) as exc:
        print(f"stnb sandbox serve: {exc}", file=sys.stderr)
        return 2
    try:
        handle = serve_in_thread(sandbox, host=args.host, port=args.port)
    except OSError as exc:
        print(
            f"stnb sandbox serve: cannot listen on {args.host}:{args.port}: {exc.strerror or exc}",
            file=sys.stderr,
        )
        return 1
    print_banner(handle.url, sandbox, sys.stdout)
    stop = threading.Event()
    # Handle SIGINT/SIGTERM explicitly: a shell may start us with SIGINT ignored.
    previous = {
        sig: signal.signal(sig, lambda _sig, _frame: stop.set()) for sig in (signal.SIGINT, signal.SIGTERM)
    }
    try:
        while not stop.wait(0.5):
            if not handle.running:
                print("stnb sandbox serve: the server stopped unexpectedly", file=sys.stderr)
                return 1
    finally:
        handle.stop()
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    return 0

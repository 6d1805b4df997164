"""`stnb sandbox serve`: the offline ServiceTitan over HTTP, with the demo credentials to use."""

from __future__ import annotations

import argparse
import os
import signal
import sys
import threading
from typing import Any, TextIO

from stnb.attempts import app_fingerprint
from stnb.cli.common import bounded_float, bounded_int
from stnb.config import mask_client_id

__all__ = ["print_banner", "register", "sandbox_from_args"]

_LIVE_BASE = 150.0  # stnb.sandbox.LIVE_LATENCY, repeated here so `stnb --help` does not import the sandbox
_LIVE_PER_RECORD = 0.4


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
        "--port",
        type=bounded_int(0, 65535),
        default=8765,
        help="port to bind, 0 for any free port (default 8765)",
    )
    serve.add_argument("--seed", type=int, default=0, help="world seed; also decides the demo credentials")
    serve.add_argument(
        "--scale",
        type=bounded_float(0, inclusive=False),
        default=1.0,
        help="data volume multiplier (default 1)",
    )
    serve.add_argument(
        "--latency-ms",
        type=bounded_float(0),
        default=None,
        help=f"base latency of every answer in ms (default {_LIVE_BASE:g}; 0 turns the latency model off)",
    )
    serve.add_argument(
        "--per-record-ms",
        type=bounded_float(0),
        default=None,
        help=f"latency added per record sent, in ms (default {_LIVE_PER_RECORD:g}, 0 with --latency-ms 0)",
    )
    serve.add_argument(
        "--quirks",
        default=None,
        metavar="SPEC",
        help="the live API's known deviations from its documents to reproduce: 'all' (default, or "
        "$STNB_SANDBOX_QUIRKS), 'none' (exactly what the documents say), 'id,id' or =-id (all but id)",
    )
    serve.add_argument(
        "--rate-limit",
        type=bounded_float(0),
        default=60.0,
        help="requests/s per app and tenant (default 60; 0: none)",
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
    """The base URL, the default app's demo credentials masked as elsewhere, and how to read them in full.

    Client secrets and app keys never appear in CLI output, not even the sandbox's: the demo identities
    derive from the seed, so Python can rebuild them (`Sandbox(seed=N).credentials`).
    """
    app = sandbox.default_app
    tenant = sandbox.default_tenant
    print(f"stnb sandbox listening on {url}", file=out)
    print(f"  token endpoint: POST {url}/connect/token (grant_type=client_credentials)", file=out)
    print(
        f"  API:            {url}/{{module}}/v2/tenant/{tenant.tenant_id}/... (header ST-App-Key)", file=out
    )
    print(
        f"Demo credentials of app {app.name!r} for tenant {tenant.name!r} (sandbox only; secrets not shown):",
        file=out,
    )
    for env, creds in sandbox.credentials.items():
        print(
            f"  [{env}] tenant id {creds.tenant_id}, client id {mask_client_id(creds.client_id)}, "
            f"app key {app_fingerprint(creds.app_key)} (fingerprint)",
            file=out,
        )
    seed = f"STNB_SANDBOX_SEED={sandbox.seed} " if sandbox.seed else ""
    print("Use it from another shell or process (stnb rebuilds the credentials from the seed):", file=out)
    print(f"  {seed}STNB_SANDBOX_URL={url} stnb pull jpm/jobs --sandbox --out jobs.parquet", file=out)
    with_seed = f" with {seed.strip()} set" if seed else ""
    print(f"  in Python: stnb.connect(sandbox={url!r}){with_seed}", file=out)
    print("To read them in full (they derive from the seed), in Python:", file=out)
    recipe = f"Sandbox(seed={sandbox.seed}).credentials['integration']"
    print(f"  from stnb.sandbox import Sandbox; creds = {recipe}", file=out)
    print("  # creds.client_id, creds.client_secret, creds.app_key, creds.tenant_id", file=out)
    print(f"Latency model: {sandbox.latency} (--latency-ms, --per-record-ms; --latency-ms 0: none)", file=out)
    print(f"Live API quirks: {sandbox.quirks.spec} (--quirks none: exactly what the documents say)", file=out)
    print("Press Ctrl-C to stop.", file=out, flush=True)


def sandbox_from_args(args: argparse.Namespace) -> Any:
    """The Sandbox `stnb sandbox serve` runs: the live latency model unless `--latency-ms 0`, every quirk
    unless `--quirks` (or STNB_SANDBOX_QUIRKS) says otherwise. Raises FaultSpecError / ValueError."""
    from stnb.sandbox import Sandbox
    from stnb.sandbox.quirks import ENV_VAR as QUIRKS_ENV_VAR

    base = _LIVE_BASE if args.latency_ms is None else args.latency_ms
    per_record = args.per_record_ms
    if per_record is None:
        per_record = 0.0 if base == 0 else _LIVE_PER_RECORD
    return Sandbox(
        seed=args.seed,
        scale=args.scale,
        latency_ms=base,
        per_record_ms=per_record,
        faults=args.faults,
        rate_limit=args.rate_limit,
        quirks=args.quirks or os.environ.get(QUIRKS_ENV_VAR) or None,
    )


def _serve(args: argparse.Namespace) -> int:
    from stnb.sandbox import FaultSpecError
    from stnb.sandbox.server import serve_in_thread

    try:
        sandbox = sandbox_from_args(args)
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

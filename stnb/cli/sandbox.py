"""`stnb sandbox serve`: the offline ServiceTitan over HTTP, with the demo credentials to use."""

from __future__ import annotations

import argparse
import os
import signal
import sys
import threading
from typing import Any, TextIO

from stnb._attempts import app_fingerprint
from stnb._config import mask_client_id
from stnb._text import plural
from stnb.cli.common import bounded_float, bounded_int

__all__ = ["print_banner", "register", "sandbox_from_args"]

_LIVE_BASE = 150.0  # stnb.sandbox.LIVE_LATENCY, repeated here so `stnb --help` does not import the sandbox
_LIVE_PER_RECORD = 0.4


def register(subparsers: argparse._SubParsersAction[Any]) -> None:
    """Add `stnb sandbox serve` and `stnb sandbox record`."""
    parser = subparsers.add_parser("sandbox", help="run the offline ServiceTitan sandbox")
    commands = parser.add_subparsers(dest="sandbox_command", metavar="COMMAND")
    serve = commands.add_parser(
        "serve",
        help="serve the sandbox over HTTP until Ctrl-C (needs the serve extra)",
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
    serve.add_argument(
        "--snapshot",
        default=None,
        metavar="PATH",
        help="serve a snapshot written by `stnb sandbox record` instead of the demo world",
    )
    serve.set_defaults(func=_serve)
    _register_record(commands)
    parser.set_defaults(func=lambda args: _usage(parser))


def _register_record(commands: argparse._SubParsersAction[Any]) -> None:
    from stnb.cli.common import add_connection_arguments

    rec = commands.add_parser(
        "record",
        help="take a scrubbed snapshot of a real tenant, to serve offline",
        description="Pull a bounded sample of each list and export resource (relations kept: a sampled job "
        "brings its customer, location and invoices), scrub personal data deterministically, and write a "
        "snapshot folder that `stnb sandbox serve --snapshot` and stnb.connect(sandbox=PATH) serve.",
    )
    add_connection_arguments(rec)
    rec.add_argument(
        "--resources", help="comma list of catalog names (default: every list and export resource)"
    )
    rec.add_argument(
        "--max-records", type=bounded_int(1), default=5000, help="records per resource at most (default 5000)"
    )
    rec.add_argument("--out", help="the snapshot folder to write, e.g. acme.stnb")
    rec.add_argument("--overwrite", action="store_true", help="replace an existing snapshot at --out")
    rec.add_argument(
        "--scrub",
        action="append",
        default=[],
        metavar="FIELD=KIND",
        help="also scrub this field (a name such as gateCode, or a path such as site.code) with KIND: "
        "person, company, email, phone, street, text or value; repeatable",
    )
    rec.add_argument("--show-scrub", action="store_true", help="print the scrub rules and exit")
    rec.add_argument(
        "--reports",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="record the Reporting API: categories, descriptions, value sets and one data run of each of "
        "--max-reports reports (default: when recording every resource)",
    )
    rec.add_argument(
        "--capacity",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="record one capacity answer for the next 7 days (default: when recording every resource)",
    )
    rec.add_argument(
        "--max-reports", type=bounded_int(0), default=10, help="reports to describe and run (default 10)"
    )
    rec.add_argument(
        "--budget",
        type=bounded_int(1),
        default=None,
        help="requests at most (default: no limit); when spent, the snapshot holds what was recorded and "
        "lists the rest as not recorded",
    )
    rec.add_argument(
        "--max-parents",
        type=bounded_int(0),
        default=10,
        help="parents to record each sub-list under, such as a customer's contacts (default 10)",
    )
    deviations = rec.add_mutually_exclusive_group()
    deviations.add_argument(
        "--quirks",
        default=None,
        metavar="SPEC",
        help="the known deviations the snapshot reproduces when served: 'all' (default), 'none', 'id,id'",
    )
    deviations.add_argument(
        "--quirks-from",
        default=None,
        metavar="CHECK_JSON",
        help="reproduce what a check observed: the output of `stnb check --json` (confirmed deviations "
        "on, contradicted ones off, ones it could not see on)",
    )
    deviations.add_argument(
        "--check",
        action="store_true",
        help="run `stnb check` first (read-only, --check-budget requests) and reproduce what it observed",
    )
    rec.add_argument(
        "--check-budget",
        type=bounded_int(1),
        default=200,
        help="requests the --check may send (default 200)",
    )
    rec.add_argument("--no-progress", action="store_true", help="no progress bar")
    rec.set_defaults(func=_record)


def _record(args: argparse.Namespace) -> int:
    from stnb._connect import connect
    from stnb._snapshot import DEFAULT_RULES, parse_rule, record
    from stnb.cli.common import connection_options

    try:
        extra = [parse_rule(text) for text in args.scrub]
    except ValueError as exc:
        print(f"stnb sandbox record: {exc}", file=sys.stderr)
        return 2
    if args.show_scrub:
        print("field\tkind")
        for rule in (*DEFAULT_RULES, *extra):
            print(f"{rule.field}\t{rule.kind}")
        return 0
    if not args.out:
        print("stnb sandbox record: --out is required (the snapshot folder to write)", file=sys.stderr)
        return 2
    quirks: Any = args.quirks or "all"
    if args.quirks_from:
        from stnb._snapshot import observed_quirks

        try:
            quirks = observed_quirks(args.quirks_from)
        except ValueError as exc:
            print(f"stnb sandbox record: --quirks-from: {exc}", file=sys.stderr)
            return 2
    conn = connect(progress=False, **connection_options(args))
    try:
        if args.check:
            from stnb._check import check
            from stnb._snapshot import observed_quirks

            result = check(
                conn, budget=args.check_budget, reference=False, progress=False if args.no_progress else None
            )
            quirks = observed_quirks(result)
            print(f"{result.summary()}; reproducing: {quirks.spec}")
        summary = record(
            conn,
            args.out,
            args.resources,
            max_records=args.max_records,
            scrub=extra,
            quirks=quirks,
            overwrite=args.overwrite,
            progress=False if args.no_progress else None,
            reports=args.reports,
            capacity=args.capacity,
            max_reports=args.max_reports,
            max_parents=args.max_parents,
            budget=args.budget,
        )
    except (FileExistsError, ValueError) as exc:
        print(f"stnb sandbox record: {exc}", file=sys.stderr)
        return 2
    finally:
        conn.close()
    total = sum(n for kinds in summary.rows.values() for n in kinds.values())
    print(
        f"wrote {summary.path}: {plural(total, 'record')} of {plural(len(summary.rows), 'resource')} "
        f"in {plural(summary.requests, 'request')}; "
        f"{plural(summary.scrubbed, 'personal value')} scrubbed"
    )
    if summary.reports or summary.capacity_frames:
        print(
            f"reporting: {summary.reports} reports described, {summary.report_runs} data runs; "
            f"capacity: {summary.capacity_frames} time frames"
        )
    if summary.stopped:
        print(f"partial: {summary.stopped}", file=sys.stderr)
    if summary.not_recorded:
        print(f"not recorded ({len(summary.not_recorded)}; listed in the manifest's not_recorded):")
        for item in summary.not_recorded[:10]:
            print(f"  {item['what']}: {item['reason']}")
    print(f"known deviations reproduced when served: {_read_quirks(summary.path)}")
    print(f"serve it: stnb sandbox serve --snapshot {summary.path}  (or STNB_SANDBOX={summary.path})")
    return 0


def _read_quirks(path: Any) -> str:
    """The quirks spec a snapshot's manifest holds."""
    from stnb.sandbox.snapshot import read_manifest

    return read_manifest(path).quirks


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
    if getattr(args, "snapshot", None):
        from stnb.sandbox.snapshot import snapshot_sandbox

        return snapshot_sandbox(
            args.snapshot,
            seed=args.seed,
            quirks=args.quirks or os.environ.get(QUIRKS_ENV_VAR) or None,
            latency_ms=base,
            per_record_ms=per_record,
            faults=args.faults,
            rate_limit=args.rate_limit,
        )
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
    from stnb.errors import require_extra

    require_extra("serve", "stnb sandbox serve")  # uvicorn; checked before the world is built
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

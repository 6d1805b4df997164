"""`stnb check`: the live API against its documents and the sandbox, read-only, within a request budget."""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path
from typing import Any

from stnb._text import plural
from stnb.cli.common import add_connection_arguments, bounded_int, connection_options

__all__ = ["register"]

log = logging.getLogger("stnb")


def register(subparsers: argparse._SubParsersAction[Any]) -> None:
    """Add `stnb check`."""
    parser = subparsers.add_parser(
        "check",
        help="measure the live API against its documents and the sandbox (read-only)",
        description="Measure the live API against its documents, its observed behaviour and the sandbox: "
        "read-only GET requests within a budget, paced, never retried. Exit code 0 when nothing new "
        "breaks a client (known deviations do not count), 1 otherwise.",
    )
    add_connection_arguments(parser, env_help="integration (default, or STNB_ENV) or production")
    parser.add_argument(
        "--resources", help="comma list of catalog names to check (default: all, most used first)"
    )
    parser.add_argument(
        "--budget", type=bounded_int(1), default=200, help="requests at most (default 200; at least 1)"
    )
    parser.add_argument("--out", help="write the self-contained HTML report here (e.g. check.html)")
    parser.add_argument("--json", action="store_true", help="print the findings as JSON on stdout")
    parser.add_argument("--no-progress", action="store_true", help="no progress bar")
    parser.set_defaults(func=_check)


def _check(args: argparse.Namespace) -> int:
    from stnb._connect import connect
    from stnb.pages.check_report import check

    conn = connect(progress=False, **connection_options(args))
    try:
        result = check(
            conn,
            budget=args.budget,
            resources=args.resources,
            usage=_usage_counts(conn),
            progress=False if args.no_progress else None,
        )
    finally:
        conn.close()
    if args.out:
        Path(args.out).write_text(result.to_html(), encoding="utf-8")
    if args.json:
        print(result.to_json())
    else:
        _print_text(result)
        if args.out:
            print(f"report: {args.out}")
    return result.exit_code


def _print_text(result: Any) -> None:
    print(result.summary())
    for row in result.findings.sort("severity", "resource").iter_rows(named=True):
        known = f" [known: {row['known']}]" if row["known"] else ""
        known += f" (note: {row['note']})" if row.get("note") else ""
        where = f"{row['resource']} {row['endpoint']}" + (f" {row['field']}" if row["field"] else "")
        print(
            f"  {row['severity']}: {where}: {row['check']}: documented {row['documented']}; "
            f"observed {row['observed']}{known}"
        )
    statuses = result.quirks.group_by("status").len().sort("status")
    print("known deviations: " + ", ".join(f"{n} {s}" for s, n in statuses.iter_rows()))
    if result.stopped:
        print(
            f"partial: {result.stopped}; {plural(result.unchecked.height, 'endpoint')} not checked",
            file=sys.stderr,
        )


def _usage_counts(conn: Any) -> dict[str, int] | None:
    """Calls per resource from the usage ledger (most used resources are checked first), if there is one."""
    try:
        from stnb.usage.ledger import read_ledger

        frame = read_ledger(include_sandbox=bool(conn.sandbox))
    except Exception as exc:  # no ledger, or an unreadable one: catalog order then
        log.debug("stnb check: no usage ledger to order resources by (%s)", exc)
        return None
    if frame.height == 0 or "endpoint" not in frame.columns:
        return None
    by_path = {}
    for resource in conn.catalog:
        for endpoint in (resource.list, resource.export):
            if endpoint is not None:
                by_path[endpoint.path] = resource.key
    counts: dict[str, int] = {}
    for template, n in frame.group_by("endpoint").len().iter_rows():
        key = by_path.get(str(template))
        if key is not None:
            counts[key] = counts.get(key, 0) + int(n)
    return counts

"""`stnb compare RESOURCE --a integration --b production [--filter k=v ...] [--out diff.html]`.

Also `stnb compare --all [--budget N] [--out sweep.html]`: one page of every list resource, unfiltered,
ordered by how much differs. Exit status: 0 when both sides answered, 1 for a partial result (a side
failed), 2 for bad input.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from stnb.catalog import UnknownResourceError
from stnb.cli.common import bounded_int, one_line
from stnb.errors import StnbError

if TYPE_CHECKING:  # polars loads when a command runs, not for `stnb --help`
    import polars as pl

__all__ = ["register"]


def register(subparsers: argparse._SubParsersAction[Any]) -> None:
    """Add `stnb compare`."""
    parser = subparsers.add_parser(
        "compare",
        help="compare one resource (or, with --all, every list resource) between two environments",
        description="Ask two environments the same question and explain what differs.",
    )
    parser.add_argument("resource", nargs="?", help="catalog name, e.g. crm/customers or jobs")
    parser.add_argument(
        "--a",
        default="integration",
        help="side a: ENV, PROFILE.ENV or PROFILE.ENV.TENANT (default integration)",
    )
    parser.add_argument("--b", default="production", help="side b, as --a (default production)")
    parser.add_argument(
        "--filter",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="a filter applied on both sides, repeatable (active defaults to any)",
    )
    parser.add_argument(
        "--method",
        choices=("auto", "list", "export", "sample"),
        help="how records are read: auto (default: the full list up to --threshold records per side, "
        "else the export feed, else sampled pages), list, export or sample",
    )
    parser.add_argument(
        "--threshold",
        type=bounded_int(0),
        metavar="N",
        help="records per side above which the list is not read in full",
    )
    parser.add_argument(
        "--out", type=Path, help="also write an HTML page (tables and charts; with --all the sweep table)"
    )
    parser.add_argument(
        "--all",
        action="store_true",
        help="sweep every list resource (or just RESOURCE), first page each, unfiltered",
    )
    parser.add_argument(
        "--budget",
        type=bounded_int(1),
        default=None,  # the sweep's own default; importing it here would load polars for `stnb --help`
        metavar="N",
        help="with --all: requests allowed in total (default: stnb._compare.sweep.DEFAULT_BUDGET, 300)",
    )
    parser.add_argument(
        "--sandbox",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="force (--sandbox) or forbid (--no-sandbox) the built-in sandbox for both sides",
    )
    parser.set_defaults(func=run)


def _parse_filters(pairs: Sequence[str]) -> dict[str, str]:
    parsed: dict[str, str] = {}
    for pair in pairs:
        name, sep, value = pair.partition("=")
        if not sep or not name.strip():
            raise ValueError(f"--filter {pair!r} is not NAME=VALUE")
        parsed[name.strip()] = value.strip()
    return parsed


def run(args: argparse.Namespace) -> int:
    """Run the comparison (or the sweep) and print a compact text summary."""
    if args.all:
        return _run_all(args)
    from stnb.pages.comparison import compare  # heavy imports only when the command runs

    if not args.resource:
        return _fail("give a RESOURCE, or --all")
    extra: dict[str, Any] = {} if args.threshold is None else {"threshold": args.threshold}
    if args.method is not None:
        extra["method"] = args.method
    try:
        filters: dict[str, Any] = _parse_filters(args.filter)
        cmp = compare(args.resource, args.a, args.b, connect_options=_options(args), **extra, **filters)
    except (StnbError, UnknownResourceError, ValueError) as exc:
        return _fail(str(exc))
    print(repr(cmp))
    if args.out is not None:
        print(f"wrote {cmp.to_html(args.out)}")
    return 0 if cmp.ok else 1


def _run_all(args: argparse.Namespace) -> int:
    from stnb._compare import compare_all
    from stnb._compare.sweep import DEFAULT_BUDGET
    from stnb.pages.comparison import write_sweep_html

    ignored = [
        option
        for option, given in (
            ("--filter", args.filter),
            ("--method", args.method is not None),
            ("--threshold", args.threshold is not None),
        )
        if given
    ]
    if ignored:
        return _fail(
            f"{', '.join(ignored)} cannot be combined with --all, which reads the first page of each "
            "resource unfiltered; compare one RESOURCE without --all to use them"
        )
    resources = [args.resource] if args.resource else None
    try:
        budget = DEFAULT_BUDGET if args.budget is None else args.budget
        sweep = compare_all(args.a, args.b, resources, budget, connect_options=_options(args))
    except (StnbError, UnknownResourceError, ValueError) as exc:
        return _fail(str(exc))
    print(_sweep_text(sweep))
    if args.out is not None:
        title = f"{args.resource or 'every list resource'}: a = {args.a} vs b = {args.b} · first page each"
        print(f"wrote {write_sweep_html(sweep, args.out, title=title)}")
    return 0


def _options(args: argparse.Namespace) -> dict[str, Any]:
    return {} if args.sandbox is None else {"sandbox": args.sandbox}


def _sweep_text(sweep: pl.DataFrame) -> str:
    def cell(value: Any) -> str:
        if value is None:
            return ""
        return ", ".join(value) if isinstance(value, list) else str(value)

    columns = [
        "resource",
        "status_a",
        "status_b",
        "count_a",
        "count_b",
        "fields_only_a",
        "fields_only_b",
        "new_values_a",
        "new_values_b",
        "changed",
        "scope_problem",
        "note",
    ]
    rows = [columns] + [[cell(r[c]) for c in columns] for r in sweep.iter_rows(named=True)]
    widths = [max(len(r[i]) for r in rows) for i in range(len(columns))]
    return "\n".join("  ".join(v.ljust(w) for v, w in zip(r, widths, strict=True)).rstrip() for r in rows)


def _fail(message: str) -> int:
    print(f"stnb compare: error: {one_line(message)}", file=sys.stderr)
    return 2

"""`stnb report list|describe|run`: the Reporting API from the shell.

`run` validates parameters against the report's description before sending, waits for the
one-run-per-minute limit instead of failing, and writes Parquet or CSV by the file's extension.
Output carries report metadata and data only; credentials are never printed.
"""

from __future__ import annotations

import argparse
import difflib
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

from stnb._text import plural
from stnb.cli.common import (
    MAX_PAGE_SIZE,
    add_connection_arguments,
    bounded_int,
    connection_options,
    one_line,
)
from stnb.errors import NotFound, StnbError
from stnb.tenant_time import PRESETS, preset_days

if TYPE_CHECKING:
    from stnb._clock import Clock
    from stnb.reports import ReportDescription, Reports

__all__ = ["describe_report", "list_reports", "register", "run_report"]

_LISTED_REPORTS = 20  # report ids named when an id is not found; `report list` shows them all


def register(subparsers: argparse._SubParsersAction[Any]) -> None:
    """Add `report list`, `report describe` and `report run`."""
    report = subparsers.add_parser("report", help="discover, describe and run ServiceTitan reports")
    commands = report.add_subparsers(dest="report_command", metavar="COMMAND")
    report.set_defaults(func=lambda args: _usage(report))

    listing = commands.add_parser("list", help="report categories and their reports")
    listing.add_argument("category", nargs="?", help="only this category (e.g. operations)")
    add_connection_arguments(listing)
    listing.set_defaults(func=lambda a: list_reports(a.category, **connection_options(a)))

    describe = commands.add_parser("describe", help="a report's parameters and fields")
    _add_report_arguments(describe)
    add_connection_arguments(describe)
    describe.set_defaults(func=lambda a: describe_report(a.category, a.report_id, **connection_options(a)))

    run = commands.add_parser("run", help="run a report into a Parquet or CSV file")
    _add_report_arguments(run)
    run.add_argument(
        "-p",
        "--param",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="a report parameter, repeatable (e.g. -p From=2026-01-01 -p To=2026-01-31); "
        "list parameters take comma-separated values",
    )
    run.add_argument(
        "--period",
        type=_period,
        help=f"fill From/To with a tenant-local preset: {', '.join(PRESETS)} or last_N_days",
    )
    run.add_argument(
        "--page-size",
        type=bounded_int(1, MAX_PAGE_SIZE),
        metavar="N",
        help=f"rows per page (1 to {MAX_PAGE_SIZE}; each page counts as a run)",
    )
    run.add_argument("--out", type=Path, help="FILE.parquet or FILE.csv (without it the rows are printed)")
    add_connection_arguments(run)
    run.set_defaults(
        func=lambda a: run_report(
            a.category,
            a.report_id,
            a.param,
            out_path=a.out,
            period=a.period,
            page_size=a.page_size,
            **connection_options(a),
        )
    )


def _add_report_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "category", help="report category id, e.g. operations (`stnb report list` shows them)"
    )
    parser.add_argument("report_id", metavar="ID", help="report id within the category, e.g. 162")


def _period(text: str) -> str:
    """`--period` checked before connecting (any zone will do: only the name is validated)."""
    try:
        preset_days(text, "UTC")
    except (ValueError, StnbError) as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None
    return text


def list_reports(
    category: str | None = None,
    *,
    env: str | None = None,
    profile: str | None = None,
    tenant: str | None = None,
    sandbox: Any = None,
    transport: Any = None,
    clock: Clock | None = None,
    out: TextIO | None = None,
) -> int:
    """Print report categories with their reports (or one category's); returns the exit code."""
    out = out or sys.stdout
    try:
        with _connect(env, profile, tenant, sandbox, transport, clock) as st:
            reports = _reports(st)
            categories = [c for c in reports.categories() if category is None or c.id == category]
            if category is not None and not categories:
                known = ", ".join(c.id for c in reports.categories())
                return _fail(f"unknown report category {category!r}; categories: {known}")
            rows = [("CATEGORY", "ID", "NAME")]
            for found in categories:
                rows += [(found.id, str(r.id), r.name) for r in reports.list(found.id)]
            _where(st, out)
    except StnbError as exc:
        return _fail(str(exc))
    widths = [max(len(row[i]) for row in rows) for i in range(2)]
    for row in rows:
        print(f"{row[0]:<{widths[0]}}  {row[1]:>{widths[1]}}  {row[2]}", file=out)
    print(
        f"{plural(len(rows) - 1, 'report')} in {plural(len(categories), 'category', 'categories')}",
        file=out,
    )
    return 0


def describe_report(
    category: str,
    report_id: str,
    *,
    env: str | None = None,
    profile: str | None = None,
    tenant: str | None = None,
    sandbox: Any = None,
    transport: Any = None,
    clock: Clock | None = None,
    out: TextIO | None = None,
) -> int:
    """Print a report's parameters (types, required, choices) and fields; returns the exit code."""
    from stnb.reports.validation import describe_choices

    out = out or sys.stdout
    try:
        with _connect(env, profile, tenant, sandbox, transport, clock) as st:
            description = _describe(_reports(st), category, report_id)
            _where(st, out)
    except StnbError as exc:
        return _fail(str(exc))
    print(f"{description.id} {description.name} ({description.category})", file=out)
    if description.description:
        print(description.description, file=out)
    print("\nParameters:", file=out)
    width = max([len(p.name) for p in description.parameters] + [4])
    for p in description.parameters:
        notes = ["required" if p.is_required else "optional"]
        if p.choices is not None:
            notes.append(f"choices: {describe_choices(p.choices, limit=10)}")
        elif p.dynamic_set_id is not None:
            notes.append(f"values from dynamic set {p.dynamic_set_id!r} (unavailable)")
        print(f"  {p.name:<{width}}  {p.type_text:<9} {'; '.join(notes)}", file=out)
    if not description.parameters:
        print("  none", file=out)
    print("\nFields:", file=out)
    width = max([len(f.name) for f in description.fields] + [4])
    for f in description.fields:
        print(f"  {f.name:<{width}}  {f.data_type:<8} {f.label}", file=out)
    return 0


def run_report(
    category: str,
    report_id: str,
    params: Sequence[str] = (),
    *,
    out_path: Path | None = None,
    period: str | None = None,
    page_size: int | None = None,
    env: str | None = None,
    profile: str | None = None,
    tenant: str | None = None,
    sandbox: Any = None,
    transport: Any = None,
    clock: Clock | None = None,
    out: TextIO | None = None,
) -> int:
    """Run a report and write it to `out_path` (.parquet or .csv) or print it; returns the exit code."""
    import polars as pl

    out = out or sys.stdout
    if out_path is not None and out_path.suffix.lower() not in (".parquet", ".csv"):
        return _fail(f"--out must end in .parquet or .csv, got {out_path.name}")
    try:
        with _connect(env, profile, tenant, sandbox, transport, clock) as st:
            reports = _reports(st)
            description = _describe(reports, category, report_id)
            values = _parse_params(params, description)
            started = time.perf_counter()
            frame = reports.run(category, description.id, page_size=page_size, period=period, **values)
            elapsed = time.perf_counter() - started
            info = reports.last_run
    except StnbError as exc:
        return _fail(str(exc))
    assert info is not None
    where = f"{info.env} tenant {info.tenant}" + (" (sandbox)" if info.sandbox else "")
    summary = (
        f"{plural(frame.height, 'row')} x {plural(frame.width, 'column')} of report {info.report_id} "
        f"({info.name}) from {where}, {plural(info.pages, 'page')}, "
        f"waited {info.waited:.0f} s for the report limit, {elapsed:.1f} s"
    )
    if out_path is None:
        with pl.Config(tbl_rows=50, tbl_cols=20, tbl_width_chars=160):
            print(frame, file=out)
        print(summary, file=out)
        return 0
    if out_path.suffix.lower() == ".csv":
        frame.write_csv(out_path)
    else:
        frame.write_parquet(out_path)
    print(f"wrote {summary} to {out_path}", file=out)
    return 0


def _describe(reports: Reports, category: str, report_id: str) -> ReportDescription:
    """`reports.describe`, with a 404 explained by the listing: which categories or report ids exist."""
    try:
        return reports.describe(category, report_id)
    except NotFound as exc:
        raise StnbError(_not_found(reports, category, report_id)) from exc


def _not_found(reports: Reports, category: str, report_id: str) -> str:
    categories = [c.id for c in reports.categories()]
    if category not in categories:
        close = difflib.get_close_matches(category, categories, n=1, cutoff=0.6)
        hint = f"did you mean {close[0]!r}? " if close else ""
        return f"unknown report category {category!r}; {hint}categories: {', '.join(categories)}"
    known = reports.list(category)
    listed = ", ".join(f"{r.id} ({r.name})" for r in known[:_LISTED_REPORTS])
    more = f" and {len(known) - _LISTED_REPORTS} more" if len(known) > _LISTED_REPORTS else ""
    return (
        f"category {category!r} has no report {report_id}; its reports: {listed or 'none'}{more} "
        f"(`stnb report list {category}`)"
    )


def _parse_params(pairs: Sequence[str], description: ReportDescription) -> dict[str, Any]:
    """NAME=VALUE pairs; values of list parameters split on commas (validation happens in `run`)."""
    values: dict[str, Any] = {}
    for pair in pairs:
        name, sep, value = pair.partition("=")
        if not sep or not name.strip():
            raise StnbError(f"-p {pair!r} is not NAME=VALUE")
        name = name.strip()
        parameter = description.parameter(name) or next(
            (p for p in description.parameters if p.name.lower() == name.lower()), None
        )
        if parameter is not None and parameter.is_array:
            values[name] = [item.strip() for item in value.split(",") if item.strip()]
        else:
            values[name] = value.strip()
    return values


def _connect(
    env: str | None,
    profile: str | None,
    tenant: str | None,
    sandbox: Any,
    transport: Any,
    clock: Clock | None,
) -> Any:
    import stnb

    return stnb.connect(env, profile, tenant, sandbox=sandbox, transport=transport, clock=clock)


def _reports(st: Any) -> Reports:
    from stnb.reports import Reports

    return Reports(st)


def _where(st: Any, out: TextIO) -> None:
    print(f"# {st.env} tenant {st.tenant}{' (sandbox)' if st.sandbox else ''}", file=out)


def _usage(parser: argparse.ArgumentParser) -> int:
    parser.print_help()
    return 2


def _fail(message: str) -> int:
    print(f"stnb report: error: {one_line(message)}", file=sys.stderr)
    return 1

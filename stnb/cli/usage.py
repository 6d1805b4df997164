"""`stnb usage ...`: inspect and export the attempt ledger, import portal reports, write the HTML report."""

from __future__ import annotations

import argparse
import sys
import tempfile
import warnings
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any

import polars as pl

__all__ = ["register"]


def _day(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"expected a date like 2026-06-01, got {text!r}") from exc


def _non_negative(text: str) -> int:
    try:
        value = int(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"expected a whole number of days, got {text!r}") from exc
    if value < 0:
        raise argparse.ArgumentTypeError(f"expected 0 or more days, got {value}")
    return value


def _moment(day: date | None) -> datetime | None:
    return None if day is None else datetime.combine(day, time(), tzinfo=UTC)


def _size(path: Path) -> str:
    size = float(path.stat().st_size)
    for unit in ("B", "KB", "MB", "GB"):
        if size < 1024 or unit == "GB":
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1024
    return f"{size:.1f} GB"


def _ledger(args: argparse.Namespace) -> int:
    from stnb.usage.ledger import export_ledger, read_ledger
    from stnb.usage.store import apply_retention, connect, ensure_schema, ledger_path

    path = ledger_path(args.path)
    if args.retention_days is not None:
        if not path.exists():
            print(f"no usage ledger at {path} (nothing has been recorded there yet)", file=sys.stderr)
            return 1
        conn = connect(path)
        try:
            ensure_schema(conn, path)
            deleted = apply_retention(conn, args.retention_days, datetime.now(UTC))
        finally:
            conn.close()
        print(f"deleted {deleted:,} attempts older than {args.retention_days} days")
    frame = read_ledger(path, since=_moment(args.since), until=_moment(args.until))
    print(f"ledger: {path} ({_size(path)})")
    if frame.height == 0:
        print("no attempts recorded" + (" in that range" if args.since or args.until else ""))
    else:
        first, last = frame["at"].min(), frame["at"].max()
        assert isinstance(first, datetime) and isinstance(last, datetime)
        print(f"{frame.height:,} attempts from {first:%Y-%m-%d %H:%M} to {last:%Y-%m-%d %H:%M} UTC")
        per_app = (
            frame.group_by(pl.coalesce("app_name", "app").alias("app"), "env")
            .agg(pl.len().alias("attempts"))
            .sort("attempts", descending=True)
        )
        for app, env, attempts in per_app.iter_rows():
            print(f"  {app} ({env}): {attempts:,}")
    if args.export:
        out = export_ledger(args.export, path, since=_moment(args.since), until=_moment(args.until))
        print(f"exported {frame.height:,} attempts to {out}")
    return 0


def _import(args: argparse.Namespace) -> int:
    from stnb.sandbox.portal import PACIFIC
    from stnb.usage.portal import PortalOverlapWarning, import_portal_reports

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", PortalOverlapWarning)
        frame = import_portal_reports(args.paths, on_overlap="error" if args.strict else "warn")
    for warning in caught:
        print(f"warning: {warning.message}", file=sys.stderr)
    days = frame.select(pl.col("start").dt.date().n_unique()).item()
    print(
        f"{frame['file'].n_unique():,} report files, {frame['app_id'].n_unique()} apps, "
        f"{days} days, {frame['calls'].sum():,} successful calls"
    )
    pacific = pl.col("start").dt.convert_time_zone(PACIFIC.key).dt.date()
    last_day = (pl.col("end") - timedelta(microseconds=1)).dt.convert_time_zone(PACIFIC.key).dt.date()
    summary = frame.group_by("app_name", "app_id").agg(
        pl.col("calls").sum(), pacific.min().alias("first"), last_day.max().alias("last")
    )
    for name, app_id, calls, first, last in summary.sort("calls", descending=True).iter_rows():
        print(f"  {name} ({app_id}): {calls:,} calls, Pacific days {first} to {last}")
    if args.out:
        out = Path(args.out)
        out.parent.mkdir(parents=True, exist_ok=True)
        frame.write_parquet(out)
        print(f"wrote {frame.height:,} rows to {out}")
    return 0


def _report(args: argparse.Namespace) -> int:
    from stnb.usage.demo import build_demo_usage
    from stnb.usage.report import ChromiumNotFound, build_report
    from stnb.usage.store import LedgerDisabled, ledger_path

    ledger: Path | None = Path(args.ledger) if args.ledger else None
    portal: Path | None = Path(args.portal) if args.portal else None
    if args.demo:
        folder = Path(args.demo_dir) if args.demo_dir else Path(tempfile.mkdtemp(prefix="stnb-demo-usage-"))
        demo = build_demo_usage(folder)
        print(f"demo usage for the sandbox's apps in {folder} (portal reports and a ledger, to {demo.end})")
        ledger = ledger or demo.ledger_path
        portal = portal or demo.portal_dir
    if ledger is None and portal is None:
        try:
            ledger = ledger_path()
        except LedgerDisabled:
            ledger = None
        if ledger is None or not ledger.exists():
            print(
                "error: nothing to report: no usage ledger has been recorded yet; pass --ledger PATH, "
                "--portal DIR, or --demo for the sandbox's demo usage",
                file=sys.stderr,
            )
            return 2
    report = build_report(ledger=ledger, portal=portal, start=args.start, end=args.end, apps=args.app)
    out = report.write_html(args.out)
    print(f"wrote {out} ({_size(out)}, {len(report.figures)} charts, opens offline)")
    if args.png:
        try:
            files = report.write_pngs(args.png)
        except ChromiumNotFound as exc:
            print(f"PNG images skipped: {exc}", file=sys.stderr)
            return 0
        print(f"wrote {len(files)} PNG images to {args.png}")
    return 0


def _guarded(func: Any) -> Any:
    """Turn the errors a user can cause into one clear line and exit code 1."""

    def run(args: argparse.Namespace) -> int:
        from stnb.usage.ledger import LedgerError
        from stnb.usage.portal import PortalReportError

        try:
            return int(func(args))
        except (LedgerError, PortalReportError, ValueError, OSError) as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 1

    return run


def register(subparsers: argparse._SubParsersAction[Any]) -> None:
    """Add `stnb usage ledger|import|report`."""
    usage = subparsers.add_parser(
        "usage", help="API usage: the attempt ledger, portal reports, the HTML report"
    )
    commands = usage.add_subparsers(dest="usage_command", metavar="SUBCOMMAND")
    usage.set_defaults(func=lambda _args: usage.print_help() or 2)

    ledger = commands.add_parser("ledger", help="summarise, trim or export the local attempt ledger")
    ledger.add_argument("--path", help="ledger file (default: $STNB_LEDGER or the platform data dir)")
    ledger.add_argument("--export", metavar="FILE.parquet", help="write the attempts to a Parquet file")
    ledger.add_argument(
        "--retention-days", type=_non_negative, metavar="N", help="delete attempts older than N days now"
    )
    ledger.add_argument("--since", type=_day, metavar="DATE", help="first UTC day to include")
    ledger.add_argument("--until", type=_day, metavar="DATE", help="first UTC day to leave out")
    ledger.set_defaults(func=_guarded(_ledger))

    portal = commands.add_parser("import", help="read the developer portal's API Usage Report CSVs")
    portal.add_argument("paths", nargs="+", metavar="DIR_OR_FILE", help="report files or folders")
    portal.add_argument("--out", metavar="FILE.parquet", help="write the imported rows to Parquet")
    portal.add_argument(
        "--strict", action="store_true", help="fail on overlapping reports instead of warning"
    )
    portal.set_defaults(func=_guarded(_import))

    report = commands.add_parser("report", help="write the self-contained HTML usage report")
    report.add_argument("--from", dest="start", type=_day, metavar="DATE", help="first day (UTC)")
    report.add_argument("--to", dest="end", type=_day, metavar="DATE", help="last day (UTC), inclusive")
    report.add_argument(
        "--app", action="append", metavar="NAME", help="only this app (name or id; repeatable)"
    )
    report.add_argument("--ledger", metavar="PATH", help="ledger file (default: the local ledger)")
    report.add_argument("--portal", metavar="DIR", help="folder (or file) of portal usage CSVs")
    report.add_argument("--demo", action="store_true", help="use the sandbox's demo usage (works offline)")
    report.add_argument(
        "--demo-dir", metavar="DIR", help="where --demo writes its files (default: a temp dir)"
    )
    report.add_argument("--out", required=True, metavar="usage.html", help="the HTML file to write")
    report.add_argument("--png", metavar="DIR", help="also write each chart as PNG (needs Chromium)")
    report.set_defaults(func=_guarded(_report))

"""`stnb usage ...`: inspect and export the attempt ledger, import portal reports, write the HTML report.

Attempts the built-in sandbox answered are left out of `ledger` and `report` (each says how many) unless
`--include-sandbox` is given. Errors print as `stnb usage SUBCOMMAND: error: MESSAGE`.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import warnings
from collections.abc import Callable
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any

from stnb._text import plural
from stnb.cli.common import one_line

__all__ = ["register"]


def _day(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"expected a date like 2026-06-01, got {text!r}") from exc


def _day_or_preset(end: int) -> Callable[[str], date]:
    """An argparse `type=`: a date like 2026-06-01, or a preset (`yesterday`, `last_7_days`...) whose
    first (`end=0`) or last (`end=1`) UTC day is taken, as `stnb report run --period` names them."""

    def parse(text: str) -> date:
        from stnb.errors import StnbError
        from stnb.tenant_time import preset_days

        try:
            return date.fromisoformat(text)
        except ValueError:
            pass
        try:
            return preset_days(text.strip(), "UTC")[end]
        except (StnbError, ValueError) as exc:
            message = one_line(exc).replace("preset: ", "")
            raise argparse.ArgumentTypeError(
                f"expected a date like 2026-06-01 or a preset; {message}"
            ) from None

    return parse


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


def _after(day: date | None) -> datetime | None:
    """The first moment after UTC day `day`: the exclusive bound that keeps the whole day."""
    return None if day is None else _moment(day + timedelta(days=1))


def _error(sub: str, message: str) -> None:
    print(f"stnb usage {sub}: error: {one_line(message)}", file=sys.stderr)


def _sandbox_note(left_out: int) -> str:
    return f"left out {left_out:,} sandbox attempts (demo traffic); --include-sandbox keeps them"


def _size(path: Path) -> str:
    size = float(path.stat().st_size)
    for unit in ("B", "KB", "MB", "GB"):
        if size < 1024 or unit == "GB":
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1024
    return f"{size:.1f} GB"


def _ledger(args: argparse.Namespace) -> int:
    import polars as pl  # loaded when the command runs, not for `stnb --help`

    from stnb.usage.ledger import dropped_attempts, load_ledger, write_parquet
    from stnb.usage.store import apply_retention, connect, ensure_schema, ledger_path

    path = ledger_path(args.path)
    if args.since and args.until and args.until < args.since:
        _error("ledger", f"--until {args.until} is before --since {args.since}")
        return 1
    if args.retention_days is not None:
        if not path.exists():
            _error("ledger", f"no usage ledger at {path} (nothing has been recorded there yet)")
            return 1
        conn = connect(path)
        try:
            ensure_schema(conn, path)
            deleted = apply_retention(conn, args.retention_days, datetime.now(UTC))
        finally:
            conn.close()
        print(f"deleted {deleted:,} attempts older than {args.retention_days} days")
    read = load_ledger(
        path, since=_moment(args.since), until=_after(args.until), include_sandbox=args.include_sandbox
    )
    frame = read.frame
    print(f"ledger: {path} ({_size(path)})")
    if frame.height == 0:
        nothing = "no attempts besides sandbox ones" if read.sandbox_left_out else "no attempts recorded"
        print(nothing + (" in that range" if args.since or args.until else ""))
    else:
        first, last = frame["at"].min(), frame["at"].max()
        assert isinstance(first, datetime) and isinstance(last, datetime)
        print(f"{plural(frame.height, 'attempt')} from {first:%Y-%m-%d %H:%M} to {last:%Y-%m-%d %H:%M} UTC")
        per_app = (
            frame.group_by(pl.coalesce("app_name", "app").alias("app"), "env", "sandbox")
            .agg(pl.len().alias("attempts"))
            .sort("attempts", descending=True)
        )
        for app, env, sandbox, attempts in per_app.iter_rows():
            print(f"  {app} ({env}{', sandbox' if sandbox else ''}): {attempts:,}")
    if read.sandbox_left_out:
        print(_sandbox_note(read.sandbox_left_out))
    dropped = dropped_attempts(path, since=_moment(args.since), until=_after(args.until))
    if dropped:
        print(
            f"dropped {dropped:,} attempts: recording fell behind and its queue was full, so the oldest "
            "queued attempts were not written (the counts above miss them)"
        )
    if args.export:
        out = write_parquet(frame, args.export)
        print(f"exported {plural(frame.height, 'attempt')} to {out}")
    return 0


def _import(args: argparse.Namespace) -> int:
    import polars as pl

    from stnb.catalog.portal import PACIFIC
    from stnb.usage.portal import PortalOverlapWarning, import_portal_reports

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", PortalOverlapWarning)
        frame = import_portal_reports(args.paths, on_overlap="error" if args.strict else "warn")
    for warning in caught:
        print(f"stnb usage import: warning: {warning.message}", file=sys.stderr)
    days = frame.select(pl.col("start").dt.date().n_unique()).item()
    print(
        f"{plural(frame['file'].n_unique(), 'report file')}, {plural(frame['app_id'].n_unique(), 'app')}, "
        f"{plural(days, 'day')}, {plural(int(frame['calls'].sum()), 'successful call')}"
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
        print(f"wrote {plural(frame.height, 'row')} to {out}")
    return 0


def _report(args: argparse.Namespace) -> int:
    if Path(args.out).suffix.lower() not in (".html", ".htm"):
        # Checked before any work: the report is HTML, whatever the name says.
        _error("report", f"--out must end in .html (the report is an HTML page), got {Path(args.out).name!r}")
        return 2
    if Path(args.out).is_dir():
        _error("report", f"--out {args.out} is a directory; give a file name ending in .html")
        return 2
    if args.png:
        from stnb.errors import require_extra

        require_extra("png", "stnb usage report --png")  # kaleido; the HTML report needs no extra
    if args.demo and not args.demo_dir:
        # About 16 MB per run: removed once the report is written (--demo-dir keeps the files).
        with tempfile.TemporaryDirectory(prefix="stnb-demo-usage-") as tmp:
            return _report_with(args, Path(tmp), kept=False)
    return _report_with(args, Path(args.demo_dir) if args.demo else None, kept=True)


def _report_with(args: argparse.Namespace, demo_dir: Path | None, *, kept: bool) -> int:
    ledger: Path | None = Path(args.ledger) if args.ledger else None
    portal: Path | None = Path(args.portal) if args.portal else None
    if demo_dir is not None:
        from stnb.sandbox.demo_usage import build_demo_usage

        demo = build_demo_usage(demo_dir)
        where = f"in {demo_dir}" if kept else "in a temporary folder, removed when done (--demo-dir keeps it)"
        print(f"demo usage for the sandbox's apps {where}: portal reports and a ledger, to {demo.end}")
        ledger = ledger or demo.ledger_path
        portal = portal or demo.portal_dir
    if ledger is None and portal is None:
        ledger = _default_ledger()
        if ledger is None:
            _error(
                "report",
                "nothing to report: no usage ledger has been recorded yet; pass --ledger PATH, "
                "--portal DIR, or --demo for the sandbox's demo usage",
            )
            return 2
    return _write_report(args, ledger, portal)


def _default_ledger() -> Path | None:
    """The local ledger file when it exists (None when recording is off or nothing was recorded)."""
    from stnb.usage.store import LedgerDisabled, ledger_path

    try:
        path = ledger_path()
    except LedgerDisabled:
        return None
    return path if path.exists() else None


def _write_report(args: argparse.Namespace, ledger: Path | None, portal: Path | None) -> int:
    from stnb.pages.usage_report import ChromiumNotFound, build_report

    report = build_report(
        ledger=ledger,
        portal=portal,
        start=args.start,
        end=args.end,
        apps=args.app,
        include_sandbox=args.include_sandbox,
    )
    if report.sandbox_left_out:
        print(_sandbox_note(report.sandbox_left_out))
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


def _guarded(sub: str, func: Callable[[argparse.Namespace], int]) -> Callable[[argparse.Namespace], int]:
    """Turn the errors a user can cause into one line `stnb usage SUB: error: ...` and exit code 1."""

    def run(args: argparse.Namespace) -> int:
        from stnb.errors import MissingExtra
        from stnb.usage.ledger import LedgerError
        from stnb.usage.portal import PortalReportError

        try:
            return int(func(args))
        except MissingExtra:  # a ValueError too, but its own line (and exit code) is the CLI's
            raise
        except (LedgerError, PortalReportError, ValueError, OSError) as exc:
            _error(sub, str(exc))
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
    ledger.add_argument(
        "--since",
        type=_day_or_preset(0),
        metavar="DATE",
        help="first UTC day to include: a date, or a preset such as yesterday or last_7_days (its first day)",
    )
    ledger.add_argument(
        "--until",
        type=_day_or_preset(1),
        metavar="DATE",
        help="last UTC day to include (inclusive, as report --to): a date or a preset (its last day)",
    )
    _add_include_sandbox(ledger)
    ledger.set_defaults(func=_guarded("ledger", _ledger))

    portal = commands.add_parser("import", help="read the developer portal's API Usage Report CSVs")
    portal.add_argument("paths", nargs="+", metavar="DIR_OR_FILE", help="report files or folders")
    portal.add_argument("--out", metavar="FILE.parquet", help="write the imported rows to Parquet")
    portal.add_argument(
        "--strict", action="store_true", help="fail on overlapping reports instead of warning"
    )
    portal.set_defaults(func=_guarded("import", _import))

    report = commands.add_parser("report", help="write the self-contained HTML usage report")
    report.add_argument("--from", dest="start", type=_day, metavar="DATE", help="first UTC day to include")
    report.add_argument(
        "--to", dest="end", type=_day, metavar="DATE", help="last UTC day to include (inclusive)"
    )
    report.add_argument(
        "--app", action="append", metavar="NAME", help="only this app (name or id; repeatable)"
    )
    report.add_argument("--ledger", metavar="PATH", help="ledger file (default: the local ledger)")
    report.add_argument("--portal", metavar="DIR", help="folder (or file) of portal usage CSVs")
    report.add_argument("--demo", action="store_true", help="use the sandbox's demo usage (works offline)")
    report.add_argument(
        "--demo-dir",
        metavar="DIR",
        help="where --demo writes its files, kept (default: a temporary folder, removed when done)",
    )
    report.add_argument("--out", required=True, metavar="usage.html", help="the HTML file to write")
    report.add_argument(
        "--png", metavar="DIR", help="also write each chart as PNG (needs the png extra and Chromium)"
    )
    _add_include_sandbox(report)
    report.set_defaults(func=_guarded("report", _report))


def _add_include_sandbox(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--include-sandbox",
        action="store_true",
        help="also count attempts the built-in sandbox answered (left out by default: demo traffic)",
    )

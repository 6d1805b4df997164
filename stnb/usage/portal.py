"""Import the developer portal's API Usage Report CSVs into one frame (a time series per app, tenant,
API and endpoint).

Each file holds successful production calls summed over its date range (see `stnb.catalog.portal` for
the format). A file covers [first bin, the Pacific midnight after its last bin), converted to UTC.

Overlaps, per app (never double counted):
- files with the same range are one download repeated: identical ones are deduplicated silently; when
  they differ, the one with more calls is kept (a later download is the more complete one) and a
  `PortalOverlapWarning` names both;
- a file whose range overlaps another range only partly, or contains it, cannot be split (it has one
  total per row), so ranges are taken shortest first and a file overlapping an already taken one is
  excluded with a warning naming both files. Daily files thus win over a monthly file covering them.
`on_overlap="error"` raises `PortalReportError` instead of warning.

A file with a header and no rows (or no bytes at all) is a valid zero: it contributes one row with
`calls = 0` and null tenant, API and endpoint, so its range counts as covered.
"""

from __future__ import annotations

import csv
import os
import re
import warnings
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from pathlib import Path
from typing import Literal

import polars as pl

from stnb.catalog.portal import API_NAMES, PACIFIC, PORTAL_HEADER
from stnb.usage.columns import PORTAL_SCHEMA

__all__ = [
    "PortalOverlapWarning",
    "PortalReportError",
    "ReportFileName",
    "import_portal_reports",
    "parse_report_file_name",
]

_METHODS = frozenset({"GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"})
_MODULE_BY_API = {name.lower(): slug for slug, name in API_NAMES.items()}
_NAME_RE = re.compile(r"^(?P<app>.*)_(?P<id>[^_]+)_(?P<first>\d{12})_(?P<last>\d{12})\.csv$", re.IGNORECASE)


class PortalReportError(ValueError):
    """A portal report that cannot be read; names the file and, for a bad row, the line (1-based)."""

    def __init__(self, file: str | Path, line: int | None, problem: str) -> None:
        self.file = str(file)
        self.line = line
        self.problem = problem
        where = f"{self.file}, line {line}" if line else self.file
        super().__init__(f"{where}: {problem}")


class PortalOverlapWarning(UserWarning):
    """Two portal reports cover overlapping ranges for one app; one of them was left out."""


@dataclass(frozen=True, slots=True)
class ReportFileName:
    """What a portal report's file name says: app, public id and the covered range."""

    app_name: str
    public_id: str
    first_bin: datetime  # Pacific wall time, naive, as in the name
    last_bin: datetime
    start: datetime  # UTC, inclusive
    end: datetime  # UTC, exclusive


def _bin(text: str, file: str) -> datetime:
    try:
        return datetime.strptime(text, "%Y%m%d%H%M")
    except ValueError as exc:
        raise PortalReportError(file, None, f"{text!r} in the file name is not a yyyyMMddHHmm time") from exc


def _pacific_to_utc(wall: datetime) -> datetime:
    return wall.replace(tzinfo=PACIFIC).astimezone(UTC)


def parse_report_file_name(name: str | Path) -> ReportFileName:
    """Parse `<AppName>_<AppPublicId>_<yyyyMMddHHmm>_<yyyyMMddHHmm>.csv` (the app name may hold `_`)."""
    base = Path(name).name
    match = _NAME_RE.match(base)
    if match is None:
        raise PortalReportError(
            base, None, "the name is not <AppName>_<AppPublicId>_<yyyyMMddHHmm>_<yyyyMMddHHmm>.csv"
        )
    first, last = _bin(match["first"], base), _bin(match["last"], base)
    if last < first:
        problem = f"its last bin {match['last']} is before its first bin {match['first']}"
        raise PortalReportError(base, None, problem)
    next_midnight = datetime.combine(last.date() + timedelta(days=1), time(0, 0))
    return ReportFileName(
        app_name=match["app"],
        public_id=match["id"],
        first_bin=first,
        last_bin=last,
        start=_pacific_to_utc(first),
        end=_pacific_to_utc(next_midnight),
    )


@dataclass(frozen=True, slots=True)
class _Report:
    path: Path
    name: ReportFileName
    rows: tuple[tuple[str, str, str, str, str, int], ...]  # tenant id, tenant name, api, method, endpoint, n

    @property
    def total(self) -> int:
        return sum(r[5] for r in self.rows)


def _split_row(line: str) -> list[str]:
    return next(csv.reader([line], skipinitialspace=False))


def _parse_row(fields: list[str], file: str, line: int, app_id: str) -> tuple[str, str, str, str, str, int]:
    if len(fields) < len(PORTAL_HEADER):
        raise PortalReportError(file, line, f"expected {len(PORTAL_HEADER)} columns, found {len(fields)}")
    # The portal does not quote values: a comma inside a tenant name shows up as extra columns.
    row_app, tenant_name = fields[0].strip(), ",".join(fields[1:-5]).strip()
    tenant_id, api, method, endpoint, calls = (f.strip() for f in fields[-5:])
    if row_app != app_id:
        problem = f"App ID {row_app!r} does not match the file name's app id {app_id!r}"
        raise PortalReportError(file, line, problem)
    if not tenant_id.isdigit():
        raise PortalReportError(file, line, f"Tenant ID {tenant_id!r} is not a number")
    if not api:
        raise PortalReportError(file, line, "API Name is empty")
    if method.upper() not in _METHODS:
        raise PortalReportError(file, line, f"HTTP Method {method!r} is not an HTTP method")
    if not endpoint.startswith("/"):
        raise PortalReportError(file, line, f"Endpoint Name {endpoint!r} does not start with '/'")
    if not calls.isdigit():
        raise PortalReportError(file, line, f"Successful Calls {calls!r} is not a whole number >= 0")
    return tenant_id, tenant_name, api, method.upper(), endpoint, int(calls)


def _read_report(path: Path) -> _Report:
    file = str(path)
    name = parse_report_file_name(path)
    try:
        text = path.read_bytes().decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise PortalReportError(file, None, f"not UTF-8 text ({exc.reason} at byte {exc.start})") from exc
    except OSError as exc:
        raise PortalReportError(file, None, f"cannot read it: {exc.strerror or exc}") from exc
    lines = text.splitlines()
    if not "".join(lines).strip():
        return _Report(path, name, ())
    header = [h.strip().strip('"') for h in lines[0].split(",")]
    if tuple(header) != PORTAL_HEADER:
        raise PortalReportError(file, 1, f"expected the header {','.join(PORTAL_HEADER)!r}, got {lines[0]!r}")
    rows = []
    seen: dict[tuple[str, str, str, str], int] = {}
    for number, line in enumerate(lines[1:], start=2):
        if not line.strip():
            continue
        row = _parse_row(_split_row(line), file, number, name.public_id)
        key = (row[0], row[2], row[3], row[4])
        if key in seen:
            problem = f"a second row for {key} (the first is on line {seen[key]})"
            raise PortalReportError(file, number, problem)
        seen[key] = number
        rows.append(row)
    return _Report(path, name, tuple(rows))


def _expand(paths: str | os.PathLike[str] | Iterable[str | os.PathLike[str]]) -> list[Path]:
    items = [paths] if isinstance(paths, (str, os.PathLike)) else list(paths)
    files: list[Path] = []
    for item in items:
        path = Path(item)
        if path.is_dir():
            found = sorted(p for p in path.rglob("*") if p.is_file() and p.suffix.lower() == ".csv")
            if not found:
                raise PortalReportError(path, None, "the folder holds no .csv portal reports")
            files.extend(found)
        elif path.is_file():
            files.append(path)
        else:
            raise PortalReportError(path, None, "no such file or folder")
    return list(dict.fromkeys(files))


def _overlap(kept: _Report, dropped: _Report, why: str, on_overlap: Literal["warn", "error"]) -> None:
    message = f"{dropped.path.name} overlaps {kept.path.name} ({why}); using {kept.path.name} only"
    if on_overlap == "error":
        raise PortalReportError(dropped.path, None, message)
    warnings.warn(message, PortalOverlapWarning, stacklevel=4)


def _resolve_overlaps(reports: Sequence[_Report], on_overlap: Literal["warn", "error"]) -> list[_Report]:
    by_app: dict[str, list[_Report]] = {}
    for report in reports:
        by_app.setdefault(report.name.public_id, []).append(report)
    accepted: list[_Report] = []
    for app_reports in by_app.values():
        by_range: dict[tuple[datetime, datetime], _Report] = {}
        for report in sorted(app_reports, key=lambda r: r.path.name):
            span = (report.name.start, report.name.end)
            other = by_range.get(span)
            if other is None:
                by_range[span] = report
            elif set(other.rows) != set(report.rows):
                keep, drop = (report, other) if report.total > other.total else (other, report)
                by_range[span] = keep
                _overlap(keep, drop, "same range, different counts; kept the one with more calls", on_overlap)
        taken: list[_Report] = []
        for report in sorted(by_range.values(), key=lambda r: (r.name.end - r.name.start, r.name.start)):
            clash = next(
                (t for t in taken if t.name.start < report.name.end and report.name.start < t.name.end), None
            )
            if clash is None:
                taken.append(report)
            else:
                _overlap(clash, report, "partly covered by a shorter range", on_overlap)
        accepted.extend(taken)
    return accepted


def _frame(reports: Sequence[_Report]) -> pl.DataFrame:
    columns: dict[str, list[object]] = {name: [] for name in PORTAL_SCHEMA}
    for report in reports:
        rows: Iterable[tuple[str | None, str | None, str | None, str | None, str | None, int]] = report.rows
        if not report.rows:
            rows = [(None, None, None, None, None, 0)]
        for tenant_id, tenant_name, api, method, endpoint, calls in rows:
            columns["app_id"].append(report.name.public_id)
            columns["app_name"].append(report.name.app_name)
            columns["tenant_id"].append(tenant_id)
            columns["tenant_name"].append(tenant_name)
            columns["api"].append(api)
            columns["module"].append(_MODULE_BY_API.get(api.lower()) if api else None)
            columns["method"].append(method)
            columns["endpoint"].append(endpoint)
            columns["start"].append(report.name.start)
            columns["end"].append(report.name.end)
            columns["calls"].append(calls)
            columns["file"].append(report.path.name)
    frame = pl.DataFrame(columns, schema=PORTAL_SCHEMA)
    return frame.sort(["app_id", "tenant_id", "api", "endpoint", "method", "start"], nulls_last=True)


def import_portal_reports(
    paths: str | os.PathLike[str] | Iterable[str | os.PathLike[str]],
    *,
    on_overlap: Literal["warn", "error"] = "warn",
) -> pl.DataFrame:
    """Read portal usage CSVs (files and/or folders, searched recursively) into one frame.

    Columns: `stnb.usage.columns.PORTAL_SCHEMA` (app_id, app_name, tenant_id, tenant_name, api, module,
    method, endpoint, start, end, calls, file), one row per (file, tenant, endpoint), start/end in UTC.
    Raises `PortalReportError` naming the file (and line) of anything malformed.
    """
    if on_overlap not in ("warn", "error"):
        raise ValueError(f"on_overlap must be 'warn' or 'error', got {on_overlap!r}")
    reports = [_read_report(path) for path in _expand(paths)]
    return _frame(_resolve_overlaps(reports, on_overlap))

"""Backfill: one report run per date window, joined into one frame, resumable from a checkpoint.

A checkpoint is a directory: `manifest.json` (what is being backfilled, and which windows are done)
plus one Parquet file per finished window, each written atomically (temporary file, then rename), so
an interrupted backfill loses at most the window it was running. Resuming with different arguments
(another report, environment, tenant, parameters or step) is refused rather than mixing results.
"""

from __future__ import annotations

import calendar
import json
import os
import re
import tempfile
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

import polars as pl

from stnb._progress import Progress, ProgressSink, open_progress
from stnb.errors import InvalidRequest, StnbError

if TYPE_CHECKING:
    from stnb.reports.client import Reports

__all__ = ["BackfillCheckpointError", "Window", "run_backfill", "windows"]

MANIFEST = "manifest.json"
PERIOD_START = "period_start"
PERIOD_END = "period_end"
_STEP = re.compile(r"(\d+)\s*([dwm])")


class BackfillCheckpointError(StnbError):
    """A checkpoint directory belongs to another backfill, or cannot be read."""


@dataclass(frozen=True)
class Window:
    """One run's tenant-local dates, both inclusive."""

    first: date
    last: date

    @property
    def name(self) -> str:
        return f"{self.first.isoformat()}_{self.last.isoformat()}"


def windows(start: date | str, end: date | str, step: str = "1d") -> list[Window]:
    """Consecutive windows of `step` ("1d", "7d", "2w", "1m" for calendar months) covering start..end."""
    first, last = _date(start, "start"), _date(end, "end")
    if last < first:
        raise InvalidRequest(
            f"backfill end {last} is before start {first}", errors={"end": ["before start"]}, status=None
        )
    count, unit = _step(step)
    result = []
    current, index = first, 0
    while current <= last:
        index += 1
        # Month steps count from `start` so 31 January, 28 February, 31 March do not drift.
        following = (
            _add_months(first, count * index)
            if unit == "m"
            else current + timedelta(days=count * _DAYS[unit])
        )
        result.append(Window(current, min(last, following - timedelta(days=1))))
        current = following
    return result


def run_backfill(
    reports: Reports,
    category: str,
    report_id: int | str,
    *,
    start: date | str,
    end: date | str,
    step: str,
    checkpoint: str | Path | None,
    progress: bool | ProgressSink | None,
    date_params: tuple[str, str],
    params: Mapping[str, Any],
) -> pl.DataFrame:
    """See `Reports.backfill`."""
    description = reports.describe(category, report_id)
    clashes = sorted(set(params) & set(date_params))
    if clashes:
        raise InvalidRequest(
            f"backfill sets {' and '.join(date_params)} per window; do not pass {', '.join(clashes)}",
            errors={name: ["set per window by backfill"] for name in clashes},
            status=None,
        )
    plan = windows(start, end, step)
    identity = {
        **reports.identity,
        "category": category,
        "report_id": description.id,
        "step": step,
        "date_params": list(date_params),
        "params": {k: _jsonable(v) for k, v in sorted(params.items())},
    }
    store = _Checkpoint(Path(checkpoint), identity) if checkpoint is not None else None
    bar = open_progress(
        reports._progress(progress),
        f"backfill {description.id} {description.name}",
        unit="window",
        clock=reports._clock,
        leave=True,
        eager=True,
        total=len(plan),
    )
    frames: list[pl.DataFrame] = []
    try:
        for window in plan:
            saved = store.load(window) if store is not None else None
            if saved is None:
                label = f"{description.name} {window.first}..{window.last}"
                bar.status(label)
                dates: dict[str, Any] = {date_params[0]: window.first, date_params[1]: window.last}
                frame = reports.run(
                    category, description.id, progress=_WaitsOnly(bar, label), **dates, **params
                )
                saved = frame.with_columns(
                    pl.lit(window.first).alias(PERIOD_START), pl.lit(window.last).alias(PERIOD_END)
                )
                if store is not None:
                    store.save(window, saved)
            frames.append(saved)
            bar.update(1)
        bar.status(None)  # done: the bar reads "backfill <id> <name>" again, not the last window's state
    finally:
        bar.close()
    return pl.concat(frames, how="diagonal_relaxed") if frames else pl.DataFrame()


class _WaitsOnly:
    """A progress sink for each window's run: shows its waits on the backfill bar, not its rows; when a
    wait ends, the bar shows the window being run again."""

    def __init__(self, outer: Progress, label: str) -> None:
        self._outer = outer
        self._label = label
        self.total: Any = None

    def update(self, n: int = 1) -> None:
        del n  # rows are not windows

    def set_description(self, desc: str | None = None, refresh: bool = True) -> None:
        del refresh
        waiting = bool(desc) and str(desc).startswith(("waiting", "report running"))
        self._outer.status(desc if waiting else self._label)

    def close(self) -> None:
        """Nothing to close: the backfill owns the bar."""


class _Checkpoint:
    """The manifest and per-window Parquet files of one backfill."""

    def __init__(self, directory: Path, identity: dict[str, Any]) -> None:
        self.directory = directory
        self.identity = identity
        directory.mkdir(parents=True, exist_ok=True)
        manifest = directory / MANIFEST
        self.done: dict[str, str] = {}
        if manifest.exists():
            try:
                saved = json.loads(manifest.read_text(encoding="utf-8"))
            except (OSError, ValueError) as exc:
                raise BackfillCheckpointError(f"{manifest}: unreadable checkpoint manifest ({exc})") from exc
            if not isinstance(saved, dict) or saved.get("identity") != identity:
                theirs = saved.get("identity") if isinstance(saved, dict) else None
                raise BackfillCheckpointError(
                    f"{directory} holds another backfill: {_difference(theirs, identity)}"
                )
            self.done = dict(saved.get("done") or {})

    def load(self, window: Window) -> pl.DataFrame | None:
        name = self.done.get(window.name)
        if name is None:
            return None
        path = self.directory / name
        try:
            return pl.read_parquet(path)
        except (OSError, pl.exceptions.PolarsError) as exc:
            raise BackfillCheckpointError(f"{path}: saved window cannot be read ({exc})") from exc

    def save(self, window: Window, frame: pl.DataFrame) -> None:
        name = f"{window.name}.parquet"
        _atomic(self.directory / name, lambda tmp: frame.write_parquet(tmp))
        self.done[window.name] = name
        manifest = json.dumps({"identity": self.identity, "done": self.done}, indent=2, sort_keys=True)
        _atomic(self.directory / MANIFEST, lambda tmp: tmp.write_text(manifest, encoding="utf-8"))


def _atomic(path: Path, write: Callable[[Path], object]) -> None:
    fd, name = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    os.close(fd)
    tmp = Path(name)
    try:
        write(tmp)
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def _difference(theirs: Any, ours: Mapping[str, Any]) -> str:
    if not isinstance(theirs, dict):
        return "its manifest has no identity"
    keys = sorted(k for k in set(theirs) | set(ours) if theirs.get(k) != ours.get(k))
    return "; ".join(f"{k} is {theirs.get(k)!r} there, {ours.get(k)!r} here" for k in keys)


def _jsonable(value: Any) -> Any:
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, list | tuple | set | frozenset):
        return [_jsonable(v) for v in value]
    return value


_DAYS = {"d": 1, "w": 7}


def _step(step: str) -> tuple[int, str]:
    match = _STEP.fullmatch(step.strip().lower()) if isinstance(step, str) else None
    if match is None or int(match.group(1)) < 1:
        raise InvalidRequest(
            f"step must look like '1d', '7d', '2w' or '1m', got {step!r}",
            errors={"step": ["bad step"]},
            status=None,
        )
    return int(match.group(1)), match.group(2)


def _date(value: date | str, what: str) -> date:
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(value)
    except (TypeError, ValueError) as exc:
        raise InvalidRequest(
            f"backfill {what} must be a date or 'YYYY-MM-DD', got {value!r}",
            errors={what: ["not a date"]},
            status=None,
        ) from exc


def _add_months(day: date, months: int) -> date:
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    return day.replace(year=year, month=month, day=min(day.day, calendar.monthrange(year, month)[1]))

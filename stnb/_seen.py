"""The ids an export feed handed out, and when each handed-out version was modified: ~16 bytes per id.

An export of a million records must not keep a Python dict entry per id (about 100 bytes each with its key
and value objects). `SeenVersions` keeps the latest ids in a small dict holding the raw `modifiedOn` text
(nothing parsed), and moves them in blocks into two sorted polars columns: ids (Int64) and moments
(microseconds since the epoch, Int64; null when a record has none). Text is parsed once, when moved: the
usual `YYYY-MM-DDTHH:MM:SS[.f]Z` layout by polars, anything else by `stnb._query.parse_rfc3339`, which also
parses the moments of ids seen again. Ids that are not integers stay in the dict.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

import polars as pl

from stnb._query import parse_rfc3339

__all__ = ["SeenVersions", "micros"]

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICRO = timedelta(microseconds=1)
# Text polars and parse_rfc3339 read alike (fractions cut, not rounded, to microseconds by both).
_PLAIN_UTC = r"^\d{4}-\d{2}-\d{2}T([01]\d|2[0-3]):[0-5]\d:[0-5]\d(\.\d+)?Z$"
_PLAIN_FORMAT = "%Y-%m-%dT%H:%M:%S%.fZ"
_MISSING = object()
_INT64 = range(-(2**63), 2**63)


def micros(value: Any) -> int | None:
    """A modifiedOn value as microseconds since the epoch, or None when it is missing or unreadable."""
    if not isinstance(value, str):
        return None
    try:
        return (parse_rfc3339(value) - _EPOCH) // _MICRO
    except (ValueError, OverflowError):
        return None


class SeenVersions:
    """Ids handed out so far, each with the moment (µs since the epoch) of the version handed out.

    Sorted runs of geometrically growing size (a log-structured merge): merging only equal-sized runs
    keeps the rewriting, and the memory it leaves behind in the allocator, to a few times the data."""

    def __init__(self, block: int = 16_384) -> None:
        self._block = block
        self._recent: dict[Any, Any] = {}  # int id -> raw modifiedOn, not yet in a run
        self._others: dict[Any, int | None] = {}  # ids that are not 64-bit integers: id -> moment
        self._runs: list[pl.DataFrame] = []  # oldest first; each sorted by a unique "id"; "moment"
        self._replaced: set[int] = set()  # ids added again: an older run may hold an older version
        self._count = 0

    def __len__(self) -> int:
        return self._count

    def previous(self, keys: Sequence[Any]) -> dict[Any, int | None]:
        """For the keys handed out before: the moment of the version handed out (None when unknown)."""
        found: dict[Any, int | None] = {}
        integers: list[int] = []
        for key in keys:
            if _is_int64(key):
                raw = self._recent.get(key, _MISSING)
                if raw is _MISSING:
                    integers.append(key)
                else:
                    found[key] = micros(raw)
            elif key in self._others:
                found[key] = self._others[key]
        for run in reversed(self._runs):  # newest first: a later run holds the later version
            if not integers:
                break
            hits = _lookup(run, integers)
            found.update(hits)
            if hits:
                integers = [key for key in integers if key not in hits]
        return found

    def add(self, key: Any, modified_on: Any, *, again: bool = False) -> None:
        """Remember that the version of `key` modified at `modified_on` (raw text) was handed out;
        `again` when an earlier version of it was (as `previous` told)."""
        self._count += not again
        if not _is_int64(key):
            self._others[key] = micros(modified_on)
            return
        if again:
            self._replaced.add(key)
        self._recent[key] = modified_on
        if len(self._recent) >= self._block:
            self._flush()

    def _flush(self) -> None:
        ids = list(self._recent)
        moments = _parse_all(self._recent.values())
        self._recent.clear()
        run = pl.DataFrame({"id": ids, "moment": moments}, schema={"id": pl.Int64, "moment": pl.Int64})
        self._runs.append(run.sort("id"))
        while len(self._runs) > 1 and self._runs[-1].height >= self._runs[-2].height:
            newer = self._runs.pop()
            older = self._runs.pop()
            if self._replaced:
                again = newer.filter(pl.col("id").is_in(pl.Series(list(self._replaced)).implode()))["id"]
                if again.len():
                    older = older.filter(~pl.col("id").is_in(again.implode()))
            self._runs.append(older.merge_sorted(newer, key="id"))


def _lookup(run: pl.DataFrame, keys: list[int]) -> dict[int, int | None]:
    ids = run["id"]
    wanted = pl.Series("id", keys, dtype=pl.Int64)
    at = ids.search_sorted(wanted, side="left").clip(0, ids.len() - 1)
    hit = ids.gather(at) == wanted
    if not hit.any():
        return {}
    moments = run["moment"].gather(at.filter(hit)).to_list()
    return dict(zip(wanted.filter(hit).to_list(), moments, strict=True))


def _parse_all(values: Iterable[Any]) -> list[int | None]:
    """Moments of raw modifiedOn values: the plain UTC layout vectorised, the rest one by one."""
    raw = list(values)
    text = pl.Series("raw", [v if type(v) is str else None for v in raw], dtype=pl.String)
    plain = text.str.contains(_PLAIN_UTC).fill_null(False)
    parsed = text.str.to_datetime(_PLAIN_FORMAT, time_unit="us", time_zone="UTC", strict=False)
    moments: list[int | None] = (
        pl.select(pl.when(pl.lit(plain)).then(pl.lit(parsed).dt.epoch("us"))).to_series().to_list()
    )
    if not plain.all():
        for index in plain.not_().arg_true().to_list():
            moments[index] = micros(raw[index])
    return moments


def _is_int64(key: Any) -> bool:
    return type(key) is int and key in _INT64

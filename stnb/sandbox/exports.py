"""Export feeds: every record (inactive and deleted too) in (modifiedOn, id) order, in fixed batches,
resumable through an opaque `continueFrom` token that encodes the last position sent.

A record without `modifiedOn` is placed by its `createdOn` (job-canceled logs, membership status changes)
or, for feeds built from events, by its last event (`_changedOn`, job history); so `from=<date>` sends
every record changed or created after the date. A feed whose records carry no time at all is sent whole
in its own order (by id) from any date: the date cannot exclude anything.

A write bumps a record's modifiedOn past every existing one, so a change made after a checkpoint shows up
on the next call from that checkpoint. `includeRecentChanges=true` re-sends the last few records of each
batch on the following call (the real API warns that it "may cause the same results appearing multiple
times").
"""

from __future__ import annotations

import base64
import json
import threading
from collections import OrderedDict
from dataclasses import dataclass

import polars as pl

from stnb.sandbox.params import BadRequest, QueryView, parse_bool, parse_datetime
from stnb.sandbox.shapes import render_rows

__all__ = ["DEFAULT_BATCH_SIZE", "RECENT_OVERLAP", "ExportPosition", "export_response"]

DEFAULT_BATCH_SIZE = 500
RECENT_OVERLAP = 5
_TOKEN_VERSION = 1


@dataclass(frozen=True, slots=True)
class ExportPosition:
    """Just after the record with this (modifiedOn in microseconds, id); (-1, "") is the very start."""

    modified_us: int
    last_id: str

    def encode(self, key: str) -> str:
        raw = json.dumps([_TOKEN_VERSION, key, self.modified_us, self.last_id], separators=(",", ":"))
        return base64.urlsafe_b64encode(raw.encode()).decode("ascii").rstrip("=")

    @classmethod
    def decode(cls, token: str, key: str) -> ExportPosition:
        try:
            raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
            version, token_key, modified_us, last_id = json.loads(raw)
            if version != _TOKEN_VERSION or token_key != key:
                raise ValueError("token for another feed")
            return cls(int(modified_us), str(last_id))
        except (ValueError, TypeError, json.JSONDecodeError, UnicodeDecodeError) as exc:
            raise BadRequest(
                {"from": [f"The continuation token '{token[:40]}' is not valid for this export."]}
            ) from exc


START = ExportPosition(-1, "")


class _OrderCache:
    """Feed order per table snapshot (tables are immutable; a write swaps in a new frame)."""

    def __init__(self, size: int = 32) -> None:
        self._size = size
        self._entries: OrderedDict[int, tuple[pl.DataFrame, pl.DataFrame]] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, frame: pl.DataFrame) -> pl.DataFrame:
        with self._lock:
            hit = self._entries.get(id(frame))
            if hit is not None and hit[0] is frame:
                self._entries.move_to_end(id(frame))
                return hit[1]
        order = _order(frame)
        with self._lock:
            self._entries[id(frame)] = (frame, order)
            while len(self._entries) > self._size:
                self._entries.popitem(last=False)
        return order


_ORDERS = _OrderCache()


_TIME_COLUMNS = ("modifiedOn", "createdOn", "_changedOn")


def _timed(frame: pl.DataFrame) -> bool:
    return any(c in frame.columns for c in _TIME_COLUMNS)


def _order(frame: pl.DataFrame) -> pl.DataFrame:
    """(modifiedOn, else createdOn, else the last event, in µs; id as text; row position) in feed order."""
    times = [pl.col(c).dt.epoch("us") for c in _TIME_COLUMNS if c in frame.columns]
    modified = pl.coalesce(times) if times else pl.lit(0, dtype=pl.Int64)
    ident = pl.col("id").cast(pl.String)
    id_num = pl.col("id") if frame.schema["id"].is_integer() else pl.lit(0, dtype=pl.Int64)
    return (
        frame.select(_m=modified.fill_null(0), _id=ident, _n=id_num.cast(pl.Int64))
        .with_row_index("_pos")
        .sort("_m", "_n", "_id")
    )


def start_position(query: QueryView, key: str) -> ExportPosition:
    raw = query.get("from")
    if raw in (None, ""):
        return START
    text = raw.strip()
    if len(text) >= 10 and text[4:5] == "-" and text[7:8] == "-":
        moment = parse_datetime("from", text)
        return ExportPosition(int(moment.timestamp() * 1_000_000) - 1, "\uffff")
    return ExportPosition.decode(text, key)


def export_response(
    key: str, frame: pl.DataFrame, query: QueryView, columns: list[str], batch_size: int
) -> tuple[bytes, int]:
    """The JSON body of one export call and the number of records in it."""
    raw_recent = query.get("includeRecentChanges")
    recent = False if raw_recent in (None, "") else parse_bool("includeRecentChanges", raw_recent)
    position = start_position(query, key)
    if position.last_id == "\uffff" and not _timed(frame):
        position = START  # a date cannot exclude records that carry no time
    order = _ORDERS.get(frame)
    start = _first_after(order, position)
    batch = order.slice(start, batch_size)
    has_more = start + batch.height < order.height
    if batch.height:
        resume_at = batch.height - 1
        if recent and has_more:
            resume_at = max(0, batch.height - 1 - RECENT_OVERLAP)
        last = batch.row(resume_at, named=True)
        next_position = ExportPosition(int(last["_m"]), str(last["_id"]))
    else:
        next_position = position
    rows = render_rows(frame, batch["_pos"], columns) if batch.height else b"[]"
    token = json.dumps(next_position.encode(key)).encode()
    more = b"true" if has_more else b"false"
    body = b'{"hasMore":%s,"continueFrom":%s,"data":' % (more, token) + rows + b"}"
    return body, batch.height


def _first_after(order: pl.DataFrame, position: ExportPosition) -> int:
    """Index in feed order of the first record strictly after `position`."""
    if position.modified_us < 0 and not position.last_id:
        return 0
    modified = order["_m"]
    start = int(modified.search_sorted(position.modified_us, side="left"))
    end = int(modified.search_sorted(position.modified_us, side="right"))
    if start == end or position.last_id == "\uffff":
        return end if position.last_id == "\uffff" else start
    block = order.slice(start, end - start)
    after = _after_in_block(block, position.last_id)
    return start + after


def _after_in_block(block: pl.DataFrame, last_id: str) -> int:
    """Within records sharing one modifiedOn (sorted by id), how many come at or before `last_id`."""
    numeric = last_id.lstrip("-").isdigit()
    if numeric and block["_n"].dtype == pl.Int64 and (block["_n"] != 0).all():
        return int(block["_n"].search_sorted(int(last_id), side="right"))
    return int(block["_id"].search_sorted(last_id, side="right"))

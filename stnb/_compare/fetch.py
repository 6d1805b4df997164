"""Read one side of a comparison: count it, then read it in full, through its export, or as a sample.

Every reader returns a `Fetched`: a lazy frame plus the field names the API actually sent (a typed
frame has a column for every catalog field, sent or not). The export reader streams batches into a
Parquet file, so memory stays bounded by one batch; the others hold at most a bounded number of pages.
"""

from __future__ import annotations

import math
import random
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import polars as pl

from stnb._connection import Connection
from stnb._flow import collect_warnings, warn_caller
from stnb._frames import ParquetSink, polars_schema, to_frame
from stnb._paging import TruncationWarning
from stnb._query import QueryParams, build_query, split_path_params
from stnb.catalog import Endpoint, Resource
from stnb.catalog.quirks import first_page as live_first_page
from stnb.errors import InvalidResponse

__all__ = ["Fetched", "SideReader", "sample_page_numbers", "with_active"]


@dataclass(frozen=True, eq=False)
class Fetched:
    """What one side answered: its records (lazy), the keys the API sent, and how many rows."""

    frame: pl.LazyFrame
    fields: frozenset[str]
    rows: int
    truncated: bool = False


class _Collector:
    """Turns raw record batches into typed frames while noting every key the API sent."""

    def __init__(self, resource: Resource, kind: str) -> None:
        self.resource = resource
        self.fields = resource.fields_for("list" if kind == "list" else "export")
        self.keys: set[str] = set()

    def frame(self, records: Sequence[Mapping[str, Any]]) -> pl.DataFrame:
        for record in records:
            self.keys.update(record)
        # Fields the catalog lacks are exactly what the schema comparison reports: no warning here, and
        # a later pull of the resource still gets its one.
        return to_frame(records, self.fields, resource=self.resource.key, report=False)

    def combine(self, frames: Iterable[pl.DataFrame]) -> pl.DataFrame:
        frames = list(frames)
        if not frames:
            return self.frame([])
        return frames[0] if len(frames) == 1 else pl.concat(frames, how="diagonal_relaxed")


def _records(body: Any, where: str) -> list[dict[str, Any]]:
    data = body.get("data") if isinstance(body, dict) else body
    if not isinstance(data, list):
        raise InvalidResponse(f"{where}: expected a list of records or an object with a data list")
    return [r for r in data if isinstance(r, dict)]


def with_active(resource: Resource, filters: Mapping[str, Any]) -> dict[str, Any]:
    """Inactive records count too: `active=Any` unless the caller chose."""
    out = dict(filters)
    if resource.endpoint("list").supports_active and out.get("active") is None:
        out["active"] = "Any"
    return out


def sample_page_numbers(total: int, page_size: int, pages: int, seed: int) -> list[int]:
    """`pages` distinct page numbers out of those `total` records fill, chosen reproducibly by `seed`."""
    available = max(1, math.ceil(total / page_size))
    return sorted(random.Random(seed).sample(range(1, available + 1), min(pages, available)))


class SideReader:
    """Reads `resource` with fixed `filters` from one connection."""

    def __init__(self, conn: Connection, resource: Resource, filters: Mapping[str, Any]) -> None:
        self.conn = conn
        self.resource = resource
        self.endpoint: Endpoint = resource.endpoint("list")
        self.path_params, self.filters = split_path_params(self.endpoint, filters)

    def _queries(self, **extra: Any) -> list[QueryParams]:
        wanted = {k: v for k, v in extra.items() if k in self.endpoint.params}
        return build_query(self.endpoint, {**self.filters, **wanted}, resource=self.resource.key)

    def _get(self, query: QueryParams) -> Any:
        return self.conn.request_json(
            "GET", self.endpoint.path, params=query or None, path_params=self.path_params
        )

    def count(self) -> int | None:
        """The server's total for the filters (one small request); None when the endpoint does not say."""
        (query,) = self._queries(page=live_first_page(self.endpoint.path), pageSize=1, includeTotal=True)
        body = self._get(query)
        if isinstance(body, list):
            return len(body)
        total = body.get("totalCount") if isinstance(body, dict) else None
        return int(total) if isinstance(total, int) else None

    def first_page(self, *, page_size: int) -> tuple[Fetched, int | None]:
        """The first page (page 0 where the live API counts from 0), most recently modified first when
        sortable (where changes show), and the total."""
        first = live_first_page(self.endpoint.path)
        (query,) = self._queries(page=first, pageSize=page_size, includeTotal=True, **self._newest_first())
        body = self._get(query)
        collector = _Collector(self.resource, "list")
        frame = collector.frame(_records(body, self.resource.key))
        total = body.get("totalCount") if isinstance(body, dict) else frame.height
        return Fetched(frame.lazy(), frozenset(collector.keys), frame.height), (
            int(total) if isinstance(total, int) else None
        )

    def _sortable(self, name: str) -> bool:
        return any(s.lower() == name.lower() for s in self.endpoint.sort)

    def _by_id(self) -> dict[str, str]:
        return {"sort": "+Id"} if self._sortable("Id") else {}

    def _newest_first(self) -> dict[str, str]:
        for name in ("ModifiedOn", "Id"):
            if self._sortable(name):
                return {"sort": f"-{name}"}
        return {}

    def full_list(self, *, page_size: int, max_rows: int | None = None) -> Fetched:
        """Every page (or pages up to `max_rows` when the total is unknown)."""
        collector = _Collector(self.resource, "list")
        max_pages = math.ceil(max_rows / page_size) if max_rows is not None else None
        with collect_warnings() as caught:
            walk = self.conn.pages(
                self.resource.key,
                max_pages=max_pages,
                page_size=page_size,
                progress=False,
                **self.path_params,
                **self.filters,
            )
            frames = [collector.frame(page.items) for page in walk]
        for warning in caught:  # a truncation is in the notes; anything else still reaches the user
            if not isinstance(warning, TruncationWarning):
                warn_caller(str(warning), type(warning))
        frame = collector.combine(frames)
        return Fetched(frame.lazy(), frozenset(collector.keys), frame.height, walk.truncated)

    def export(self, path: Path) -> Fetched:
        """The whole export feed, batch by batch into a Parquet file at `path` (bounded memory)."""
        collector = _Collector(self.resource, "export")
        cursor = self.conn.export(self.resource.key, progress=False)
        unique_by = "id" if "id" in collector.fields else None  # a record re-sent later is its newer version
        with ParquetSink(path, schema=polars_schema(collector.fields), unique_by=unique_by) as sink:
            for batch in cursor:
                sink.write(collector.frame(batch))
        return Fetched(pl.scan_parquet(path), frozenset(collector.keys), sink.rows)

    def sample(self, pages: Sequence[int], *, page_size: int) -> tuple[pl.DataFrame, set[str]]:
        """The given pages, ordered by id when the endpoint can sort, so both sides see the same slices."""
        collector = _Collector(self.resource, "list")
        frames = []
        for number in pages:
            (query,) = self._queries(page=number, pageSize=page_size, **self._by_id())
            frames.append(collector.frame(_records(self._get(query), self.resource.key)))
        return collector.combine(frames), collector.keys

    def lookup(self, ids: Sequence[Any]) -> tuple[pl.DataFrame, set[str]]:
        """The records with these ids (in chunks of 50), with the same filters."""
        collector = _Collector(self.resource, "list")
        if not ids or "ids" not in self.endpoint.params:
            return collector.combine([]), collector.keys
        frames = [
            collector.frame(_records(self._get(query), self.resource.key))
            for query in self._queries(ids=list(ids), pageSize=min(len(ids), 50))
        ]
        return collector.combine(frames), collector.keys

    @property
    def can_lookup(self) -> bool:
        return "ids" in self.endpoint.params

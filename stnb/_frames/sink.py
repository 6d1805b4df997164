"""`ParquetSink`: frames written as they arrive, combined into one Parquet (or CSV) file at close."""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Collection, Mapping, Sequence
from pathlib import Path
from types import TracebackType
from typing import Any

import polars as pl

from stnb._frames.combine import as_text, drifting_columns, json_text

__all__ = ["ParquetSink"]


_ROW_GROUP = 10_000  # rows per Parquet row group of a combined file: small groups keep close() in ~50 MB


class ParquetSink:
    """Writes frames as they arrive and combines them into one file at `close()`, with bounded memory.

    Each `write` stores one Parquet part in a hidden directory next to `path`; `close` streams the parts
    into `path` (Parquet, or CSV when `path` ends in ".csv", nested columns as JSON text) through a
    temporary file and an atomic rename, so a failed pull never leaves a half-written file behind.
    `unique_by` keeps the last row per key (exports: later batches hold newer versions): `close` reads the
    key column alone to find the rows a later one replaces, and drops them by position. A writer that knows
    which keys it wrote more than once (an export cursor does) says so with `only_repeated(keys)` before
    `close`; then only those keys are looked at (none: no extra pass at all).
    """

    def __init__(
        self,
        path: str | os.PathLike[str],
        *,
        schema: pl.Schema | None = None,
        unique_by: str | None = None,
    ) -> None:
        self.path = Path(path)
        self.rows = 0
        self._schema = schema
        self._unique_by = unique_by
        self._repeated: list[Any] | None = None
        self._parts: list[Path] = []
        self._dir = self.path.parent / f".{self.path.name}.parts-{uuid.uuid4().hex[:8]}"
        self._closed = False

    def write(self, frame: pl.DataFrame) -> None:
        """Store one batch on disk; it is not kept in memory."""
        if self._closed:
            raise ValueError(f"ParquetSink for {self.path} is already closed")
        if frame.height == 0 and self._parts:
            return
        self._write_part(frame)

    def only_repeated(self, keys: Collection[Any]) -> None:
        """Tell the sink that only these keys were written more than once (`unique_by` then looks at them
        alone when combining the parts)."""
        self._repeated = list(keys)

    def _write_part(self, frame: pl.DataFrame) -> None:
        self._dir.mkdir(parents=True, exist_ok=True)
        part = self._dir / f"part-{len(self._parts):06d}.parquet"
        frame.write_parquet(part)
        self._parts.append(part)
        self.rows += frame.height

    def close(self) -> Path:
        """Combine the parts into `path` atomically and remove them; returns `path`."""
        if self._closed:
            return self.path
        self._closed = True
        try:
            if not self._parts:
                self._write_part(pl.DataFrame(schema=self._schema or {}))
            schemas = [pl.read_parquet_schema(p) for p in self._parts]
            if all(schema == schemas[0] for schema in schemas):
                # One scan reads the parts one after another; a scan per part, concatenated, holds
                # buffers for many parts at once (memory then grows with the number of parts).
                lazy = pl.scan_parquet(self._parts)
            else:
                lazy = self._aligned(schemas)
            if self._unique_by is not None:
                lazy = self._keep_last(lazy, self._unique_by)
            self.path.parent.mkdir(parents=True, exist_ok=True)
            tmp = self.path.parent / f".{self.path.name}.{uuid.uuid4().hex[:8]}.tmp"
            try:
                if self.path.suffix.lower() == ".csv":
                    schema = lazy.collect_schema()
                    nested = [
                        json_text(name, dtype).alias(name)
                        for name, dtype in schema.items()
                        if isinstance(dtype, (pl.Struct, pl.List))
                    ]
                    lazy.with_columns(nested).sink_csv(tmp)
                else:
                    lazy.sink_parquet(tmp, row_group_size=_ROW_GROUP)
                os.replace(tmp, self.path)
            finally:
                tmp.unlink(missing_ok=True)
        finally:
            self._cleanup()
        return self.path

    def _aligned(self, schemas: Sequence[Mapping[str, pl.DataType]]) -> pl.LazyFrame:
        """The parts as one frame when their schemas differ: columns by name, drifting ones as text."""
        drifting = drifting_columns(schemas)
        scans = [
            pl.scan_parquet(p).with_columns(as_text(n, schema[n]).alias(n) for n in drifting if n in schema)
            for p, schema in zip(self._parts, schemas, strict=True)
        ]
        return scans[0] if len(scans) == 1 else pl.concat(scans, how="diagonal_relaxed")

    def _keep_last(self, lazy: pl.LazyFrame, key: str) -> pl.LazyFrame:
        """`lazy` without the rows whose key appears again later, in order; counts `rows`.

        Only the key column is read to find those rows (the positions of earlier copies), so memory grows
        by a few bytes per row, not by whole rows as `unique(keep="last")` over every column would."""
        keys = lazy.select(pl.col(key)).with_row_index("__row")
        if self._repeated is not None:
            repeated = self._repeated
            if not repeated:
                return lazy
            keys = keys.filter(pl.col(key).is_in(pl.Series(repeated).implode()))
        older = keys.filter(~pl.col(key).is_last_distinct()).select("__row").collect().to_series()
        self.rows -= older.len()
        if older.is_empty():
            return lazy
        return lazy.with_row_index("__row").filter(~pl.col("__row").is_in(older.implode())).drop("__row")

    def abort(self) -> None:
        """Drop every part written so far; `path` is left untouched."""
        self._closed = True
        self._cleanup()

    def _cleanup(self) -> None:
        shutil.rmtree(self._dir, ignore_errors=True)

    def __enter__(self) -> ParquetSink:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if exc_type is None:
            self.close()
        else:
            self.abort()

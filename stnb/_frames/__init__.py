"""JSON records -> typed polars frames with explicit schemas from the catalog, and Parquet streaming.

One module per concept: `schema` (catalog field types -> polars dtypes), `convert` (`to_frame`: records
-> a typed frame, nothing lost silently), `drift` (`SchemaDriftWarning`: what a conversion found, told
once), `combine` (`concat_frames`: batches -> one frame), `sink` (`ParquetSink`: batches streamed to
one file).
"""

from __future__ import annotations

from stnb._frames.combine import concat_frames
from stnb._frames.convert import to_frame
from stnb._frames.drift import SchemaDriftWarning
from stnb._frames.schema import DATETIME, DECIMAL, MONEY, polars_dtype, polars_schema
from stnb._frames.sink import ParquetSink

__all__ = [
    "DATETIME",
    "DECIMAL",
    "MONEY",
    "ParquetSink",
    "SchemaDriftWarning",
    "concat_frames",
    "polars_dtype",
    "polars_schema",
    "to_frame",
]

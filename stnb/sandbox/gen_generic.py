"""Records for every catalog resource without a hand-made model: ids, times and `active` here; every
other field is a typed placeholder filled by `shapes.conform`. Deterministic per (seed, resource)."""

from __future__ import annotations

import hashlib
import uuid

import polars as pl

from stnb.catalog import Resource
from stnb.sandbox.gen_base import GenContext, entity_ids, row_key
from stnb.sandbox.rng import salt_of

__all__ = ["generic_rows", "generic_table"]

PARENTS_WITH_CHILDREN = 12


def generic_rows(ctx: GenContext, key: str) -> int:
    """20-200 rows, fixed per resource and seed, a little more for bigger tenants."""
    return max(5, round((20 + salt_of(ctx.seed, "generic-rows", key) % 181) * float(ctx.profile.size**0.5)))


def generic_table(
    ctx: GenContext, resource: Resource, parent_ids: list[int] | list[str] | None
) -> pl.DataFrame:
    """The skeleton of a generic resource's table, sorted by id."""
    n = generic_rows(ctx, resource.key)
    d = ctx.draws("generic", resource.key)
    i = row_key(n)
    fields = resource.fields
    span = int((ctx.refresh - ctx.start).total_seconds()) - 3600
    created_offsets = (d.uniform(i, "created") * span).cast(pl.Int64)
    frame = pl.select(_offset=created_offsets).sort("_offset").with_row_index("_idx")
    idx = pl.col("_idx").cast(pl.Int64)
    if fields.get("id") == "string":
        ident = pl.lit(pl.Series([_guid(ctx, resource.key, row) for row in range(n)])).gather(idx)
    else:
        ident = entity_ids("generic", idx, d).cast(pl.Int32 if fields.get("id") == "int32" else pl.Int64)
    start = pl.lit(ctx.start).dt.cast_time_unit("us")
    created = start + pl.duration(seconds=pl.col("_offset"))
    remaining = pl.lit(span) - pl.col("_offset")
    modified = created + pl.duration(seconds=(d.uniform(idx, "modified") ** 2 * remaining).cast(pl.Int64))
    columns: dict[str, pl.Expr] = {"id": ident}
    if "createdOn" in fields:
        columns["createdOn"] = created
    if "modifiedOn" in fields:
        columns["modifiedOn"] = modified
    if "active" in fields:
        columns["active"] = ~d.bernoulli(idx, "inactive", 0.08)
    if parent_ids:
        parents = parent_ids[:PARENTS_WITH_CHILDREN]
        columns["_parent"] = pl.lit(pl.Series(parents)).gather(d.index(idx, "parent", len(parents)))
    frame = frame.with_columns(**columns)
    if "id" in fields and fields["id"] == "string":
        frame = frame.sort("id")
    return frame.drop("_offset", "_idx")


def _guid(ctx: GenContext, key: str, row: int) -> str:
    """A version-4 GUID (the shape of CRM contact ids) derived from the seed."""
    digest = hashlib.sha256(f"{ctx.seed}:{ctx.profile.key}:{key}:{row}".encode()).digest()
    return str(uuid.UUID(bytes=digest[:16], version=4))

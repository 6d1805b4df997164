"""Catalog field types -> polars dtypes and schemas (identity columns first)."""

from __future__ import annotations

from collections.abc import Mapping

import polars as pl

from stnb.catalog import FieldType
from stnb.catalog.order import field_order

__all__ = ["DATETIME", "DECIMAL", "MONEY", "SCALARS", "polars_dtype", "polars_schema"]


DATETIME = pl.Datetime("us", "UTC")
MONEY = pl.Decimal(18, 2)
DECIMAL = pl.Decimal(18, 6)

SCALARS: dict[str, pl.DataType] = {
    "int64": pl.Int64(),
    "int32": pl.Int32(),
    "float64": pl.Float64(),
    "bool": pl.Boolean(),
    "string": pl.String(),
    "datetime": DATETIME,
    "date": pl.Date(),
    "money": MONEY,
    "decimal_string": DECIMAL,
    "json": pl.String(),
}


def polars_dtype(ftype: FieldType) -> pl.DataType:
    """The polars dtype for one catalog field type."""
    if isinstance(ftype, str):
        return SCALARS.get(ftype, pl.String())
    if "enum" in ftype:
        return pl.String()
    if "list" in ftype:
        return pl.List(polars_dtype(ftype["list"]))
    if "struct" in ftype:
        return pl.Struct({name: polars_dtype(t) for name, t in ftype["struct"].items()})
    return pl.String()


def polars_schema(fields: Mapping[str, FieldType]) -> pl.Schema:
    """The polars schema for a resource's catalog fields, identity first (as `to_frame` orders them)."""
    return pl.Schema({name: polars_dtype(fields[name]) for name in field_order(fields)})

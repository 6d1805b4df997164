"""`ReportSource`: the world's tables as reports read them (normalised polars frames), and
`source_from_world`, which builds one from a sandbox world."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import polars as pl

__all__ = ["UTC_MICROS", "ReportSource", "source_from_world"]


@dataclass(frozen=True, eq=False)
class ReportSource:
    """Normalised frames (ids Int64, instants `Datetime("us", "UTC")`, money in Int64 cents).

    business_units, technicians (+ business_unit_id), campaigns, membership_types: `id`, `name`.
    jobs: id, business_unit_id, job_status, created_on, completed_on, campaign_id, technician_id.
    invoices: id, number, invoice_date, due_date, total_cents, balance_cents, business_unit_id,
    job_id, customer_name. calls: id, received_on, campaign_id, call_type, duration_seconds.
    memberships: id, sold_on, business_unit_id, membership_type_id, sold_by_id, price_cents.
    """

    timezone: str
    business_units: pl.DataFrame
    technicians: pl.DataFrame
    campaigns: pl.DataFrame
    membership_types: pl.DataFrame
    jobs: pl.DataFrame
    invoices: pl.DataFrame
    calls: pl.DataFrame
    memberships: pl.DataFrame
    world: Any = field(default=None, compare=False)  # the KPI reports (`kpi_reports`) read the world itself


def source_from_world(world: Any) -> ReportSource:
    """Normalise the sandbox world's public tables (see `stnb.sandbox.world`) into a `ReportSource`.

    Only active records count, as on the list endpoints; calls and memberships come from the world's
    accessors when it models them, else from its catalog tables.
    """
    invoices = world.invoices().filter(_flag(world.invoices(), "active"))
    jobs = world.jobs().filter(_flag(world.jobs(), "active"))
    first_tech = (
        world.appointment_assignments()
        .sort("assignedOn", "id")
        .group_by("jobId", maintain_order=True)
        .agg(pl.col("technicianId").first())
        .select(pl.col("jobId").alias("id"), pl.col("technicianId").alias("technician_id"))
    )
    calls = _table(world, "calls", "telecom/calls")
    memberships = _table(world, "memberships", "memberships/memberships")
    memberships = memberships.filter(
        _flag(memberships, "active") & (_get(memberships, pl.String, "status") != "Deleted")
    )
    campaigns = _named(world.campaigns())
    embedded = calls.select(
        _get(calls, pl.Int64, "leadCall.campaign.id", "campaign.id").alias("id"),
        _get(calls, pl.String, "leadCall.campaign.name", "campaign.name").alias("name"),
    ).filter(pl.col("id").is_not_null() & ~pl.col("id").is_in(campaigns["id"].implode()))
    return ReportSource(
        world=world,
        timezone=str(world.timezone),
        business_units=_named(world.business_units()),
        technicians=world.technicians().select(
            "id", "name", pl.col("businessUnitId").cast(pl.Int64).alias("business_unit_id")
        ),
        campaigns=pl.concat([campaigns, embedded.unique("id", keep="first").sort("id")]),
        membership_types=_named(world.membership_types()),
        jobs=jobs.select(
            "id",
            pl.col("businessUnitId").alias("business_unit_id"),
            pl.col("jobStatus").alias("job_status"),
            pl.col("createdOn").alias("created_on"),
            pl.col("completedOn").alias("completed_on"),
            pl.col("campaignId").alias("campaign_id"),
        ).join(first_tech, on="id", how="left"),
        invoices=invoices.select(
            "id",
            _get(invoices, pl.String, "referenceNumber").alias("number"),
            pl.col("invoiceDate").alias("invoice_date"),
            _instant(invoices, "dueDate").alias("due_date"),
            _cents(pl.col("total")).fill_null(0).alias("total_cents"),
            _cents(_get(invoices, pl.String, "balance")).fill_null(0).alias("balance_cents"),
            _get(invoices, pl.Int64, "businessUnit.id", "businessUnitId").alias("business_unit_id"),
            _get(invoices, pl.Int64, "job.id").alias("job_id"),
            _get(invoices, pl.String, "customer.name").alias("customer_name"),
        ),
        calls=calls.select(
            "id",
            _instant(calls, "leadCall.receivedOn", "receivedOn", "createdOn").alias("received_on"),
            _get(calls, pl.Int64, "leadCall.campaign.id", "campaign.id").alias("campaign_id"),
            _get(calls, pl.String, "leadCall.callType", "callType").alias("call_type"),
            _seconds(_get(calls, pl.String, "leadCall.duration", "duration")).alias("duration_seconds"),
        ),
        memberships=memberships.select(
            "id",
            _instant(memberships, "createdOn").alias("sold_on"),
            _get(memberships, pl.Int64, "businessUnitId").alias("business_unit_id"),
            _get(memberships, pl.Int64, "membershipTypeId").alias("membership_type_id"),
            _get(memberships, pl.Int64, "soldById").alias("sold_by_id"),
            (_get(memberships, pl.Float64, "initialDeferredRevenue") * 100)
            .round(0)
            .cast(pl.Int64)
            .alias("price_cents"),
        ),
    )


UTC_MICROS = pl.Datetime("us", "UTC")


def _table(world: Any, accessor: str, resource: str) -> pl.DataFrame:
    method = getattr(world, accessor, None)
    frame = method() if callable(method) else world.table(resource)
    if not isinstance(frame, pl.DataFrame):
        raise TypeError(f"world.{accessor}() must return a polars DataFrame")
    return frame


def _named(frame: pl.DataFrame) -> pl.DataFrame:
    return frame.select(pl.col("id").cast(pl.Int64), pl.col("name").cast(pl.String))


def _flag(frame: pl.DataFrame, name: str) -> pl.Expr:
    return pl.col(name).fill_null(True) if name in frame.columns else pl.lit(True)


def _get(frame: pl.DataFrame, dtype: pl.DataType | type[pl.DataType], *paths: str) -> pl.Expr:
    """The first of `paths` (dotted struct paths) the frame has, cast to `dtype`; a null column when
    none exists (the world's generic tables vary in shape)."""
    for path in paths:
        expr = _path(frame.schema, path)
        if expr is not None:
            return expr.cast(dtype, strict=False)
    return pl.lit(None, dtype=dtype)


def _path(schema: Mapping[str, pl.DataType], path: str) -> pl.Expr | None:
    head, *rest = path.split(".")
    if head not in schema:
        return None
    expr = pl.col(head)
    dtype: Any = schema[head]
    for name in rest:
        if not isinstance(dtype, pl.Struct) or name not in {f.name for f in dtype.fields}:
            return None
        expr = expr.struct.field(name)
        dtype = next(f.dtype for f in dtype.fields if f.name == name)
    return expr


def _cents(money: pl.Expr) -> pl.Expr:
    return (money.cast(pl.String).cast(pl.Decimal(18, 2), strict=False) * 100).cast(pl.Int64)


def _instant(frame: pl.DataFrame, *paths: str) -> pl.Expr:
    """A UTC datetime from the first of `paths` present, whether stored as a datetime or RFC 3339 text."""
    for path in paths:
        expr = _path(frame.schema, path)
        if expr is None:
            continue
        dtype = frame.select(expr).schema.dtypes()[0]
        if isinstance(dtype, pl.Datetime):
            return expr.dt.convert_time_zone("UTC") if dtype.time_zone else expr.dt.replace_time_zone("UTC")
        return expr.cast(pl.String).str.to_datetime(
            "%Y-%m-%dT%H:%M:%S%.f%#z", strict=False, time_unit="us", time_zone="UTC"
        )
    return pl.lit(None, dtype=UTC_MICROS)


def _seconds(duration: pl.Expr) -> pl.Expr:
    """Seconds from a TimeSpan text (`[d.]hh:mm:ss[.fff]`); null when it is not one."""
    parts = duration.str.extract_groups(r"^(?:(\d+)\.)?(\d{1,2}):(\d{2}):(\d{2})(?:\.\d+)?$")
    number = [parts.struct.field(str(i)).cast(pl.Int64) for i in range(1, 5)]
    return number[0].fill_null(0) * 86400 + number[1] * 3600 + number[2] * 60 + number[3]

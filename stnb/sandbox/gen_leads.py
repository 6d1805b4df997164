"""Leads and online bookings that came in before jobs, and the projects install jobs belong to."""

from __future__ import annotations

import polars as pl

from stnb.sandbox.gen_base import JOBS_BASE, GenContext, entity_ids, local_times, row_key
from stnb.sandbox.gen_crm import CUSTOM_FIELD_DTYPE, EXTERNAL_DATA_DTYPE, address_struct
from stnb.sandbox.gen_reference import JOB_TYPE_SPECS
from stnb.sandbox.names import FIRST_NAMES, LAST_NAMES
from stnb.sandbox.rng import pick

__all__ = ["bookings", "leads", "projects"]

_PRIORITIES = ("Normal", "High", "Low", "Urgent")


def _customer_at(customers: pl.DataFrame, u: pl.Expr) -> pl.Expr:
    """A customer that existed at the row's createdOn."""
    ordered = customers.sort("createdOn")
    existing = pl.lit(ordered["createdOn"].dt.epoch("us")).search_sorted(
        pl.col("createdOn").dt.epoch("us"), side="right"
    )
    row = (u * existing.cast(pl.Float64)).cast(pl.Int64).clip(0, ordered.height - 1)
    return pl.lit(ordered["id"]).gather(row)


def leads(
    ctx: GenContext,
    customers: pl.DataFrame,
    locations: pl.DataFrame,
    campaign_ids: list[int],
    bu_ids: list[int],
    job_type_ids: list[int],
    csr_ids: list[int],
) -> pl.DataFrame:
    """Sales follow-ups: open, dismissed or converted."""
    n = ctx.count(JOBS_BASE * 0.07)
    d = ctx.draws("leads")
    i = row_key(n)
    refresh = pl.lit(ctx.refresh).dt.cast_time_unit("us")
    frame = (
        pl.select(
            _key=i,
            _day=d.integers(i, "day", 5, ctx.organic_days - 1),
            _s=d.integers(i, "s", 8 * 3600, 18 * 3600),
        )
        .sort("_day", "_s", "_key")
        .with_row_index("_idx")
        .with_columns(pl.col("_idx").cast(pl.Int64))
        .with_columns(createdOn=local_times(pl.col("_day"), pl.col("_s"), ctx))
    )
    k = pl.col("_key")
    first_site = locations.sort("id").group_by("customerId").agg(pl.col("id").first().alias("locationId"))
    type_index = d.index(k, "type", len(job_type_ids))
    status = pick(["Open", "Dismissed", "Converted"], d.index(k, "status", 3, (0.25, 0.35, 0.4)))
    frame = frame.with_columns(
        id=entity_ids("leads", pl.col("_idx"), d),
        customerId=_customer_at(customers, d.uniform(k, "customer")),
        status=status,
        campaignId=pick(campaign_ids, d.index(k, "campaign", len(campaign_ids))),
        businessUnitId=pick([bu_ids[s.bu] for s in JOB_TYPE_SPECS], type_index),
        jobTypeId=pick(job_type_ids, type_index),
        priority=pick(list(_PRIORITIES), d.index(k, "priority", 4, (0.7, 0.15, 0.1, 0.05))),
        summary=pl.format("Interested in {}", pick([s.name for s in JOB_TYPE_SPECS], type_index)),
        createdById=pick(csr_ids, d.index(k, "created_by", len(csr_ids))),
    ).join(first_site, on="customerId", how="left", maintain_order="left")
    return (
        frame.with_columns(
            followUpDate=pl.min_horizontal(
                pl.col("createdOn") + pl.duration(days=d.integers(k, "follow", 1, 14)), refresh
            ),
            modifiedOn=pl.min_horizontal(
                pl.col("createdOn") + pl.duration(days=d.integers(k, "modified", 0, 20)),
                refresh - pl.duration(hours=1),
            ),
            callId=pl.lit(None, dtype=pl.Int64),
            bookingId=pl.lit(None, dtype=pl.Int64),
            manualCallId=pl.lit(None, dtype=pl.Int64),
            callReasonId=pl.lit(None, dtype=pl.Int64),
            dismissingReasonId=pl.when(pl.col("status") == "Dismissed").then(pl.lit(1, dtype=pl.Int64)),
            tagTypeIds=pl.lit([], dtype=pl.List(pl.Int64)),
            leadUrl=pl.lit(None, dtype=pl.String),
            active=pl.col("status") != "Dismissed",
        )
        .sort("id")
        .select(
            "id",
            "status",
            "customerId",
            "locationId",
            "businessUnitId",
            "jobTypeId",
            "priority",
            "campaignId",
            "summary",
            "callReasonId",
            "callId",
            "bookingId",
            "manualCallId",
            "followUpDate",
            "createdOn",
            "createdById",
            "modifiedOn",
            "tagTypeIds",
            "dismissingReasonId",
            "leadUrl",
            "active",
        )
    )


def bookings(
    ctx: GenContext,
    jobs: pl.DataFrame,
    campaign_ids: list[int],
    bu_ids: list[int],
    job_type_ids: list[int],
) -> pl.DataFrame:
    """Online booking requests; converted ones point at the job they became."""
    d = ctx.draws("bookings")
    n = ctx.count(JOBS_BASE * 0.1)
    i = row_key(n)
    refresh = pl.lit(ctx.refresh).dt.cast_time_unit("us")
    candidates = jobs.filter(pl.col("active")).select("id", "createdOn").sort("createdOn")
    frame = (
        pl.select(_key=i, _day=d.integers(i, "day", 5, ctx.organic_days - 3), _s=d.integers(i, "s", 0, 86399))
        .sort("_day", "_s", "_key")
        .with_row_index("_idx")
        .with_columns(pl.col("_idx").cast(pl.Int64))
        .with_columns(createdOn=local_times(pl.col("_day"), pl.col("_s"), ctx))
    )
    k = pl.col("_key")
    status = pick(
        ["New", "Converted", "Dismissed", "Accepted"], d.index(k, "status", 4, (0.1, 0.6, 0.2, 0.1))
    )
    job_row = (
        pl.lit(candidates["createdOn"].dt.epoch("us"))
        .search_sorted(pl.col("createdOn").dt.epoch("us"), side="left")
        .clip(0, candidates.height - 1)
    )
    type_index = d.index(k, "type", len(job_type_ids))
    address, _town = address_struct(k, d, ctx, "booking")
    return (
        frame.with_columns(
            id=entity_ids("bookings", pl.col("_idx"), d),
            source=pl.lit("Website"),
            name=pl.format("{} {}", d.choice(k, "first", FIRST_NAMES), d.choice(k, "last", LAST_NAMES)),
            address=address,
            customerType=pl.when(d.bernoulli(k, "commercial", 0.1))
            .then(pl.lit("Commercial"))
            .otherwise(pl.lit("Residential")),
            start=pl.col("createdOn") + pl.duration(days=d.integers(k, "start", 1, 7)),
            bookingProviderId=pl.lit(1, dtype=pl.Int64),
            status=status,
            dismissingReasonId=pl.when(status == "Dismissed").then(pl.lit(1, dtype=pl.Int64)),
            jobId=pl.when(status == "Converted").then(pl.lit(candidates["id"]).gather(job_row)),
            isFirstTimeClient=d.bernoulli(k, "first_time", 0.55),
            uploadedImages=pl.lit([], dtype=pl.List(pl.String)),
            isSendConfirmationEmail=pl.lit(True),
            campaignId=pick(campaign_ids, d.index(k, "campaign", len(campaign_ids))),
            businessUnitId=pick([bu_ids[s.bu] for s in JOB_TYPE_SPECS], type_index),
            jobTypeId=pick(job_type_ids, type_index),
            priority=pick(list(_PRIORITIES), d.index(k, "priority", 4, (0.75, 0.15, 0.05, 0.05))),
            summary=pl.format("Online request: {}", pick([s.name for s in JOB_TYPE_SPECS], type_index)),
            externalId=pl.format("WEB-{}", pl.col("_idx") + 10000),
            active=status != "Dismissed",
        )
        .with_columns(
            modifiedOn=pl.min_horizontal(
                pl.col("createdOn") + pl.duration(hours=d.integers(k, "mod", 1, 48)), refresh
            ),
        )
        .select(
            "id",
            "source",
            "createdOn",
            "name",
            "address",
            "customerType",
            "start",
            "bookingProviderId",
            "status",
            "dismissingReasonId",
            "jobId",
            "externalId",
            "summary",
            "isFirstTimeClient",
            "uploadedImages",
            "isSendConfirmationEmail",
            "modifiedOn",
            "campaignId",
            "businessUnitId",
            "jobTypeId",
            "priority",
            "active",
        )
    )


def projects(ctx: GenContext, jobs: pl.DataFrame, customers: pl.DataFrame) -> pl.DataFrame:
    """One project per install job that was run as a project (the job carries its projectId)."""
    d = ctx.draws("projects")
    names = customers.select(pl.col("id").alias("customerId"), pl.col("name").alias("_customer_name"))
    base = (
        jobs.filter(pl.col("_project_idx").is_not_null())
        .join(names, on="customerId", how="left", maintain_order="left")
        .sort("_project_idx")
    )
    k = pl.col("_project_idx")
    done = pl.col("jobStatus") == "Completed"
    type_name = pick([s.name for s in JOB_TYPE_SPECS], pl.col("_type"))
    return base.with_columns(
        id=pl.col("projectId"),
        number=pl.format("P-{}", k + 1001),
        name=pl.format("{} - {}", type_name, pl.col("_customer_name")),
        summary=pl.format("{} project", type_name),
        status=pl.when(done)
        .then(pl.lit("Completed"))
        .when(pl.col("jobStatus") == "Canceled")
        .then(pl.lit("Canceled"))
        .otherwise(pl.lit("In Progress")),
        statusId=pl.when(done)
        .then(3)
        .when(pl.col("jobStatus") == "Canceled")
        .then(4)
        .otherwise(2)
        .cast(pl.Int64),
        subStatus=pl.lit(None, dtype=pl.String),
        subStatusId=pl.lit(None, dtype=pl.Int64),
        startDate=pl.col("_start"),
        targetCompletionDate=pl.col("_start") + pl.duration(days=d.integers(k, "target", 2, 14)),
        actualCompletionDate=pl.when(done).then(pl.col("completedOn")),
        projectManagerIds=pl.lit([], dtype=pl.List(pl.Int64)),
        businessUnitIds=pl.concat_list(pl.col("businessUnitId")),
        jobIds=pl.concat_list(pl.col("id")),
        customFields=pl.lit([], dtype=CUSTOM_FIELD_DTYPE),
        externalData=pl.lit([], dtype=EXTERNAL_DATA_DTYPE),
        projectTypeId=pl.lit(None, dtype=pl.Int64),
    ).select(
        "id",
        "number",
        "name",
        "summary",
        "status",
        "statusId",
        "subStatus",
        "subStatusId",
        "customerId",
        "locationId",
        "projectTypeId",
        "projectManagerIds",
        "businessUnitIds",
        "startDate",
        "targetCompletionDate",
        "actualCompletionDate",
        "modifiedOn",
        "createdOn",
        "customFields",
        "externalData",
        "jobIds",
        "active",
    )

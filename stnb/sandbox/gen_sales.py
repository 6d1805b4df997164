"""Estimates written on jobs, and memberships sold to customers (with renewals, cancellations, expiry)."""

from __future__ import annotations

import polars as pl

from stnb.sandbox.gen_base import CUSTOMERS_BASE, GenContext, entity_ids, iso, local_times, row_key
from stnb.sandbox.gen_crm import CUSTOM_FIELD_DTYPE
from stnb.sandbox.gen_reference import JOB_TYPE_SPECS, MEMBERSHIP_TYPE_SPECS
from stnb.sandbox.rng import pick

__all__ = ["estimates", "memberships"]

# Membership price per term in dollars, parallel to MEMBERSHIP_TYPE_SPECS.
MEMBERSHIP_PRICES = (179.0, 239.4, 149.0, 696.0)
_ESTIMATE_STATUS = {1: "Open", 2: "Sold", 3: "Dismissed"}


def estimates(ctx: GenContext, jobs: pl.DataFrame, business_units: pl.DataFrame) -> pl.DataFrame:
    """Good/better/best options on about a third of completed jobs; some sold, some dismissed."""
    d = ctx.draws("estimates")
    k = pl.col("_key")
    refresh = pl.lit(ctx.refresh).dt.cast_time_unit("us")
    base = jobs.filter(
        (pl.col("jobStatus") == "Completed") & d.bernoulli(pl.col("_key"), "has", 0.35) & pl.col("active")
    )
    exploded = (
        base.with_columns(_option=pl.int_ranges(0, 1 + d.bernoulli(k, "options", 0.4).cast(pl.Int64) * 2))
        .explode("_option")
        .with_row_index("_row")
        .with_columns(pl.col("_row").cast(pl.Int64))
    )
    r = pl.col("_row")
    type_name = pick([s.name for s in JOB_TYPE_SPECS], pl.col("_type"))
    ticket = pick([s.ticket for s in JOB_TYPE_SPECS], pl.col("_type")).cast(pl.Float64)
    tier = pick(["Good", "Better", "Best"], pl.col("_option"))
    amount = (ticket * (1.0 + pl.col("_option") * 0.35) * (0.8 + d.uniform(r, "amount") * 0.5)).round(2)
    status = pick([1, 2, 3], d.index(r, "status", 3, (0.35, 0.4, 0.25)))
    created = pl.col("completedOn") + pl.duration(minutes=d.integers(r, "created", 5, 120))
    sold_on = created + pl.duration(days=d.integers(r, "sold", 0, 14))
    bu_names = dict(zip(business_units["id"].to_list(), business_units["name"].to_list(), strict=True))
    frame = exploded.with_columns(
        id=entity_ids("estimates", r, d),
        jobId=pl.col("id"),
        projectId=pl.col("projectId"),
        name=pl.format("{} - {}", type_name, tier),
        _status=status,
        createdOn=pl.min_horizontal(created, refresh - pl.duration(hours=2)),
        _sold_on=pl.min_horizontal(sold_on, refresh - pl.duration(hours=1)),
        subtotal=amount,
        _technician=pl.col("soldById"),
    )
    sold = pl.col("_status") == 2
    item_dtype = pl.Struct(
        {
            "id": pl.Int64,
            "sku": pl.Struct(
                {"id": pl.Int64, "name": pl.String, "displayName": pl.String, "type": pl.String}
            ),
            "skuAccount": pl.String,
            "description": pl.String,
            "qty": pl.Float64,
            "unitRate": pl.Float64,
            "total": pl.Float64,
            "unitCost": pl.Float64,
            "totalCost": pl.Float64,
            "itemGroupName": pl.String,
            "createdOn": pl.String,
            "modifiedOn": pl.String,
            "chargeable": pl.Boolean,
        }
    )
    item = pl.struct(
        id=pl.col("id") * 10 + 1,
        sku=pl.struct(
            id=pl.col("_type") + 100_000,
            name=type_name,
            displayName=type_name,
            type=pl.lit("Service"),
        ),
        skuAccount=pl.lit("Service Revenue"),
        description=pl.format("{} ({} option)", type_name, tier),
        qty=pl.lit(1.0),
        unitRate=pl.col("subtotal"),
        total=pl.col("subtotal"),
        unitCost=(pl.col("subtotal") * 0.45).round(2),
        totalCost=(pl.col("subtotal") * 0.45).round(2),
        itemGroupName=tier,
        createdOn=iso(pl.col("createdOn")),
        modifiedOn=iso(pl.col("createdOn")),
        chargeable=pl.lit(True),
    ).cast(item_dtype)
    return frame.with_columns(
        locationId=pl.col("locationId"),
        customerId=pl.col("customerId"),
        jobNumber=pl.col("jobNumber"),
        status=pl.struct(
            value=pl.col("_status").cast(pl.Int32),
            name=pl.col("_status").replace_strict(_ESTIMATE_STATUS, return_dtype=pl.String),
        ),
        reviewStatus=pl.lit("None"),
        summary=pl.format("Options for {}", type_name),
        modifiedOn=pl.when(sold | (pl.col("_status") == 3))
        .then(pl.col("_sold_on"))
        .otherwise(pl.col("createdOn")),
        soldOn=pl.when(sold).then(pl.col("_sold_on")),
        soldBy=pl.when(sold).then(pl.col("_technician")),
        active=pl.lit(True),
        items=pl.concat_list(item),
        externalLinks=pl.lit([], dtype=pl.List(pl.Struct({"name": pl.String, "url": pl.String}))),
        tax=(pl.col("subtotal") * 0.05).round(2),
        businessUnitId=pl.col("businessUnitId"),
        businessUnitName=pl.col("businessUnitId").replace_strict(
            bu_names, default="", return_dtype=pl.String
        ),
    ).select(
        "id",
        "jobId",
        "projectId",
        "locationId",
        "customerId",
        "name",
        "jobNumber",
        "status",
        "reviewStatus",
        "summary",
        "createdOn",
        "modifiedOn",
        "soldOn",
        "soldBy",
        "active",
        "items",
        "externalLinks",
        "subtotal",
        "tax",
        "businessUnitId",
        "businessUnitName",
    )


def memberships(
    ctx: GenContext,
    customers: pl.DataFrame,
    locations: pl.DataFrame,
    membership_types: pl.DataFrame,
    business_units: pl.DataFrame,
    technicians: pl.DataFrame,
    csr_ids: list[int],
) -> pl.DataFrame:
    """Memberships sold over the history; status as of the refresh date."""
    n = ctx.count(CUSTOMERS_BASE * 0.3)
    d = ctx.draws("memberships")
    i = row_key(n)
    refresh = pl.lit(ctx.refresh).dt.cast_time_unit("us")
    residential = customers.filter((pl.col("type") == "Residential") & pl.col("active")).sort("createdOn")
    created_us = residential["createdOn"].dt.epoch("us")
    draft = pl.select(
        _key=i,
        _day=d.integers(i, "day", 10, ctx.organic_days - 2),
        _seconds=d.integers(i, "second", 8 * 3600, 18 * 3600),
        _type_idx=d.index(i, "type", len(MEMBERSHIP_TYPE_SPECS), (0.4, 0.25, 0.2, 0.15)),
    ).sort("_day", "_seconds", "_key")
    frame = (
        draft.with_row_index("_idx")
        .with_columns(pl.col("_idx").cast(pl.Int64))
        .with_columns(createdOn=local_times(pl.col("_day"), pl.col("_seconds"), ctx))
    )
    k = pl.col("_key")
    existing = pl.lit(created_us).search_sorted(pl.col("createdOn").dt.epoch("us"), side="right")
    row = (
        (d.uniform(k, "customer") * existing.cast(pl.Float64))
        .cast(pl.Int64)
        .clip(0, max(0, residential.height - 1))
    )
    first_site = locations.sort("id").group_by("customerId").agg(pl.col("id").first().alias("locationId"))
    months = pick([m for _n, _f, m in MEMBERSHIP_TYPE_SPECS], pl.col("_type_idx"))
    frequency = pick([f for _n, f, _m in MEMBERSHIP_TYPE_SPECS], pl.col("_type_idx"))
    hvac_bu = business_units["id"][0]
    plumbing_bu = business_units["id"][2] if business_units.height > 2 else hvac_bu
    frame = frame.with_columns(customerId=pl.lit(residential["id"]).gather(row)).join(
        first_site, on="customerId", how="left", maintain_order="left"
    )
    to_date = pl.col("createdOn").dt.offset_by(pl.format("{}mo", months))
    u = d.uniform(k, "status")
    status = (
        pl.when(to_date < refresh)
        .then(pl.lit("Expired"))
        .when(u < 0.07)
        .then(pl.lit("Canceled"))
        .when(u < 0.1)
        .then(pl.lit("Suspended"))
        .otherwise(pl.lit("Active"))
    )
    canceled_on = pl.col("createdOn") + pl.duration(days=d.integers(k, "cancel", 20, 300))
    canceled_on = pl.min_horizontal(canceled_on, refresh - pl.duration(days=1))
    active_techs = technicians.filter(pl.col("active"))["id"].to_list()
    frame = frame.with_columns(
        id=entity_ids("memberships", pl.col("_idx"), d),
        _to=to_date,
        status=status,
        membershipTypeId=pick(membership_types["id"].to_list(), pl.col("_type_idx")),
        billingFrequency=frequency,
        duration=months.cast(pl.Int32),
        initialDeferredRevenue=pick(list(MEMBERSHIP_PRICES), pl.col("_type_idx")),
        businessUnitId=pl.when(pl.col("_type_idx") == 2).then(plumbing_bu).otherwise(hvac_bu),
        soldById=pick(active_techs, d.index(k, "sold_by", len(active_techs))),
        createdById=pick(csr_ids, d.index(k, "created_by", len(csr_ids))),
    )
    modified = (
        pl.when(pl.col("status") == "Canceled")
        .then(canceled_on)
        .when(pl.col("status") == "Expired")
        .then(pl.col("_to"))
        .otherwise(pl.col("createdOn") + pl.duration(days=d.integers(k, "modified", 0, 30)))
    )
    next_bill = pl.col("createdOn").dt.offset_by(
        pl.when(frequency == "Monthly").then(pl.lit("1mo")).otherwise(pl.lit("12mo"))
    )
    return frame.with_columns(
        createdById=pl.col("createdById"),
        modifiedOn=pl.min_horizontal(modified, refresh - pl.duration(minutes=5)),
        followUpOn=pl.col("_to") - pl.duration(days=30),
        cancellationDate=pl.when(pl.col("status") == "Canceled").then(canceled_on),
        **{"from": pl.col("createdOn").dt.truncate("1d")},
        nextScheduledBillDate=pl.when(pl.col("status") == "Active").then(next_bill),
        to=pl.col("_to").dt.truncate("1d"),
        renewalBillingFrequency=frequency,
        followUpStatus=pick(
            ["NotAttempted", "Contacted", "Won", "Dismissed", "Unreachable"],
            d.index(k, "follow_up", 5, (0.5, 0.2, 0.15, 0.1, 0.05)),
        ),
        active=pl.lit(True),
        renewalDuration=pl.col("duration"),
        recurringLocationId=pl.col("locationId"),
        customFields=pl.lit([], dtype=CUSTOM_FIELD_DTYPE),
        memo=pl.lit(None, dtype=pl.String),
        customerPo=pl.lit(None, dtype=pl.String),
        importId=pl.lit(None, dtype=pl.String),
    ).select(
        "id",
        "createdOn",
        "createdById",
        "modifiedOn",
        "followUpOn",
        "cancellationDate",
        "from",
        "nextScheduledBillDate",
        "to",
        "billingFrequency",
        "renewalBillingFrequency",
        "status",
        "followUpStatus",
        "active",
        "initialDeferredRevenue",
        "duration",
        "renewalDuration",
        "businessUnitId",
        "customerId",
        "membershipTypeId",
        "locationId",
        "recurringLocationId",
        "soldById",
        "customerPo",
        "importId",
        "memo",
        "customFields",
    )

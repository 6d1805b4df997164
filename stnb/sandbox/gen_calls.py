"""Inbound and outbound calls (telecom): one booked call per job that came from the phone, plus calls that
booked nothing. Stored once; `calls_list` and `calls_export` give the two shapes the API sends."""

from __future__ import annotations

import polars as pl

from stnb.sandbox.gen_base import JOBS_BASE, GenContext, entity_ids, iso, local_times, row_key
from stnb.sandbox.rng import pick

__all__ = ["calls", "calls_export", "calls_list"]

_CALL_TYPES = ("Unbooked", "Excused", "Abandoned", "NotLead")
_REASONS = ("Price shopping", "No availability", "Wrong number", "Existing appointment", "Warranty question")


def calls(
    ctx: GenContext,
    jobs: pl.DataFrame,
    customers: pl.DataFrame,
    locations: pl.DataFrame,
    campaigns: pl.DataFrame,
    business_units: pl.DataFrame,
    job_types: pl.DataFrame,
    csr_ids: list[int],
) -> pl.DataFrame:
    """Every call with internal columns (`_customer`, `_campaign`, `_bu`, `_type`, `_job`...)."""
    d = ctx.draws("calls")
    booked = jobs.filter(pl.col("_from_call")).select(
        _idx=pl.col("_call_idx"),
        _received=pl.col("createdOn") - pl.duration(minutes=d.integers(pl.col("_key"), "lead", 1, 25)),
        _customer=pl.col("customerId"),
        _location=pl.col("locationId"),
        _campaign=pl.col("campaignId"),
        _bu=pl.col("businessUnitId"),
        _type=pl.col("jobTypeId"),
        _job=pl.col("id"),
        _job_number=pl.col("jobNumber"),
        _project=pl.col("projectId"),
        _agent=pl.col("createdById"),
        _call_type=pl.lit("Booked"),
    )
    n_other = ctx.count(JOBS_BASE * 0.55)
    i = row_key(n_other)
    first_other = booked.height
    customer_rows = d.index(i, "customer", customers.height)
    others = pl.select(
        _idx=i + first_other,
        _received=local_times(
            d.integers(i, "day", 4, ctx.organic_days - 1), d.integers(i, "second", 7 * 3600, 19 * 3600), ctx
        ),
        _customer=pl.lit(customers["id"]).gather(customer_rows),
        _campaign=pick(campaigns["id"].to_list(), d.index(i, "campaign", campaigns.height)),
        _bu=pick(business_units["id"].to_list(), d.index(i, "bu", business_units.height)),
        _type=pick(job_types["id"].to_list(), d.index(i, "type", job_types.height)),
        _agent=pick(csr_ids, d.index(i, "agent", len(csr_ids))),
        _call_type=pick(list(_CALL_TYPES), d.index(i, "call_type", len(_CALL_TYPES), (0.4, 0.25, 0.15, 0.2))),
    )
    first_site = locations.sort("id").group_by("customerId").agg(pl.col("id").first().alias("_location"))
    others = others.join(
        first_site, left_on="_customer", right_on="customerId", how="left", maintain_order="left"
    )
    both = pl.concat([booked, others], how="diagonal_relaxed").sort("_idx")
    k = pl.col("_idx")
    seconds = (
        pl.when(pl.col("_call_type") == "Abandoned")
        .then(d.integers(k, "short", 5, 40))
        .otherwise(d.integers(k, "long", 90, 720))
    )
    refresh = pl.lit(ctx.refresh).dt.cast_time_unit("us")
    return both.with_columns(
        id=entity_ids("calls", k, d),
        _received=pl.min_horizontal(pl.col("_received"), refresh - pl.duration(hours=1)).dt.truncate("1s"),
        _seconds=seconds,
        _direction=pl.when(d.bernoulli(k, "outbound", 0.12))
        .then(pl.lit("Outbound"))
        .otherwise(pl.lit("Inbound")),
        _from=pl.format("914555{}", d.integers(k, "from", 1000, 9999)),
        _to=pl.format("800555{}", d.integers(k, "to", 1000, 1999)),
        _reason=d.index(k, "reason", len(_REASONS)),
        active=~d.bernoulli(k, "deleted", 0.003),
    ).with_columns(
        createdOn=pl.col("_received"),
        modifiedOn=pl.col("_received")
        + pl.duration(seconds=pl.col("_seconds") + d.integers(k, "mod", 5, 300)),
        _duration=pl.format(
            "00:{}:{}",
            (pl.col("_seconds") // 60).cast(pl.String).str.zfill(2),
            (pl.col("_seconds") % 60).cast(pl.String).str.zfill(2),
        ),
    )


def _named(ids: pl.Expr, frame: pl.DataFrame, id_col: str = "id") -> pl.Expr:
    names = dict(zip(frame[id_col].to_list(), frame["name"].to_list(), strict=True))
    return ids.replace_strict(names, default=None, return_dtype=pl.String)


def calls_list(
    base: pl.DataFrame,
    customers: pl.DataFrame,
    campaigns: pl.DataFrame,
    business_units: pl.DataFrame,
    job_types: pl.DataFrame,
    employees: pl.DataFrame,
) -> pl.DataFrame:
    """The nested shape of `/telecom/v2/.../calls` (and v3): the call inside `leadCall`."""
    customer_cols = customers.select(
        pl.col("id").alias("_customer"),
        pl.struct(
            id=pl.col("id"),
            active=pl.col("active"),
            name=pl.col("name"),
            type=pl.col("type"),
            address=pl.col("address").struct.with_fields(pl.field("unit").fill_null("")),
            balance=pl.col("balance"),
            doNotMail=pl.col("doNotMail"),
            doNotService=pl.col("doNotService"),
            createdOn=pl.col("createdOn").dt.strftime("%Y-%m-%dT%H:%M:%SZ"),
            modifiedOn=pl.col("modifiedOn").dt.strftime("%Y-%m-%dT%H:%M:%SZ"),
            mergedToId=pl.col("mergedToId"),
        ).alias("_customer_struct"),
    )
    # The telecom documents want every text field of the embedded unit filled (no nulls).
    skip = ("createdOn", "modifiedOn", "address", "tenant", "externalData")
    unit_fields = [
        pl.col(c).cast(pl.String).fill_null("")
        if business_units.schema[c] in (pl.String, pl.Null)
        else pl.col(c)
        for c in business_units.columns
        if not c.startswith("_") and c not in skip
    ]
    bu_structs = business_units.select(
        pl.col("id").alias("_bu"),
        pl.struct(
            *unit_fields,
            address=pl.col("address").struct.with_fields(pl.field("unit").fill_null("")),
            modifiedOn=pl.col("modifiedOn").dt.strftime("%Y-%m-%dT%H:%M:%SZ"),
        ).alias("businessUnit"),
    )
    type_structs = job_types.select(
        pl.col("id").alias("_type"),
        pl.struct(
            id=pl.col("id"),
            name=pl.col("name"),
            modifiedOn=pl.col("modifiedOn").dt.strftime("%Y-%m-%dT%H:%M:%SZ"),
        ).alias("type"),
    )
    frame = (
        base.join(customer_cols, on="_customer", how="left", maintain_order="left")
        .join(bu_structs, on="_bu", how="left", maintain_order="left")
        .join(type_structs, on="_type", how="left", maintain_order="left")
        .sort("id")
    )
    agent_name = _named(pl.col("_agent"), employees)
    lead_call = pl.struct(
        [
            pl.col("id").alias("id"),
            iso(pl.col("_received")).alias("receivedOn"),
            pl.col("_duration").alias("duration"),
            pl.col("_from").alias("from"),
            pl.col("_to").alias("to"),
            pl.col("_direction").alias("direction"),
            pl.col("_call_type").alias("callType"),
            pl.struct(
                id=pl.col("_reason") + 1,
                name=pick(list(_REASONS), pl.col("_reason")),
                lead=pl.lit(True),
                active=pl.lit(True),
            ).alias("reason"),
            pl.format("https://recordings.example.com/calls/{}.mp3", pl.col("id")).alias("recordingUrl"),
            pl.lit("").alias("voiceMailUrl"),
            pl.struct(id=pl.col("_agent"), name=agent_name).alias("createdBy"),
            pl.col("_customer_struct").alias("customer"),
            pl.struct(
                id=pl.col("_campaign"), name=_named(pl.col("_campaign"), campaigns), active=pl.lit(True)
            ).alias("campaign"),
            iso(pl.col("modifiedOn")).alias("modifiedOn"),
            pl.struct(id=pl.col("_agent"), name=agent_name, externalId=pl.col("_agent")).alias("agent"),
            iso(pl.col("createdOn")).alias("createdOn"),
            pl.col("active").alias("active"),
        ]
    )
    return frame.with_columns(
        jobNumber=pl.col("_job_number").fill_null(""),
        projectId=pl.col("_project").fill_null(0),
        leadCall=lead_call,
    ).select(
        "id",
        "jobNumber",
        "projectId",
        "businessUnit",
        "type",
        "leadCall",
        "createdOn",
        "modifiedOn",
        "active",
        pl.col("^_.*$"),
    )


def calls_export(
    base: pl.DataFrame,
    customers: pl.DataFrame,
    locations: pl.DataFrame,
    campaigns: pl.DataFrame,
    employees: pl.DataFrame,
) -> pl.DataFrame:
    """The flat shape of `/telecom/v2/.../export/calls`."""
    agent_name = _named(pl.col("_agent"), employees)
    named = pl.Struct({"id": pl.Int64, "name": pl.String})
    return (
        base.sort("id")
        .with_columns(
            duration=pl.col("_duration"),
            **{"from": pl.col("_from")},
            to=pl.col("_to"),
            direction=pl.col("_direction"),
            status=pl.lit("Completed"),
            type=pl.col("_call_type"),
            recordingUrl=pl.format("https://recordings.example.com/calls/{}.mp3", pl.col("id")),
            voiceMailPath=pl.lit(None, dtype=pl.String),
            reason=pl.struct(id=pl.col("_reason") + 1, name=pick(list(_REASONS), pl.col("_reason"))),
            customer=pl.struct(id=pl.col("_customer"), name=_named(pl.col("_customer"), customers)),
            location=pl.when(pl.col("_location").is_not_null()).then(
                pl.struct(id=pl.col("_location"), name=_named(pl.col("_location"), locations))
            ),
            campaign=pl.struct(id=pl.col("_campaign"), name=_named(pl.col("_campaign"), campaigns)),
            job=pl.when(pl.col("_job").is_not_null()).then(
                pl.struct(id=pl.col("_job"), number=pl.col("_job_number"))
            ),
            agent=pl.struct(id=pl.col("_agent"), name=agent_name),
            createdBy=pl.struct(id=pl.col("_agent"), name=agent_name).cast(named),
        )
        .select(
            "id",
            "duration",
            "from",
            "to",
            "direction",
            "status",
            "type",
            "recordingUrl",
            "voiceMailPath",
            "createdOn",
            "modifiedOn",
            "reason",
            "customer",
            "location",
            "campaign",
            "job",
            "agent",
            "createdBy",
            "active",
            pl.col("^_.*$"),
        )
    )

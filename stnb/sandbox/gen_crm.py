"""Customers, their locations and contacts, generated column-wise (vectorised) for any scale."""

from __future__ import annotations

from collections.abc import Sequence

import polars as pl

from stnb.sandbox.gen_base import CUSTOMERS_BASE, GenContext, entity_ids, local_times, row_key
from stnb.sandbox.names import (
    BUSINESS_SUFFIXES,
    BUSINESS_WORDS,
    FIRST_NAMES,
    LAST_NAMES,
    STREET_NAMES,
    STREET_SUFFIXES,
    TOWNS,
    Town,
)
from stnb.sandbox.rng import Draws, pick

__all__ = [
    "CUSTOM_FIELD_DTYPE",
    "EXTERNAL_DATA_DTYPE",
    "address_struct",
    "customer_contacts",
    "customers",
    "location_contacts",
    "locations",
    "tenant_towns",
]

CUSTOM_FIELD_DTYPE = pl.List(pl.Struct({"typeId": pl.Int64, "name": pl.String, "value": pl.String}))
EXTERNAL_DATA_DTYPE = pl.List(pl.Struct({"key": pl.String, "value": pl.String}))
CONTACT_TIMES = ("Morning", "Afternoon", "Evening", "Any time")


def tenant_towns(ctx: GenContext) -> tuple[list[Town], list[float]]:
    """The tenant's towns and their weights (the first state holds most customers)."""
    towns: list[Town] = []
    weights: list[float] = []
    for rank, state in enumerate(ctx.profile.states):
        state_towns = TOWNS[state]
        share = 0.7 if rank == 0 else 0.3 / max(1, len(ctx.profile.states) - 1)
        for town in state_towns:
            towns.append(town)
            weights.append(share / len(state_towns))
    return towns, weights


def address_struct(key: pl.Expr, draws: Draws, ctx: GenContext, prefix: str) -> tuple[pl.Expr, pl.Expr]:
    """(address struct, town index) for each row: a street in one of the tenant's towns."""
    towns, weights = tenant_towns(ctx)
    town = draws.index(key, f"{prefix}:town", len(towns), weights)
    street = pl.format(
        "{} {} {}",
        draws.integers(key, f"{prefix}:number", 1, 9899),
        draws.choice(key, f"{prefix}:street", STREET_NAMES),
        draws.choice(key, f"{prefix}:suffix", STREET_SUFFIXES),
    )
    unit = (
        pl.when(draws.bernoulli(key, f"{prefix}:has_unit", 0.1))
        .then(pl.format("Apt {}", draws.integers(key, f"{prefix}:unit", 1, 40)))
        .otherwise(pl.lit(None, dtype=pl.String))
    )
    zip_code = pl.format(
        "{}{}",
        pick([t.zip_prefix for t in towns], town),
        draws.integers(key, f"{prefix}:zip", 1, 99).cast(pl.String).str.zfill(2),
    )
    jitter = 0.04
    latitude = pick([t.latitude for t in towns], town) + (draws.uniform(key, f"{prefix}:lat") - 0.5) * jitter
    longitude = (
        pick([t.longitude for t in towns], town) + (draws.uniform(key, f"{prefix}:lon") - 0.5) * jitter
    )
    address = pl.struct(
        street=street,
        unit=unit,
        city=pick([t.city for t in towns], town),
        state=pick([t.state for t in towns], town),
        zip=zip_code,
        country=pl.lit("USA"),
        latitude=latitude.round(6),
        longitude=longitude.round(6),
    )
    return address, town


def _pick_list(
    values: Sequence[int], key: pl.Expr, draws: Draws, name: str, shares: Sequence[float]
) -> pl.Expr:
    """A short list of distinct values: element i is present with probability shares[i]."""
    parts = [
        pl.when(draws.bernoulli(key, f"{name}:{i}", share)).then(draws.choice(key, f"{name}:{i}:v", values))
        for i, share in enumerate(shares)
    ]
    return pl.concat_list(parts).list.drop_nulls().list.unique(maintain_order=True).cast(pl.List(pl.Int64))


def customers(ctx: GenContext, tag_type_ids: Sequence[int], csr_ids: Sequence[int]) -> pl.DataFrame:
    """Customers created over the organic history (a third imported at go-live), ids in creation order."""
    n = ctx.count(CUSTOMERS_BASE)
    d = ctx.draws("customers")
    i = row_key(n)
    imported = d.bernoulli(i, "imported", 0.35)
    day = (
        pl.when(imported)
        .then(d.integers(i, "import_day", 0, 3))
        .otherwise((d.uniform(i, "day") ** 0.85 * (ctx.organic_days - 5)).cast(pl.Int64) + 4)
    )
    seconds = d.integers(i, "second", 7 * 3600, 19 * 3600)
    draft = pl.select(day=day, seconds=seconds, key=i).sort("day", "seconds", "key")
    i = pl.col("idx")
    commercial = d.bernoulli(pl.col("key"), "commercial", 0.15)
    k = pl.col("key")
    person = pl.format("{} {}", d.choice(k, "first", FIRST_NAMES), d.choice(k, "last", LAST_NAMES))
    business = pl.format(
        "{} {}", d.choice(k, "biz", BUSINESS_WORDS), d.choice(k, "biz_suffix", BUSINESS_SUFFIXES)
    )
    address, _town = address_struct(k, d, ctx, "address")
    created = local_times(pl.col("day"), pl.col("seconds"), ctx)
    frame = (
        draft.with_row_index("idx")
        .with_columns(pl.col("idx").cast(pl.Int64))
        .with_columns(
            id=entity_ids("customers", i, d),
            _created=created,
            _commercial=commercial,
        )
    )
    refresh_us = int(ctx.refresh.timestamp() * 1_000_000)
    span = pl.lit(refresh_us) - 3_600_000_000 - pl.col("_created").dt.epoch("us")
    modified = pl.from_epoch(
        pl.col("_created").dt.epoch("us") + (d.uniform(k, "modified") ** 2 * span).cast(pl.Int64),
        time_unit="us",
    ).dt.replace_time_zone("UTC")
    inactive = d.bernoulli(k, "inactive", 0.04)
    merged = inactive & d.bernoulli(k, "merged", 0.5) & (i > 10)
    has_time = d.bernoulli(k, "has_custom", 0.3)
    custom = (
        pl.when(has_time)
        .then(
            pl.concat_list(
                pl.struct(
                    typeId=pl.lit(1, dtype=pl.Int64),
                    name=pl.lit("Preferred Contact Time"),
                    value=d.choice(k, "contact_time", CONTACT_TIMES),
                )
            )
        )
        .otherwise(pl.lit([], dtype=CUSTOM_FIELD_DTYPE))
    )
    balance_cents = pl.when(d.bernoulli(k, "has_balance", 0.12)).then(
        d.integers(k, "balance", 5_000, 250_000)
    )
    frame = frame.with_columns(
        active=~inactive,
        name=pl.when(pl.col("_commercial")).then(business).otherwise(person),
        type=pl.when(pl.col("_commercial")).then(pl.lit("Commercial")).otherwise(pl.lit("Residential")),
        address=address,
        customFields=custom,
        balance=(balance_cents.fill_null(0) / 100.0).round(2),
        tagTypeIds=_pick_list(tag_type_ids, k, d, "tags", (0.18, 0.06)),
        doNotMail=d.bernoulli(k, "do_not_mail", 0.06),
        doNotService=d.bernoulli(k, "do_not_service", 0.01),
        createdOn=pl.col("_created"),
        createdById=d.choice(k, "created_by", csr_ids),
        modifiedOn=modified,
        mergedToId=pl.when(merged).then(entity_ids("customers", i - d.integers(k, "merged_to", 1, 10), d)),
        externalData=pl.lit([], dtype=EXTERNAL_DATA_DTYPE),
    )
    return frame.select(
        "id",
        "active",
        "name",
        "type",
        "address",
        "customFields",
        "balance",
        "tagTypeIds",
        "doNotMail",
        "doNotService",
        "createdOn",
        "createdById",
        "modifiedOn",
        "mergedToId",
        "externalData",
        pl.col("idx").alias("_idx"),
        "_commercial",
    )


def locations(ctx: GenContext, customer_frame: pl.DataFrame, zone_ids: Sequence[int]) -> pl.DataFrame:
    """One location per customer at its address, plus extra sites (mostly commercial)."""
    d = ctx.draws("locations")
    c = customer_frame.select(
        pl.col("id").alias("customerId"),
        "name",
        "address",
        "createdOn",
        "createdById",
        "active",
        "_commercial",
        "_idx",
    )
    k = pl.col("_idx")
    extra = (
        pl.when(pl.col("_commercial"))
        .then(d.index(k, "extra_commercial", 4, (0.6, 0.25, 0.1, 0.05)))
        .otherwise(d.index(k, "extra_residential", 2, (0.95, 0.05)))
    )
    exploded = (
        c.with_columns(_count=extra + 1)
        .with_columns(_site=pl.int_ranges(0, pl.col("_count")))
        .explode("_site")
        .with_row_index("_row")
        .with_columns(pl.col("_row").cast(pl.Int64))
    )
    r = pl.col("_row")
    new_address, town = address_struct(r, d, ctx, "site")
    towns, _weights = tenant_towns(ctx)
    active_zones = list(zone_ids[:3])
    zone_by_town = [active_zones[t % len(active_zones)] for t in range(len(towns))]
    first_site = pl.col("_site") == 0
    created = pl.col("createdOn") + pl.duration(days=pl.col("_site") * d.integers(r, "site_delay", 5, 90))
    refresh = pl.lit(ctx.refresh).dt.cast_time_unit("us") - pl.duration(hours=2)
    created = pl.min_horizontal(created, refresh)
    city_of = pl.col("address").struct.field("city")
    frame = exploded.with_columns(
        id=entity_ids("locations", r, d),
        name=pl.when(first_site | ~pl.col("_commercial"))
        .then(pl.col("name"))
        .otherwise(pl.format("{} - {}", pl.col("name"), new_address.struct.field("city"))),
        address=pl.when(first_site).then(pl.col("address")).otherwise(new_address),
        _town=town,
        createdOn=created,
    )
    town_index = {t.city: idx for idx, t in enumerate(towns)}
    zone_expr = pick(zone_by_town, city_of.replace_strict(town_index, default=0, return_dtype=pl.Int64))
    span = (
        pl.lit(int(ctx.refresh.timestamp() * 1_000_000)) - 3_600_000_000 - pl.col("createdOn").dt.epoch("us")
    )
    modified = pl.from_epoch(
        pl.col("createdOn").dt.epoch("us") + (d.uniform(r, "modified") ** 2 * span).cast(pl.Int64).clip(0),
        time_unit="us",
    ).dt.replace_time_zone("UTC")
    frame = frame.with_columns(
        zoneId=zone_expr,
        modifiedOn=modified,
        customFields=pl.lit([], dtype=CUSTOM_FIELD_DTYPE),
        mergedToId=pl.lit(None, dtype=pl.Int64),
        tagTypeIds=pl.lit([], dtype=pl.List(pl.Int64)),
        externalData=pl.lit([], dtype=EXTERNAL_DATA_DTYPE),
        taxZoneId=pl.lit(None, dtype=pl.Int64),
    )
    return (
        frame.sort("createdOn", "_row")
        .with_columns(id=entity_ids("locations", pl.int_range(0, pl.len(), dtype=pl.Int64), d))
        .select(
            "id",
            "customerId",
            "active",
            "name",
            "address",
            "customFields",
            "createdOn",
            "createdById",
            "modifiedOn",
            "mergedToId",
            "zoneId",
            "tagTypeIds",
            "externalData",
            "taxZoneId",
            pl.col("_site"),
        )
    )


def _phone(key: pl.Expr, d: Draws, name: str) -> pl.Expr:
    return pl.format(
        "({}) 555-{}",
        d.choice(key, f"{name}:area", ("914", "845", "201", "203", "310", "626", "312", "630", "702")),
        d.integers(key, f"{name}:line", 100, 199).cast(pl.String).str.zfill(4),
    )


def _contacts(
    ctx: GenContext, owners: pl.DataFrame, owner_col: str, entity: str, stream: str, base_share: float
) -> pl.DataFrame:
    d = ctx.draws(stream)
    k = pl.col("_owner_row")
    kinds = (
        owners.with_row_index("_owner_row")
        .with_columns(pl.col("_owner_row").cast(pl.Int64))
        .with_columns(
            _phone=d.bernoulli(k, "phone", base_share),
            _email=d.bernoulli(k, "email", base_share * 0.7),
            _second=d.bernoulli(k, "second", base_share * 0.15),
        )
        .with_columns(
            _kinds=pl.concat_list(
                pl.when(pl.col("_phone")).then(
                    d.choice(k, "phone_kind", ("MobilePhone", "Phone"), (0.6, 0.4))
                ),
                pl.when(pl.col("_email")).then(pl.lit("Email")),
                pl.when(pl.col("_second")).then(pl.lit("Phone")),
            ).list.drop_nulls()
        )
        .explode("_kinds")
        .drop_nulls("_kinds")
        .with_row_index("_row")
        .with_columns(pl.col("_row").cast(pl.Int64))
    )
    r = pl.col("_row")
    first_name = pl.col("_name").str.split(" ").list.first().str.to_lowercase().str.replace_all("[^a-z]", "")
    email = pl.format("{}{}@example.com", first_name, d.integers(r, "email_n", 1, 999))
    phone = _phone(r, d, "number")
    is_phone = pl.col("_kinds") != "Email"
    span_days = d.integers(r, "modified_days", 0, 200)
    modified = pl.min_horizontal(
        pl.col("createdOn") + pl.duration(days=span_days),
        pl.lit(ctx.refresh).dt.cast_time_unit("us") - pl.duration(hours=1),
    )
    frame = kinds.with_columns(
        id=entity_ids(entity, r, d),
        type=pl.col("_kinds"),
        value=pl.when(is_phone).then(phone).otherwise(email),
        memo=pl.when(pl.col("_kinds") == "Phone")
        .then(pl.lit("home"))
        .otherwise(pl.lit(None, dtype=pl.String)),
        phoneSettings=pl.struct(
            phoneNumber=pl.when(is_phone).then(phone.str.replace_all("[^0-9]", "")).otherwise(pl.lit("")),
            doNotText=is_phone & d.bernoulli(r, "dnt", 0.1),
        ),
        modifiedOn=pl.max_horizontal(modified, pl.col("createdOn")),
    )
    return frame.select(
        "id", "type", "value", "memo", "phoneSettings", "createdOn", "modifiedOn", owner_col, "active"
    )


def customer_contacts(ctx: GenContext, customer_frame: pl.DataFrame) -> pl.DataFrame:
    owners = customer_frame.select(
        pl.col("id").alias("customerId"), pl.col("name").alias("_name"), "createdOn", "active"
    )
    return _contacts(ctx, owners, "customerId", "customer_contacts", "customer_contacts", 0.97)


def location_contacts(ctx: GenContext, location_frame: pl.DataFrame) -> pl.DataFrame:
    owners = location_frame.select(
        pl.col("id").alias("locationId"), pl.col("name").alias("_name"), "createdOn", "active"
    )
    return _contacts(ctx, owners, "locationId", "location_contacts", "location_contacts", 0.25)

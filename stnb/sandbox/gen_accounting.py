"""Invoices (one per job, as ServiceTitan creates them), their items, and the payments applied to them.

Money is kept in integer cents internally (`_subtotal_cents`, `_tax_cents`, `_total_cents`,
`_paid_cents`) and sent as strings ("1234.50"); an invoice's items always add up to its subtotal.
"""

from __future__ import annotations

from collections.abc import Sequence

import polars as pl

from stnb.sandbox.gen_base import GenContext, cents_to_money, entity_ids, iso
from stnb.sandbox.gen_reference import JOB_TYPE_SPECS, PAYMENT_TYPE_NAMES
from stnb.sandbox.rng import pick

__all__ = ["TAX_RATES", "invoice_items", "invoices", "payments"]

TAX_RATES = {"comfort": 0.08875, "pacific": 0.095, "prairie": 0.1025}
_GL = pl.Struct(
    {"id": pl.Int64, "name": pl.String, "number": pl.String, "type": pl.String, "detailType": pl.String}
)


def tax_cents(ctx: GenContext, subtotal_cents: pl.Expr, install: pl.Expr) -> pl.Expr:
    """Sales tax on the taxable share of a job (materials and equipment: more of an install)."""
    share = pl.when(install).then(0.55).otherwise(0.2)
    return (
        (subtotal_cents.cast(pl.Float64) * share * TAX_RATES.get(ctx.profile.key, 0.08))
        .round(0)
        .cast(pl.Int64)
    )


def _gl(account_id: int, name: str, number: str, kind: str, detail: str) -> pl.Expr:
    return pl.lit(
        {"id": account_id, "name": name, "number": number, "type": kind, "detailType": detail}, dtype=_GL
    )


def invoice_items(ctx: GenContext, invoices_frame: pl.DataFrame, sku_ids: Sequence[int]) -> pl.DataFrame:
    """Items of every invoice with a subtotal; their totals add up exactly to the invoice's subtotal."""
    d = ctx.draws("invoice_items")
    billed = invoices_frame.filter(pl.col("_subtotal_cents") > 0).select(
        pl.col("id").alias("invoiceId"),
        "_subtotal_cents",
        "_install",
        "_type",
        "_bu_id",
        "_bu_name",
        "invoiceDate",
        "createdOn",
        "modifiedOn",
        "_technician",
        "_idx",
    )
    k = pl.col("_idx")
    count = (
        1
        + d.bernoulli(k, "n2", 0.5).cast(pl.Int64)
        + d.bernoulli(k, "n3", 0.25).cast(pl.Int64)
        + d.bernoulli(k, "n4", 0.1).cast(pl.Int64)
    )
    exploded = (
        billed.with_columns(_order=pl.int_ranges(0, count))
        .explode("_order")
        .with_row_index("_item_idx")
        .with_columns(pl.col("_item_idx").cast(pl.Int64))
    )
    r = pl.col("_item_idx")
    weight = (
        pl.when(pl.col("_order") == 0).then(3.0 + d.uniform(r, "w0")).otherwise(0.3 + d.uniform(r, "w") * 0.7)
    )
    exploded = exploded.with_columns(_w=weight).with_columns(
        _share=(pl.col("_w") / pl.col("_w").sum().over("invoiceId") * pl.col("_subtotal_cents"))
        .floor()
        .cast(pl.Int64)
    )
    last = pl.col("_order") == pl.col("_order").max().over("invoiceId")
    remainder = pl.col("_subtotal_cents") - pl.col("_share").sum().over("invoiceId")
    exploded = exploded.with_columns(
        _cents=pl.when(last).then(pl.col("_share") + remainder).otherwise(pl.col("_share"))
    )
    kind = (
        pl.when(pl.col("_order") == 0)
        .then(pl.lit("Service"))
        .when(pl.col("_install") & (pl.col("_order") == 1))
        .then(pl.lit("Equipment"))
        .otherwise(pl.lit("Material"))
    )
    service_name = pick([s.name for s in JOB_TYPE_SPECS], pl.col("_type"))
    material = d.choice(
        r, "material", ("Capacitor", "Contactor", "Filter", "Fittings", "Wire & Breakers", "PVC Pipe")
    )
    name = (
        pl.when(kind == "Service")
        .then(service_name)
        .when(kind == "Equipment")
        .then(pl.format("{} Equipment", service_name))
        .otherwise(material)
    )
    quantity = pl.when(kind == "Material").then(d.integers(r, "qty", 1, 3)).otherwise(1)
    cost_cents = (
        pl.col("_cents").cast(pl.Float64) * pl.when(kind == "Service").then(0.15).otherwise(0.55)
    ).round(0)
    frame = exploded.with_columns(
        id=entity_ids("invoice_items", r, d),
        _kind=kind,
        _quantity=quantity,
        _cost_cents=cost_cents.cast(pl.Int64),
    ).with_columns(
        description=name,
        quantity=pl.format("{}.00", pl.col("_quantity")),
        cost=cents_to_money(pl.col("_cost_cents") // pl.col("_quantity")),
        totalCost=cents_to_money(pl.col("_cost_cents")),
        inventoryLocation=pl.when(pl.col("_kind") != "Service").then(pl.lit("Warehouse")).otherwise(None),
        price=cents_to_money(pl.col("_cents") // pl.col("_quantity")),
        type=pl.col("_kind"),
        skuName=name,
        skuId=pick(list(sku_ids), d.index(r, "sku", len(sku_ids))),
        total=cents_to_money(pl.col("_cents")),
        inventory=pl.col("_kind") != "Service",
        taxable=pl.col("_kind") != "Service",
        generalLedgerAccount=pl.when(pl.col("_kind") == "Service")
        .then(_gl(4000, "Service Revenue", "4000", "Income", "ServiceFeeIncome"))
        .otherwise(_gl(4100, "Product Sales", "4100", "Income", "SalesOfProductIncome")),
        costOfSaleAccount=pl.lit(None, dtype=_GL),
        assetAccount=pl.lit(None, dtype=_GL),
        membershipTypeId=pl.lit(0, dtype=pl.Int64),
        displayName=name,
        soldHours=pl.when(pl.col("_kind") == "Service").then(1.0).otherwise(0.0),
        serviceDate=iso(pl.col("invoiceDate")),
        order=pl.col("_order").cast(pl.Int32),
        businessUnit=pl.struct(id=pl.col("_bu_id"), name=pl.col("_bu_name")),
        createdById=pl.col("_technician"),
        displayInAmount=pl.lit(True),
        addOn=pl.col("_order") > 1,
        memberPrice=cents_to_money((pl.col("_cents") * 0.85).round(0).cast(pl.Int64) // pl.col("_quantity")),
        technicianId=pl.col("_technician"),
        installedEquipmentId=pl.lit(None, dtype=pl.Int64),
        active=pl.lit(True),
    )
    return frame.select(
        "id",
        "description",
        "quantity",
        "cost",
        "totalCost",
        "inventoryLocation",
        "price",
        "type",
        "skuName",
        "skuId",
        "total",
        "inventory",
        "taxable",
        "generalLedgerAccount",
        "costOfSaleAccount",
        "assetAccount",
        "membershipTypeId",
        "displayName",
        "soldHours",
        "createdOn",
        "modifiedOn",
        "serviceDate",
        "order",
        "businessUnit",
        "createdById",
        "displayInAmount",
        "addOn",
        "memberPrice",
        "technicianId",
        "installedEquipmentId",
        "invoiceId",
        "active",
        "_cents",
    )


def invoices(
    ctx: GenContext,
    jobs: pl.DataFrame,
    customers: pl.DataFrame,
    locations: pl.DataFrame,
    business_units: pl.DataFrame,
    technicians: pl.DataFrame,
) -> pl.DataFrame:
    """One invoice per job: totals for completed work, zero otherwise; payment columns filled later."""
    d = ctx.draws("invoices")
    refresh = pl.lit(ctx.refresh).dt.cast_time_unit("us")
    bu_names = dict(zip(business_units["id"].to_list(), business_units["name"].to_list(), strict=True))
    tech_names = dict(zip(technicians["id"].to_list(), technicians["name"].to_list(), strict=True))
    base = (
        jobs.select(
            pl.col("invoiceId").alias("id"),
            pl.col("id").alias("_job_id"),
            "jobNumber",
            "customerId",
            "locationId",
            "businessUnitId",
            "summary",
            "createdOn",
            "createdById",
            "completedOn",
            "jobStatus",
            "active",
            "soldById",
            "_idx",
            "_type",
            "_install",
            "_subtotal_cents",
            "_tax_cents",
        )
        .join(
            customers.select(
                pl.col("id").alias("customerId"),
                pl.col("name").alias("_customer_name"),
                pl.col("address").alias("_customer_address"),
            ),
            on="customerId",
            how="left",
            maintain_order="left",
        )
        .join(
            locations.select(
                pl.col("id").alias("locationId"),
                pl.col("name").alias("_location_name"),
                pl.col("address").alias("_location_address"),
            ),
            on="locationId",
            how="left",
            maintain_order="left",
        )
        .sort("_idx")
    )
    k = pl.col("_idx")
    invoice_date = pl.coalesce(pl.col("completedOn"), pl.col("createdOn"))
    bu_name = pl.col("businessUnitId").replace_strict(bu_names, default="", return_dtype=pl.String)
    total_cents = pl.col("_subtotal_cents") + pl.col("_tax_cents")
    technician = pl.coalesce(pl.col("soldById"), pl.lit(technicians["id"][0]))
    frame = base.with_columns(
        invoiceDate=invoice_date,
        _total_cents=total_cents,
        _bu_id=pl.col("businessUnitId"),
        _bu_name=bu_name,
        _technician=technician,
        modifiedOn=pl.min_horizontal(
            invoice_date + pl.duration(minutes=d.integers(k, "modified", 5, 2 * 24 * 60)),
            refresh - pl.duration(minutes=1),
        ),
    )

    def address(col: str) -> pl.Expr:
        return pl.struct(
            street=pl.col(col).struct.field("street"),
            unit=pl.col(col).struct.field("unit"),
            city=pl.col(col).struct.field("city"),
            state=pl.col(col).struct.field("state"),
            zip=pl.col(col).struct.field("zip"),
            country=pl.col(col).struct.field("country"),
        )

    rate = TAX_RATES.get(ctx.profile.key, 0.08)
    older = pl.col("invoiceDate") < refresh - pl.duration(days=7)
    return frame.with_columns(
        syncStatus=pl.when(older).then(pl.lit("Exported")).otherwise(pl.lit("Pending")),
        summary=pl.col("summary"),
        referenceNumber=pl.col("jobNumber"),
        dueDate=pl.col("invoiceDate") + pl.duration(days=30),
        subTotal=cents_to_money(pl.col("_subtotal_cents")),
        salesTax=cents_to_money(pl.col("_tax_cents")),
        salesTaxCode=pl.struct(
            id=pl.lit(1, dtype=pl.Int64),
            name=pl.lit(f"{ctx.profile.states[0]} Sales Tax"),
            taxRate=pl.lit(rate),
        ),
        total=cents_to_money(pl.col("_total_cents")),
        invoiceType=pl.lit(None, dtype=pl.Struct({"id": pl.Int64, "name": pl.String})),
        customer=pl.struct(id=pl.col("customerId"), name=pl.col("_customer_name")),
        customerAddress=address("_customer_address"),
        location=pl.struct(id=pl.col("locationId"), name=pl.col("_location_name")),
        locationAddress=address("_location_address"),
        businessUnit=pl.struct(id=pl.col("_bu_id"), name=pl.col("_bu_name")),
        termName=pl.lit("Due Upon Receipt"),
        createdBy=pl.lit("System"),
        batch=pl.lit(None, dtype=pl.Struct({"id": pl.Int64, "number": pl.String, "name": pl.String})),
        depositedOn=pl.lit(None, dtype=pl.Datetime("us", "UTC")),
        adjustmentToId=pl.lit(None, dtype=pl.Int64),
        job=pl.struct(
            id=pl.col("_job_id"),
            number=pl.col("jobNumber"),
            type=pick([s.name for s in JOB_TYPE_SPECS], pl.col("_type")),
        ),
        projectId=pl.lit(None, dtype=pl.Int64),
        employeeInfo=pl.struct(
            id=pl.col("_technician"),
            name=pl.col("_technician").replace_strict(tech_names, default="", return_dtype=pl.String),
            modifiedOn=iso(pl.col("createdOn")),
        ),
        commissionEligibilityDate=pl.lit(None, dtype=pl.String),
        sentStatus=pl.when(pl.col("_total_cents") == 0)
        .then(pl.lit("NotSent"))
        .otherwise(pick(["Sent", "Opened", "NotSent"], d.index(k, "sent", 3, (0.6, 0.3, 0.1)))),
        reviewStatus=pl.when(older).then(pl.lit("Reviewed")).otherwise(pl.lit("NeedsReview")),
        assignedTo=pl.lit(None, dtype=pl.Struct({"id": pl.Int64, "name": pl.String})),
        customFields=pl.lit([], dtype=pl.List(pl.Struct({"name": pl.String, "value": pl.String}))),
        discountTotal=pl.lit("0.00"),
        importId=pl.lit(None, dtype=pl.String),
        exportId=pl.lit(None, dtype=pl.String),
        materialSkuId=pl.lit(None, dtype=pl.Int64),
        membershipId=pl.lit(None, dtype=pl.Int64),
    ).drop("_customer_name", "_customer_address", "_location_name", "_location_address")


def attach_items(invoice_frame: pl.DataFrame, items: pl.DataFrame) -> pl.DataFrame:
    """Nest each invoice's items (API shape) into its `items` list, in item order."""
    item_cols = [c for c in items.columns if not c.startswith("_") and c not in ("invoiceId", "active")]
    nested = (
        items.with_columns([pl.col(c).dt.strftime("%Y-%m-%dT%H:%M:%SZ") for c in ("createdOn", "modifiedOn")])
        .group_by("invoiceId")
        .agg(items=pl.struct(item_cols).sort_by(pl.col("order")))
    )
    joined = invoice_frame.join(nested, left_on="id", right_on="invoiceId", how="left", maintain_order="left")
    empty = pl.lit([], dtype=nested.schema["items"]) if nested.height else None
    if empty is not None:
        joined = joined.with_columns(items=pl.coalesce(pl.col("items"), empty))
    return joined.sort("_idx")


def payments(ctx: GenContext, invoice_frame: pl.DataFrame, payment_type_ids: Sequence[int]) -> pl.DataFrame:
    """One payment per paid invoice, applied to it in full; the invoice gets `_paid_cents`/`_paid_on`."""
    d = ctx.draws("payments")
    refresh = pl.lit(ctx.refresh).dt.cast_time_unit("us")
    k = pl.col("_idx")
    lag = pl.when(d.bernoulli(k, "same_day", 0.55)).then(0).otherwise(d.integers(k, "lag", 1, 45))
    paid_on = pl.col("invoiceDate") + pl.duration(days=lag, minutes=d.integers(k, "minute", 5, 240))
    candidates = invoice_frame.filter((pl.col("_total_cents") > 0) & pl.col("active")).with_columns(
        _paid_on=paid_on
    )
    paid = candidates.filter(
        d.bernoulli(k, "pays", 0.93) & (pl.col("_paid_on") < refresh - pl.duration(minutes=5))
    )
    paid = (
        paid.sort("_paid_on", "_idx")
        .with_row_index("_pay_idx")
        .with_columns(pl.col("_pay_idx").cast(pl.Int64))
    )
    p = pl.col("_pay_idx")
    type_index = d.index(p, "type", len(PAYMENT_TYPE_NAMES), (0.55, 0.22, 0.05, 0.1, 0.06, 0.02))
    applied = pl.struct(
        appliedId=entity_ids("payments", p, d) + 1,
        appliedTo=pl.col("id"),
        appliedAmount=cents_to_money(pl.col("_total_cents")),
        appliedOn=iso(pl.col("_paid_on")),
        appliedBy=pl.lit("System"),
        appliedToReferenceNumber=pl.col("referenceNumber"),
    )
    frame = paid.with_columns(
        _invoice_id=pl.col("id"),
        id=entity_ids("payments", p, d),
        syncStatus=pl.when(pl.col("_paid_on") < refresh - pl.duration(days=7))
        .then(pl.lit("Exported"))
        .otherwise(pl.lit("Pending")),
        referenceNumber=pl.format("P{}", pl.col("referenceNumber")),
        date=pl.col("_paid_on"),
        type=pick(list(PAYMENT_TYPE_NAMES), type_index),
        typeId=pick([str(i) for i in payment_type_ids], type_index),
        total=cents_to_money(pl.col("_total_cents")),
        unappliedAmount=pl.lit("0.00"),
        memo=pl.lit(None, dtype=pl.String),
        appliedTo=pl.concat_list(applied),
        createdOn=pl.col("_paid_on"),
        modifiedOn=pl.min_horizontal(
            pl.col("_paid_on") + pl.duration(hours=2), refresh - pl.duration(minutes=1)
        ),
        authCode=pl.when(type_index == 0).then(pl.format("A{}", d.integers(p, "auth", 10000, 99999))),
        checkNumber=pl.when(type_index == 1).then(d.integers(p, "check", 1000, 9999).cast(pl.String)),
        active=pl.lit(True),
        generalLedgerAccount=_gl(1200, "Undeposited Funds", "1200", "Asset", "UndepositedFunds"),
    )
    return frame.select(
        "id",
        "syncStatus",
        "referenceNumber",
        "date",
        "type",
        "typeId",
        "total",
        "unappliedAmount",
        "memo",
        "customer",
        "businessUnit",
        "createdBy",
        "generalLedgerAccount",
        "appliedTo",
        "customFields",
        "authCode",
        "checkNumber",
        "modifiedOn",
        "createdOn",
        "active",
        "_invoice_id",
        "_total_cents",
        "_paid_on",
    )


def apply_payments(invoice_frame: pl.DataFrame, payment_frame: pl.DataFrame) -> pl.DataFrame:
    """Balances and paid dates on invoices from the payments applied to them."""
    paid = payment_frame.select(
        pl.col("_invoice_id").alias("id"), pl.col("_total_cents").alias("_paid_cents"), "_paid_on"
    )
    frame = invoice_frame.join(paid, on="id", how="left", maintain_order="left").with_columns(
        pl.col("_paid_cents").fill_null(0)
    )
    return frame.with_columns(
        balance=cents_to_money(pl.col("_total_cents") - pl.col("_paid_cents")),
        paidOn=pl.col("_paid_on"),
        modifiedOn=pl.max_horizontal(
            pl.col("modifiedOn"), pl.col("_paid_on").fill_null(pl.col("modifiedOn"))
        ),
    ).sort("_idx")

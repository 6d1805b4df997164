"""The pricebook (categories, services, materials, equipment) and the equipment installed at locations."""

from __future__ import annotations

import random
from datetime import datetime, timedelta
from typing import Any

import polars as pl

from stnb.sandbox.gen_base import ID_BASES, ID_STRIDE, GenContext, entity_ids
from stnb.sandbox.gen_reference import BU_SPECS, JOB_TYPE_SPECS
from stnb.sandbox.rng import pick

__all__ = ["categories", "equipment", "installed_equipment", "materials", "services"]

_SERVICE_CATEGORIES = (
    "HVAC Repair", "HVAC Maintenance", "HVAC Installation", "Plumbing Repair",
    "Drains & Sewer", "Water Heaters", "Electrical Repair", "Electrical Upgrades",
)  # fmt: skip
_MATERIAL_CATEGORIES = (
    "HVAC Parts",
    "Filters",
    "Plumbing Parts",
    "Fittings & Valves",
    "Wire & Breakers",
    "Lighting",
)
_MATERIALS = (
    ("Run Capacitor 45/5 MFD", 0), ("Contactor 2-Pole 40A", 0), ("Condenser Fan Motor", 0),
    ("Ignitor, Hot Surface", 0), ("Flame Sensor", 0), ("Pleated Filter 16x25x1", 1),
    ("Media Filter 20x25x4", 1),
    ("Wax Ring", 2), ("Fill Valve", 2), ("Flapper", 2), ("P-Trap 1-1/2in", 3), ("Ball Valve 3/4in", 3),
    ("PEX Coupling 1/2in", 3), ("20A Breaker", 4), ("GFCI Outlet", 4), ("12/2 Romex (ft)", 4),
    ("LED Wafer Light 6in", 5), ("Dimmer Switch", 5),
)  # fmt: skip
_EQUIPMENT = (
    ("Carrier", "24ACC636A003", "3-Ton AC Condenser", 0), ("Trane", "XR16", "4-Ton AC Condenser", 0),
    ("Lennox", "EL296V", "96% Gas Furnace", 1), ("Carrier", "59SC5", "Gas Furnace 80k BTU", 1),
    ("Mitsubishi", "MUZ-GL12NA", "Ductless Mini-Split 12k", 2), ("Trane", "XV20i", "Variable Heat Pump", 2),
    ("Rheem", "PROG50-38N", "50 Gal Gas Water Heater", 3),
    ("A.O. Smith", "ATI-540H", "Tankless Water Heater", 3),
    ("Square D", "QO142M200", "200A Main Panel", 4), ("ChargePoint", "Home Flex", "Level 2 EV Charger", 4),
    ("Generac", "Guardian 24kW", "Standby Generator", 4),
)  # fmt: skip
# Which equipment each install job type puts in: job type name -> index into _EQUIPMENT.
_INSTALLS = {
    "AC Replacement": 0,
    "Furnace Replacement": 2,
    "Heat Pump Install": 5,
    "Ductless Mini-Split Install": 4,
    "Water Heater Replacement": 6,
    "Tankless Water Heater Install": 7,
    "Panel Upgrade": 8,
    "EV Charger Install": 9,
    "Whole-Home Generator Install": 10,
}
_RFC3339 = "%Y-%m-%dT%H:%M:%SZ"


def _rng(ctx: GenContext, name: str) -> random.Random:
    return random.Random(f"{ctx.seed}:{ctx.profile.key}:pricebook:{name}")


def _created(ctx: GenContext, rng: random.Random) -> tuple[datetime, datetime]:
    created = ctx.start + timedelta(days=rng.randrange(0, 30), seconds=rng.randrange(9 * 3600, 17 * 3600))
    span = int((ctx.refresh - created).total_seconds()) - 3600
    return created, created + timedelta(seconds=int(rng.random() ** 3 * span))


def _frame(rows: list[dict[str, Any]]) -> pl.DataFrame:
    frame = pl.DataFrame(rows, infer_schema_length=None)
    return frame.with_columns(
        pl.col("createdOn", "modifiedOn").dt.replace_time_zone("UTC").dt.cast_time_unit("us")
    )


def categories(ctx: GenContext, bu_ids: list[int]) -> pl.DataFrame:
    rng = _rng(ctx, "categories")
    rows = []
    names = [(n, "Services") for n in _SERVICE_CATEGORIES] + [(n, "Materials") for n in _MATERIAL_CATEGORIES]
    for i, (name, kind) in enumerate(names):
        created, modified = _created(ctx, rng)
        rows.append(
            {
                "id": ID_BASES["pricebook_categories"] + i * ID_STRIDE,
                "name": name,
                "active": True,
                "description": f"{name} items",
                "image": None,
                "parentId": None,
                "position": i + 1,
                "categoryType": kind,
                "subcategories": [],
                "businessUnitIds": list(bu_ids),
                "skuImages": [],
                "skuVideos": [],
                "source": None,
                "externalId": None,
                "hideInMobile": False,
                "createdOn": created.replace(tzinfo=None),
                "modifiedOn": modified.replace(tzinfo=None),
            }
        )
    return _frame(rows)


def services(ctx: GenContext, category_ids: list[int], bu_ids: list[int]) -> pl.DataFrame:
    """Flat-rate tasks: a diagnostic, the repair and an upgrade for each job type."""
    rng = _rng(ctx, "services")
    rows = []
    variants = (("Diagnostic", 0.25), ("Standard", 1.0), ("Premium", 1.5))
    for t, spec in enumerate(JOB_TYPE_SPECS):
        for v, (variant, factor) in enumerate(variants):
            created, modified = _created(ctx, rng)
            index = t * len(variants) + v
            price = round(spec.ticket * factor * rng.uniform(0.9, 1.1), 2)
            category = category_ids[
                min(len(_SERVICE_CATEGORIES) - 1, spec.bu + (1 if spec.job_class == "Install" else 0))
            ]
            rows.append(
                {
                    "id": ID_BASES["pricebook_services"] + index * ID_STRIDE,
                    "code": f"{BU_SPECS[spec.bu][1][:3].upper()}-{100 + index}",
                    "displayName": f"{spec.name} - {variant}",
                    "description": f"<p>{spec.name}: {variant.lower()} service.</p>",
                    "warranty": {
                        "duration": 12 if spec.job_class == "Install" else 3,
                        "description": "Parts and labor",
                    },
                    "categories": [
                        {
                            "id": category,
                            "name": _SERVICE_CATEGORIES[category_ids.index(category)],
                            "active": True,
                        }
                    ],
                    "price": price,
                    "memberPrice": round(price * 0.85, 2),
                    "addOnPrice": round(price * 0.9, 2),
                    "addOnMemberPrice": round(price * 0.8, 2),
                    "taxable": False,
                    "account": "Service Revenue",
                    "hours": round(spec.hours * factor, 2),
                    "isLabor": True,
                    "recommendations": [],
                    "upgrades": [],
                    "assets": [],
                    "serviceMaterials": [],
                    "serviceEquipment": [],
                    "active": rng.random() > 0.04,
                    "crossSaleGroup": None,
                    "paysCommission": spec.job_class == "Install",
                    "bonus": 0.0,
                    "commissionBonus": 0.0,
                    "modifiedOn": modified.replace(tzinfo=None),
                    "source": None,
                    "externalId": None,
                    "externalData": [],
                    "businessUnitId": bu_ids[spec.bu],
                    "cost": round(price * 0.3, 2),
                    "createdOn": created.replace(tzinfo=None),
                    "soldByCommission": 0.0,
                    "defaultAssetUrl": None,
                }
            )
    return _frame(rows)


def materials(ctx: GenContext, category_ids: list[int], bu_ids: list[int]) -> pl.DataFrame:
    rng = _rng(ctx, "materials")
    rows = []
    for i, (name, category) in enumerate(_MATERIALS):
        created, modified = _created(ctx, rng)
        cost = round(rng.uniform(3, 180), 2)
        rows.append(
            {
                "id": ID_BASES["pricebook_materials"] + i * ID_STRIDE,
                "code": f"MAT-{1000 + i}",
                "displayName": name,
                "description": name,
                "cost": cost,
                "active": True,
                "price": round(cost * 2.4, 2),
                "memberPrice": round(cost * 2.1, 2),
                "addOnPrice": round(cost * 2.2, 2),
                "addOnMemberPrice": round(cost * 2.0, 2),
                "hours": 0.0,
                "bonus": 0.0,
                "commissionBonus": 0.0,
                "paysCommission": False,
                "deductAsJobCost": False,
                "unitOfMeasure": "Each",
                "isInventory": True,
                "account": "Product Sales",
                "taxable": True,
                "categories": [category_ids[len(_SERVICE_CATEGORIES) + category]],
                "businessUnitId": bu_ids[min(len(bu_ids) - 1, category // 2 * 2)],
                "createdOn": created.replace(tzinfo=None),
                "modifiedOn": modified.replace(tzinfo=None),
                "externalData": [],
                "assets": [],
            }
        )
    return _frame(rows)


def equipment(ctx: GenContext, category_ids: list[int]) -> pl.DataFrame:
    rng = _rng(ctx, "equipment")
    rows = []
    for i, (maker, model, name, _category) in enumerate(_EQUIPMENT):
        created, modified = _created(ctx, rng)
        cost = round(rng.uniform(600, 6500), 2)
        rows.append(
            {
                "id": ID_BASES["pricebook_equipment"] + i * ID_STRIDE,
                "code": f"EQ-{200 + i}",
                "displayName": f"{maker} {name}",
                "description": f"{maker} {model} {name}",
                "manufacturer": maker,
                "model": model,
                "manufacturerWarranty": {"duration": 120, "description": "Manufacturer parts warranty"},
                "serviceProviderWarranty": {"duration": 12, "description": "Labor warranty"},
                "cost": cost,
                "price": round(cost * 1.9, 2),
                "memberPrice": round(cost * 1.8, 2),
                "addOnPrice": round(cost * 1.85, 2),
                "addOnMemberPrice": round(cost * 1.75, 2),
                "active": True,
                "taxable": True,
                "isInventory": False,
                "hours": 0.0,
                "unitOfMeasure": "Each",
                "categories": [category_ids[2]],
                "createdOn": created.replace(tzinfo=None),
                "modifiedOn": modified.replace(tzinfo=None),
                "externalData": [],
                "assets": [],
            }
        )
    return _frame(rows)


def installed_equipment(ctx: GenContext, jobs: pl.DataFrame, equipment_frame: pl.DataFrame) -> pl.DataFrame:
    """What completed installs put in, plus older units technicians recorded on service visits."""
    d = ctx.draws("installed_equipment")
    type_names = [s.name for s in JOB_TYPE_SPECS]
    installs = {type_names.index(name): item for name, item in _INSTALLS.items()}
    completed = jobs.filter((pl.col("jobStatus") == "Completed") & pl.col("active"))
    k = pl.col("_key")
    is_install = pl.col("_type").is_in(list(installs))
    recorded = ~is_install & (pl.col("_trade") == 0) & d.bernoulli(k, "recorded", 0.25)
    chosen = completed.filter(is_install | recorded).sort("_idx")
    item = (
        pl.when(pl.col("_type").is_in(list(installs)))
        .then(pl.col("_type").replace_strict(installs, default=0, return_dtype=pl.Int64))
        .otherwise(d.index(k, "existing", 2))
    )
    frame = chosen.with_row_index("_row").with_columns(pl.col("_row").cast(pl.Int64), _item=item)
    r = pl.col("_row")
    age_years = pl.when(is_install).then(0).otherwise(d.integers(r, "age", 3, 18))
    installed_on = pl.col("completedOn") - pl.duration(days=age_years * 365)
    equipment_ids = equipment_frame["id"].to_list()
    return (
        frame.with_columns(
            id=entity_ids("installed_equipment", r, d),
            equipmentId=pick(equipment_ids, pl.col("_item")),
            name=pick([e[2] for e in _EQUIPMENT], pl.col("_item")),
            manufacturer=pick([e[0] for e in _EQUIPMENT], pl.col("_item")),
            model=pick([e[1] for e in _EQUIPMENT], pl.col("_item")),
            serialNumber=pl.format("SN{}", d.integers(r, "serial", 10_000_000, 99_999_999)),
            barcodeId=pl.lit(None, dtype=pl.String),
            memo=pl.when(is_install)
            .then(pl.lit("Installed by our team"))
            .otherwise(pl.lit("Recorded on a service visit")),
            cost=pl.when(is_install).then((pl.col("_subtotal_cents") * 0.45 / 100).round(2)).otherwise(0.0),
            installedOn=installed_on,
            manufacturerWarrantyStart=installed_on,
            manufacturerWarrantyEnd=installed_on + pl.duration(days=3650),
            serviceProviderWarrantyStart=pl.when(is_install).then(installed_on),
            serviceProviderWarrantyEnd=pl.when(is_install).then(installed_on + pl.duration(days=365)),
            predictedReplacementMonths=pl.lit(180, dtype=pl.Int32),
            predictedReplacementDate=(installed_on + pl.duration(days=5475)).dt.strftime("%Y-%m-%d"),
            actualReplacementDate=pl.lit(None, dtype=pl.String),
            invoiceItemId=pl.lit(None, dtype=pl.Int64),
            tags=pl.lit(
                [], dtype=pl.List(pl.Struct({"id": pl.Int64, "typeId": pl.Int64, "typeName": pl.String}))
            ),
            createdOn=pl.col("completedOn"),
            modifiedOn=pl.col("completedOn") + pl.duration(minutes=d.integers(r, "modified", 1, 240)),
        )
        .with_columns(
            modifiedOn=pl.min_horizontal(pl.col("modifiedOn"), pl.lit(ctx.refresh).dt.cast_time_unit("us")),
        )
        .select(
            "id",
            "equipmentId",
            "locationId",
            "customerId",
            "name",
            "installedOn",
            "serialNumber",
            "barcodeId",
            "memo",
            "manufacturer",
            "model",
            "cost",
            "manufacturerWarrantyStart",
            "manufacturerWarrantyEnd",
            "serviceProviderWarrantyStart",
            "serviceProviderWarrantyEnd",
            "predictedReplacementMonths",
            "predictedReplacementDate",
            "actualReplacementDate",
            "invoiceItemId",
            "tags",
            "createdOn",
            "modifiedOn",
            pl.col("active"),
        )
    )

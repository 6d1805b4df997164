"""Small reference tables set up when the company went live: business units, staff, job types,
campaigns, tag types, zones, membership and payment types. Built row by row with a seeded Random."""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import polars as pl

from stnb.sandbox.gen_base import ID_BASES, ID_STRIDE, GenContext
from stnb.sandbox.names import FIRST_NAMES, LAST_NAMES, STREET_NAMES, STREET_SUFFIXES, TOWNS

__all__ = [
    "BU_SPECS",
    "JOB_TYPE_SPECS",
    "JobTypeSpec",
    "business_units",
    "campaigns",
    "employees",
    "job_types",
    "membership_types",
    "payment_types",
    "tag_types",
    "technicians",
    "zones",
]

# (name, trade, technicians at full size)
BU_SPECS: tuple[tuple[str, str, int], ...] = (
    ("HVAC Service", "HVAC", 8),
    ("HVAC Install", "HVAC", 4),
    ("Plumbing Service", "Plumbing", 6),
    ("Drains & Water Heaters", "Plumbing", 4),
    ("Electrical Service", "Electrical", 5),
    ("Electrical Install", "Electrical", 3),
)


@dataclass(frozen=True, slots=True)
class JobTypeSpec:
    name: str
    bu: int  # index into BU_SPECS
    ticket: int  # typical invoice total in dollars
    hours: float
    warm_weight: float  # share of the BU's jobs from May to September
    cold_weight: float  # share in the other months
    job_class: str = "Service"
    priority: str = "Normal"


JOB_TYPE_SPECS: tuple[JobTypeSpec, ...] = (
    JobTypeSpec("AC Repair", 0, 420, 2.0, 5.0, 0.6),
    JobTypeSpec("No Cool Diagnostic", 0, 99, 1.0, 3.0, 0.3, priority="High"),
    JobTypeSpec("Furnace Repair", 0, 380, 2.0, 0.4, 4.0),
    JobTypeSpec("No Heat Diagnostic", 0, 99, 1.0, 0.3, 3.0, priority="High"),
    JobTypeSpec("HVAC Tune-Up", 0, 129, 1.5, 2.0, 2.0, job_class="Maintenance", priority="Low"),
    JobTypeSpec("AC Replacement", 1, 8200, 8.0, 3.0, 0.5, job_class="Install"),
    JobTypeSpec("Furnace Replacement", 1, 6400, 8.0, 0.5, 3.0, job_class="Install"),
    JobTypeSpec("Heat Pump Install", 1, 11800, 10.0, 1.5, 1.5, job_class="Install"),
    JobTypeSpec("Ductless Mini-Split Install", 1, 5200, 6.0, 1.5, 0.8, job_class="Install"),
    JobTypeSpec("Leak Repair", 2, 310, 1.5, 3.0, 3.5),
    JobTypeSpec("Toilet Repair", 2, 220, 1.0, 2.0, 2.0),
    JobTypeSpec("Faucet Install", 2, 280, 1.5, 1.5, 1.5),
    JobTypeSpec("Frozen Pipe Repair", 2, 540, 3.0, 0.0, 1.5, priority="Urgent"),
    JobTypeSpec("Drain Cleaning", 3, 240, 1.5, 3.0, 3.0),
    JobTypeSpec("Sewer Camera Inspection", 3, 350, 1.5, 1.0, 1.0),
    JobTypeSpec("Water Heater Replacement", 3, 2100, 4.0, 1.0, 1.8, job_class="Install"),
    JobTypeSpec("Tankless Water Heater Install", 3, 4200, 6.0, 0.6, 0.8, job_class="Install"),
    JobTypeSpec("Outlet & Switch Repair", 4, 190, 1.0, 2.0, 2.0),
    JobTypeSpec("Breaker Troubleshooting", 4, 260, 1.5, 2.5, 2.0, priority="High"),
    JobTypeSpec("Lighting Install", 4, 340, 2.0, 1.5, 2.0),
    JobTypeSpec("Surge Protection", 4, 450, 1.5, 1.5, 0.8),
    JobTypeSpec("Panel Upgrade", 5, 3200, 8.0, 1.0, 1.0, job_class="Install"),
    JobTypeSpec("EV Charger Install", 5, 1450, 4.0, 1.2, 0.8, job_class="Install"),
    JobTypeSpec("Whole-Home Generator Install", 5, 12500, 12.0, 0.6, 1.2, job_class="Install"),
)

# (name, category, share of jobs)
CAMPAIGN_SPECS: tuple[tuple[str, str, float], ...] = (
    ("Google Ads - HVAC", "Paid Search", 9.0),
    ("Google Ads - Plumbing", "Paid Search", 7.0),
    ("Google Local Services", "Paid Search", 8.0),
    ("Bing Ads", "Paid Search", 1.5),
    ("Website - Organic", "Website", 10.0),
    ("Online Booking", "Website", 6.0),
    ("Yelp", "Review Sites", 3.0),
    ("Angi", "Review Sites", 2.5),
    ("Facebook", "Social", 2.0),
    ("Nextdoor", "Social", 1.5),
    ("Direct Mail - Spring Tune-Up", "Direct Mail", 2.0),
    ("Direct Mail - Fall Heating Check", "Direct Mail", 2.0),
    ("Radio - Morning Drive", "Broadcast", 1.5),
    ("Truck Wrap", "Brand", 1.0),
    ("Customer Referral", "Referral", 8.0),
    ("Repeat Customer", "Existing Customers", 25.0),
    ("Membership Renewal Call", "Existing Customers", 6.0),
    ("Home Show 2024", "Events", 0.5),
)

TAG_TYPE_SPECS: tuple[tuple[str, str, str], ...] = (
    ("VIP", "VIP", "#D4AF37"),
    ("Member", "MBR", "#2E7D32"),
    ("Senior Discount", "SNR", "#6A1B9A"),
    ("Warranty", "WTY", "#1565C0"),
    ("Builder", "BLD", "#5D4037"),
    ("Property Manager", "PM", "#00838F"),
    ("Second Opinion", "2ND", "#EF6C00"),
    ("Financing", "FIN", "#AD1457"),
    ("Spanish Speaking", "ESP", "#283593"),
    ("Pets on Site", "PET", "#558B2F"),
    ("Gate Code", "GATE", "#455A64"),
    ("Payment Before Service", "PBS", "#C62828"),
)

EMPLOYEE_ROLES: tuple[tuple[str, int], ...] = (
    ("CSR", 5),
    ("Dispatch", 3),
    ("Accounting", 2),
    ("GeneralOffice", 2),
    ("FieldManager", 2),
    ("SalesManager", 1),
    ("Admin", 1),
    ("Owner", 1),
)

MEMBERSHIP_TYPE_SPECS: tuple[tuple[str, str, int], ...] = (
    ("Comfort Club Basic", "Annual", 12),
    ("Comfort Club Plus", "Monthly", 12),
    ("Plumbing Protection Plan", "Annual", 12),
    ("Total Home Care", "Monthly", 24),
)

PAYMENT_TYPE_NAMES = ("Credit Card", "Check", "Cash", "ACH", "Financing", "Gift Card")


def _rng(ctx: GenContext, name: str) -> random.Random:
    return random.Random(f"{ctx.seed}:{ctx.profile.key}:{name}")


def _ids(entity: str, n: int, rng: random.Random) -> list[int]:
    return [ID_BASES[entity] + i * ID_STRIDE + rng.randrange(3) for i in range(n)]


def _setup_time(ctx: GenContext, rng: random.Random, within_days: int = 20) -> datetime:
    return ctx.start + timedelta(days=rng.randrange(within_days), seconds=rng.randrange(8 * 3600, 17 * 3600))


def _modified(ctx: GenContext, rng: random.Random, created: datetime) -> datetime:
    span = (ctx.refresh - created).total_seconds() - 3600
    return created + timedelta(seconds=int(rng.random() ** 2 * max(0.0, span)))


def _frame(rows: Sequence[dict[str, Any]]) -> pl.DataFrame:
    frame = pl.DataFrame(rows, infer_schema_length=None)
    dt_cols = [c for c, t in frame.schema.items() if t == pl.Datetime]
    return frame.with_columns(pl.col(dt_cols).dt.cast_time_unit("us")) if dt_cols else frame


def business_units(ctx: GenContext) -> pl.DataFrame:
    rng = _rng(ctx, "business_units")
    ids = _ids("business_units", len(BU_SPECS), rng)
    town = TOWNS[ctx.profile.states[0]][0]
    rows = []
    for i, (name, trade, _techs) in enumerate(BU_SPECS):
        created = _setup_time(ctx, rng, 5)
        rows.append(
            {
                "id": ids[i],
                "active": True,
                "name": name,
                "officialName": f"{ctx.profile.name} - {name}",
                "email": f"{trade.lower()}@{ctx.profile.key}.example.com",
                "currency": "USD",
                "phoneNumber": f"(555) 010-{1000 + i * 111:04d}",
                "invoiceHeader": ctx.profile.name,
                "invoiceMessage": "Thank you for your business!",
                "defaultTaxRate": 0.08875 if ctx.profile.states[0] == "NY" else 0.0725,
                "authorizationParagraph": "I authorize the work described above.",
                "acknowledgementParagraph": "I acknowledge the work was completed to my satisfaction.",
                "address": {
                    "street": "100 Commerce Dr",
                    "unit": None,
                    "city": town.city,
                    "state": town.state,
                    "zip": f"{town.zip_prefix}01",
                    "country": "USA",
                },
                "materialSku": None,
                "quickbooksClass": trade,
                "accountCode": f"{trade[:3].upper()}-{i + 1:02d}",
                "franchiseId": None,
                "conceptCode": None,
                "corporateContractNumber": None,
                "tenant": {
                    "id": ctx.tenant_id,
                    "name": ctx.profile.name,
                    "accountCode": None,
                    "franchiseId": None,
                    "conceptCode": None,
                    "modifiedOn": ctx.start.strftime("%Y-%m-%dT%H:%M:%SZ"),
                },
                "createdOn": created,
                "modifiedOn": _modified(ctx, rng, created),
                "externalData": [],
                "_trade": trade,
            }
        )
    return _frame(rows)


def _person(rng: random.Random, used: set[str]) -> tuple[str, str]:
    while True:
        first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
        if f"{first} {last}" not in used:
            used.add(f"{first} {last}")
            return first, last


def technicians(ctx: GenContext, bu_ids: Sequence[int], zone_ids: Sequence[int]) -> pl.DataFrame:
    rng = _rng(ctx, "technicians")
    counts = [max(1, round(techs * ctx.profile.size**0.5)) for _n, _t, techs in BU_SPECS]
    n = sum(counts)
    ids = _ids("technicians", n, rng)
    used: set[str] = set()
    rows = []
    index = 0
    for bu, count in enumerate(counts):
        for _ in range(count):
            first, last = _person(rng, used)
            town = rng.choice(TOWNS[rng.choice(ctx.profile.states)])
            street = f"{rng.randrange(1, 999)} {rng.choice(STREET_NAMES)} {rng.choice(STREET_SUFFIXES)}"
            created = _setup_time(ctx, rng, 300 if index > n // 2 else 10)
            main_zone = rng.choice(zone_ids)
            active = rng.random() > 0.08
            rows.append(
                {
                    "id": ids[index],
                    "userId": 5_000_000 + ids[index],
                    "name": f"{first} {last}",
                    "roleIds": [1],
                    "businessUnitId": bu_ids[bu],
                    "mainZoneId": main_zone,
                    "zoneIds": sorted({main_zone, rng.choice(zone_ids)}),
                    "createdOn": created,
                    "modifiedOn": _modified(ctx, rng, created),
                    "email": f"{first}.{last}@{ctx.profile.key}.example.com".lower().replace("'", ""),
                    "phoneNumber": f"(555) 01{rng.randrange(10)}-{rng.randrange(10000):04d}",
                    "loginName": f"{first[0]}{last}".lower().replace("'", ""),
                    "home": {
                        "street": street,
                        "unit": None,
                        "country": "USA",
                        "city": town.city,
                        "state": town.state,
                        "zip": f"{town.zip_prefix}{rng.randrange(100):02d}",
                        "streetAddress": None,
                        "latitude": round(town.latitude + rng.uniform(-0.03, 0.03), 6),
                        "longitude": round(town.longitude + rng.uniform(-0.03, 0.03), 6),
                    },
                    "dailyGoal": float(rng.choice((1200, 1500, 1800, 2500, 4000))),
                    "isManagedTech": rng.random() < 0.2,
                    "customFields": [],
                    "active": active,
                    "aadUserId": None,
                    "burdenRate": float(rng.choice((28, 32, 35, 38, 42))),
                    "team": BU_SPECS[bu][1],
                    "jobFilter": "AllScheduledDispatchedWorking",
                    "permissions": [],
                    "accountLocked": not active,
                }
            )
            index += 1
    return _frame(rows)


def employees(ctx: GenContext, bu_ids: Sequence[int]) -> pl.DataFrame:
    rng = _rng(ctx, "employees")
    roles = [
        role for role, count in EMPLOYEE_ROLES for _ in range(max(1, round(count * ctx.profile.size**0.5)))
    ]
    ids = _ids("employees", len(roles), rng)
    used: set[str] = set()
    rows = []
    for i, role in enumerate(roles):
        first, last = _person(rng, used)
        created = _setup_time(ctx, rng, 200 if i % 3 == 2 else 5)
        active = rng.random() > 0.06
        rows.append(
            {
                "id": ids[i],
                "userId": 6_000_000 + ids[i],
                "name": f"{first} {last}",
                "role": role,
                "roleIds": [EMPLOYEE_ROLES.index(next(r for r in EMPLOYEE_ROLES if r[0] == role)) + 2],
                "businessUnitId": rng.choice(bu_ids) if role in ("FieldManager", "SalesManager") else None,
                "email": f"{first}.{last}@{ctx.profile.key}.example.com".lower().replace("'", ""),
                "phoneNumber": f"(555) 02{rng.randrange(10)}-{rng.randrange(10000):04d}",
                "loginName": f"{first[0]}{last}".lower().replace("'", ""),
                "customFields": [],
                "active": active,
                "aadUserId": None,
                "accountLocked": False,
                "permissions": [],
                "createdOn": created,
                "modifiedOn": _modified(ctx, rng, created),
            }
        )
    return _frame(rows)


def job_types(ctx: GenContext, bu_ids: Sequence[int]) -> pl.DataFrame:
    rng = _rng(ctx, "job_types")
    ids = _ids("job_types", len(JOB_TYPE_SPECS), rng)
    rows = []
    for i, spec in enumerate(JOB_TYPE_SPECS):
        created = _setup_time(ctx, rng, 5)
        rows.append(
            {
                "id": ids[i],
                "name": spec.name,
                "businessUnitIds": [bu_ids[spec.bu]],
                "skills": [BU_SPECS[spec.bu][1]],
                "tagTypeIds": [],
                "priority": spec.priority,
                "duration": int(spec.hours * 3600),
                "soldThreshold": float(spec.ticket) * 0.5,
                "class": spec.job_class,
                "summary": f"{spec.name} ({BU_SPECS[spec.bu][0]})",
                "noCharge": False,
                "enforceRecurringServiceEventSelection": False,
                "invoiceSignaturesRequired": spec.job_class == "Install",
                "modifiedOn": _modified(ctx, rng, created),
                "createdOn": created,
                "externalData": [],
                "active": True,
            }
        )
    return _frame(rows)


def campaigns(ctx: GenContext) -> pl.DataFrame:
    rng = _rng(ctx, "campaigns")
    categories = sorted({c for _n, c, _w in CAMPAIGN_SPECS})
    ids = _ids("campaigns", len(CAMPAIGN_SPECS), rng)
    rows = []
    for i, (name, category, _weight) in enumerate(CAMPAIGN_SPECS):
        created = _setup_time(ctx, rng, 5 if i < 12 else 400)
        rows.append(
            {
                "id": ids[i],
                "name": name,
                "active": not name.startswith("Home Show"),
                "category": {"id": 1 + categories.index(category), "name": category, "active": True},
                "createdOn": created,
                "modifiedOn": _modified(ctx, rng, created),
            }
        )
    return _frame(rows)


def tag_types(ctx: GenContext) -> pl.DataFrame:
    rng = _rng(ctx, "tag_types")
    ids = _ids("tag_types", len(TAG_TYPE_SPECS), rng)
    rows = []
    for i, (name, code, color) in enumerate(TAG_TYPE_SPECS):
        created = _setup_time(ctx, rng, 30)
        rows.append(
            {
                "id": ids[i],
                "name": name,
                "code": code,
                "color": color,
                "importance": "High" if name in ("VIP", "Payment Before Service") else "Medium",
                "isConversionOpportunity": name in ("Second Opinion", "Financing"),
                "allowToUseOnTimesheetActivity": False,
                "active": name != "Spanish Speaking",
                "createdOn": created,
                "modifiedOn": _modified(ctx, rng, created),
            }
        )
    return _frame(rows)


def zones(ctx: GenContext, bu_ids: Sequence[int]) -> pl.DataFrame:
    rng = _rng(ctx, "zones")
    towns = [t for s in ctx.profile.states for t in TOWNS[s]]
    groups = [towns[i::3] for i in range(3)] + [towns[i::2] for i in range(2)]
    ids = _ids("zones", len(groups), rng)
    rows = []
    for i, group in enumerate(groups):
        created = _setup_time(ctx, rng, 5)
        rows.append(
            {
                "id": ids[i],
                "active": i < 3,
                "name": f"Zone {i + 1} - {group[0].city}",
                "zips": sorted({f"{t.zip_prefix}{k:02d}" for t in group for k in range(0, 100, 25)}),
                "cities": sorted({t.city for t in group}),
                "territoryNumbers": [f"T{i + 1:02d}"],
                "locnNumbers": [],
                "createdBy": ID_BASES["employees"],
                "createdOn": created,
                "modifiedOn": _modified(ctx, rng, created),
                "serviceDaysEnabled": False,
                "serviceDays": [],
                "businessUnits": list(bu_ids),
                "technicians": [],
            }
        )
    return _frame(rows)


def membership_types(ctx: GenContext) -> pl.DataFrame:
    rng = _rng(ctx, "membership_types")
    ids = _ids("membership_types", len(MEMBERSHIP_TYPE_SPECS), rng)
    rows = []
    for i, (name, frequency, months) in enumerate(MEMBERSHIP_TYPE_SPECS):
        created = _setup_time(ctx, rng, 10)
        rows.append(
            {
                "id": ids[i],
                "name": name,
                "active": True,
                "discountMode": "Basic",
                "locationTarget": "SingleLocation",
                "revenueRecognitionMode": "Deferred",
                "autoCalculateInvoiceTemplates": True,
                "useMembershipPricingTable": True,
                "showMembershipSavings": True,
                "createdOn": created,
                "createdById": ID_BASES["employees"],
                "modifiedOn": _modified(ctx, rng, created),
                "billingTemplateId": None,
                "durationBilling": [{"duration": months, "billingFrequency": frequency}],
                "displayName": name,
                "importId": None,
            }
        )
    return _frame(rows)


def payment_types(ctx: GenContext) -> pl.DataFrame:
    rng = _rng(ctx, "payment_types")
    ids = _ids("payment_types", len(PAYMENT_TYPE_NAMES), rng)
    rows = []
    for i, name in enumerate(PAYMENT_TYPE_NAMES):
        created = _setup_time(ctx, rng, 5)
        rows.append(
            {"id": ids[i], "name": name, "createdOn": created, "modifiedOn": _modified(ctx, rng, created)}
        )
    return _frame(rows)

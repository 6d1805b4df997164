"""The records each environment gained after the refresh date, built from the constants in `planted.py`.

Production keeps the organic pace after the refresh: its new jobs follow the same seasonal, weekday and
growth shape as the organic history, with lead times and statuses like the organic jobs' (seen from the
anchor instead of the refresh date: older ones done, recent ones open or scheduled). Testers' records are
spread evenly over the period.

Production continues every id sequence (new index = organic count + n); integration's tester records
take ids TESTER_ID_OFFSET above the entity's base. Rows are built one by one (there are a few dozen) with
a Random seeded per (seed, tenant, environment), then appended to the organic tables.
"""

from __future__ import annotations

import bisect
import random
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import polars as pl

from stnb.sandbox import planted
from stnb.sandbox.gen_accounting import TAX_RATES
from stnb.sandbox.gen_base import (
    CUSTOMERS_BASE,
    HISTORY_DAYS,
    JOBS_BASE,
    MAX_PER_PARENT,
    GenContext,
    entity_id_py,
    seasonal_day_weights,
)
from stnb.sandbox.gen_crm import tenant_towns
from stnb.sandbox.gen_jobs import TRADE_MONTHLY, TRADE_SHARES, TRADES
from stnb.sandbox.gen_reference import JOB_TYPE_SPECS
from stnb.sandbox.history import TenantHistory
from stnb.sandbox.names import (
    BUSINESS_SUFFIXES,
    BUSINESS_WORDS,
    FIRST_NAMES,
    LAST_NAMES,
    STREET_NAMES,
    STREET_SUFFIXES,
)
from stnb.sandbox.rng import Draws

__all__ = ["EnvPlan", "plan_for"]

_RFC3339 = "%Y-%m-%dT%H:%M:%SZ"
# New jobs' service items post to the same income account as the organic ones (reports count income items).
_SERVICE_INCOME = {
    "id": 4000,
    "name": "Service Revenue",
    "number": "4000",
    "type": "Income",
    "detailType": "ServiceFeeIncome",
}


@dataclass
class EnvPlan:
    """New rows per table and per-customer changes for one environment of one tenant."""

    env: str
    new_rows: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    customer_changes: dict[int, dict[str, Any]] = field(default_factory=dict)

    def rows(self, table: str) -> list[dict[str, Any]]:
        return self.new_rows.get(table, [])


def _moment(rng: random.Random, low: datetime, high: datetime) -> datetime:
    span = int((high - low).total_seconds())
    return (low + timedelta(seconds=rng.randrange(max(1, span)))).replace(microsecond=0)


def _seasonal_moments(
    ctx: GenContext, rng: random.Random, count: int, low: datetime, high: datetime
) -> list[datetime]:
    """`count` sorted times in [low, high] on the days after the refresh, weighted like organic jobs
    (the trades' monthly demand, weekdays, growth), at tenant-local working hours."""
    monthly = [
        sum(share * TRADE_MONTHLY[t][m] for t, share in zip(TRADES, TRADE_SHARES, strict=True))
        for m in range(12)
    ]
    days = range(ctx.organic_days, HISTORY_DAYS)
    weights = seasonal_day_weights(ctx, monthly, days=days)
    zone = ZoneInfo(ctx.profile.timezone)
    out = []
    for offset in rng.choices(days, weights, k=count):
        day = ctx.day(offset)
        local = datetime(day.year, day.month, day.day, tzinfo=zone) + timedelta(
            seconds=rng.randrange(7 * 3600, 18 * 3600)
        )
        out.append(min(max(local.astimezone(UTC), low), high))
    return sorted(out)


def _appointment_start(ctx: GenContext, rng: random.Random, created: datetime, install: bool) -> datetime:
    """The first visit: lead time and slot as for organic jobs, at a tenant-local slot hour."""
    lead = rng.randint(3, 21) if install else rng.choices(range(6), (0.35, 0.3, 0.15, 0.1, 0.05, 0.05))[0]
    zone = ZoneInfo(ctx.profile.timezone)
    day = (created.astimezone(zone) + timedelta(days=lead)).date()
    hour = rng.choices((8, 10, 12, 14, 16), (0.3, 0.25, 0.2, 0.15, 0.1))[0]
    start = datetime(day.year, day.month, day.day, hour, tzinfo=zone).astimezone(UTC)
    # A same-day slot that already passed when the call came in moves to the next day.
    return start + timedelta(days=1) if start < created + timedelta(minutes=30) else start


def _job_status(rng: random.Random, start: datetime, end: datetime, now: datetime) -> str:
    """The organic jobs' status rule seen at `now`: finished ones done, started ones open, later booked."""
    u = rng.random()
    if end < now - timedelta(days=1):
        return "Completed" if u < 0.91 else "Canceled"
    if start < now:
        return rng.choices(["InProgress", "Dispatched", "Hold"], [0.4, 0.35, 0.25])[0]
    if u < 0.06:
        return "Canceled"
    return "Hold" if u < 0.12 else "Scheduled"


def _address(rng: random.Random, ctx: GenContext) -> dict[str, Any]:
    towns, weights = tenant_towns(ctx)
    town = rng.choices(towns, weights)[0]
    return {
        "street": f"{rng.randrange(1, 9899)} {rng.choice(STREET_NAMES)} {rng.choice(STREET_SUFFIXES)}",
        "unit": None,
        "city": town.city,
        "state": town.state,
        "zip": f"{town.zip_prefix}{rng.randrange(1, 99):02d}",
        "country": "USA",
        "latitude": round(town.latitude + rng.uniform(-0.02, 0.02), 6),
        "longitude": round(town.longitude + rng.uniform(-0.02, 0.02), 6),
    }


class _Planner:
    def __init__(self, history: TenantHistory, env: str) -> None:
        self.h = history
        self.ctx = history.ctx
        self.env = env
        self.rng = random.Random(f"{self.ctx.seed}:{self.ctx.profile.key}:{env}:planted")
        self.plan = EnvPlan(env)
        tester = env == "integration"
        self.offset = planted.TESTER_ID_OFFSET if tester else 0
        self.counters: dict[str, int] = {}
        self.draws: dict[str, Draws] = {}
        self.csr_ids = history.staff_ids("CSR")
        # Production continues each sequence past the largest index the organic builders can use.
        customers, jobs = self.ctx.count(CUSTOMERS_BASE), self.ctx.count(JOBS_BASE)
        self.organic = (
            {}
            if tester
            else {
                "customers": customers,
                "locations": customers * MAX_PER_PARENT,
                "jobs": jobs,
                "appointments": jobs * MAX_PER_PARENT,
                "invoice_items": jobs * MAX_PER_PARENT,
            }
        )

    def next_id(self, entity: str, index_entity: str | None = None) -> int:
        counter_name = index_entity or entity
        n = self.counters.get(counter_name, 0)
        self.counters[counter_name] = n + 1
        index = self.organic.get(counter_name, 0) + n
        draws = self.draws.get(entity)
        if draws is None:
            draws = self.draws[entity] = self.ctx.draws(entity)
        return entity_id_py(entity, index, draws, self.offset)

    def add(self, table: str, row: dict[str, Any]) -> None:
        self.plan.new_rows.setdefault(table, []).append(row)


def plan_for(history: TenantHistory, env: str) -> EnvPlan:
    """What `env` holds beyond the organic history of this tenant."""
    p = _Planner(history, env)
    ctx = p.ctx
    low, high = ctx.refresh + timedelta(hours=1), ctx.anchor - timedelta(hours=1)
    if env == "production":
        customers = _new_customers(p, ctx.planted(planted.PRODUCTION_NEW_CUSTOMERS), low, high, test=False)
        _change_customers(p, low, high)
        _new_jobs(p, ctx.planted(planted.PRODUCTION_NEW_JOBS), customers, low, high, test=False)
    else:
        customers = _new_customers(p, ctx.planted(planted.INTEGRATION_TEST_CUSTOMERS), low, high, test=True)
        _new_jobs(p, ctx.planted(planted.INTEGRATION_TEST_JOBS), customers, low, high, test=True)
    return p.plan


def _new_customers(
    p: _Planner, count: int, low: datetime, high: datetime, *, test: bool
) -> list[tuple[int, int, str, datetime]]:
    """Append new customers (each with one location); returns (customer id, location id, name, created)."""
    ctx, rng = p.ctx, p.rng
    multifamily = 0 if test else ctx.planted(planted.PRODUCTION_MULTIFAMILY_CUSTOMERS)
    created_list = sorted(_moment(rng, low, high - timedelta(days=2)) for _ in range(count))
    out = []
    for n, created in enumerate(created_list):
        newest = n >= count - multifamily  # production added the type lately: its newest records use it
        commercial = not test and (newest or rng.random() < 0.12)
        if newest:
            kind = "Multifamily"
            name = f"{rng.choice(BUSINESS_WORDS)} Apartments"
        elif commercial:
            kind = "Commercial"
            name = f"{rng.choice(BUSINESS_WORDS)} {rng.choice(BUSINESS_SUFFIXES)}"
        else:
            kind = "Residential"
            name = f"{rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)}"
        if test:
            name = planted.TEST_NAME_PREFIX + name
        address = _address(rng, ctx)
        modified = created + timedelta(minutes=rng.randrange(1, 600))
        customer_id = p.next_id("customers")
        location_id = p.next_id("locations")
        created_by = rng.choice(p.csr_ids)
        p.add(
            "customers",
            {
                "id": customer_id,
                "active": True,
                "name": name,
                "type": kind,
                "address": address,
                "customFields": [],
                "balance": 0.0,
                "tagTypeIds": [],
                "doNotMail": False,
                "doNotService": False,
                "createdOn": created,
                "createdById": created_by,
                "modifiedOn": min(modified, high),
                "mergedToId": None,
                "externalData": [],
                "_commercial": kind != "Residential",
            },
        )
        p.add(
            "locations",
            {
                "id": location_id,
                "customerId": customer_id,
                "active": True,
                "name": name,
                "address": address,
                "customFields": [],
                "createdOn": created,
                "createdById": created_by,
                "modifiedOn": min(modified, high),
                "mergedToId": None,
                "zoneId": p.h.ids("zones")[0],
                "tagTypeIds": [],
                "externalData": [],
                "taxZoneId": None,
                "_site": 0,
            },
        )
        out.append((customer_id, location_id, name, created))
    return out


def _change_customers(p: _Planner, low: datetime, high: datetime) -> None:
    """Production edits: renamed or moved customers, and deactivated ones (two disjoint groups)."""
    ctx, rng = p.ctx, p.rng
    customers = p.h.get("customers")
    candidates = customers.filter(pl.col("active") & pl.col("mergedToId").is_null())["id"].to_list()
    modified = ctx.planted(planted.PRODUCTION_MODIFIED_CUSTOMERS)
    deactivated = ctx.planted(planted.PRODUCTION_DEACTIVATED_CUSTOMERS)
    chosen = rng.sample(candidates, min(len(candidates), modified + deactivated))
    names = dict(zip(customers["id"].to_list(), customers["name"].to_list(), strict=True))
    for n, customer_id in enumerate(chosen):
        when = _moment(rng, low, high)
        if n < modified:
            if rng.random() < 0.5:
                old = names[customer_id]
                first = old.split(" ")[0]
                change: dict[str, Any] = {"name": f"{first} {rng.choice(LAST_NAMES)}"}
                if change["name"] == old:
                    change["name"] = f"{old} Jr."
            else:
                change = {"address": _address(rng, ctx)}
        else:
            change = {"active": False}
        change["modifiedOn"] = when
        p.plan.customer_changes[customer_id] = change


def _new_jobs(
    p: _Planner,
    count: int,
    new_customers: list[tuple[int, int, str, datetime]],
    low: datetime,
    high: datetime,
    *,
    test: bool,
) -> None:
    """Append new jobs, each with one appointment and one invoice."""
    ctx, rng, h = p.ctx, p.rng, p.h
    bu_ids = h.ids("business_units")
    bu_names = h.get("business_units")["name"].to_list()
    type_ids = h.ids("job_types")
    campaign_ids = h.ids("campaigns")
    technicians = h.get("technicians").filter(pl.col("active"))
    tech_by_bu = {
        bu: technicians.filter(pl.col("businessUnitId") == bu)["id"].to_list() or technicians["id"].to_list()
        for bu in bu_ids
    }
    tech_names = dict(zip(technicians["id"].to_list(), technicians["name"].to_list(), strict=True))
    existing = h.get("customers").filter(pl.col("active") & pl.col("mergedToId").is_null())
    locations = h.get("locations").filter(pl.col("_site") == 0)
    first_site = dict(zip(locations["customerId"].to_list(), locations["id"].to_list(), strict=True))
    existing_pairs = [
        (cid, first_site[cid], name)
        for cid, name in zip(existing["id"].to_list(), existing["name"].to_list(), strict=True)
        if cid in first_site
    ]
    emergencies = 0 if test else ctx.planted(planted.PRODUCTION_EMERGENCY_JOBS)
    if test:
        created_list = sorted(_moment(rng, low, high - timedelta(hours=2)) for _ in range(count))
    else:
        created_list = _seasonal_moments(ctx, rng, count, low, high - timedelta(hours=2))
    csr_ids = p.csr_ids
    new_created = [c[3] for c in new_customers]  # new_customers is in creation order
    tax_rate = TAX_RATES.get(ctx.profile.key, 0.08)
    for n, created in enumerate(created_list):
        if test and new_created:
            created = max(created, new_created[0] + timedelta(hours=1))  # testers book on their own customers
        eligible = bisect.bisect_right(new_created, created)
        if eligible and (test or rng.random() < 0.4):
            customer_id, location_id, customer_name, _c = new_customers[rng.randrange(eligible)]
        else:
            customer_id, location_id, customer_name = rng.choice(existing_pairs)
        type_index = rng.randrange(len(JOB_TYPE_SPECS))
        spec = JOB_TYPE_SPECS[type_index]
        bu_id = bu_ids[spec.bu]
        start = _appointment_start(ctx, rng, created, spec.job_class == "Install")
        end = start + timedelta(hours=spec.hours * (0.7 + rng.random() * 0.8))
        status = _job_status(rng, start, end, ctx.anchor)
        completed = end if status == "Completed" else None
        subtotal = round(spec.ticket * rng.uniform(0.7, 1.4) * 100) if completed else 0
        tax = round(subtotal * (0.55 if spec.job_class == "Install" else 0.2) * tax_rate)
        modified = min(max(created, (completed or created) + timedelta(minutes=rng.randrange(5, 300))), high)
        job_id = p.next_id("jobs")
        appointment_id = p.next_id("appointments")
        invoice_id = p.next_id("invoices", "jobs")
        technician = rng.choice(tech_by_bu[bu_id])
        priority = (
            "Emergency"
            if n >= count - emergencies  # the newest jobs, like the Multifamily customers
            else rng.choices(["Normal", "High", "Low", "Urgent"], [72, 14, 8, 6])[0]
        )
        summary = f"{spec.name} - {'TEST job created by QA' if test else 'New request from the customer.'}"
        p.add(
            "jobs",
            {
                "id": job_id,
                "jobNumber": str(job_id),
                "projectId": None,
                "customerId": customer_id,
                "locationId": location_id,
                "jobStatus": status,
                "completedOn": completed,
                "businessUnitId": bu_id,
                "jobTypeId": type_ids[type_index],
                "priority": priority,
                "campaignId": rng.choice(campaign_ids),
                "summary": summary,
                "customFields": [],
                "appointmentCount": 1,
                "firstAppointmentId": appointment_id,
                "lastAppointmentId": appointment_id,
                "recallForId": None,
                "warrantyId": None,
                "jobGeneratedLeadSource": None,
                "noCharge": False,
                "notificationsEnabled": True,
                "createdOn": created,
                "createdById": rng.choice(csr_ids),
                "modifiedOn": modified,
                "tagTypeIds": [],
                "leadCallId": None,
                "bookingId": None,
                "soldById": technician if spec.job_class == "Install" else None,
                "externalData": [],
                "customerPo": "",
                "invoiceId": invoice_id,
                "membershipId": None,
                "total": (subtotal + tax) / 100.0,
                "active": True,
                "_bu_id": bu_id,
                "_type": type_index,
                "_subtotal_cents": subtotal,
                "_tax_cents": tax,
                "_install": spec.job_class == "Install",
            },
        )
        appointment_status = {"Completed": "Done", "InProgress": "Working"}.get(status, status)
        p.add(
            "appointments",
            {
                "id": appointment_id,
                "jobId": job_id,
                "appointmentNumber": f"{job_id}-1",
                "start": start,
                "end": end,
                "arrivalWindowStart": start,
                "arrivalWindowEnd": start + timedelta(hours=2),
                "status": appointment_status,
                "specialInstructions": None,
                "createdOn": created,
                "modifiedOn": modified,
                "customerId": customer_id,
                "unused": False,
                "createdById": rng.choice(csr_ids),
                "isConfirmed": status != "Scheduled",
                "active": True,
            },
        )
        invoice_date = completed or created
        total = subtotal + tax
        money = f"{total // 100}.{total % 100:02d}"
        items = []
        if subtotal:
            items.append(
                {
                    "id": p.next_id("invoice_items", "invoice_items"),
                    "description": spec.name,
                    "quantity": "1.00",
                    "price": f"{subtotal // 100}.{subtotal % 100:02d}",
                    "total": f"{subtotal // 100}.{subtotal % 100:02d}",
                    "type": "Service",
                    "skuName": spec.name,
                    "skuId": h.ids("job_types")[0],
                    "generalLedgerAccount": _SERVICE_INCOME,
                    "inventory": False,
                    "taxable": False,
                    "membershipTypeId": 0,
                    "displayName": spec.name,
                    "createdOn": created.strftime(_RFC3339),
                    "modifiedOn": modified.strftime(_RFC3339),
                    "serviceDate": invoice_date.strftime(_RFC3339),
                    "order": 0,
                    "businessUnit": {"id": bu_id, "name": bu_names[spec.bu]},
                    "addOn": False,
                    "technicianId": technician,
                }
            )
        p.add(
            "invoices",
            {
                "id": invoice_id,
                "syncStatus": "Pending",
                "summary": summary,
                "referenceNumber": str(job_id),
                "invoiceDate": invoice_date,
                "dueDate": invoice_date + timedelta(days=30),
                "subTotal": f"{subtotal // 100}.{subtotal % 100:02d}",
                "salesTax": f"{tax // 100}.{tax % 100:02d}",
                "total": money,
                "balance": money,
                "customer": {"id": customer_id, "name": customer_name},
                "location": {"id": location_id, "name": customer_name},
                "businessUnit": {"id": bu_id, "name": bu_names[spec.bu]},
                "termName": "Due Upon Receipt",
                "createdBy": "System",
                "createdOn": created,
                "modifiedOn": modified,
                "job": {"id": job_id, "number": str(job_id), "type": spec.name},
                "employeeInfo": {
                    "id": technician,
                    "name": tech_names.get(technician, ""),
                    "modifiedOn": None,
                },
                "sentStatus": "NotSent",
                "reviewStatus": "NeedsReview",
                "items": items,
                "customFields": [],
                "active": True,
                "discountTotal": "0.00",
                "customerId": customer_id,
                "locationId": location_id,
                "businessUnitId": bu_id,
                "_job_id": job_id,
                "_total_cents": total,
                "_subtotal_cents": subtotal,
                "_tax_cents": tax,
                "_paid_cents": 0,
            },
        )

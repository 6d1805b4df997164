"""A small deterministic `ReportSource` for testing the sandbox's reporting service without a world."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

import polars as pl

from stnb.sandbox.reports import ReportSource

UTC_US = pl.Datetime("us", "UTC")
START = datetime(2026, 1, 1, 5, tzinfo=UTC)  # local midnight in New York


def fake_source(invoices: int = 3000, tz: str = "America/New_York", seed: int = 1) -> ReportSource:
    rng = random.Random(seed)
    units = pl.DataFrame({"id": [1, 2, 3], "name": ["HVAC", "Plumbing", "Electrical"]})
    techs = pl.DataFrame(
        {
            "id": [101, 102, 103, 104, 105, 106],
            "name": ["Ana Ruiz", "Ben Cole", "Cy Park", "Di Moss", "Ed Hale", "Flo Tran"],
            "business_unit_id": [1, 1, 2, 2, 3, 3],
        }
    )
    campaigns = pl.DataFrame({"id": [501, 502, 503], "name": ["Google Ads", "Radio", "Referral"]})
    types = pl.DataFrame({"id": [701, 702], "name": ["Comfort Club", "Plumbing Protect"]})
    job_rows = []
    invoice_rows = []
    for i in range(invoices):
        created = START + timedelta(minutes=rng.randrange(0, 90 * 24 * 60))
        status = rng.choice(["Completed", "Completed", "Completed", "Scheduled", "Canceled", "InProgress"])
        completed = created + timedelta(hours=rng.randrange(1, 72)) if status == "Completed" else None
        tech = rng.choice(techs.get_column("id").to_list())
        unit = (tech - 101) // 2 + 1
        job_rows.append((10_000 + i, unit, status, created, completed, rng.choice([501, 502, 503]), tech))
        total = rng.randrange(5_000, 250_000)
        balance = total if rng.random() < 0.4 else 0
        invoice_rows.append(
            (
                20_000 + i,
                f"INV-{i:05d}",
                completed or created,
                (completed or created) + timedelta(days=30),
                total,
                balance,
                unit,
                10_000 + i,
                f"Customer {i % 97}",
            )
        )
    jobs = pl.DataFrame(
        job_rows,
        schema={
            "id": pl.Int64,
            "business_unit_id": pl.Int64,
            "job_status": pl.String,
            "created_on": UTC_US,
            "completed_on": UTC_US,
            "campaign_id": pl.Int64,
            "technician_id": pl.Int64,
        },
        orient="row",
    )
    invoice_frame = pl.DataFrame(
        invoice_rows,
        schema={
            "id": pl.Int64,
            "number": pl.String,
            "invoice_date": UTC_US,
            "due_date": UTC_US,
            "total_cents": pl.Int64,
            "balance_cents": pl.Int64,
            "business_unit_id": pl.Int64,
            "job_id": pl.Int64,
            "customer_name": pl.String,
        },
        orient="row",
    )
    calls = pl.DataFrame(
        [
            (
                30_000 + i,
                START + timedelta(minutes=rng.randrange(0, 90 * 24 * 60)),
                rng.choice([501, 502, 503, None]),
                rng.choice(["Booked", "Unbooked", "Abandoned"]),
                rng.randrange(20, 900),
            )
            for i in range(600)
        ],
        schema={
            "id": pl.Int64,
            "received_on": UTC_US,
            "campaign_id": pl.Int64,
            "call_type": pl.String,
            "duration_seconds": pl.Int64,
        },
        orient="row",
    )
    memberships = pl.DataFrame(
        [
            (
                40_000 + i,
                START + timedelta(days=rng.randrange(0, 90)),
                rng.choice([1, 2, 3]),
                rng.choice([701, 702]),
                rng.choice([101, 102, None]),
                rng.choice([19_900, 29_900]),
            )
            for i in range(150)
        ],
        schema={
            "id": pl.Int64,
            "sold_on": UTC_US,
            "business_unit_id": pl.Int64,
            "membership_type_id": pl.Int64,
            "sold_by_id": pl.Int64,
            "price_cents": pl.Int64,
        },
        orient="row",
    )
    return ReportSource(
        timezone=tz,
        business_units=units,
        technicians=techs,
        campaigns=campaigns,
        membership_types=types,
        jobs=jobs,
        invoices=invoice_frame,
        calls=calls,
        memberships=memberships,
    )

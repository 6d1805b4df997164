"""What every table builder shares: the tenant's generation context, ids, times, money and text helpers."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import polars as pl

from stnb.sandbox.identity import TenantProfile
from stnb.sandbox.planted import REFRESH_DAYS, planted_count
from stnb.sandbox.rng import Draws, pick

__all__ = [
    "CUSTOMERS_BASE",
    "HISTORY_DAYS",
    "ID_BASES",
    "JOBS_BASE",
    "MAX_PER_PARENT",
    "GenContext",
    "cents_to_money",
    "entity_ids",
    "local_times",
    "row_key",
]

HISTORY_DAYS = 730
CUSTOMERS_BASE = 3000  # default tenant at scale 1
JOBS_BASE = 10_000
MAX_PER_PARENT = 4  # at most this many locations per customer, appointments or invoice items per job

# Each entity's ids start at its own base and grow with creation time; testers' ids sit
# TESTER_ID_OFFSET above the base (see planted.py), far beyond any organic or new production id.
ID_BASES: dict[str, int] = {
    "business_units": 1_000,
    "technicians": 10_000,
    "employees": 20_000,
    "job_types": 30_000,
    "campaigns": 40_000,
    "tag_types": 50_000,
    "zones": 60_000,
    "membership_types": 70_000,
    "payment_types": 80_000,
    "pricebook_categories": 90_000,
    "pricebook_services": 100_000,
    "pricebook_materials": 200_000,
    "pricebook_equipment": 300_000,
    "customers": 100_000_000,
    "locations": 200_000_000,
    "customer_contacts": 300_000_000,
    "location_contacts": 400_000_000,
    "jobs": 500_000_000,
    "appointments": 600_000_000,
    "assignments": 700_000_000,
    "invoices": 800_000_000,
    "invoice_items": 900_000_000,
    "payments": 1_000_000_000,
    "estimates": 1_100_000_000,
    "memberships": 1_200_000_000,
    "calls": 1_300_000_000,
    "installed_equipment": 1_400_000_000,
    "leads": 1_500_000_000,
    "bookings": 1_600_000_000,
    "projects": 1_700_000_000,
    "job_notes": 1_800_000_000,
    "generic": 1_900_000_000,
}
ID_STRIDE = 4


@dataclass(frozen=True, slots=True)
class GenContext:
    """One tenant's generation parameters: seed, scale, the world's `anchor` (now) and the company."""

    seed: int
    scale: float
    anchor: datetime
    profile: TenantProfile
    tenant_id: int

    @property
    def start(self) -> datetime:
        return self.anchor - timedelta(days=HISTORY_DAYS)

    @property
    def refresh(self) -> datetime:
        return self.anchor - timedelta(days=REFRESH_DAYS)

    @property
    def organic_days(self) -> int:
        """Days of organic history, all before the refresh date (both environments share them)."""
        return HISTORY_DAYS - REFRESH_DAYS

    def count(self, base: float, minimum: int = 1) -> int:
        """A volume for this tenant: base (for the default tenant at scale 1) times scale and size."""
        return max(minimum, round(base * self.scale * self.profile.size))

    def planted(self, count: int) -> int:
        return planted_count(count, self.scale, self.profile.size)

    def draws(self, *stream: object) -> Draws:
        return Draws(self.seed, self.profile.key, *stream)

    def day(self, offset: int) -> date:
        return (self.start + timedelta(days=offset)).date()


def row_key(n: int) -> pl.Expr:
    return pl.int_range(0, n, dtype=pl.Int64)


def entity_ids(entity: str, index: pl.Expr, draws: Draws, offset: int = 0) -> pl.Expr:
    """Increasing ids with small random gaps: base + index * stride + jitter (jitter < stride)."""
    base = ID_BASES[entity] + offset
    return pl.lit(base, dtype=pl.Int64) + index * ID_STRIDE + draws.integers(index, f"id:{entity}", 0, 2)


def entity_id_py(entity: str, index: int, draws: Draws, offset: int = 0) -> int:
    """The same id as `entity_ids` for one row, computed in Python."""
    return ID_BASES[entity] + offset + index * ID_STRIDE + draws.integers_py(index, f"id:{entity}", 0, 2)


def utc_offsets(ctx: GenContext, days: int) -> list[int]:
    """Seconds the tenant's zone is ahead of UTC at noon of each day from the start (negative in the US)."""
    zone = ZoneInfo(ctx.profile.timezone)
    first = datetime(ctx.start.year, ctx.start.month, ctx.start.day, 12)
    out = []
    for n in range(days):
        offset = (first + timedelta(days=n)).replace(tzinfo=zone).utcoffset()
        out.append(int(offset.total_seconds()) if offset is not None else 0)
    return out


def local_times(day_offset: pl.Expr, seconds: pl.Expr, ctx: GenContext) -> pl.Expr:
    """UTC datetimes for a tenant-local wall time: `day_offset` days after the start plus `seconds`.

    Uses each day's offset at noon: exact for daytime hours (DST changes happen at night).
    """
    offsets = utc_offsets(ctx, HISTORY_DAYS + 120)
    start_day = datetime(ctx.start.year, ctx.start.month, ctx.start.day)
    day = day_offset.clip(0, len(offsets) - 1)
    utc_seconds = seconds - pick(offsets, day)
    naive = pl.lit(start_day) + pl.duration(days=day_offset, seconds=utc_seconds)
    return naive.dt.cast_time_unit("us").dt.replace_time_zone("UTC")


def cents_to_money(cents: pl.Expr) -> pl.Expr:
    """Integer cents as the API's money strings ("1234.50"); non-negative amounts only."""
    return pl.format("{}.{}", cents // 100, (cents % 100).cast(pl.String).str.zfill(2))


def iso(value: pl.Expr) -> pl.Expr:
    """A UTC datetime as RFC 3339 text with a Z, for datetimes nested inside structs."""
    return value.dt.strftime("%Y-%m-%dT%H:%M:%SZ")


def seasonal_day_weights(
    ctx: GenContext, monthly: Sequence[float], growth: float = 0.15, days: range | None = None
) -> list[float]:
    """Relative weight of each day (offsets from the start; default the organic days): month-of-year
    shape x weekday shape x yearly growth."""
    weights = []
    for offset in days if days is not None else range(ctx.organic_days):
        day = ctx.day(offset)
        weekday = (1.0, 1.0, 1.0, 1.0, 0.95, 0.45, 0.15)[day.weekday()]
        trend = 1.0 + growth * offset / 365.0
        weights.append(monthly[day.month - 1] * weekday * trend)
    return weights

"""Tenant time: relative date presets in the tenant's IANA zone, as half-open UTC bounds or local dates.

ServiceTitan stores instants in UTC, but a tenant's business day runs midnight to midnight in its own
zone. A preset is resolved to the tenant-local calendar days it covers, then each local midnight is
converted to UTC, so a day across a DST change is 23 or 25 hours long and still starts at local
midnight. List filters take the UTC bounds (`[start, end)`); report parameters take the inclusive
local dates (`From`/`To` as `YYYY-MM-DD`).

Presets: `today`, `yesterday`, `last_7_days`, `month_to_date`, `last_month` and `last_N_days` for any
N >= 1 (build the name with `last_n_days(n)`). `last_N_days` and `month_to_date` include today.

Bad input (an unknown preset or zone, a naive datetime) raises `TenantTimeError`, a `stnb.ValidationError`
that is also a `ValueError`.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from stnb._clock import SYSTEM_CLOCK, Clock
from stnb.errors import InvalidRequest

__all__ = [
    "PRESETS",
    "TenantClock",
    "TenantTimeError",
    "filter_names",
    "filters",
    "last_n_days",
    "local_dates",
    "local_day_bounds",
    "preset",
    "preset_days",
    "rfc3339",
    "zone",
]

PRESETS = ("today", "yesterday", "last_7_days", "month_to_date", "last_month")

_LAST_N = re.compile(r"last_(\d+)_days")
_DIGITS = re.compile(r"\d+")

# List filters whose names break the `{field}OnOrAfter` / `{field}Before` pattern (accounting invoices).
_IRREGULAR_FILTERS = {"invoiced": ("invoicedOnOrAfter", "invoicedOnBefore")}


class TenantTimeError(InvalidRequest):
    """A preset, time zone or datetime given to `stnb.tenant_time` is not usable; raised before any request.

    A `ValidationError` like every input error stnb finds itself, and a `ValueError` as it was before."""

    def __init__(self, message: str, field: str, problem: str) -> None:
        super().__init__(message, errors={field: [problem]}, status=None)


def zone(tz: str | tzinfo) -> tzinfo:
    """The tzinfo for an IANA name (or a tzinfo passed through); a clear `TenantTimeError` when unknown."""
    if isinstance(tz, tzinfo):
        return tz
    if not isinstance(tz, str) or not tz:
        raise TenantTimeError(
            f"time zone must be an IANA name such as 'America/New_York', got {tz!r}", "tz", "not a zone name"
        )
    try:
        return ZoneInfo(tz)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise TenantTimeError(
            f"unknown IANA time zone {tz!r} (for example 'America/New_York')", "tz", "unknown zone"
        ) from exc


def last_n_days(n: int) -> str:
    """The preset name for the last `n` tenant-local days, today included."""
    if isinstance(n, bool) or not isinstance(n, int) or n < 1:
        raise TenantTimeError(f"last_n_days needs a whole number of days >= 1, got {n!r}", "n", "at least 1")
    return f"last_{n}_days"


def local_day_bounds(day: date, tz: str | tzinfo) -> tuple[datetime, datetime]:
    """`[start, end)` in UTC of one tenant-local calendar day (23 or 25 hours on DST change days)."""
    zi = zone(tz)
    return _local_midnight_utc(day, zi), _local_midnight_utc(day + timedelta(days=1), zi)


def preset_days(name: str, tz: str | tzinfo, now: datetime | None = None) -> tuple[date, date]:
    """The inclusive tenant-local dates `(first, last)` that preset `name` covers at instant `now`."""
    today = _local_today(zone(tz), now)
    if name == "today":
        return today, today
    if name == "yesterday":
        yesterday = today - timedelta(days=1)
        return yesterday, yesterday
    if name == "month_to_date":
        return today.replace(day=1), today
    if name == "last_month":
        first_this_month = today.replace(day=1)
        last_prev_month = first_this_month - timedelta(days=1)
        return last_prev_month.replace(day=1), last_prev_month
    match = _LAST_N.fullmatch(name) if isinstance(name, str) else None
    if match is not None and int(match.group(1)) >= 1:
        return today - timedelta(days=int(match.group(1)) - 1), today
    close = _closest_preset(name)
    hint = f"did you mean {close!r}? " if close else ""
    valid = f"valid presets: {', '.join(PRESETS)}, or last_N_days (e.g. last_30_days, from last_n_days(30))"
    raise TenantTimeError(f"unknown date preset {name!r}", "preset", hint + valid)


def _closest_preset(name: object) -> str | None:
    """The valid name nearest to a mistyped preset ('lastmonth', 'Last 30 days', 'last30days')."""
    if not isinstance(name, str):
        return None
    text = re.sub(r"[\s\-]+", "_", name.strip().lower())
    candidates = list(PRESETS)
    number = _DIGITS.search(text)
    if number is not None and int(number.group()) >= 1:
        candidates.insert(0, last_n_days(int(number.group())))
    if text in candidates:
        return text
    close = difflib.get_close_matches(text, candidates, n=1, cutoff=0.6)
    return close[0] if close else None


def preset(name: str, tz: str | tzinfo, now: datetime | None = None) -> tuple[datetime, datetime]:
    """Half-open UTC bounds `[start, end)` of preset `name` in the tenant's zone at instant `now`."""
    zi = zone(tz)
    first, last = preset_days(name, zi, now)
    return _local_midnight_utc(first, zi), _local_midnight_utc(last + timedelta(days=1), zi)


def local_dates(name: str, tz: str | tzinfo, now: datetime | None = None) -> tuple[str, str]:
    """Inclusive tenant-local `(From, To)` as `YYYY-MM-DD`, the form report date parameters expect."""
    first, last = preset_days(name, tz, now)
    return first.isoformat(), last.isoformat()


def filter_names(field: str) -> tuple[str, str]:
    """The (inclusive lower, exclusive upper) list-filter names for a date field such as `modified`."""
    if not field or not field.isidentifier():
        raise TenantTimeError(
            f"date field must be a filter stem such as 'modified' or 'created', got {field!r}",
            "field",
            "not a filter stem",
        )
    return _IRREGULAR_FILTERS.get(field, (f"{field}OnOrAfter", f"{field}Before"))


def filters(
    name: str, tz: str | tzinfo, field: str = "modified", now: datetime | None = None
) -> dict[str, str]:
    """List filters for preset `name`, e.g. `{"modifiedOnOrAfter": ..., "modifiedBefore": ...}` (UTC)."""
    lower, upper = filter_names(field)
    start, end = preset(name, tz, now)
    return {lower: rfc3339(start), upper: rfc3339(end)}


def rfc3339(instant: datetime) -> str:
    """An aware datetime as the RFC 3339 UTC text the API expects (`2026-03-08T05:00:00Z`)."""
    if instant.tzinfo is None or instant.utcoffset() is None:
        raise TenantTimeError(
            f"expected a timezone-aware datetime, got naive {instant!r}", "instant", "naive"
        )
    text = instant.astimezone(UTC).isoformat()
    return text.removesuffix("+00:00") + "Z"


@dataclass(frozen=True)
class TenantClock:
    """A tenant's zone plus a clock: presets resolved at the clock's current instant."""

    tz: str
    clock: Clock = SYSTEM_CLOCK

    def __post_init__(self) -> None:
        zone(self.tz)  # fail at construction, not at first use

    @classmethod
    def of(cls, conn: Any, clock: Clock | None = None) -> TenantClock:
        """The tenant clock of a connection (anything with a `.timezone`), e.g. `TenantClock.of(st)`."""
        return cls(str(conn.timezone), clock or SYSTEM_CLOCK)

    def now(self) -> datetime:
        """The current instant in the tenant's zone."""
        return self.clock.utcnow().astimezone(zone(self.tz))

    def today(self) -> date:
        """Today's tenant-local date."""
        return self.now().date()

    def preset(self, name: str) -> tuple[datetime, datetime]:
        """Half-open UTC bounds of a preset (see `stnb.tenant_time.preset`)."""
        return preset(name, self.tz, self.clock.utcnow())

    def local_dates(self, name: str) -> tuple[str, str]:
        """Inclusive tenant-local `(From, To)` dates of a preset."""
        return local_dates(name, self.tz, self.clock.utcnow())

    def filters(self, name: str, field: str = "modified") -> dict[str, str]:
        """List filters for a preset on a date field."""
        return filters(name, self.tz, field, self.clock.utcnow())

    def day_bounds(self, day: date) -> tuple[datetime, datetime]:
        """Half-open UTC bounds of one tenant-local day."""
        return local_day_bounds(day, self.tz)


def _local_today(zi: tzinfo, now: datetime | None) -> date:
    instant = SYSTEM_CLOCK.utcnow() if now is None else now
    if instant.tzinfo is None or instant.utcoffset() is None:
        raise TenantTimeError(f"`now` must be timezone-aware, got naive {instant!r}", "now", "naive")
    return instant.astimezone(zi).date()


def _local_midnight_utc(day: date, zi: tzinfo) -> datetime:
    # fold=0 maps a midnight skipped by DST to the transition instant: the first instant of that day.
    return datetime.combine(day, time(0), tzinfo=zi).astimezone(UTC)

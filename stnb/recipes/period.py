"""A recipe's period: inclusive tenant-local dates, their UTC bounds, and the UTC-midnight bounds a naive
reading of the same dates would use (what the time-zone cause of a reconciliation measures)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from stnb import tenant_time
from stnb.errors import ValidationError

__all__ = ["Period"]


@dataclass(frozen=True)
class Period:
    """Tenant-local days `first..last` (inclusive) in zone `tz`."""

    first: date
    last: date
    tz: str
    label: str = ""

    def __post_init__(self) -> None:
        if self.last < self.first:
            raise ValidationError(
                f"period ends ({self.last}) before it starts ({self.first})",
                errors={"period": ["last day before first day"]},
                status=None,
            )

    @classmethod
    def resolve(cls, period: Any, tz: str, now: datetime | None = None) -> Period:
        """A preset name (`last_month`, `last_30_days`, ...), a `(first, last)` pair of dates or ISO texts,
        or a `Period` (re-zoned to `tz`)."""
        if isinstance(period, Period):
            return cls(period.first, period.last, tz, period.label)
        if isinstance(period, str):
            first, last = tenant_time.preset_days(period, tz, now)
            return cls(first, last, tz, period)
        if isinstance(period, tuple | list) and len(period) == 2:
            first, last = (_day(p) for p in period)
            return cls(first, last, tz, f"{first.isoformat()}..{last.isoformat()}")
        raise ValidationError(
            f"period must be a preset such as 'last_month', a (first, last) pair of dates, got {period!r}",
            errors={"period": ["not a period"]},
            status=None,
        )

    @property
    def start(self) -> datetime:
        """UTC instant of the first day's local midnight."""
        return tenant_time.local_day_bounds(self.first, self.tz)[0]

    @property
    def end(self) -> datetime:
        """UTC instant of the local midnight after the last day (exclusive)."""
        return tenant_time.local_day_bounds(self.last, self.tz)[1]

    @property
    def utc_start(self) -> datetime:
        """The first day's midnight read as UTC: the naive bound of a date-only filter."""
        return datetime.combine(self.first, time(0), tzinfo=UTC)

    @property
    def utc_end(self) -> datetime:
        return datetime.combine(self.last + timedelta(days=1), time(0), tzinfo=UTC)

    @property
    def outer_start(self) -> datetime:
        """The earlier of both starts: one pull covers the local and the naive window."""
        return min(self.start, self.utc_start)

    @property
    def outer_end(self) -> datetime:
        return max(self.end, self.utc_end)

    def report_params(self) -> dict[str, str]:
        return {"From": self.first.isoformat(), "To": self.last.isoformat()}

    def days(self) -> int:
        return (self.last - self.first).days + 1

    def __str__(self) -> str:
        span = f"{self.first.isoformat()} to {self.last.isoformat()}"
        return (
            f"{self.label} ({span}, {self.tz})"
            if self.label and ".." not in self.label
            else f"{span} ({self.tz})"
        )


def _day(value: Any) -> date:
    if isinstance(value, datetime):
        raise ValidationError(
            "period bounds are tenant-local dates, not datetimes",
            errors={"period": ["datetime"]},
            status=None,
        )
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        try:
            return date.fromisoformat(value)
        except ValueError as exc:
            raise ValidationError(
                f"period bound {value!r} is not a YYYY-MM-DD date",
                errors={"period": ["not a date"]},
                status=None,
            ) from exc
    raise ValidationError(
        f"period bound {value!r} is not a date", errors={"period": ["not a date"]}, status=None
    )

"""Tenant time: presets as half-open UTC bounds that stay right across DST, and local report dates."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from stnb import ValidationError, tenant_time
from stnb._clock import FakeClock
from stnb.tenant_time import (
    TenantClock,
    TenantTimeError,
    filters,
    last_n_days,
    local_dates,
    local_day_bounds,
    preset,
    preset_days,
)

NY = "America/New_York"
LA = "America/Los_Angeles"
HOUR = timedelta(hours=1)


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


# 2026 DST changes in the US: spring forward on Sunday 8 March, fall back on Sunday 1 November.
@pytest.mark.parametrize(
    ("tz", "now", "start", "end", "hours"),
    [
        (NY, utc(2026, 3, 8, 15), utc(2026, 3, 8, 5), utc(2026, 3, 9, 4), 23),
        (NY, utc(2026, 11, 1, 15), utc(2026, 11, 1, 4), utc(2026, 11, 2, 5), 25),
        (LA, utc(2026, 3, 8, 20), utc(2026, 3, 8, 8), utc(2026, 3, 9, 7), 23),
        (LA, utc(2026, 11, 1, 20), utc(2026, 11, 1, 7), utc(2026, 11, 2, 8), 25),
        (NY, utc(2026, 1, 15, 12), utc(2026, 1, 15, 5), utc(2026, 1, 16, 5), 24),
        (LA, utc(2026, 7, 4, 12), utc(2026, 7, 4, 7), utc(2026, 7, 5, 7), 24),
    ],
)
def test_today_spans_the_local_day_across_dst(
    tz: str, now: datetime, start: datetime, end: datetime, hours: int
) -> None:
    got = preset("today", tz, now)
    assert got == (start, end)
    assert got[1] - got[0] == hours * HOUR
    assert all(bound.astimezone(ZoneInfo(tz)).time().hour == 0 for bound in got)


@pytest.mark.parametrize(
    ("tz", "now", "start", "end", "hours"),
    [
        (NY, utc(2026, 3, 9, 12), utc(2026, 3, 8, 5), utc(2026, 3, 9, 4), 23),
        (NY, utc(2026, 11, 2, 12), utc(2026, 11, 1, 4), utc(2026, 11, 2, 5), 25),
        (LA, utc(2026, 3, 9, 12), utc(2026, 3, 8, 8), utc(2026, 3, 9, 7), 23),
        (LA, utc(2026, 11, 2, 12), utc(2026, 11, 1, 7), utc(2026, 11, 2, 8), 25),
    ],
)
def test_yesterday_is_the_dst_day(tz: str, now: datetime, start: datetime, end: datetime, hours: int) -> None:
    assert preset("yesterday", tz, now) == (start, end)
    assert end - start == hours * HOUR


def test_local_evening_still_counts_as_that_local_day() -> None:
    # 03:30 UTC on 9 March is 23:30 EDT on 8 March in New York but already 9 March in UTC.
    now = utc(2026, 3, 9, 3, 30)
    assert local_dates("today", NY, now) == ("2026-03-08", "2026-03-08")
    assert local_dates("today", "UTC", now) == ("2026-03-09", "2026-03-09")
    # 07:30 UTC on 2 November is still 1 November (PST) in Los Angeles.
    assert local_dates("today", LA, utc(2026, 11, 2, 7, 30)) == ("2026-11-01", "2026-11-01")


def test_last_7_days_across_spring_forward_is_one_hour_short() -> None:
    start, end = preset("last_7_days", NY, utc(2026, 3, 10, 16))
    assert (start, end) == (utc(2026, 3, 4, 5), utc(2026, 3, 11, 4))
    assert end - start == 7 * 24 * HOUR - HOUR
    assert local_dates("last_7_days", NY, utc(2026, 3, 10, 16)) == ("2026-03-04", "2026-03-10")


def test_last_n_days_across_fall_back_is_one_hour_long() -> None:
    name = last_n_days(3)
    assert name == "last_3_days"
    start, end = preset(name, LA, utc(2026, 11, 2, 18))
    assert (start, end) == (utc(2026, 10, 31, 7), utc(2026, 11, 3, 8))
    assert end - start == 3 * 24 * HOUR + HOUR


def test_last_1_days_equals_today() -> None:
    now = utc(2026, 6, 1, 12)
    assert preset(last_n_days(1), NY, now) == preset("today", NY, now)


def test_last_month_in_march_has_743_hours() -> None:
    now = utc(2026, 4, 10, 12)
    start, end = preset("last_month", NY, now)
    assert (start, end) == (utc(2026, 3, 1, 5), utc(2026, 4, 1, 4))
    assert end - start == 31 * 24 * HOUR - HOUR
    assert local_dates("last_month", NY, now) == ("2026-03-01", "2026-03-31")


def test_last_month_in_january_is_previous_december() -> None:
    assert local_dates("last_month", LA, utc(2026, 1, 3, 12)) == ("2025-12-01", "2025-12-31")


def test_month_to_date_over_fall_back() -> None:
    now = utc(2026, 11, 3, 20)
    start, end = preset("month_to_date", LA, now)
    assert (start, end) == (utc(2026, 11, 1, 7), utc(2026, 11, 4, 8))
    assert local_dates("month_to_date", LA, now) == ("2026-11-01", "2026-11-03")


def test_month_to_date_on_the_first_at_local_evening() -> None:
    # 2026-04-01 02:00 UTC is still 31 March in New York: month to date is all of March.
    assert local_dates("month_to_date", NY, utc(2026, 4, 1, 2)) == ("2026-03-01", "2026-03-31")


def test_filters_give_half_open_rfc3339_bounds() -> None:
    now = utc(2026, 3, 8, 15)
    assert filters("today", NY, now=now) == {
        "modifiedOnOrAfter": "2026-03-08T05:00:00Z",
        "modifiedBefore": "2026-03-09T04:00:00Z",
    }
    assert filters("today", NY, field="created", now=now) == {
        "createdOnOrAfter": "2026-03-08T05:00:00Z",
        "createdBefore": "2026-03-09T04:00:00Z",
    }
    # Invoices name their upper bound `invoicedOnBefore`.
    assert filters("today", NY, field="invoiced", now=now) == {
        "invoicedOnOrAfter": "2026-03-08T05:00:00Z",
        "invoicedOnBefore": "2026-03-09T04:00:00Z",
    }


def test_consecutive_days_tile_the_year_without_gaps() -> None:
    for tz in (NY, LA):
        day = date(2026, 1, 1)
        previous_end = local_day_bounds(day - timedelta(days=1), tz)[1]
        lengths = set()
        while day.year == 2026:
            start, end = local_day_bounds(day, tz)
            assert start == previous_end
            lengths.add(end - start)
            previous_end = end
            day += timedelta(days=1)
        assert lengths == {23 * HOUR, 24 * HOUR, 25 * HOUR}


def test_midnight_skipped_by_dst_starts_the_day_at_the_transition() -> None:
    # Chile springs forward at local midnight: 6 September 2026 begins at 01:00 -03.
    start, end = local_day_bounds(date(2026, 9, 6), "America/Santiago")
    assert start == utc(2026, 9, 6, 4)
    assert start.astimezone(ZoneInfo("America/Santiago")).hour == 1
    assert end - start == 23 * HOUR


def test_tenant_clock_uses_its_clock() -> None:
    clock = FakeClock(start=utc(2026, 11, 1, 16))
    tenant = TenantClock(LA, clock)
    assert tenant.today() == date(2026, 11, 1)
    assert tenant.local_dates("today") == ("2026-11-01", "2026-11-01")
    assert tenant.preset("today") == (utc(2026, 11, 1, 7), utc(2026, 11, 2, 8))
    clock.advance(24 * 3600)
    assert tenant.local_dates("yesterday") == ("2026-11-01", "2026-11-01")
    assert tenant.filters("today", "completed") == {
        "completedOnOrAfter": "2026-11-02T08:00:00Z",
        "completedBefore": "2026-11-03T08:00:00Z",
    }
    assert tenant.day_bounds(date(2026, 3, 8)) == (utc(2026, 3, 8, 8), utc(2026, 3, 9, 7))


def test_tenant_clock_of_a_connection() -> None:
    class Conn:
        timezone = LA

    clock = FakeClock(start=utc(2026, 3, 8, 20))
    assert TenantClock.of(Conn(), clock).local_dates("today") == ("2026-03-08", "2026-03-08")
    assert TenantClock.of(Conn()).clock is not clock


def test_default_now_is_the_current_instant() -> None:
    start, end = preset("today", "UTC")
    assert start <= datetime.now(UTC) < end


@pytest.mark.parametrize("name", ["tomorrow", "last_0_days", "last_x_days", "", "Today"])
def test_unknown_preset_names_the_valid_ones(name: str) -> None:
    with pytest.raises(ValueError, match="valid presets: today, yesterday, last_7_days"):
        preset(name, NY, utc(2026, 1, 1))


@pytest.mark.parametrize(
    ("name", "closest"),
    [
        ("lastmonth", "'last_month'"),
        ("Last Month", "'last_month'"),
        ("last-7-days", "'last_7_days'"),
        ("last30days", "'last_30_days'"),
        ("yesterdy", "'yesterday'"),
        ("Today", "'today'"),
    ],
)
def test_a_mistyped_preset_is_a_validation_error_suggesting_the_closest_name(name: str, closest: str) -> None:
    with pytest.raises(ValidationError) as info:
        preset_days(name, NY, utc(2026, 1, 1))
    error = info.value
    assert isinstance(error, TenantTimeError) and isinstance(error, ValueError)
    assert error.status is None and error.title == f"unknown date preset {name!r}"
    assert list(error.errors) == ["preset"]
    assert error.errors["preset"][0].startswith(f"did you mean {closest}? valid presets: today, yesterday")


def test_a_preset_far_from_every_name_only_lists_the_valid_ones() -> None:
    with pytest.raises(TenantTimeError) as info:
        preset_days("fortnight", NY, utc(2026, 1, 1))
    assert "did you mean" not in str(info.value)
    assert "valid presets: today, yesterday, last_7_days, month_to_date, last_month" in str(info.value)


@pytest.mark.parametrize("tz", ["Mars/Olympus", "", "../etc/passwd"])
def test_unknown_zone_is_a_clear_error(tz: str) -> None:
    with pytest.raises(TenantTimeError, match="time zone"):
        preset("today", tz, utc(2026, 1, 1))
    with pytest.raises(ValueError, match="time zone"):
        TenantClock(tz)


@pytest.mark.parametrize("n", [0, -1, True, 2.5])
def test_last_n_days_rejects_non_positive_or_non_integers(n: object) -> None:
    with pytest.raises(ValueError, match="whole number of days"):
        last_n_days(n)  # type: ignore[arg-type]


def test_naive_now_is_rejected() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        preset("today", NY, datetime(2026, 1, 1, 12))
    with pytest.raises(ValueError, match="timezone-aware"):
        tenant_time.rfc3339(datetime(2026, 1, 1))


def test_bad_filter_field_is_rejected() -> None:
    with pytest.raises(ValueError, match="filter stem"):
        filters("today", NY, field="modified on", now=utc(2026, 1, 1))

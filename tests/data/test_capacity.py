"""The capacity query's client side: a range clamped to now and cut into windows of at most 14 days."""

from __future__ import annotations

import itertools
from datetime import UTC, date, datetime, timedelta

import pytest

from stnb._capacity import capacity_body, capacity_frame, capacity_moment, capacity_windows
from stnb.catalog.quirks import CAPACITY_MAX_DAYS
from stnb.errors import ValidationError

NOW = datetime(2026, 6, 15, 9, 30, tzinfo=UTC)


def test_a_long_range_is_cut_into_windows_of_at_most_14_days_without_gaps() -> None:
    end = NOW + timedelta(days=40)
    windows = capacity_windows(NOW, end, NOW)
    assert [w[1] - w[0] for w in windows] == [timedelta(days=14)] * 2 + [timedelta(days=12)]
    assert windows[0][0] == NOW and windows[-1][1] == end
    assert all(a[1] == b[0] for a, b in itertools.pairwise(windows))
    assert max(last - first for first, last in windows) <= timedelta(days=CAPACITY_MAX_DAYS)


def test_a_start_in_the_past_is_clamped_to_now() -> None:
    windows = capacity_windows(NOW - timedelta(days=30), NOW + timedelta(days=3), NOW)
    assert windows == [(NOW, NOW + timedelta(days=3))]  # not 14 days of the past, missing the future


def test_bad_ranges_are_refused_before_sending() -> None:
    with pytest.raises(ValidationError, match="ends before it starts"):
        capacity_windows(NOW, NOW - timedelta(days=1), NOW)
    with pytest.raises(ValidationError, match="start"):
        capacity_moment("next tuesday", "start")
    assert capacity_moment(date(2026, 6, 16), "end") == datetime(2026, 6, 16, tzinfo=UTC)


def test_the_body_and_the_frame() -> None:
    body = capacity_body(NOW, NOW + timedelta(days=1), business_unit_ids=[1001], job_type_id=7)
    assert body == {
        "startsOnOrAfter": "2026-06-15T09:30:00Z",
        "endsOnOrBefore": "2026-06-16T09:30:00Z",
        "skillBasedAvailability": False,
        "businessUnitIds": [1001],
        "jobTypeId": 7,
    }
    slot = {
        "start": "2026-06-15T08:00:00",
        "end": "2026-06-15T10:00:00",
        "startUtc": "2026-06-15T12:00:00Z",
        "endUtc": "2026-06-15T14:00:00Z",
        "businessUnitIds": [1001],
        "totalAvailability": 4.0,
        "openAvailability": 2.0,
        "technicians": [{"id": 1, "name": "A", "status": "Available", "hasRequiredSkills": None}],
        "isAvailable": True,
        "isExceedingIdealBookingPercentage": False,
    }
    later = {**slot, "startUtc": "2026-06-15T14:00:00Z", "endUtc": "2026-06-15T16:00:00Z"}
    frame = capacity_frame([{"availabilities": [later, slot]}, {"availabilities": [slot]}])
    assert frame.height == 2  # the frame at a window's boundary comes once
    assert frame["startUtc"].to_list() == [
        datetime(2026, 6, 15, 12, tzinfo=UTC),
        datetime(2026, 6, 15, 14, tzinfo=UTC),
    ]


def test_the_capacity_query_is_a_read_on_a_read_only_environment() -> None:
    """Production is read-only; the capacity POST only reads, so it is sent (and retried) like a GET."""
    import stnb
    from stnb.sandbox import Sandbox

    sandbox = Sandbox(seed=1)
    start = datetime.now(UTC) + timedelta(days=1)
    with stnb.connect("production", sandbox=sandbox, progress=False) as conn:
        frame = conn.capacity(start, start + timedelta(days=2))
    assert frame.height > 0

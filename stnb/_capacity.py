"""The dispatch capacity query (`POST /dispatch/v2/tenant/{tenant}/capacity`) as a frame, within the live
API's limits.

The live API answers at most 14 days per query (`stnb.catalog.quirks`, "capacity-window"), and a start
in the past spends the window on slots that are gone, missing current and future ones. So a range is
clamped to start no earlier than now and cut into windows of at most 14 days, asked one after another
(POST-as-read: retried like a GET), and the availabilities are joined, each time frame once.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date, datetime, timedelta
from typing import Any

import polars as pl

from stnb._frames import to_frame
from stnb._query import format_datetime, parse_rfc3339
from stnb.catalog import FieldType
from stnb.catalog.quirks import CAPACITY_MAX_DAYS
from stnb.errors import InvalidRequest

__all__ = [
    "CAPACITY_FIELDS",
    "CAPACITY_PATH",
    "capacity_body",
    "capacity_frame",
    "capacity_moment",
    "capacity_windows",
]

CAPACITY_PATH = "/dispatch/v2/tenant/{tenant}/capacity"
# From Dispatch.V2.CapacityResponseAvailability; `start`/`end` are tenant-local times with their offset,
# kept as sent (the same moments as `startUtc`/`endUtc`).
CAPACITY_FIELDS: Mapping[str, FieldType] = {
    "start": "string",
    "end": "string",
    "startUtc": "datetime",
    "endUtc": "datetime",
    "businessUnitIds": {"list": "int64"},
    "totalAvailability": "float64",
    "openAvailability": "float64",
    "technicians": {
        "list": {
            "struct": {
                "id": "int64",
                "name": "string",
                "status": {"enum": ["Available", "Unavailable"]},
                "hasRequiredSkills": "bool",
            }
        }
    },
    "isAvailable": "bool",
    "isExceedingIdealBookingPercentage": "bool",
}


def capacity_moment(value: str | date | datetime, name: str) -> datetime:
    """An aware UTC datetime from a date (midnight UTC), an aware datetime or RFC3339 text (no offset: UTC),
    as filters read them."""
    try:
        return parse_rfc3339(format_datetime(value))
    except ValueError as exc:
        raise InvalidRequest(
            f"{name}: {exc}", errors={name: ["expected a date or date-time"]}, status=None
        ) from None


def capacity_windows(
    start: datetime, end: datetime, now: datetime, max_days: int = CAPACITY_MAX_DAYS
) -> list[tuple[datetime, datetime]]:
    """[start, end] clamped to begin no earlier than `now`, cut into windows of at most `max_days`."""
    if start.tzinfo is None or end.tzinfo is None or now.tzinfo is None:
        raise ValueError("capacity windows need timezone-aware datetimes")
    if end <= start:
        raise InvalidRequest(
            "the capacity range ends before it starts",
            errors={"endsOnOrBefore": ["must be after startsOnOrAfter"]},
            status=None,
        )
    first = max(start, now)
    windows = []
    while first < end:
        last = min(end, first + timedelta(days=max_days))
        windows.append((first, last))
        first = last
    return windows


def capacity_body(
    start: datetime,
    end: datetime,
    *,
    business_unit_ids: Sequence[int] | None = None,
    job_type_id: int | None = None,
    skill_based_availability: bool = False,
) -> dict[str, Any]:
    """The JSON body of one capacity query."""
    body: dict[str, Any] = {
        "startsOnOrAfter": format_datetime(start),
        "endsOnOrBefore": format_datetime(end),
        "skillBasedAvailability": skill_based_availability,
    }
    if business_unit_ids is not None:
        body["businessUnitIds"] = [int(i) for i in business_unit_ids]
    if job_type_id is not None:
        body["jobTypeId"] = int(job_type_id)
    return body


def capacity_frame(answers: Sequence[Any]) -> pl.DataFrame:
    """The availabilities of every window's answer, one row per time frame and business units."""
    rows: list[dict[str, Any]] = []
    for answer in answers:
        found = answer.get("availabilities") if isinstance(answer, dict) else None
        rows.extend(r for r in (found or []) if isinstance(r, dict))
    frame = to_frame(rows, CAPACITY_FIELDS, resource="dispatch/capacity")
    if frame.height == 0:
        return frame
    keys = ["startUtc", "endUtc", "businessUnitIds"]
    return frame.unique(subset=keys, keep="first", maintain_order=True).sort("startUtc", "endUtc")

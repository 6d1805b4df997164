"""`POST /dispatch/v2/tenant/{tenant}/capacity`: availability per business unit and two-hour time frame.

Time frames run 08:00-18:00 tenant-local, every day of the requested range; a business unit's
technicians are its active technicians, and one is unavailable in a frame when an appointment assigned
to them overlaps it. With the "capacity-window" quirk (the live API's) a range longer than 14 days is
refused with 400; the documents state no limit, so with quirks off any range up to a year answers.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

import polars as pl

from stnb.catalog.quirks import CAPACITY_MAX_DAYS
from stnb.sandbox.messages import JSON_HEADERS, SandboxResponse, dumps
from stnb.sandbox.params import BadRequest, parse_datetime

if TYPE_CHECKING:
    from stnb.sandbox.quirks import Quirks
    from stnb.sandbox.world import World

__all__ = ["CAPACITY_TEMPLATE", "CapacityQuery", "capacity_answer", "capacity_query", "capacity_response"]

CAPACITY_TEMPLATE = "/dispatch/v2/tenant/{tenant}/capacity"
_FRAME_HOURS = 2
_DAY_START, _DAY_END = 8, 18
_MAX_DAYS_DOCUMENTED = 366  # no limit is documented; a year bounds the work


def _required(body: dict[str, Any], name: str) -> Any:
    if body.get(name) is None:
        raise BadRequest({name: [f"The {name[:1].upper() + name[1:]} field is required."]})
    return body[name]


def _parse(raw: bytes) -> dict[str, Any]:
    try:
        body = json.loads(raw or b"null")
    except (ValueError, UnicodeDecodeError):
        raise BadRequest({"body": ["The request body is not valid JSON."]}) from None
    if not isinstance(body, dict):
        raise BadRequest({"body": ["A JSON object with startsOnOrAfter and endsOnOrBefore is required."]})
    return body


@dataclass(frozen=True, slots=True)
class CapacityQuery:
    """A checked capacity request: the range, the business units asked for (None: all), skills flag."""

    start: datetime
    end: datetime
    units: list[int] | None
    skills: bool


def capacity_answer(world: World, raw: bytes, quirks: Quirks, now: datetime) -> SandboxResponse:
    """The capacity query's answer (400 for a bad body; BadRequest is raised for the core to render)."""
    query = capacity_query(raw, quirks)
    rows = _availabilities(world, query.start, query.end, query.units, query.skills)
    return capacity_response(rows, now)


def capacity_response(rows: list[dict[str, Any]], now: datetime) -> SandboxResponse:
    """The 200 answer holding `rows` (availabilities), stamped `now`."""
    answer = {"timeStamp": _z(now), "availabilities": rows}
    return SandboxResponse(200, dict(JSON_HEADERS), dumps(answer), records=len(rows))


def capacity_query(raw: bytes, quirks: Quirks) -> CapacityQuery:
    """The request body checked as the live API checks it (BadRequest otherwise; with the capacity-window
    quirk a range over 14 days is refused)."""
    body = _parse(raw)
    start = parse_datetime("startsOnOrAfter", str(_required(body, "startsOnOrAfter")))
    end = parse_datetime("endsOnOrBefore", str(_required(body, "endsOnOrBefore")))
    skills = _required(body, "skillBasedAvailability")
    if not isinstance(skills, bool):
        raise BadRequest({"skillBasedAvailability": ["The value is not a boolean."]})
    if end <= start:
        raise BadRequest({"endsOnOrBefore": ["EndsOnOrBefore must be after StartsOnOrAfter."]})
    limit = CAPACITY_MAX_DAYS if quirks.on("capacity-window") else _MAX_DAYS_DOCUMENTED
    if end - start > timedelta(days=limit):
        raise BadRequest({"endsOnOrBefore": [f"The time frame must not be longer than {limit} days."]})
    units = body.get("businessUnitIds")
    if units is not None and not (isinstance(units, list) and all(isinstance(u, int) for u in units)):
        raise BadRequest({"businessUnitIds": ["Expected a list of integers."]})
    return CapacityQuery(start, end, units, skills)


def _z(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _frames(start: datetime, end: datetime, zone: ZoneInfo) -> list[tuple[datetime, datetime]]:
    """Two-hour frames within working hours, tenant-local, that lie inside [start, end]."""
    frames = []
    day = start.astimezone(zone).date()
    last_day = end.astimezone(zone).date()
    while day <= last_day:
        for hour in range(_DAY_START, _DAY_END, _FRAME_HOURS):
            first = datetime.combine(day, time(hour), zone)
            last = first + timedelta(hours=_FRAME_HOURS)
            if first >= start and last <= end:
                frames.append((first, last))
        day += timedelta(days=1)
    return frames


def _availabilities(
    world: World, start: datetime, end: datetime, units: list[int] | None, skills: bool
) -> list[dict[str, Any]]:
    zone = ZoneInfo(world.timezone)
    frames = _frames(start, end, zone)
    technicians = world.technicians().filter(pl.col("active"))
    chosen = sorted(set(technicians["businessUnitId"].drop_nulls().to_list()))
    if units is not None:
        chosen = [u for u in chosen if u in set(units)]
    busy = _busy(world, start, end)
    rows = []
    for first, last in frames:
        taken = {tech for tech, b_start, b_end in busy if b_start < last and b_end > first}
        for unit in chosen:
            crew = technicians.filter(pl.col("businessUnitId") == unit).sort("id")
            techs = [
                {
                    "id": int(tech_id),
                    "name": str(name),
                    "status": "Unavailable" if tech_id in taken else "Available",
                    "hasRequiredSkills": True if skills else None,
                }
                for tech_id, name in crew.select("id", "name").iter_rows()
            ]
            total = float(len(techs) * _FRAME_HOURS)
            open_hours = float(sum(t["status"] == "Available" for t in techs) * _FRAME_HOURS)
            rows.append(
                {
                    "start": first.isoformat(),
                    "end": last.isoformat(),
                    "startUtc": _z(first),
                    "endUtc": _z(last),
                    "businessUnitIds": [unit],
                    "totalAvailability": total,
                    "openAvailability": open_hours,
                    "technicians": techs,
                    "isAvailable": open_hours > 0,
                    "isExceedingIdealBookingPercentage": total > 0 and open_hours / total < 0.2,
                }
            )
    return rows


def _busy(world: World, start: datetime, end: datetime) -> list[tuple[int, datetime, datetime]]:
    """(technician id, start, end) of the appointments assigned to a technician that overlap the range."""
    appointments = world.appointments().filter((pl.col("start") < end) & (pl.col("end") > start))
    if appointments.height == 0:
        return []
    assigned = (
        world.appointment_assignments().filter(pl.col("active")).select("technicianId", "appointmentId")
    )
    joined = assigned.join(
        appointments.select(pl.col("id").alias("appointmentId"), "start", "end"), on="appointmentId"
    )
    return [(int(t), s, e) for t, s, e in joined.select("technicianId", "start", "end").iter_rows()]

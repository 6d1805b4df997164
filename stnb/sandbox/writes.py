"""The writes the sandbox supports; they persist in the sandbox instance (per environment and tenant).

- `POST /crm/v2/tenant/{t}/customers`: body {name, address, locations[{name, address}], type?, doNotMail?,
  doNotService?, tagTypeIds?} as the real CreateCustomerRequest (all three of name, address and
  locations are required); answers the created customer with its `locations` and `contacts`.
- `POST /jpm/v2/tenant/{t}/jobs/{id}/notes`: body {text, pinToTop?}; answers the note.
- `PATCH /jpm/v2/tenant/{t}/jobs/{id}`: any of summary, priority, customerPo, businessUnitId, jobTypeId,
  campaignId, soldById, tagTypeIds; answers the updated job.

Every write stamps modifiedOn later than any existing record of the table, so export feeds deliver it
on the next call from an older checkpoint.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

import polars as pl

from stnb.sandbox.gen_base import ID_STRIDE
from stnb.sandbox.messages import JSON_HEADERS, SandboxRequest, SandboxResponse, problem
from stnb.sandbox.params import BadRequest
from stnb.sandbox.routes import Match
from stnb.sandbox.shapes import render_json
from stnb.sandbox.world import append_rows

if TYPE_CHECKING:
    from stnb.sandbox.endpoints import Endpoints
    from stnb.sandbox.world import World

__all__ = ["answer"]

_ADDRESS_REQUIRED = ("street", "city", "state", "zip", "country")
_JOB_REFERENCES = {
    "businessUnitId": "business_units",
    "jobTypeId": "job_types",
    "campaignId": "campaigns",
    "soldById": "technicians",
}


def answer(
    endpoints: Endpoints, world: World, match: Match, request: SandboxRequest, trace: str
) -> SandboxResponse:
    content_type = (request.header("content-type") or "").split(";")[0].strip().lower()
    if (
        content_type
        and content_type not in ("application/json", "text/json")
        and not content_type.endswith("+json")
    ):
        return problem(415, "Unsupported Media Type", trace, {"body": ["Send the body as application/json."]})
    body = _parse_body(request.body)
    with world.write_lock:
        return _write(endpoints, world, match, body, trace)


def _write(endpoints: Endpoints, world: World, match: Match, body: Any, trace: str) -> SandboxResponse:
    kind = match.route.kind
    now = endpoints.sandbox.clock.utcnow()
    if kind == "create_customer":
        return _create_customer(endpoints, world, body, now)
    job_id = _path_id(match)
    jobs = world.base("jobs")
    if job_id is None or jobs.filter(pl.col("id") == job_id).height == 0:
        return problem(404, "Job not found", trace, {"id": [f"No job has id {match.path_params.get('id')}."]})
    if kind == "add_job_note":
        return _add_job_note(world, job_id, body, now)
    return _update_job(endpoints, world, job_id, body, now)


def _parse_body(raw: bytes) -> Any:
    if not raw.strip():
        raise BadRequest({"body": ["A non-empty request body is required."]})
    try:
        return json.loads(raw)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        position = getattr(exc, "pos", 0)
        raise BadRequest(
            {"$": [f"The JSON value could not be converted: invalid JSON at position {position}."]}
        ) from None


def _path_id(match: Match) -> int | None:
    raw = match.path_params.get("id", "")
    return int(raw) if raw.isdigit() else None


def _ok(body: bytes) -> SandboxResponse:
    return SandboxResponse(200, dict(JSON_HEADERS), body)


def _write_time(now: datetime, world: World, frames: list[pl.DataFrame]) -> datetime:
    """`now` in whole seconds (never before the world's anchor), later than every modifiedOn in `frames`."""
    moment = max(now.astimezone(UTC), world.anchor).replace(microsecond=0)
    for frame in frames:
        if "modifiedOn" not in frame.columns or frame.height == 0:
            continue
        latest = frame["modifiedOn"].max()
        if isinstance(latest, datetime) and latest >= moment:
            moment = latest.replace(microsecond=0) + timedelta(seconds=1)
    return moment


def _require_object(body: Any, name: str = "$") -> Mapping[str, Any]:
    if not isinstance(body, dict):
        raise BadRequest({name: ["A JSON object is expected."]})
    return body


def _string(
    body: Mapping[str, Any], name: str, errors: dict[str, list[str]], required: bool = False
) -> str | None:
    value = body.get(name)
    if value is None:
        if required:
            errors.setdefault(name, []).append(f"The {name} field is required.")
        return None
    if not isinstance(value, str) or (required and not value.strip()):
        errors.setdefault(name, []).append(f"The {name} field must be a non-empty string.")
        return None
    return value


def _address(value: Any, name: str, errors: dict[str, list[str]]) -> dict[str, Any] | None:
    if not isinstance(value, dict):
        errors.setdefault(name, []).append(f"The {name} field is required and must be an object.")
        return None
    out: dict[str, Any] = {}
    for part in _ADDRESS_REQUIRED:
        text = value.get(part)
        if not isinstance(text, str) or not text.strip():
            errors.setdefault(f"{name}.{part}", []).append(f"The {part} field is required.")
        out[part] = text if isinstance(text, str) else None
    unit = value.get("unit")
    out["unit"] = unit if isinstance(unit, str) else None
    for coord in ("latitude", "longitude"):
        number = value.get(coord)
        if number is not None and not isinstance(number, (int, float)):
            errors.setdefault(f"{name}.{coord}", []).append(f"The {coord} field must be a number.")
        out[coord] = (
            float(number) if isinstance(number, (int, float)) and not isinstance(number, bool) else None
        )
    return {k: out[k] for k in ("street", "unit", "city", "state", "zip", "country", "latitude", "longitude")}


def _create_customer(endpoints: Endpoints, world: World, raw: Any, now: datetime) -> SandboxResponse:
    body = _require_object(raw)
    errors: dict[str, list[str]] = {}
    name = _string(body, "name", errors, required=True)
    address = _address(body.get("address"), "address", errors)
    kind = body.get("type", "Residential")
    allowed_types = ["Residential", "Commercial"] + (["Multifamily"] if world.env == "production" else [])
    if kind not in allowed_types:
        errors.setdefault("type", []).append(f"The type must be one of: {', '.join(allowed_types)}.")
    locations_raw = body.get("locations")
    if not isinstance(locations_raw, list) or not locations_raw:
        errors.setdefault("locations", []).append("At least one location is required.")
        locations_raw = []
    new_locations = []
    for n, item in enumerate(locations_raw):
        if not isinstance(item, dict):
            errors.setdefault(f"locations[{n}]", []).append("A JSON object is expected.")
            continue
        loc_name = _string(item, "name", errors, required=True)
        loc_address = _address(item.get("address"), f"locations[{n}].address", errors)
        new_locations.append((loc_name, loc_address))
    flags = {}
    for flag in ("doNotMail", "doNotService"):
        value = body.get(flag, False)
        if not isinstance(value, bool):
            errors.setdefault(flag, []).append(f"The {flag} field must be true or false.")
        flags[flag] = bool(value)
    tags = _int_list(body.get("tagTypeIds", []), "tagTypeIds", errors)
    if errors:
        raise BadRequest(errors)
    customers, locations = world.base("customers"), world.base("locations")
    when = _write_time(now, world, [customers, locations])
    customer_id = _max_id(customers) + ID_STRIDE
    customer = {
        "id": customer_id,
        "active": True,
        "name": name,
        "type": kind,
        "address": address,
        "customFields": [],
        "balance": 0.0,
        "tagTypeIds": tags,
        "doNotMail": flags["doNotMail"],
        "doNotService": flags["doNotService"],
        "createdOn": when,
        "createdById": world.history.staff_ids("CSR")[0],
        "modifiedOn": when,
        "mergedToId": None,
        "externalData": [],
    }
    if world.env == "production":
        customer["nationalAccount"] = False
    next_location = _max_id(locations) + ID_STRIDE
    location_rows = []
    for n, (loc_name, loc_address) in enumerate(new_locations):
        location_rows.append(
            {
                "id": next_location + n * ID_STRIDE,
                "customerId": customer_id,
                "active": True,
                "name": loc_name,
                "address": loc_address,
                "customFields": [],
                "createdOn": when,
                "createdById": customer["createdById"],
                "modifiedOn": when,
                "mergedToId": None,
                "zoneId": None,
                "tagTypeIds": [],
                "externalData": [],
                "taxZoneId": None,
            }
        )
    world.replace("customers", _append(customers, [customer]))
    world.replace("locations", _append(locations, location_rows))
    customer_json = _record_json(endpoints, world, "crm/customers", customer_id)
    location_json = [_record_json(endpoints, world, "crm/locations", row["id"]) for row in location_rows]
    body_out = customer_json[:-1] + b',"locations":[' + b",".join(location_json) + b'],"contacts":[]}'
    return _ok(body_out)


def _add_job_note(world: World, job_id: int, raw: Any, now: datetime) -> SandboxResponse:
    body = _require_object(raw)
    errors: dict[str, list[str]] = {}
    text = _string(body, "text", errors, required=True)
    pin = body.get("pinToTop")
    if pin is not None and not isinstance(pin, bool):
        errors.setdefault("pinToTop", []).append("The pinToTop field must be true or false.")
    if errors:
        raise BadRequest(errors)
    notes, jobs = world.base("job_notes"), world.base("jobs")
    when = _write_time(now, world, [notes, jobs])
    author = world.history.staff_ids("CSR")[0]
    note = {
        "id": _max_id(notes) + ID_STRIDE,
        "jobId": job_id,
        "text": text,
        "isPinned": bool(pin),
        "createdById": author,
        "createdOn": when,
        "modifiedOn": when,
        "active": True,
    }
    world.replace("job_notes", _append(notes, [note]))
    world.replace("jobs", _set(jobs, job_id, {"modifiedOn": when}))
    out = {k: note[k] for k in ("text", "isPinned", "createdById")}
    out.update(createdOn=when.strftime("%Y-%m-%dT%H:%M:%SZ"), modifiedOn=when.strftime("%Y-%m-%dT%H:%M:%SZ"))
    return _ok(json.dumps(out, separators=(",", ":")).encode())


def _int_list(value: Any, name: str, errors: dict[str, list[str]]) -> list[int]:
    if not isinstance(value, list) or not all(isinstance(v, int) and not isinstance(v, bool) for v in value):
        errors.setdefault(name, []).append(f"The {name} field must be a list of integers.")
        return []
    return list(value)


def _update_job(endpoints: Endpoints, world: World, job_id: int, raw: Any, now: datetime) -> SandboxResponse:
    body = _require_object(raw)
    errors: dict[str, list[str]] = {}
    changes: dict[str, Any] = {}
    for name in ("summary", "priority", "customerPo"):
        if name in body:
            value = _string(body, name, errors, required=name == "priority")
            if value is not None:
                changes[name] = value
    allowed_priorities = ["Low", "Normal", "High", "Urgent"] + (
        ["Emergency"] if world.env == "production" else []
    )
    if "priority" in changes and changes["priority"] not in allowed_priorities:
        errors.setdefault("priority", []).append(
            f"The priority must be one of: {', '.join(allowed_priorities)}."
        )
    for name, table in _JOB_REFERENCES.items():
        if name not in body:
            continue
        value = body[name]
        if value is None and name == "soldById":
            changes[name] = None
        elif not isinstance(value, int) or isinstance(value, bool):
            errors.setdefault(name, []).append(f"The value '{value}' is not valid for {name}.")
        elif world.base(table).filter(pl.col("id") == value).height == 0:
            errors.setdefault(name, []).append(f"No record with id {value} exists for {name}.")
        else:
            changes[name] = value
    if "tagTypeIds" in body:
        changes["tagTypeIds"] = _int_list(body["tagTypeIds"], "tagTypeIds", errors)
    if errors:
        raise BadRequest(errors)
    jobs = world.base("jobs")
    changes["modifiedOn"] = _write_time(now, world, [jobs])
    world.replace("jobs", _set(jobs, job_id, changes))
    return _ok(_record_json(endpoints, world, "jpm/jobs", job_id))


def _max_id(frame: pl.DataFrame) -> int:
    value = frame["id"].max() if frame.height else 0
    return value if isinstance(value, int) else 0


def _append(frame: pl.DataFrame, rows: list[dict[str, Any]]) -> pl.DataFrame:
    return append_rows(frame, rows) if rows else frame


def _set(frame: pl.DataFrame, row_id: int, changes: Mapping[str, Any]) -> pl.DataFrame:
    target = pl.col("id") == row_id
    exprs = []
    for name, value in changes.items():
        dtype = frame.schema[name]
        exprs.append(pl.when(target).then(pl.lit(value, dtype=dtype)).otherwise(pl.col(name)).alias(name))
    return frame.with_columns(exprs)


def _record_json(endpoints: Endpoints, world: World, key: str, record_id: int) -> bytes:
    resource = endpoints.catalog.resolve(key)
    kind = "get" if resource.get is not None else "list"
    frame = world.resource_frame(resource, kind)
    row = frame.filter(pl.col("id") == record_id)
    return render_json(row, endpoints.columns(world, resource, kind, frame))[1:-1]

"""What a snapshot records besides lists and exports: sub-lists under a parent id, the Reporting API and
capacity, each bounded, scrubbed with the same rules (format: `stnb.sandbox.recorded`).

- Sub-lists (`crm/customers/{id}/contacts`): listed under at most `max_parents` parents, taken from the
  recorded sample of the parent resource (so they resolve), else from one page of the parent's list;
  at most `max_records` records per sub-list. Sub-lists under two or more parent ids are not recorded.
- Reporting: the categories, each category's reports, the descriptions of the first `max_reports`
  reports, the value sets their parameters name, and one data run of each (one page of at most
  `max_records` rows; the run limit allows one run per report a minute) with `From` = 30 days ago and `To`
  = today in the tenant's zone and, for other required parameters, today (dates), the first allowed value
  or false; a
  report needing a value stnb cannot choose is described but has no data. Cells are scrubbed by their
  field's name (the scrub rules, then names ending in Name, Email, Phone, Address or Street), and
  e-mails and phone numbers wherever they are.
- Capacity: one query of `CAPACITY_DAYS` days from today's tenant-local midnight (within the live API's
  14-day window); technicians' names are scrubbed.
Report data and capacity are POSTs that only read: allowed on a read-only environment. A report "still
running" (409) is asked again after a wait on the connection's clock (`stnb._snapshot.record`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from stnb._snapshot.scrub import Scrubber
from stnb.catalog import Catalog, Resource
from stnb.errors import StnbError

__all__ = [
    "CAPACITY_DAYS",
    "DEFAULT_MAX_PARENTS",
    "DEFAULT_MAX_REPORTS",
    "parent_of",
    "record_capacity",
    "record_reporting",
    "report_cell_kind",
    "report_parameters",
]

DEFAULT_MAX_PARENTS = 10
DEFAULT_MAX_REPORTS = 10
CAPACITY_DAYS = 7
REPORT_DAYS = 30
_MAX_LIST_PAGES = 20
_LIST_PAGE_SIZE = 100
_MAX_REPORT_PAGE = 5000
_REPORTING = "reporting/v2/tenant/{tenant}"
_CAPACITY = "dispatch/v2/tenant/{tenant}/capacity"
_SUFFIX_KINDS = (
    ("name", "person"),
    ("email", "email"),
    ("phone", "phone"),
    ("phonenumber", "phone"),
    ("address", "street"),
    ("street", "street"),
)

Get = Callable[[str, Mapping[str, Any], Mapping[str, Any] | None], Any]
Post = Callable[[str, Any, Mapping[str, Any], Mapping[str, Any] | None], Any]


def parent_of(catalog: Catalog, resource: Resource) -> Resource | None:
    """The resource a single-parent sub-list hangs under (`crm/customers` for
    `crm/customers/{id}/contacts`), or None when it has none stnb can list."""
    endpoint = resource.list
    if endpoint is None or len(endpoint.parent_params) != 1:
        return None
    inner = resource.key.rsplit("/{id}", 1)[0]
    literal = f"{resource.module}/{inner.rsplit('/', 1)[-1]}"
    for key in dict.fromkeys((inner, literal)):
        try:
            parent = catalog.resolve(key)
        except LookupError:
            continue
        if parent.key != resource.key and parent.list is not None and not parent.list.parent_params:
            return parent
    return None


# --- the Reporting API ----------------------------------------------------------------------------------


def _pages(get: Get, path: str, path_params: Mapping[str, Any] | None = None) -> list[Any]:
    rows: list[Any] = []
    for page in range(1, _MAX_LIST_PAGES + 1):
        body = get(path, {"page": page, "pageSize": _LIST_PAGE_SIZE}, path_params)
        rows.extend(body.get("data") or [] if isinstance(body, dict) else [])
        if not isinstance(body, dict) or not body.get("hasMore"):
            break
    return rows


def report_parameters(
    description: Mapping[str, Any], timezone: str, now: datetime
) -> list[dict[str, Any]] | str:
    """The parameters of the one run a recording makes, or why it cannot choose them."""
    today = now.astimezone(ZoneInfo(timezone)).date()
    chosen: list[dict[str, Any]] = []
    for p in description.get("parameters") or []:
        name = str(p.get("name"))
        if name.lower() == "from":
            chosen.append({"name": name, "value": (today - timedelta(days=REPORT_DAYS)).isoformat()})
            continue
        if name.lower() == "to":
            chosen.append({"name": name, "value": today.isoformat()})
            continue
        if not p.get("isRequired"):
            continue
        values = (p.get("acceptValues") or {}).get("values")
        if isinstance(values, list) and values and isinstance(values[0], list):
            value: Any = values[0][0]
            chosen.append({"name": name, "value": [value] if p.get("isArray") else value})
        elif p.get("dataType") == "Date":
            chosen.append({"name": name, "value": today.isoformat()})  # AsOf and the like
        elif p.get("dataType") == "Boolean":
            chosen.append({"name": name, "value": False})
        else:
            return f"needs a value for its required parameter {name}"
    return chosen


def record_reporting(
    get: Get,
    post: Post,
    scrubber: Scrubber,
    *,
    timezone: str,
    now: datetime,
    max_reports: int,
    max_records: int,
    not_recorded: list[dict[str, str]],
) -> dict[str, Any]:
    """The Reporting API's categories, reports, descriptions, value sets and one data run per report."""
    categories = _pages(get, f"{_REPORTING}/report-categories")
    reports: dict[str, list[Any]] = {}
    for category in categories:
        cid = str(category.get("id")) if isinstance(category, dict) else ""
        if cid:
            reports[cid] = _pages(
                get, f"{_REPORTING}/report-category/{{report_category}}/reports", {"report_category": cid}
            )
    descriptions: dict[str, Any] = {}
    runs: list[dict[str, Any]] = []
    value_sets: dict[str, Any] = {}
    picked = [(cid, r) for cid, listed in reports.items() for r in listed if isinstance(r, dict)]
    for cid, summary in picked[:max_reports]:
        ids = {"report_category": cid, "reportId": summary.get("id")}
        described = get(f"{_REPORTING}/report-category/{{report_category}}/reports/{{reportId}}", {}, ids)
        if not isinstance(described, dict):
            continue
        descriptions[f"{cid}/{summary.get('id')}"] = described
        for p in described.get("parameters") or []:
            set_id = (p.get("acceptValues") or {}).get("dynamicSetId")
            if set_id and set_id not in value_sets:
                value_sets[set_id] = _value_set(get, str(set_id), scrubber)
        params = report_parameters(described, timezone, now)
        what = f"reporting {cid}/{summary.get('id')} data"
        if isinstance(params, str):
            not_recorded.append({"what": what, "reason": params})
            continue
        page_size = min(max_records, _MAX_REPORT_PAGE)
        try:
            body = post(
                f"{_REPORTING}/report-category/{{report_category}}/reports/{{reportId}}/data",
                {"parameters": params},
                {"pageSize": page_size, "includeTotal": "true"},
                ids,
            )
        except StnbError as exc:
            not_recorded.append({"what": what, "reason": f"the run failed: {exc}"})
            continue
        fields = [f for f in body.get("fields") or [] if isinstance(f, dict)]
        rows = _scrub_rows(scrubber, fields, body.get("data") or [], f"reporting.{cid}.{summary.get('id')}")
        runs.append(
            {
                "category": cid,
                "report": summary.get("id"),
                "parameters": params,
                "fields": fields,
                "rows": rows,
                "complete": not body.get("hasMore"),
            }
        )
    for cid, summary in picked[max_reports:]:
        not_recorded.append(
            {"what": f"reporting {cid}/{summary.get('id')}", "reason": f"beyond max_reports ({max_reports})"}
        )
    return {
        "categories": categories,
        "reports": reports,
        "descriptions": descriptions,
        "runs": runs,
        "value_sets": value_sets,
    }


def _value_set(get: Get, set_id: str, scrubber: Scrubber) -> dict[str, Any]:
    rows: list[Any] = []
    fields: list[Any] = []
    for page in range(1, _MAX_LIST_PAGES + 1):
        body = get(
            f"{_REPORTING}/dynamic-value-sets/{{dynamicSetId}}",
            {"page": page, "pageSize": 500},
            {"dynamicSetId": set_id},
        )
        if not isinstance(body, dict):
            break
        fields = [f for f in body.get("fields") or [] if isinstance(f, dict)]
        rows.extend(body.get("data") or [])
        if not body.get("hasMore"):
            break
    return {"fields": fields, "rows": _scrub_rows(scrubber, fields, rows, f"reporting.value-sets.{set_id}")}


def report_cell_kind(scrubber: Scrubber, name: str) -> str | None:
    """The fake a report column's cells get: by the scrub rules, else by the name's ending (`...Name`,
    `...Email`, `...Phone`, `...Address`, `...Street`; never `...Id`), else None (kept)."""
    kind = scrubber.kind_of(name)
    if kind is not None:
        return kind
    lowered = name.lower()
    if lowered.endswith("id") or lowered.endswith("ids"):
        return None
    for suffix, suffix_kind in _SUFFIX_KINDS:
        if lowered.endswith(suffix):
            return suffix_kind
    return None


def _scrub_rows(scrubber: Scrubber, fields: list[Any], rows: list[Any], where: str) -> list[Any]:
    kinds = [report_cell_kind(scrubber, str(f.get("name", ""))) for f in fields]
    out = []
    for row in rows:
        if not isinstance(row, list):
            continue
        out.append(
            [
                scrubber.scrub_value(value, kinds[i] if i < len(kinds) else None, f"{where}.{i}")
                for i, value in enumerate(row)
            ]
        )
    return out


# --- capacity -------------------------------------------------------------------------------------------


def record_capacity(post: Post, scrubber: Scrubber, *, timezone: str, now: datetime) -> dict[str, Any]:
    """One capacity answer over `CAPACITY_DAYS` days from today's tenant-local midnight."""
    zone = ZoneInfo(timezone)
    midnight = datetime.combine(now.astimezone(zone).date(), datetime.min.time(), zone)
    request = {
        "startsOnOrAfter": _z(midnight),
        "endsOnOrBefore": _z(midnight + timedelta(days=CAPACITY_DAYS)),
        "skillBasedAvailability": False,
    }
    body = post(_CAPACITY, request, {}, None)
    rows = [
        r for r in (body.get("availabilities") or [] if isinstance(body, dict) else []) if isinstance(r, dict)
    ]
    scrubber.scrub(rows)  # technicians[].name and the like, by the rules
    return {"request": request, "availabilities": rows}


def _z(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")

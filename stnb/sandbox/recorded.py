"""A snapshot's Reporting API and capacity: answered from what `stnb sandbox record` saw, with the
built-in sandbox's semantics (paging, the run limit, 429 and the still-running 409, the capacity window).

`reporting.json` (see `stnb.sandbox.snapshot` for the folder):

    {"categories": [{"id": "accounting", "name": "Accounting"}, ...],
     "reports": {"accounting": [{"id": 1, "name": "Revenue", "description": "..."}, ...]},
     "descriptions": {"accounting/1": {...the report's description, as the API sent it...}},
     "runs": [{"category": "accounting", "report": 1,
               "parameters": [{"name": "From", "value": "2026-11-06"}, ...],
               "fields": [{"name": "Name", "label": "Name"}, ...], "rows": [[...], ...], "complete": true}],
     "value_sets": {"business-units": {"fields": [...], "rows": [[1, "..."], ...]}}}

A data run is answered from the recorded run of that report whose parameters are the same (compared after
parsing, so `2026-11-06` and `2026-11-06T00:00:00` are one date, and names ignore case); other parameters
answer 422 naming the recorded ones. A run recorded incomplete (`"complete": false`: the report had more
rows than the recording kept) answers the recorded rows only, paged as usual. Reports, categories or
value sets never recorded answer 404 saying so. `capacity.json`: `{"request": {...the body sent...},
"availabilities": [...]}`; a capacity query is checked as the built-in sandbox checks it, then answered
with the recorded two-hour frames that lie inside the asked range (for the asked business units): none
outside the recorded range.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import datetime
from typing import Any

import polars as pl

from stnb.sandbox.capacity import capacity_query, capacity_response
from stnb.sandbox.messages import SandboxRequest, SandboxResponse, json_response, problem
from stnb.sandbox.params import BadRequest, parse_datetime
from stnb.sandbox.quirks import Quirks
from stnb.sandbox.reports import ReportingService
from stnb.sandbox.reports.model import Field, Param, Report
from stnb.sandbox.reports.requests import list_page, parse_parameters
from stnb.sandbox.reports.service import DEFAULT_LIST_PAGE_SIZE

__all__ = ["RecordedCapacity", "RecordedReporting", "report_from_description"]

_NOT_RECORDED_TITLE = "This snapshot holds no data of this report for these parameters."


class _NotRecorded(Exception):
    def __init__(self, report: Report, recorded: list[str]) -> None:
        super().__init__(_NOT_RECORDED_TITLE)
        self.report = report
        self.recorded = recorded


def report_from_description(category: str, description: Mapping[str, Any]) -> Report:
    """A report definition (parameters and fields) from its description as the API sends it."""
    params = []
    for p in description.get("parameters") or []:
        accept = p.get("acceptValues") or {}
        values = accept.get("values")
        params.append(
            Param(
                str(p.get("name")),
                str(p.get("label") or p.get("name")),
                str(p.get("dataType") or "String"),
                required=bool(p.get("isRequired")),
                is_array=bool(p.get("isArray")),
                dynamic_set=accept.get("dynamicSetId"),
                values=tuple((v[0], str(v[1])) for v in values) if isinstance(values, list) else None,
            )
        )
    fields = tuple(
        Field(str(f.get("name")), str(f.get("label") or f.get("name")), str(f.get("dataType") or "String"))
        for f in description.get("fields") or []
    )
    return Report(
        category=category,
        id=int(description.get("id", 0)),
        name=str(description.get("name", "")),
        description=str(description.get("description") or ""),
        parameters=tuple(params),
        fields=fields,
        compute=_no_compute,
        modified_on=str(description.get("modifiedOn") or ""),
    )


def _no_compute(source: Any, params: Mapping[str, Any]) -> pl.DataFrame:
    raise LookupError("a recorded report is not computed")


def _key(params: Mapping[str, Any]) -> str:
    return json.dumps(params, default=str, sort_keys=True)


class RecordedReporting(ReportingService):
    """The Reporting API of a snapshot (one per environment and tenant; the recorded data is shared)."""

    def __init__(self, world: Any, data: Mapping[str, Any], **options: Any) -> None:
        super().__init__(world, **options)
        self._data = data
        self._reports: dict[tuple[str, int], Report] = {}
        for name, description in (data.get("descriptions") or {}).items():
            category, _, raw_id = str(name).rpartition("/")
            if raw_id.isdigit():
                self._reports[(category, int(raw_id))] = report_from_description(category, description)
        self._runs: dict[tuple[str, int], dict[str, pl.DataFrame]] = {}
        self._shown: dict[tuple[str, int], list[str]] = {}
        for run in data.get("runs") or []:
            key = (str(run.get("category")), int(run.get("report", 0)))
            report = self._reports.get(key)
            if report is None:
                continue
            body = json.dumps({"parameters": run.get("parameters") or []}).encode()
            params = parse_parameters(report, body)
            self._runs.setdefault(key, {})[_key(params)] = _rows_frame(report, run.get("rows") or [])
            shown = ", ".join(f"{p['name']}={p.get('value')}" for p in run.get("parameters") or [])
            self._shown.setdefault(key, []).append(shown or "no parameters")

    def handle(self, req: SandboxRequest, env_name: str, tenant_id: int, tail: str) -> SandboxResponse | None:
        try:
            return super().handle(req, env_name, tenant_id, tail)
        except _NotRecorded as exc:
            report = exc.report
            recorded = exc.recorded or ["none: no data of this report was recorded"]
            return problem(
                422,
                _NOT_RECORDED_TITLE,
                self._trace(),
                {
                    "parameters": [
                        f"Report {report.id} ({report.name}) was recorded offline with: "
                        + "; ".join(recorded)
                    ]
                },
            )

    def _route(
        self, req: SandboxRequest, method: str, parts: list[str], env: str, tenant: int
    ) -> SandboxResponse | None:
        if parts == ["report-categories"] and method == "GET":
            return json_response(
                200, list_page(list(self._data.get("categories") or []), req, DEFAULT_LIST_PAGE_SIZE)
            )
        if len(parts) == 2 and parts[0] == "dynamic-value-sets" and method == "GET":
            found = (self._data.get("value_sets") or {}).get(parts[1])
            if found is None:
                return self._not_found(f"Dynamic value set '{parts[1]}' was not recorded in this snapshot")
            body = list_page(list(found.get("rows") or []), req, DEFAULT_LIST_PAGE_SIZE)
            body["fields"] = found.get("fields") or []
            return json_response(200, body)
        if len(parts) >= 3 and parts[0] == "report-category" and parts[2] == "reports":
            return self._recorded_category(req, method, parts[1], parts[3:], env, tenant)
        return super()._route(req, method, parts, env, tenant)  # data-queries/{token}

    def _recorded_category(
        self, req: SandboxRequest, method: str, category: str, rest: list[str], env: str, tenant: int
    ) -> SandboxResponse | None:
        listed = (self._data.get("reports") or {}).get(category)
        if listed is None:
            return self._not_found(f"Report category '{category}' not found (not recorded in this snapshot)")
        if not rest:
            return (
                json_response(200, list_page(list(listed), req, DEFAULT_LIST_PAGE_SIZE))
                if method == "GET"
                else None
            )
        report = self._reports.get((category, int(rest[0]))) if rest[0].isdigit() else None
        if report is None:
            return self._not_found(
                f"Report '{rest[0]}' of category '{category}' was not recorded in this snapshot"
            )
        if rest[1:] == [] and method == "GET":
            return json_response(200, self._data["descriptions"][f"{category}/{report.id}"])
        if rest[1:] == ["data"] and method == "POST":
            return self._run(req, report, env, tenant, query=False)
        if rest[1:] == ["data", "query"] and method == "POST":
            return self._run(req, report, env, tenant, query=True)
        return None

    def _run(
        self, req: SandboxRequest, report: Report, env: str, tenant: int, *, query: bool
    ) -> SandboxResponse:
        self._result(report, parse_parameters(report, req.body))  # parameters never recorded: 422 first
        return super()._run(req, report, env, tenant, query=query)

    def _result(self, report: Report, params: Mapping[str, Any]) -> pl.DataFrame:
        key = (report.category, report.id)
        found = self._runs.get(key, {}).get(_key(params))
        if found is None:
            raise _NotRecorded(report, self._shown.get(key, []))
        return found


def _rows_frame(report: Report, rows: list[Any]) -> pl.DataFrame:
    """Recorded value rows as a frame whose columns are the report's fields (values kept as sent)."""
    names = [f.name for f in report.fields]
    columns = []
    for index, name in enumerate(names):
        values = [row[index] if isinstance(row, list) and index < len(row) else None for row in rows]
        try:
            columns.append(pl.Series(name, values, strict=False))
        except (TypeError, ValueError, pl.exceptions.PolarsError):
            columns.append(pl.Series(name, [None if v is None else json.dumps(v) for v in values]))
    return pl.DataFrame(columns) if columns else pl.DataFrame()


class RecordedCapacity:
    """Capacity answered from one recorded answer (its two-hour frames and technicians)."""

    def __init__(self, data: Mapping[str, Any]) -> None:
        self.request = dict(data.get("request") or {})
        self.rows = [r for r in data.get("availabilities") or [] if isinstance(r, dict)]

    def answer(self, raw: bytes, quirks: Quirks, now: datetime) -> SandboxResponse:
        query = capacity_query(raw, quirks)  # BadRequest as the built-in sandbox
        chosen = []
        for row in self.rows:
            try:
                first = parse_datetime("startUtc", str(row.get("startUtc")))
                last = parse_datetime("endUtc", str(row.get("endUtc")))
            except (BadRequest, ValueError):
                continue
            if first < query.start or last > query.end:
                continue
            units = row.get("businessUnitIds") or []
            if query.units is not None and not set(units) & set(query.units):
                continue
            chosen.append(row)
        return capacity_response(chosen, now)

"""Everything behind authentication: per-tenant worlds, routing, and the list/export/get/write answers.

Reporting: `/reporting/v2/tenant/{t}/<tail>` goes to
`ReportingService(world, clock=sandbox.clock, runs_per_minute=sandbox.report_runs_per_minute)
.handle(request, env, tenant_id, tail)` (one service per world, kept for the sandbox's lifetime); a None
answer is a 404.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import polars as pl

from stnb.catalog import Endpoint, Resource, load_catalog
from stnb.sandbox import planted
from stnb.sandbox.exports import export_response
from stnb.sandbox.gen_base import GenContext
from stnb.sandbox.history import TenantHistory
from stnb.sandbox.identity import TENANT_PROFILES, SandboxCredentials, tenant_id_for
from stnb.sandbox.listing import list_response
from stnb.sandbox.messages import JSON_HEADERS, SandboxRequest, SandboxResponse, problem
from stnb.sandbox.params import QueryView, parse_int
from stnb.sandbox.reports import ReportingService
from stnb.sandbox.routes import API_PATH, Match, Router
from stnb.sandbox.shapes import output_columns, render_json
from stnb.sandbox.world import SUB_LISTS, World, label_of

if TYPE_CHECKING:
    from stnb.sandbox.core import Sandbox

__all__ = ["Endpoints"]

# The Reporting API's URL templates (for recording which endpoint a request used).
_REPORTING_TEMPLATES = tuple(
    (re.compile(pattern), template)
    for pattern, template in (
        (r"^report-categories/?$", "report-categories"),
        (r"^report-category/[^/]+/reports/?$", "report-category/{report_category}/reports"),
        (r"^report-category/[^/]+/reports/[^/]+/?$", "report-category/{report_category}/reports/{reportId}"),
        (
            r"^report-category/[^/]+/reports/[^/]+/data/?$",
            "report-category/{report_category}/reports/{reportId}/data",
        ),
        (
            r"^report-category/[^/]+/reports/[^/]+/data/query/?$",
            "report-category/{report_category}/reports/{reportId}/data/query",
        ),
        (r"^dynamic-value-sets/[^/]+/?$", "dynamic-value-sets/{dynamicSetId}"),
        (r"^data-queries/[^/]+/?$", "data-queries/{token}"),
    )
)


_CAPACITY = re.compile(r"^/dispatch/v2/tenant/[^/]+/capacity/?$")


def _reporting_template(tail: str) -> str:
    for pattern, template in _REPORTING_TEMPLATES:
        if pattern.match(tail):
            return "/reporting/v2/tenant/{tenant}/" + template
    return "/reporting/v2/tenant/{tenant}/" + tail


def _json(body: bytes, status: int = 200, records: int = 0) -> SandboxResponse:
    return SandboxResponse(status, dict(JSON_HEADERS), body, records=records)


def _record_key(resource: Resource, endpoint: Endpoint) -> str:
    """The column a get looks records up by: `id`, or `name` for records the document keys by name
    (contact preferences: `.../preferences/{preferenceName}`, items without an `id`)."""
    fields = resource.fields_for("get")
    if "id" not in fields and (endpoint.id_param or "").lower().endswith("name") and "name" in fields:
        return "name"
    return "id"


def _wrapper_values(
    world: World, wrapper: Mapping[str, Any], frame: pl.DataFrame, extra: list[pl.Expr]
) -> dict[str, Any]:
    """The fields a `{data}` list's envelope carries besides `data` (tenant, count), in document order."""
    count = frame.filter(pl.all_horizontal(extra)).height if extra else frame.height
    values: dict[str, Any] = {}
    for name, ftype in wrapper.items():
        if name == "tenantId":
            values[name] = world.tenant_id
        elif name == "tenantName":
            values[name] = world.tenant_name
        elif name in ("totalCount", "count"):
            values[name] = count
        elif ftype in ("int32", "int64"):
            values[name] = 0
        elif ftype == "bool":
            values[name] = False
        else:
            values[name] = None
    return values


class Endpoints:
    """The catalog-driven API of one sandbox: worlds per (environment, tenant) and their endpoints."""

    def __init__(self, sandbox: Sandbox) -> None:
        self.sandbox = sandbox
        self.catalog = load_catalog()
        self.router = Router(self.catalog)
        self._lock = threading.RLock()
        self._profiles = {tenant_id_for(sandbox.seed, p): p for p in TENANT_PROFILES}
        self._histories: dict[int, TenantHistory] = {}
        self._worlds: dict[tuple[str, int], World] = {}
        self._reports: dict[tuple[str, int], ReportingService] = {}

    def history(self, tenant_id: int) -> TenantHistory:
        with self._lock:
            history = self._histories.get(tenant_id)
            if history is None:
                profile = self._profiles[tenant_id]
                s = self.sandbox
                history = TenantHistory(GenContext(s.seed, s.scale, s.anchor, profile, tenant_id))
                self._histories[tenant_id] = history
            return history

    def world(self, env: str, tenant_id: int) -> World:
        with self._lock:
            world = self._worlds.get((env, tenant_id))
            if world is None:
                profile = self._profiles[tenant_id]
                world = World(self.history(tenant_id), env, self.catalog, profile.name)
                self._worlds[(env, tenant_id)] = world
            return world

    def answer(
        self,
        request: SandboxRequest,
        query: QueryView,
        creds: SandboxCredentials,
        module: str,
        trace: str,
        record: dict[str, Any],
    ) -> SandboxResponse:
        world = self.world(creds.env, creds.tenant_id)
        if module == "reporting":
            return self._reporting(request, world, creds, trace, record)
        if module == "dispatch" and request.method == "POST" and _CAPACITY.match(request.path):
            from stnb.sandbox.capacity import CAPACITY_TEMPLATE

            record["endpoint"] = CAPACITY_TEMPLATE
            return self.capacity(world, request)
        match, allowed = self.router.match(request.method, request.path)
        if match is None:
            if allowed:
                methods = ", ".join(sorted(set(allowed)))
                return problem(
                    405, "Method Not Allowed", trace, {"method": [f"This path accepts {methods}."]}
                )
            return problem(404, "Not Found", trace, {"path": [f"No endpoint answers at {request.path}."]})
        record["endpoint"] = match.route.template
        route = match.route
        if route.skipped is not None:
            from stnb.sandbox.extras import answer_skipped

            return answer_skipped(world, route.skipped, match.path_params, query, trace)
        if route.kind in ("create_customer", "add_job_note", "update_job"):
            from stnb.sandbox import writes

            return writes.answer(self, world, match, request, trace)
        assert route.resource is not None
        if route.kind == "list":
            return self._list(world, route.resource, match, query)
        if route.kind == "export":
            return self._export(world, route.resource, query)
        return self._get(world, route.resource, match, trace)

    def _reporting(
        self,
        request: SandboxRequest,
        world: World,
        creds: SandboxCredentials,
        trace: str,
        record: dict[str, Any],
    ) -> SandboxResponse:
        found = API_PATH.match(request.path)
        tail = (found.group("tail") if found else "") or ""
        record["endpoint"] = _reporting_template(tail)
        key = (creds.env, creds.tenant_id)
        with self._lock:
            service = self._reports.get(key)
            if service is None:
                service = self.reporting_service(world)
                self._reports[key] = service
        response = service.handle(request, creds.env, creds.tenant_id, tail)
        if response is None:
            return problem(
                404, "Not Found", trace, {"path": [f"No report endpoint answers at {request.path}."]}
            )
        return response

    def reporting_service(self, world: World) -> ReportingService:
        """The Reporting API of one world (built once per environment and tenant)."""
        sandbox = self.sandbox
        return ReportingService(
            world,
            clock=sandbox.clock,
            runs_per_minute=sandbox.report_runs_per_minute,
            still_running=lambda: sandbox.quirks.on("report-still-running"),
        )

    def capacity(self, world: World, request: SandboxRequest) -> SandboxResponse:
        """The capacity query's answer for one world."""
        from stnb.sandbox.capacity import capacity_answer

        return capacity_answer(world, request.body, self.sandbox.quirks, self.sandbox.clock.utcnow())

    def parent_column(self, resource: Resource) -> str:
        """The column of a sub-list's frame that holds its parent's id."""
        return SUB_LISTS[resource.key][1] if resource.key in SUB_LISTS else "_parent"

    def columns(self, world: World, resource: Resource, kind: str, frame: pl.DataFrame) -> list[str]:
        """The fields an endpoint sends, in table order (production adds its extra fields)."""
        fields = list(resource.fields_for(kind))  # type: ignore[arg-type]
        if world.env == "production":
            fields.extend(planted.PRODUCTION_ONLY_FIELDS.get(resource.key, ()))
        return output_columns(frame, fields)

    def _parent_filter(
        self, resource: Resource, match: Match, frame: pl.DataFrame, kind: str
    ) -> list[pl.Expr]:
        endpoint = resource.endpoint(kind)  # type: ignore[arg-type]
        if endpoint.parent_param is None:
            return []
        raw = match.path_params.get(endpoint.parent_param, "")
        column = self.parent_column(resource)
        if column not in frame.columns:
            return [pl.lit(False)]
        if frame.schema[column].is_integer():
            if not raw.lstrip("-").isdigit():
                return [pl.lit(False)]
            return [pl.col(column) == int(raw)]
        return [pl.col(column) == raw]

    def _list(self, world: World, resource: Resource, match: Match, query: QueryView) -> SandboxResponse:
        frame = world.resource_frame(resource, "list")
        endpoint = resource.endpoint("list")
        extra = self._parent_filter(resource, match, frame, "list")
        columns = self.columns(world, resource, "list", frame)
        wrapper = _wrapper_values(world, endpoint.wrapper, frame, extra) if endpoint.wrapper else None
        quirks = self.sandbox.quirks
        body, count = list_response(resource.key, frame, query, endpoint, columns, extra, quirks, wrapper)
        return _json(quirks.rewrite(endpoint.path, resource.fields_for("list"), body), records=count)

    def _export(self, world: World, resource: Resource, query: QueryView) -> SandboxResponse:
        frame = world.resource_frame(resource, "export")
        columns = self.columns(world, resource, "export", frame)
        body, count = export_response(resource.key, frame, query, columns, self.sandbox.export_batch_size)
        path = resource.endpoint("export").path
        return _json(self.sandbox.quirks.rewrite(path, resource.fields_for("export"), body), records=count)

    def _get(self, world: World, resource: Resource, match: Match, trace: str) -> SandboxResponse:
        endpoint = resource.endpoint("get")
        frame = world.resource_frame(resource, "get")
        raw = match.path_params.get(endpoint.id_param or "id", "")
        not_found = problem(
            404, f"{label_of(resource)} not found", trace, {"id": [f"No record has id {raw}."]}
        )
        key = _record_key(resource, endpoint)
        if frame.schema[key].is_integer():
            if not raw.lstrip("-").isdigit():
                return not_found
            condition = pl.col(key) == parse_int(key, raw)
        else:
            condition = pl.col(key) == raw
        conditions = [condition, *self._parent_filter(resource, match, frame, "get")]
        columns = self.columns(world, resource, "get", frame)
        if "active" in frame.columns and "active" not in columns:
            conditions.append(pl.col("active"))  # deleted records are gone unless the item shows `active`
        rows = frame.filter(pl.all_horizontal(conditions))
        if rows.height == 0:
            return not_found
        record = render_json(rows.head(1), columns)[1:-1]
        return _json(b'{"data":' + record + b"}" if endpoint.envelope == "data" else record, records=1)

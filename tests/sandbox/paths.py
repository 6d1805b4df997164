"""Concrete URLs for documented paths: real record ids for `{id}` and parent ids, from the sandbox's world.

`documented_gets()` lists every GET path of the newest documents (the catalog's sources), independently
of the catalog; `concrete(sandbox, api, path)` fills its parameters with ids that exist.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterator
from typing import Any

import polars as pl

from stnb.catalog import Resource, Skipped, load_catalog
from stnb.sandbox import Sandbox
from stnb.sandbox.world import SUB_LISTS

from .conftest import Api
from .openapi import document

CATALOG = load_catalog()
_PARAM = re.compile(r"\{([^}]+)\}")

# Per-record singletons: the modelled table whose ids the path parameter takes.
_SINGLETON_PARENTS = {
    "/jpm/v2/tenant/{tenant}/jobs/{id}": "jobs",
    "/crm/v2/tenant/{tenant}/locations/{id}": "locations",
    "/payroll/v2/tenant/{tenant}/employees/{employee}": "employees",
    "/payroll/v2/tenant/{tenant}/technicians/{technician}": "technicians",
}


def _prefix(doc: dict[str, Any]) -> str:
    return "/" + doc["servers"][0]["url"].split("://", 1)[-1].split("/", 1)[-1]


def documented_gets() -> Iterator[tuple[str, str]]:
    """(source document, full path) for every GET operation of the catalog's source documents."""
    for source in CATALOG.sources:
        doc = document(source["file"])
        for path, item in doc["paths"].items():
            if "get" in item:
                yield source["file"], _prefix(doc) + path


@functools.cache
def endpoints_by_path() -> dict[str, tuple[Resource, str]]:
    out: dict[str, tuple[Resource, str]] = {}
    for resource in CATALOG:
        for kind in ("list", "export", "get"):
            endpoint = getattr(resource, kind)
            if endpoint is not None:
                out[endpoint.path] = (resource, kind)
    return out


def skipped_by_path() -> dict[str, Skipped]:
    return {s.path: s for s in CATALOG.skipped}


def _fill(path: str, values: dict[str, Any]) -> str:
    return _PARAM.sub(
        lambda m: str(values.get(m.group(1), "1")) if m.group(1) != "tenant" else m.group(0), path
    )


def _reporting(api: Api, resource: Resource, kind: str) -> str:
    endpoint = resource.endpoint(kind)  # type: ignore[arg-type]
    categories = api.json(CATALOG.resolve("reporting/report-categories").endpoint("list").path)["data"]
    values: dict[str, Any] = {"report_category": categories[0]["id"]}
    if kind == "get":
        reports_path = CATALOG.resolve("reporting/report-category/{id}/reports").endpoint("list").path
        reports = api.json(_fill(reports_path, values))["data"]
        values[endpoint.id_param or "id"] = reports[0]["id"]
    return _fill(endpoint.path, values)


def concrete(sandbox: Sandbox, api: Api, path: str) -> str:
    """`path` with ids that exist in the integration world (records, and their parents)."""
    found = endpoints_by_path().get(path)
    if found is not None:
        resource, kind = found
        if resource.module == "reporting":
            return _reporting(api, resource, kind)
        return _fill(path, _resource_values(sandbox, resource, kind))
    skipped = skipped_by_path()[path]
    values: dict[str, Any] = {}
    world = sandbox.world("integration")
    for prefix, table in _SINGLETON_PARENTS.items():
        if path.startswith(prefix + "/"):
            name = _PARAM.findall(prefix)[-1]
            values[name] = world.base(table)["id"][0]
    if skipped.kind == "rows":  # the Reporting API's dynamic value sets, named by the reports' parameters
        values["dynamicSetId"] = "business-units"
    if path.endswith("/calls/{id}/recording") or path.endswith("/calls/{id}/voicemail"):
        values["id"] = world.calls()["id"][0]
    del skipped
    return _fill(path, values)


def _resource_values(sandbox: Sandbox, resource: Resource, kind: str) -> dict[str, Any]:
    endpoint = resource.endpoint(kind)  # type: ignore[arg-type]
    world = sandbox.world("integration")
    frame = world.resource_frame(resource, kind)
    fields = resource.fields_for(kind)  # type: ignore[arg-type]
    if kind == "get" and "active" in frame.columns and "active" not in fields:
        frame = frame.filter(pl.col("active"))
    values: dict[str, Any] = {}
    if not endpoint.parent_params and kind != "get":
        return values
    column = SUB_LISTS[resource.key][1] if resource.key in SUB_LISTS else "_parent"
    if endpoint.parent_param is not None and column in frame.columns:
        frame = frame.filter(pl.col(column).is_not_null())
        values[endpoint.parent_param] = frame[column][0]
    if kind == "get":
        key = "id" if "id" in fields or endpoint.id_param == "id" else "name"
        values[endpoint.id_param or "id"] = frame[key][0]
    return values

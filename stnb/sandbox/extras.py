"""Documented GET paths that are not catalog resources (`Catalog.skipped`), answered so that no documented
path is a 404: singletons (one object built from the document's fields, or one scalar), file downloads
(a few deterministic bytes) and the one paged list whose items the document does not describe (an empty
page). The Reporting API's value rows are answered by `stnb.sandbox.reports`.

A singleton under a parent record (`jpm/v2/.../jobs/{id}/history`) answers 404 when the parent is a
modelled record that does not exist, like the live API; its fields named after the path parameter
(`employeeId` for `employees/{employee}/...`, `id` for `routers/{id}/...`) carry the requested id.
Job history comes from the modelled job history (`World.job_history()`), the same events the
`jpm/job-history` export sends.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import polars as pl

from stnb.catalog import FieldType, Skipped
from stnb.sandbox.listing import parse_paging
from stnb.sandbox.messages import JSON_HEADERS, SandboxResponse, problem
from stnb.sandbox.params import QueryView
from stnb.sandbox.shapes import conform, placeholder, render_json

if TYPE_CHECKING:
    from stnb.sandbox.world import World

__all__ = ["DOWNLOAD_TYPE", "answer_skipped"]

DOWNLOAD_TYPE = "application/octet-stream"

# Parent path segment -> the modelled table whose ids a per-record singleton must exist in.
_PARENT_TABLES: Mapping[tuple[str, str], str] = {
    ("jpm", "jobs"): "jobs",
    ("crm", "locations"): "locations",
    ("payroll", "technicians"): "technicians",
    ("payroll", "employees"): "employees",
}


def answer_skipped(
    world: World, skipped: Skipped, path_params: Mapping[str, str], query: QueryView, trace: str
) -> SandboxResponse:
    """The answer to one GET of a skipped path."""
    missing = _missing_parent(world, skipped, path_params)
    if missing is not None:
        label, raw = missing
        return problem(404, f"{label} not found", trace, {"id": [f"No record has id {raw}."]})
    if skipped.kind == "download":
        return SandboxResponse(200, {"content-type": DOWNLOAD_TYPE}, _file_bytes(skipped, path_params))
    if skipped.kind == "singleton":
        if skipped.path.endswith("/jobs/{id}/history"):
            return _json(_job_history(world, int(path_params["id"])))
        return _json(_singleton(world, skipped, path_params))
    paging = parse_paging(query)  # "undocumented": a page without items, as no item shape is known
    body = {"page": paging.page, "pageSize": paging.page_size, "hasMore": False, "totalCount": 0, "data": []}
    return _json(json.dumps(body, separators=(",", ":")).encode())


def _json(body: bytes) -> SandboxResponse:
    return SandboxResponse(200, dict(JSON_HEADERS), body)


def _missing_parent(world: World, skipped: Skipped, path_params: Mapping[str, str]) -> tuple[str, str] | None:
    """(label, id) when a per-record path names a modelled record that does not exist."""
    segments = skipped.path.split("/")
    module = segments[1]
    for index, segment in enumerate(segments[:-1]):
        if not (segment.startswith("{") and segment.endswith("}")) or segment == "{tenant}":
            continue
        table = _PARENT_TABLES.get((module, segments[index - 1]))
        if table is None:
            continue
        raw = path_params.get(segment[1:-1], "")
        label = segments[index - 1].rstrip("s").title()
        if not raw.isdigit():
            return label, raw
        ids = world.base(table)["id"]
        if not bool((ids == int(raw)).any()):
            return label, raw
    return None


def _seed_of(skipped: Skipped, path_params: Mapping[str, str]) -> int:
    text = skipped.path + "|" + "|".join(f"{k}={v}" for k, v in sorted(path_params.items()))
    return int.from_bytes(hashlib.sha256(text.encode()).digest()[:6], "big")


def _file_bytes(skipped: Skipped, path_params: Mapping[str, str]) -> bytes:
    """A small deterministic file per path and ids (the sandbox stores no real files)."""
    digest = hashlib.sha256(f"file:{_seed_of(skipped, path_params)}".encode()).digest()
    return b"stnb sandbox file\n" + digest * 8


def _param_value(raw: str, ftype: FieldType) -> Any:
    if ftype in ("int32", "int64") and raw.lstrip("-").isdigit():
        return int(raw)
    return raw


def _singleton(world: World, skipped: Skipped, path_params: Mapping[str, str]) -> bytes:
    ctx = world.history.ctx
    seed = _seed_of(skipped, path_params)
    draws = ctx.draws("singleton", skipped.path)
    label = skipped.path.rstrip("/").rsplit("/", 1)[-1].replace("-", " ").title()
    if skipped.fields is None:
        ftype: FieldType = skipped.value or "string"
        name = "technicianId" if "technician" in skipped.path else "value"
        expr = placeholder(
            name,
            ftype,
            pl.lit(seed, dtype=pl.Int64),
            draws,
            label=label,
            start=ctx.start,
            end=ctx.refresh,
            pools=world.pools,
        )
        value = pl.select(expr.alias("v"))["v"][0]
        return json.dumps(value).encode()
    fields = dict(skipped.fields)
    frame = conform(
        pl.DataFrame({"id": [seed]}, schema={"id": pl.Int64}),
        fields,
        draws,
        label=label,
        start=ctx.start,
        end=ctx.refresh,
        pools=world.pools,
    )
    overrides: dict[str, Any] = {}
    for param, raw in path_params.items():
        for name in (param, f"{param}Id"):
            if name in fields and not isinstance(fields[name], dict):
                overrides[name] = _param_value(raw, fields[name])
    if "id" in fields and len(path_params) == 1 and "id" not in overrides:
        (raw,) = path_params.values()
        overrides["id"] = _param_value(raw, fields["id"])
    if fields.get("id") == "string" and "id" not in overrides:
        overrides["id"] = str(seed)
    if overrides:
        frame = frame.with_columns(pl.lit(v).alias(k) for k, v in overrides.items() if k in frame.columns)
    columns = [name for name in fields if name in frame.columns]
    return render_json(frame, columns)[1:-1]


def _job_history(world: World, job_id: int) -> bytes:
    """`{"history": [...]}` of one job: the events of the modelled job history."""
    history = world.job_history()
    rows = history.filter(pl.col("jobId") == job_id)
    events = rows["history"].to_list()[0] if rows.height else []
    return json.dumps({"history": events or []}, separators=(",", ":")).encode()

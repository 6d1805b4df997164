"""`stnb._snapshot.record(conn, "acme.stnb")`: a bounded, scrubbed sample of a tenant, written as a snapshot.

Pulls up to `max_records` records of each chosen list and export resource (inactive ones too), then keeps
the sample's relations whole (`RELATIONS`: a sampled job brings its customer, location and invoices; an
invoice its job and customer), scrubs personal data (`stnb._snapshot.scrub`) and writes the format
`stnb.sandbox.snapshot` documents. Read-only: GET requests through the connection's pacing and retries.
"""

from __future__ import annotations

import json
import shutil
import tempfile
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from stnb._connection import Connection
from stnb._snapshot.scrub import DEFAULT_RULES, Scrubber, ScrubRule
from stnb.catalog import Catalog, Resource
from stnb.catalog.quirks import first_page
from stnb.sandbox.snapshot import FORMAT, MANIFEST, VERSION, file_name, records_frame

__all__ = ["DEFAULT_MAX_RECORDS", "RELATIONS", "RecordSummary", "Relation", "record"]

DEFAULT_MAX_RECORDS = 5000
_PAGE_SIZE = 500
_IDS_PER_CALL = 50  # the API's limit on `ids`


@dataclass(frozen=True, slots=True)
class Relation:
    """`child` records point at `parent` records through `field` (dotted for nested objects); `param`, when
    set, is the child list's filter that finds the children of one parent (a job's invoices)."""

    child: str
    field: str
    parent: str
    param: str | None = None


RELATIONS: tuple[Relation, ...] = (
    Relation("jpm/jobs", "customerId", "crm/customers"),
    Relation("jpm/jobs", "locationId", "crm/locations"),
    Relation("accounting/invoices", "job.id", "jpm/jobs", param="jobId"),
    Relation("accounting/invoices", "customer.id", "crm/customers"),
    Relation("crm/locations", "customerId", "crm/customers"),
    Relation("jpm/appointments", "jobId", "jpm/jobs", param="jobId"),
    Relation("accounting/payments", "customerId", "crm/customers"),
    Relation("memberships/memberships", "customerId", "crm/customers"),
)


@dataclass(frozen=True)
class RecordSummary:
    """What `record` wrote."""

    path: Path
    rows: dict[str, dict[str, int]]  # resource -> kind -> records
    scrubbed: int  # values replaced
    scrubbed_fields: tuple[str, ...]
    requests: int


def record(
    conn: Connection,
    out: str | Path,
    resources: str | Sequence[str] | None = None,
    *,
    max_records: int = DEFAULT_MAX_RECORDS,
    scrub: Iterable[ScrubRule] = (),
    quirks: str = "all",
    overwrite: bool = False,
    progress: bool | None = None,
) -> RecordSummary:
    """Record a scrubbed snapshot of `conn`'s tenant into the folder `out` (written whole or not at all)."""
    if isinstance(max_records, bool) or not isinstance(max_records, int) or max_records < 1:
        raise ValueError(f"max_records must be a positive number of records, got {max_records!r}")
    target = Path(out).expanduser()
    if target.exists() and not overwrite:
        raise FileExistsError(f"{target} exists; pass overwrite=True (CLI: --overwrite) to replace it")
    chosen = _chosen(conn.catalog, resources)
    sampler = _Sampler(conn, max_records)
    samples: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for resource, kind in _bar(chosen, progress):
        samples[(resource.key, kind)] = sampler.sample(resource, kind)
    sampler.close_relations(samples, conn.catalog)
    scrubber = Scrubber(DEFAULT_RULES, extra=scrub)
    staging = Path(
        tempfile.mkdtemp(prefix=".stnb-record-", dir=target.parent if target.parent.exists() else None)
    )
    rows: dict[str, dict[str, int]] = {}
    entries: dict[str, dict[str, dict[str, Any]]] = {}
    try:
        for (key, kind), records in samples.items():
            resource = conn.catalog.resolve(key)
            scrubbed = scrubber.scrub(records)
            frame = records_frame(scrubbed, resource.fields_for(kind))  # type: ignore[arg-type]
            name = file_name(key, kind)
            frame.write_parquet(staging / name)
            entries.setdefault(key, {})[kind] = {"file": name, "rows": frame.height}
            rows.setdefault(key, {})[kind] = frame.height
        manifest = {
            "format": FORMAT,
            "version": VERSION,
            "created": datetime.now(UTC).isoformat(timespec="seconds"),
            "env": conn.env,
            "timezone": conn.timezone,
            "documents": sorted({str(s.get("file", "")).split("/")[0] for s in conn.catalog.sources} - {""}),
            "quirks": quirks,
            "scrub": scrubber.describe(),
            "resources": entries,
        }
        (staging / MANIFEST).write_text(json.dumps(manifest, indent=2), encoding="utf-8")
        if target.exists():
            shutil.rmtree(target)
        staging.rename(target)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return RecordSummary(target, rows, scrubber.replaced, tuple(sorted(scrubber.paths)), sampler.requests)


def _chosen(catalog: Catalog, resources: str | Sequence[str] | None) -> list[tuple[Resource, str]]:
    if resources is None:
        picked = [r for r in catalog if r.list is not None or r.export is not None]
    else:
        names = [n.strip() for n in resources.split(",")] if isinstance(resources, str) else list(resources)
        names = [n for n in names if n]
        if not names:
            raise ValueError("resources names no resource; leave it out to record every resource")
        picked = list({r.key: r for r in (catalog.resolve(n) for n in names)}.values())
    out: list[tuple[Resource, str]] = []
    for r in picked:
        for kind in ("list", "export"):
            endpoint = getattr(r, kind)
            if endpoint is None or endpoint.parent_params:
                continue
            if any(
                p.required and p.name not in ("page", "pageSize", "includeTotal")
                for p in endpoint.params.values()
            ):
                continue  # needs a value we cannot choose for the user
            out.append((r, kind))
    if resources is not None and not out:
        raise ValueError("none of these resources has a list or export endpoint that can be recorded")
    return out


def _bar(items: list[tuple[Resource, str]], progress: bool | None) -> Iterator[tuple[Resource, str]]:
    if progress is False:
        yield from items
        return
    from tqdm.auto import tqdm  # imported on use: it loads ipywidgets in notebooks

    bar = tqdm(items, desc="stnb sandbox record", unit="endpoint", leave=False)
    try:
        for resource, kind in bar:
            bar.set_postfix_str(f"{resource.key} {kind}")
            yield resource, kind
    finally:
        bar.close()


class _Sampler:
    def __init__(self, conn: Connection, max_records: int) -> None:
        self.conn = conn
        self.max_records = max_records
        self.requests = 0
        self._asked: dict[tuple[str, str], set[Any]] = {}

    def _get(self, path: str, params: dict[str, Any]) -> Any:
        self.requests += 1
        return self.conn.request_json("GET", path.lstrip("/"), params=params)

    def sample(self, resource: Resource, kind: str) -> list[dict[str, Any]]:
        if kind == "export":
            return self._export(resource)
        return self._list(resource, {})

    def _list(
        self, resource: Resource, filters: dict[str, Any], limit: int | None = None
    ) -> list[dict[str, Any]]:
        endpoint = resource.endpoint("list")
        params = dict(filters)
        if endpoint.supports_active:
            params["active"] = "Any"
        limit = self.max_records if limit is None else limit
        if endpoint.envelope != "page":
            body = self._get(endpoint.path, params)
            data = body.get("data") if isinstance(body, dict) else body
            return [r for r in (data or []) if isinstance(r, dict)][:limit]
        page = first_page(endpoint.path)
        out: list[dict[str, Any]] = []
        while len(out) < limit:
            body = self._get(endpoint.path, {**params, "page": page, "pageSize": min(_PAGE_SIZE, limit)})
            out.extend(r for r in body.get("data") or [] if isinstance(r, dict))
            if not body.get("hasMore"):
                break
            page += 1
        return out[:limit]

    def _export(self, resource: Resource) -> list[dict[str, Any]]:
        endpoint = resource.endpoint("export")
        out: list[dict[str, Any]] = []
        token: str | None = None
        while len(out) < self.max_records:
            body = self._get(endpoint.path, {"from": token} if token else {})
            out.extend(r for r in body.get("data") or [] if isinstance(r, dict))
            token = body.get("continueFrom")
            if not body.get("hasMore") or not token:
                break
        return out[: self.max_records]

    def close_relations(self, samples: dict[tuple[str, str], list[dict[str, Any]]], catalog: Catalog) -> None:
        """Fetch the parents the sample points at and the children of sampled parents (two passes)."""
        for _ in range(2):
            for rel in RELATIONS:
                child = samples.get((rel.child, "list"))
                parent = samples.get((rel.parent, "list"))
                if child is None or parent is None:
                    continue
                have = {r.get("id") for r in parent}
                wanted = {_at(r, rel.field) for r in child} - have - {None}
                missing = sorted(w for w in wanted if isinstance(w, int))
                parent_resource = catalog.resolve(rel.parent)
                for start in range(0, len(missing), _IDS_PER_CALL):
                    chunk = missing[start : start + _IDS_PER_CALL]
                    parent.extend(self._list(parent_resource, {"ids": ",".join(map(str, chunk))}, len(chunk)))
                if rel.param is not None:
                    self._children(rel, child, parent, catalog)

    def _children(
        self, rel: Relation, child: list[dict[str, Any]], parent: list[dict[str, Any]], catalog: Catalog
    ) -> None:
        child_resource = catalog.resolve(rel.child)
        param = rel.param
        if param is None:
            return
        have = {r.get("id") for r in child}
        asked = self._asked.setdefault((rel.child, rel.field), set())
        for parent_id in [r.get("id") for r in parent if r.get("id") not in asked]:
            asked.add(parent_id)  # one request per parent: a parent may have children beyond the sample
            for found in self._list(child_resource, {param: parent_id}, self.max_records):
                if found.get("id") not in have:
                    child.append(found)
                    have.add(found.get("id"))


def _at(record: dict[str, Any], dotted: str) -> Any:
    value: Any = record
    for part in dotted.split("."):
        value = value.get(part) if isinstance(value, dict) else None
    return value

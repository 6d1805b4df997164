"""`stnb._snapshot.record(conn, "acme.stnb")`: a bounded, scrubbed sample of a tenant, written as a snapshot.

Pulls up to `max_records` records of each chosen list and export resource (inactive ones too), then keeps
the sample's relations whole (`RELATIONS`: a sampled job brings its customer, location and invoices; an
invoice its job and customer), scrubs personal data (`stnb._snapshot.scrub`) and writes the format
`stnb.sandbox.snapshot` documents. Read-only: GET requests through the connection's pacing and retries.

Values the live API sends in another form than documented (the deviation table's integer enums and dates
with a time) are stored in their documented form; the manifest's `quirks` say which deviations serving
reproduces: "all" by default, or what a check observed (`quirks=stnb.check(conn)`, a `stnb check --json`
file, see `stnb._snapshot.observed`).
"""

from __future__ import annotations

import json
import shutil
import tempfile
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import polars as pl

from stnb._clock import Clock
from stnb._connection import Connection
from stnb._progress import open_progress
from stnb._snapshot.extras import (
    DEFAULT_MAX_PARENTS,
    DEFAULT_MAX_REPORTS,
    parent_of,
    record_capacity,
    record_reporting,
)
from stnb._snapshot.observed import ObservedQuirks, observed_quirks
from stnb._snapshot.scrub import DEFAULT_RULES, Scrubber, ScrubRule
from stnb.catalog import Catalog, Resource
from stnb.catalog.model import PAGING_PARAMS as PAGING
from stnb.catalog.quirks import first_page
from stnb.errors import Conflict, StnbError
from stnb.reports.client import STILL_RUNNING_WAIT
from stnb.sandbox.quirks import Quirks, documented_form
from stnb.sandbox.snapshot import FORMAT, MANIFEST, PARENT, VERSION, file_name, records_frame

__all__ = ["DEFAULT_MAX_RECORDS", "RELATIONS", "RecordSummary", "Relation", "record"]

DEFAULT_MAX_RECORDS = 5000
_PAGE_SIZE = 500
_IDS_PER_CALL = 50  # the API's limit on `ids`
_STILL_RUNNING_TRIES = 5


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
    stopped: str | None = None  # why the recording stopped early (the budget), else None
    reports: int = 0  # report descriptions recorded
    report_runs: int = 0  # report data runs recorded
    capacity_frames: int = 0  # capacity availabilities recorded
    not_recorded: tuple[dict[str, str], ...] = ()  # what was left out, and why


def record(
    conn: Connection,
    out: str | Path,
    resources: str | Sequence[str] | None = None,
    *,
    max_records: int = DEFAULT_MAX_RECORDS,
    scrub: Iterable[ScrubRule] = (),
    quirks: Any = "all",
    overwrite: bool = False,
    progress: bool | None = None,
    reports: bool | None = None,
    capacity: bool | None = None,
    max_reports: int = DEFAULT_MAX_REPORTS,
    max_parents: int = DEFAULT_MAX_PARENTS,
    budget: int | None = None,
) -> RecordSummary:
    """Record a scrubbed snapshot of `conn`'s tenant into the folder `out` (written whole or not at all).

    `quirks`: the known deviations the snapshot reproduces when served: a spec ("all", "none", "id,id"),
    or what a check observed: a `CheckResult`, its `to_dict()`, or the path of a `stnb check --json` file
    (confirmed ones on, contradicted ones off, ones it could not see on; `stnb._snapshot.observed`).
    `reports` / `capacity`: record the Reporting API (`max_reports` reports, one data run each) and one
    capacity answer; None (default): when recording every resource (`resources` not given). Sub-lists
    that need a parent id are recorded under at most `max_parents` parents (`stnb._snapshot.extras`).
    `budget`: requests at most (every GET and POST; None: no limit). When it is spent the recording stops
    and writes what it has: endpoints not reached, and the Reporting API or capacity if it was being
    recorded, are listed in `not_recorded` (and the manifest's), `stopped` says why."""
    if isinstance(max_records, bool) or not isinstance(max_records, int) or max_records < 1:
        raise ValueError(f"max_records must be a positive number of records, got {max_records!r}")
    if budget is not None and (isinstance(budget, bool) or not isinstance(budget, int) or budget < 1):
        raise ValueError(f"budget must be a positive number of requests (or None), got {budget!r}")
    for name, value in (("max_reports", max_reports), ("max_parents", max_parents)):
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise ValueError(f"{name} must be a number of 0 or more, got {value!r}")
    observed: ObservedQuirks | None = None
    if isinstance(quirks, str):
        spec = Quirks.parse(quirks).spec  # ValueError naming the known ids
    else:
        observed = quirks if isinstance(quirks, ObservedQuirks) else observed_quirks(quirks)
        spec = observed.spec
    target = Path(out).expanduser()
    if target.exists() and not overwrite:
        raise FileExistsError(f"{target} exists; pass overwrite=True (CLI: --overwrite) to replace it")
    chosen, subs, not_recorded = _chosen(conn.catalog, resources)
    everything = resources is None
    with_reports = everything if reports is None else bool(reports)
    with_capacity = everything if capacity is None else bool(capacity)
    sampler = _Sampler(conn, max_records, budget)
    samples: dict[tuple[str, str], list[dict[str, Any]]] = {}
    parents_of: dict[str, list[Any]] = {}
    reached: list[str] = []  # what was done, to list what was not when the budget runs out
    try:
        for resource, kind in _bar(chosen, progress, conn):
            samples[(resource.key, kind)] = sampler.sample(resource, kind)
            reached.append(f"{resource.key} {kind}")
        sampler.close_relations(samples, conn.catalog)
        reached.append("relations")
        for resource in subs:
            found = sampler.sub_list(resource, samples, conn.catalog, max_parents)
            reached.append(resource.key)
            if isinstance(found, str):
                not_recorded.append({"what": resource.key, "reason": found})
                continue
            samples[(resource.key, "list")], parents_of[resource.key] = found
    except BudgetSpent:
        stopped = sampler.stopped
        steps = [f"{r.key} {k}" for r, k in chosen] + ["relations"] + [r.key for r in subs]
        for what in steps[len(reached) :]:
            reason = "not reached" if what != "relations" else "not all related records fetched"
            not_recorded.append({"what": what, "reason": f"{reason}: {stopped}"})
    scrubber = Scrubber(DEFAULT_RULES, extra=scrub)
    now = datetime.now(UTC)
    reporting: dict[str, Any] | None = None
    if with_reports:
        reporting = _extra(
            "the Reporting API",
            sampler,
            not_recorded,
            lambda: record_reporting(
                sampler.get,
                sampler.post,
                scrubber,
                timezone=conn.timezone,
                now=now,
                max_reports=max_reports,
                max_records=max_records,
                not_recorded=not_recorded,
            ),
        )
    recorded_capacity: dict[str, Any] | None = None
    if with_capacity:
        recorded_capacity = _extra(
            "capacity",
            sampler,
            not_recorded,
            lambda: record_capacity(sampler.post, scrubber, timezone=conn.timezone, now=now),
        )
    staging = Path(
        tempfile.mkdtemp(prefix=".stnb-record-", dir=target.parent if target.parent.exists() else None)
    )
    rows: dict[str, dict[str, int]] = {}
    entries: dict[str, dict[str, dict[str, Any]]] = {}
    try:
        for (key, kind), records in samples.items():
            resource = conn.catalog.resolve(key)
            fields = resource.fields_for(kind)  # type: ignore[arg-type]
            documented_form(resource.endpoint(kind).path, fields, records)  # type: ignore[arg-type]
            parents = [r.pop(PARENT, None) for r in records] if key in parents_of else None
            scrubbed = scrubber.scrub(records)
            frame = records_frame(scrubbed, fields)
            if parents is not None:
                frame = frame.with_columns(_parent_column(parents))
            name = file_name(key, kind)
            frame.write_parquet(staging / name)
            entries.setdefault(key, {})[kind] = {"file": name, "rows": frame.height}
            if parents is not None:
                entries[key][kind]["parents"] = len(parents_of[key])
            rows.setdefault(key, {})[kind] = frame.height
        extras: dict[str, Any] = {}
        for name, data in (("reporting", reporting), ("capacity", recorded_capacity)):
            if data is None:
                continue
            file = f"{name}.json"
            (staging / file).write_text(
                json.dumps(data, separators=(",", ":"), default=str), encoding="utf-8"
            )
            extras[name] = {"file": file}
        if reporting is not None:
            extras["reporting"].update(reports=len(reporting["descriptions"]), runs=len(reporting["runs"]))
        if recorded_capacity is not None:
            extras["capacity"]["frames"] = len(recorded_capacity["availabilities"])
        manifest = {
            "format": FORMAT,
            "version": VERSION,
            "created": datetime.now(UTC).isoformat(timespec="seconds"),
            "env": conn.env,
            "timezone": conn.timezone,
            "documents": sorted({str(s.get("file", "")).split("/")[0] for s in conn.catalog.sources} - {""}),
            "quirks": spec,
            **({"quirks_observed": observed.to_manifest()} if observed is not None else {}),
            "scrub": scrubber.describe(),
            "resources": entries,
            **extras,
            "not_recorded": not_recorded,
            **({"stopped": sampler.stopped} if sampler.stopped else {}),
        }
        (staging / MANIFEST).write_text(json.dumps(manifest, indent=2), encoding="utf-8")
        if target.exists():
            shutil.rmtree(target)
        staging.rename(target)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return RecordSummary(
        target,
        rows,
        scrubber.replaced,
        tuple(sorted(scrubber.paths)),
        sampler.requests,
        reports=len(reporting["descriptions"]) if reporting else 0,
        report_runs=len(reporting["runs"]) if reporting else 0,
        capacity_frames=len(recorded_capacity["availabilities"]) if recorded_capacity else 0,
        not_recorded=tuple(not_recorded),
        stopped=sampler.stopped,
    )


def _extra(
    what: str, sampler: _Sampler, not_recorded: list[dict[str, str]], take: Any
) -> dict[str, Any] | None:
    """Record one of the extras; an API error (or the budget running out) leaves it out, saying why."""
    if sampler.stopped:
        not_recorded.append({"what": what, "reason": f"not reached: {sampler.stopped}"})
        return None
    try:
        result: dict[str, Any] = take()
    except StnbError as exc:
        not_recorded.append({"what": what, "reason": f"{type(exc).__name__}: {exc}"})
        return None
    except BudgetSpent:
        not_recorded.append({"what": what, "reason": f"left out: {sampler.stopped}"})
        return None
    return result


def _parent_column(parents: list[Any]) -> pl.Series:
    if all(isinstance(p, int) and not isinstance(p, bool) for p in parents):
        return pl.Series(PARENT, parents, dtype=pl.Int64())
    return pl.Series(PARENT, [None if p is None else str(p) for p in parents], dtype=pl.String())


def _chosen(
    catalog: Catalog, resources: str | Sequence[str] | None
) -> tuple[list[tuple[Resource, str]], list[Resource], list[dict[str, str]]]:
    """The (resource, kind) lists and exports to sample, the sub-lists to record under parents, and what
    is left out and why."""
    if resources is None:
        picked = [r for r in catalog if r.list is not None or r.export is not None]
    else:
        names = [n.strip() for n in resources.split(",")] if isinstance(resources, str) else list(resources)
        names = [n for n in names if n]
        if not names:
            raise ValueError("resources names no resource; leave it out to record every resource")
        picked = list({r.key: r for r in (catalog.resolve(n) for n in names)}.values())
    out: list[tuple[Resource, str]] = []
    subs: list[Resource] = []
    skipped: list[dict[str, str]] = []
    for r in picked:
        for kind in ("list", "export"):
            endpoint = getattr(r, kind)
            if endpoint is None:
                continue
            if any(
                p.required and p.name not in ("page", "pageSize", "includeTotal")
                for p in endpoint.params.values()
            ):
                needs = [p.name for p in endpoint.params.values() if p.required and p.name not in PAGING]
                skipped.append({"what": f"{r.key} {kind}", "reason": f"needs a value for {', '.join(needs)}"})
                continue  # needs a value we cannot choose for the user
            if not endpoint.parent_params:
                out.append((r, kind))
            elif r.module == "reporting":
                continue  # the Reporting API is recorded as a whole (reports=True)
            elif kind == "list" and parent_of(catalog, r) is not None:
                subs.append(r)
            else:
                reason = (
                    "needs two or more parent ids" if len(endpoint.parent_params) > 1 else "no parent list"
                )
                skipped.append({"what": f"{r.key} {kind}", "reason": reason})
    if resources is not None and not out and not subs:
        raise ValueError("none of these resources has a list or export endpoint that can be recorded")
    return out, subs, skipped


def _bar(
    items: list[tuple[Resource, str]], progress: bool | None, conn: Connection
) -> Iterator[tuple[Resource, str]]:
    """The endpoints to record, counted on a bar (shown at once unless progress=False) on the
    connection's clock, naming the one being recorded."""
    bar = open_progress(
        progress is not False,
        "stnb sandbox record",
        unit="endpoint",
        clock=conn.clock,
        eager=True,
        total=len(items),
    )
    try:
        for resource, kind in items:
            bar.note(f"{resource.key} {kind}")
            yield resource, kind
            bar.update(1)
    finally:
        bar.close()


class BudgetSpent(Exception):
    """The recording's request budget is used up (not an API error: what was recorded is kept)."""


class _Sampler:
    def __init__(self, conn: Connection, max_records: int, budget: int | None = None) -> None:
        self.conn = conn
        self.budget = budget
        self.stopped: str | None = None
        self.clock: Clock = conn.clock  # the connection's (a test's fake)
        self.max_records = max_records
        self.requests = 0
        self._asked: dict[tuple[str, str], set[Any]] = {}

    def _get(self, path: str, params: dict[str, Any], path_params: Mapping[str, Any] | None = None) -> Any:
        self._spend()
        return self.conn.request_json("GET", path.lstrip("/"), params=params, path_params=path_params)

    def _spend(self) -> None:
        """Count one request; BudgetSpent (nothing sent) when the budget is used up."""
        if self.budget is not None and self.requests >= self.budget:
            self.stopped = f"the budget of {self.budget} requests was spent"
            raise BudgetSpent(self.stopped)
        self.requests += 1

    def get(self, path: str, params: Mapping[str, Any], path_params: Mapping[str, Any] | None) -> Any:
        return self._get(path, dict(params), path_params)

    def post(
        self, path: str, body: Any, params: Mapping[str, Any], path_params: Mapping[str, Any] | None
    ) -> Any:
        """A POST that only reads (report data, capacity): allowed on read-only environments, retried; a
        report "still running" (409) is asked again after STILL_RUNNING_WAIT seconds (times the refusals),
        as `stnb.reports` does, up to `_STILL_RUNNING_TRIES` times."""
        for attempt in range(1, _STILL_RUNNING_TRIES + 1):
            self._spend()
            try:
                return self.conn.request_json(
                    "POST",
                    path.lstrip("/"),
                    params=dict(params),
                    json=body,
                    path_params=path_params,
                    read_only=True,
                )
            except Conflict as exc:
                if "still running" not in (exc.title or "").lower() or attempt == _STILL_RUNNING_TRIES:
                    raise
                self.clock.sleep(STILL_RUNNING_WAIT * attempt)
        raise AssertionError("unreachable")

    def sub_list(
        self,
        resource: Resource,
        samples: dict[tuple[str, str], list[dict[str, Any]]],
        catalog: Catalog,
        max_parents: int,
    ) -> tuple[list[dict[str, Any]], list[Any]] | str:
        """Records of a sub-list under a few parents (each record carries its parent in `_parent`), and the
        parents asked; or why it cannot be recorded."""
        parent = parent_of(catalog, resource)
        if parent is None:
            return "no parent list"
        known = samples.get((parent.key, "list")) or samples.get((parent.key, "export"))
        if known is None:
            known = self._list(parent, {}, max_parents) if max_parents else []
        parents = [r.get("id") for r in known if r.get("id") is not None][:max_parents]
        endpoint = resource.endpoint("list")
        param = endpoint.parent_params[0]
        out: list[dict[str, Any]] = []
        for parent_id in parents:
            if len(out) >= self.max_records:
                break
            found = self._list(resource, {}, self.max_records - len(out), {param: parent_id})
            out.extend({**r, PARENT: parent_id} for r in found)
        return out, parents

    def sample(self, resource: Resource, kind: str) -> list[dict[str, Any]]:
        if kind == "export":
            return self._export(resource)
        return self._list(resource, {})

    def _list(
        self,
        resource: Resource,
        filters: dict[str, Any],
        limit: int | None = None,
        path_params: Mapping[str, Any] | None = None,
    ) -> list[dict[str, Any]]:
        endpoint = resource.endpoint("list")
        params = dict(filters)
        if endpoint.supports_active:
            params["active"] = "Any"
        limit = self.max_records if limit is None else limit
        if endpoint.envelope != "page":
            body = self._get(endpoint.path, params, path_params)
            data = body.get("data") if isinstance(body, dict) else body
            return [r for r in (data or []) if isinstance(r, dict)][:limit]
        page = first_page(endpoint.path)
        out: list[dict[str, Any]] = []
        while len(out) < limit:
            query = {**params, "page": page, "pageSize": min(_PAGE_SIZE, limit)}
            body = self._get(endpoint.path, query, path_params)
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

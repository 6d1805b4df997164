"""Private sandboxes: a scrubbed snapshot of a real tenant (`stnb sandbox record`), served like the
built-in sandbox (`Sandbox.from_snapshot`, `stnb.connect(sandbox="acme.stnb")`, `STNB_SANDBOX=acme.stnb`,
`stnb sandbox serve --snapshot acme.stnb`).

Format (version 1), a folder:

    acme.stnb/
      manifest.json                   what the snapshot holds (below)
      crm__customers.list.parquet     one Parquet file per (resource, endpoint kind): one row per record,
      crm__customers.export.parquet   the documented fields only, as the catalog types them (top-level
      jpm__jobs.list.parquet          date-times as UTC timestamps, nested objects as structs, lists as
      ...                             lists, money as text), scrubbed before it was written

    manifest.json:
    {"format": "stnb-snapshot", "version": 1,
     "created": "2026-12-06T08:00:00+00:00",   # when it was recorded (UTC)
     "env": "integration",                       # where it was recorded from
     "timezone": "America/Chicago",              # the tenant's time zone (its id and name are not kept)
     "documents": ["2026-05"],                   # the API documents' version of the catalog used
     "quirks": "all",                            # the known deviations to reproduce when serving
     "quirks_observed": {"env": "integration", "checked": "2026-12-06T07:58:00+00:00",
                         "statuses": {"page-from-zero": "confirmed", "unsorted-pages": "contradicted", ...}},
                                                 # only when `quirks` came from a check: what it saw
     "scrub": [{"field": "name", "kind": "person"}, ...],   # the rules applied
     "resources": {"crm/customers": {"list": {"file": "crm__customers.list.parquet", "rows": 412}},
                   "crm/customers/{id}/contacts": {"list": {
                       "file": "crm__customers__id__contacts.list.parquet", "rows": 31, "parents": 10}}},
     "reporting": {"file": "reporting.json", "reports": 8, "runs": 6},   # when recorded
     "capacity": {"file": "capacity.json", "frames": 140},                # when recorded
     "not_recorded": [{"what": "crm/contacts/{id}/contact-methods/{id}/preferences", "reason": "..."}]}

A sub-list that needs a parent id (`crm/customers/{id}/contacts`) is stored like a list, with one more
column, `_parent`: the parent id its records were listed under (a few parents of the recorded sample).
`reporting.json` and `capacity.json` hold the Reporting API's categories, report descriptions, data runs
and value sets, and one capacity answer (format: `stnb.sandbox.recorded`).

Records are stored as the documents describe them: values the live API sends in another form (the
deviation table's integer enums, dates with a time) are restored before writing, so serving reproduces
exactly the deviations `quirks` switches on (`Sandbox.from_snapshot(path, quirks=...)` overrides it).

Served, a snapshot answers with every semantic of the built-in sandbox that works on its records (auth
with the demo credentials of `seed`, paging, documented filters with a matching column, `active`, sort,
exports with `continueFrom`, gets by id, rate limit, faults, the known deviations), for every tenant and
environment of the sandbox. Resources it did not record answer with no records; sub-lists answer for the
recorded parents (others: no records); the Reporting API answers the recorded categories, descriptions
and data runs (data for parameters never recorded: 422 naming the recorded ones), capacity the recorded
frames (`stnb.sandbox.recorded`). Writes are not served from a snapshot.
"""

from __future__ import annotations

import json
import os
import threading
from collections.abc import Mapping
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import polars as pl

from stnb.catalog import Catalog, FieldType, Resource
from stnb.sandbox.core import Sandbox
from stnb.sandbox.endpoints import Endpoints
from stnb.sandbox.messages import SandboxRequest, SandboxResponse
from stnb.sandbox.reports import ReportingService
from stnb.sandbox.shapes import DATETIME, dtype_of
from stnb.sandbox.world import World

if TYPE_CHECKING:
    from stnb.sandbox.quirks import Quirks
    from stnb.sandbox.recorded import RecordedCapacity

__all__ = [
    "FORMAT",
    "MANIFEST",
    "PARENT",
    "VERSION",
    "SnapshotError",
    "SnapshotManifest",
    "file_name",
    "read_manifest",
    "records_frame",
    "snapshot_from_environment",
    "snapshot_sandbox",
]

ENV_VAR = "STNB_SANDBOX"  # a snapshot folder the auto sandbox serves

FORMAT = "stnb-snapshot"
VERSION = 1
MANIFEST = "manifest.json"


class SnapshotError(ValueError):
    """The path is not a readable stnb snapshot (missing, foreign, damaged or of a newer version)."""


class SnapshotManifest:
    """The parsed `manifest.json` of a snapshot folder."""

    def __init__(self, root: Path, data: Mapping[str, Any]) -> None:
        self.root = root
        self.data = dict(data)
        self.created = str(data.get("created", ""))
        self.env = str(data.get("env", ""))
        self.timezone = str(data.get("timezone") or "UTC")
        self.quirks = str(data.get("quirks") or "all")
        self.resources: dict[str, dict[str, dict[str, Any]]] = {
            str(k): {str(kind): dict(v) for kind, v in kinds.items()}
            for k, kinds in data["resources"].items()
        }
        self.reporting: dict[str, Any] | None = data.get("reporting")
        self.capacity: dict[str, Any] | None = data.get("capacity")

    def extra(self, name: str) -> dict[str, Any] | None:
        """The parsed JSON of the manifest's `reporting` or `capacity` entry, or None when not recorded."""
        entry = self.data.get(name)
        if not isinstance(entry, dict):
            return None
        path = self.root / str(entry["file"])
        try:
            loaded = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise SnapshotError(f"{path} cannot be read: {exc}") from exc
        if not isinstance(loaded, dict):
            raise SnapshotError(f"{path} is damaged (not a JSON object)")
        return loaded

    def path_of(self, key: str, kind: str) -> Path | None:
        entry = self.resources.get(key, {}).get(kind)
        return self.root / str(entry["file"]) if entry else None

    def __repr__(self) -> str:
        return f"<stnb snapshot {self.root} env={self.env} resources={len(self.resources)}>"


def file_name(key: str, kind: str) -> str:
    """File of `crm/customers/{id}/notes`, list -> `crm__customers__id__notes.list.parquet`."""
    safe = key.replace("{", "").replace("}", "").replace("/", "__")
    return f"{safe}.{kind}.parquet"


def read_manifest(path: str | Path) -> SnapshotManifest:
    """The manifest of the snapshot at `path`; SnapshotError saying what is wrong otherwise."""
    root = Path(path).expanduser()
    if not root.exists():
        raise SnapshotError(f"no snapshot at {root}")
    if not root.is_dir():
        raise SnapshotError(
            f"{root} is not a snapshot: a snapshot is a folder written by `stnb sandbox record`"
        )
    manifest = root / MANIFEST
    try:
        data = json.loads(manifest.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise SnapshotError(f"{root} is not a snapshot: it has no {MANIFEST}") from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise SnapshotError(f"{manifest} cannot be read: {exc}") from exc
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise SnapshotError(f"{root} is not an stnb snapshot (its manifest has no format {FORMAT!r})")
    version = data.get("version")
    if not isinstance(version, int) or version > VERSION:
        raise SnapshotError(
            f"{root} has snapshot format version {version!r}; this stnb reads up to {VERSION}"
        )
    if not isinstance(data.get("resources"), dict):
        raise SnapshotError(f"{manifest} lists no resources")
    for key, kinds in data["resources"].items():
        if not isinstance(kinds, dict) or not all(
            isinstance(v, dict) and "file" in v for v in kinds.values()
        ):
            raise SnapshotError(f"{manifest}: the entry of {key!r} is damaged")
        for entry in kinds.values():
            if not (root / str(entry["file"])).is_file():
                raise SnapshotError(f"{root} is incomplete: {entry['file']} is missing")
    for name in ("reporting", "capacity"):
        entry = data.get(name)
        if entry is None:
            continue
        if not isinstance(entry, dict) or "file" not in entry:
            raise SnapshotError(f"{manifest}: the {name} entry is damaged")
        if not (root / str(entry["file"])).is_file():
            raise SnapshotError(f"{root} is incomplete: {entry['file']} is missing")
    return SnapshotManifest(root, data)


def records_frame(records: list[dict[str, Any]], fields: Mapping[str, FieldType]) -> pl.DataFrame:
    """Parsed JSON records as a table the sandbox serves: the documented fields, typed as the catalog says."""
    schema: dict[str, pl.DataType] = {}
    parsed: list[str] = []
    for name, ftype in fields.items():
        dtype = dtype_of(ftype)
        if dtype == DATETIME:
            parsed.append(name)
            dtype = pl.String()
        schema[name] = dtype
    rows = [{name: _stored(record.get(name), fields[name]) for name in schema} for record in records]
    frame = (
        pl.DataFrame(rows, schema=schema, strict=False, orient="row") if rows else pl.DataFrame(schema=schema)
    )
    if parsed:
        frame = frame.with_columns(
            pl.col(name).str.to_datetime(time_zone="UTC", time_unit="us", strict=False) for name in parsed
        )
    return frame


def _stored(value: Any, ftype: FieldType) -> Any:
    if ftype == "json" and value is not None and not isinstance(value, str):
        return json.dumps(value, separators=(",", ":"))
    if isinstance(ftype, dict) and "enum" in ftype and value is not None and not isinstance(value, str):
        return str(value)
    return value


class _SnapshotWorld(World):
    """A tenant whose records come from a snapshot's Parquet files (read on first use)."""

    def __init__(
        self, manifest: SnapshotManifest, env: str, catalog: Catalog, tenant_id: int, name: str
    ) -> None:
        self.manifest = manifest
        self.env = env
        self.catalog = catalog
        self.tenant_name = name
        self._tenant_id = tenant_id
        self._lock = threading.RLock()
        self.write_lock = threading.Lock()
        self._frames: dict[tuple[str, str], pl.DataFrame] = {}
        self._versions = {}

    @property
    def tenant_id(self) -> int:
        return self._tenant_id

    @property
    def timezone(self) -> str:
        return self.manifest.timezone

    @property
    def anchor(self) -> datetime:
        return datetime.fromisoformat(self.manifest.created) if self.manifest.created else datetime.now()

    @property
    def refresh_date(self) -> datetime:
        return self.anchor

    def base(self, table: str) -> pl.DataFrame:
        raise LookupError(f"a snapshot has no modelled table {table!r}")

    def resource_frame(self, resource: Resource, kind: str) -> pl.DataFrame:
        with self._lock:
            key = (resource.key, kind)
            frame = self._frames.get(key)
            if frame is None:
                frame = self._load(resource, kind)
                self._frames[key] = frame
            return frame

    def _load(self, resource: Resource, kind: str) -> pl.DataFrame:
        fields = resource.fields_for(kind)  # type: ignore[arg-type]
        for candidate in (kind, "list", "export"):
            path = self.manifest.path_of(resource.key, candidate)
            if path is None:
                continue
            try:
                stored = pl.read_parquet(path)
            except Exception as exc:  # a damaged file: say which
                raise SnapshotError(f"{path} cannot be read: {exc}") from exc
            return _fit(stored, fields)
        return records_frame([], fields)


PARENT = "_parent"  # a sub-list's column holding the parent id its records were listed under


def _fit(stored: pl.DataFrame, fields: Mapping[str, FieldType]) -> pl.DataFrame:
    """The stored table with exactly the columns of `fields` (an endpoint of another kind may have more),
    and a sub-list's parent column."""
    columns = []
    if PARENT in stored.columns:
        columns.append(stored[PARENT])
    for name, ftype in fields.items():
        dtype = dtype_of(ftype)
        if name in stored.columns:
            column = stored[name]
            columns.append(column if column.dtype == dtype else column.cast(dtype, strict=False))
        else:
            columns.append(pl.Series(name, [None] * stored.height, dtype=dtype))
    return pl.DataFrame(columns) if columns else stored


class _SnapshotEndpoints(Endpoints):
    def __init__(self, sandbox: Sandbox, manifest: SnapshotManifest) -> None:
        super().__init__(sandbox)
        self.manifest = manifest
        self._capacity: RecordedCapacity | None = None

    def world(self, env: str, tenant_id: int) -> World:
        with self._lock:
            world = self._worlds.get((env, tenant_id))
            if world is None:
                world = _SnapshotWorld(self.manifest, env, self.catalog, tenant_id, "snapshot")
                self._worlds[(env, tenant_id)] = world
            return world

    def parent_column(self, resource: Resource) -> str:
        return PARENT

    def reporting_service(self, world: World) -> ReportingService:
        from stnb.sandbox.recorded import RecordedReporting

        data = self.manifest.extra("reporting") or {}  # nothing recorded: no categories, 404 for reports
        sandbox = self.sandbox
        return RecordedReporting(
            world,
            data,
            clock=sandbox.clock,
            runs_per_minute=sandbox.report_runs_per_minute,
            still_running=lambda: sandbox.quirks.on("report-still-running"),
        )

    def capacity(self, world: World, request: SandboxRequest) -> SandboxResponse:
        from stnb.sandbox.recorded import RecordedCapacity

        with self._lock:
            if self._capacity is None:  # nothing recorded: every query answers no frames
                self._capacity = RecordedCapacity(self.manifest.extra("capacity") or {})
        return self._capacity.answer(request.body, self.sandbox.quirks, self.sandbox.clock.utcnow())


class _SnapshotSandbox(Sandbox):
    """A Sandbox whose tenants all hold the snapshot's records."""

    manifest: SnapshotManifest

    def _get_endpoints(self) -> Endpoints:
        if self._endpoints is None:
            with self._lock:
                if self._endpoints is None:
                    self._endpoints = _SnapshotEndpoints(self, self.manifest)
        return self._endpoints

    def __repr__(self) -> str:
        return f"<stnb.Sandbox snapshot={self.manifest.root} seed={self.seed} url={self.url}>"


def snapshot_sandbox(
    path: str | Path, seed: int = 0, quirks: str | Quirks | None = None, **options: Any
) -> Sandbox:
    """A sandbox serving the snapshot at `path` (SnapshotError if it is not one); `options` go to `Sandbox`
    (rate_limit, faults, latency_ms, clock ...); `quirks` defaults to the manifest's."""
    manifest = read_manifest(path)
    sandbox = _SnapshotSandbox(seed=seed, quirks=quirks if quirks is not None else manifest.quirks, **options)
    sandbox.manifest = manifest
    return sandbox


_cached: dict[str, Sandbox] = {}
_cache_lock = threading.Lock()


def snapshot_from_environment() -> Sandbox | None:
    """The snapshot `STNB_SANDBOX` names, served in-process (one sandbox per path), or None when unset."""
    text = os.environ.get(ENV_VAR, "").strip()
    if not text:
        return None
    with _cache_lock:
        sandbox = _cached.get(text)
        if sandbox is None:
            sandbox = snapshot_sandbox(text)
            _cached[text] = sandbox
        return sandbox

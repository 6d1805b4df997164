"""Generate `stnb/catalog/catalog.json` from ServiceTitan's official OpenAPI documents.

Refreshing the catalog: download the new documents from the developer portal into a new dated
folder next to the old ones (for example `../shared/servicetitan-specs/2026-09/`, file names as the
portal gives them), run `python scripts/generate_catalog.py`, read the diff of `catalog.json` (new
resources, renamed filters, changed field types and the `skipped` list), run the tests and commit.
For every API the newest folder that has its document wins, so older folders keep filling gaps until
ServiceTitan publishes a replacement. `--check` (used by the tests) exits 1 when the committed file
is stale.

What the catalog holds and how keys are chosen:
- Only GET endpoints: page-based lists (envelope "page"), bare-array lists ("array"), lists wrapped in
  `{data}` without paging fields ("data"), export feeds ("export") and single-record gets (path ends
  with an id parameter; "bare", or "data" for a record wrapped in `{data}`). File downloads, singleton
  objects and responses without a schema are listed under `skipped` with the reason and a `kind`
  (singletons with their fields, so the sandbox can answer them).
- A resource key is `<module>/<path after tenant/{tenant}>` without `export` and without the record
  id: `/jpm/v2/tenant/{tenant}/jobs`, `.../jobs/{id}` and `.../export/jobs` all belong to `jpm/jobs`.
  Sub-lists that need parent ids keep them in the key as `{id}` (`crm/customers/{id}/contacts`,
  `crm/contacts/{id}/contact-methods/{id}/preferences`) and name the real path parameters in the
  endpoint's `parent_params`. A second path of the same kind for one resource (`sales/estimates/export`
  next to `sales/export/estimates`) becomes its own resource keyed by its path.
- When one resource exists in two API versions (telecom `calls` in v2 and v3), the version with
  more of list/export/get keeps the plain key (`telecom/calls`, the v2 one: list, export and get,
  with richer nested items); the other is keyed with its version (`telecom/v3/calls`). On a tie the
  newer version keeps the plain key.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import re
import sys
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml  # type: ignore[import-untyped]

Json = dict[str, Any]
FieldType = str | dict[str, Any]

REPO_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_SPECS = REPO_ROOT.parent / "shared" / "servicetitan-specs"
DEFAULT_OUT = REPO_ROOT / "stnb" / "catalog" / "catalog.json"
FORMAT_VERSION = 1
OPAQUE = "x-stnb-opaque"  # marks a schema with several alternatives, typed as "json"
MAX_DEPTH = 4  # nesting levels of lists/structs kept typed; deeper values become "json"

TENANT_PATH = re.compile(r"^/(?P<module>[^/]+)/(?P<version>v\d+)/tenant/\{tenant\}/(?P<tail>.+)$")
VALUES_LIST = re.compile(r"Values:\s*\[([^\]]*)\]")
SORT_FIELDS = re.compile(
    r"(?:Available fields are|Applicable fields|Options|possible values)\s*:\s*([^\n]*)", re.IGNORECASE
)
FIELD_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9]*$")
PARAM_SEGMENT = re.compile(r"^\{([^}]+)\}$")

# Accounting sends amounts as JSON strings; these names (and *Amount / *Total) are money there.
MONEY_NAMES = frozenset(
    [
        "total",
        "subTotal",
        "salesTax",
        "balance",
        "price",
        "cost",
        "totalCost",
        "unappliedAmount",
        "appliedAmount",
        "discountTotal",
        "memberPrice",
        "amount",
    ]
)
DECIMAL_STRING_NAMES = frozenset({"quantity"})
MONEY_MODULES = frozenset({"accounting"})
KIND_ORDER = ("list", "export", "get")


class SpecError(Exception):
    """A document that cannot be read or that contradicts another one."""


# ---------------------------------------------------------------------------------------------
# Documents


@dataclass
class Document:
    """One OpenAPI (3.x) or Swagger (2.0) document and the URL prefix of its paths."""

    file: str  # relative to the specs folder, with forward slashes
    sha256: str
    data: Json
    prefix: str  # "/jpm/v2"; "/telecom" for telecom, whose paths carry the version

    @property
    def swagger2(self) -> bool:
        return "swagger" in self.data

    def resolve(self, node: Any) -> Any:
        """Follow `$ref` chains to the referenced node."""
        seen: set[str] = set()
        while isinstance(node, dict) and isinstance(node.get("$ref"), str):
            ref = node["$ref"]
            if ref in seen:
                raise SpecError(f"{self.file}: circular $ref {ref}")
            seen.add(ref)
            node = self.pointer(ref)
        return node

    def pointer(self, ref: str) -> Any:
        if not ref.startswith("#/"):
            raise SpecError(f"{self.file}: external $ref {ref!r} is not supported")
        node: Any = self.data
        for raw in ref[2:].split("/"):
            key = raw.replace("~1", "/").replace("~0", "~")
            if not isinstance(node, dict) or key not in node:
                raise SpecError(f"{self.file}: dangling $ref {ref!r}")
            node = node[key]
        return node


def document_id(path: Path) -> str:
    """`tenant-jpm-v2.yml` and `tenant-jpm-v2.json` name the same API; telecom has no `-v2`."""
    return re.sub(r"-v\d+$", "", path.stem)


def snapshot_files(specs: Path) -> list[Path]:
    """The newest document of every API: dated folders are scanned newest first."""
    chosen: dict[str, Path] = {}
    folders = sorted((p for p in specs.iterdir() if p.is_dir()), key=lambda p: p.name, reverse=True)
    for folder in folders:
        for path in sorted(folder.iterdir()):
            if path.suffix in (".json", ".yml", ".yaml"):
                chosen.setdefault(document_id(path), path)
    if not chosen:
        raise SpecError(f"no OpenAPI documents under {specs}")
    return sorted(chosen.values())


def load_document(specs: Path, path: Path) -> Document:
    raw = path.read_bytes()
    if path.suffix == ".json":
        data = json.loads(raw)
    else:
        data = yaml.load(raw, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    if not isinstance(data, dict) or "paths" not in data:
        raise SpecError(f"{path}: not an OpenAPI document")
    if "swagger" in data:
        prefix = str(data.get("basePath", ""))
    else:
        servers = data.get("servers") or [{"url": ""}]
        prefix = re.sub(r"^[a-z]+://[^/]+", "", str(servers[0]["url"]))
    return Document(
        file=path.relative_to(specs).as_posix(),
        sha256=hashlib.sha256(raw).hexdigest(),
        data=data,
        prefix=prefix.rstrip("/"),
    )


# ---------------------------------------------------------------------------------------------
# Types


def _schema_type(schema: Mapping[str, Any]) -> str | None:
    """The JSON type, ignoring OpenAPI 3.1's `"null"` member of a type list."""
    kind = schema.get("type")
    if isinstance(kind, list):
        kinds = [k for k in kind if k != "null"]
        return str(kinds[0]) if len(kinds) == 1 else None
    return str(kind) if kind is not None else None


def flatten(doc: Document, schema: Any) -> Json:
    """Resolve `$ref` and single-member `oneOf`/`anyOf`/`allOf` wrappers; merge multi-member `allOf`."""
    node = doc.resolve(schema)
    if not isinstance(node, dict):
        return {}
    out = {k: v for k, v in node.items() if k not in ("oneOf", "anyOf", "allOf")}
    for combo in ("allOf", "oneOf", "anyOf"):
        members = [m for m in node.get(combo, []) if _schema_type(doc.resolve(m)) != "null"]
        if not members:
            continue
        if combo != "allOf" and len(members) > 1:
            return {OPAQUE: True}
        for member in members:
            inner = flatten(doc, member)
            props = {**inner.get("properties", {}), **out.get("properties", {})}
            required = [*inner.get("required", []), *out.get("required", [])]
            out = {**inner, **out}
            if props:
                out["properties"] = props
            if required and combo == "allOf":  # every member's required fields stay required
                out["required"] = list(dict.fromkeys(required))
            if "enum" in inner:
                out["enum"] = inner["enum"]
    return out


def scalar_type(schema: Mapping[str, Any]) -> str:
    """Map an OpenAPI scalar to the catalog's scalar names."""
    kind, fmt = _schema_type(schema), schema.get("format")
    if kind == "integer":
        return "int32" if fmt == "int32" else "int64"
    if kind == "number":
        return "float64"
    if kind == "boolean":
        return "bool"
    if kind == "string":
        if fmt == "date-time":
            return "datetime"
        if fmt == "date":
            return "date"
        return "string"
    return "json"


def string_kind(name: str) -> str | None:
    """Money or decimal-as-string for accounting's string-typed amounts, else None."""
    if name in MONEY_NAMES or name.endswith(("Amount", "Total")):
        return "money"
    if name in DECIMAL_STRING_NAMES:
        return "decimal_string"
    return None


@dataclass
class FieldConverter:
    """Turns item schemas into the catalog's field-type language."""

    doc: Document
    money: bool  # the module sends amounts as strings
    _stack: list[str] = field(default_factory=list)
    int_enums: dict[str, list[int]] = field(default_factory=dict)  # top-level integer enums

    def fields(self, schema: Any) -> dict[str, FieldType]:
        node = flatten(self.doc, schema)
        return {
            name: self.convert(prop, 1, name) for name, prop in sorted(node.get("properties", {}).items())
        }

    def convert(self, schema: Any, depth: int, name: str) -> FieldType:
        ref = schema.get("$ref") if isinstance(schema, dict) else None
        if ref is not None and ref in self._stack:
            return "json"  # self-referencing schema (a tree)
        if ref is not None:
            self._stack.append(ref)
        try:
            return self._convert(flatten(self.doc, schema), depth, name)
        finally:
            if ref is not None:
                self._stack.pop()

    def _convert(self, node: Json, depth: int, name: str) -> FieldType:
        if node.get(OPAQUE):
            return "json"
        kind = _schema_type(node)
        if "enum" in node and kind in (None, "string"):
            return {"enum": [str(v) for v in node["enum"] if v is not None]}
        if "enum" in node and kind == "integer" and depth == 1:
            self.int_enums[name] = [int(v) for v in node["enum"] if v is not None]
        if kind == "array":
            if depth > MAX_DEPTH:
                return "json"
            return {"list": self.convert(node.get("items", {}), depth + 1, name)}
        if kind == "object" or (kind is None and "properties" in node):
            props = node.get("properties")
            if not props or depth > MAX_DEPTH:
                return "json"
            return {"struct": {k: self.convert(v, depth + 1, k) for k, v in sorted(props.items())}}
        scalar = scalar_type(node)
        if scalar == "string" and self.money and node.get("format") is None:
            return string_kind(name) or scalar
        return scalar


# ---------------------------------------------------------------------------------------------
# Parameters


def param_entry(doc: Document, param: Json) -> Json:
    """A query parameter as `{"type", "enum"?, "array"?, "map"?, "required"?}`."""
    schema = flatten(doc, param.get("schema", param))  # Swagger 2.0 puts the type on the parameter
    entry: Json = {}
    kind = _schema_type(schema)
    if kind == "array":
        entry["array"] = True
        schema = flatten(doc, schema.get("items", {}))
        kind = _schema_type(schema)
    if kind == "object":
        entry["map"] = True  # name-value pairs such as customField.Fields
        entry["type"] = "string"
    else:
        scalar = scalar_type(schema)
        entry["type"] = "string" if scalar == "json" else scalar
    enum = [str(v) for v in schema.get("enum", []) if v is not None]
    if not enum:
        match = VALUES_LIST.search(str(param.get("description", "")))
        if match:
            enum = [v.strip() for v in match.group(1).split(",") if v.strip()]
    if enum:
        entry["enum"] = enum
    if param.get("required"):
        entry["required"] = True
    return dict(sorted(entry.items()))


def sort_fields(description: str) -> list[str]:
    """Field names from a `sort` parameter's description ("Available fields are: Id, ModifiedOn.")."""
    match = SORT_FIELDS.search(description.replace("\\", ""))
    if not match:
        return []
    names = [part.strip().rstrip(".").strip() for part in match.group(1).split(",")]
    return [n for n in names if FIELD_NAME.match(n)]


def operation_params(doc: Document, path_item: Json, op: Json) -> list[Json]:
    params = [doc.resolve(p) for p in [*path_item.get("parameters", []), *op.get("parameters", [])]]
    by_key = {(p["in"], p["name"]): p for p in params}  # operation-level ones override
    return list(by_key.values())


# ---------------------------------------------------------------------------------------------
# Endpoints


@dataclass
class Candidate:
    """One GET operation classified as a list, export or get of a resource."""

    doc: Document
    module: str
    version: str
    segments: tuple[str, ...]  # resource path after tenant/{tenant}, params normalised to {id}
    kind: str
    body: Json
    item_schema: Any
    literal: tuple[str, ...] = ()  # the path's own segments after tenant/{tenant}

    @property
    def name(self) -> str:
        return "/".join(self.segments)


@dataclass
class Skip:
    """A GET the catalog does not hold as a resource, with why; `kind` tells the sandbox how to answer:
    "download" (a file), "singleton" (one object, described by `fields`) or "undocumented" (no schema)."""

    path: str
    reason: str
    kind: str = "duplicate"
    path_params: list[str] = field(default_factory=list)
    params: Json = field(default_factory=dict)
    fields: dict[str, FieldType] | None = None
    schema: str | None = None
    value: FieldType | None = None  # a singleton that is not an object (e.g. one technician id)

    def to_json(self) -> Json:
        out: Json = {"kind": self.kind, "path": self.path, "reason": self.reason}
        if self.path_params:
            out["path_params"] = self.path_params
        if self.params:
            out["params"] = self.params
        if self.fields is not None:
            out["fields"] = self.fields
        if self.schema is not None:
            out["schema"] = self.schema
        if self.value is not None:
            out["value"] = self.value
        return out


def response_schema(doc: Document, op: Json) -> Any:
    responses = op.get("responses", {})
    response = doc.resolve(responses.get("200") or responses.get("201") or {})
    if doc.swagger2:
        return response.get("schema")
    content = response.get("content", {})
    for media in ("application/json", "text/json", *sorted(content)):
        if media in content:
            return content[media].get("schema")
    return None


def envelope(doc: Document, schema: Any) -> tuple[str, Any] | str:
    """("page"|"export"|"array"|"data"|"record"|"bare", item schema) for a 200 response, or why it
    holds no records. "data": a list wrapped in `{data}` without paging fields; "record": one record
    wrapped in `{data}`."""
    if schema is None:
        return "the document gives no schema for a 200 response"
    node = flatten(doc, schema)
    kind = _schema_type(node)
    if kind == "array":
        return "array", node.get("items", {})
    if kind == "string" or (kind is None and "properties" not in node):
        return "the response is not a JSON object (a file download)"
    props = node.get("properties", {})
    data = flatten(doc, props["data"]) if "data" in props else {}
    if _schema_type(data) == "array":
        if {"hasMore", "continueFrom"} <= props.keys():
            return "export", data.get("items", {})
        if {"page", "pageSize", "hasMore"} <= props.keys():
            return "page", data.get("items", {})
        return "data", data.get("items", {})
    if props.keys() == {"data"}:
        return "record", props["data"]
    return "bare", schema


def schema_name(doc: Document, schema: Any) -> str | None:
    """The component name an item schema refers to (through one-member wrappers)."""
    node = schema
    while isinstance(node, dict):
        ref = node.get("$ref")
        if isinstance(ref, str):
            return ref.rsplit("/", 1)[-1]
        members = node.get("allOf") or node.get("oneOf") or node.get("anyOf") or []
        if len(members) != 1:
            return None
        node = members[0]
    return None


def _download_reason(op: Json) -> str | None:
    """Why a GET answers a file rather than JSON (a 302 to the file, or an undocumented body)."""
    responses = op.get("responses", {})
    if "302" in responses:
        return "a file download (the API answers 302 to the file)"
    return None


def classify(doc: Document, path: str, path_item: Json) -> Candidate | Skip:
    full = doc.prefix + path
    op = path_item["get"]
    match = TENANT_PATH.match(full)
    if not match:
        return Skip(full, "not a tenant-scoped path")
    segments = match["tail"].split("/")
    params = [m[1] for m in map(PARAM_SEGMENT.match, segments) if m]
    query = [p for p in operation_params(doc, path_item, op) if p.get("in") == "query"]
    entry_params = {p["name"]: param_entry(doc, p) for p in sorted(query, key=lambda p: p["name"])}
    download = _download_reason(op)
    if download is not None:
        return Skip(full, download, "download", params, entry_params)
    schema = response_schema(doc, op)
    found = envelope(doc, schema)
    if isinstance(found, str):
        if schema is None and not {"page", "pageSize"} & entry_params.keys():
            found = "the document gives no schema for a 200 response (a file download)"
        kind = "download" if "file download" in found else "undocumented"
        return Skip(full, found, kind, params, entry_params)
    shape, item = found
    if shape in ("page", "array", "data", "export") and _schema_type(flatten(doc, item)) == "array":
        reason = "rows of values under a header (`fields`), not records (the Reporting API's data)"
        return Skip(full, reason, "rows", params, entry_params)
    is_export = "export" in segments
    if shape == "export" or is_export:
        if shape != "export":
            return Skip(full, "an export path without an export envelope", "undocumented", params)
        kind, resource = "export", [s for s in segments if s != "export"]
    elif shape in ("page", "array", "data"):
        kind, resource = "list", segments
    elif PARAM_SEGMENT.match(segments[-1]):
        kind, resource = "get", segments[:-1]
    else:
        converter = FieldConverter(doc, money=match["module"] in MONEY_MODULES)
        value = converter.convert(schema, 1, segments[-1])
        fields = converter.fields(schema) if isinstance(value, dict) and "struct" in value else None
        reason = (
            "a single object per parent record (a singleton), not a list or a record by id"
            if params
            else "a single object (a singleton, e.g. settings), not a list or a record by id"
        )
        skip = Skip(full, reason, "singleton", params, entry_params, fields, schema_name(doc, schema))
        skip.value = None if fields is not None else value
        return skip
    parents = [m[1] for m in map(PARAM_SEGMENT.match, resource) if m]
    body: Json = {"envelope": "data" if shape == "record" else shape, "method": "GET", "path": full}
    if shape == "data":
        props = flatten(doc, schema).get("properties", {})
        converter = FieldConverter(doc, money=match["module"] in MONEY_MODULES)
        wrapper = {k: converter.convert(v, 1, k) for k, v in sorted(props.items()) if k != "data"}
        if wrapper:
            body["wrapper"] = wrapper  # the envelope's fields besides `data` (e.g. totalCount)
    if kind == "get":
        body["id_param"] = params[-1]
    if parents:
        body["parent_params"] = parents
    body["params"] = entry_params
    sort_param = next((p for p in query if p["name"] == "sort"), None)
    if sort_param is not None:
        sort = sort_fields(str(sort_param.get("description", "")))
        if sort:
            body["sort"] = sort
    name = schema_name(doc, item)
    if name is not None:
        body["schema"] = name
    normalised = tuple("{id}" if PARAM_SEGMENT.match(s) else s for s in resource)
    return Candidate(doc, match["module"], match["version"], normalised, kind, body, item, tuple(segments))


def get_operations(doc: Document) -> Iterator[tuple[str, Json]]:
    for path, item in sorted(doc.data["paths"].items()):
        if isinstance(item, dict) and "get" in item:
            yield path, item


# ---------------------------------------------------------------------------------------------
# Resources


def version_number(version: str) -> int:
    return int(version.lstrip("v"))


def merge_fields(
    resource_fields: dict[str, FieldType] | None, fields: dict[str, FieldType]
) -> dict[str, FieldType]:
    """The resource's fields after one more endpoint's items; items that only add or lack `active` fit."""
    if resource_fields is None:
        return fields
    without_active = {k: v for k, v in fields.items() if k != "active"}
    base_without_active = {k: v for k, v in resource_fields.items() if k != "active"}
    if without_active == base_without_active and fields.get("active") == "bool":
        return dict(sorted({**resource_fields, "active": "bool"}.items()))
    return resource_fields


def build_resource(key: str, group: list[Candidate], skipped: list[Skip]) -> Json:
    first = group[0]
    resource: Json = {
        "key": key,
        "module": first.module,
        "version": first.version,
        "name": key.split("/", 1)[1],
        "source": first.doc.file,
    }
    by_kind: dict[str, Candidate] = {}
    for cand in sorted(group, key=lambda c: (c.kind, "/export/" not in c.body["path"], c.body["path"])):
        if cand.kind in by_kind:
            skipped.append(Skip(cand.body["path"], f"duplicate {cand.kind} of {key}"))
            continue
        by_kind[cand.kind] = cand
    fields: dict[str, FieldType] | None = None
    item_fields: dict[str, dict[str, FieldType]] = {}
    item_required: dict[str, list[str]] = {}
    int_enums: dict[str, list[int]] = {}
    for kind in KIND_ORDER:
        if kind not in by_kind:
            continue
        cand = by_kind[kind]
        converter = FieldConverter(cand.doc, money=cand.module in MONEY_MODULES)
        item_fields[kind] = converter.fields(cand.item_schema)
        item_required[kind] = required_fields(cand.doc, cand.item_schema, item_fields[kind])
        int_enums.update(converter.int_enums)
        fields = merge_fields(fields, item_fields[kind])
    resource["fields"] = fields or {}
    first_kind = next((k for k in KIND_ORDER if k in by_kind), None)
    resource["required"] = item_required[first_kind] if first_kind is not None else []
    if int_enums:
        resource["int_enums"] = dict(sorted(int_enums.items()))
    for kind, cand in by_kind.items():
        body = dict(cand.body)
        if item_fields[kind] != resource["fields"]:
            body["fields"] = item_fields[kind]  # e.g. list items without the export's `active`
        if item_required[kind] != resource["required"]:
            body["required"] = item_required[kind]  # e.g. the jobs export also requires `active`
        resource[kind] = dict(sorted(body.items()))
    return resource


def required_fields(doc: Document, schema: Any, fields: Mapping[str, FieldType]) -> list[str]:
    """The item schema's `required` list (top-level fields only), sorted; no list means none required."""
    node = flatten(doc, schema)
    names = node.get("required") or []
    return sorted({str(n) for n in names if str(n) in fields})


def assign_keys(candidates: list[Candidate]) -> dict[str, list[Candidate]]:
    """Group candidates into resources; a resource in two versions gets one plain and one versioned key."""
    by_name: dict[tuple[str, str], dict[str, list[Candidate]]] = {}
    for cand in candidates:
        by_name.setdefault((cand.module, cand.name), {}).setdefault(cand.version, []).append(cand)
    groups: dict[str, list[Candidate]] = {}
    for (module, name), versions in sorted(by_name.items()):
        ranked = sorted(
            versions.items(),
            key=lambda kv: (len({c.kind for c in kv[1]}), version_number(kv[0])),
            reverse=True,
        )
        for index, (version, group) in enumerate(ranked):
            key = f"{module}/{name}" if index == 0 else f"{module}/{version}/{name}"
            kept, extra = _split_duplicates(group)
            groups[key] = kept
            for cand in extra:  # a second path for the same kind: its own resource, keyed by its path
                literal = "/".join("{id}" if PARAM_SEGMENT.match(s) else s for s in cand.literal)
                groups.setdefault(f"{module}/{literal}", []).append(cand)
    return groups


def _split_duplicates(group: list[Candidate]) -> tuple[list[Candidate], list[Candidate]]:
    """One candidate per kind (an `/export/<name>` path wins over `<name>/export`), and the others."""
    kept: dict[str, Candidate] = {}
    extra: list[Candidate] = []
    for cand in sorted(group, key=lambda c: (c.kind, "/export/" not in c.body["path"], c.body["path"])):
        if cand.kind in kept:
            extra.append(cand)
        else:
            kept[cand.kind] = cand
    return list(kept.values()), extra


def build_catalog(specs: Path) -> Json:
    """The catalog (as JSON-ready data) for the documents under `specs`."""
    documents = [load_document(specs, path) for path in snapshot_files(specs)]
    candidates: list[Candidate] = []
    skipped: list[Skip] = []
    for doc in documents:
        for path, item in get_operations(doc):
            result = classify(doc, path, item)
            if isinstance(result, Skip):
                skipped.append(result)
            else:
                candidates.append(result)
    owners: dict[str, str] = {}
    for cand in candidates:
        owner = owners.setdefault(cand.module, cand.doc.file)
        if owner != cand.doc.file:
            raise SpecError(f"module {cand.module!r} is served by both {owner} and {cand.doc.file}")
    resources = [build_resource(key, group, skipped) for key, group in assign_keys(candidates).items()]
    return {
        "version": FORMAT_VERSION,
        "sources": [{"file": d.file, "sha256": d.sha256} for d in sorted(documents, key=lambda d: d.file)],
        "resources": sorted(resources, key=lambda r: r["key"]),
        "skipped": [s.to_json() for s in sorted(skipped, key=lambda s: (s.path, s.reason))],
    }


def render(catalog: Mapping[str, Any]) -> str:
    return json.dumps(catalog, indent=1, sort_keys=True, ensure_ascii=False) + "\n"


# ---------------------------------------------------------------------------------------------
# Command line


def diff_summary(old_text: str, new: Mapping[str, Any]) -> list[str]:
    """What changed between the committed catalog and a fresh one, one line per item."""
    try:
        old = json.loads(old_text) if old_text else {}
    except json.JSONDecodeError:
        return ["the committed file is not valid JSON"]
    lines: list[str] = []
    old_sources = {s["file"]: s["sha256"] for s in old.get("sources", [])}
    new_sources = {s["file"]: s["sha256"] for s in new["sources"]}
    for file in sorted(old_sources.keys() | new_sources.keys()):
        if old_sources.get(file) != new_sources.get(file):
            lines.append(f"source {file}: {'removed' if file not in new_sources else 'new or changed'}")
    old_res = {r["key"]: r for r in old.get("resources", [])}
    new_res = {r["key"]: r for r in new["resources"]}
    for key in sorted(old_res.keys() | new_res.keys()):
        if key not in new_res:
            lines.append(f"resource {key}: removed")
        elif key not in old_res:
            lines.append(f"resource {key}: added")
        elif old_res[key] != new_res[key]:
            parts = sorted(
                k
                for k in old_res[key].keys() | new_res[key].keys()
                if old_res[key].get(k) != new_res[key].get(k)
            )
            lines.append(f"resource {key}: {', '.join(parts)} changed")
    if old.get("skipped") != new["skipped"]:
        lines.append("the skipped list changed")
    if not lines:
        lines.append("formatting differs (same content)")
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--specs", type=Path, default=DEFAULT_SPECS, help="folder of dated spec folders")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="catalog file to write or check")
    parser.add_argument("--check", action="store_true", help="exit 1 if --out is stale")
    args = parser.parse_args(argv)
    try:
        catalog = build_catalog(args.specs)
    except (OSError, SpecError, ValueError, yaml.YAMLError) as exc:
        print(f"generate_catalog: {exc}", file=sys.stderr)
        return 2
    text = render(catalog)
    if args.check:
        old = args.out.read_text(encoding="utf-8") if args.out.exists() else ""
        if old == text:
            print(f"{args.out} is up to date")
            return 0
        print(f"{args.out} is stale; regenerate with scripts/generate_catalog.py", file=sys.stderr)
        for line in diff_summary(old, catalog):
            print(f"  {line}", file=sys.stderr)
        return 1
    args.out.write_text(text, encoding="utf-8")
    print(f"wrote {args.out} ({len(text) // 1024} KiB)")
    return 0


if __name__ == "__main__":
    sys.exit(main())

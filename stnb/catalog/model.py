"""The catalog's typed view over `catalog.json`.

File format (version 1), written by `scripts/generate_catalog.py`:

{
  "version": 1,
  "sources": [{"file": "2025-05/tenant-jpm-v2.json", "sha256": "..."}],
  "resources": [
    {
      "key": "jpm/jobs",                 # "<module>/<resource path without tenant prefix and ids>"
      "module": "jpm",                   # URL slug, exactly as in the path
      "version": "v2",
      "name": "jobs",
      "source": "2025-05/tenant-jpm-v2.json",
      "fields": {"id": "int64", "jobStatus": {"enum": ["Scheduled", ...]}, "customFields":
                 {"list": {"struct": {"typeId": "int64", "name": "string", "value": "string"}}}},
      "list":   {"method": "GET", "path": "/jpm/v2/tenant/{tenant}/jobs", "envelope": "page",
                 "params": {"page": {"type": "int32"}, "jobStatus": {"type": "string",
                            "enum": ["Scheduled", ...]}, ...},
                 "sort": ["Id", "ModifiedOn", "CreatedOn", "Priority"], "schema": "Jpm.V2.JobResponse"},
      "export": {... "envelope": "export", "path": "/jpm/v2/tenant/{tenant}/export/jobs", "fields": {...}},
      "get":    {... "envelope": "bare", "path": "/jpm/v2/tenant/{tenant}/jobs/{id}", "id_param": "id"}
    },
    {
      "key": "crm/customers/{id}/contacts",  # a sub-list: the parent id stays in the key as {id}
      "name": "customers/{id}/contacts",
      "list": {... "path": "/crm/v2/tenant/{tenant}/customers/{id}/contacts", "parent_params": ["id"]}
    }
  ],
  "skipped": [{"kind": "singleton", "path": "/dispatch/v2/tenant/{tenant}/business-hours",
               "reason": "...", "fields": {...}, "schema": "Dispatch.V2.BusinessHourModel"}]
}

A resource's `name` is its key without the module. When a resource exists in two API versions, the
version with more of list/export/get keeps the plain key and the other is keyed `<module>/<version>/
<name>` (`telecom/calls` is v2, `telecom/v3/calls` is v3). `parent_params` name the path parameters
the caller must supply besides `{tenant}` (and `id_param` for gets), in path order: one for most
sub-lists, two for `crm/contacts/{id}/contact-methods/{id}/preferences`; `Endpoint.parent_param` is the
innermost one. Query parameters: `type` is a scalar name below (never "json" or "money"); `enum` lists
known values; `array: true` means the parameter takes several values; `map: true` means name-value
pairs (`customField.Fields`); `required: true`.
`sort` lists the fields the document names for `?sort=+Field`/`-Field` (absent when it names none,
even if the `sort` parameter exists). `schema` is the item schema's name in the source document.
Resource `fields` come from the list item schema (else export, else get), plus `active` when another
endpoint's items add only that; an endpoint whose items differ from the resource's fields carries its own
`fields` (the `jpm/jobs` list and get: the export's fields without `active`), so use `fields_for(kind)`.

`required` lists the item schema's required fields (top level only, sorted; from the list item schema,
else export, else get); an endpoint whose item schema requires other fields carries its own `required`
(the `jpm/jobs` export also requires `active`), so use `required_for(kind)`. A schema without a `required`
list gives `[]` (OpenAPI: every field optional). A catalog without the key (older files, hand-built
resources) gives None: unknown.

`int_enums` names top-level integer fields whose document lists their values (`{"leadType": [1, 2, 3, 4]}`);
their type stays "int32"/"int64".

Field types: scalars "int32" "int64" "float64" "bool" "string" "datetime" "date" "money" (a decimal
amount sent as a JSON string, as accounting does) "decimal_string" (a non-money decimal sent as a
string) "json" (anything else); compounds {"enum": [values]} (a string with known values),
{"list": T}, {"struct": {name: T}}. Envelopes: "page" ({page,pageSize,hasMore,totalCount,data}),
"export" ({hasMore,continueFrom,data}), "array" (a bare JSON list), "data" (a list without paging
fields wrapped in {data}, whose other fields `wrapper` types, e.g. totalCount; for a get, one record
wrapped in {data}), "bare" (one object).
When one path exists twice for one kind (`sales/v2/.../export/estimates` and `.../estimates/export`), the
second is its own resource keyed by its path (`sales/estimates/export`).

`skipped` lists the GET paths that are not resources, with a `reason` and a `kind`: "download" (a file),
"singleton" (one object, not a list or a record by id: settings, per-record summaries; its `fields` or,
for a scalar, its `value` type), "rows" (value rows under a header, the Reporting API's dynamic value
sets) or "undocumented" (no response schema). `Catalog.skipped` holds them.
"""

from __future__ import annotations

import difflib
import functools
import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from importlib import resources as importlib_resources
from pathlib import Path
from typing import Any, Literal, TypeAlias

from stnb.errors import UsageError, UsageTypeError

__all__ = [
    "Catalog",
    "Endpoint",
    "FieldType",
    "Param",
    "Resource",
    "Skipped",
    "UnknownResourceError",
    "load_catalog",
]

FieldType: TypeAlias = str | dict[str, Any]
EndpointKind = Literal["list", "export", "get"]
PAGING_PARAMS = frozenset({"page", "pageSize", "includeTotal"})


class UnknownResourceError(UsageError, LookupError):
    """A resource name that is not in the catalog; `suggestions` holds the closest valid names.

    A `stnb.errors.UsageError` (so also a `StnbError` and a `ValueError`) and a `LookupError`."""

    def __init__(self, name: str, suggestions: list[str], reason: str = "") -> None:
        self.name = name
        self.suggestions = suggestions
        hint = f" Did you mean: {', '.join(suggestions)}?" if suggestions else ""
        super().__init__(f"Unknown resource {name!r}.{(' ' + reason) if reason else ''}{hint}")


@dataclass(frozen=True, slots=True)
class Param:
    name: str
    type: str  # "int32" | "int64" | "float64" | "bool" | "string" | "datetime" | "date"
    enum: tuple[str, ...] | None = None
    required: bool = False
    array: bool = False  # takes several values
    map: bool = False  # takes name-value pairs, e.g. customField.Fields

    @classmethod
    def from_json(cls, name: str, data: Mapping[str, Any]) -> Param:
        enum = data.get("enum")
        return cls(
            name=name,
            type=str(data.get("type", "string")),
            enum=tuple(enum) if enum else None,
            required=bool(data.get("required", False)),
            array=bool(data.get("array", False)),
            map=bool(data.get("map", False)),
        )


@dataclass(frozen=True, slots=True)
class Endpoint:
    kind: EndpointKind
    method: str
    path: str  # "/jpm/v2/tenant/{tenant}/jobs/{id}"
    envelope: str  # "page" | "export" | "array" | "data" | "bare"
    params: Mapping[str, Param] = field(default_factory=dict)  # query parameters only
    sort: tuple[str, ...] = ()
    schema: str | None = None
    id_param: str | None = None  # "get" endpoints: the path parameter holding the record id
    fields: Mapping[str, FieldType] | None = None  # when different from the resource's fields
    parent_params: tuple[str, ...] = ()  # sub-lists: path parameters the caller must supply
    wrapper: Mapping[str, FieldType] | None = None  # "data" lists: the envelope's other fields
    required: tuple[str, ...] | None = None  # when different from the resource's required fields

    @property
    def parent_param(self) -> str | None:
        """The innermost parent path parameter (the only one for most sub-lists), or None."""
        return self.parent_params[-1] if self.parent_params else None

    @property
    def filters(self) -> dict[str, Param]:
        """Query parameters other than paging ones."""
        return {k: v for k, v in self.params.items() if k not in PAGING_PARAMS}

    @property
    def supports_active(self) -> bool:
        return "active" in self.params

    @classmethod
    def from_json(cls, kind: EndpointKind, data: Mapping[str, Any]) -> Endpoint:
        return cls(
            kind=kind,
            method=str(data.get("method", "GET")),
            path=str(data["path"]),
            envelope=str(data.get("envelope", "bare")),
            params={k: Param.from_json(k, v) for k, v in data.get("params", {}).items()},
            sort=tuple(data.get("sort", ())),
            schema=data.get("schema"),
            id_param=data.get("id_param"),
            fields=data.get("fields"),
            parent_params=tuple(data.get("parent_params", ())),
            wrapper=data.get("wrapper"),
            required=tuple(data["required"]) if data.get("required") is not None else None,
        )


@dataclass(frozen=True, slots=True)
class Resource:
    key: str
    module: str
    version: str
    name: str
    source: str
    fields: Mapping[str, FieldType]
    list: Endpoint | None = None
    export: Endpoint | None = None
    get: Endpoint | None = None
    int_enums: Mapping[str, tuple[int, ...]] = field(default_factory=dict)  # integer fields' values
    required: tuple[str, ...] | None = None  # the item schema's required fields; None: not known

    def endpoint(self, kind: EndpointKind) -> Endpoint:
        ep: Endpoint | None = getattr(self, kind)
        if ep is None:
            have = [k for k in ("list", "export", "get") if getattr(self, k) is not None]
            raise UnknownResourceError(
                self.key, [], reason=f"It has no {kind} endpoint (it has: {', '.join(have) or 'none'})."
            )
        return ep

    def fields_for(self, kind: EndpointKind) -> Mapping[str, FieldType]:
        ep = getattr(self, kind)
        if ep is not None and ep.fields is not None:
            return ep.fields  # type: ignore[no-any-return]
        return self.fields

    def required_for(self, kind: EndpointKind) -> frozenset[str] | None:
        """The fields `kind`'s item schema requires (top level), or None when the catalog does not say."""
        ep = getattr(self, kind)
        if ep is not None and ep.required is not None:
            return frozenset(ep.required)
        return None if self.required is None else frozenset(self.required)

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Resource:
        return cls(
            key=str(data["key"]),
            module=str(data["module"]),
            version=str(data.get("version", "v2")),
            name=str(data["name"]),
            source=str(data.get("source", "")),
            fields=data.get("fields", {}),
            list=Endpoint.from_json("list", data["list"]) if data.get("list") else None,
            export=Endpoint.from_json("export", data["export"]) if data.get("export") else None,
            get=Endpoint.from_json("get", data["get"]) if data.get("get") else None,
            int_enums={k: tuple(v) for k, v in data.get("int_enums", {}).items()},
            required=tuple(data["required"]) if data.get("required") is not None else None,
        )


@dataclass(frozen=True, slots=True)
class Skipped:
    """A documented GET path that is not a resource: a file download, a singleton object, or one whose
    document gives no response schema. Singletons carry `fields` (an object) or `value` (a scalar)."""

    path: str
    reason: str
    kind: str  # "download" | "singleton" | "undocumented"
    path_params: tuple[str, ...] = ()
    params: Mapping[str, Param] = field(default_factory=dict)
    fields: Mapping[str, FieldType] | None = None
    value: FieldType | None = None
    schema: str | None = None

    @property
    def module(self) -> str:
        return self.path.split("/")[1]

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Skipped:
        return cls(
            path=str(data["path"]),
            reason=str(data["reason"]),
            kind=str(data.get("kind", "undocumented")),
            path_params=tuple(data.get("path_params", ())),
            params={k: Param.from_json(k, v) for k, v in data.get("params", {}).items()},
            fields=data.get("fields"),
            value=data.get("value"),
            schema=data.get("schema"),
        )


class Catalog:
    """All resources, addressable by full key (`crm/customers`) or by a unique short name (`customers`)."""

    def __init__(
        self,
        resources: list[Resource],
        sources: list[dict[str, Any]] | None = None,
        skipped: list[Skipped] | None = None,
    ) -> None:
        self._by_key = {r.key: r for r in resources}
        self.sources = sources or []
        self.skipped: list[Skipped] = skipped or []
        by_name: dict[str, list[str]] = {}
        for r in resources:
            by_name.setdefault(r.name, []).append(r.key)
        self._by_short = by_name

    def __iter__(self) -> Iterator[Resource]:
        return iter(self._by_key.values())

    def __len__(self) -> int:
        return len(self._by_key)

    def __contains__(self, name: object) -> bool:
        if not isinstance(name, str):
            return False
        try:
            self.resolve(name)
        except UnknownResourceError:
            return False
        return True

    @property
    def modules(self) -> list[str]:
        return sorted({r.module for r in self._by_key.values()})

    def in_module(self, module: str) -> list[Resource]:
        return [r for r in self._by_key.values() if r.module == module]

    def resolve(self, name: str) -> Resource:
        if not isinstance(name, str):
            raise UsageTypeError(
                f"a resource name must be text such as 'jpm/jobs' or 'customers', got {type(name).__name__}"
            )
        key = name.strip().strip("/")
        if key in self._by_key:
            return self._by_key[key]
        keys = self._by_short.get(key)
        if keys and len(keys) == 1:
            return self._by_key[keys[0]]
        if keys:
            raise UnknownResourceError(name, sorted(keys), reason="The short name is ambiguous.")
        candidates = list(self._by_key) + list(self._by_short)
        close = difflib.get_close_matches(key, candidates, n=5, cutoff=0.5)
        raise UnknownResourceError(name, close)

    def search(self, text: str = "", kind: EndpointKind | None = None) -> list[Resource]:
        text = text.lower()
        out = []
        for r in self._by_key.values():
            if text and text not in r.key.lower():
                continue
            if kind and getattr(r, kind) is None:
                continue
            out.append(r)
        return sorted(out, key=lambda r: r.key)


def catalog_path() -> Path:
    return Path(str(importlib_resources.files("stnb.catalog").joinpath("catalog.json")))


@functools.lru_cache(maxsize=1)
def load_catalog() -> Catalog:
    data = json.loads(catalog_path().read_text(encoding="utf-8"))
    return Catalog(
        [Resource.from_json(r) for r in data["resources"]],
        data.get("sources"),
        [Skipped.from_json(s) for s in data.get("skipped", [])],
    )

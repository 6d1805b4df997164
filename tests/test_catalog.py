"""The endpoint catalog: generated data that is fresh, true to the OpenAPI documents, and resolvable."""

from __future__ import annotations

import hashlib
import importlib.util
import json
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
import yaml  # type: ignore[import-untyped]

from stnb.catalog import Catalog, Resource, UnknownResourceError, load_catalog
from stnb.catalog.model import catalog_path

REPO = Path(__file__).resolve().parent.parent
SPECS = REPO.parent / "shared" / "servicetitan-specs"
needs_specs = pytest.mark.skipif(not SPECS.is_dir(), reason=f"OpenAPI documents not found at {SPECS}")

SCALARS = {
    "int32",
    "int64",
    "float64",
    "bool",
    "string",
    "datetime",
    "date",
    "money",
    "decimal_string",
    "json",
}
PARAM_TYPES = {"int32", "int64", "float64", "bool", "string", "datetime", "date"}
ENVELOPES = {"list": {"page", "array", "data"}, "export": {"export"}, "get": {"bare", "data"}}


@pytest.fixture(scope="module")
def gen() -> Iterator[ModuleType]:
    """The generator script, imported in-process."""
    spec = importlib.util.spec_from_file_location(
        "generate_catalog", REPO / "scripts" / "generate_catalog.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses resolve annotations through sys.modules
    try:
        spec.loader.exec_module(module)
        yield module
    finally:
        del sys.modules[spec.name]


@pytest.fixture(scope="module")
def catalog() -> Catalog:
    return load_catalog()


@pytest.fixture(scope="module")
def data() -> dict[str, Any]:
    return json.loads(catalog_path().read_text(encoding="utf-8"))  # type: ignore[no-any-return]


# --- freshness -----------------------------------------------------------------------------------


@needs_specs
def test_committed_catalog_equals_a_fresh_generation(gen: ModuleType, tmp_path: Path) -> None:
    out = tmp_path / "catalog.json"
    assert gen.main(["--specs", str(SPECS), "--out", str(out)]) == 0
    assert out.read_bytes() == catalog_path().read_bytes(), "run scripts/generate_catalog.py and commit"
    assert gen.main(["--specs", str(SPECS), "--out", str(catalog_path()), "--check"]) == 0


@needs_specs
def test_check_fails_on_a_stale_file_and_names_the_change(
    gen: ModuleType, data: dict[str, Any], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    stale = dict(data, resources=[r for r in data["resources"] if r["key"] != "jpm/jobs"])
    stale["resources"][0] = dict(stale["resources"][0], name="renamed")
    out = tmp_path / "catalog.json"
    out.write_text(gen.render(stale), encoding="utf-8")
    assert gen.main(["--specs", str(SPECS), "--out", str(out), "--check"]) == 1
    err = capsys.readouterr().err
    assert "resource jpm/jobs: added" in err
    assert f"resource {stale['resources'][0]['key']}: name changed" in err
    assert out.read_text(encoding="utf-8") == gen.render(stale), "--check must not write"


def test_generator_fails_clearly_without_documents(gen: ModuleType, tmp_path: Path) -> None:
    with pytest.raises(gen.SpecError, match="no OpenAPI documents"):
        gen.build_catalog(tmp_path)


@needs_specs
def test_sources_record_the_documents_used(data: dict[str, Any]) -> None:
    files = {s["file"]: s["sha256"] for s in data["sources"]}
    for file, digest in files.items():
        assert hashlib.sha256((SPECS / file).read_bytes()).hexdigest() == digest
    # 2026-05 holds the portal's 24 current documents: for every API the newest wins, so older
    # folders fill no gap any more
    newest = {p.relative_to(SPECS).as_posix() for p in (SPECS / "2026-05").glob("*.json")}
    assert len(newest) == 24
    assert files.keys() == newest


# --- facts from the documents and the reference ---------------------------------------------------


def test_jobs_have_list_export_and_get(catalog: Catalog) -> None:
    jobs = catalog.resolve("jpm/jobs")
    assert (jobs.module, jobs.version, jobs.name) == ("jpm", "v2", "jobs")
    assert jobs.list is not None and jobs.export is not None and jobs.get is not None
    assert jobs.list.path == "/jpm/v2/tenant/{tenant}/jobs"
    assert jobs.export.path == "/jpm/v2/tenant/{tenant}/export/jobs"
    assert jobs.get.path == "/jpm/v2/tenant/{tenant}/jobs/{id}"
    assert (jobs.list.envelope, jobs.export.envelope, jobs.get.envelope) == ("page", "export", "bare")
    assert jobs.get.id_param == "id"
    status = jobs.list.params["jobStatus"]
    assert status.enum == ("Scheduled", "Dispatched", "InProgress", "Hold", "Completed", "Canceled")
    assert jobs.list.params["ids"].type == "string"
    assert jobs.list.params["modifiedOnOrAfter"].type == "datetime"
    assert jobs.list.params["page"].type == "int32"
    assert "page" not in jobs.list.filters and "jobStatus" in jobs.list.filters
    assert jobs.list.sort == ("Id", "ModifiedOn", "CreatedOn", "Priority")
    assert set(jobs.export.params) == {"from", "includeRecentChanges"}
    assert jobs.list.schema == "Jpm.V2.JobResponse"
    assert jobs.export.schema == "Jpm.V2.ExportJobsResponse"
    # export items are list items plus `active`: the list and get items carry their own fields without it
    assert jobs.fields["active"] == "bool"
    assert jobs.export.fields is None and jobs.fields_for("export")["active"] == "bool"
    assert "active" not in jobs.fields_for("list") and "active" not in jobs.fields_for("get")
    assert dict(jobs.fields_for("list")) == {k: v for k, v in jobs.fields.items() if k != "active"}
    assert jobs.fields["customFields"] == {
        "list": {"struct": {"name": "string", "typeId": "int64", "value": "string"}}
    }


def test_active_tri_state_is_an_enum(catalog: Catalog) -> None:
    customers = catalog.resolve("crm/customers").endpoint("list")
    assert customers.supports_active
    assert customers.params["active"].enum == ("True", "Any", "False")


def test_list_items_carry_active_only_where_documented(catalog: Catalog) -> None:
    customers = catalog.resolve("crm/customers")
    assert customers.fields_for("list")["active"] == "bool"  # customer list items carry `active`
    assert customers.list is not None and customers.list.fields is None
    lacking = {
        (r.key, kind)
        for r in catalog
        for kind in ("list", "get")
        if getattr(r, kind) is not None and "active" in r.fields and "active" not in r.fields_for(kind)
    }
    assert {("jpm/jobs", "list"), ("jpm/jobs", "get"), ("crm/leads", "list")} <= lacking
    assert ("crm/customers", "list") not in lacking


def test_module_slugs_are_the_url_slugs(catalog: Catalog) -> None:
    assert {
        "equipmentsystems",
        "taskmanagement",
        "service-agreements",
        "sales",
        "marketing",
        "payroll",
    } <= set(catalog.modules)
    assert not {"equipment-systems", "task-management", "salestech"} & set(catalog.modules)
    assert catalog.resolve("taskmanagement/tasks").endpoint("list").path.startswith("/taskmanagement/v2/")


def test_accounting_amounts_are_money_strings(catalog: Catalog) -> None:
    invoices = catalog.resolve("accounting/invoices")
    for name in ("total", "subTotal", "salesTax", "balance", "discountTotal"):
        assert invoices.fields[name] == "money", name
    items: Any = invoices.fields["items"]
    item = items["list"]["struct"]
    assert (item["price"], item["total"], item["quantity"]) == ("money", "money", "decimal_string")
    assert item["skuName"] == "string"
    payments = catalog.resolve("accounting/payments")
    assert payments.fields["unappliedAmount"] == "money"
    # outside accounting money is a JSON number
    assert catalog.resolve("jpm/jobs").fields["total"] == "float64"


def test_nested_objects_become_structs(catalog: Catalog) -> None:
    customers = catalog.resolve("crm/customers")
    address = customers.fields["address"]
    assert isinstance(address, dict)
    assert address["struct"]["street"] == "string"
    assert address["struct"]["latitude"] == "float64"
    assert customers.fields["type"] == {"enum": ["Residential", "Commercial"]}
    assert customers.fields["tagTypeIds"] == {"list": "int64"}
    assert customers.fields["createdOn"] == "datetime"


def test_sub_lists_name_their_parent_parameter(catalog: Catalog) -> None:
    contacts = catalog.resolve("crm/customers/{id}/contacts").endpoint("list")
    assert contacts.path == "/crm/v2/tenant/{tenant}/customers/{id}/contacts"
    assert contacts.parent_param == "id"
    methods = catalog.resolve("crm/contacts/{id}/contact-methods")
    assert methods.endpoint("list").parent_param == "contactId"
    assert methods.endpoint("get").parent_param == "contactId"
    assert methods.endpoint("get").id_param == "contactMethodId"
    assert catalog.resolve("crm/customers").endpoint("list").parent_param is None
    assert catalog.resolve("crm/customers").endpoint("list").parent_params == ()
    # two parents: both named, in path order; parent_param is the innermost
    prefs = catalog.resolve("crm/contacts/{id}/contact-methods/{id}/preferences")
    assert prefs.endpoint("list").parent_params == ("contactId", "contactMethodId")
    assert prefs.endpoint("list").parent_param == "contactMethodId"
    assert prefs.endpoint("get").parent_params == ("contactId", "contactMethodId")
    assert prefs.endpoint("get").id_param == "preferenceName"
    children = catalog.resolve("jpm/work-breakdown-structure/projects/{id}/segments/{id}/items/{id}/children")
    assert children.endpoint("list").parent_params == ("projectId", "segmentId", "segmentItemId")


def test_lists_and_records_wrapped_in_data(catalog: Catalog) -> None:
    proposal_types = catalog.resolve("sales/proposal-types").endpoint("list")
    assert proposal_types.envelope == "data" and proposal_types.wrapper is None
    warnings = catalog.resolve("marketingads/capacity-warnings").endpoint("list")
    assert warnings.envelope == "data"
    assert warnings.wrapper == {"tenantId": "int64", "tenantName": "string", "totalCount": "int32"}
    markup = catalog.resolve("pricebook/materialsmarkup").endpoint("get")
    assert markup.envelope == "data" and markup.id_param == "id"


def test_integer_enums_keep_their_type_and_list_their_values(catalog: Catalog) -> None:
    reviews = catalog.resolve("marketingreputation/reviews")
    assert reviews.fields["reviewType"] == "int32"
    assert reviews.int_enums["reviewType"] == (0, 1, 2)
    assert catalog.resolve("marketingads/attributed-leads").int_enums["leadType"] == (1, 2, 3, 4)


def test_skipped_paths_say_why_and_how_the_sandbox_answers(catalog: Catalog) -> None:
    skipped = {s.path: s for s in catalog.skipped}
    hours = skipped["/dispatch/v2/tenant/{tenant}/business-hours"]
    assert hours.kind == "singleton" and hours.fields is not None and "weekdays" in hours.fields
    technician = skipped["/crm/v2/tenant/{tenant}/locations/{id}/preferredtechnician"]
    assert technician.kind == "singleton" and technician.value == "int64"
    assert technician.path_params == ("id",)
    assert skipped["/telecom/v2/tenant/{tenant}/calls/{id}/recording"].kind == "download"
    assert skipped["/pricebook/v2/tenant/{tenant}/images"].kind == "download"
    assert skipped["/reporting/v2/tenant/{tenant}/dynamic-value-sets/{dynamicSetId}"].kind == "rows"
    assert {s.kind for s in catalog.skipped} <= {"download", "singleton", "rows", "undocumented"}
    assert all(s.reason for s in catalog.skipped)


def test_odd_paths_map_to_their_resource(catalog: Catalog) -> None:
    # 2026-05 documents both export paths of estimates: the usual one keeps the resource, the other is
    # its own resource keyed by its path
    estimates = catalog.resolve("sales/estimates")
    assert estimates.endpoint("export").path == "/sales/v2/tenant/{tenant}/export/estimates"
    second = catalog.resolve("sales/estimates/export")
    assert second.endpoint("export").path == "/sales/v2/tenant/{tenant}/estimates/export"
    assert second.list is None and second.get is None
    gl = catalog.resolve("accounting/gl-accounts")
    assert gl.endpoint("list").envelope == "page"  # a bare array in 2025-05, a page envelope now
    assert gl.endpoint("get").id_param == "accountId"
    telecom_v2 = catalog.resolve("telecom/calls")
    assert telecom_v2.version == "v2" and telecom_v2.endpoint("list").envelope == "page"
    assert telecom_v2.endpoint("export").fields is not None  # the export item is a flat call record
    telecom_v3 = catalog.resolve("telecom/v3/calls")
    assert telecom_v3.endpoint("list").path == "/telecom/v3/tenant/{tenant}/calls"
    assert telecom_v3.export is None


def test_array_and_map_parameters(catalog: Catalog) -> None:
    params = catalog.resolve("accounting/invoices").endpoint("list").params
    assert params["reviewStatuses"].array and params["reviewStatuses"].enum == (
        "NeedsReview",
        "OnHold",
        "Reviewed",
        "PendingApproval",
        "Rejected",
        "ReadyForBilling",
        "Invoiced",
    )
    assert params["assignedToIds"].array and params["assignedToIds"].type == "int64"
    assert params["customField.Fields"].map
    assert not params["jobId"].array and not params["jobId"].map


# --- resolution ------------------------------------------------------------------------------------


def test_resolve_by_key_and_short_name(catalog: Catalog) -> None:
    assert catalog.resolve("customers").key == "crm/customers"
    assert catalog.resolve(" /crm/customers/ ").key == "crm/customers"
    assert catalog.resolve("calls").key == "telecom/calls"
    assert "jobs" in catalog and "no-such-thing" not in catalog


def test_ambiguous_short_name_lists_the_keys(catalog: Catalog) -> None:
    with pytest.raises(UnknownResourceError, match="ambiguous") as info:
        catalog.resolve("categories")
    assert info.value.suggestions == ["marketing/categories", "pricebook/categories"]


def test_unknown_name_suggests_close_ones(catalog: Catalog) -> None:
    with pytest.raises(UnknownResourceError) as info:
        catalog.resolve("custmers")
    assert "customers" in info.value.suggestions or "crm/customers" in info.value.suggestions
    assert "custmers" in str(info.value)


def test_missing_endpoint_kind_is_explained(catalog: Catalog) -> None:
    with pytest.raises(UnknownResourceError, match="no export endpoint"):
        catalog.resolve("jpm/job-types").endpoint("export")


# --- whole-catalog invariants ----------------------------------------------------------------------


def walk_types(t: Any, where: str) -> Iterator[tuple[str, str]]:
    if isinstance(t, str):
        yield where, t
    elif set(t) == {"struct"}:
        for name, sub in t["struct"].items():
            yield from walk_types(sub, f"{where}.{name}")
    elif set(t) == {"list"}:
        yield from walk_types(t["list"], f"{where}[]")
    else:
        assert set(t) == {"enum"} and t["enum"] and all(isinstance(v, str) for v in t["enum"]), where
        yield where, "enum"


def endpoints(resource: Resource) -> Iterator[tuple[str, Any]]:
    for kind in ("list", "export", "get"):
        ep = getattr(resource, kind)
        if ep is not None:
            yield kind, ep


def test_every_type_is_in_the_type_language(catalog: Catalog) -> None:
    for resource in catalog:
        assert resource.fields, f"{resource.key} has no fields"
        for kind, ep in endpoints(resource):
            assert ep.envelope in ENVELOPES[kind], (resource.key, kind)
            assert ep.method == "GET"
            for name, param in ep.params.items():
                assert param.type in PARAM_TYPES, (resource.key, name)
            if ep.envelope == "data" and kind == "list":
                for name, t in (ep.wrapper or {}).items():
                    for where, scalar in walk_types(t, f"{resource.key}:wrapper.{name}"):
                        assert scalar in SCALARS | {"enum"}, where
            for name, t in {**resource.fields, **(ep.fields or {})}.items():
                for where, scalar in walk_types(t, f"{resource.key}:{name}"):
                    assert scalar in SCALARS | {"enum"}, where


def test_keys_names_and_paths_agree(catalog: Catalog) -> None:
    for resource in catalog:
        assert resource.key == f"{resource.module}/{resource.name}"
        for kind, ep in endpoints(resource):
            assert ep.path.startswith(f"/{resource.module}/{resource.version}/tenant/{{tenant}}/"), ep.path
            if kind == "get":
                assert ep.id_param and ep.path.endswith(f"/{{{ep.id_param}}}")
            if "{id}" in resource.name:
                assert len(ep.parent_params) == resource.name.count("{id}"), resource.key
                assert all(f"{{{p}}}" in ep.path for p in ep.parent_params)
            else:
                assert ep.parent_param is None and ep.parent_params == ()


def test_file_is_stable_and_small(data: dict[str, Any]) -> None:
    text = catalog_path().read_text(encoding="utf-8")
    assert text == json.dumps(data, indent=1, sort_keys=True, ensure_ascii=False) + "\n"
    assert len(text.encode()) < 2_000_000
    keys = [r["key"] for r in data["resources"]]
    assert keys == sorted(keys) and len(keys) == len(set(keys))


# --- coverage, computed from the documents independently of the generator -------------------------


def deref(doc: dict[str, Any], node: Any) -> Any:
    while isinstance(node, dict) and "$ref" in node:
        target: Any = doc
        for part in node["$ref"][2:].split("/"):
            target = target[part]
        node = target
    return node


@pytest.fixture(scope="module")
def documents(data: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Every source document of the catalog, parsed here without the generator's help."""
    out: dict[str, dict[str, Any]] = {}
    for source in data["sources"]:
        text = (SPECS / source["file"]).read_text(encoding="utf-8")
        out[source["file"]] = (
            json.loads(text) if source["file"].endswith(".json") else yaml.load(text, Loader=yaml.CSafeLoader)
        )
    return out


def url_prefix(doc: dict[str, Any]) -> str:
    return str(doc["basePath"]) if "basePath" in doc else str(doc["servers"][0]["url"]).split(".io", 1)[1]


def has_type(node: dict[str, Any], kind: str) -> bool:
    """OpenAPI 3.1 writes nullability as a type list (["array", "null"])."""
    found = node.get("type")
    return found == kind or (isinstance(found, list) and kind in found)


def documented_gets(doc: dict[str, Any]) -> Iterator[tuple[str, str, str | None, set[str]]]:
    """(full path, shape, item schema name, query parameter names) for every GET of a document;
    shape is "page", "export", "array", "data" (a list in {data} without paging fields), "record" (one
    record in {data}), "object", "rows" (value rows, not records), "value" (a scalar) or "other"."""
    for path, item in doc["paths"].items():
        if "get" not in item:
            continue
        op = item["get"]
        ok = op["responses"].get("200", {})
        schema = ok.get("schema") or ok.get("content", {}).get("application/json", {}).get("schema")
        node = deref(doc, schema) if schema else {}
        props = node.get("properties", {})
        data = deref(doc, props.get("data", {}))
        items: Any = None
        if "302" in op["responses"] or not schema:
            shape = "other"
        elif has_type(node, "array"):
            shape, items = "array", node["items"]
        elif has_type(data, "array") and {"hasMore", "continueFrom"} <= props.keys():
            shape, items = "export", data["items"]
        elif has_type(data, "array") and {"page", "pageSize", "hasMore"} <= props.keys():
            shape, items = "page", data["items"]
        elif has_type(data, "array"):
            shape, items = "data", data["items"]
        elif set(props) == {"data"}:
            shape, items = "record", props["data"]
        elif props:
            shape, items = "object", schema
        elif node.get("type") in ("integer", "string", "number", "boolean"):
            shape = "value"
        else:
            shape = "other"
        if items is not None and has_type(deref(doc, items), "array"):
            shape = "rows"
        name = items["$ref"].rsplit("/", 1)[1] if isinstance(items, dict) and "$ref" in items else None
        query = {p["name"] for p in op.get("parameters", []) if p.get("in") == "query"}
        yield url_prefix(doc) + path, shape, name, query


@needs_specs
def test_every_documented_list_export_and_get_is_in_the_catalog(
    data: dict[str, Any], documents: dict[str, dict[str, Any]]
) -> None:
    in_catalog: dict[str, tuple[str, Any]] = {}
    for resource in data["resources"]:
        for kind in ("list", "export", "get"):
            if kind in resource:
                in_catalog[resource[kind]["path"]] = (kind, resource[kind])
    skipped = {s["path"]: s for s in data["skipped"]}
    counts = {"page": 0, "export": 0, "array": 0, "data": 0, "record": 0, "object": 0}
    included = {"list": 0, "export": 0, "get": 0}
    operations = 0
    for doc in documents.values():
        for path, shape, schema, _ in documented_gets(doc):
            operations += 1
            if shape not in counts:
                assert path in skipped, path
                expected = {"rows": "rows", "value": "singleton"}.get(shape)
                assert skipped[path]["kind"] == expected or (
                    expected is None
                    and skipped[path]["kind"]
                    in (
                        "download",
                        "undocumented",
                    )
                ), path
                continue
            tail = path.split("/tenant/{tenant}/", 1)[1]
            if shape == "object" and not tail.endswith("}"):
                assert skipped[path]["kind"] == "singleton", f"{path}: a singleton object must be skipped"
                continue
            counts[shape] += 1
            assert path in in_catalog, f"{path} ({shape}) missing from the catalog"
            kind, ep = in_catalog[path]
            expected_kind = {"export": "export", "object": "get", "record": "get"}.get(shape, "list")
            assert kind == expected_kind, path
            included[kind] += 1
            envelope = {"object": "bare", "record": "data"}.get(shape, shape)
            assert ep["envelope"] == envelope, path
            assert ep.get("schema") == schema, path
    assert operations == 314  # the GET operations of the 24 current documents
    assert counts["page"] >= 150 and counts["export"] >= 50 and counts["array"] >= 5, counts
    assert counts["data"] >= 4 and counts["record"] >= 1, counts
    for kind, n in included.items():
        assert sum(1 for r in data["resources"] if kind in r) == n, kind
    # only file downloads, singletons, value rows and responses without a schema stay out
    assert sum(included.values()) + len(skipped) == operations
    assert {s["kind"] for s in skipped.values()} == {"download", "singleton", "rows", "undocumented"}


@needs_specs
def test_every_catalog_endpoint_has_the_documented_query_parameters(
    data: dict[str, Any], documents: dict[str, dict[str, Any]]
) -> None:
    documented = {path: query for doc in documents.values() for path, _, _, query in documented_gets(doc)}
    for resource in data["resources"]:
        for kind in ("list", "export", "get"):
            if kind in resource:
                ep = resource[kind]
                assert set(ep["params"]) == documented[ep["path"]], ep["path"]


@needs_specs
def test_item_schema_names_exist_in_their_documents(
    data: dict[str, Any], documents: dict[str, dict[str, Any]]
) -> None:
    for resource in data["resources"]:
        doc = documents[resource["source"]]
        names = doc.get("definitions") or doc["components"]["schemas"]
        for kind in ("list", "export", "get"):
            if kind in resource:
                assert resource[kind]["schema"] in names, (resource["key"], kind)


def documented_properties(doc: dict[str, Any], node: Any) -> set[str] | None:
    """Top-level property names of an item schema (through `$ref` and `allOf`); None when ambiguous."""
    node = deref(doc, node)
    if any(len(node.get(combo, [])) > 1 for combo in ("oneOf", "anyOf")):
        return None
    names = set(node.get("properties", {}))
    for member in node.get("allOf", []) + node.get("oneOf", []) + node.get("anyOf", []):
        inner = documented_properties(doc, member)
        if inner is None:
            return None
        names |= inner
    return names


@needs_specs
def test_fields_for_every_endpoint_are_its_documented_item_properties(
    catalog: Catalog, documents: dict[str, dict[str, Any]]
) -> None:
    checked = 0
    for resource in catalog:
        doc = documents[resource.source]
        schemas = doc.get("definitions") or doc["components"]["schemas"]
        for kind in ("list", "export", "get"):
            ep = getattr(resource, kind)
            if ep is None or ep.schema is None:
                continue
            documented = documented_properties(doc, schemas[ep.schema])
            if not documented:
                continue
            assert set(resource.fields_for(kind)) == documented, (resource.key, kind)
            checked += 1
    assert checked > 200, checked  # every endpoint of the catalog names its item schema


def documented_required(doc: dict[str, Any], node: Any) -> set[str]:
    """Top-level required names of an item schema (its own `required` and every `allOf` member's)."""
    node = deref(doc, node)
    names = set(node.get("required", []))
    for member in node.get("allOf", []):
        names |= documented_required(doc, member)
    return names


@needs_specs
def test_required_fields_of_every_endpoint_are_its_documented_required_list(
    catalog: Catalog, documents: dict[str, dict[str, Any]]
) -> None:
    checked = with_required = 0
    for resource in catalog:
        doc = documents[resource.source]
        schemas = doc.get("definitions") or doc["components"]["schemas"]
        for kind in ("list", "export", "get"):
            ep = getattr(resource, kind)
            if ep is None or ep.schema is None:
                continue
            fields = set(resource.fields_for(kind))
            expected = documented_required(doc, schemas[ep.schema]) & fields
            assert resource.required_for(kind) == expected, (resource.key, kind)
            checked += 1
            with_required += bool(expected)
    assert checked > 200 and with_required > 200, (checked, with_required)
    customers = catalog.resolve("crm/customers")
    assert {"id", "name", "nationalAccount"} <= (customers.required_for("list") or set())
    jobs = catalog.resolve("jpm/jobs")
    assert "active" in (jobs.required_for("export") or set())
    assert "active" not in (jobs.required_for("list") or set())


def test_required_lists_merge_through_all_of_and_default_to_none_required(gen: ModuleType) -> None:
    schemas = {
        "Base": {"type": "object", "properties": {"id": {"type": "integer"}}, "required": ["id"]},
        "Rec": {
            "allOf": [
                {"$ref": "#/components/schemas/Base"},
                {
                    "type": "object",
                    "properties": {"name": {"type": "string"}, "note": {"type": "string"}},
                    "required": ["name", "gone"],
                },
            ]
        },
        "Loose": {"type": "object", "properties": {"id": {"type": "integer"}}},
        "PageOfRec": page_of("Rec"),
        "PageOfLoose": page_of("Loose"),
    }
    paths = {
        "/tenant/{tenant}/recs": {"get": ok("PageOfRec")},
        "/tenant/{tenant}/loose": {"get": ok("PageOfLoose")},
    }
    doc = synthetic(gen, schemas, paths)
    recs = gen.build_resource(
        "mod/recs", [gen.classify(doc, "/tenant/{tenant}/recs", paths["/tenant/{tenant}/recs"])], []
    )
    assert recs["required"] == ["id", "name"]  # "gone" is no property: left out
    assert Resource.from_json(recs).required_for("list") == {"id", "name"}
    loose_item = paths["/tenant/{tenant}/loose"]
    loose = gen.build_resource("mod/loose", [gen.classify(doc, "/tenant/{tenant}/loose", loose_item)], [])
    assert loose["required"] == [] and Resource.from_json(loose).required_for("list") == frozenset()
    unknown = Resource.from_json({k: v for k, v in recs.items() if k != "required"})
    assert unknown.required_for("list") is None  # an older catalog file says nothing


# --- generator rules on small synthetic documents ---------------------------------------------------


def synthetic(
    gen: ModuleType, schemas: dict[str, Any], paths: dict[str, Any], prefix: str = "/mod/v2"
) -> Any:
    data = {"openapi": "3.0.1", "paths": paths, "components": {"schemas": schemas}}
    return gen.Document(file="x/doc.json", sha256="0", data=data, prefix=prefix)


def page_of(ref: str) -> dict[str, Any]:
    return {
        "type": "object",
        "properties": {
            "page": {"type": "integer"},
            "pageSize": {"type": "integer"},
            "hasMore": {"type": "boolean"},
            "data": {"type": "array", "items": {"$ref": f"#/components/schemas/{ref}"}},
        },
    }


def ok(ref: str) -> dict[str, Any]:
    return {
        "responses": {
            "200": {"content": {"application/json": {"schema": {"$ref": f"#/components/schemas/{ref}"}}}}
        }
    }


@pytest.mark.parametrize(
    ("description", "expected"),
    [
        (
            '"?sort=+FieldName" ...\\\n\\\nAvailable fields are: Id, ModifiedOn, CreatedOn.',
            ["Id", "ModifiedOn", "CreatedOn"],
        ),
        ("Available fields are: Id, From, To, Percent", ["Id", "From", "To", "Percent"]),
        ('Options: Id, Number, Name.\\\nUse "+" for ascending order', ["Id", "Number", "Name"]),
        ("The Sorting field, possible values: Id, CreatedOn.\nThe Sorting is ascending", ["Id", "CreatedOn"]),
        ("Applies sorting by specified fields", []),
        ("", []),
    ],
)
def test_sort_fields_are_parsed_from_descriptions(
    gen: ModuleType, description: str, expected: list[str]
) -> None:
    assert gen.sort_fields(description) == expected


def test_field_types_follow_refs_wrappers_and_the_depth_cap(gen: ModuleType) -> None:
    schemas = {
        "Status": {"type": "string", "enum": ["A", "B"]},
        "Node": {
            "type": "object",
            "properties": {"id": {"type": "integer"}, "child": {"$ref": "#/components/schemas/Node"}},
        },
        "Item": {
            "type": "object",
            "properties": {
                "count": {"type": "integer", "format": "int32"},
                "big": {"type": "integer"},
                "ratio": {"type": "number", "format": "decimal"},
                "day": {"type": "string", "format": "date"},
                "status": {"oneOf": [{"$ref": "#/components/schemas/Status"}], "nullable": True},
                "either": {"oneOf": [{"type": "string"}, {"type": "integer"}]},
                "tree": {"$ref": "#/components/schemas/Node"},
                "free": {"type": "object", "additionalProperties": {"type": "string"}},
                "deep": {
                    "type": "array",
                    "items": {
                        "type": "array",
                        "items": {
                            "type": "array",
                            "items": {
                                "type": "array",
                                "items": {"type": "array", "items": {"type": "string"}},
                            },
                        },
                    },
                },
                "total": {"type": "string"},
                "quantity": {"type": "string"},
            },
        },
    }
    doc = synthetic(gen, schemas, {})
    fields = gen.FieldConverter(doc, money=False).fields({"$ref": "#/components/schemas/Item"})
    assert fields["count"] == "int32" and fields["big"] == "int64" and fields["ratio"] == "float64"
    assert fields["day"] == "date"
    assert fields["status"] == {"enum": ["A", "B"]}
    assert fields["either"] == "json"
    assert fields["tree"] == {"struct": {"child": "json", "id": "int64"}}  # recursion stops at the cycle
    assert fields["free"] == "json"
    assert fields["deep"] == {"list": {"list": {"list": {"list": "json"}}}}  # four levels, then "json"
    assert (fields["total"], fields["quantity"]) == ("string", "string")
    money = gen.FieldConverter(doc, money=True).fields({"$ref": "#/components/schemas/Item"})
    assert (money["total"], money["quantity"]) == ("money", "decimal_string")


def test_swagger2_parameters_and_description_enums(gen: ModuleType) -> None:
    doc = gen.Document(
        file="x/doc.json",
        sha256="0",
        data={"swagger": "2.0", "paths": {}, "definitions": {}},
        prefix="/crm/v2",
    )
    entry = gen.param_entry(
        doc,
        {
            "name": "active",
            "in": "query",
            "type": "string",
            "description": "Which ones\\\nValues: [True, Any, False]",
        },
    )
    assert entry == {"enum": ["True", "Any", "False"], "type": "string"}
    assert gen.param_entry(doc, {"name": "on", "in": "query", "type": "string", "format": "date-time"}) == {
        "type": "datetime"
    }
    required = gen.param_entry(
        doc, {"name": "x", "in": "query", "type": "number", "format": "double", "required": True}
    )
    assert required == {"required": True, "type": "float64"}


def test_a_resource_in_two_versions_gets_one_plain_key(gen: ModuleType) -> None:
    schemas = {
        "Call": {"type": "object", "properties": {"id": {"type": "integer"}}},
        "PageOfCall": page_of("Call"),
    }
    paths = {
        "/v2/tenant/{tenant}/calls": {"get": ok("PageOfCall")},
        "/v2/tenant/{tenant}/calls/{id}": {"get": ok("Call")},
        "/v3/tenant/{tenant}/calls": {"get": ok("PageOfCall")},
        "/v3/tenant/{tenant}/things": {"get": ok("PageOfCall")},
    }
    doc = synthetic(gen, schemas, paths, prefix="/telecom")
    candidates = [gen.classify(doc, p, item) for p, item in gen.get_operations(doc)]
    groups = gen.assign_keys(candidates)
    assert sorted(groups) == ["telecom/calls", "telecom/things", "telecom/v3/calls"]
    assert {c.version for c in groups["telecom/calls"]} == {"v2"}
    assert {c.version for c in groups["telecom/v3/calls"]} == {"v3"}
    resource = gen.build_resource("telecom/v3/calls", groups["telecom/v3/calls"], [])
    assert resource["name"] == "v3/calls" and resource["list"]["path"] == "/telecom/v3/tenant/{tenant}/calls"


def test_endpoints_whose_items_lack_the_exports_active_carry_their_own_fields(gen: ModuleType) -> None:
    rec = {"id": {"type": "integer"}, "name": {"type": "string"}}
    schemas = {
        "Rec": {"type": "object", "properties": rec},
        "ExportRec": {"type": "object", "properties": {**rec, "active": {"type": "boolean"}}},
        "PageOfRec": page_of("Rec"),
        "ExportOfRec": {
            "type": "object",
            "properties": {
                "hasMore": {"type": "boolean"},
                "continueFrom": {"type": "string"},
                "data": {"type": "array", "items": {"$ref": "#/components/schemas/ExportRec"}},
            },
        },
    }
    paths = {
        "/tenant/{tenant}/recs": {"get": ok("PageOfRec")},
        "/tenant/{tenant}/recs/{id}": {"get": ok("Rec")},
        "/tenant/{tenant}/export/recs": {"get": ok("ExportOfRec")},
    }
    doc = synthetic(gen, schemas, paths)
    group = [gen.classify(doc, p, item) for p, item in gen.get_operations(doc)]
    resource = gen.build_resource("mod/recs", group, [])
    assert resource["fields"] == {"active": "bool", "id": "int64", "name": "string"}
    assert resource["list"]["fields"] == resource["get"]["fields"] == {"id": "int64", "name": "string"}
    assert "fields" not in resource["export"]
    model = Resource.from_json(resource)
    assert "active" not in model.fields_for("list") and model.fields_for("export")["active"] == "bool"


def test_classification_of_paths(gen: ModuleType) -> None:
    schemas = {
        "Rec": {"type": "object", "properties": {"id": {"type": "integer"}}},
        "PageOfRec": page_of("Rec"),
        "Wrapped": {"type": "object", "properties": {"data": {"$ref": "#/components/schemas/Rec"}}},
    }
    paths = {
        "/tenant/{tenant}/recs/{id}/subs": {"get": ok("PageOfRec")},
        "/tenant/{tenant}/a/{a}/b/{b}/subs": {"get": ok("PageOfRec")},
        "/tenant/{tenant}/settings": {"get": ok("Rec")},
        "/tenant/{tenant}/wrapped/{id}": {"get": ok("Wrapped")},
        "/tenant/{tenant}/file/{id}": {
            "get": {
                "responses": {
                    "200": {
                        "content": {
                            "application/octet-stream": {"schema": {"type": "string", "format": "binary"}}
                        }
                    }
                }
            }
        },
        "/tenant/{tenant}/export/recs": {"get": ok("PageOfRec")},
    }
    doc = synthetic(gen, schemas, paths)
    results = {p: gen.classify(doc, p, item) for p, item in gen.get_operations(doc)}
    sub = results["/tenant/{tenant}/recs/{id}/subs"]
    assert isinstance(sub, gen.Candidate) and sub.name == "recs/{id}/subs"
    assert sub.body["parent_params"] == ["id"]
    two = results["/tenant/{tenant}/a/{a}/b/{b}/subs"]
    assert isinstance(two, gen.Candidate) and two.name == "a/{id}/b/{id}/subs"
    assert two.body["parent_params"] == ["a", "b"]
    wrapped = results["/tenant/{tenant}/wrapped/{id}"]
    assert isinstance(wrapped, gen.Candidate) and wrapped.kind == "get"
    assert wrapped.body["envelope"] == "data" and wrapped.body["schema"] == "Rec"
    skipped = {p: r for p, r in results.items() if isinstance(r, gen.Skip)}
    assert set(skipped) == {
        "/tenant/{tenant}/settings",
        "/tenant/{tenant}/file/{id}",
        "/tenant/{tenant}/export/recs",
    }
    assert skipped["/tenant/{tenant}/settings"].kind == "singleton"
    assert skipped["/tenant/{tenant}/settings"].fields == {"id": "int64"}
    assert skipped["/tenant/{tenant}/file/{id}"].kind == "download"
    assert "export envelope" in skipped["/tenant/{tenant}/export/recs"].reason


def test_a_second_path_of_one_kind_is_its_own_resource(gen: ModuleType) -> None:
    schemas = {
        "Rec": {"type": "object", "properties": {"id": {"type": "integer"}}},
        "ExportOfRec": {
            "type": "object",
            "properties": {
                "hasMore": {"type": "boolean"},
                "continueFrom": {"type": "string"},
                "data": {"type": "array", "items": {"$ref": "#/components/schemas/Rec"}},
            },
        },
    }
    paths = {
        "/tenant/{tenant}/export/recs": {"get": ok("ExportOfRec")},
        "/tenant/{tenant}/recs/export": {"get": ok("ExportOfRec")},
    }
    doc = synthetic(gen, schemas, paths)
    groups = gen.assign_keys([gen.classify(doc, p, item) for p, item in gen.get_operations(doc)])
    assert sorted(groups) == ["mod/recs", "mod/recs/export"]
    assert [c.body["path"] for c in groups["mod/recs"]] == ["/mod/v2/tenant/{tenant}/export/recs"]
    assert [c.body["path"] for c in groups["mod/recs/export"]] == ["/mod/v2/tenant/{tenant}/recs/export"]

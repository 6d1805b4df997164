"""Every list and export endpoint in the catalog answers, and its response validates against the
endpoint's response schema in the official OpenAPI documents."""

from __future__ import annotations

from typing import Any

import pytest

from stnb.catalog import Resource, load_catalog
from stnb.sandbox import Sandbox
from stnb.sandbox.planted import PRODUCTION_ONLY_FIELDS

from .conftest import Api, make_api
from .openapi import SPECS, has_response_schema, response_schema, validator
from .paths import concrete

pytestmark = pytest.mark.skipif(not SPECS.is_dir(), reason=f"official OpenAPI documents not found at {SPECS}")

ITEMS_VALIDATED = 25

CATALOG = load_catalog()
CASES = [
    pytest.param(resource, kind, id=f"{kind}:{resource.key}")
    for resource in sorted(CATALOG, key=lambda r: r.key)
    for kind in ("list", "export")
    if getattr(resource, kind) is not None
]


@pytest.fixture(scope="module")
def documented(sandbox: Sandbox) -> Sandbox:
    """The module's sandbox serving exactly what the documents say (the live API's quirks off)."""
    sandbox.quirks = "none"
    return sandbox


@pytest.fixture(scope="module")
def apis(documented: Sandbox) -> dict[str, Api]:
    return {"embedded": make_api("embedded", documented, None)}


# Sub-lists whose parent list has another name than the path segment before the parent id.
PARENT_LISTS = {"reporting/report-category/{id}/reports": "reporting/report-categories"}


def _parent_ids(api: Api, resource: Resource) -> list[str]:
    parent_key = PARENT_LISTS.get(resource.key) or resource.key.split("/{", 1)[0]
    parent = CATALOG.resolve(parent_key) if parent_key in CATALOG else None
    if parent is None or parent.key == resource.key or parent.list is None or parent.list.parent_param:
        return ["1", "2", "3"]
    params: dict[str, Any] = {"pageSize": 40}
    if parent.list.supports_active:
        params["active"] = "Any"
    data = api.json(parent.list.path, **params)
    rows = data["data"] if isinstance(data, dict) else data
    return [str(row["id"]) for row in rows]


def _fetch(api: Api, resource: Resource, kind: str, env: str) -> tuple[Any, str]:
    endpoint = getattr(resource, kind)
    creds = api.sandbox.credentials[env]
    params: dict[str, Any] = {"pageSize": 10} if kind == "list" else {}
    if endpoint.parent_param is None:
        return api.json(endpoint.path, creds, **params), endpoint.path
    body: Any = None
    for parent_id in _parent_ids(api, resource)[:12]:
        path = endpoint.path.replace("{" + endpoint.parent_param + "}", parent_id)
        body = api.json(path, creds, **params)
        rows = body["data"] if isinstance(body, dict) else body
        if rows:
            break
    return body, endpoint.path


def _trim(body: Any, env: str, resource: Resource) -> Any:
    """Keep the first items; drop the fields production carries beyond the documents (none since the
    2026-05 documents describe `nationalAccount` and `isAutoDispatched`)."""
    planted = PRODUCTION_ONLY_FIELDS.get(resource.key, ())
    extra = [f for f in planted if f not in resource.fields] if env == "production" else []
    rows = body["data"] if isinstance(body, dict) else body
    rows = [{k: v for k, v in row.items() if k not in extra} for row in rows[:ITEMS_VALIDATED]]
    if isinstance(body, dict):
        return {**body, "data": rows}
    return rows


@pytest.mark.parametrize("env", ["integration", "production"])
@pytest.mark.parametrize(("resource", "kind"), CASES)
def test_response_validates_against_the_documents(
    apis: dict[str, Api], resource: Resource, kind: str, env: str
) -> None:
    api = apis["embedded"]
    body, path = _fetch(api, resource, kind, env)
    if getattr(resource, kind).parent_param is None:
        rows = body["data"] if isinstance(body, dict) else body
        assert rows, f"{kind} {resource.key} answered no records"
    assert has_response_schema(resource.source, path), f"no 200 schema for {path} in {resource.source}"
    schema = response_schema(resource.source, path)
    found = validator(schema).iter_errors(_trim(body, env, resource))
    errors = sorted(found, key=lambda e: list(e.absolute_path))
    if env == "integration":
        # the planted difference: the integration copy predates the fields production added, which the
        # current documents now require; exactly those are missing, and nothing else is wrong
        planted = PRODUCTION_ONLY_FIELDS.get(resource.key, ())
        rows = body["data"] if isinstance(body, dict) else body
        assert not any(name in row for row in rows for name in planted)
        lacking = {f"'{name}' is a required property" for name in planted}
        errors = [e for e in errors if not (e.validator == "required" and e.message in lacking)]
    messages = [f"{list(e.absolute_path)}: {e.message[:200]}" for e in errors[:5]]
    assert not errors, f"{kind} {resource.key}:\n" + "\n".join(messages)


GET_CASES = [
    pytest.param(resource, id=f"get:{resource.key}")
    for resource in sorted(CATALOG, key=lambda r: r.key)
    if resource.get is not None
]


@pytest.mark.parametrize("env", ["integration", "production"])
@pytest.mark.parametrize("resource", GET_CASES)
def test_record_by_id_validates_against_the_documents(
    apis: dict[str, Api], resource: Resource, env: str
) -> None:
    api = apis["embedded"]
    assert resource.get is not None
    path = resource.get.path
    url = concrete(api.sandbox, api, path)  # an id (and parent ids) that exist
    body = api.json(url, api.sandbox.credentials[env])
    assert isinstance(body, dict) and body
    schema = response_schema(resource.source, path)
    errors = list(validator(schema).iter_errors(body))
    if env == "integration":  # the planted difference, as for lists
        lacking = {
            f"'{name}' is a required property" for name in PRODUCTION_ONLY_FIELDS.get(resource.key, ())
        }
        errors = [e for e in errors if not (e.validator == "required" and e.message in lacking)]
    messages = [f"{list(e.absolute_path)}: {e.message[:200]}" for e in errors[:5]]
    assert not errors, f"get {resource.key} ({url}):\n" + "\n".join(messages)

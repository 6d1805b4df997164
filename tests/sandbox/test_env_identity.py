"""Integration is a copy of production: every resource that planted.py does not name is identical."""

from __future__ import annotations

from typing import Any

import httpx2
import pytest

from stnb.catalog import Endpoint, Resource, load_catalog
from stnb.sandbox import Sandbox
from stnb.sandbox import planted as P
from stnb.sandbox.world import SUB_LISTS

from .conftest import Api, make_api

_CATALOG = load_catalog()
UNPLANTED = [r for r in _CATALOG if r.key not in P.PLANTED_RESOURCES and (r.list or r.export)]


@pytest.fixture(scope="module")
def envs(sandbox: Sandbox) -> dict[str, Api]:
    api = make_api("embedded", sandbox, None)
    return {"integration": api, "production": api}


def first_page_path(sandbox: Sandbox, resource: Resource, endpoint: Endpoint) -> str:
    """The endpoint's path with a parent id that has records (sub-lists need one)."""
    if endpoint.parent_param is None:
        return endpoint.path
    if resource.module == "reporting":  # the Reporting API answers from its own report registry
        categories = make_api("embedded", sandbox, None).json(
            _CATALOG.resolve("reporting/report-categories").endpoint("list").path
        )
        return endpoint.path.replace("{" + endpoint.parent_param + "}", str(categories["data"][0]["id"]))
    frame = sandbox.world("integration").resource_frame(resource, endpoint.kind)
    column = SUB_LISTS[resource.key][1] if resource.key in SUB_LISTS else "_parent"
    parent = frame[column][0] if frame.height and column in frame.columns else 1
    return endpoint.path.replace("{" + endpoint.parent_param + "}", str(parent))


def without_production_fields(key: str, response: httpx2.Response) -> Any:
    drop = set(P.PRODUCTION_ONLY_FIELDS.get(key, ()))
    body = response.json()
    rows = body["data"] if isinstance(body, dict) and "data" in body else body
    return [{k: v for k, v in row.items() if k not in drop} for row in rows] if drop else body


def test_planted_resources_are_in_the_catalog() -> None:
    keys = {r.key for r in _CATALOG}
    assert set(P.PLANTED_RESOURCES) <= keys
    assert len(UNPLANTED) > 100


@pytest.mark.parametrize("kind", ["list", "export"])
def test_unplanted_first_pages_are_byte_identical(sandbox: Sandbox, envs: dict[str, Api], kind: str) -> None:
    differing, compared = [], 0
    for resource in UNPLANTED:
        endpoint = getattr(resource, kind)
        if endpoint is None:
            continue
        path = first_page_path(sandbox, resource, endpoint)
        params = {"active": "Any"} if endpoint.supports_active else {}
        answers = {}
        for env, api in envs.items():
            creds = sandbox.credentials[env]
            response = api.get(path, creds, **params)
            assert response.status_code == 200, (resource.key, env, response.text)
            answers[env] = response
        compared += 1
        a, b = answers["integration"], answers["production"]
        if a.content != b.content and (
            not P.PRODUCTION_ONLY_FIELDS.get(resource.key)
            or without_production_fields(resource.key, a) != without_production_fields(resource.key, b)
        ):
            differing.append(resource.key)
    assert compared > 20
    assert differing == []


def test_planted_resources_do_differ(sandbox: Sandbox, envs: dict[str, Api]) -> None:
    for key in P.PLANTED_RESOURCES:
        path = _CATALOG.resolve(key).endpoint("list").path
        totals = {
            env: envs[env].json(
                path, sandbox.credentials[env], pageSize=1, includeTotal="true", active="Any"
            )["totalCount"]
            for env in ("integration", "production")
        }
        assert totals["integration"] != totals["production"], key

"""With the live API's quirks on (the default), the only places where sandbox responses break the documents
are exactly the schema entries of `stnb.catalog.quirks.QUIRKS`, one by one (quirks="none" conforms fully:
test_conformance)."""

from __future__ import annotations

import re
from typing import Any

import pytest

from stnb.catalog import load_catalog
from stnb.catalog.quirks import QUIRKS
from stnb.sandbox import Sandbox
from stnb.sandbox.planted import PRODUCTION_ONLY_FIELDS

from .conftest import make_api
from .openapi import SPECS, response_schema, validator
from .test_conformance import CASES, _fetch, _trim

pytestmark = pytest.mark.skipif(not SPECS.is_dir(), reason=f"official OpenAPI documents not found at {SPECS}")

CATALOG = load_catalog()
_REQUIRED = re.compile(r"'([^']+)' is a required property")


def _expected() -> set[tuple[str, str, str, str]]:
    """(quirk id, resource key, kind, field) for every schema entry of the table the catalog serves."""
    out = set()
    for entry in QUIRKS:
        if not entry.schema:
            continue
        for resource in CATALOG:
            for kind in ("list", "export"):
                endpoint = getattr(resource, kind)
                if endpoint is not None and endpoint.path in entry.where:
                    out.update((entry.id, resource.key, kind, name) for name in entry.fields)
    return out


def _field(error: Any) -> str:
    """The record field a validation error is about ("postDate", "campaign.status")."""
    parts = [str(p) for p in error.absolute_path if not isinstance(p, int) and p != "data"]
    if error.validator == "required":
        found = _REQUIRED.search(error.message)
        if found:
            parts.append(found.group(1))
    return ".".join(parts)


def _violations(sandbox: Sandbox, env: str) -> set[tuple[str, str, str]]:
    api = make_api("embedded", sandbox, None)
    seen = set()
    for case in CASES:
        resource, kind = case.values
        body, path = _fetch(api, resource, kind, env)  # type: ignore[arg-type]
        schema = response_schema(resource.source, path)  # type: ignore[attr-defined]
        planted = PRODUCTION_ONLY_FIELDS.get(resource.key, ()) if env == "integration" else ()  # type: ignore[attr-defined]
        for error in validator(schema).iter_errors(_trim(body, env, resource)):
            field = _field(error)
            if error.validator == "required" and field.rsplit(".", 1)[-1] in planted:
                continue  # the planted difference (test_conformance): integration predates these fields
            seen.add((resource.key, kind, field))  # type: ignore[attr-defined]
    return seen


@pytest.mark.parametrize("env", ["integration", "production"])
def test_with_quirks_on_the_only_violations_are_the_tables_schema_entries(sandbox: Sandbox, env: str) -> None:
    sandbox.quirks = "all"
    expected = _expected()
    found = _violations(sandbox, env)
    for quirk_id, key, kind, name in sorted(expected):
        assert (key, kind, name) in found, f"{quirk_id}: {kind} {key} {name} conforms although quirked"
    unexplained = found - {(key, kind, name) for _q, key, kind, name in expected}
    assert not unexplained, f"violations the table does not list: {sorted(unexplained)}"
    assert expected, "the catalog serves no endpoint a schema quirk applies to"

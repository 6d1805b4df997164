"""Read the official OpenAPI documents and turn an operation's response schema into JSON Schema.

OpenAPI 3.0 `nullable: true` becomes `anyOf [schema, null]`; in the Swagger 2.0 CRM document, which
cannot say nullable, properties that are not required may be null. `$ref`s point into one shared
`definitions` map per document.
"""

from __future__ import annotations

import functools
import json
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml

SPECS = Path(__file__).resolve().parents[3] / "shared" / "servicetitan-specs"

_DROP = frozenset(
    {"description", "example", "examples", "x-nullable", "xml", "externalDocs", "discriminator"}
)


@functools.cache
def document(relative: str) -> dict[str, Any]:
    path = SPECS / relative
    text = path.read_text(encoding="utf-8")
    loaded = json.loads(text) if path.suffix == ".json" else yaml.safe_load(text)
    assert isinstance(loaded, dict)
    return loaded


def _is_swagger(doc: Mapping[str, Any]) -> bool:
    return "swagger" in doc


def _convert(node: Any, swagger: bool) -> Any:
    if isinstance(node, list):
        return [_convert(item, swagger) for item in node]
    if not isinstance(node, dict):
        return node
    out: dict[str, Any] = {}
    for key, value in node.items():
        if key in _DROP or key == "nullable":
            continue
        if key == "$ref":
            out[key] = "#/definitions/" + value.rsplit("/", 1)[-1]
        elif key == "properties":
            required = set(node.get("required", []))
            props = {}
            for name, sub in value.items():
                converted = _convert(sub, swagger)
                if swagger and name not in required:
                    converted = {"anyOf": [converted, {"type": "null"}]}
                props[name] = converted
            out[key] = props
        elif key == "format" and value not in ("date-time", "date"):  # a zone-less date-time fails "date"
            continue
        else:
            out[key] = _convert(value, swagger)
    if node.get("nullable") is True:
        return {"anyOf": [out, {"type": "null"}]}
    return out


@functools.cache
def definitions(relative: str) -> dict[str, Any]:
    doc = document(relative)
    swagger = _is_swagger(doc)
    raw = doc.get("definitions", {}) if swagger else doc.get("components", {}).get("schemas", {})
    return {name: _convert(schema, swagger) for name, schema in raw.items()}


def _operation_path(doc: Mapping[str, Any], catalog_path: str) -> str:
    """The document's own path for a catalog path (the documents drop the server's module prefix)."""
    if _is_swagger(doc):
        base = doc.get("basePath", "")
    else:
        base = "/" + doc["servers"][0]["url"].split("://", 1)[-1].split("/", 1)[-1]
    tail = catalog_path[len(base) :] if catalog_path.startswith(base) else catalog_path
    return tail if tail in doc["paths"] else catalog_path


def response_schema(relative: str, catalog_path: str) -> dict[str, Any]:
    """A self-contained JSON Schema for the 200 response of GET `catalog_path`."""
    doc = document(relative)
    path = _operation_path(doc, catalog_path)
    operation = doc["paths"][path]["get"]
    response = operation["responses"]["200"]
    if _is_swagger(doc):
        schema = response["schema"]
    else:
        content = response["content"]
        media = content.get("application/json") or next(iter(content.values()))
        schema = media["schema"]
    root = _convert(schema, _is_swagger(doc))
    root["definitions"] = definitions(relative)
    root["$schema"] = "http://json-schema.org/draft-07/schema#"
    return root


def validator(schema: dict[str, Any]) -> Any:
    """A draft-7 validator that also checks date-time formats."""
    # jsonschema compiles rfc3987_syntax's IRI grammar at import (3-5 s); these documents only need date-time.
    blocked = "rfc3987_syntax" not in sys.modules
    if blocked:
        sys.modules["rfc3987_syntax"] = None  # type: ignore[assignment]
    try:
        import jsonschema
    finally:
        if blocked:
            del sys.modules["rfc3987_syntax"]

    return jsonschema.Draft7Validator(schema, format_checker=jsonschema.FormatChecker())


def has_response_schema(relative: str, catalog_path: str) -> bool:
    try:
        response_schema(relative, catalog_path)
    except KeyError:
        return False
    return True

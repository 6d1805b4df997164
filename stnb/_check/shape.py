"""A response against the catalog's description of its document: envelope, fields and value types.

Pure functions over parsed JSON. Every difference is a `ShapeIssue` with a field path (`customer.name`,
`items[].skuId`), what the document says, what was seen and one example value (raw; masking is the
caller's job). Missing fields: a field the item schema requires (`required`, top level) absent from
some or every record is "required-missing"; an optional one is "missing-field" (absent from every record)
or "sometimes-missing" with `required=False`; without a required list (None) the same two kinds carry
`required=None` (not known). `null` is accepted for every field: the documents do not say reliably which
fields may be null, and the live API sends null for most optional values.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from stnb.catalog import Endpoint, FieldType

__all__ = ["ENVELOPE_FIELDS", "ShapeIssue", "check_envelope", "check_records", "describe", "json_kind"]

ENVELOPE_FIELDS: Mapping[str, frozenset[str]] = {
    "page": frozenset({"page", "pageSize", "hasMore", "totalCount", "data"}),
    "export": frozenset({"hasMore", "continueFrom", "data"}),
}
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_DATETIME = re.compile(r"^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?$")
_DECIMAL = re.compile(r"^-?\d+(\.\d+)?([eE][+-]?\d+)?$")


@dataclass(frozen=True, slots=True)
class ShapeIssue:
    """One difference between a response and its document."""

    kind: str  # undocumented-field | required-missing | missing-field | sometimes-missing | type | format
    # | enum | envelope
    path: str  # field path inside a record ("" for the envelope)
    documented: str
    observed: str
    example: Any = None
    required: bool | None = None  # missing fields: does the document require it (None: not known)


def describe(ftype: FieldType) -> str:
    """A short text for a catalog field type ("string", "enum of 3", "list of struct")."""
    if isinstance(ftype, str):
        return ftype
    if "enum" in ftype:
        values = list(ftype["enum"])
        shown = ", ".join(map(str, values[:6])) + (", ..." if len(values) > 6 else "")
        return f"string enum ({shown})"
    if "list" in ftype:
        return f"list of {describe(ftype['list'])}"
    if "struct" in ftype:
        return "object"
    return "any"


def json_kind(value: Any) -> str:
    """The JSON type of a parsed value: null, boolean, integer, number, string, array, object."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    return "object"


def check_envelope(body: Any, endpoint: Endpoint) -> tuple[list[Any] | None, list[ShapeIssue]]:
    """The records of a list or export body and the envelope's differences from its document."""
    envelope = endpoint.envelope
    if envelope == "array":
        if isinstance(body, list):
            return body, []
        return None, [ShapeIssue("envelope", "", "a JSON array of records", f"a JSON {json_kind(body)}")]
    if not isinstance(body, dict):
        return None, [
            ShapeIssue("envelope", "", f"a {envelope} envelope object", f"a JSON {json_kind(body)}")
        ]
    issues: list[ShapeIssue] = []
    expected = set(ENVELOPE_FIELDS.get(envelope, frozenset({"data"})))
    if envelope == "data" and endpoint.wrapper:
        expected |= set(endpoint.wrapper)
    keys = set(body)
    missing = sorted(expected - keys)
    if missing:
        issues.append(
            ShapeIssue(
                "envelope",
                "",
                f"envelope fields {', '.join(sorted(expected))}",
                f"missing {', '.join(missing)}",
            )
        )
    extra = sorted(keys - expected)
    if extra:
        issues.append(
            ShapeIssue(
                "envelope", "", f"envelope fields {', '.join(sorted(expected))}", f"also {', '.join(extra)}"
            )
        )
    data = body.get("data")
    if not isinstance(data, list):
        issues.append(ShapeIssue("envelope", "data", "an array of records", f"a JSON {json_kind(data)}"))
        return None, issues
    return data, issues


def check_records(
    records: Sequence[Any],
    fields: Mapping[str, FieldType],
    int_enums: Mapping[str, Sequence[int]] | None = None,
    required: Collection[str] | None = None,
) -> list[ShapeIssue]:
    """Differences between records and their documented fields; one issue per (kind, path).

    `required`: the top-level fields the item schema requires (None: not known)."""
    found: dict[tuple[str, str], ShapeIssue] = {}
    _check_objects(list(records), fields, "", int_enums or {}, found, required)
    return list(found.values())


def _check_objects(
    objects: list[Any],
    fields: Mapping[str, FieldType],
    prefix: str,
    int_enums: Mapping[str, Sequence[int]],
    found: dict[tuple[str, str], ShapeIssue],
    required: Collection[str] | None = None,
) -> None:
    dicts = [o for o in objects if isinstance(o, dict)]
    if not dicts:
        return
    for obj in dicts:
        for key, value in obj.items():
            if key not in fields:
                _add(
                    found,
                    ShapeIssue("undocumented-field", prefix + key, "not documented", json_kind(value), value),
                )
    for name, ftype in fields.items():
        path = prefix + name
        present = [o for o in dicts if name in o]
        needed = None if required is None else name in required
        if len(present) < len(dicts):
            absent = len(dicts) - len(present)
            observed = (
                "absent from every record" if not present else f"absent from {absent} of {len(dicts)} records"
            )
            if needed:
                kind, documented = "required-missing", f"required, {describe(ftype)}"
            else:
                kind = "missing-field" if not present else "sometimes-missing"
                documented = describe(ftype) if needed is None else f"optional, {describe(ftype)}"
            _add(found, ShapeIssue(kind, path, documented, observed, required=needed))
        if not present:
            continue
        values = [o[name] for o in present]
        _check_values(values, ftype, path, int_enums.get(name) if not prefix else None, int_enums, found)


def _check_values(
    values: list[Any],
    ftype: FieldType,
    path: str,
    allowed_ints: Sequence[int] | None,
    int_enums: Mapping[str, Sequence[int]],
    found: dict[tuple[str, str], ShapeIssue],
) -> None:
    values = [v for v in values if v is not None]
    if not values:
        return
    if isinstance(ftype, dict):
        if "struct" in ftype:
            bad = [v for v in values if not isinstance(v, dict)]
            if bad:
                _add(found, ShapeIssue("type", path, "object", json_kind(bad[0]), bad[0]))
            _check_objects(values, ftype["struct"], path + ".", int_enums, found)
            return
        if "list" in ftype:
            bad = [v for v in values if not isinstance(v, list)]
            if bad:
                _add(found, ShapeIssue("type", path, describe(ftype), json_kind(bad[0]), bad[0]))
            items = [item for v in values if isinstance(v, list) for item in v]
            _check_values(items, ftype["list"], path + "[]", None, int_enums, found)
            return
        if "enum" in ftype:
            documented = describe(ftype)
            known = {str(v) for v in ftype["enum"]}
            for v in values:
                if isinstance(v, str):
                    if v not in known:
                        _add(found, ShapeIssue("enum", path, documented, f"value {v!r} not documented", v))
                        break
                else:
                    _add(found, ShapeIssue("type", path, documented, json_kind(v), v))
                    break
        return
    _check_scalar(values, ftype, path, allowed_ints, found)


_SCALAR_KINDS: Mapping[str, tuple[str, ...]] = {
    "int32": ("integer",),
    "int64": ("integer",),
    "float64": ("integer", "number"),
    "bool": ("boolean",),
    "string": ("string",),
    "datetime": ("string",),
    "date": ("string",),
    "money": ("string", "integer", "number"),
    "decimal_string": ("string", "integer", "number"),
}


def _check_scalar(
    values: list[Any],
    ftype: str,
    path: str,
    allowed_ints: Sequence[int] | None,
    found: dict[tuple[str, str], ShapeIssue],
) -> None:
    kinds = _SCALAR_KINDS.get(ftype)
    if kinds is None:  # "json": anything goes
        return
    for v in values:
        kind = json_kind(v)
        if kind not in kinds:
            _add(found, ShapeIssue("type", path, ftype, kind, v))
            return
        if ftype == "date" and not _DATE.match(v):
            observed = "a date-time" if _DATETIME.match(v) else "text that is not a date"
            _add(found, ShapeIssue("format", path, "date (YYYY-MM-DD)", observed, v))
            return
        if ftype == "datetime" and not _DATETIME.match(v):
            _add(found, ShapeIssue("format", path, "date-time", "text that is not a date-time", v))
            return
        if ftype in ("money", "decimal_string") and kind == "string" and not _DECIMAL.match(v):
            _add(found, ShapeIssue("format", path, f"{ftype} (a decimal)", "text that is not a number", v))
            return
        if allowed_ints and kind == "integer" and v not in allowed_ints:
            documented = f"integer enum ({', '.join(map(str, allowed_ints))})"
            _add(found, ShapeIssue("enum", path, documented, f"value {v} not documented", v))
            return


def _add(found: dict[tuple[str, str], ShapeIssue], issue: ShapeIssue) -> None:
    found.setdefault((issue.kind, issue.path), issue)

"""What the Reporting API says about its reports, parsed strictly into frozen dataclasses.

Metadata comes from three endpoints: categories (`{id, name}`), a category's reports (`{id, name,
description}`) and one report's description (parameters with types, required flags and accepted
values; result fields with types). Structural damage (a missing name, parameters that are not a
list) raises `ReportMetadataError` naming the report and the place; an unknown `dataType` is read
as `String` with a warning, because field types are known to be unreliable.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from stnb.errors import StnbError

__all__ = [
    "DATA_TYPES",
    "Choice",
    "ReportCategory",
    "ReportDescription",
    "ReportField",
    "ReportMetadataError",
    "ReportMetadataWarning",
    "ReportParameter",
    "ReportSummary",
    "dynamic_set_ids",
    "parse_categories",
    "parse_description",
    "parse_reports",
    "parse_value_set",
]

DATA_TYPES = ("String", "Number", "Boolean", "Date", "Time")

# Columns of an accepted-values table that hold the value to send and the label to show.
_VALUE_COLUMNS = ("value", "id")
_LABEL_COLUMNS = ("name", "label", "displayname", "text")


class ReportMetadataError(StnbError):
    """The Reporting API returned report metadata or data that cannot be interpreted safely."""


class ReportMetadataWarning(UserWarning):
    """Report metadata was odd but usable (an unknown data type, duplicate field names)."""


@dataclass(frozen=True)
class ReportCategory:
    """A report category such as `operations` or `business-unit-dashboard`."""

    id: str
    name: str


@dataclass(frozen=True)
class ReportSummary:
    """One report as listed in its category."""

    category: str
    id: int
    name: str
    description: str | None = None


@dataclass(frozen=True)
class ReportField:
    """A result column: its name (the frame's column name), label and declared data type."""

    name: str
    label: str
    data_type: str = "String"


@dataclass(frozen=True)
class Choice:
    """One allowed value of a parameter: what to send and what a person reads."""

    value: Any
    label: str


@dataclass(frozen=True)
class ReportParameter:
    """A report parameter; `choices` is None when any value of the type is accepted."""

    name: str
    label: str
    data_type: str
    is_array: bool = False
    is_required: bool = False
    dynamic_set_id: str | None = None
    choices: tuple[Choice, ...] | None = None

    @property
    def type_text(self) -> str:
        """The type as a person reads it, e.g. `Number[]`."""
        return f"{self.data_type}[]" if self.is_array else self.data_type


@dataclass(frozen=True)
class ReportDescription:
    """A report's full description: parameters to send and fields that come back."""

    category: str
    id: int
    name: str
    description: str | None
    modified_on: str | None
    parameters: tuple[ReportParameter, ...]
    fields: tuple[ReportField, ...]
    unresolved_sets: tuple[str, ...] = field(default=())

    def parameter(self, name: str) -> ReportParameter | None:
        """The parameter called `name` (exact match), or None."""
        return next((p for p in self.parameters if p.name == name), None)

    @property
    def required(self) -> tuple[str, ...]:
        """Names of the required parameters."""
        return tuple(p.name for p in self.parameters if p.is_required)

    def field_types(self) -> dict[str, str]:
        """Declared data type per result field name."""
        return {f.name: f.data_type for f in self.fields}


def parse_categories(items: Sequence[Any]) -> list[ReportCategory]:
    """Categories from the `data` items of `GET /report-categories`."""
    result = []
    for index, item in enumerate(items):
        where = f"report category #{index}"
        obj = _object(item, where)
        result.append(ReportCategory(id=_text(obj, "id", where), name=_text(obj, "name", where, "")))
    return result


def parse_reports(category: str, items: Sequence[Any]) -> list[ReportSummary]:
    """Report summaries from the `data` items of `GET /report-category/{category}/reports`."""
    result = []
    for index, item in enumerate(items):
        where = f"report #{index} of category {category!r}"
        obj = _object(item, where)
        result.append(
            ReportSummary(
                category=category,
                id=_int(obj, "id", where),
                name=_text(obj, "name", where, ""),
                description=_optional_text(obj, "description", where),
            )
        )
    return result


def parse_description(
    category: str,
    report_id: int,
    body: Any,
    value_sets: Mapping[str, tuple[Choice, ...]] | None = None,
) -> ReportDescription:
    """A report description; dynamic value sets are looked up in `value_sets` (already fetched)."""
    where = f"report {report_id} of category {category!r}"
    obj = _object(body, where)
    sets = value_sets or {}
    parameters = tuple(
        _parameter(item, f"{where}, parameters[{i}]", sets)
        for i, item in enumerate(_list(obj, "parameters", where))
    )
    _no_duplicates([p.name for p in parameters], f"{where}: parameter")
    fields = tuple(
        _field(item, f"{where}, fields[{i}]") for i, item in enumerate(_list(obj, "fields", where))
    )
    unresolved = tuple(
        p.dynamic_set_id for p in parameters if p.dynamic_set_id is not None and p.dynamic_set_id not in sets
    )
    return ReportDescription(
        category=category,
        id=_int(obj, "id", where) if "id" in obj else report_id,
        name=_text(obj, "name", where, ""),
        description=_optional_text(obj, "description", where),
        modified_on=_optional_text(obj, "modifiedOn", where),
        parameters=parameters,
        fields=fields,
        unresolved_sets=unresolved,
    )


def dynamic_set_ids(body: Any) -> list[str]:
    """Ids of the dynamic value sets a raw description refers to (to fetch before parsing)."""
    if not isinstance(body, Mapping) or not isinstance(body.get("parameters"), list):
        return []
    ids: list[str] = []
    for item in body["parameters"]:
        accept = item.get("acceptValues") if isinstance(item, Mapping) else None
        set_id = accept.get("dynamicSetId") if isinstance(accept, Mapping) else None
        if isinstance(set_id, str | int) and not isinstance(set_id, bool) and str(set_id) not in ids:
            ids.append(str(set_id))
    return ids


def parse_value_set(set_id: str, fields: Any, rows: Sequence[Any]) -> tuple[Choice, ...]:
    """Choices from a dynamic value set's (or a parameter's static) `fields` and `data` rows."""
    return _choices(fields, rows, f"value set {set_id!r}")


def _parameter(item: Any, where: str, sets: Mapping[str, tuple[Choice, ...]]) -> ReportParameter:
    obj = _object(item, where)
    name = _text(obj, "name", where)
    where = f"{where} ({name!r})"
    accept = obj.get("acceptValues")
    dynamic_set_id: str | None = None
    choices: tuple[Choice, ...] | None = None
    if accept is not None:
        accept_obj = _object(accept, f"{where}.acceptValues")
        raw_set = accept_obj.get("dynamicSetId")
        if raw_set is not None:
            if isinstance(raw_set, bool) or not isinstance(raw_set, str | int):
                raise ReportMetadataError(
                    f"{where}.acceptValues.dynamicSetId must be a string, got {raw_set!r}"
                )
            dynamic_set_id = str(raw_set)
            choices = sets.get(dynamic_set_id)
        values = accept_obj.get("values")
        if values is not None:
            if not isinstance(values, list):
                raise ReportMetadataError(f"{where}.acceptValues.values must be a list of rows")
            static = _choices(accept_obj.get("fields"), values, f"{where}.acceptValues")
            choices = static if choices is None else choices + static
    return ReportParameter(
        name=name,
        label=_text(obj, "label", where, name),
        data_type=_data_type(obj.get("dataType"), where),
        is_array=_bool(obj, "isArray", where),
        is_required=_bool(obj, "isRequired", where),
        dynamic_set_id=dynamic_set_id,
        choices=choices,
    )


def _field(item: Any, where: str) -> ReportField:
    obj = _object(item, where)
    name = _text(obj, "name", where)
    return ReportField(
        name=name,
        label=_text(obj, "label", where, name),
        data_type=_data_type(obj.get("dataType"), f"{where} ({name!r})"),
    )


def _choices(fields: Any, rows: Sequence[Any], where: str) -> tuple[Choice, ...]:
    names: list[str] = []
    if isinstance(fields, list):
        names = [str(f.get("name", "")).lower() if isinstance(f, Mapping) else "" for f in fields]
    value_at = next((names.index(c) for c in _VALUE_COLUMNS if c in names), 0)
    label_at = next((names.index(c) for c in _LABEL_COLUMNS if c in names), None)
    if label_at is None:
        label_at = 1 if value_at == 0 else 0
    result = []
    for index, row in enumerate(rows):
        cells = row if isinstance(row, list) else [row]
        if not cells:
            raise ReportMetadataError(f"{where}: row {index} is empty")
        value = cells[value_at] if value_at < len(cells) else cells[0]
        label = cells[label_at] if label_at < len(cells) else value
        result.append(Choice(value=value, label=str(label)))
    return tuple(result)


def _data_type(raw: Any, where: str) -> str:
    if isinstance(raw, str):
        for known in DATA_TYPES:
            if raw.lower() == known.lower():
                return known
    warnings.warn(
        f"{where}: unknown dataType {raw!r}, read as String (known: {', '.join(DATA_TYPES)})",
        ReportMetadataWarning,
        stacklevel=4,
    )
    return "String"


def _no_duplicates(names: list[str], what: str) -> None:
    seen: set[str] = set()
    for name in names:
        if name in seen:
            raise ReportMetadataError(f"{what} {name!r} is declared twice")
        seen.add(name)


def _object(value: Any, where: str) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise ReportMetadataError(f"{where}: expected a JSON object, got {type(value).__name__}")
    return value


def _list(obj: Mapping[str, Any], key: str, where: str) -> list[Any]:
    value = obj.get(key)
    if value is None:
        return []
    if not isinstance(value, list):
        raise ReportMetadataError(f"{where}: {key!r} must be a list, got {type(value).__name__}")
    return value


def _text(obj: Mapping[str, Any], key: str, where: str, default: str | None = None) -> str:
    value = obj.get(key)
    if value is None and default is not None:
        return default
    if isinstance(value, bool) or not isinstance(value, str | int) or value == "":
        raise ReportMetadataError(f"{where}: {key!r} must be a non-empty string, got {value!r}")
    return str(value)


def _optional_text(obj: Mapping[str, Any], key: str, where: str) -> str | None:
    value = obj.get(key)
    if value is None:
        return None
    if not isinstance(value, str):
        raise ReportMetadataError(f"{where}: {key!r} must be a string, got {value!r}")
    return value


def _int(obj: Mapping[str, Any], key: str, where: str) -> int:
    value = obj.get(key)
    if isinstance(value, bool):
        raise ReportMetadataError(f"{where}: {key!r} must be an integer id, got {value!r}")
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.strip().isdigit():
        return int(value)
    raise ReportMetadataError(f"{where}: {key!r} must be an integer id, got {value!r}")


def _bool(obj: Mapping[str, Any], key: str, where: str) -> bool:
    value = obj.get(key, False)
    if value is None:
        return False
    if not isinstance(value, bool):
        raise ReportMetadataError(f"{where}: {key!r} must be true or false, got {value!r}")
    return value

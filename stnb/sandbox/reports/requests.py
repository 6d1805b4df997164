"""Reading a reporting request (paging, report parameters) and shaping its JSON pages."""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from datetime import date
from typing import Any

import polars as pl

from stnb.sandbox.messages import SandboxRequest
from stnb.sandbox.reports.definitions import REPORTS
from stnb.sandbox.reports.model import Param, Report

__all__ = [
    "MAX_PAGE_SIZE",
    "BadRequest",
    "data_page",
    "find_report",
    "list_page",
    "parse_paging",
    "parse_parameters",
]


MAX_PAGE_SIZE = 5000


class BadRequest(Exception):
    def __init__(
        self, errors: Mapping[str, Sequence[str]], title: str = "One or more validation errors occurred."
    ):
        super().__init__(title)
        self.title = title
        self.errors = errors


def find_report(category: str, raw_id: str) -> Report | None:
    if not raw_id.isdigit():
        return None
    return next((r for r in REPORTS if r.category == category and r.id == int(raw_id)), None)


def parse_paging(req: SandboxRequest, default_size: int) -> tuple[int, int, bool]:
    errors: dict[str, list[str]] = {}
    page = _int_query(req, "page", 1, errors)
    size = _int_query(req, "pageSize", default_size, errors)
    if page < 1 and "page" not in errors:
        errors["page"] = ["The page must be 1 or greater."]
    if not 1 <= size <= MAX_PAGE_SIZE and "pageSize" not in errors:
        errors["pageSize"] = [f"The pageSize must be between 1 and {MAX_PAGE_SIZE}."]
    include = req.query_values("includeTotal")
    include_total = bool(include) and include[-1].strip().lower() == "true"
    if errors:
        raise BadRequest(errors)
    return page, size, include_total


def _int_query(req: SandboxRequest, name: str, default: int, errors: dict[str, list[str]]) -> int:
    values = req.query_values(name)
    if not values or values[-1] == "":
        return default
    try:
        return int(values[-1])
    except ValueError:
        errors[name] = [f"The value '{values[-1]}' is not valid for {name}."]
        return default


def list_page(rows: Sequence[Any], req: SandboxRequest, default_size: int) -> dict[str, Any]:
    page, size, include_total = parse_paging(req, default_size)
    start = (page - 1) * size
    chunk = list(rows[start : start + size])
    return {
        "page": page,
        "pageSize": size,
        "hasMore": start + size < len(rows),
        "totalCount": len(rows) if include_total else None,
        "data": chunk,
    }


def data_page(
    report: Report, result: pl.DataFrame, page: int, size: int, include_total: bool
) -> dict[str, Any]:
    start = (page - 1) * size
    chunk = result.slice(start, size) if start < result.height else result.clear()
    text_dates = chunk.with_columns(pl.col(pl.Date).cast(pl.String))
    return {
        "page": page,
        "pageSize": size,
        "hasMore": start + size < result.height,
        "totalCount": result.height if include_total else None,
        "fields": [{"name": f.name, "label": f.label} for f in report.fields],
        "data": [list(row) for row in text_dates.rows()],
    }


def parse_parameters(report: Report, body: bytes) -> dict[str, Any]:
    try:
        payload = json.loads(body or b"{}")
    except ValueError as exc:
        raise BadRequest({"body": ["The request body is not valid JSON."]}) from exc
    if not isinstance(payload, dict):
        raise BadRequest({"body": ["The request body must be a JSON object with 'parameters'."]})
    raw = payload.get("parameters") or []
    if not isinstance(raw, list):
        raise BadRequest({"parameters": ["'parameters' must be an array of {name, value}."]})
    declared = {p.name.lower(): p for p in report.parameters}
    errors: dict[str, list[str]] = {}
    values: dict[str, Any] = {}
    for index, item in enumerate(raw):
        if not isinstance(item, dict) or not isinstance(item.get("name"), str):
            errors[f"parameters[{index}]"] = ["Each parameter needs a string 'name' and a 'value'."]
            continue
        param = declared.get(item["name"].lower())
        if param is None:
            errors[item["name"]] = [f"Parameter '{item['name']}' not found."]
            continue
        try:
            values[param.name] = _parameter_value(param, item.get("value"))
        except ValueError as exc:
            errors[param.name] = [str(exc)]
    for param in report.parameters:
        if param.required and values.get(param.name) is None and param.name not in errors:
            errors[param.name] = [f"The {param.name} parameter is required."]
    if errors:
        raise BadRequest(errors)
    return values


def _parameter_value(param: Param, value: Any) -> Any:
    if value is None:
        return None
    if param.is_array:
        items = value if isinstance(value, list) else [value]
        return [_scalar(param, item) for item in items]
    if isinstance(value, list):
        raise ValueError(f"The {param.name} parameter takes a single value.")
    return _scalar(param, value)


def _scalar(param: Param, value: Any) -> Any:
    if param.data_type == "Date":
        text = value[:10] if isinstance(value, str) else None
        try:
            return date.fromisoformat(text) if text is not None else _invalid(param, value)
        except ValueError:
            return _invalid(param, value)
    if param.data_type == "Number":
        if isinstance(value, bool):
            return _invalid(param, value)
        try:
            number = float(value)
        except (TypeError, ValueError):
            return _invalid(param, value)
        if not math.isfinite(number):
            return _invalid(param, value)
        result: Any = int(number) if number.is_integer() else number
        if param.values is not None and result not in {v for v, _ in param.values}:
            raise ValueError(f"The value '{value}' is not allowed for {param.name}.")
        return result
    if param.data_type == "Boolean":
        if isinstance(value, bool):
            return value
        return _invalid(param, value)
    return str(value)


def _invalid(param: Param, value: Any) -> Any:
    raise ValueError(f"The value '{value}' is not a valid {param.data_type} for {param.name}.")

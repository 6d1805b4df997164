"""Page-based list endpoints: filters, sort and paging over a table, into the API's envelope.

Common parameters (`page`, `pageSize`, `includeTotal`, `ids`, `active`, `sort`, the created/modified
bounds) behave as documented; resource-specific filters named in the catalog apply when the table has a
matching column (`customerId`, `jobStatus`, `completedOnOrAfter`, `customerIds`, ...); anything else is
ignored silently, as the real API does.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import polars as pl

from stnb.catalog import Endpoint, Param
from stnb.sandbox.params import (
    INT32_MAX,
    BadRequest,
    QueryView,
    invalid,
    parse_bool,
    parse_datetime,
    parse_float,
    parse_int,
)
from stnb.sandbox.quirks import Quirks
from stnb.sandbox.shapes import render_rows

__all__ = ["MAX_IDS", "MAX_PAGE_SIZE", "ListQuery", "list_response", "select_rows"]

MAX_PAGE_SIZE = 5000
DEFAULT_PAGE_SIZE = 50
MAX_IDS = 50
_COMMON = frozenset(
    {
        "page",
        "pagesize",
        "includetotal",
        "ids",
        "active",
        "sort",
        "createdbefore",
        "createdonorafter",
        "modifiedbefore",
        "modifiedonorafter",
    }
)
_DEFAULT_SORT = ("Id", "CreatedOn", "ModifiedOn")
# Envelopes whose documents declare totalCount as a plain integer: always counted.
ALWAYS_TOTAL = frozenset({"telecom/calls", "pricebook/materialsmarkup"})

Column = Callable[[], pl.Expr]
_ALL_QUIRKS = Quirks()
_UNSORTED_SEED = 20_260_501

# Filters whose column is not named after the parameter: (resource key, parameter) -> (column, operator).
_ALIASES: Mapping[tuple[str, str], tuple[str, str]] = {
    ("jpm/jobs", "number"): ("jobNumber", "eq"),
    ("accounting/invoices", "invoicedOnOrAfter"): ("invoiceDate", "ge"),
    ("accounting/invoices", "invoicedOnBefore"): ("invoiceDate", "lt"),
    ("accounting/invoices", "number"): ("referenceNumber", "eq"),
    ("accounting/invoices", "jobNumber"): ("job.number", "eq"),
    ("accounting/invoices", "jobId"): ("job.id", "eq"),
    ("accounting/payments", "paidOnAfter"): ("date", "ge"),
    ("accounting/payments", "paidOnBefore"): ("date", "lt"),
    ("jpm/appointments", "startsOnOrAfter"): ("start", "ge"),
    ("jpm/appointments", "startsBefore"): ("start", "lt"),
    ("jpm/appointments", "number"): ("appointmentNumber", "eq"),
    ("crm/customers", "name"): ("name", "contains"),
    ("crm/locations", "name"): ("name", "contains"),
    ("settings/technicians", "name"): ("name", "contains"),
    ("settings/employees", "name"): ("name", "contains"),
    ("marketing/campaigns", "name"): ("name", "contains"),
}
_ADDRESS_PARTS = ("street", "unit", "city", "state", "zip", "country")


@dataclass(frozen=True, slots=True)
class ListQuery:
    """The parsed paging part of a list request."""

    page: int
    page_size: int
    include_total: bool


def parse_paging(query: QueryView, base: int = 1) -> ListQuery:
    """Paging parameters; `base` is the number of the first page (0 where the live API counts from 0)."""
    raw_page = query.get("page")
    page = base if raw_page is None or raw_page == "" else parse_int("page", raw_page, low=0, high=INT32_MAX)
    raw_size = query.get("pageSize")
    size = DEFAULT_PAGE_SIZE
    if raw_size not in (None, ""):
        size = parse_int("pageSize", raw_size, low=-(2**31), high=INT32_MAX)
        if not 1 <= size <= MAX_PAGE_SIZE:
            raise BadRequest({"pageSize": [f"The field PageSize must be between 1 and {MAX_PAGE_SIZE}."]})
    raw_total = query.get("includeTotal")
    include_total = False if raw_total in (None, "") else parse_bool("includeTotal", raw_total)
    return ListQuery(page=max(base, page), page_size=size, include_total=include_total)


def _column_expr(frame: pl.DataFrame, path: str) -> pl.Expr | None:
    """`name` or `struct.field` as an expression, when the frame has it."""
    head, _, tail = path.partition(".")
    if head not in frame.columns:
        return None
    expr = pl.col(head)
    if tail:
        dtype = frame.schema[head]
        if not isinstance(dtype, pl.Struct) or tail not in {f.name for f in dtype.fields}:
            return None
        expr = expr.struct.field(tail)
    return expr


def _dtype_at(frame: pl.DataFrame, path: str) -> pl.DataType:
    """The dtype of `name` or `struct.field` (as an instance)."""
    head, _, tail = path.partition(".")
    dtype = _instance(frame.schema[head])
    if isinstance(dtype, pl.Struct) and tail:
        return _instance(next(f.dtype for f in dtype.fields if f.name == tail))
    return dtype


def _instance(dtype: Any) -> pl.DataType:
    """A dtype instance (schemas may hold bare dtype classes such as `pl.String`)."""
    return dtype if isinstance(dtype, pl.DataType) else dtype()


def _typed_values(name: str, raw: str, param: Param | None, dtype: pl.DataType) -> list[object]:
    parts = (
        [p.strip() for p in raw.split(",") if p.strip()]
        if (param and param.array) or name.endswith("s")
        else [raw]
    )
    values: list[object] = []
    for part in parts:
        if dtype.is_integer():
            values.append(parse_int(name, part))
        elif dtype.is_float():
            values.append(parse_float(name, part))
        elif dtype == pl.Boolean:
            values.append(parse_bool(name, part))
        elif isinstance(dtype, pl.Datetime):
            values.append(parse_datetime(name, part))
        else:
            values.append(part)
    return values


def _check_param(name: str, raw: str, param: Param) -> None:
    """Reject values of the wrong type or outside the parameter's enum (ASP.NET binding fails -> 400)."""
    parts = [p.strip() for p in raw.split(",")] if param.array else [raw]
    for part in parts:
        if param.type in ("int32", "int64"):
            parse_int(name, part, high=INT32_MAX if param.type == "int32" else 2**63 - 1)
        elif param.type == "float64":
            parse_float(name, part)
        elif param.type == "bool":
            parse_bool(name, part)
        elif param.type in ("datetime", "date"):
            parse_datetime(name, part)
        if param.enum and part.lower() not in {e.lower() for e in param.enum}:
            raise invalid(name, part)


def _filter_for(key: str, frame: pl.DataFrame, name: str, raw: str, param: Param) -> pl.Expr | None:
    """The row condition a resource-specific parameter stands for, or None when it does not apply."""
    column, op = _ALIASES.get((key, name), ("", ""))
    if not column:
        if name in _ADDRESS_PARTS and "address" in frame.columns:
            column, op = f"address.{name}", "eq"
        elif name in frame.columns:
            column, op = name, "eq"
        elif name.endswith("Ids") and name[:-1] in frame.columns:
            column, op = name[:-1], "in"
        elif name.endswith("Id") and _column_expr(frame, f"{name[:-2]}.id") is not None:
            column, op = f"{name[:-2]}.id", "eq"
        elif name.endswith("OnOrAfter") and f"{name[:-9]}On" in frame.columns:
            column, op = f"{name[:-9]}On", "ge"
        elif name.endswith("Before") and f"{name[:-6]}On" in frame.columns:
            column, op = f"{name[:-6]}On", "lt"
        elif name.endswith("After") and f"{name[:-5]}On" in frame.columns:
            column, op = f"{name[:-5]}On", "gt"
        else:
            return None
    expr = _column_expr(frame, column)
    if expr is None:
        return None
    dtype = _dtype_at(frame, column)
    if isinstance(dtype, pl.List):
        values = _typed_values(name, raw, param, _instance(dtype.inner))
        return (
            expr.list.set_intersection(pl.lit(pl.Series(values, dtype=dtype.inner)).implode()).list.len() > 0
        )
    values = _typed_values(name, raw, param, dtype)
    if not values:
        return None
    if op == "contains" and dtype == pl.String:
        return expr.str.to_lowercase().str.contains(str(values[0]).lower(), literal=True)
    if op in ("ge", "lt", "gt"):
        bound = pl.lit(values[0])
        return {"ge": expr.ge(bound), "lt": expr.lt(bound), "gt": expr.gt(bound)}[op]
    if dtype == pl.String:
        lowered = [str(v).lower() for v in values]
        return expr.str.to_lowercase().is_in(lowered)
    return expr.is_in(values) if len(values) > 1 or op == "in" else expr.eq(pl.lit(values[0]))


_WITHOUT_FLAG = "includeReviewsWithout"


def _without_filter(frame: pl.DataFrame, name: str, raw: str) -> pl.Expr | None:
    """`includeReviewsWithoutTechnician=false`: only records that have a technician (as documented)."""
    if parse_bool(name, raw):
        return None
    thing = name[len(_WITHOUT_FLAG) :]
    thing = thing[:1].lower() + thing[1:]
    for column in (f"{thing}Id", thing, f"{thing}Name"):
        if column in frame.columns:
            return pl.col(column).is_not_null()
    return None


def _ids_filter(frame: pl.DataFrame, raw: str) -> pl.Expr:
    parts = [p.strip() for p in raw.split(",") if p.strip()]
    if len(parts) > MAX_IDS:
        raise BadRequest({"Ids": [f"Simple IDs lookup should not contain more than {MAX_IDS} IDs."]})
    if frame.schema["id"] == pl.String:
        return pl.col("id").is_in(parts)
    return pl.col("id").is_in([parse_int("ids", p) for p in parts])


def _active_filter(
    frame: pl.DataFrame, query: QueryView, endpoint: Endpoint, quirks: Quirks
) -> pl.Expr | None:
    if "active" not in frame.columns:
        return None
    if not endpoint.supports_active:
        return pl.col("active")  # deleted records only show up in exports
    raw = query.get("active")
    default = "true" if quirks.hides_inactive(endpoint.path) else "any"
    value = default if raw in (None, "") else raw.strip().lower()
    if value == "any":
        return None
    if value in ("true", "false"):
        return pl.col("active") == (value == "true")
    raise invalid("active", raw or "")


def _date_filters(frame: pl.DataFrame, query: QueryView, endpoint: Endpoint) -> list[pl.Expr]:
    out = []
    for name, column, op in (
        ("createdBefore", "createdOn", "lt"),
        ("createdOnOrAfter", "createdOn", "ge"),
        ("modifiedBefore", "modifiedOn", "lt"),
        ("modifiedOnOrAfter", "modifiedOn", "ge"),
    ):
        raw = query.get(name)
        if raw in (None, "") or name not in endpoint.params:
            continue
        bound: datetime = parse_datetime(name, raw)
        if column not in frame.columns:
            continue
        out.append(pl.col(column) < bound if op == "lt" else pl.col(column) >= bound)
    return out


def _balance_filter(frame: pl.DataFrame, query: QueryView, endpoint: Endpoint) -> list[pl.Expr]:
    """Invoices' `balanceFilter.Balance` with `balanceFilter.Comparer` (Equals by default)."""
    raw = query.get("balanceFilter.Balance")
    if raw in (None, "") or "balanceFilter.Balance" not in endpoint.params or "balance" not in frame.columns:
        return []
    bound = parse_float("balanceFilter.Balance", raw)
    comparer = (query.get("balanceFilter.Comparer") or "Equals").strip().lower()
    balance = pl.col("balance").cast(pl.Float64, strict=False)
    compare = {"equals": balance == bound, "notequals": balance != bound, "greater": balance > bound}
    compare["less"] = balance < bound
    if comparer not in compare:
        raise invalid("balanceFilter.Comparer", query.get("balanceFilter.Comparer") or "")
    return [compare[comparer]]


def _sort_spec(frame: pl.DataFrame, query: QueryView, endpoint: Endpoint) -> tuple[str, bool] | None:
    raw = query.get("sort")
    if raw in (None, "") or "sort" not in endpoint.params:
        return None
    text = raw.strip()
    descending = text.startswith("-")
    field = text.lstrip("+- ").strip()
    allowed = endpoint.sort or _DEFAULT_SORT
    match = next((f for f in allowed if f.lower() == field.lower()), None)
    if match is None:
        raise BadRequest(
            {"sort": [f"Sorting by '{field}' is not supported. Available fields are: {', '.join(allowed)}."]}
        )
    column = match[0].lower() + match[1:]
    if column not in frame.columns:
        return None
    return column, descending


def select_rows(
    key: str,
    frame: pl.DataFrame,
    query: QueryView,
    endpoint: Endpoint,
    extra: list[pl.Expr] | None = None,
    quirks: Quirks = _ALL_QUIRKS,
) -> tuple[pl.Series, tuple[str, bool] | None]:
    """Row positions matching the request's filters, in the requested order."""
    conditions: list[pl.Expr] = list(extra or [])
    active = _active_filter(frame, query, endpoint, quirks)
    if active is not None:
        conditions.append(active)
    raw_ids = query.get("ids")
    if raw_ids not in (None, "") and "ids" in endpoint.params:
        conditions.append(_ids_filter(frame, raw_ids))
    conditions.extend(_date_filters(frame, query, endpoint))
    conditions.extend(_balance_filter(frame, query, endpoint))
    for name, param in endpoint.params.items():
        if name.lower() in _COMMON:
            continue
        given = [v for v in query.all(name) if v != ""]
        if not given:
            continue
        raw = ",".join(given) if param.array else given[0]
        _check_param(name, raw, param)
        if name.startswith(_WITHOUT_FLAG):
            ignored = quirks.on("ignored-flags", endpoint.path)
            condition = None if ignored else _without_filter(frame, name, raw)
        else:
            condition = _filter_for(key, frame, name, raw, param)
        if condition is not None:
            conditions.append(condition)
    sort = _sort_spec(frame, query, endpoint)
    if conditions:
        positions = frame.select(pl.arg_where(pl.all_horizontal(conditions)).alias("i"))["i"]
    else:
        positions = pl.Series("i", range(frame.height), dtype=pl.UInt32)
    if sort is not None and not (sort[0] == "id" and not sort[1]):
        column, descending = sort
        order = pl.DataFrame({"i": positions, "k": frame[column].gather(positions)})
        order = order.with_columns(id=frame["id"].gather(positions))
        positions = order.sort(["k", "id"], descending=[descending, descending], nulls_last=True)["i"]
    elif sort is None and quirks.unsorted(endpoint.path):
        positions = _unsorted(frame, positions)
    return positions, sort


def _unsorted(frame: pl.DataFrame, positions: pl.Series) -> pl.Series:
    """The live API's order for lists that are not sorted: by a hash of the id, the same on every page."""
    order = pl.DataFrame({"i": positions, "id": frame["id"].gather(positions)})
    return order.sort(pl.col("id").hash(seed=_UNSORTED_SEED), "id")["i"]


def list_response(
    key: str,
    frame: pl.DataFrame,
    query: QueryView,
    endpoint: Endpoint,
    columns: list[str],
    extra: list[pl.Expr] | None = None,
    quirks: Quirks = _ALL_QUIRKS,
    wrapper: Mapping[str, Any] | None = None,
) -> tuple[bytes, int]:
    """The JSON body of a list request (a page envelope, a bare array for "array" endpoints, or every
    matching record in `{data}` for "data" endpoints, which have no paging fields to say more exist) and
    the number of records in it."""
    base = quirks.page_base(endpoint.path)
    paging = parse_paging(query, base)
    positions, _sort = select_rows(key, frame, query, endpoint, extra, quirks)
    if endpoint.envelope == "data":
        rows = render_rows(frame, positions, columns) if len(positions) else b"[]"
        head = b"".join(
            b"%s:%s," % (json.dumps(k).encode(), json.dumps(v).encode()) for k, v in (wrapper or {}).items()
        )
        return b"{" + head + b'"data":' + rows + b"}", len(positions)
    total = len(positions)
    offset = (paging.page - base) * paging.page_size
    chosen = positions.slice(offset, paging.page_size) if offset < total else positions.slice(0, 0)
    rows = render_rows(frame, chosen, columns) if len(chosen) else b"[]"
    if endpoint.envelope == "array":
        return rows, len(chosen)
    has_more = b"true" if offset + len(chosen) < total else b"false"
    total_text = str(total).encode() if paging.include_total or key in ALWAYS_TOTAL else b"null"
    body = (
        b'{"page":%d,"pageSize":%d,"hasMore":%s,"totalCount":%s,"data":'
        % (paging.page, paging.page_size, has_more, total_text)
        + rows
        + b"}"
    )
    return body, len(chosen)

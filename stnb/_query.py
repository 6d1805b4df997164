"""Caller filters -> validated query parameters for one catalog endpoint.

ServiceTitan silently ignores query parameters it does not know and answers with unfiltered data, so
every name is checked against the endpoint's parameters from the official documents; an unknown one
raises `ValidationError` naming the closest valid ones. Values are checked and formatted too:

- integers, numbers and booleans (`True`, `"true"`, `1`...) as the API expects them;
- datetimes become RFC3339 UTC (`2026-01-01T00:00:00Z`). Aware `datetime` objects are converted to UTC,
  a `date` means midnight UTC, and strings are parsed (`"2026-01-01"`, `"2026-01-01T08:00:00-05:00"`);
  a string without an offset is read as UTC, the API's own convention. Naive `datetime` objects are
  rejected because they usually hold local time (`datetime.now()`);
- enum values match case-insensitively and are sent in the documented spelling;
- `active` accepts True/False/"any"/"true"... and is sent as `True`, `Any` or `False`;
- array parameters take a list (sent as repeated parameters, as the API documents), map parameters a
  dict (sent as `name[key]=value`); `sort` takes `+Field`/`-Field` among the documented fields;
- `pageSize` is at most 5000; `ids` (a list or a comma-separated string, at most 50 per request on the
  real API) is split into chunks of 50, one query per chunk.

A filter whose value is None counts as not given. Text that cannot be sent (lone surrogates, such as
undecodable bytes from a command line) is refused. A range whose start is after its end
(`createdOnOrAfter` later than `createdBefore`, `numberFrom` above `numberTo`...) raises; a range that
can only be empty because its ends meet (`createdOnOrAfter` equal to `createdBefore`) warns with
`EmptyRangeWarning`, since ServiceTitan accepts it and answers with nothing.
"""

from __future__ import annotations

import difflib
import math
from collections.abc import Iterable, Mapping
from datetime import UTC, date, datetime
from typing import Any

from stnb.catalog import Endpoint, Param
from stnb.errors import InvalidRequest, ValidationError

__all__ = [
    "ACTIVE_DEFAULT",
    "IDS_PER_REQUEST",
    "MAX_PAGE_SIZE",
    "EmptyRangeWarning",
    "QueryParams",
    "build_query",
    "effective_active",
    "format_datetime",
    "normalize_active",
    "parse_rfc3339",
    "split_path_params",
]

MAX_PAGE_SIZE = 5000
IDS_PER_REQUEST = 50
ACTIVE_DEFAULT = "True"  # what the API applies when `active` is omitted

QueryParams = dict[str, str | list[str]]

_ACTIVE = {"true": "True", "any": "Any", "false": "False", "all": "Any", "1": "True", "0": "False"}
_TRUE = frozenset({"true", "1", "yes", "y", "on"})
_FALSE = frozenset({"false", "0", "no", "n", "off"})


class EmptyRangeWarning(UserWarning):
    """Filters whose range can match nothing (its two ends meet); the request is still sent."""


# Range filters: a lower and an upper bound share a stem ("created" in createdOnOrAfter/createdBefore).
# Each suffix says which end it is and whether that end is included.
_LOWER = (("OnOrAfter", True), ("After", False), ("From", True))
_UPPER = (("OnOrBefore", True), ("Before", False), ("To", True))


class _Invalid(ValueError):
    """One filter value that cannot be sent; collected into a single ValidationError."""


def normalize_active(value: object) -> str:
    """True/False/"any"/"Any"/"true"/... -> the API's "True" | "Any" | "False"."""
    if isinstance(value, bool):
        return "True" if value else "False"
    key = str(value).strip().lower()
    if key in _ACTIVE:
        return _ACTIVE[key]
    raise InvalidRequest(
        f"active={value!r} is not valid; use True, False or 'any'",
        errors={"active": ["expected True, Any or False"]},
        status=None,
    )


def effective_active(endpoint: Endpoint, filters: Mapping[str, Any]) -> str | None:
    """The `active` value the API will apply (its default "True" when omitted); None if not supported."""
    if not endpoint.supports_active:
        return None
    value = filters.get("active")
    return ACTIVE_DEFAULT if value is None else normalize_active(value)


def split_path_params(
    endpoint: Endpoint, filters: Mapping[str, Any]
) -> tuple[dict[str, Any], dict[str, Any]]:
    """Separate the endpoint's parent path parameters (sub-lists) from the query filters; never mutates."""
    rest = dict(filters)
    path: dict[str, Any] = {}
    missing = [name for name in endpoint.parent_params if rest.get(name) is None]
    if missing:
        needs = ", ".join(f"{name}=" for name in missing)
        raise InvalidRequest(
            f"{endpoint.path} needs {needs} (the parent record's id)",
            errors={name: ["missing path parameter"] for name in missing},
            status=None,
        )
    for name in endpoint.parent_params:
        path[name] = rest.pop(name)
    return path, rest


def build_query(
    endpoint: Endpoint, filters: Mapping[str, Any], *, resource: str | None = None
) -> list[QueryParams]:
    """Validate `filters` against `endpoint` and return the query parameters, one dict per request.

    Only `ids` produces several requests (chunks of 50). The caller's mapping is never modified.
    Raises `ValidationError` listing every problem at once (unknown names with suggestions, bad values).
    """
    where = resource or endpoint.path
    params = endpoint.params
    problems: dict[str, list[str]] = {}
    query: QueryParams = {}
    ids: list[str] | None = None
    for name, value in filters.items():
        if value is None:
            continue
        param = params.get(name)
        if param is None:
            problems[name] = [_unknown_message(name, params)]
            continue
        try:
            if name == "ids":
                ids = _id_list(value)
            elif name == "active":
                query[name] = normalize_active(value)
            elif name == "pageSize":
                query[name] = _page_size(value)
            elif name == "page":
                query[name] = _page(value)
            elif name == "sort":
                query[name] = _sort(value, endpoint.sort)
            elif param.map:
                query.update(_map(name, value))
            elif param.array:
                query[name] = [_scalar(param, v) for v in _as_list(value)]
            else:
                query[name] = _scalar(param, value)
        except _Invalid as exc:
            problems[name] = [str(exc)]
        except ValidationError as exc:
            problems.update(exc.errors)
    if problems:
        unknown = [k for k in problems if k not in params]
        note = (
            " (ServiceTitan would silently ignore the unknown ones and return unfiltered data)"
            if unknown
            else ""
        )
        raise InvalidRequest(f"Invalid filters for {where}{note}", errors=problems, status=None)
    _check_ranges(query, params, where)
    if ids is None:
        return [query]
    if not ids:
        raise InvalidRequest(f"ids for {where} is empty", errors={"ids": ["no ids given"]}, status=None)
    chunks = [ids[i : i + IDS_PER_REQUEST] for i in range(0, len(ids), IDS_PER_REQUEST)]
    as_array = params["ids"].array
    return [{**query, "ids": chunk if as_array else ",".join(chunk)} for chunk in chunks]


def _bound(name: str, ends: tuple[tuple[str, bool], ...]) -> tuple[str, bool] | None:
    for suffix, inclusive in ends:
        if name.endswith(suffix) and len(name) > len(suffix):
            stem = name[: -len(suffix)]
            return stem.removesuffix("On") or stem, inclusive
    return None


def _range_value(param: Param, text: str | list[str]) -> Any:
    if not isinstance(text, str):
        return None
    try:
        if param.type in ("datetime", "date"):
            return parse_rfc3339(text)
        if param.type in ("int32", "int64"):
            return int(text)
        if param.type == "float64":
            return float(text)
    except ValueError:
        return None
    return None


def _check_ranges(query: QueryParams, params: Mapping[str, Param], where: str) -> None:
    """Refuse a range whose start is after its end; warn when its ends meet so that nothing can match."""
    lows: dict[str, tuple[str, bool]] = {}
    highs: dict[str, tuple[str, bool]] = {}
    for name in query:
        if name not in params:
            continue
        low, high = _bound(name, _LOWER), _bound(name, _UPPER)
        if low is not None:
            lows[low[0]] = (name, low[1])
        elif high is not None:
            highs[high[0]] = (name, high[1])
    problems: dict[str, list[str]] = {}
    for stem, (low_name, low_inclusive) in lows.items():
        if stem not in highs:
            continue
        high_name, high_inclusive = highs[stem]
        low = _range_value(params[low_name], query[low_name])
        high = _range_value(params[high_name], query[high_name])
        if low is None or high is None:
            continue
        shown = f"{low_name}={query[low_name]} and {high_name}={query[high_name]}"
        if low > high:
            problems[low_name] = [
                f"{query[low_name]} is after {high_name}={query[high_name]}: no record can match "
                "(ServiceTitan would answer with an empty result)"
            ]
        elif low == high and not (low_inclusive and high_inclusive):
            from stnb._flow import warn_caller

            warn_caller(
                f"{where}: {shown} meet, so the result will be empty (the range includes no moment)",
                EmptyRangeWarning,
            )
    if problems:
        raise InvalidRequest(
            f"Invalid filters for {where}: a range starts after it ends", errors=problems, status=None
        )


def format_datetime(value: datetime | date | str) -> str:
    """RFC3339 UTC text for a filter value (see the module docstring for what is accepted)."""
    if isinstance(value, datetime):
        if value.tzinfo is None or value.utcoffset() is None:
            raise _Invalid(
                f"{value.isoformat()} has no time zone; pass an aware datetime "
                "(datetime(..., tzinfo=UTC)) or a string, which is read as UTC"
            )
        moment = value.astimezone(UTC)
    elif isinstance(value, date):
        moment = datetime(value.year, value.month, value.day, tzinfo=UTC)
    elif isinstance(value, str):
        moment = _parse_datetime_text(value)
    else:
        raise _Invalid(f"expected a datetime, date or RFC3339 string, got {type(value).__name__}")
    text = moment.strftime("%Y-%m-%dT%H:%M:%S")
    if moment.microsecond:
        text += f".{moment.microsecond:06d}".rstrip("0")
    return text + "Z"


def parse_rfc3339(text: str) -> datetime:
    """An aware UTC datetime from RFC3339 text or a bare date; no offset means UTC. ValueError otherwise."""
    parsed = datetime.fromisoformat(_trim_fraction(text.strip()))
    if parsed.tzinfo is None:
        return parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC)


def _parse_datetime_text(text: str) -> datetime:
    try:
        return parse_rfc3339(text)
    except ValueError:
        raise _Invalid(f"{text!r} is not a date or RFC3339 date-time (e.g. 2026-01-01T00:00:00Z)") from None


def _trim_fraction(text: str) -> str:
    """Cut fractional seconds to 6 digits: .NET sends 7, Python parses at most 6."""
    dot = text.find(".", 19)
    if dot < 0:
        return text
    end = dot + 1
    while end < len(text) and text[end].isdigit():
        end += 1
    return text[: min(end, dot + 7)] + text[end:]


def _scalar(param: Param, value: Any) -> str:
    kind = param.type
    if param.enum:
        return _enum(param, value)
    if kind in ("int32", "int64"):
        return _integer(value, kind)
    if kind == "float64":
        return _number(value)
    if kind == "bool":
        return _boolean(value)
    if kind == "datetime":
        return format_datetime(value)
    if kind == "date":
        return _date(value)
    if isinstance(value, (list, tuple, set, frozenset)):
        return ",".join(_text(v) for v in value)
    return _text(value)


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            raise _Invalid(
                "contains characters that cannot be sent (not valid Unicode, e.g. undecodable bytes)"
            ) from None
        return value
    if isinstance(value, (int, float)):
        if isinstance(value, float) and not math.isfinite(value):
            raise _Invalid(f"expected a finite number, got {value!r}")
        return str(value)
    raise _Invalid(f"expected text or a number, got {type(value).__name__}")


def _integer(value: Any, kind: str) -> str:
    if isinstance(value, bool):
        raise _Invalid(f"expected an integer ({kind}), got {value!r}")
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, str) and value.strip().lstrip("-").isdigit():
        value = int(value.strip())
    if not isinstance(value, int):
        raise _Invalid(f"expected an integer ({kind}), got {value!r}")
    limit = 2**31 if kind == "int32" else 2**63
    if not -limit <= value < limit:
        raise _Invalid(f"{value} does not fit in {kind}")
    return str(value)


def _number(value: Any) -> str:
    if isinstance(value, bool):
        raise _Invalid(f"expected a number, got {value!r}")
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise _Invalid(f"expected a number, got {value!r}") from None
    if not math.isfinite(number):
        raise _Invalid(f"expected a finite number, got {value!r}")
    return str(value).strip() if isinstance(value, str) else repr(value)


def _boolean(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    key = str(value).strip().lower()
    if key in _TRUE:
        return "true"
    if key in _FALSE:
        return "false"
    raise _Invalid(f"expected true or false, got {value!r}")


def _date(value: Any) -> str:
    if isinstance(value, datetime):
        return format_datetime(value)[:10]
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, str):
        try:
            return date.fromisoformat(value.strip()[:10]).isoformat()
        except ValueError:
            pass
    raise _Invalid(f"expected a date such as 2026-01-31, got {value!r}")


def _enum(param: Param, value: Any) -> str:
    allowed = param.enum or ()
    text = _text(value).strip()
    for option in allowed:
        if option.lower() == text.lower():
            return option
    raise _Invalid(f"{value!r} is not one of {', '.join(allowed)}")


def _page_size(value: Any) -> str:
    size = int(_integer(value, "int32"))
    if not 1 <= size <= MAX_PAGE_SIZE:
        raise _Invalid(f"pageSize must be between 1 and {MAX_PAGE_SIZE}, got {size}")
    return str(size)


def _page(value: Any) -> str:
    number = int(_integer(value, "int32"))
    if number < 1:
        raise _Invalid(f"page numbers start at 1, got {number}")
    return str(number)


def _sort(value: Any, fields: tuple[str, ...]) -> str:
    text = _text(value).strip()
    sign, name = (text[0], text[1:]) if text[:1] in "+-" else ("+", text)
    if not fields:
        return f"{sign}{name}"
    for field in fields:
        if field.lower() == name.lower():
            return f"{sign}{field}"
    raise _Invalid(f"cannot sort by {name!r}; sortable fields: {', '.join(fields)} (prefix + or -)")


def _map(name: str, value: Any) -> dict[str, str | list[str]]:
    if not isinstance(value, Mapping):
        raise _Invalid("expected a dict of name-value pairs")
    return {f"{name}[{key}]": _text(item) for key, item in value.items()}


def _as_list(value: Any) -> list[Any]:
    if isinstance(value, str):
        return [v.strip() for v in value.split(",") if v.strip()]
    if isinstance(value, Iterable) and not isinstance(value, Mapping):
        return list(value)
    return [value]


def _id_list(value: Any) -> list[str]:
    """Ids as text, duplicates removed, order kept."""
    out: list[str] = []
    for item in _as_list(value):
        if isinstance(item, bool) or not isinstance(item, (int, str)):
            raise _Invalid(f"ids must be integers or strings, got {item!r}")
        text = _text(item).strip()
        if not text or "," in text:
            raise _Invalid(f"invalid id {item!r}")
        out.append(text)
    return list(dict.fromkeys(out))


def _unknown_message(name: str, params: Mapping[str, Param]) -> str:
    valid = list(params)
    same_case = [p for p in valid if p.lower() == name.lower()]
    close = same_case or difflib.get_close_matches(name, valid, n=3, cutoff=0.6)
    hint = f"did you mean {' or '.join(close)}?" if close else f"valid filters: {', '.join(sorted(valid))}"
    return f"unknown filter; {hint}"

"""Check report parameters against a description before anything is sent, and shape the request body.

The real API answers an unknown parameter with a terse 400 and may accept a wrong value silently, so
every problem is found here first: unknown names (with the closest valid one), missing required
parameters, values of the wrong type, values outside the allowed choices (listing them), and date
ranges that end before they start (`From` after `To`, which the API answers with empty rows).
"""

from __future__ import annotations

import difflib
import math
import numbers
import re
from collections.abc import Mapping
from datetime import date, datetime, time
from typing import Any

from stnb.errors import InvalidRequest
from stnb.reports.model import Choice, ReportDescription, ReportParameter

__all__ = ["build_parameters", "describe_choices"]

_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_TIME = re.compile(r"(\d{1,2}):(\d{2})(?::(\d{2}))?")
_MAX_LISTED_CHOICES = 25
_RANGE_WORDS = (("from", "to"), ("start", "end"))  # `From`/`To`, `DateFrom`/`DateTo`, `StartDate`/`EndDate`


class _Invalid(Exception):
    """One value failed; the message goes into the ValidationError's errors for its parameter."""


def build_parameters(description: ReportDescription, params: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The `parameters` list for the data request, or a ValidationError describing every problem.

    Names match exactly or, failing that, case-insensitively; `None` values count as not given.
    """
    errors: dict[str, list[str]] = {}
    by_name = {p.name: p for p in description.parameters}
    by_lower = {p.name.lower(): p for p in description.parameters}
    values: dict[str, Any] = {}
    for given, value in params.items():
        parameter = by_name.get(given) or by_lower.get(given.lower())
        if parameter is None:
            errors.setdefault(given, []).append(_unknown_message(given, description))
            continue
        if value is None:
            continue
        try:
            values[parameter.name] = _convert(parameter, value)
        except _Invalid as exc:
            errors.setdefault(parameter.name, []).append(str(exc))
    for parameter in description.parameters:
        if parameter.is_required and parameter.name not in values and parameter.name not in errors:
            errors[parameter.name] = [f"required ({parameter.type_text}) but not given{_hint(parameter)}"]
    for start, end in _date_ranges(description):
        first, last = values.get(start), values.get(end)
        if isinstance(first, str) and isinstance(last, str) and first > last:
            errors.setdefault(start, []).append(
                f"the date range starts after it ends: {start}={first} is later than {end}={last}"
            )
    if errors:
        raise InvalidRequest(
            f"invalid parameters for report {description.id} ({description.name})",
            errors=errors,
            status=None,
        )
    return [{"name": p.name, "value": values[p.name]} for p in description.parameters if p.name in values]


def _date_ranges(description: ReportDescription) -> list[tuple[str, str]]:
    """Pairs of single Date parameters bounding one range, named like From/To or StartDate/EndDate."""
    dates = {
        p.name.lower(): p.name for p in description.parameters if p.data_type == "Date" and not p.is_array
    }
    pairs: list[tuple[str, str]] = []
    for lower, name in dates.items():
        for first, last in _RANGE_WORDS:
            end = _range_end(lower, first, last)
            if end is not None and end in dates:
                pairs.append((name, dates[end]))
    return pairs


def _range_end(name: str, first: str, last: str) -> str | None:
    """`datefrom` -> `dateto`, `startdate` -> `enddate`; None when `name` has no `first` at either end."""
    if name.startswith(first):
        return last + name[len(first) :]
    if name.endswith(first):
        return name[: -len(first)] + last
    return None


def describe_choices(choices: tuple[Choice, ...], limit: int = _MAX_LISTED_CHOICES) -> str:
    """Choices as `value (label)` text, the first `limit` of them."""
    shown = [c.label if str(c.value) == c.label else f"{c.value} ({c.label})" for c in choices[:limit]]
    more = len(choices) - limit
    return ", ".join(shown) + (f", … and {more} more" if more > 0 else "")


def _convert(parameter: ReportParameter, value: Any) -> Any:
    if parameter.is_array:
        items = list(value) if isinstance(value, list | tuple | set | frozenset) else [value]
        if not items:
            raise _Invalid(f"expects {parameter.type_text} with at least one value, got an empty list")
        return [_one(parameter, item) for item in items]
    if isinstance(value, list | tuple | set | frozenset):
        raise _Invalid(f"expects one {parameter.data_type}, got a list")
    return _one(parameter, value)


def _one(parameter: ReportParameter, value: Any) -> Any:
    try:
        scalar = _scalar(parameter, value)
    except _Invalid:
        if parameter.choices is not None and isinstance(value, str):
            return _choose(parameter, value)  # a label such as "HVAC" for a business unit id
        raise
    return _choose(parameter, scalar)


def _scalar(parameter: ReportParameter, value: Any) -> Any:
    kind = parameter.data_type
    if kind == "Date":
        return _date(value)
    if kind == "Time":
        return _time(value)
    if kind == "Number":
        return _number(value, parameter)
    if kind == "Boolean":
        return _boolean(value)
    if isinstance(value, str):
        return value
    if parameter.choices is not None and isinstance(value, numbers.Number) and not isinstance(value, bool):
        return value  # a String choice list may hold ids; `_choose` settles it
    raise _Invalid(f"expects a String, got {type(value).__name__} {value!r}")


def _date(value: Any) -> str:
    if isinstance(value, datetime):
        raise _Invalid(
            f"expects a tenant-local date, got the datetime {value!r}; pass a date or 'YYYY-MM-DD' "
            "(stnb.tenant_time.local_dates turns presets into report dates)"
        )
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, str) and _DATE.fullmatch(value.strip()):
        try:
            return date.fromisoformat(value.strip()).isoformat()
        except ValueError as exc:
            raise _Invalid(f"{value!r} is not a calendar date") from exc
    raise _Invalid(f"expects a Date as 'YYYY-MM-DD' or datetime.date, got {value!r}")


def _time(value: Any) -> str:
    if isinstance(value, time):
        return value.replace(microsecond=0).isoformat()
    match = _TIME.fullmatch(value.strip()) if isinstance(value, str) else None
    if match is not None:
        hour, minute, second = int(match.group(1)), int(match.group(2)), int(match.group(3) or 0)
        if hour < 24 and minute < 60 and second < 60:
            return f"{hour:02d}:{minute:02d}:{second:02d}"
    raise _Invalid(f"expects a Time as 'HH:MM[:SS]' or datetime.time, got {value!r}")


def _number(value: Any, parameter: ReportParameter) -> int | float:
    number: Any = value
    if isinstance(value, str):
        text = value.strip()
        try:
            number = int(text)
        except ValueError:
            try:
                number = float(text)
            except ValueError:
                number = None
    if isinstance(number, bool) or not isinstance(number, numbers.Real) or number is None:
        raise _Invalid(f"expects a Number, got {type(value).__name__} {value!r}{_hint(parameter)}")
    if isinstance(number, numbers.Integral):
        return int(number)
    as_float = float(number)
    if not math.isfinite(as_float):
        raise _Invalid(f"expects a finite Number, got {value!r}")
    return int(as_float) if as_float.is_integer() else as_float


def _boolean(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in ("true", "false"):
        return value.strip().lower() == "true"
    raise _Invalid(f"expects a Boolean (True/False), got {value!r}")


def _choose(parameter: ReportParameter, value: Any) -> Any:
    choices = parameter.choices
    if choices is None:
        return value
    for choice in choices:
        if _same(choice.value, value):
            return choice.value
    if isinstance(value, str):
        wanted = value.strip().lower()
        by_label = [c for c in choices if c.label.strip().lower() == wanted]
        if len(by_label) == 1:
            return by_label[0].value
        by_text = [c for c in choices if str(c.value).lower() == wanted]
        if len(by_text) == 1:
            return by_text[0].value
    raise _Invalid(f"{value!r} is not allowed; valid choices: {describe_choices(choices)}")


def _same(allowed: Any, given: Any) -> bool:
    if isinstance(allowed, bool) or isinstance(given, bool):
        return allowed is given
    if isinstance(allowed, numbers.Real) and isinstance(given, numbers.Real):
        return float(allowed) == float(given)
    if isinstance(allowed, numbers.Real) and isinstance(given, str):
        try:
            return float(allowed) == float(given)
        except ValueError:
            return False
    return bool(allowed == given)


def _unknown_message(given: str, description: ReportDescription) -> str:
    names = [p.name for p in description.parameters]
    close = difflib.get_close_matches(given, names, n=1, cutoff=0.6)
    suggestion = f" (did you mean {close[0]!r}?)" if close else ""
    valid = ", ".join(_signature(p) for p in description.parameters) or "none"
    return f"unknown parameter{suggestion}; valid parameters: {valid}"


def _signature(parameter: ReportParameter) -> str:
    return f"{parameter.name} ({parameter.type_text}{', required' if parameter.is_required else ''})"


def _hint(parameter: ReportParameter) -> str:
    if parameter.choices:
        return f"; valid choices: {describe_choices(parameter.choices)}"
    return ""

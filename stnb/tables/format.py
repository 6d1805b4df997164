"""One formatter for every number a person reads: by meaning ("unit"), never a raw float.

`format_value(-85.619835, "pct")` is `-85.6%`, `format_value(469432.19999999995, "money")` is
`$469,432.20`, `format_value(-5.82e-11, "money")` is `$0.00`. `unit_for` guesses a column's unit from its
name and dtype; `words` turns a column name into a header.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any, Literal

import polars as pl

__all__ = ["MISSING", "UNITS", "Unit", "format_value", "unit_for", "words"]

Unit = Literal["count", "number", "pct", "share", "money", "ms", "score", "date", "datetime", "text", "id"]
UNITS: tuple[Unit, ...] = (
    "count",  # 1,234,567 (rounded to a whole number)
    "number",  # 1,234.57 (at most two decimals, trailing zeros dropped)
    "pct",  # a value already in percent, signed: +6.5%, -85.6%
    "share",  # a fraction 0..1 shown in percent: 3.1%, 0.25%
    "money",  # $469,432.20
    "ms",  # 54 ms, 5.4 ms
    "score",  # -17.2 (a z-score)
    "date",  # 2026-06-01
    "datetime",  # 2026-06-01 14:05 UTC
    "text",  # as it is
    "id",  # an identifier: digits without separators
)
MISSING = "–"

_NOISE = 1e-9  # float residue (5.82e-11 on equal sums) is zero


def _clean(value: float, digits: int) -> float:
    rounded = round(value, digits)
    return 0.0 if abs(rounded) < _NOISE else rounded


def _trim(text: str) -> str:
    return text.rstrip("0").rstrip(".") if "." in text else text


def format_value(value: Any, unit: Unit = "number") -> str:
    """`value` as a person reads it in `unit` (see UNITS); None and NaN read as "–"."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return MISSING
    if isinstance(value, bool):
        return "yes" if value else "no"
    if unit in ("date", "datetime") and isinstance(value, date):
        return _when(value, unit)
    if isinstance(value, timedelta):
        return _duration(value)
    if unit in ("text", "id") or not isinstance(value, (int, float, Decimal)):
        return _text(value)
    number = float(value)
    if math.isinf(number):
        return "∞" if number > 0 else "-∞"
    if unit == "count":
        return f"{_clean(number, 0):,.0f}"
    if unit == "pct":
        shown = _clean(number, 1)
        return "0%" if shown == 0 else f"{shown:+,.1f}%"
    if unit == "share":
        percent = number * 100
        if percent == 0:
            return "0%"
        if abs(percent) < 0.01:
            return "<0.01%" if percent > 0 else "-<0.01%"
        return f"{_clean(percent, 2):,.2f}%" if abs(percent) < 1 else f"{_clean(percent, 1):,.1f}%"
    if unit == "money":
        cents = _clean(number, 2)
        return f"-${-cents:,.2f}" if cents < 0 else f"${cents:,.2f}"
    if unit == "ms":
        shown = _clean(number, 1 if abs(number) < 10 else 0)
        return f"{shown:,.1f} ms" if abs(number) < 10 else f"{shown:,.0f} ms"
    if unit == "score":
        return f"{_clean(number, 1):.1f}"
    return _trim(f"{_clean(number, 2):,.2f}")


def _when(value: date, unit: Unit) -> str:
    if not isinstance(value, datetime):
        return value.isoformat()
    if unit == "date" and value.hour == value.minute == value.second == 0:
        return value.date().isoformat()
    offset = value.utcoffset()
    zone = "" if offset is None else (" UTC" if offset == timedelta(0) else value.strftime(" %z"))
    return value.strftime("%Y-%m-%d %H:%M") + zone


def _duration(value: timedelta) -> str:
    seconds = value.total_seconds()
    if abs(seconds) < 1:
        return format_value(seconds * 1000, "ms")
    if abs(seconds) < 120:
        return f"{_trim(f'{seconds:.1f}')} s"
    return f"{seconds / 60:,.0f} min"


def _text(value: Any) -> str:
    if isinstance(value, Mapping):
        return one_line(value)
    if isinstance(value, (list, tuple)):
        return list_text(value)
    return str(value)


_ADDRESS_ORDER = ("street", "unit", "city", "state", "zip", "country")


def one_line(record: Mapping[str, Any]) -> str:
    """A nested record as one line: an address as "12 Main St, Norwalk, CT 06850", else its name or values."""
    present = {k: v for k, v in record.items() if v not in (None, "", [], {})}
    if not present:
        return MISSING
    if "street" in present or "city" in present:
        city_line = " ".join(str(present[k]) for k in ("state", "zip") if k in present)
        parts = [str(present[k]) for k in ("street", "unit", "city") if k in present]
        if city_line:
            parts.append(city_line)
        if present.get("country") not in (None, "USA", "US", "United States"):
            parts.append(str(present["country"]))
        return ", ".join(parts)
    for key in ("name", "displayName", "title", "number"):
        if key in present:
            return str(present[key])
    scalars = [
        f"{k}: {format_value(v, 'text')}" for k, v in present.items() if not isinstance(v, (Mapping, list))
    ]
    return "; ".join(scalars) if scalars else f"{len(present)} fields"


def list_text(values: list[Any] | tuple[Any, ...]) -> str:
    """A list as "a, b, c" when it holds up to three short scalars, else "n items"."""
    if not values:
        return MISSING
    if len(values) <= 3 and all(isinstance(v, (str, int, float)) for v in values):
        return ", ".join(str(v) for v in values)
    return f"{len(values):,} item" + ("" if len(values) == 1 else "s")


_PCT = re.compile(r"(^|_)pct$|Pct$|(^|_)percent$")
_MS = re.compile(r"(^|_)ms$|Ms$|^p\d+(_\d+)?$|latency")
_SHARE = re.compile(r"(^|_)(rate|share|ratio|utilisation|utilization)$")
_MONEY = re.compile(r"(?i)(revenue|amount|price|cost|total|balance|subtotal|tax|paid|sales|money|\$)")
_ID = re.compile(r"(^|_)id$|Id$|^tenant$|(^|_)year$")


def unit_for(name: str, dtype: pl.DataType | None = None) -> Unit:
    """The unit a column is shown in, from its name (deviation_pct, error_rate, p95_ms, revenue) and dtype."""
    if dtype is not None:
        if dtype == pl.Date:
            return "date"
        if isinstance(dtype, pl.Datetime):
            return "datetime"
        if dtype == pl.Boolean or dtype == pl.String or dtype == pl.Categorical or isinstance(dtype, pl.Enum):
            return "text"
        if isinstance(dtype, (pl.Struct, pl.List, pl.Array)):
            return "text"
    numeric = dtype is None or dtype.is_numeric()
    if not numeric:
        return "text"
    if _ID.search(name):
        return "id"
    if name == "z" or name.endswith("_z") or name == "score":
        return "score"
    if _PCT.search(name) or name.endswith("_change_pct"):
        return "pct"
    if _MS.search(name):
        return "ms"
    if _SHARE.search(name):
        return "share"
    if isinstance(dtype, pl.Decimal) or (
        _MONEY.search(name) and not name.lower().endswith(("count", "calls"))
    ):
        return "money"
    if dtype is not None and dtype.is_integer():
        return "count"
    return "number"


_HEADERS = {
    "id": "ID",
    "app": "App",
    "z": "z-score",
    "wow_pct": "Week over week",
    "p50": "p50 latency",
    "p95": "p95 latency",
    "p99": "p99 latency",
    "p95_ms": "p95 latency",
    "peak_rps": "Peak requests/s",
    "api": "API family",
    "env": "Environment",
}
_DROP_WORDS = {"pct", "ms"}


def words(name: str, labels: Mapping[str, str] | None = None) -> str:
    """A column name as a header: `deviation_pct` -> "Deviation", `jobNumber` -> "Job number"."""
    if labels and name in labels:
        return labels[name]
    if name in _HEADERS:
        return _HEADERS[name]
    spaced = re.sub(r"(?<=[a-z0-9])(?=[A-Z])|_+|\.", " ", name).split()
    kept = [w for w in spaced if w.lower() not in _DROP_WORDS] or spaced
    text = " ".join(w if w.isupper() and len(w) > 1 else w.lower() for w in kept)
    text = re.sub(r"\bid\b", "ID", text)
    return text[:1].upper() + text[1:]

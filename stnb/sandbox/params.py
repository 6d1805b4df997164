"""Query parameter parsing with ASP.NET-style validation errors (400, errors keyed by parameter)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, date, datetime

__all__ = [
    "INT32_MAX",
    "BadRequest",
    "QueryView",
    "parse_bool",
    "parse_datetime",
    "parse_float",
    "parse_int",
]

INT32_MAX = 2**31 - 1
INT64_MAX = 2**63 - 1
VALIDATION_TITLE = "One or more validation errors occurred."


class BadRequest(Exception):
    """A 400 answer: `errors` maps a parameter (or body field) name to its messages."""

    def __init__(self, errors: Mapping[str, Sequence[str]], title: str = VALIDATION_TITLE) -> None:
        super().__init__(title)
        self.title = title
        self.errors = {k: list(v) for k, v in errors.items()}


def invalid(name: str, raw: str) -> BadRequest:
    return BadRequest({name: [f"The value '{raw}' is not valid."]})


class QueryView:
    """Case-insensitive access to query parameters, as ASP.NET model binding sees them."""

    def __init__(self, pairs: Sequence[tuple[str, str]]) -> None:
        self._values: dict[str, list[str]] = {}
        for name, value in pairs:
            self._values.setdefault(name.lower(), []).append(value)

    def get(self, name: str) -> str | None:
        values = self._values.get(name.lower())
        return values[0] if values else None

    def all(self, name: str) -> list[str]:
        """Every value given for a parameter (repeated parameters carry several)."""
        return list(self._values.get(name.lower(), []))


def parse_int(name: str, raw: str, *, low: int = -INT64_MAX - 1, high: int = INT64_MAX) -> int:
    text = raw.strip()
    try:
        value = int(text)
    except ValueError:
        raise invalid(name, raw) from None
    if not low <= value <= high:
        raise invalid(name, raw)
    return value


def parse_float(name: str, raw: str) -> float:
    try:
        value = float(raw)
    except ValueError:
        raise invalid(name, raw) from None
    if value != value or value in (float("inf"), float("-inf")):
        raise invalid(name, raw)
    return value


def parse_bool(name: str, raw: str) -> bool:
    text = raw.strip().lower()
    if text in ("true", "1"):
        return True
    if text in ("false", "0"):
        return False
    raise invalid(name, raw)


def parse_datetime(name: str, raw: str) -> datetime:
    """RFC 3339 date-time or a bare date; a value without an offset is taken as UTC."""
    text = raw.strip()
    if not text:
        raise invalid(name, raw)
    try:
        if len(text) == 10:
            day = date.fromisoformat(text)
            return datetime(day.year, day.month, day.day, tzinfo=UTC)
        value = datetime.fromisoformat(text.replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        raise invalid(name, raw) from None
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value.astimezone(UTC)

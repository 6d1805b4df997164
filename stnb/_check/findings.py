"""What a check found: severities, the findings frame's schema, and masking of example values."""

from __future__ import annotations

import json
import re
from typing import Any

import polars as pl

from stnb._redact import redact

__all__ = [
    "BREAKS",
    "COSMETIC",
    "FINDING_SCHEMA",
    "LOSES_DATA",
    "QUIRK_SCHEMA",
    "SEVERITIES",
    "UNCHECKED_SCHEMA",
    "mask_example",
]

BREAKS = "breaks a client"
LOSES_DATA = "loses data silently"
COSMETIC = "cosmetic"
SEVERITIES = (BREAKS, LOSES_DATA, COSMETIC)

FINDING_SCHEMA: dict[str, pl.DataType] = {
    "resource": pl.String(),
    "endpoint": pl.String(),  # list | export
    "path": pl.String(),  # URL template
    "category": pl.String(),  # document | behaviour | sandbox
    "check": pl.String(),  # what was checked (undocumented-field, type, active-default, ...)
    "field": pl.String(),  # field path inside a record, "" for the endpoint
    "documented": pl.String(),
    "observed": pl.String(),
    "example": pl.String(),  # masked
    "severity": pl.Enum(list(SEVERITIES)),
    "known": pl.String(),  # the id of the known deviation explaining it, else null
    "note": pl.String(),  # a likely explanation that is no known deviation (an environment difference)
}
QUIRK_SCHEMA: dict[str, pl.DataType] = {
    "quirk": pl.String(),
    "status": pl.Enum(["confirmed", "contradicted", "not observable", "not checked"]),
    "evidence": pl.String(),
    "documents": pl.String(),
    "live": pl.String(),
}
UNCHECKED_SCHEMA: dict[str, pl.DataType] = {
    "resource": pl.String(),
    "endpoint": pl.String(),
    "reason": pl.String(),
}

_AMOUNT = re.compile(r"^-?\d{1,7}(\.\d{1,6})?$")
_SAFE_WORDS = 40  # numbers, booleans, dates and enum-like words are shown; other text is masked


def mask_example(value: Any, plain: bool = False) -> str:
    """An example value safe to attach to a ticket: numbers, booleans, dates and documented enum words
    as they are (`plain=True`), other text reduced to its length, objects to their keys."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return json.dumps(value)
    if isinstance(value, str):
        if plain and len(value) <= _SAFE_WORDS:
            return redact(json.dumps(value))
        if _looks_temporal(value) or _looks_numeric(value):
            return json.dumps(value)
        return f"<text, {len(value)} characters>"
    if isinstance(value, list):
        return f"<array of {len(value)}>"
    if isinstance(value, dict):
        keys = ", ".join(sorted(str(k) for k in value)[:8])
        return f"<object with {keys}>"
    return f"<{type(value).__name__}>"


def _looks_temporal(text: str) -> bool:
    return len(text) <= 35 and len(text) >= 10 and text[:4].isdigit() and text[4] == "-" and text[7] == "-"


def _looks_numeric(text: str) -> bool:
    return _AMOUNT.match(text) is not None  # short amounts only: long digit runs may be phone numbers

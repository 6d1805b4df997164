"""What a conversion found worth telling (unknown fields, unfit or mistyped values), told once per
resource and process as a `SchemaDriftWarning` at the user's call."""

from __future__ import annotations

import threading
from collections.abc import Sequence

from stnb._flow import warn_caller

__all__ = ["Notes", "SchemaDriftWarning", "report_drift"]


class SchemaDriftWarning(UserWarning):
    """Records differ from the documents: fields the catalog does not describe (kept as inferred columns),
    values of another type than documented (kept), values that did not fit (nulled, counted)."""


class Notes:
    """What a conversion found worth telling once: unknown field paths, cells that became null, widened
    decimal columns."""

    __slots__ = ("dated", "mistyped", "rounded", "unfit", "unknown", "widened")

    def __init__(self) -> None:
        self.unknown: list[str] = []
        self.unfit: dict[str, int] = {}
        self.widened: list[str] = []
        self.rounded: dict[str, int] = {}
        self.mistyped: dict[str, dict[str, int]] = {}  # path -> JSON type name -> count
        self.dated: dict[str, list[int]] = {}  # path -> [date-times in a date field, with a time of day]


_reported: set[tuple[str, str, str]] = set()
_reported_lock = threading.Lock()


def _first_time(resource: str, kind: str, paths: Sequence[str]) -> list[str]:
    with _reported_lock:
        new = [p for p in dict.fromkeys(paths) if (resource, kind, p) not in _reported]
        _reported.update((resource, kind, p) for p in new)
    return new


def report_drift(resource: str, notes: Notes) -> None:
    """One warning per kind for what this process has not been told yet about `resource`."""
    unknown = _first_time(resource, "unknown", sorted(notes.unknown))
    if unknown:
        _warn(f"{resource}: fields not in the catalog kept as inferred columns: {', '.join(unknown)}")
    unfit = _first_time(resource, "unfit", sorted(notes.unfit))
    if unfit:
        counts = ", ".join(f"{p} ({notes.unfit[p]})" for p in unfit)
        _warn(f"{resource}: values that do not fit the documented type were set to null: {counts}")
    mistyped = _first_time(resource, "mistyped", sorted(notes.mistyped))
    if mistyped:
        counts = ", ".join(
            f"{p} ({', '.join(f'{n} {kind}' for kind, n in sorted(notes.mistyped[p].items()))})"
            for p in mistyped
        )
        _warn(f"{resource}: values of another type than documented were kept as text: {counts}")
    dated = _first_time(resource, "dated", sorted(notes.dated))
    if dated:
        counts = ", ".join(
            f"{p} ({notes.dated[p][0]}"
            + (f", {notes.dated[p][1]} with a time of day, dropped" if notes.dated[p][1] else "")
            + ")"
            for p in dated
        )
        _warn(f"{resource}: date-times where the document says date were read as their date: {counts}")
    rounded = _first_time(resource, "rounded", sorted(notes.rounded))
    if rounded:
        counts = ", ".join(f"{p} ({notes.rounded[p]})" for p in rounded)
        _warn(f"{resource}: decimal values with more than 9 decimal places were rounded to 9: {counts}")
    widened = _first_time(resource, "widened", sorted(notes.widened))
    if widened:
        _warn(
            f"{resource}: decimal values with more digits than documented kept exactly as Decimal(38, 9): "
            + ", ".join(widened)
        )


def _warn(message: str) -> None:
    warn_caller(message, SchemaDriftWarning)  # at the user's call, however deep the conversion ran

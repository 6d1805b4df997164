"""Which of the live API's known deviations (`stnb.catalog.quirks.QUIRKS`) a sandbox reproduces, and how.

`Quirks.parse(spec)`: "all" (the default: what the live API does), "none" (exactly what the documents
say), a comma list of ids to reproduce only those ("page-from-zero,unsorted-pages"), or ids prefixed with
"-" to leave out of all ("-unsorted-pages"). Entries marked `switchable=False` agree with the documents
and are reproduced either way.

The hooks: `rewrite` turns a list or export body into what the live API sends (values of another type,
missing fields) in one post-processing step; `unsorted`, `page_base` and `hides_inactive` answer the
listing's questions; `capacity_window` and `report_still_running` the capacity query's and the
Reporting API's.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from stnb.catalog import FieldType
from stnb.catalog.quirks import QUIRKS, quirk

__all__ = ["ENV_VAR", "Quirks", "documented_form"]

ENV_VAR = "STNB_SANDBOX_QUIRKS"
_SWITCHABLE = tuple(q.id for q in QUIRKS if q.switchable)
_MISSING_MODIFIED_EVERY = 5  # every fifth record by id comes without modifiedOn


class Quirks:
    """The set of switchable quirks a sandbox reproduces (immutable)."""

    __slots__ = ("_on", "_where")

    def __init__(self, ids: Iterable[str] = _SWITCHABLE) -> None:
        chosen = frozenset(ids)
        unknown = chosen.difference(_SWITCHABLE)
        if unknown:
            raise ValueError(
                f"unknown quirk {', '.join(sorted(unknown))}; known: {', '.join(_SWITCHABLE)} "
                "(or 'all' / 'none')"
            )
        self._on = chosen
        self._where = {i: frozenset(quirk(i).where) for i in chosen}

    @classmethod
    def parse(cls, spec: str | Iterable[str] | Quirks | None) -> Quirks:
        """'all' / None (every quirk), 'none', 'id,id' (only these) or '-id,-id' (all but these)."""
        if isinstance(spec, Quirks):
            return spec
        if spec is None:
            return cls()
        parts = [p.strip() for p in spec.split(",")] if isinstance(spec, str) else [str(p) for p in spec]
        parts = [p for p in parts if p]
        lowered = {p.lower() for p in parts}
        if lowered <= {"none", "off"}:
            return cls(())
        plain = [p for p in parts if not p.startswith("-") and p.lower() not in ("all", "on", "default")]
        removed = {p[1:] for p in parts if p.startswith("-")}
        start = set(_SWITCHABLE) if not plain else set()
        unknown = removed.difference(_SWITCHABLE)
        if unknown:
            cls(unknown)  # raises with the known ids
        return cls((start | set(plain)) - removed)

    @property
    def ids(self) -> frozenset[str]:
        return self._on

    @property
    def spec(self) -> str:
        """The text that parses back to this set ("all", "none" or the ids)."""
        if self._on == frozenset(_SWITCHABLE):
            return "all"
        if not self._on:
            return "none"
        return ",".join(i for i in _SWITCHABLE if i in self._on)

    def on(self, quirk_id: str, path: str | None = None) -> bool:
        """Whether the quirk is reproduced (for `path`, when given)."""
        where = self._where.get(quirk_id)
        return where is not None and (path is None or path in where)

    # --- listing ------------------------------------------------------------------------------------

    def unsorted(self, path: str) -> bool:
        return self.on("unsorted-pages", path)

    def page_base(self, path: str) -> int:
        return 0 if self.on("page-from-zero", path) else 1

    def hides_inactive(self, path: str) -> bool:
        """Whether a list without `active` hides inactive records (documented nearly everywhere)."""
        return path not in quirk("active-by-default").where or self.on("active-by-default", path)

    # --- post-processing of list and export bodies --------------------------------------------------

    def rewrites(self, path: str) -> bool:
        return any(self.on(i, path) for i in _REWRITERS)

    def rewrite(self, path: str, fields: Mapping[str, FieldType], body: bytes) -> bytes:
        """The body the live API sends for `path` (unchanged when no value quirk applies)."""
        active = [i for i in _REWRITERS if self.on(i, path)]
        if not active:
            return body
        parsed = json.loads(body)
        rows = parsed.get("data") if isinstance(parsed, dict) else parsed
        if not isinstance(rows, list):
            return body
        for quirk_id in active:
            fix = _REWRITERS[quirk_id]
            for name in quirk(quirk_id).fields:
                for row in rows:
                    if isinstance(row, dict):
                        fix(row, name, fields)
        return json.dumps(parsed, separators=(",", ":"), ensure_ascii=False).encode("utf-8")

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Quirks) and other._on == self._on

    def __hash__(self) -> int:
        return hash(self._on)

    def __repr__(self) -> str:
        return f"Quirks({self.spec!r})"


def _at(row: dict[str, Any], dotted: str) -> tuple[dict[str, Any] | None, str]:
    """The object holding the last part of `dotted` ("campaign.status") and that part's name."""
    *parents, name = dotted.split(".")
    holder: Any = row
    for part in parents:
        holder = holder.get(part) if isinstance(holder, dict) else None
    return (holder if isinstance(holder, dict) else None), name


def _enum_values(fields: Mapping[str, FieldType], dotted: str) -> list[str] | None:
    ftype: Any = {"struct": fields}
    for part in dotted.split("."):
        ftype = ftype.get("struct", {}).get(part) if isinstance(ftype, dict) else None
    if isinstance(ftype, dict) and isinstance(ftype.get("enum"), list):
        return [str(v) for v in ftype["enum"]]
    return None


def _enum_as_integer(row: dict[str, Any], dotted: str, fields: Mapping[str, FieldType]) -> None:
    holder, name = _at(row, dotted)
    if holder is None or not isinstance(holder.get(name), str):
        return
    values = _enum_values(fields, dotted) or []
    text = holder[name]
    holder[name] = values.index(text) if text in values else 0


def _date_with_time(row: dict[str, Any], dotted: str, fields: Mapping[str, FieldType]) -> None:
    holder, name = _at(row, dotted)
    value = holder.get(name) if holder is not None else None
    if holder is not None and isinstance(value, str) and len(value) >= 10:
        holder[name] = value[:10] + "T00:00:00"


def _missing_modified_on(row: dict[str, Any], dotted: str, fields: Mapping[str, FieldType]) -> None:
    ident = row.get("id")
    if isinstance(ident, int) and ident % _MISSING_MODIFIED_EVERY == 0:
        holder, name = _at(row, dotted)
        if holder is not None:
            holder.pop(name, None)


_Rewriter = Callable[[dict[str, Any], str, Mapping[str, FieldType]], None]
_REWRITERS: dict[str, _Rewriter] = {
    "enum-as-integer": _enum_as_integer,
    "ads-status-as-integer": _enum_as_integer,
    "date-with-time": _date_with_time,
    "missing-modified-on": _missing_modified_on,
}


# --- the inverse: records as the documents describe them -------------------------------------------------


def documented_form(path: str, fields: Mapping[str, FieldType], rows: list[Any]) -> list[Any]:
    """`rows` of `path` with every known value deviation undone (in place, and returned): integer enums back
    to their documented words, dates sent with a time back to dates. Values already documented are left
    alone; a field the API left out stays out (no value to restore). Recording a snapshot stores this form,
    so serving it reproduces exactly the deviations the snapshot's quirks switch on."""
    for quirk_id, restore in _RESTORERS.items():
        if path not in quirk(quirk_id).where:
            continue
        for name in quirk(quirk_id).fields:
            for row in rows:
                if isinstance(row, dict):
                    restore(row, name, fields)
    return rows


def _integer_as_enum(row: dict[str, Any], dotted: str, fields: Mapping[str, FieldType]) -> None:
    holder, name = _at(row, dotted)
    value = holder.get(name) if holder is not None else None
    values = _enum_values(fields, dotted) or []
    if (
        holder is not None
        and isinstance(value, int)
        and not isinstance(value, bool)
        and 0 <= value < len(values)
    ):
        holder[name] = values[value]


def _time_off_date(row: dict[str, Any], dotted: str, fields: Mapping[str, FieldType]) -> None:
    holder, name = _at(row, dotted)
    value = holder.get(name) if holder is not None else None
    if holder is not None and isinstance(value, str) and len(value) > 10 and value[10] in "T ":
        holder[name] = value[:10]


_RESTORERS: dict[str, _Rewriter] = {
    "enum-as-integer": _integer_as_enum,
    "ads-status-as-integer": _integer_as_enum,
    "date-with-time": _time_off_date,
}

"""The known deviations a check observed, as the quirks a snapshot reproduces when served.

`observed_quirks(source)` reads what `stnb.check` said about each entry of the deviation table (a
`CheckResult`, the `stnb check --json` output as a dict, or the path of a file holding it) and decides:

- confirmed: reproduced (the live API does it);
- contradicted: not reproduced (the live API does what the documents say);
- not observable, not checked: reproduced. The table records what the live API was seen doing by other
  clients; a check that could not see an entry either way (it needs a POST or an error on purpose, or
  the budget did not reach its endpoints) gives no reason to drop it, and a prototype that survives it
  loses nothing when the live API does not do it.

Entries that are no deviation to switch (`switchable=False`) are reproduced whatever the check says.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from stnb.catalog.quirks import QUIRKS
from stnb.sandbox.quirks import Quirks

__all__ = ["KEPT_STATUSES", "ObservedQuirks", "observed_quirks"]

KEPT_STATUSES = frozenset({"confirmed", "not observable", "not checked"})
_STATUSES = KEPT_STATUSES | {"contradicted"}


@dataclass(frozen=True)
class ObservedQuirks:
    """The quirks to reproduce (`spec`, as `Quirks.parse` reads it) and what the check saw of each."""

    spec: str
    statuses: dict[str, str]  # quirk id -> confirmed | contradicted | not observable | not checked
    env: str | None = None  # where the check ran
    checked: str | None = None  # when it started (ISO time)

    @property
    def quirks(self) -> Quirks:
        return Quirks.parse(self.spec)

    def to_manifest(self) -> dict[str, Any]:
        return {"env": self.env, "checked": self.checked, "statuses": dict(sorted(self.statuses.items()))}


def observed_quirks(source: Any) -> ObservedQuirks:
    """The quirks a check observed; `source` is a CheckResult, its `to_dict()` / `--json` data, or the
    path of a JSON file holding that. ValueError saying what is wrong when it is none of these."""
    data = _data(source)
    rows = data.get("known_deviations")
    if not isinstance(rows, list):
        raise ValueError("not the output of `stnb check --json`: it has no known_deviations list")
    statuses: dict[str, str] = {}
    known = {q.id for q in QUIRKS}
    for row in rows:
        if not isinstance(row, Mapping) or not isinstance(row.get("quirk"), str):
            raise ValueError("not the output of `stnb check --json`: a known_deviations entry is damaged")
        status = str(row.get("status"))
        if status not in _STATUSES:
            raise ValueError(f"known deviation {row['quirk']!r} has an unknown status {status!r}")
        if row["quirk"] in known:  # entries of a newer table than this stnb knows are left out
            statuses[row["quirk"]] = status
    switchable = [q.id for q in QUIRKS if q.switchable]
    on = [i for i in switchable if statuses.get(i, "not checked") in KEPT_STATUSES]
    spec = Quirks(on).spec
    env = data.get("env")
    started = data.get("started")
    return ObservedQuirks(spec, statuses, str(env) if env else None, str(started) if started else None)


def _data(source: Any) -> Mapping[str, Any]:
    if isinstance(source, Mapping):
        return source
    if isinstance(source, str | Path):
        path = Path(source).expanduser()
        try:
            loaded = json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise ValueError(f"no check output at {path}") from None
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise ValueError(f"{path} is not the JSON of `stnb check --json`: {exc}") from exc
        if not isinstance(loaded, Mapping):
            raise ValueError(f"{path} is not the JSON of `stnb check --json`")
        return loaded
    to_dict = getattr(source, "to_dict", None)
    if callable(to_dict):
        result = to_dict()
        if isinstance(result, Mapping):
            return result
    raise ValueError(f"cannot read observed deviations from a {type(source).__name__}")

"""`Comparison`: the answer to one question asked of two environments, as polars frames.

Analysis only: frames and a text summary. The object `stnb.compare` returns is its presentation-layer
subclass, `stnb.pages.comparison.Comparison`, which adds the notebook table, `figures()` and `to_html()`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

import polars as pl

from stnb._compare.records import RecordDiff
from stnb._compare.schema import SCHEMA_DIFF_SCHEMA
from stnb._compare.service import SERVICE_SCHEMA
from stnb._compare.values import DISTRIBUTION_SCHEMA, NUMERIC_SCHEMA

__all__ = ["Comparison", "Failure", "Side", "SideInfo"]

Side = Literal["a", "b"]


@dataclass(frozen=True)
class SideInfo:
    """Which environment and tenant answered for one side, and how much of it was read."""

    side: Side
    env: str
    tenant: str
    sandbox: bool = False
    rows: int = 0  # records fetched and compared
    total: int | None = None  # the server's totalCount, when known
    app: str | None = None  # the app's friendly name, when the credentials carry one

    @property
    def label(self) -> str:
        return f"{self.env} (tenant {self.tenant}{', sandbox' if self.sandbox else ''})"


@dataclass(frozen=True)
class Failure:
    """A side that could not answer (or stopped answering): which side, at which step, and why."""

    side: Side
    env: str
    stage: str  # "connect" | "count" | "fetch" | "lookup"
    error: str  # exception class and message; never holds credentials
    status: int | None = None

    def __str__(self) -> str:
        code = f" [{self.status}]" if self.status is not None else ""
        return f"side {self.side} ({self.env}) failed during {self.stage}{code}: {self.error}"


def _empty(schema: dict[str, Any]) -> pl.DataFrame:
    return pl.DataFrame(schema=schema)


@dataclass(frozen=True, eq=False)  # frames have no single truth value to compare by
class Comparison:
    """Counts, schema, values, records and service of one resource on sides `a` and `b`.

    Every part is a polars frame; a part that could not be computed (a side failed) is empty and
    `failures` says why. `method` says how the records were read: "full list", "export" or
    "sample(n)" (n records per side).
    """

    resource: str
    a: SideInfo
    b: SideInfo
    method: str
    counts: pl.DataFrame  # metric (rows, total, active, inactive), a, b, delta
    monthly: pl.DataFrame  # kind (created, modified), month, a, b, delta
    filters: dict[str, str] = field(default_factory=dict)
    schema_diff: pl.DataFrame = field(default_factory=lambda: _empty(SCHEMA_DIFF_SCHEMA))
    value_diff: pl.DataFrame = field(default_factory=lambda: _empty(DISTRIBUTION_SCHEMA))
    new_values: pl.DataFrame = field(
        default_factory=lambda: _empty({"field": pl.String, "value": pl.String, "side": pl.String})
    )
    numeric: pl.DataFrame = field(default_factory=lambda: _empty(NUMERIC_SCHEMA))
    record_diff: RecordDiff = field(default_factory=RecordDiff.empty)
    service: pl.DataFrame = field(default_factory=lambda: _empty(SERVICE_SCHEMA))
    failures: tuple[Failure, ...] = ()
    notes: tuple[str, ...] = ()

    @property
    def ok(self) -> bool:
        """True when both sides answered in full."""
        return not self.failures

    def fields_only_in(self, side: Side) -> set[str]:
        """Fields the API sent on `side` only."""
        return set(self.schema_diff.filter(pl.col("change") == f"only in {side}")["field"].to_list())

    def new_values_in(self, side: Side) -> dict[str, set[str]]:
        """Category values seen on `side` only, per field."""
        out: dict[str, set[str]] = {}
        for row in self.new_values.filter(pl.col("side") == side).iter_rows(named=True):
            out.setdefault(row["field"], set()).add(row["value"])
        return out

    def statuses(self) -> dict[Side, int | None]:
        """What the resource's endpoint answered on each side (e.g. 200, 403, 404)."""
        found: dict[Side, int | None] = {"a": None, "b": None}
        for row in self.service.iter_rows(named=True):
            found[row["side"]] = row["status"]
        return found

    @property
    def has_differences(self) -> bool:
        """Anything differs: totals, schema, new values, records, or the endpoint's status."""
        totals = self.counts.filter(pl.col("metric") == "total")
        statuses = self.statuses()
        return bool(
            (totals.height and totals["delta"].fill_null(0).abs().sum() > 0)
            or self.schema_diff.height
            or self.new_values.height
            or self.record_diff.only_in_a.height
            or self.record_diff.only_in_b.height
            or self.record_diff.n_changed
            or statuses["a"] != statuses["b"]
        )

    def summary(self) -> pl.DataFrame:
        """A compact table of what differs: `aspect`, `item`, `a`, `b` (text)."""
        from stnb._compare.summary import summary_frame

        return summary_frame(self)

    def __repr__(self) -> str:
        from stnb._compare.summary import to_text

        return to_text(self)

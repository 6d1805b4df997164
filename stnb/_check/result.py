"""`CheckResult`: the findings of a check as frames, with a verdict, text and JSON.

Analysis only. The object `stnb.check` returns is its presentation-layer subclass,
`stnb.pages.check_report.CheckResult`, which adds the notebook view, `figures()` and `to_html()`.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import polars as pl

from stnb._check.findings import BREAKS
from stnb._text import plural

__all__ = ["CheckResult"]


@dataclass(frozen=True)
class CheckResult:
    """What `stnb.check` found.

    `findings`: one row per difference (resource, endpoint, path, category document/behaviour/sandbox,
    check, field, documented, observed, masked example, severity, known deviation id or null, note: a
    likely explanation that is no known deviation, e.g. a required field absent on an integration copy).
    `quirks`: each known deviation confirmed, contradicted, not observable or not checked.
    `unchecked`: what was not checked and why (budget, interruption, parameters it needs).
    `breaking`: findings that break a client and are not known deviations; `ok` is True without them.
    """

    findings: pl.DataFrame
    quirks: pl.DataFrame
    unchecked: pl.DataFrame
    requests: int
    budget: int
    env: str
    sandbox: bool
    started: datetime
    stopped: str | None = None
    rate_headers: dict[str, str] = field(default_factory=dict)
    documents: list[str] = field(default_factory=list)

    @property
    def breaking(self) -> pl.DataFrame:
        return self.findings.filter((pl.col("severity") == BREAKS) & pl.col("known").is_null())

    @property
    def ok(self) -> bool:
        """True when nothing new breaks a client (known deviations do not count)."""
        return self.breaking.height == 0

    @property
    def complete(self) -> bool:
        return self.stopped is None

    @property
    def exit_code(self) -> int:
        return 0 if self.ok else 1

    def summary(self) -> str:
        counts = self.findings.group_by("severity").len().sort("severity")
        parts = [f"{n} {s}" for s, n in counts.iter_rows()] or ["no findings"]
        known = self.findings.filter(pl.col("known").is_not_null()).height
        state = "complete" if self.complete else f"partial ({self.stopped})"
        return (
            f"stnb check of {self.env}{' (sandbox)' if self.sandbox else ''}: {', '.join(parts)}"
            f" ({known} explained by known deviations); {self.requests} of {plural(self.budget, 'request')};"
            f" {state}; {plural(self.unchecked.height, 'endpoint')} not checked"
        )

    def __repr__(self) -> str:
        return f"<stnb.CheckResult {self.summary()}>"

    def to_dict(self) -> dict[str, Any]:
        """Everything as JSON-ready data (`stnb check --json`)."""
        return {
            "ok": self.ok,
            "complete": self.complete,
            "stopped": self.stopped,
            "env": self.env,
            "sandbox": self.sandbox,
            "started": self.started.isoformat(),
            "requests": self.requests,
            "budget": self.budget,
            "documents": self.documents,
            "rate_limit_headers": self.rate_headers,
            "findings": self.findings.with_columns(pl.col("severity").cast(pl.String)).to_dicts(),
            "known_deviations": self.quirks.with_columns(pl.col("status").cast(pl.String)).to_dicts(),
            "not_checked": self.unchecked.to_dicts(),
        }

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=2, ensure_ascii=False)

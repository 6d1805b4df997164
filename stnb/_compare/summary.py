"""A Comparison as a compact summary: a polars frame and aligned text (its pages: `stnb.pages.comparison`)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import polars as pl

if TYPE_CHECKING:
    from stnb._compare.comparison import Comparison

__all__ = ["SUMMARY_SCHEMA", "is_identifier", "plain_number", "summary_frame", "title", "to_text", "verdict"]

SUMMARY_SCHEMA = {"aspect": pl.String, "item": pl.String, "a": pl.String, "b": pl.String}
_TOP_FIELDS = 5  # changed fields listed in the summary line; the full list is in record_diff
_ID_SUFFIXES = ("Id", "Ids", "_id", "_ids")


def plain_number(value: Any) -> str:
    return "" if value is None else f"{value:,}" if isinstance(value, int) else str(value)


def _ms(value: float | None) -> str:
    return "–" if value is None else f"{value:.0f}"


def _rows(cmp: Comparison) -> list[tuple[str, str, str, str]]:
    rows: list[tuple[str, str, str, str]] = []
    for r in cmp.counts.iter_rows(named=True):
        unknown = r["a"] is None and r["b"] is None  # e.g. active, on resources that do not send it
        if not unknown and (r["metric"] != "rows" or cmp.method != "full list"):
            rows.append(("counts", r["metric"], plain_number(r["a"]), plain_number(r["b"])))
    for side in ("a", "b"):
        only = sorted(cmp.fields_only_in(side))
        if only:
            joined = ", ".join(only)
            rows.append(
                (
                    "schema",
                    f"fields only in {side}",
                    joined if side == "a" else "",
                    joined if side == "b" else "",
                )
            )
    for r in cmp.schema_diff.filter(pl.col("change") == "dtype").iter_rows(named=True):
        rows.append(("schema", f"dtype of {r['field']}", r["dtype_a"], r["dtype_b"]))
    for r in cmp.schema_diff.filter(pl.col("change") == "null rate").iter_rows(named=True):
        rows.append(
            ("schema", f"null rate of {r['field']}", f"{r['null_rate_a']:.0%}", f"{r['null_rate_b']:.0%}")
        )
    news_a, news_b = cmp.new_values_in("a"), cmp.new_values_in("b")
    for name in sorted(set(news_a) | set(news_b)):
        rows.append(
            (
                "values",
                f"{name} values on one side",
                ", ".join(sorted(news_a.get(name, ()))),
                ", ".join(sorted(news_b.get(name, ()))),
            )
        )
    rd = cmp.record_diff
    if rd.compared or rd.only_in_a.height or rd.only_in_b.height:
        rows.append(
            (
                "records",
                "only on this side",
                plain_number(rd.only_in_a.height),
                plain_number(rd.only_in_b.height),
            )
        )
        top = ", ".join(
            f"{r['field']} {r['records']}" for r in rd.changed_fields.head(_TOP_FIELDS).iter_rows(named=True)
        )
        changed = plain_number(rd.n_changed) + (f" ({top})" if top else "")
        rows.append(("records", f"changed of {rd.compared:,} shared", changed, changed))
        if rd.modified_only:
            only_fields = "/".join(rd.ignored)
            rows.append(
                (
                    "records",
                    f"{only_fields} changed only",
                    plain_number(rd.modified_only),
                    plain_number(rd.modified_only),
                )
            )
    service = {r["side"]: r for r in cmp.service.iter_rows(named=True)}
    if service:
        sa, sb = service.get("a", {}), service.get("b", {})
        rows.append(
            (
                "service",
                "status",
                plain_number(sa.get("status")) or "–",
                plain_number(sb.get("status")) or "–",
            )
        )
        rows.append(
            (
                "service",
                "requests / errors",
                f"{sa.get('requests', 0)} / {sa.get('errors', 0)}",
                f"{sb.get('requests', 0)} / {sb.get('errors', 0)}",
            )
        )
        rows.append(
            (
                "service",
                "latency p50 / p95 ms",
                f"{_ms(sa.get('p50_ms'))} / {_ms(sa.get('p95_ms'))}",
                f"{_ms(sb.get('p50_ms'))} / {_ms(sb.get('p95_ms'))}",
            )
        )
    for f in cmp.failures:
        text = f"{f.stage}: {f.error}"
        rows.append(
            ("failure", f"side {f.side}", text if f.side == "a" else "", text if f.side == "b" else "")
        )
    return rows


def summary_frame(cmp: Comparison) -> pl.DataFrame:
    """The compact summary: one row per aspect that was measured or differs."""
    return pl.DataFrame(_rows(cmp), schema=SUMMARY_SCHEMA, orient="row")


def title(cmp: Comparison) -> str:
    """The question in one line: resource, filters, the two sides and how the records were read."""
    filters = ", ".join(f"{k}={v}" for k, v in cmp.filters.items())
    return (
        f"{cmp.resource}{f' [{filters}]' if filters else ''}: a = {cmp.a.label} vs b = {cmp.b.label}"
        f" · {cmp.method}"
    )


def verdict(cmp: Comparison) -> str:
    """The answer in one line: partial (and why), differences found, or none."""
    if cmp.failures:
        return "partial result: " + "; ".join(str(f) for f in cmp.failures)
    return "differences found" if cmp.has_differences else "no differences"


def to_text(cmp: Comparison) -> str:
    """Aligned plain-text summary (the `repr` and the CLI output)."""
    rows = [("aspect", "item", "a", "b"), *_rows(cmp)]
    widths = [max(len(r[i]) for r in rows) for i in range(4)]
    lines = [title(cmp), verdict(cmp)]
    lines += ["  ".join(cell.ljust(w) for cell, w in zip(r, widths, strict=True)).rstrip() for r in rows]
    lines += [f"note: {n}" for n in cmp.notes]
    return "\n".join(lines)


def is_identifier(column: str) -> bool:
    """Ids print as written: '100000178', not '100,000,178'."""
    return column.lower() == "id" or column.endswith(_ID_SUFFIXES)

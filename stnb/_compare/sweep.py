"""`compare_all()`: one page of every list resource from both sides, within a bounded request budget.

Per resource and side it sends one request (page 1 with the total, most recently modified records
first when the endpoint can sort so, since that is where new fields, values and records show up),
so a sweep costs two requests per resource; once the budget cannot pay for the next resource, the rest
are listed as skipped. Differences on one page are a first look: `compare()` one resource for details.

Score (the sort order): 100 when the endpoint answers on one side only (403/404/...), 10 per field
on one side only, 5 per dtype difference or value seen on one side only, up to 10 for the relative
difference of totals, up to 10 for the share of changed records among ids on both pages.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import polars as pl

from stnb._compare.analyse import SideData, analyse
from stnb._compare.comparison import Comparison, Side, SideInfo
from stnb._compare.fetch import Fetched, SideReader, with_active
from stnb._compare.sides import SideSpec, describe_side, open_side
from stnb._connection import Connection
from stnb.catalog import Catalog, Resource, load_catalog
from stnb.errors import ApiError, StnbError

__all__ = ["DEFAULT_BUDGET", "SWEEP_SCHEMA", "compare_all"]

DEFAULT_BUDGET = 300  # two requests per list resource: covers the 132 of the 2026-05 documents
DEFAULT_SWEEP_PAGE_SIZE = 200

SWEEP_SCHEMA: dict[str, pl.DataType] = {
    "resource": pl.String(),
    "status_a": pl.Int64(),
    "status_b": pl.Int64(),
    "count_a": pl.Int64(),
    "count_b": pl.Int64(),
    "fields_only_a": pl.List(pl.String),
    "fields_only_b": pl.List(pl.String),
    "dtype_diffs": pl.Int64(),
    "new_values_a": pl.List(pl.String),  # "field=value"
    "new_values_b": pl.List(pl.String),
    "changed": pl.Int64(),  # records with equal ids on both first pages that differ
    "scope_problem": pl.String(),  # e.g. "403 on b", "403 on both"
    "score": pl.Float64(),
    "note": pl.String(),  # errors, "skipped: ..."
}


@dataclass
class _Probe:
    side: Side
    status: int | None = None
    fetched: Fetched | None = None
    total: int | None = None
    error: str | None = None


@dataclass
class _SweepSide:
    name: Side
    spec: SideSpec
    conn: Connection | None = None
    error: str | None = None
    probes: list[_Probe] = field(default_factory=list)


def _probe(side: _SweepSide, resource: Resource, page_size: int) -> _Probe:
    probe = _Probe(side.name)
    if side.conn is None:
        probe.error = side.error
        return probe
    try:
        reader = SideReader(side.conn, resource, with_active(resource, {}))
        probe.fetched, probe.total = reader.first_page(page_size=page_size)
        probe.status = 200
    except ApiError as exc:
        probe.status, probe.error = exc.status, f"{type(exc).__name__}: {exc.title}"
    except StnbError as exc:
        probe.error = f"{type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}"
    return probe


def _scope(sa: int | None, sb: int | None) -> str | None:
    bad_a, bad_b = sa is not None and sa >= 400, sb is not None and sb >= 400
    if bad_a and bad_b:
        return f"{sa} on both" if sa == sb else f"{sa} on a, {sb} on b"
    if bad_a:
        return f"{sa} on a"
    if bad_b:
        return f"{sb} on b"
    return None


def _row(resource: Resource, pa: _Probe, pb: _Probe, envs: tuple[str, str]) -> dict[str, Any]:
    row: dict[str, Any] = {
        "resource": resource.key,
        "status_a": pa.status,
        "status_b": pb.status,
        "count_a": pa.total,
        "count_b": pb.total,
        "scope_problem": _scope(pa.status, pb.status),
        "note": "; ".join(f"{p.side}: {p.error}" for p in (pa, pb) if p.error) or None,
    }
    score = 0.0
    if (pa.status == 200) != (pb.status == 200):
        score += 100
    if pa.fetched is not None and pb.fetched is not None:
        cmp = _page_comparison(resource, pa, pb, envs)
        only_a, only_b = sorted(cmp.fields_only_in("a")), sorted(cmp.fields_only_in("b"))
        dtypes = cmp.schema_diff.filter(pl.col("change") == "dtype").height
        news = {
            s: sorted(f"{k}={v}" for k, vs in cmp.new_values_in(s).items() for v in vs) for s in ("a", "b")
        }
        rd = cmp.record_diff
        row.update(
            fields_only_a=only_a,
            fields_only_b=only_b,
            dtype_diffs=dtypes,
            new_values_a=news["a"],
            new_values_b=news["b"],
            changed=rd.n_changed,
        )
        score += 10 * (len(only_a) + len(only_b)) + 5 * (dtypes + len(news["a"]) + len(news["b"]))
        if rd.compared:
            score += 10 * rd.n_changed / rd.compared
    if pa.total is not None and pb.total is not None and max(pa.total, pb.total) > 0:
        score += 10 * abs(pa.total - pb.total) / max(pa.total, pb.total)
    row["score"] = round(score, 3)
    return row


def _page_comparison(resource: Resource, pa: _Probe, pb: _Probe, envs: tuple[str, str]) -> Comparison:
    data = []
    for probe, env in zip((pa, pb), envs, strict=True):
        assert probe.fetched is not None
        info = SideInfo(probe.side, env, "", rows=probe.fetched.rows, total=probe.total)
        data.append(SideData(info, probe.fetched.frame, probe.fetched.fields))
    return analyse(
        resource.key,
        data[0],
        data[1],
        info_a=data[0].info,
        info_b=data[1].info,
        method="first page",
        enums=[n for n, t in resource.fields_for("list").items() if isinstance(t, dict) and "enum" in t],
    )


def _targets(catalog: Catalog, names: Sequence[str] | None) -> list[Resource]:
    if names is None:
        return [r for r in catalog if r.list is not None and r.list.parent_param is None]
    return [catalog.resolve(n) for n in names]


def compare_all(
    a: SideSpec = "integration",
    b: SideSpec = "production",
    resources: Sequence[str] | None = None,
    budget: int = DEFAULT_BUDGET,
    *,
    page_size: int = DEFAULT_SWEEP_PAGE_SIZE,
    connect_options: Mapping[str, Any] | None = None,
) -> pl.DataFrame:
    """Sweep `resources` (default: every list resource that needs no parent id) on both sides.

    Returns one frame (`SWEEP_SCHEMA`) ordered by score, most different first; resources the request
    `budget` could not pay for follow with `note` "skipped: ...". Retries and token requests are not
    counted against the budget. Unknown resource names raise before any request.
    """
    sides = [_SweepSide("a", a), _SweepSide("b", b)]
    owned: list[Connection] = []
    try:
        for side in sides:
            try:
                side.conn, mine = open_side(side.spec, connect_options)
            except StnbError as exc:
                side.error = f"connect failed: {type(exc).__name__}: {str(exc).splitlines()[0]}"
                continue
            if mine:
                owned.append(side.conn)
        catalog = next((s.conn.catalog for s in sides if s.conn is not None), None) or load_catalog()
        targets = _targets(catalog, resources)
        envs = (
            sides[0].conn.env if sides[0].conn else describe_side(a),
            sides[1].conn.env if sides[1].conn else describe_side(b),
        )
        rows: list[dict[str, Any]] = []
        skipped: list[dict[str, Any]] = []
        spent = 0
        for resource in targets:
            if resource.list is None or resource.list.parent_param is not None:
                skipped.append(
                    {"resource": resource.key, "note": "skipped: needs a parent id (use compare())"}
                )
                continue
            cost = sum(1 for s in sides if s.conn is not None)
            if spent + cost > budget:
                skipped.append(
                    {"resource": resource.key, "note": f"skipped: request budget ({budget}) spent"}
                )
                continue
            spent += cost
            pa, pb = (_probe(s, resource, page_size) for s in sides)
            rows.append(_row(resource, pa, pb, envs))
    finally:
        for conn in owned:
            conn.close()
    ranked = pl.DataFrame(rows, schema=SWEEP_SCHEMA).sort(["score", "resource"], descending=[True, False])
    return pl.concat([ranked, pl.DataFrame(skipped, schema=SWEEP_SCHEMA)])

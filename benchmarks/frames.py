"""Page bytes -> typed polars frame, against the usual ways with the same casts, and the JSON decoder choice.

For each of `jpm/jobs`, `crm/customers` and `accounting/invoices`, ten 500-record pages are taken as the
sandbox sends them (bytes). Each way starts from those bytes and ends with the same typing: UTC datetimes,
decimal money, nullable integers, and nested lists of objects as typed values.

- stnb: `stnb._json.loads` (msgspec) per page, then `stnb._frames.to_frame` on the records (as a pull does).
- pandas: `json.loads`, `pandas.json_normalize`, then the casts: `to_datetime(utc=True)` for datetimes,
  `Decimal` for money, `Int64` for integers, and every list of objects (invoice items...) as a child table
  (`json_normalize(record_path=...)` with the parent id) with the same casts.
- polars: `json.loads`, `pl.from_dicts` with the schema (datetimes and money loaded as text), then the same
  casts as polars expressions, inside structs and lists too.

Targets: stnb >= 5x pandas and >= 3x polars on each resource. Also printed: the decode time of the same
pages with `json.loads`, orjson and msgspec (the evidence for the decoder stnb uses). Interleaved runs,
best of `--runs` each; the machine is shared, so only ratios measured in the same run are compared.

Run: `.venv/bin/python benchmarks/frames.py [--runs 7]`.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import warnings
from collections.abc import Callable
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

import httpx2
import msgspec
import pandas as pd  # type: ignore[import-untyped]
import polars as pl

sys.path.insert(0, str(Path(__file__).resolve().parent))

from support.served import best_interleaved

from stnb._frames import polars_dtype, to_frame
from stnb._json import loads
from stnb.catalog import FieldType, load_catalog
from stnb.sandbox import Sandbox

try:
    import orjson
except ImportError:  # a dev dependency: only the decoder comparison uses it
    orjson = None

ANCHOR = datetime(2026, 1, 1, tzinfo=UTC)
RESOURCES = (("jpm/jobs", {}), ("crm/customers", {"active": "any"}), ("accounting/invoices", {}))
PAGES, PAGE_SIZE = 10, 500
PANDAS_TARGET, POLARS_TARGET = 5.0, 3.0
_PARSED = ("datetime", "date", "money", "decimal_string")


def page_bytes(sandbox: Sandbox, resource: str, filters: dict[str, str]) -> list[bytes]:
    endpoint = load_catalog().resolve(resource).endpoint("list")
    creds = sandbox.credentials["integration"]
    with httpx2.Client(base_url=sandbox.url, transport=sandbox.transport()) as http:
        form = {
            "grant_type": "client_credentials",
            "client_id": creds.client_id,
            "client_secret": creds.client_secret,
        }
        token = http.post("/connect/token", data=form).json()["access_token"]
        headers = {"Authorization": f"Bearer {token}", "ST-App-Key": creds.app_key}
        path = endpoint.path.replace("{tenant}", str(creds.tenant_id))
        return [
            http.get(path, params={"page": n, "pageSize": PAGE_SIZE, **filters}, headers=headers).content
            for n in range(1, PAGES + 1)
        ]


# -- stnb -------------------------------------------------------------------------------------------------


def with_stnb(bodies: list[bytes], fields: dict[str, FieldType]) -> pl.DataFrame:
    records: list[dict[str, Any]] = []
    for body in bodies:
        records.extend(loads(body)["data"])
    return to_frame(records, fields, report=False)


# -- pandas -----------------------------------------------------------------------------------------------


def _money(value: Any) -> Decimal | None:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    try:
        return Decimal(str(value))
    except InvalidOperation:
        return None


def _pandas_casts(frame: pd.DataFrame, fields: dict[str, FieldType], prefix: str = "") -> None:
    """Cast the flattened columns of `fields` (struct fields as "a.b") in place."""
    for name, ftype in fields.items():
        column = prefix + name
        if isinstance(ftype, dict) and "struct" in ftype:
            _pandas_casts(frame, ftype["struct"], column + ".")
            continue
        if column not in frame.columns:
            continue
        if ftype == "datetime":
            frame[column] = pd.to_datetime(frame[column], utc=True, format="ISO8601", errors="coerce")
        elif ftype == "date":
            frame[column] = pd.to_datetime(frame[column], format="ISO8601", errors="coerce").dt.date
        elif ftype in ("money", "decimal_string"):
            frame[column] = frame[column].map(_money)
        elif ftype in ("int64", "int32"):
            frame[column] = pd.to_numeric(frame[column], errors="coerce").astype("Int64")


def _object_lists(fields: dict[str, FieldType]) -> dict[str, dict[str, FieldType]]:
    return {
        name: ftype["list"]["struct"]
        for name, ftype in fields.items()
        if isinstance(ftype, dict) and isinstance(ftype.get("list"), dict) and "struct" in ftype["list"]
    }


def with_pandas(bodies: list[bytes], fields: dict[str, FieldType]) -> dict[str, pd.DataFrame]:
    records: list[dict[str, Any]] = []
    for body in bodies:
        records.extend(json.loads(body)["data"])
    frame = pd.json_normalize(records)
    _pandas_casts(frame, fields)
    tables = {"": frame}
    for name, subfields in _object_lists(fields).items():
        child = pd.json_normalize(
            records, record_path=name, meta=["id"], meta_prefix="parent.", errors="ignore"
        )
        _pandas_casts(child, subfields)
        tables[name] = child
    return tables


# -- polars from_dicts ------------------------------------------------------------------------------------


def loaded_dtype(ftype: FieldType) -> pl.DataType:
    """What `pl.from_dicts` loads: text for the values parsed afterwards."""
    if isinstance(ftype, str):
        return pl.String() if ftype in _PARSED else polars_dtype(ftype)
    if "list" in ftype:
        return pl.List(loaded_dtype(ftype["list"]))
    if "struct" in ftype:
        return pl.Struct({name: loaded_dtype(t) for name, t in ftype["struct"].items()})
    return pl.String()


def _needs_cast(ftype: FieldType) -> bool:
    if isinstance(ftype, str):
        return ftype in _PARSED
    if "list" in ftype:
        return _needs_cast(ftype["list"])
    if "struct" in ftype:
        return any(_needs_cast(t) for t in ftype["struct"].values())
    return False


def cast_expr(expr: pl.Expr, ftype: FieldType) -> pl.Expr:
    if ftype == "datetime":
        return expr.str.to_datetime(time_unit="us", time_zone="UTC", strict=False)
    if ftype == "date":
        return expr.str.slice(0, 10).str.to_date("%Y-%m-%d", strict=False)
    if ftype in ("money", "decimal_string"):
        return expr.cast(polars_dtype(ftype), strict=False)
    if isinstance(ftype, dict) and "struct" in ftype:
        subs = [cast_expr(pl.field(n), t).alias(n) for n, t in ftype["struct"].items() if _needs_cast(t)]
        return expr.struct.with_fields(subs)
    if isinstance(ftype, dict) and "list" in ftype:
        return expr.list.eval(cast_expr(pl.element(), ftype["list"]))
    return expr


def with_polars(
    bodies: list[bytes], fields: dict[str, FieldType], schema: dict[str, pl.DataType]
) -> pl.DataFrame:
    records: list[dict[str, Any]] = []
    for body in bodies:
        records.extend(json.loads(body)["data"])
    frame = pl.from_dicts(records, schema=schema, strict=False)
    return frame.with_columns(cast_expr(pl.col(n), t).alias(n) for n, t in fields.items() if _needs_cast(t))


# -- runs -------------------------------------------------------------------------------------------------


def decoders() -> dict[str, Callable[[bytes], Any]]:
    found: dict[str, Callable[[bytes], Any]] = {"json": json.loads, "msgspec": msgspec.json.Decoder().decode}
    if orjson is not None:
        found["orjson"] = orjson.loads
    return found


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7, help="interleaved runs per way (best is kept)")
    runs = parser.parse_args().runs
    warnings.simplefilter("ignore")
    sandbox = Sandbox(seed=0, anchor=ANCHOR, rate_limit=0)
    catalog = load_catalog()
    print(
        f"== page bytes -> typed frame: {PAGES} pages of {PAGE_SIZE} records, best of {runs} interleaved runs"
    )
    ok = True
    evidence: list[str] = []
    for resource, filters in RESOURCES:
        bodies = page_bytes(sandbox, resource, filters)
        fields = catalog.resolve(resource).fields_for("list")
        schema = {name: loaded_dtype(t) for name, t in fields.items()}
        ours = with_stnb(bodies, fields)
        with_pandas(bodies, fields)
        with_polars(bodies, fields, schema)  # warm-up: imports and first-call costs
        stnb_s, pandas_s, polars_s = best_interleaved(
            runs,
            lambda b=bodies, f=fields: with_stnb(b, f),
            lambda b=bodies, f=fields: with_pandas(b, f),
            lambda b=bodies, f=fields, s=schema: with_polars(b, f, s),
        )
        vs_pandas, vs_polars = pandas_s / stnb_s, polars_s / stnb_s
        met = vs_pandas >= PANDAS_TARGET and vs_polars >= POLARS_TARGET
        ok &= met
        n = ours.height
        print(
            f"{resource:<20} {n:>5} records, {sum(map(len, bodies)) / 1e6:.1f} MB: "
            f"stnb {1000 * stnb_s:.0f} ms "
            f"({n / stnb_s:,.0f} rec/s); pandas {1000 * pandas_s:.0f} ms = {vs_pandas:.2f}x "
            f"(target >= {PANDAS_TARGET:g}x); polars from_dicts {1000 * polars_s:.0f} ms = {vs_polars:.2f}x "
            f"(target >= {POLARS_TARGET:g}x) -> {'met' if met else 'MISSED'}",
            flush=True,
        )
        ways = decoders()
        times = best_interleaved(runs, *[lambda d=d, b=bodies: [d(x) for x in b] for d in ways.values()])
        per = {name: 1e6 * t / n for name, t in zip(ways, times, strict=True)}
        evidence.append(
            f"{resource:<20} "
            + ", ".join(f"{name} {us:.2f} µs/rec ({per['json'] / us:.2f}x json)" for name, us in per.items())
        )
    print("\n== decoding the same pages (evidence for the decoder; stnb uses msgspec)")
    print("\n".join(evidence))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())

"""Pull throughput against the sandbox server over real HTTP, and JSON -> typed frame conversion speed.

Part 1 serves the sandbox with uvicorn on 127.0.0.1 (60 requests/s per app and tenant, 50 ms latency
per request) and pulls at least 600 pages through `Connection.pages` (concurrent pages, paced by the
client). It prints the achieved requests/s as a fraction of the 60/s bound, failed attempts, and the
speedup over a naive sequential httpx loop (token, then one page after another).

Part 2 times `stnb.frames.to_frame` (typed polars frame) against `pandas.json_normalize` on the same
records, per resource, best of several interleaved runs. As a reference it also times polars' own native
converter, `pl.from_dicts` with the same schema (which leaves datetimes and money as strings).

Run: `.venv/bin/python benchmarks/pull.py` (about a minute); `--part pull` or `--part frames` runs one part.
"""

from __future__ import annotations

import argparse
import math
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import httpx
import pandas as pd  # type: ignore[import-untyped]
import polars as pl

from stnb.attempts import Attempt, add_observer, remove_observer
from stnb.catalog import FieldType
from stnb.connect import connect
from stnb.connection import Connection
from stnb.frames import polars_dtype, to_frame
from stnb.sandbox import Sandbox, serve_in_thread

RATE_BOUND = 60.0
LATENCY_MS = 50.0
RESOURCE = "jpm/jobs"
PAGES_WANTED = 600
NAIVE_PAGES = 120
TARGET_FRACTION = 0.85
TARGET_RATIO = 5.0
ANCHOR = datetime(2026, 1, 1, tzinfo=UTC)


class AttemptLog:
    """Every HTTP attempt the client makes, by status (token requests included)."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.statuses: Counter[int | None] = Counter()
        self.api = 0

    def __call__(self, attempt: Attempt) -> None:
        with self.lock:
            self.statuses[attempt.status] += 1
            if attempt.module != "auth":
                self.api += 1

    @property
    def failed(self) -> int:
        return sum(n for status, n in self.statuses.items() if status is None or status >= 400)


def pull_pages(st: Connection, page_size: int) -> tuple[int, int, float, AttemptLog]:
    """Pull every page of RESOURCE; returns (pages, records, seconds, attempts)."""
    log = AttemptLog()
    add_observer(log)
    try:
        started = time.perf_counter()
        walk = st.pages(RESOURCE, pageSize=page_size, progress=False)
        pages = records = 0
        for page in walk:
            pages += 1
            records += len(page.items)
        elapsed = time.perf_counter() - started
    finally:
        remove_observer(log)
    return pages, records, elapsed, log


def naive_loop(url: str, creds: Any, page_size: int, pages: int) -> tuple[int, float]:
    """What people write first: one httpx client, one page after another; returns (pages, seconds)."""
    with httpx.Client(base_url=url, timeout=30.0) as http:
        token = http.post(
            "/connect/token",
            data={
                "grant_type": "client_credentials",
                "client_id": creds.client_id,
                "client_secret": creds.client_secret,
            },
        ).json()["access_token"]
        headers = {"Authorization": f"Bearer {token}", "ST-App-Key": creds.app_key}
        path = f"/jpm/v2/tenant/{creds.tenant_id}/jobs"
        started = time.perf_counter()
        done = 0
        for number in range(1, pages + 1):
            response = http.get(path, params={"page": number, "pageSize": page_size}, headers=headers)
            response.raise_for_status()
            done += 1
            if not response.json()["hasMore"]:
                break
        return done, time.perf_counter() - started


def best_interleaved(runs: int, *works: Callable[[], object]) -> list[float]:
    """Best wall time of each, alternating runs so that a change in machine load hits all alike."""
    best = [math.inf] * len(works)
    for _ in range(runs):
        for index, work in enumerate(works):
            started = time.perf_counter()
            work()
            best[index] = min(best[index], time.perf_counter() - started)
    return best


def loaded_dtype(ftype: FieldType) -> pl.DataType:
    """The dtype `pl.from_dicts` can load without parsing: strings for datetimes, dates and decimals."""
    if isinstance(ftype, str):
        parsed = ("datetime", "date", "money", "decimal_string")
        return pl.String() if ftype in parsed else polars_dtype(ftype)
    if "list" in ftype:
        return pl.List(loaded_dtype(ftype["list"]))
    if "struct" in ftype:
        return pl.Struct({name: loaded_dtype(t) for name, t in ftype["struct"].items()})
    return pl.String()


def conversion(st: Connection, resource: str, active: bool) -> tuple[int, float, float, float]:
    """(records, then seconds for: typed frame, json_normalize, polars from_dicts) on the same records."""
    filters: dict[str, Any] = {"active": "any"} if active else {}
    records = list(st.items(resource, pageSize=1000, progress=False, **filters))
    fields = st.resource(resource).fields_for("list")
    schema = {name: loaded_dtype(t) for name, t in fields.items()}
    # Warm-up: imports and first-call costs.
    to_frame(records, fields, resource=resource)
    pd.json_normalize(records[:100])
    pl.from_dicts(records[:100], schema=schema)
    ours, theirs, native = best_interleaved(
        7,
        lambda: to_frame(records, fields, resource=resource),
        lambda: pd.json_normalize(records),
        lambda: pl.from_dicts(records, schema=schema),
    )
    return len(records), ours, theirs, native


def pull_part() -> bool:
    """Part 1; True when the pull reaches its targets."""
    ok = True
    with serve_in_thread(seed=0, latency_ms=LATENCY_MS, rate_limit=RATE_BOUND) as server:
        creds = server.credentials["integration"]
        with connect("integration", sandbox=server, progress=False) as st:
            path = st.resource(RESOURCE).endpoint("list").path
            total = st.request("GET", path, params={"pageSize": 1, "includeTotal": "true"})["totalCount"]
            page_size = max(1, total // PAGES_WANTED)
            print(
                f"== pull: {RESOURCE} over HTTP on {server.url}, {LATENCY_MS:.0f} ms latency, "
                f"limit {RATE_BOUND:.0f}/s, pageSize {page_size}"
            )
            time.sleep(1.5)  # let the server's per-second bucket refill after the probe
            pages, records, elapsed, log = pull_pages(st, page_size)
            rate = log.api / elapsed
            fraction = rate / RATE_BOUND
            print(f"pages {pages}, records {records}, API requests {log.api} in {elapsed:.1f} s")
            print(
                f"achieved {rate:.1f} requests/s = {fraction:.2f} of the {RATE_BOUND:.0f}/s bound "
                f"(target >= {TARGET_FRACTION}); failed attempts {log.failed} {dict(log.statuses)}"
            )
            ok &= fraction >= TARGET_FRACTION and log.failed == 0 and pages >= PAGES_WANTED

            time.sleep(1.5)
            naive_pages, naive_seconds = naive_loop(server.url, creds, page_size, NAIVE_PAGES)
            naive_rate = naive_pages / naive_seconds
            print(
                f"naive sequential httpx loop: {naive_rate:.1f} requests/s over {naive_pages} pages; "
                f"speedup {rate / naive_rate:.2f}x"
            )
    return ok


def frames_part() -> bool:
    """Part 2: conversion speed per resource, best of several interleaved runs; True when all reach 5x."""
    print("\n== conversion: JSON records -> typed polars frame vs pandas.json_normalize (same records)")
    print("   (reference: polars' native pl.from_dicts, same schema; datetimes and money stay strings)")
    ok = True
    with connect("integration", sandbox=Sandbox(seed=0, anchor=ANCHOR), progress=False) as st:
        for resource, active in (
            ("jpm/jobs", False),
            ("crm/customers", True),
            ("accounting/invoices", False),
        ):
            n, ours, theirs, native = conversion(st, resource, active)
            ratio = theirs / ours
            ok &= ratio >= TARGET_RATIO
            print(
                f"{resource:<22} {n:>6} records: typed frame {n / ours:>9,.0f} rec/s ({1000 * ours:.0f} ms), "
                f"json_normalize {1000 * theirs:.0f} ms, ratio {ratio:.2f}x (target >= {TARGET_RATIO:g}x); "
                f"pl.from_dicts {1000 * native:.0f} ms ({native / ours:.2f}x ours)"
            )
    return ok


def main() -> int:
    parser = argparse.ArgumentParser(description="Pull throughput (part 1) and conversion speed (part 2).")
    parser.add_argument("--part", choices=("all", "pull", "frames"), default="all")
    part = parser.parse_args().part
    ok = pull_part() if part in ("all", "pull") else True
    if part in ("all", "frames"):
        ok &= frames_part()
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())

"""Pull throughput at the real limits against the sandbox served by a child process (real HTTP, loopback).

Part `pull`: the sandbox enforces 60 requests/s per app and tenant and adds 50 ms latency per request
(both passed explicitly). `Connection.pages` pulls at least 600 pages of `jpm/jobs` (concurrent pages,
paced by the client). Printed: achieved requests/s as a fraction of the 60/s bound (target >= 0.9, no
failed attempt), and the speedup over a naive sequential httpx2 loop. servicepytan, where it is installed,
is compared at the same page size (target >= 5x); it is not a dependency, so otherwise that line says so.

Part `pagesize`: the same limits; all of `jpm/jobs` (10,030 records) with pageSize 5000 and with pageSize
500, interleaved, best of `--runs`; target: records/s at 5000 >= records/s at 500.

The served sandbox runs with `--quirks none` (the documented API) unless `--quirks all` is given.

Run: `.venv/bin/python benchmarks/pull.py [--part pull|pagesize] [--quirks all]` (about two minutes).
"""

from __future__ import annotations

import argparse
import importlib.util
import math
import sys
import threading
import time
from collections import Counter
from pathlib import Path
from typing import Any

import httpx2

sys.path.insert(0, str(Path(__file__).resolve().parent))

from support.served import serve, warm

from stnb._attempts import Attempt, add_observer, remove_observer
from stnb._connect import connect
from stnb._connection import Connection

RATE_BOUND = 60.0
LATENCY_MS = 50.0
RESOURCE = "jpm/jobs"
PAGES_WANTED = 600
NAIVE_PAGES = 120
TARGET_FRACTION = 0.9
SERVICEPYTAN_RATIO = 5.0
PAGESIZE_RATIO = 1.0
LIST_PATH = "/jpm/v2/tenant/{tenant}/jobs"


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
    """What people write first: one httpx2 client, one page after another; returns (pages, seconds)."""
    with httpx2.Client(base_url=url, timeout=30.0) as http:
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


def pull_part(quirks: str) -> bool:
    """Part `pull`; True when the pull reaches its targets."""
    ok = True
    with serve(latency_ms=LATENCY_MS, rate_limit=RATE_BOUND, quirks=quirks) as served:
        warm(served, LIST_PATH)
        creds = served.remote().credentials["integration"]
        with connect("integration", sandbox=served.remote(), progress=False) as st:
            path = st.resource(RESOURCE).endpoint("list").path
            total = st.request_json("GET", path, params={"pageSize": 1, "includeTotal": "true"})["totalCount"]
            page_size = max(1, total // PAGES_WANTED)
            print(
                f"== pull: {RESOURCE} over HTTP on {served.url} (server in its own process), "
                f"{LATENCY_MS:.0f} ms latency, limit {RATE_BOUND:.0f}/s, pageSize {page_size}"
            )
            time.sleep(1.5)  # let the server's per-second bucket refill after the probe
            pages, records, elapsed, log = pull_pages(st, page_size)
            rate = log.api / elapsed
            fraction = rate / RATE_BOUND
            print(f"pages {pages}, records {records}, API requests {log.api} in {elapsed:.1f} s")
            met = fraction >= TARGET_FRACTION and log.failed == 0 and pages >= PAGES_WANTED
            print(
                f"achieved {rate:.1f} requests/s = {fraction:.2f} of the {RATE_BOUND:.0f}/s bound "
                f"(target >= {TARGET_FRACTION}, 0 failed); failed attempts {log.failed} {dict(log.statuses)}"
                f" -> {'met' if met else 'MISSED'}"
            )
            ok &= met
            time.sleep(1.5)
            naive_pages, naive_seconds = naive_loop(served.url, creds, page_size, NAIVE_PAGES)
            naive_rate = naive_pages / naive_seconds
            print(
                f"naive sequential httpx2 loop: {naive_rate:.1f} requests/s over {naive_pages} pages; "
                f"speedup {rate / naive_rate:.2f}x"
            )
    if importlib.util.find_spec("servicepytan") is None:
        print(
            f"servicepytan: not installed (not a dependency), comparison at equal page size skipped "
            f"(target >= {SERVICEPYTAN_RATIO:g}x where it is installed)"
        )
    else:
        print(
            "servicepytan: installed, but it only talks to ServiceTitan's hosts; "
            "this script cannot point it at the loopback sandbox, so no ratio is claimed"
        )
    return ok


def pagesize_part(runs: int, quirks: str) -> bool:
    """Part `pagesize`: records/s with pageSize 5000 against pageSize 500, at the real limits."""
    with serve(latency_ms=LATENCY_MS, rate_limit=RATE_BOUND, quirks=quirks) as served:
        warm(served, LIST_PATH)
        with connect("integration", sandbox=served.remote(), progress=False) as st:
            counts: dict[int, int] = {}
            best = {500: math.inf, 5000: math.inf}

            def pull(size: int) -> None:
                time.sleep(1.0)  # each run starts with the server's per-second allowance refilled
                started = time.perf_counter()
                counts[size] = sum(len(page.items) for page in st.pages(RESOURCE, pageSize=size))
                best[size] = min(best[size], time.perf_counter() - started)

            pull(500)
            pull(5000)  # warm-up
            best = {500: math.inf, 5000: math.inf}
            for _ in range(runs):  # interleaved: a change in machine load hits both alike
                pull(500)
                pull(5000)
    small, large = best[500], best[5000]
    ratio = (counts[5000] / large) / (counts[500] / small)
    met = ratio >= PAGESIZE_RATIO
    print(
        f"\n== page size: all of {RESOURCE} ({counts[500]:,} records), {LATENCY_MS:.0f} ms latency, "
        f"limit {RATE_BOUND:.0f}/s, sandbox quirks {quirks}, best of {runs}"
    )
    print(
        f"pageSize 500: {small:.2f} s = {counts[500] / small:,.0f} rec/s; pageSize 5000: {large:.2f} s = "
        f"{counts[5000] / large:,.0f} rec/s; 5000 / 500 = {ratio:.2f} (target >= {PAGESIZE_RATIO:g}) "
        f"-> {'met' if met else 'MISSED'}"
    )
    return met


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--part", choices=("all", "pull", "pagesize"), default="all")
    parser.add_argument("--runs", type=int, default=5, help="interleaved runs of the page-size part")
    parser.add_argument(
        "--quirks",
        default="none",
        help="the served sandbox's --quirks (default none: the documented API; 'all' adds the live API's "
        "deviations)",
    )
    args = parser.parse_args()
    ok = pull_part(args.quirks) if args.part in ("all", "pull") else True
    if args.part in ("all", "pagesize"):
        ok &= pagesize_part(args.runs, args.quirks)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())

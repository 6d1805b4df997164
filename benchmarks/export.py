"""Exports: client memory that stays flat as the data grows, and export throughput against list throughput.

The sandbox runs in a child process (`stnb sandbox serve`, rate limit off, no added latency: both are
passed explicitly), so what is measured is the client alone.

Memory: `Connection.to_parquet("jpm/jobs", ..., export=True)` runs in a fresh child process per scale; its
peak resident memory (`ru_maxrss`) is compared with the target (<= 300 MB) and with the peak at the small
scale (flat: big <= 1.2x small). Default scales 10 and 30 (100,300 and 300,900 jobs, a few minutes);
`--full` runs 10 and 100 (1,003,000 jobs: the server alone then needs about 5 GB and a minute to build).

Throughput: the same jobs through the list (`to_parquet`, pageSize 500) and through the export feed
(`to_parquet(export=True)`), interleaved, best of `--runs`; target export/list >= 0.9.

The served sandbox runs with `--quirks none` unless `--quirks all` is given: the live API's deviations
make the sandbox's own export feed slower (measured: the client then waits on the server for about half
of an export), which is not what the throughput target is about.

Run: `.venv/bin/python benchmarks/export.py [--part memory|throughput] [--full] [--quirks all]`.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from support.served import best_interleaved, serve, warm

RESOURCE = "jpm/jobs"
LIST_PATH = "/jpm/v2/tenant/{tenant}/jobs"
EXPORT_PATH = "/jpm/v2/tenant/{tenant}/export/jobs"
PEAK_TARGET_MB = 300.0
FLAT_TARGET = 1.2
THROUGHPUT_TARGET = 0.9


def child_export(url: str, seed: int, out: str) -> None:
    """In a fresh process: one export to Parquet; prints rows, seconds and memory as JSON."""
    import polars as pl

    from stnb._connect import connect
    from stnb.sandbox.remote import RemoteSandbox

    with connect("integration", sandbox=RemoteSandbox(url, seed), progress=False) as st:
        st.resource(RESOURCE)  # catalog loaded: what every pull pays before its first request
        base_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        started = time.perf_counter()
        path = st.to_parquet(RESOURCE, out, export=True)
        seconds = time.perf_counter() - started
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    ids = pl.scan_parquet(path).select(pl.len(), pl.col("id").n_unique()).collect().row(0)
    print(
        json.dumps(
            {"rows": ids[0], "unique": ids[1], "seconds": seconds, "base_mb": base_mb, "peak_mb": peak_mb}
        )
    )


def export_in_child(scale: float, quirks: str) -> dict[str, float]:
    with (
        serve(scale=scale, latency_ms=0.0, rate_limit=0.0, quirks=quirks) as served,
        tempfile.TemporaryDirectory() as tmp,
    ):
        started = time.perf_counter()
        warm(served, EXPORT_PATH)
        built = time.perf_counter() - started
        out = str(Path(tmp) / "jobs.parquet")
        result = subprocess.run(
            [sys.executable, __file__, "--child-export", served.url, str(served.seed), out],
            capture_output=True,
            text=True,
            env={**os.environ, "STNB_LEDGER": "off"},
            check=False,
        )
        if result.returncode != 0:
            raise RuntimeError(f"the export child failed:\n{result.stderr[-3000:]}")
        figures: dict[str, float] = json.loads(result.stdout.strip().splitlines()[-1])
        figures["server_mb"] = served.rss_mb
        figures["built"] = built
        return figures


def memory_part(small: float, big: float, quirks: str) -> bool:
    print(
        f"== export memory: {RESOURCE} to Parquet, client in its own process, scales {small:g} and {big:g}, "
        f"sandbox quirks {quirks}"
    )
    peaks = {}
    for scale in (small, big):
        f = export_in_child(scale, quirks)
        peaks[scale] = f["peak_mb"]
        print(
            f"scale {scale:g}: {f['rows']:,.0f} rows ({f['unique']:,.0f} ids) in {f['seconds']:.1f} s "
            f"= {f['rows'] / f['seconds']:,.0f} rec/s; client peak {f['peak_mb']:.0f} MB "
            f"(after imports and catalog {f['base_mb']:.0f} MB); server {f['server_mb']:.0f} MB, "
            f"world built in {f['built']:.0f} s",
            flush=True,
        )
    peak, flat = peaks[big], peaks[big] / peaks[small]
    ok = peak <= PEAK_TARGET_MB and flat <= FLAT_TARGET
    print(
        f"peak at scale {big:g}: {peak:.0f} MB (target <= {PEAK_TARGET_MB:.0f} MB); "
        f"peak {big:g} / peak {small:g} = {flat:.2f}x (target <= {FLAT_TARGET}x) -> "
        f"{'met' if ok else 'MISSED'}"
    )
    return ok


def throughput_part(scale: float, runs: int, quirks: str) -> bool:
    from stnb._connect import connect

    print(
        f"\n== export vs list throughput: {RESOURCE}, scale {scale:g}, no latency, no rate limit, "
        f"sandbox quirks {quirks}, best of {runs}"
    )
    with (
        serve(scale=scale, latency_ms=0.0, rate_limit=0.0, quirks=quirks) as served,
        tempfile.TemporaryDirectory() as tmp,
    ):
        warm(served, EXPORT_PATH)
        warm(served, LIST_PATH)
        with connect("integration", sandbox=served.remote(), progress=False) as st:
            rows: dict[str, int] = {}

            def pull_list() -> None:
                st.to_parquet(RESOURCE, Path(tmp) / "list.parquet", page_size=500)
                rows["list"] = st.last_query.rows if st.last_query else 0

            def pull_export() -> None:
                st.to_parquet(RESOURCE, Path(tmp) / "export.parquet", export=True)
                rows["export"] = st.last_query.rows if st.last_query else 0

            pull_list()
            pull_export()  # warm-up
            listed, exported = best_interleaved(runs, pull_list, pull_export)
    list_rate, export_rate = rows["list"] / listed, rows["export"] / exported
    ratio = export_rate / list_rate
    ok = ratio >= THROUGHPUT_TARGET
    print(
        f"list {rows['list']:,} records in {listed:.2f} s = {list_rate:,.0f} rec/s; "
        f"export {rows['export']:,} records in {exported:.2f} s = {export_rate:,.0f} rec/s"
    )
    print(f"export / list = {ratio:.2f} (target >= {THROUGHPUT_TARGET}) -> {'met' if ok else 'MISSED'}")
    return ok


def main() -> int:
    if len(sys.argv) == 5 and sys.argv[1] == "--child-export":
        child_export(sys.argv[2], int(sys.argv[3]), sys.argv[4])
        return 0
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--part", choices=("all", "memory", "throughput"), default="all")
    parser.add_argument("--full", action="store_true", help="memory at 1,003,000 jobs (scale 100) vs 100,300")
    parser.add_argument("--small", type=float, default=10.0, help="small scale for the memory part")
    parser.add_argument("--big", type=float, default=30.0, help="big scale for the memory part")
    parser.add_argument("--scale", type=float, default=3.0, help="scale for the throughput part")
    parser.add_argument("--runs", type=int, default=5, help="interleaved runs for the throughput part")
    parser.add_argument(
        "--quirks",
        default="none",
        help="the served sandbox's --quirks (default none: the documented API; 'all' adds the live API's "
        "deviations, which slow the sandbox's export feed itself)",
    )
    args = parser.parse_args()
    ok = True
    if args.part in ("all", "memory"):
        ok &= memory_part(args.small, 100.0 if args.full else args.big, args.quirks)
    if args.part in ("all", "throughput"):
        ok &= throughput_part(args.scale, args.runs, args.quirks)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())

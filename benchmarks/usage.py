"""Usage benchmarks: the ledger's cost per API call, and aggregating a large ledger with polars vs SQLite.

1. Ledger overhead: the time `UsageLedger(attempt)` adds to a call (it only enqueues; a background
   thread writes), against a full round trip to the embedded sandbox through `stnb.connect`.
   Target: under 5% of a round trip.
2. Aggregation: N ledger rows (default 10 million) generated as a polars frame, written to a ledger
   SQLite file and to Parquet; daily calls per app computed by `stnb.usage.analytics.calls_over_time`
   over a lazy Parquet scan against SQLite's own `GROUP BY` on the same rows. Each side runs in a fresh
   process (best of --runs) so its peak memory is its own. Target: polars at least 5x faster.

usage: python benchmarks/usage.py [--rows N] [--calls N] [--runs N] [--keep DIR]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

import polars as pl

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from stnb.attempts import Attempt, app_fingerprint  # noqa: E402
from stnb.usage.columns import LEDGER_SCHEMA  # noqa: E402
from stnb.usage.store import INSERT_SQL, ensure_schema  # noqa: E402

APPS = ("Acme Dispatch Board", "Fleet Insights", "Route Planner", "Invoice Sync", "Review Bot")
MODULES = ("jpm", "crm", "dispatch", "accounting", "settings", "auth")
STATUSES = (200, 200, 200, 200, 200, 200, 200, 200, 200, 429, 500, 404)


# ---------------------------------------------------------------------------------------------- part 1


def _attempt() -> Attempt:
    return Attempt(
        at=datetime.now(UTC),
        env="integration",
        app="a1b2c3d4",
        app_name="Acme Dispatch Board",
        tenant="431848990",
        method="GET",
        module="crm",
        endpoint="/crm/v2/tenant/{tenant}/customers",
        status=200,
        latency_ms=3.2,
        bytes=12_000,
        attempt=1,
        rate_wait_ms=0.0,
        error_type=None,
    )


def ledger_overhead(calls: int, folder: Path) -> dict[str, float]:
    """Per-call cost of recording, and round trips with and without the ledger (interleaved, paired)."""
    import stnb
    from stnb.attempts import add_observer, remove_observer
    from stnb.sandbox import Sandbox
    from stnb.usage.ledger import UsageLedger

    ledger = UsageLedger(folder / "overhead.sqlite3")
    attempt = _attempt()
    n = 200_000
    started = time.perf_counter()
    for _ in range(n):
        ledger(attempt)
    per_record = (time.perf_counter() - started) / n
    ledger.flush()

    os.environ["STNB_LEDGER"] = "off"  # this benchmark attaches its own ledger
    conn = stnb.connect("integration", sandbox=Sandbox(rate_limit=1e9), rate=1e9)
    path = "/crm/v2/tenant/{tenant}/customers"
    for _ in range(50):  # warm up: token, world build, caches
        conn.request("GET", path, params={"pageSize": 10})
    on: list[float] = []
    off: list[float] = []
    for i in range(2 * calls):
        recording = i % 2 == 0
        if recording:
            add_observer(ledger)
        started = time.perf_counter()
        conn.request("GET", path, params={"pageSize": 10})
        (on if recording else off).append(time.perf_counter() - started)
        if recording:
            remove_observer(ledger)
    conn.close()
    ledger.close()
    median_off, median_on = statistics.median(off), statistics.median(on)
    paired = statistics.median(a - b for a, b in zip(on, off, strict=True))  # neighbours share the load
    return {
        "record_us": per_record * 1e6,
        "round_trip_ms_ledger_off": median_off * 1e3,
        "round_trip_ms_ledger_on": median_on * 1e3,
        "record_share_pct": per_record / median_off * 100,
        "end_to_end_diff_pct": paired / median_off * 100,
    }


# ---------------------------------------------------------------------------------------------- part 2


def _pick(values: tuple[object, ...], h: pl.Expr) -> pl.Expr:
    return pl.lit(pl.Series(values)).get((h % len(values)).cast(pl.Int64))


def generate(rows: int) -> pl.DataFrame:
    """`rows` ledger rows over 400 days, deterministic, built column-wise by polars."""
    i = pl.int_range(rows, dtype=pl.Int64)
    start_us = int(datetime(2025, 10, 1, tzinfo=UTC).timestamp() * 1_000_000)
    span_us = 400 * 86_400 * 1_000_000
    h1, h2, h3 = i.hash(1), i.hash(2), i.hash(3)
    fingerprints = tuple(app_fingerprint(f"ak1.{name}") for name in APPS)
    app_index = (h1 % len(APPS)).cast(pl.Int64)
    module = _pick(MODULES, h2)
    return pl.select(
        i.alias("id"),
        (pl.lit(start_us) + (h3 % span_us).cast(pl.Int64)).alias("at_us"),
        pl.when(h2 % 7 == 0).then(pl.lit("integration")).otherwise(pl.lit("production")).alias("env"),
        pl.lit(pl.Series(fingerprints)).get(app_index).alias("app"),
        pl.lit(pl.Series(APPS)).get(app_index).alias("app_name"),
        (pl.lit(100_000_000) + (h1 // 7 % 20)).cast(pl.String).alias("tenant"),
        pl.when(module == "auth").then(pl.lit("POST")).otherwise(pl.lit("GET")).alias("method"),
        module.alias("module"),
        pl.format("/{}/v2/tenant/{{tenant}}/r{}", module, h3 % 12).alias("endpoint"),
        _pick(STATUSES, h1 // 3).cast(pl.Int32).alias("status"),
        ((h2 % 500_000).cast(pl.Float64) / 1000.0 + 5.0).alias("latency_ms"),
        (h3 % 100_000).cast(pl.Int64).alias("bytes"),
        pl.lit(1, pl.Int32).alias("attempt"),
        pl.lit(0.0).alias("rate_wait_ms"),
        pl.lit(None, pl.String).alias("error_type"),
    )


def write_sources(frame: pl.DataFrame, folder: Path) -> tuple[Path, Path]:
    """The same rows as a ledger SQLite file (built without a journal, then switched to WAL) and Parquet."""
    db = folder / "ledger.sqlite3"
    parquet = folder / "ledger.parquet"
    at = pl.from_epoch(pl.col("at_us"), time_unit="us").dt.replace_time_zone("UTC").alias("at")
    frame.with_columns(at).select(list(LEDGER_SCHEMA)).write_parquet(parquet)
    conn = sqlite3.connect(db, isolation_level=None)
    try:
        conn.execute("PRAGMA journal_mode = OFF")  # a bulk build; the timed queries only read
        conn.execute("PRAGMA synchronous = OFF")
        ensure_schema(conn, db)
        conn.execute("BEGIN")
        for chunk in frame.iter_slices(500_000):
            conn.executemany(INSERT_SQL, chunk.iter_rows())
        conn.execute("COMMIT")
        conn.execute("PRAGMA journal_mode = WAL")  # as every ledger file is
    finally:
        conn.close()
    return db, parquet


_PEAK = """
import resource


def peak_mb():
    try:
        with open("/proc/self/status") as status:  # VmHWM: this process's own high-water mark
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
"""

_POLARS = (
    _PEAK
    + """
import json, sys, time
import polars as pl
from stnb.usage.analytics import calls_over_time
best = None
for _ in range(int(sys.argv[2])):
    started = time.perf_counter()
    out = calls_over_time(pl.scan_parquet(sys.argv[1]), "1d", "app", fill=False)
    took = time.perf_counter() - started
    best = took if best is None else min(best, took)
print(json.dumps({"seconds": best, "groups": out.height, "calls": int(out["calls"].sum()),
                  "peak_rss_mb": peak_mb()}))
"""
)

_SQLITE = (
    _PEAK
    + """
import json, sqlite3, sys, time
conn = sqlite3.connect(sys.argv[1])
sql = ("SELECT date(at_us / 1000000, 'unixepoch') AS day, coalesce(app_name, app) AS app, count(*) "
       "FROM attempts GROUP BY day, app")
best = None
for _ in range(int(sys.argv[2])):
    started = time.perf_counter()
    rows = conn.execute(sql).fetchall()
    took = time.perf_counter() - started
    best = took if best is None else min(best, took)
print(json.dumps({"seconds": best, "groups": len(rows), "calls": sum(r[2] for r in rows),
                  "peak_rss_mb": peak_mb()}))
"""
)


def _child(code: str, path: Path, runs: int) -> dict[str, float]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    done = subprocess.run(
        [sys.executable, "-c", code, str(path), str(runs)],
        capture_output=True,
        text=True,
        env=env,
        check=True,
    )
    result: dict[str, float] = json.loads(done.stdout)
    return result


def aggregation(rows: int, folder: Path, runs: int) -> dict[str, float]:
    started = time.perf_counter()
    frame = generate(rows)
    generated = time.perf_counter() - started
    started = time.perf_counter()
    db, parquet = write_sources(frame, folder)
    written = time.perf_counter() - started
    del frame
    polars_run = _child(_POLARS, parquet, runs)
    sqlite_run = _child(_SQLITE, db, runs)
    if (polars_run["groups"], polars_run["calls"]) != (sqlite_run["groups"], sqlite_run["calls"]):
        raise SystemExit(f"the two answers differ: polars {polars_run}, sqlite {sqlite_run}")
    return {
        "rows": rows,
        "generate_s": generated,
        "write_sqlite_and_parquet_s": written,
        "sqlite_mb": db.stat().st_size / 2**20,
        "parquet_mb": parquet.stat().st_size / 2**20,
        "polars_s": polars_run["seconds"],
        "polars_peak_rss_mb": polars_run["peak_rss_mb"],
        "sqlite_s": sqlite_run["seconds"],
        "sqlite_peak_rss_mb": sqlite_run["peak_rss_mb"],
        "groups": polars_run["groups"],
        "speedup": sqlite_run["seconds"] / polars_run["seconds"],
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=10_000_000, help="ledger rows to aggregate")
    parser.add_argument("--calls", type=int, default=500, help="sandbox round trips to time")
    parser.add_argument("--runs", type=int, default=2, help="timed runs per engine (the best counts)")
    parser.add_argument("--keep", metavar="DIR", help="keep the generated files in DIR")
    args = parser.parse_args()
    folder = Path(args.keep) if args.keep else Path(tempfile.mkdtemp(prefix="stnb-bench-usage-"))
    folder.mkdir(parents=True, exist_ok=True)

    overhead = ledger_overhead(args.calls, folder)
    print("ledger overhead per API call")
    print(f"  recording one attempt (enqueue):  {overhead['record_us']:.2f} us")
    print(f"  sandbox round trip, ledger off:   {overhead['round_trip_ms_ledger_off']:.3f} ms (median)")
    print(f"  sandbox round trip, ledger on:    {overhead['round_trip_ms_ledger_on']:.3f} ms (median)")
    verdict = "OK" if overhead["record_share_pct"] < 5 else "ABOVE TARGET"
    print(f"  recording / round trip:           {overhead['record_share_pct']:.3f}% (target < 5%: {verdict})")
    print(f"  paired end-to-end difference:     {overhead['end_to_end_diff_pct']:+.2f}% (noisy when busy)")

    agg = aggregation(args.rows, folder, args.runs)
    print(f"daily calls per app over {agg['rows']:,} ledger rows ({agg['groups']:,} day x app groups)")
    print(
        f"  generated in {agg['generate_s']:.1f} s; written to SQLite ({agg['sqlite_mb']:.0f} MB) and "
        f"Parquet ({agg['parquet_mb']:.0f} MB) in {agg['write_sqlite_and_parquet_s']:.1f} s"
    )
    print(f"  polars (lazy Parquet): {agg['polars_s']:.3f} s, peak RSS {agg['polars_peak_rss_mb']:.0f} MB")
    print(f"  SQLite GROUP BY:       {agg['sqlite_s']:.3f} s, peak RSS {agg['sqlite_peak_rss_mb']:.0f} MB")
    verdict = "OK" if agg["speedup"] >= 5 else "BELOW TARGET"
    print(f"  polars is {agg['speedup']:.1f}x faster (target >= 5x: {verdict})")
    print(f"  this process peak RSS: {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB")
    if not args.keep:
        for path in folder.iterdir():
            path.unlink()
        folder.rmdir()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""Sandbox throughput and world-building time.

Prints requests/s for 50-record and 5,000-record job pages through the in-process transport and through
the uvicorn server on loopback (rate limit off, latency model off, keep-alive client), the same served with
`stnb sandbox serve`'s default latency model for one sequential client, and the seconds to build the world
(customers, locations, jobs, appointments, invoices with items and payments, one environment) at scales 1
and 100, each in a child process so its peak memory is its own; then the same for every endpoint of the
catalog (each resource's list/export/get records, the 2026-05 documents' 179 resources). Runtime is
bounded: each throughput run lasts `--seconds`, each build gets `--build-timeout`.

Targets (exit 1 when missed): the world build takes at most 1.5x the CPU seconds and 1.5x the peak memory
of the code before the 2026-05 catalog (`BASELINE`, measured on main at ebbf3e1 with this script's
`--baseline` run; README: 0.4 s wall at scale 1 and 5.0 GB at scale 100 on an idle machine), and so does
building every endpoint's records. CPU seconds, not wall seconds, are compared because the machine is
shared: wall time is printed too.

    .venv/bin/python benchmarks/sandbox.py [--seconds 3] [--big-scale 100] [--build-timeout 300]
"""

from __future__ import annotations

import argparse
import inspect
import multiprocessing
import resource
import sys
import time
from datetime import UTC, datetime
from queue import Empty
from typing import Any

import httpx2

from stnb.sandbox import LIVE_LATENCY, Sandbox
from stnb.sandbox.server import serve_in_thread

ANCHOR = datetime(2026, 6, 1, tzinfo=UTC)
WORLD_TABLES = ("customers", "locations", "jobs", "appointments", "invoices")
TOLERANCE = 1.5
# (what, scale) -> (CPU seconds, peak MB) of the code before the 2026-05 catalog (main at ebbf3e1),
# measured with this script on this machine.
# 2026-12-06, load average about 10 (wall seconds were 0.5 / 90.9 / 3.2 / 108.1).
BASELINE: dict[tuple[str, float], tuple[float, float]] = {
    ("world", 1.0): (0.2, 154.0),
    ("world", 100.0): (22.3, 4868.0),
    ("catalog", 1.0): (1.0, 199.0),  # 205 endpoints of the 2025-05 catalog
    ("catalog", 100.0): (35.7, 8021.0),
}


def _client(
    sandbox: Sandbox, base_url: str, transport: Any | None
) -> tuple[httpx2.Client, dict[str, str], str]:
    creds = sandbox.credentials["integration"]
    client = httpx2.Client(base_url=base_url, transport=transport, timeout=60.0)
    form = {
        "grant_type": "client_credentials",
        "client_id": creds.client_id,
        "client_secret": creds.client_secret,
    }
    token = client.post("/connect/token", data=form).json()["access_token"]
    headers = {"Authorization": f"Bearer {token}", "ST-App-Key": creds.app_key}
    return client, headers, f"/jpm/v2/tenant/{creds.tenant_id}/jobs"


def _throughput(
    client: httpx2.Client, headers: dict[str, str], path: str, size: int, seconds: float
) -> tuple[float, float]:
    """(requests/s, MB/s) fetching pages of `size` records for about `seconds`."""
    pages = max(1, 9000 // size)
    done, received = 0, 0
    started = time.perf_counter()
    while time.perf_counter() - started < seconds:
        response = client.get(path, headers=headers, params={"pageSize": size, "page": 1 + done % pages})
        if response.status_code != 200:
            raise RuntimeError(f"{path} answered {response.status_code}: {response.text[:200]}")
        received += len(response.content)
        done += 1
    elapsed = time.perf_counter() - started
    return done / elapsed, received / elapsed / 1e6


def run_throughput(seconds: float) -> None:
    sandbox = Sandbox(seed=0, anchor=ANCHOR, rate_limit=0, latency_ms=0, **_no_record_latency())
    started = time.perf_counter()
    sandbox.world("integration").jobs()
    print(f"world for the throughput runs built in {time.perf_counter() - started:.2f} s (scale 1)")
    print(f"{'adapter':10s} {'page size':>9s} {'requests/s':>11s} {'records/s':>11s} {'MB/s':>7s}")
    with serve_in_thread(sandbox) as server:
        adapters = (("embedded", sandbox.url, sandbox.transport()), ("served", server.url, None))
        for name, base_url, transport in adapters:
            client, headers, path = _client(sandbox, base_url, transport)
            try:
                _throughput(client, headers, path, 50, 0.3)  # warm up the caches
                for size in (50, 5000):
                    rps, mbps = _throughput(client, headers, path, size, seconds)
                    print(f"{name:10s} {size:9d} {rps:11.1f} {rps * size:11.0f} {mbps:7.1f}", flush=True)
            finally:
                client.close()


def run_live_latency(seconds: float) -> None:
    """A sequential client against the server with `stnb sandbox serve`'s default latency model."""
    sandbox = Sandbox(
        seed=0,
        anchor=ANCHOR,
        latency_ms=LIVE_LATENCY.base_ms,
        per_record_ms=LIVE_LATENCY.per_record_ms,
    )
    sandbox.world("integration").jobs()
    with serve_in_thread(sandbox) as server:
        client, headers, path = _client(sandbox, server.url, None)
        try:
            for size in (50, 5000):
                rps, _mbps = _throughput(client, headers, path, size, seconds)
                print(
                    f"served, latency {LIVE_LATENCY}: {size}-record pages, one client in sequence: "
                    f"{rps:.1f} requests/s (the rate limit: 60/s)",
                    flush=True,
                )
        finally:
            client.close()


def _no_record_latency() -> dict[str, Any]:
    """The per-record part of the latency model off too, where the sandbox has one."""
    return {"per_record_ms": 0} if "per_record_ms" in inspect.signature(Sandbox).parameters else {}


def _cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _build(what: str, scale: float, results: Any) -> None:
    sandbox = Sandbox(seed=0, scale=scale, anchor=ANCHOR)
    world = sandbox.world("integration")
    started, cpu = time.perf_counter(), _cpu()
    for table in WORLD_TABLES:
        begun = time.perf_counter()
        rows = world.base(table).height
        results.put(("table", table, rows, time.perf_counter() - begun))
    if what == "catalog":
        endpoints = records = 0
        for res in sandbox.catalog:
            if res.module == "reporting":
                continue  # the Reporting API computes reports from the tables above
            for kind in ("list", "export", "get"):
                if getattr(res, kind) is not None:
                    records += world.resource_frame(res, kind).height
                    endpoints += 1
        results.put(("table", "endpoints", endpoints, 0.0))
        results.put(("table", "their records", records, 0.0))
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    results.put(("done", time.perf_counter() - started, _cpu() - cpu, peak_mb))


def run_build(what: str, scale: float, timeout: float, check: bool = True) -> bool:
    """Build in a child process; True when the targets hold (or are not checked)."""
    context = multiprocessing.get_context("spawn")
    results = context.Queue()
    process = context.Process(target=_build, args=(what, scale, results), daemon=True)
    process.start()
    deadline = time.monotonic() + timeout
    parts = []
    try:
        while True:
            try:
                message = results.get(timeout=max(0.1, deadline - time.monotonic()))
            except Empty:
                built = ", ".join(parts) or "nothing"
                print(f"{what} scale {scale:g}: not built within {timeout:g} s (built: {built})")
                return not check
            if message[0] == "table":
                parts.append(f"{message[1]} {message[2]:,}")
                continue
            _kind, seconds, cpu, peak_mb = message
            summary = f"built in {seconds:.1f} s ({cpu:.1f} s CPU), peak memory {peak_mb:,.0f} MB"
            print(f"{what} scale {scale:g}: {summary} ({', '.join(parts)})")
            base = BASELINE.get((what, scale))
            if not check or base is None:
                return True
            cpu_ratio, memory_ratio = cpu / base[0], peak_mb / base[1]
            ok = cpu_ratio <= TOLERANCE and memory_ratio <= TOLERANCE
            print(
                f"  vs before the 2026-05 catalog ({base[0]:g} s CPU, {base[1]:,.0f} MB): "
                f"CPU x{cpu_ratio:.2f}, memory x{memory_ratio:.2f} (target <= x{TOLERANCE:g}): "
                f"{'ok' if ok else 'MISSED'}"
            )
            return ok
    finally:
        if process.is_alive():
            process.terminate()
        process.join(5)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=3.0, help="duration of each throughput run")
    parser.add_argument("--big-scale", type=float, default=100.0, help="the large scale to build")
    parser.add_argument("--build-timeout", type=float, default=300.0, help="seconds allowed for each build")
    parser.add_argument("--builds-only", action="store_true", help="skip the throughput runs")
    parser.add_argument(
        "--baseline", action="store_true", help="measure without checking targets (to refresh BASELINE)"
    )
    args = parser.parse_args()
    if not args.builds_only:
        run_throughput(args.seconds)
        run_live_latency(args.seconds)
    results = [
        run_build(what, scale, args.build_timeout, check=not args.baseline)
        for what in ("world", "catalog")
        for scale in (1.0, args.big_scale)
    ]
    if not all(results):
        print("targets missed")
        sys.exit(1)


if __name__ == "__main__":
    main()

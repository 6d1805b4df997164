"""Sandbox throughput and world-building time.

Prints requests/s for 50-record and 5,000-record job pages through the in-process transport and through
the uvicorn server on loopback (rate limit off, latency model off, keep-alive client), the same served with
`stnb sandbox serve`'s default latency model for one sequential client, and the seconds to build the world
(customers, locations, jobs, appointments, invoices with items and payments, one environment) at scales 1
and 100, each in a child process so its peak memory is its own. Runtime is bounded: each throughput run
lasts `--seconds`, each build gets `--build-timeout`.

    .venv/bin/python benchmarks/sandbox.py [--seconds 3] [--big-scale 100] [--build-timeout 75]
"""

from __future__ import annotations

import argparse
import multiprocessing
import resource
import time
from datetime import UTC, datetime
from queue import Empty
from typing import Any

import httpx

from stnb.sandbox import LIVE_LATENCY, Sandbox
from stnb.sandbox.server import serve_in_thread

ANCHOR = datetime(2026, 6, 1, tzinfo=UTC)
WORLD_TABLES = ("customers", "locations", "jobs", "appointments", "invoices")


def _client(
    sandbox: Sandbox, base_url: str, transport: Any | None
) -> tuple[httpx.Client, dict[str, str], str]:
    creds = sandbox.credentials["integration"]
    client = httpx.Client(base_url=base_url, transport=transport, timeout=60.0)
    form = {
        "grant_type": "client_credentials",
        "client_id": creds.client_id,
        "client_secret": creds.client_secret,
    }
    token = client.post("/connect/token", data=form).json()["access_token"]
    headers = {"Authorization": f"Bearer {token}", "ST-App-Key": creds.app_key}
    return client, headers, f"/jpm/v2/tenant/{creds.tenant_id}/jobs"


def _throughput(
    client: httpx.Client, headers: dict[str, str], path: str, size: int, seconds: float
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
    sandbox = Sandbox(seed=0, anchor=ANCHOR, rate_limit=0)
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


def _build(scale: float, results: Any) -> None:
    sandbox = Sandbox(seed=0, scale=scale, anchor=ANCHOR)
    world = sandbox.world("integration")
    started = time.perf_counter()
    for table in WORLD_TABLES:
        begun = time.perf_counter()
        rows = world.base(table).height
        results.put(("table", table, rows, time.perf_counter() - begun))
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    results.put(("done", time.perf_counter() - started, peak_mb))


def run_build(scale: float, timeout: float) -> None:
    context = multiprocessing.get_context("spawn")
    results = context.Queue()
    process = context.Process(target=_build, args=(scale, results), daemon=True)
    process.start()
    deadline = time.monotonic() + timeout
    parts = []
    try:
        while True:
            try:
                message = results.get(timeout=max(0.1, deadline - time.monotonic()))
            except Empty:
                built = ", ".join(parts) or "nothing"
                print(f"scale {scale:g}: not built within {timeout:g} s (built: {built})")
                return
            if message[0] == "table":
                parts.append(f"{message[1]} {message[2]:,}")
                continue
            _kind, seconds, peak_mb = message
            summary = f"world built in {seconds:.1f} s, peak memory {peak_mb:,.0f} MB"
            print(f"scale {scale:g}: {summary} ({', '.join(parts)})")
            return
    finally:
        if process.is_alive():
            process.terminate()
        process.join(5)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=3.0, help="duration of each throughput run")
    parser.add_argument("--big-scale", type=float, default=100.0, help="the large scale to build")
    parser.add_argument("--build-timeout", type=float, default=75.0, help="seconds allowed for each build")
    args = parser.parse_args()
    run_throughput(args.seconds)
    run_live_latency(args.seconds)
    for scale in (1.0, args.big_scale):
        run_build(scale, args.build_timeout)


if __name__ == "__main__":
    main()

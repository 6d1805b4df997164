"""The sandbox served by a child process (`stnb sandbox serve`), so the client's time and memory are its own.

Latency (base and per record) and rate limit are always passed explicitly: the served defaults model the
live API's latency, which would swamp what these benchmarks measure.
"""

from __future__ import annotations

import contextlib
import math
import os
import re
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import httpx2

from stnb.sandbox.remote import RemoteSandbox

_URL = re.compile(r"listening on (http://\S+)")


@dataclass(frozen=True)
class Served:
    url: str
    seed: int
    process: subprocess.Popen[str]

    def remote(self) -> RemoteSandbox:
        return RemoteSandbox(self.url, self.seed)

    @property
    def rss_mb(self) -> float:
        """The server's current resident memory (it is not the client's)."""
        with open(f"/proc/{self.process.pid}/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024
        return math.nan


@contextlib.contextmanager
def serve(
    *,
    scale: float = 1.0,
    latency_ms: float = 0.0,
    rate_limit: float = 0.0,
    seed: int = 0,
    quirks: str = "all",
) -> Iterator[Served]:
    """Start `stnb sandbox serve` on a free loopback port; stop it on exit."""
    command = [
        sys.executable,
        "-m",
        "stnb.cli.main",
        "sandbox",
        "serve",
        "--port",
        "0",
        "--seed",
        str(seed),
        "--scale",
        str(scale),
        "--latency-ms",
        str(latency_ms),
        "--per-record-ms",
        "0",  # the served sandbox's default adds latency per record sent; these benchmarks want none
        "--rate-limit",
        str(rate_limit),
        "--quirks",
        quirks,  # the live API's deviations (the served default, stated so that it cannot change unseen)
    ]
    env = {**os.environ, "STNB_LEDGER": "off"}
    process = subprocess.Popen(command, stdout=subprocess.PIPE, text=True, env=env)
    try:
        assert process.stdout is not None
        url = None
        for line in process.stdout:
            found = _URL.search(line)
            if found:
                url = found.group(1)
                break
        if url is None:
            raise RuntimeError(f"the sandbox server did not start (exit code {process.poll()})")
        yield Served(url, seed, process)
    finally:
        process.terminate()
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(10)


def warm(served: Served, resource_path: str, params: dict[str, str] | None = None) -> None:
    """One request that makes the server build its world (minutes at large scales) before timing starts."""
    creds = served.remote().credentials["integration"]
    with httpx2.Client(base_url=served.url, timeout=600.0) as http:
        token = http.post(
            "/connect/token",
            data={
                "grant_type": "client_credentials",
                "client_id": creds.client_id,
                "client_secret": creds.client_secret,
            },
        ).json()["access_token"]
        headers = {"Authorization": f"Bearer {token}", "ST-App-Key": creds.app_key}
        path = resource_path.replace("{tenant}", str(creds.tenant_id))
        http.get(path, params={"pageSize": "1", **(params or {})}, headers=headers).raise_for_status()


def best_interleaved(runs: int, *works: Callable[[], object]) -> list[float]:
    """Best wall time of each, alternating runs so that a change in machine load hits all alike."""
    best = [math.inf] * len(works)
    for _ in range(runs):
        for index, work in enumerate(works):
            started = time.perf_counter()
            work()
            best[index] = min(best[index], time.perf_counter() - started)
    return best

"""`stnb dashboard usage` start-up: how long until it prints the page's address, first start and later ones.

The command prints the address once Voila's preheated kernel has drawn the dashboard (the browser test,
tests/browser/test_dashboard_browser.py, measures the first chart from that moment: target 5 s). What
the user waits before it is measured here, as whole processes:
- `first start`: an empty demo cache (the demo usage is built, then cached);
- `cached start`: the same with the cache the first start left.
Also in-process: the demo frames read from the cache vs built (`stnb.widgets.demo_cache.demo_frames`).
Runs are interleaved, best of `--runs`, so machine load hits all alike.

Targets: a cached start <= 0.9x a first start; cached frames <= 0.1x building them.
Run: `.venv/bin/python benchmarks/dashboard.py [--runs 2]`.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
TARGET_START, TARGET_FRAMES = 0.9, 0.1
READY_TIMEOUT_S = 180.0


def ready_seconds(notebooks: Path, cache: Path, scratch: Path) -> float:
    """Seconds from starting `stnb dashboard usage --no-browser` to the line with the page's address."""
    sys.path.insert(0, str(REPO))
    from stnb.cli.lab import free_port

    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("STNB_", "SERVICETITAN_", "JUPYTER"))}
    env.update(
        STNB_CACHE_DIR=str(cache),
        STNB_LEDGER=str(scratch / "ledger.sqlite3"),
        STNB_PROFILES=str(scratch / "no-profiles.toml"),
    )
    command = [sys.executable, "-m", "stnb.cli.main", "dashboard", "usage", "--no-browser"]
    command += ["--port", str(port), "--notebooks", str(notebooks)]
    started = time.perf_counter()
    process = subprocess.Popen(
        command, env=env, cwd=notebooks, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True
    )
    assert process.stdout is not None
    try:
        for line in process.stdout:
            if f"127.0.0.1:{port}" in line:
                return time.perf_counter() - started
            if time.perf_counter() - started > READY_TIMEOUT_S:
                break
        raise SystemExit(f"no address from `stnb dashboard usage` within {READY_TIMEOUT_S:.0f} s")
    finally:
        process.terminate()
        process.wait(timeout=30)


def frames_seconds(scratch: Path) -> tuple[float, float]:
    """(build, cached): seconds for `demo_frames` on an empty cache and on the cache it left."""
    from stnb.widgets.demo_cache import demo_frames

    cache = scratch / "frames-cache"
    shutil.rmtree(cache, ignore_errors=True)
    shutil.rmtree(scratch / "demo", ignore_errors=True)
    started = time.perf_counter()
    built = demo_frames(scratch / "demo", cache=cache)
    build = time.perf_counter() - started
    started = time.perf_counter()
    again = demo_frames(scratch / "elsewhere", cache=cache)
    cached = time.perf_counter() - started
    assert not built.cached and again.cached and again.ledger.height == built.ledger.height
    return build, cached


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=2)
    runs = parser.parse_args().runs
    best = {"first start": float("inf"), "cached start": float("inf")}
    build, cached = float("inf"), float("inf")
    with tempfile.TemporaryDirectory(prefix="stnb-bench-dashboard-") as tmp:
        scratch = Path(tmp)
        notebooks = scratch / "notebooks"
        shutil.copytree(
            REPO / "notebooks", notebooks, ignore=shutil.ignore_patterns("output", ".ipynb_checkpoints")
        )
        for run in range(runs):
            cache = scratch / f"cache-{run}"
            shutil.rmtree(notebooks / "output", ignore_errors=True)
            best["first start"] = min(best["first start"], ready_seconds(notebooks, cache, scratch))
            best["cached start"] = min(best["cached start"], ready_seconds(notebooks, cache, scratch))
            b, c = frames_seconds(scratch)
            build, cached = min(build, b), min(cached, c)
    load = os.getloadavg()[0]
    print(f"== stnb dashboard usage: seconds to the page's address, best of {runs} (load average {load:.1f})")
    for name, seconds in best.items():
        print(f"{name:<14} {seconds:5.1f} s")
    print(f"demo frames: built {build:.2f} s, from the cache {cached:.3f} s")
    start_ratio = best["cached start"] / best["first start"]
    frames_ratio = cached / build
    ok = True
    for what, ratio, target in (
        ("cached start / first start", start_ratio, TARGET_START),
        ("cached frames / built frames", frames_ratio, TARGET_FRAMES),
    ):
        met = ratio <= target
        ok &= met
        print(f"{what} = {ratio:.2f}x (target <= {target}x) -> {'met' if met else 'MISSED'}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())

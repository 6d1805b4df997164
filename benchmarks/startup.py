"""Start-up: whole processes, measured interleaved (best of `--runs`) so machine load hits all alike.

Targets: `stnb --help` and `stnb resources` each <= 1.5x `python -c "import httpx2"`; `import stnb` <= 1.1x
`import polars`. Also printed (no target): `from stnb import Connection`, which loads polars and httpx2,
against importing those two directly: what the first real use pays.

Run: `.venv/bin/python benchmarks/startup.py [--runs 7]`.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path

BIN = Path(sys.executable).parent
STNB = str(BIN / "stnb")
PY = sys.executable
COMMANDS = {
    "import httpx2": [PY, "-c", "import httpx2"],
    "stnb --help": [STNB, "--help"],
    "stnb resources": [STNB, "resources"],
    "import polars": [PY, "-c", "import polars"],
    "import stnb": [PY, "-c", "import stnb"],
    "import polars, httpx2": [PY, "-c", "import polars, httpx2"],
    "from stnb import Connection": [PY, "-c", "from stnb import Connection"],
}
TARGETS = (
    ("stnb --help", "import httpx2", 1.5),
    ("stnb resources", "import httpx2", 1.5),
    ("import stnb", "import polars", 1.1),
)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7)
    runs = parser.parse_args().runs
    env = {**os.environ, "STNB_LEDGER": "off"}
    best = dict.fromkeys(COMMANDS, float("inf"))
    for _ in range(runs):
        for name, command in COMMANDS.items():
            started = time.perf_counter()
            subprocess.run(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
            best[name] = min(best[name], time.perf_counter() - started)
    print(f"== start-up: whole processes, best of {runs} interleaved runs")
    for name, seconds in best.items():
        print(f"{name:<28} {1000 * seconds:6.0f} ms")
    ok = True
    for name, baseline, target in TARGETS:
        ratio = best[name] / best[baseline]
        met = ratio <= target
        ok &= met
        print(f"{name} / {baseline} = {ratio:.2f}x (target <= {target}x) -> {'met' if met else 'MISSED'}")
    first_use = best["from stnb import Connection"] / best["import polars, httpx2"]
    print(
        f"from stnb import Connection / import polars, httpx2 = {first_use:.2f}x (first real use; no target)"
    )
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())

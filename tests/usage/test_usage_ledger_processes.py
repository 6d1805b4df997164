"""Several processes share one ledger file; a killed process loses nothing it had flushed."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
from pathlib import Path

import polars as pl
import pytest

from stnb.usage.ledger import read_ledger

WORKER = Path(__file__).with_name("ledger_worker.py")


def _worker(db: Path, tag: str, count: int, mode: str) -> subprocess.Popen[str]:
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2])}
    return subprocess.Popen(
        [sys.executable, str(WORKER), str(db), tag, str(count), mode],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )


def test_four_processes_times_5000_calls(tmp_path: Path) -> None:
    db = tmp_path / "usage.sqlite3"
    procs = [_worker(db, f"p{n}", 5000, "close") for n in range(4)]
    for p in procs:
        _, err = p.communicate(timeout=120)
        assert p.returncode == 0, err
        assert "Error" not in err and "locked" not in err, err
    df = read_ledger(db)
    assert df.height == 20_000
    assert df["id"].n_unique() == 20_000
    per_process = df.group_by("tenant").agg(n=pl.len(), distinct=pl.col("bytes").n_unique()).sort("tenant")
    assert per_process["tenant"].to_list() == ["p0", "p1", "p2", "p3"]
    assert per_process["n"].to_list() == [5000] * 4
    assert per_process["distinct"].to_list() == [5000] * 4  # every call present, none duplicated


@pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="needs POSIX signals")
def test_killed_process_keeps_what_it_flushed(tmp_path: Path) -> None:
    db = tmp_path / "usage.sqlite3"
    proc = _worker(db, "k", 3000, "kill")
    assert proc.stdout is not None
    assert proc.stdout.readline().strip() == "FLUSHED"
    assert proc.stdout.readline().strip() == "MORE"
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(timeout=30)
    proc.stdout.close()
    assert proc.stderr is not None
    proc.stderr.close()
    assert proc.returncode == -signal.SIGKILL

    conn = sqlite3.connect(db)
    try:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    finally:
        conn.close()
    df = read_ledger(db)
    flushed = df.filter(df["tenant"] == "k")["bytes"].sort().to_list()
    more = df.filter(df["tenant"] == "k-more")["bytes"].sort().to_list()
    assert flushed == list(range(3000))
    assert more == list(range(3000, 4000))
    assert df["id"].n_unique() == df.height

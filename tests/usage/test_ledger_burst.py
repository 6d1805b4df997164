"""Issue 14, item 7: the ledger under a burst of ~100k recorded attempts per second.

The queue stays bounded (the oldest attempts are dropped and counted), commits keep coming within a
second, every attempt is either written or counted as dropped, and `stnb usage ledger` reports the drops.
"""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest

from stnb._attempts import Attempt
from stnb.cli.main import main
from stnb.usage.ledger import BATCH_ROWS, UsageLedger, dropped_attempts, read_ledger

THREADS = 4
PER_THREAD = 60_000
MAX_QUEUE = 20_000


def attempt() -> Attempt:
    return Attempt(
        datetime.now(UTC),
        "integration",
        "app-burst",
        "Burst",
        "1",
        "GET",
        "jpm",
        "/jpm/v2/x",
        200,
        1.0,
        10,
        1,
        0.0,
        None,
    )


def test_a_burst_keeps_the_queue_bounded_commits_quickly_and_counts_drops(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "burst.sqlite3"
    ledger = UsageLedger(path, max_queue=MAX_QUEUE, retention_days=None)
    one = attempt()
    go = threading.Event()
    peak = [0]

    def burst() -> None:
        go.wait()
        for n in range(PER_THREAD):
            ledger(one)
            if n % 1000 == 0:
                peak[0] = max(peak[0], ledger.queued)

    threads = [threading.Thread(target=burst) for _ in range(THREADS)]
    for t in threads:
        t.start()
    started = time.monotonic()
    go.set()
    assert ledger.wait_written(1, timeout=1.0)  # the first commit within a second, under full load
    first_commit = time.monotonic() - started
    for t in threads:
        t.join(timeout=60)
    recorded = THREADS * PER_THREAD
    assert ledger.flush(timeout=60)
    ledger.close()
    assert peak[0] <= MAX_QUEUE  # bounded: never more than max_queue attempts held in memory
    assert ledger.written + ledger.overflowed == recorded  # nothing unaccounted for
    assert ledger.written >= BATCH_ROWS
    assert len(read_ledger(path)) == ledger.written
    assert dropped_attempts(path) == ledger.overflowed
    print(
        f"burst: {recorded:,} recorded, {ledger.written:,} written, {ledger.overflowed:,} dropped, "
        f"first commit after {first_commit * 1000:.0f} ms"
    )
    capsys.readouterr()
    if ledger.overflowed:
        assert main(["usage", "ledger", "--path", str(path)]) == 0
        out = capsys.readouterr().out
        assert f"dropped {ledger.overflowed:,} attempts" in out


def test_a_full_queue_drops_the_oldest_and_counts_them(tmp_path: Path) -> None:
    path = tmp_path / "small.sqlite3"
    ledger = UsageLedger(path, max_queue=3, retention_days=None, flush_interval=30.0)
    stamps = [datetime(2026, 1, 1, 0, 0, n, tzinfo=UTC) for n in range(10)]
    base = attempt()
    for at in stamps:  # the writer gathers for 30 s (flush_interval): the queue fills up meanwhile
        ledger(Attempt(at, *[getattr(base, f) for f in Attempt.__dataclass_fields__ if f != "at"]))
    assert ledger.queued == 3 and ledger.overflowed == 7
    assert ledger.flush(timeout=10)
    ledger.close()
    frame = read_ledger(path)
    assert frame["at"].to_list() == stamps[-3:]  # the newest three were kept
    assert dropped_attempts(path) == 7
    assert dropped_attempts(path, since=datetime(2030, 1, 1, tzinfo=UTC)) == 0

"""A separate process writing into a ledger (run by test_usage_ledger_processes.py).

usage: ledger_worker.py DB TAG COUNT close|kill
close: record COUNT attempts and close. kill: record COUNT, flush, print FLUSHED, record 1000 more,
flush, print MORE, then keep recording until killed.
"""

from __future__ import annotations

import sys
from datetime import UTC, datetime, timedelta

from stnb._attempts import Attempt
from stnb.usage.ledger import UsageLedger

T0 = datetime(2026, 6, 1, tzinfo=UTC)


def one(tag: str, i: int) -> Attempt:
    return Attempt(
        at=T0 + timedelta(microseconds=i),
        env="production",
        app="a1b2c3d4",
        app_name=None,
        tenant=tag,
        method="GET",
        module="jpm",
        endpoint="/jpm/v2/tenant/{tenant}/jobs",
        status=200,
        latency_ms=1.0,
        bytes=i,
        attempt=1,
        rate_wait_ms=0.0,
        error_type=None,
    )


def main() -> None:
    db, tag, count, mode = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
    led = UsageLedger(db, flush_interval=0.01)
    for i in range(count):
        led(one(tag, i))
    if mode == "close":
        led.close()
        return
    led.flush()
    print("FLUSHED", flush=True)
    for i in range(count, count + 1000):
        led(one(tag + "-more", i))
    led.flush()
    print("MORE", flush=True)
    i = count + 1000
    while True:  # the parent kills us while the writer thread commits
        led(one(tag + "-unflushed", i))
        i += 1


if __name__ == "__main__":
    main()

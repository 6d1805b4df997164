"""One progress implementation (`stnb._progress`) on the injected clock: when a bar appears, and the
elapsed time, rate and ETA it shows, are measured on the caller's `Clock` (here a FakeClock that only
moves when told), never on the wall clock. tqdm writes to the captured stderr."""

from __future__ import annotations

from typing import Any

import pytest

from stnb._clock import FakeClock
from stnb._progress import BAR_DELAY, Progress, ProgressSink, open_progress


def renders(err: str) -> list[str]:
    """Every state the bar was drawn in (tqdm redraws a line after a carriage return)."""
    return [part.rstrip() for line in err.split("\n") for part in line.split("\r") if part.strip()]


class Sink:
    """A caller's sink (a widget in the real world) recording what it is told."""

    def __init__(self) -> None:
        self.total: Any = None
        self.done = 0
        self.descriptions: list[str] = []
        self.closed = False

    def update(self, n: int = 1) -> None:
        self.done += n

    def set_description(self, desc: str | None = None, refresh: bool = True) -> None:
        self.descriptions.append(desc or "")

    def close(self) -> None:
        self.closed = True


def test_rate_elapsed_and_eta_come_from_the_injected_clock(capsys: pytest.CaptureFixture[str]) -> None:
    clock = FakeClock()
    progress = Progress("work", unit="job", clock=clock)
    progress.set_total(10)
    for _ in range(4):
        clock.advance(2.0)  # two seconds per job on the clock, microseconds on the wall clock
        progress.update(1)
    shown = renders(capsys.readouterr().err)
    assert shown[-1].startswith("work:  40%")
    assert shown[-1].endswith("4/10 [00:08<00:12,  2.00s/job]")
    clock.advance(60.0)
    progress.update(1)
    # tqdm smooths the rate (an exponential moving average of the clock's intervals): a long step weighs in
    assert renders(capsys.readouterr().err)[-1].endswith("5/10 [01:08<01:54, 22.92s/job]")
    progress.close()


def test_a_delayed_bar_appears_once_due_on_the_clock_with_the_work_already_done(
    capsys: pytest.CaptureFixture[str],
) -> None:
    clock = FakeClock()
    progress = open_progress(None, "pull", unit="page", clock=clock)  # None: after BAR_DELAY seconds
    progress.set_total(20)
    for _ in range(5):
        progress.update(1, rows=50)
    assert capsys.readouterr().err == ""  # quick so far, however long it took on the wall clock
    clock.advance(BAR_DELAY)
    progress.update(1, rows=300)
    shown = renders(capsys.readouterr().err)
    assert shown[0].startswith("pull:  30%") and "6/20 [00:00<?" in shown[0]
    assert shown[-1].endswith("rows=300]")
    assert progress.shown
    progress.close()
    assert not progress.shown
    err = capsys.readouterr().err
    assert err.endswith("\r") and not err.strip("\r ")  # leave=False: the line is cleared


def test_a_kept_bar_stays_and_a_number_is_a_delay_in_seconds(capsys: pytest.CaptureFixture[str]) -> None:
    clock = FakeClock()
    progress = open_progress(5.0, "report", unit="row", clock=clock, leave=True)
    progress.update(10)
    clock.advance(4.9)
    progress.update(10)
    assert capsys.readouterr().err == ""
    clock.advance(0.1)
    progress.update(10)
    progress.close()
    assert renders(capsys.readouterr().err)[-1].startswith("report: 30row [00:00,")


def test_true_draws_at_once_when_eager_and_false_never(capsys: pytest.CaptureFixture[str]) -> None:
    clock = FakeClock()
    eager = open_progress(True, "backfill", unit="window", clock=clock, eager=True)
    assert eager.shown and "backfill: 0window" in capsys.readouterr().err
    eager.close()
    off = open_progress(False, "quiet", clock=clock)
    off.set_total(3)
    off.waiting(30)  # a wait draws a bar at once, unless progress is off
    clock.advance(1000)
    off.update(3)
    off.close()
    assert not off.shown and off.done == 3
    assert capsys.readouterr().err.count("quiet") == 0


def test_a_wait_draws_the_bar_at_once_and_says_why(capsys: pytest.CaptureFixture[str]) -> None:
    clock = FakeClock()
    progress = open_progress(None, "report 175 Revenue", unit="row", clock=clock)
    progress.waiting(42.4)
    assert "waiting 42 s for the report limit" in renders(capsys.readouterr().err)[-1]
    progress.waiting(0)
    assert renders(capsys.readouterr().err)[-1].startswith("report 175 Revenue:")
    progress.close()


def test_a_callers_sink_gets_everything_and_stays_open_for_its_owner() -> None:
    sink = Sink()
    assert isinstance(sink, ProgressSink)
    clock = FakeClock()
    progress = open_progress(sink, "report 166 AR aging", clock=clock)
    assert progress.shown
    progress.set_total(300)
    progress.update(150)
    progress.update(0)
    progress.waiting(60)
    progress.status("report running on the server (poll 1)")
    progress.status(None)
    progress.update(150)
    progress.close()
    assert (sink.total, sink.done, sink.closed) == (300, 300, False)
    assert sink.descriptions == [
        "report 166 AR aging",
        "report 166 AR aging",  # the total redraws the description
        "waiting 60 s for the report limit",
        "report running on the server (poll 1)",
        "report 166 AR aging",
    ]


def test_elapsed_is_measured_on_the_clock() -> None:
    clock = FakeClock()
    progress = Progress("work", clock=clock, delay=None)
    clock.advance(12.5)
    assert progress.elapsed == 12.5 and not progress.shown

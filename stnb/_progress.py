"""Progress of long work (page walks, exports, report runs, backfills, the check), on the injected clock.

One implementation for every bar stnb draws. `Progress` counts the work done, takes the total when it
becomes known, shows a status text (a wait for the report limit) and either draws a `tqdm.auto` bar (a
widget in Jupyter, a line on stderr elsewhere) or reports to a caller's `ProgressSink` (a widget).

- `open_progress(setting, description, clock=...)` reads the `progress=` options users pass: True shows
  the bar from the first progress on, False never, a number of seconds once the work has run that long
  (None: `BAR_DELAY`), a `ProgressSink` receives everything at once and stays open for its owner.
- The delay, and the bar's elapsed time, rate and ETA, are measured on the caller's `Clock` (a
  `FakeClock` in tests), never on the wall clock.
- A bar opened late starts with the work already done and the total if known, and a bar that is not
  kept (`leave=False`) is removed when the work ends, so quick work leaves no trace in terminals or
  notebook outputs.

tqdm is imported when a bar is first drawn: it loads ipywidgets in notebooks.
"""

from __future__ import annotations

from typing import Any, Protocol, runtime_checkable

from stnb._clock import SYSTEM_CLOCK, Clock

__all__ = ["BAR_DELAY", "Progress", "ProgressSink", "open_progress"]

BAR_DELAY = 2.0  # progress=None: a bar appears only for work that takes longer than this (seconds)


@runtime_checkable
class ProgressSink(Protocol):
    """What progress is reported to: tqdm bars satisfy it, and so can a widget adapter."""

    total: Any

    def update(self, n: int = 1) -> Any: ...
    def set_description(self, desc: str | None = None, refresh: bool = True) -> None: ...
    def close(self) -> None: ...


class Progress:
    """One piece of work's progress: counts, a total once known, a status; shown once due.

    `delay`: seconds of work (on `clock`) before a bar appears; None never draws one. `sink`: report to
    this instead of drawing a bar (used at once, never closed here). `leave`: keep the finished bar.
    """

    def __init__(
        self,
        description: str,
        *,
        unit: str = "it",
        clock: Clock = SYSTEM_CLOCK,
        delay: float | None = 0.0,
        leave: bool = False,
        sink: ProgressSink | None = None,
    ) -> None:
        self.description = description
        self._unit = unit
        self._clock = clock
        self._delay = delay
        self._leave = leave
        self._started = clock.monotonic()
        self._out: ProgressSink | None = sink  # where progress goes: the caller's sink, or our bar
        self._bar: Any = None  # the tqdm bar this object drew (closed here)
        self._total: int | None = None
        self._done = 0
        self._text = description
        self._rows: int | None = None
        self._note: str | None = None
        if sink is not None:
            sink.set_description(description)

    @property
    def done(self) -> int:
        """Work counted so far."""
        return self._done

    @property
    def elapsed(self) -> float:
        """Seconds since the work started, on the clock."""
        return self._clock.monotonic() - self._started

    @property
    def shown(self) -> bool:
        """True while a bar (or the caller's sink) shows this work."""
        return self._out is not None

    def show(self) -> None:
        """Draw the bar now, whatever the delay (unless progress is off)."""
        if self._out is None and self._delay is not None:
            self._open()

    def set_total(self, total: int | None) -> None:
        """The expected amount of work, once known (None: still unknown)."""
        if total is None:
            return
        self._total = total
        if self._out is None:
            self._open_when_due()
            return
        self._out.total = total
        self._out.set_description(self._text)  # also redraws the bar with its total

    def update(self, n: int = 1, *, rows: int | None = None) -> None:
        """Count `n` more done; `rows` (records so far) shows next to the count."""
        self._done += n
        if rows is not None:
            self._rows = rows
        if self._out is None:
            self._open_when_due()
            return
        if self._bar is not None:
            if rows is not None:
                self._bar.set_postfix(rows=rows, refresh=False)
            self._bar.update(n)
        elif n:
            self._out.update(n)

    def note(self, text: str) -> None:
        """A short detail shown after the count (the item being worked on)."""
        self._note = text
        if self._bar is not None:
            self._bar.set_postfix_str(text)

    def status(self, text: str | None) -> None:
        """Show a temporary status instead of the description (None restores the description)."""
        self._text = text or self.description
        if self._out is not None:
            self._out.set_description(self._text)

    def waiting(self, seconds: float) -> None:
        """Show the remaining wait for the report limit (drawing the bar at once); 0 clears it."""
        if seconds > 0:
            self.show()
        self.status(f"waiting {seconds:.0f} s for the report limit" if seconds > 0 else None)

    def close(self) -> None:
        """Close the bar this object drew (a caller's sink stays open for its owner)."""
        if self._bar is not None:
            self._bar.close()
            self._bar = self._out = None
        self._delay = None  # finished work draws nothing more

    def _open_when_due(self) -> None:
        if self._delay is not None and self.elapsed >= self._delay:
            self._open()

    def _open(self) -> None:
        bar = _bar_class()(
            desc=self._text,
            unit=self._unit,
            total=self._total,
            initial=self._done,
            leave=self._leave,
            miniters=1,  # fixed, so tqdm's monitor thread never compares its wall time with the clock
            clock=self._clock,
        )
        if self._rows is not None:
            bar.set_postfix(rows=self._rows)
        elif self._note is not None:
            bar.set_postfix_str(self._note)
        self._bar = self._out = bar


def open_progress(
    setting: bool | float | ProgressSink | None,
    description: str,
    *,
    unit: str = "it",
    clock: Clock = SYSTEM_CLOCK,
    leave: bool = False,
    eager: bool = False,
    total: int | None = None,
) -> Progress:
    """The `Progress` a `progress=` option asks for (see the module's description).

    `eager`: with True, draw the bar at once rather than at the first progress. `total`: the amount of
    work, when known from the start."""
    if isinstance(setting, ProgressSink) and not isinstance(setting, bool | int | float):
        progress = Progress(description, unit=unit, clock=clock, sink=setting)
    elif setting is False:
        progress = Progress(description, unit=unit, clock=clock, delay=None)
    else:
        delay = BAR_DELAY if setting is None else 0.0 if setting is True else float(setting)
        progress = Progress(description, unit=unit, clock=clock, delay=delay, leave=leave)
    progress.set_total(total)
    if eager and setting is True:
        progress.show()
    return progress


_BAR_CLASS: type[Any] | None = None


def _bar_class() -> type[Any]:
    """tqdm.auto's bar class, measuring elapsed time, rate and ETA on the injected clock."""
    global _BAR_CLASS
    if _BAR_CLASS is None:
        from tqdm.auto import tqdm

        class ClockedBar(tqdm):  # type: ignore[misc]
            # tqdm reads its timer from the instance attribute `_time` (which its __init__ sets to
            # time.time, and its own tests replace); here it is the clock the work runs on.
            def __init__(self, *args: Any, clock: Clock, **kwargs: Any) -> None:
                self._stnb_clock = clock
                super().__init__(*args, **kwargs)

            @property
            def _time(self) -> Any:
                return self._stnb_clock.monotonic

            @_time.setter
            def _time(self, value: Any) -> None:
                del value  # tqdm's own timer is not used

        _BAR_CLASS = ClockedBar
    return _BAR_CLASS

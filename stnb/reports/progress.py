"""Progress for report runs: a tqdm.auto bar, a caller's own sink (a widget), or nothing.

Waits for the report limit show as the bar's description ("waiting 42 s for the report limit"), so a
run that sits idle for a minute explains itself. With `progress=None` the bar appears only when a run
starts waiting or has taken more than `BAR_DELAY` seconds; quick runs stay quiet.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any, Protocol, runtime_checkable

__all__ = ["BAR_DELAY", "ProgressSink", "RunProgress", "open_progress"]

BAR_DELAY = 2.0


@runtime_checkable
class ProgressSink(Protocol):
    """What a run reports to: tqdm bars satisfy it, and so can a widget adapter."""

    total: Any

    def update(self, n: int = 1) -> Any: ...
    def set_description(self, desc: str | None = None, refresh: bool = True) -> None: ...
    def close(self) -> None: ...


class RunProgress:
    """One run's view of its progress: counts rows and shows statuses, creating a bar when due."""

    def __init__(
        self,
        description: str,
        *,
        sink: ProgressSink | None = None,
        make: Callable[[str, int | None, int], ProgressSink] | None = None,
        eager: bool = False,
    ) -> None:
        self.description = description
        self._sink = sink
        self._make = make
        self._owned = sink is None
        self._started = time.monotonic()
        self._total: int | None = None
        self._rows = 0
        self._text = description
        if eager:
            self._open()

    def total(self, rows: int | None) -> None:
        """Set the expected number of rows (or windows) when it becomes known."""
        if rows is None:
            return
        self._total = rows
        if self._sink is not None:
            self._sink.total = rows
            self._sink.set_description(self._text)

    def advance(self, rows: int) -> None:
        """Count rows (or windows) done."""
        self._rows += rows
        if self._sink is None and time.monotonic() - self._started >= BAR_DELAY:
            self._open()
        elif self._sink is not None and rows:
            self._sink.update(rows)

    def status(self, text: str | None) -> None:
        """Show a temporary status (None restores the run's description)."""
        self._text = text or self.description
        if self._sink is not None:
            self._sink.set_description(self._text)

    def waiting(self, seconds: float) -> None:
        """Show the remaining wait for the report limit (opening the bar); 0 clears it."""
        if seconds > 0 and self._sink is None:
            self._open()
        self.status(f"waiting {seconds:.0f} s for the report limit" if seconds > 0 else None)

    def close(self) -> None:
        """Close the bar if this run opened it."""
        if self._sink is not None and self._owned:
            self._sink.close()

    def _open(self) -> None:
        if self._sink is None and self._make is not None:
            self._sink = self._make(self._text, self._total, self._rows)


def open_progress(
    progress: bool | ProgressSink | None, description: str, *, unit: str = "row"
) -> RunProgress:
    """True shows a bar now, None when the run turns out slow, False never; a `ProgressSink` is used
    as given (and left open for its owner)."""
    if isinstance(progress, ProgressSink) and not isinstance(progress, bool):
        progress.set_description(description)
        return RunProgress(description, sink=progress)
    if progress is False:
        return RunProgress(description)

    def make(text: str, total: int | None, done: int) -> ProgressSink:
        from tqdm.auto import tqdm  # imported on first use: it loads ipywidgets in notebooks

        bar: ProgressSink = tqdm(total=total, initial=done, desc=text, unit=unit, leave=True)
        return bar

    return RunProgress(description, make=make, eager=progress is True)

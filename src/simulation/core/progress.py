"""Progress for people watching: a bar over the days of a run, one line over the jobs of a sweep."""

from __future__ import annotations

import math
import sys
import time
from collections.abc import Callable
from typing import Any

from tqdm import tqdm


def progress_bar(total: int, enabled: bool | None = None, desc: str = "") -> tqdm:
    """A tqdm bar over ``total`` steps (the model calls ``update(1)`` per simulated day).

    Args:
        total: number of steps.
        enabled: True shows the bar, False hides it, None shows it only when stderr is a terminal.
        desc: the label before the bar.

    Returns:
        A tqdm object; when disabled, ``update`` and ``close`` do nothing. Use it as a context manager or call
        ``close()`` at the end.
    """
    if enabled is None:
        try:
            enabled = sys.stderr.isatty()
        except (AttributeError, ValueError):  # replaced or closed stream
            enabled = False
    return tqdm(
        total=total,
        desc=desc,
        disable=not enabled,
        file=sys.stderr,
        unit="day",
        leave=False,
        dynamic_ncols=True,
    )


def duration_text(seconds: float) -> str:
    """A duration for a person: ``45 s``, ``3 min 20 s``, ``1 h 05 min``.

    Args:
        seconds: the duration (negative counts as 0).
    """
    s = max(0, round(seconds))
    if s < 60:
        return f"{s} s"
    if s < 3600:
        return f"{s // 60} min {s % 60:02d} s"
    return f"{s // 3600} h {(s % 3600) // 60:02d} min"


def jobs_line(done: int, total: int, left_s: float | None = None, elapsed_s: float | None = None) -> str:
    """``3 of 12 jobs done, ~1 min 20 s left`` (``12 of 12 jobs done in 4 min 02 s`` at the end).

    Args:
        done: jobs finished (including those found finished when the sweep started).
        total: jobs of the sweep.
        left_s: the estimated time left (None: not known yet).
        elapsed_s: the time since the start (shown once every job is done).
    """
    text = f"{done} of {total} jobs done"
    if done >= total:
        return text + (f" in {duration_text(elapsed_s)}" if elapsed_s is not None else "")
    return text + (f", ~{duration_text(left_s)} left" if left_s is not None else "")


class JobsProgress:
    """The progress of a sweep on one line: ``N of M jobs done, ~T left``.

    On a terminal the line is rewritten in place (carriage return); otherwise (a log file, a pipe) a new line is
    written when the count changes, at most one per ``min_interval`` seconds, and the last one always. The time
    left assumes the jobs still to run take as long as those finished since the start (the observed rate, which
    includes the launcher's parallelism); jobs already finished at the start (a resumed sweep) do not count in it.

    Args:
        total: jobs of the sweep.
        done: jobs already finished at the start.
        stream: where to write (default: stderr, like the progress bar of a run).
        live: rewrite the line in place; None: when the stream is a terminal.
        min_interval: seconds between two lines when not live.
        clock: the time source (a test passes a fake one).
    """

    def __init__(
        self,
        total: int,
        done: int = 0,
        stream: Any = None,
        live: bool | None = None,
        min_interval: float = 10.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.total, self.done, self.start_done = int(total), int(done), int(done)
        self.stream = stream if stream is not None else sys.stderr
        if live is None:
            try:
                live = bool(self.stream.isatty())
            except (AttributeError, ValueError):
                live = False
        self.live, self.min_interval, self.clock = live, min_interval, clock
        self.start = clock()
        self._last_written = -math.inf
        self._shown = ""
        self.closed = False
        if self.live:
            self._write(self.text())

    def left_s(self) -> float | None:
        """The estimated seconds left, None before two jobs of this sweep finished.

        One job is not enough: with parallel workers the first ones finish together, and the first alone would
        make the rate look one worker's (the first estimate of a 2-worker sweep was 5 times too long).
        """
        ran = self.done - self.start_done
        if ran <= 0 or ran < min(2, self.total - self.start_done):
            return None
        rate = ran / max(self.clock() - self.start, 1e-9)
        return (self.total - self.done) / rate

    def text(self) -> str:
        """The current line."""
        return jobs_line(self.done, self.total, self.left_s(), self.clock() - self.start)

    def update(self, done: int) -> None:
        """Set the number of finished jobs and show the line (in place, or a new line when due)."""
        if self.closed:
            return
        changed = int(done) != self.done
        self.done = int(done)
        if self.live:
            text = self.text()  # the time left moves even when the count does not
            if text != self._shown:
                self._write(text)
        elif changed and (self.done >= self.total or self.clock() - self._last_written >= self.min_interval):
            self._write(self.text())

    def close(self) -> None:
        """Show the last count and end the line (idempotent)."""
        if self.closed:
            return
        text = self.text()
        if self.live:
            self._write(text)
            self.stream.write("\n")
        elif text != self._shown and self.done > self.start_done:
            self._write(text)
        self.stream.flush()
        self.closed = True

    def _write(self, text: str) -> None:
        if self.live:
            self.stream.write("\r" + text + "\x1b[K")  # \x1b[K: clear what a longer line left
        else:
            self.stream.write(text + "\n")
        self.stream.flush()
        self._shown, self._last_written = text, self.clock()

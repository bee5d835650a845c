"""Runs started from the page, each in its own process, with the days simulated as progress.

A run holds the GIL for most of its time (the day loop is Python driving numpy), so a thread would make the
page sluggish; a separate process keeps the server responsive and can be cancelled. The process calls
:func:`simulation.model.run` itself -- the function the ``lieux`` command calls -- with a model observer
(:class:`~simulation.sim.model.Observer`) that counts the days simulated in shared memory.

This module imports no Solara: the worker process starts quickly and tests use it without a browser.
"""

from __future__ import annotations

import multiprocessing
import time
import traceback
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from typing import Any

from simulation.config import SimConfig
from simulation.core.errors import UserError
from simulation.observe.outputs import RunResult
from simulation.sim.model import Observer

RUNNING, DONE, FAILED, CANCELLED = "running", "done", "failed", "cancelled"
# spawn, not fork: the server is multi-threaded (uvicorn, Solara's kernels), and forking a threaded process
# can deadlock the child; spawn costs about a second of imports per run.
_CONTEXT = multiprocessing.get_context("spawn")


class _DayCounter(Observer):
    """A model observer that counts the days simulated in a shared integer (the page's progress)."""

    def __init__(self, days: Any) -> None:
        self._days = days

    def on_day(self, model: Any) -> None:
        """One more day simulated."""
        with self._days.get_lock():
            self._days.value += 1


def _worker(cfg: SimConfig, days: Any, conn: Connection) -> None:
    """Body of the run process: one simulation.model.run, its result (or one-line error) sent back."""
    from simulation.cli import quiet_mesa
    from simulation.model import run

    quiet_mesa()
    try:
        result = run(cfg, progress=False, observers=[_DayCounter(days)])
        conn.send((DONE, result))
    except UserError as exc:
        conn.send((FAILED, " ".join(str(exc).split())))
    except Exception as exc:  # a bug: the page says so in one line, the traceback goes to the server's log
        traceback.print_exc()
        conn.send((FAILED, f"the run failed: {type(exc).__name__}: {exc}"))
    finally:
        conn.close()


@dataclass
class RunJob:
    """One run in a background process.

    Create it with :meth:`start`; call :meth:`poll` (cheap, never blocks) to follow it.

    Attributes:
        cfg: the configuration being run.
        total_days: days to simulate (warm-up included).
        state: ``running``, ``done``, ``failed`` or ``cancelled``.
        result: the run's outputs once ``done``.
        error: the one-line message once ``failed``.
        started: ``time.monotonic()`` at the start.
        elapsed_s: seconds from the start to the end (or to now while running).
    """

    cfg: SimConfig
    total_days: int
    state: str = RUNNING
    result: RunResult | None = None
    error: str | None = None
    started: float = field(default_factory=time.monotonic)
    ended: float | None = None
    _process: Any = None
    _conn: Connection | None = None
    _days: Any = None

    @classmethod
    def start(cls, cfg: SimConfig) -> RunJob:
        """Start :func:`simulation.model.run` on ``cfg`` in a new process and return at once."""
        days = _CONTEXT.Value("i", 0)
        receiver, sender = _CONTEXT.Pipe(duplex=False)
        process = _CONTEXT.Process(target=_worker, args=(cfg, days, sender), daemon=True, name="lieux-run")
        process.start()
        sender.close()  # the child holds its end; EOF on ours then means the child is gone
        return cls(
            cfg=cfg,
            total_days=7 * (cfg.warmup_weeks + cfg.weeks),
            _process=process,
            _conn=receiver,
            _days=days,
        )

    @property
    def days_done(self) -> int:
        """Days simulated so far, as the run's observer counted them."""
        return int(self._days.value) if self._days is not None else 0

    @property
    def fraction(self) -> float | None:
        """Share of the days simulated, or None while unknown (nothing reported yet)."""
        done = self.days_done
        return done / self.total_days if done and self.total_days else None

    @property
    def elapsed_s(self) -> float:
        """Seconds from the start to the end (or to now while running)."""
        return (self.ended if self.ended is not None else time.monotonic()) - self.started

    def _finish(self, state: str, result: RunResult | None = None, error: str | None = None) -> None:
        self.state, self.result, self.error = state, result, error
        self.ended = time.monotonic()
        if self._conn is not None:
            self._conn.close()
            self._conn = None
        if self._process is not None:
            self._process.join(timeout=5)

    def poll(self) -> str:
        """Collect the result if the process has sent it; return the state. Never blocks."""
        if self.state != RUNNING or self._conn is None:
            return self.state
        if self._conn.poll():
            try:
                state, payload = self._conn.recv()
            except (EOFError, OSError):
                code = self._process.exitcode if self._process is not None else None
                self._finish(FAILED, error=f"the run process ended without a result (exit code {code})")
                return self.state
            if state == DONE:
                self._finish(DONE, result=payload)
            else:
                self._finish(FAILED, error=str(payload))
        elif self._process is not None and not self._process.is_alive():
            self._finish(
                FAILED, error=f"the run process ended without a result (exit code {self._process.exitcode})"
            )
        return self.state

    def wait(self, timeout_s: float = 600.0, interval_s: float = 0.05) -> str:
        """Poll until the run ends or ``timeout_s`` passes (for scripts and tests; the page polls instead)."""
        deadline = time.monotonic() + timeout_s
        while self.poll() == RUNNING and time.monotonic() < deadline:
            time.sleep(interval_s)
        return self.state

    def cancel(self) -> None:
        """Stop the run (its process is terminated); nothing of it is kept."""
        if self.state != RUNNING:
            return
        if self._process is not None and self._process.is_alive():
            self._process.terminate()
        self._finish(CANCELLED, error="cancelled")

"""Long work (a solve, a buffer comparison) in a background process, so the page stays live.

A ``Job`` starts a spawned process that runs one function of ``solver``; the function's
progress reports and its result come back through a queue, which a watcher thread drains into
the job's fields. The page only reads those fields (polling from a fragment). Cancelling
terminates the process and everything it started (its own process group), so a cancelled
solve stops using the cores at once.
"""

from __future__ import annotations

import atexit
import contextlib
import logging
import os
import signal
import threading
import time
import weakref
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from multiprocessing import get_context
from queue import Empty
from typing import Any, Literal

from models.problems import ScenarioError
from models.scenario import Scenario
from solver.portfolio import no_main_script
from solver.solve import PlanResult, SolveParams
from solver.sweep import SweepParams
from solver.whatif import Case, CompareParams, Comparison

log = logging.getLogger(__name__)

Status = Literal["running", "done", "failed", "cancelled"]
Work = Callable[[Callable[..., None]], Any]
"""A job's work: called with a ``report(*figures)`` callback, returns the result."""

_ALL_JOBS: weakref.WeakSet[Job] = weakref.WeakSet()


@dataclass
class Snapshot:
    """What a job has reported so far."""

    status: Status
    elapsed: float
    progress: tuple[Any, ...] | None
    error: str | None


def readable(error: BaseException) -> str:
    """An error as a planner reads it: the message, never a traceback."""
    from models.publish import PublishError  # only here: it loads the CalDAV client

    if isinstance(error, ScenarioError | PublishError | ValueError):
        return str(error)
    if isinstance(error, OSError):
        return f"{error.strerror or error} ({error.filename})" if error.filename else str(error)
    return f"unexpected {type(error).__name__}: {error}"


def _child(work: Work, messages: Any) -> None:
    """The process's body: own process group (so cancel reaches its helpers), run, report."""
    with contextlib.suppress(OSError, AttributeError):  # not on Windows
        os.setpgid(0, 0)

    def report(*figures: Any) -> None:
        messages.put(("progress", figures))

    try:
        messages.put(("done", work(report)))
    except Exception as error:  # the page shows the message; the log keeps the traceback
        log.exception("background job failed")
        messages.put(("failed", readable(error)))


class Job:
    """One background run of ``work``; ``status`` tells where it is."""

    def __init__(self, work: Work, **meta: Any) -> None:
        self.meta = meta
        """What the page wants to remember about the run (e.g. its time limit)."""
        context = get_context("spawn")  # fork would copy the server's threads and sockets
        self._messages = context.Queue()
        self._process = context.Process(target=_child, args=(work, self._messages))
        self.started = time.monotonic()
        self.ended: float | None = None
        self.status: Status = "running"
        self.progress: tuple[Any, ...] | None = None
        self.result: Any = None
        self.error: str | None = None
        self.collected = False
        """Set once the app took the result into its state."""
        self._lock = threading.Lock()
        with no_main_script():
            self._process.start()
        _ALL_JOBS.add(self)
        threading.Thread(target=self._watch, daemon=True).start()

    @property
    def running(self) -> bool:
        return self.status == "running"

    def snapshot(self) -> Snapshot:
        """Status, seconds since start (until the end), latest progress, error message."""
        with self._lock:
            end = self.ended if self.ended is not None else time.monotonic()
            return Snapshot(self.status, end - self.started, self.progress, self.error)

    def _watch(self) -> None:
        """Drain the queue until the result arrives or the process is gone."""
        while True:
            try:
                kind, payload = self._messages.get(timeout=0.2)
            except Empty:
                if not self._process.is_alive() and self._messages.empty():
                    self._finish("failed", error=self._died())
                    return
                continue
            except (EOFError, OSError):  # the queue closed under us: the job was cancelled
                self._finish("failed", error=self._died())
                return
            if kind == "progress":
                with self._lock:
                    self.progress = payload
                continue
            self._finish(kind, result=payload if kind == "done" else None,
                         error=payload if kind == "failed" else None)
            self._process.join(timeout=5)
            return

    def _died(self) -> str:
        code = self._process.exitcode
        return f"the planning process stopped unexpectedly (exit code {code})"

    def _finish(self, status: Status, *, result: Any = None, error: str | None = None) -> None:
        with self._lock:
            if self.status != "running":
                return  # cancelled first: that stays the outcome
            self.status, self.result, self.error = status, result, error
            self.ended = time.monotonic()

    def cancel(self) -> None:
        """Stop the work and everything it started; the job ends as ``cancelled``."""
        with self._lock:
            if self.status != "running":
                return
            self.status, self.ended = "cancelled", time.monotonic()
        pid = self._process.pid
        try:
            if pid is not None and os.getpgid(pid) == pid:
                os.killpg(pid, signal.SIGTERM)
            else:
                self._process.terminate()
        except (ProcessLookupError, PermissionError, AttributeError, OSError):
            self._process.terminate()
        self._process.join(timeout=5)


@atexit.register
def _cancel_all() -> None:
    """At server exit, stop running jobs (a comparison's process would otherwise be waited for)."""
    for job in list(_ALL_JOBS):
        job.cancel()


# -- the app's jobs --------------------------------------------------------------------------
def _solve(scenario: Scenario, params: SolveParams, report: Callable[..., None]) -> PlanResult:
    from solver.solve import solve

    return solve(scenario, params, progress=report)


def _compare(
    scenario: Scenario, params: SweepParams, report: Callable[..., None]
) -> list[dict[str, Any]]:
    from solver.sweep import compare_buffers

    return compare_buffers(scenario, params, progress=report)


def _whatif(
    base: Case, variants: list[Case], params: CompareParams, report: Callable[..., None]
) -> Comparison:
    from solver.whatif import compare_variants

    return compare_variants(base, variants, params, progress=report)


def solve_job(scenario: Scenario, time_limit: float) -> Job:
    """Plan ``scenario``; progress reports (elapsed s, objective, bound)."""
    return Job(partial(_solve, scenario, SolveParams(time_limit=time_limit)),
               time_limit=time_limit)


def buffers_job(scenario: Scenario, params: SweepParams, target: float) -> Job:
    """Compare buffer levels; progress reports (levels done, levels in all)."""
    return Job(partial(_compare, scenario, params), params=params, target=target,
               total=len(params.levels))


def whatif_job(base: Case, variants: list[Case], params: CompareParams) -> Job:
    """Plan and simulate the base and its variants; progress reports (plans done, in all)."""
    return Job(partial(_whatif, base, variants, params), params=params,
               total=1 + len(variants))

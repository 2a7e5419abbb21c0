"""Monte Carlo simulation of a plan: what the forecast incidents do to it, run by run.

Replication ``r`` draws its incidents from ``numpy.random.default_rng([seed, r])``
(``solver.sim_stream``), dispatches them against the plan (``solver.sim_dispatch``, on the
calendars of ``solver.sim_model``) and measures the figures below; replications may run in
several processes with identical results.

Per replication: share of each class answered in time (unanswered at the horizon end count as
missed), share that had to wait, mean and 95th percentile wait of answered incidents (minutes),
planned hours displaced (planned minutes done outside their planned interval), items with a
due date that finish late but were on time in the plan, overtime hours (minutes worked outside
scheduled time, incidents included), carried-over hours, interruptions, and utilisation
(incident plus planned minutes over available minutes). ``summary()`` gives each as mean with
a 95 % normal interval over replications, mean +/- 1.96 sd / sqrt(n).
"""

from __future__ import annotations

import itertools
import math
import os
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from functools import partial
from multiprocessing import get_context
from typing import Any

import numpy as np

from models.plan import Plan
from models.prepare import Prepared
from models.scenario_incidents import Incidents
from solver.sim_dispatch import replicate
from solver.sim_model import EPS, Model, build_model, item_finish
from solver.sim_stream import Distribution, Forecast, IncidentStream, build_forecast, draw

OVERTIME_CAP = 120
"""Minutes per technician and day that displaced planned work may run past scheduled time."""
Z95 = 1.959963984540054


@dataclass(frozen=True, eq=False)
class SimulationResult:
    """Per-replication figures of a simulated plan (one row per replication).

    Attributes
    ----------
    seed : int
        The seed; replication ``r`` drew from ``default_rng([seed, r])``.
    classes : tuple of str
        Incident class names, in the forecast's order (columns of the class arrays).
    incidents : ndarray, shape (runs, classes)
        Incidents that arrived.
    in_time_staffed : ndarray, shape (runs, classes)
        The same for incidents that arrive while at least one technician is present: what a
        buffer can change (night and weekend incidents wait for the morning whatever it is).
    in_time : ndarray, shape (runs, classes)
        Share answered within the response target (nan: no incident of the class).
    unanswered : ndarray
        Incidents still waiting at the horizon end.
    wait_probability : ndarray
        Share of incidents that found no free technician.
    mean_wait, p95_wait : ndarray
        Minutes from arrival to being taken, over answered incidents (nan: none answered).
    displaced_hours, overtime_hours, carried_over_hours : ndarray
        Planned hours done outside their planned interval; hours worked outside scheduled
        time; planned hours pushed past the horizon end.
    newly_late_items : ndarray
        Items that finish after their due date but did not in the plan.
    interruptions : ndarray
        Planned pieces interrupted by an incident.
    utilisation : ndarray
        Incident plus planned minutes over available minutes (nan: none available).
    """

    seed: int
    classes: tuple[str, ...]
    incidents: np.ndarray
    in_time: np.ndarray
    in_time_staffed: np.ndarray
    unanswered: np.ndarray
    wait_probability: np.ndarray
    mean_wait: np.ndarray
    p95_wait: np.ndarray
    displaced_hours: np.ndarray
    overtime_hours: np.ndarray
    carried_over_hours: np.ndarray
    newly_late_items: np.ndarray
    interruptions: np.ndarray
    utilisation: np.ndarray

    @property
    def runs(self) -> int:
        return len(self.unanswered)

    def summary(self) -> dict[str, Any]:
        """JSON-friendly aggregates: per figure mean, 95 % interval bounds and replications used.

        The interval is mean +/- 1.96 sd / sqrt(n) over the replications that have the
        figure (a class without incidents in a replication has no in-time share there);
        ``None`` where it is undefined.
        """
        figures = {
            name: _interval(getattr(self, name))
            for name in (
                "unanswered",
                "wait_probability",
                "mean_wait",
                "p95_wait",
                "displaced_hours",
                "overtime_hours",
                "carried_over_hours",
                "newly_late_items",
                "interruptions",
                "utilisation",
            )
        }
        return {
            "runs": self.runs,
            "seed": self.seed,
            "interval": "95 % normal: mean +/- 1.96 sd / sqrt(n) over replications",
            "incidents": {c: _interval(self.incidents[:, j]) for j, c in enumerate(self.classes)},
            "in_time": {c: _interval(self.in_time[:, j]) for j, c in enumerate(self.classes)},
            "in_time_staffed": {
                c: _interval(self.in_time_staffed[:, j]) for j, c in enumerate(self.classes)
            },
            **figures,
        }


def _interval(values: np.ndarray) -> dict[str, float | int | None]:
    data = np.asarray(values, dtype=float)
    data = data[~np.isnan(data)]
    n = len(data)
    if n == 0:
        return {"mean": None, "low": None, "high": None, "n": 0}
    mean = float(data.mean())
    if n == 1:
        return {"mean": mean, "low": None, "high": None, "n": 1}
    half = Z95 * float(data.std(ddof=1)) / math.sqrt(n)
    return {"mean": mean, "low": mean - half, "high": mean + half, "n": n}


def _measure(model: Model, stream: IncidentStream) -> tuple[Any, ...]:
    """One replication's figures, in the order of SimulationResult's arrays."""
    taken, run = replicate(model, stream)
    classes = len(model.targets)
    wait = taken - stream.arrival
    answered = ~np.isnan(wait)
    with np.errstate(invalid="ignore"):
        on_time = wait <= np.asarray(model.targets)[stream.priority] + EPS
    counts = np.bincount(stream.priority, minlength=classes).astype(float)
    hits = np.bincount(stream.priority, weights=on_time, minlength=classes)
    with np.errstate(invalid="ignore", divide="ignore"):
        in_time = np.where(counts > 0, hits / np.maximum(counts, 1), np.nan)
    starts, ends = model.staffed
    slot = np.searchsorted(starts, stream.arrival, side="right") - 1
    if len(starts):
        staffed = (slot >= 0) & (stream.arrival < ends[np.maximum(slot, 0)])
    else:
        staffed = np.zeros(len(stream.arrival), dtype=bool)
    counts_staffed = np.bincount(stream.priority[staffed], minlength=classes).astype(float)
    hits_staffed = np.bincount(
        stream.priority[staffed], weights=on_time[staffed], minlength=classes
    )
    with np.errstate(invalid="ignore", divide="ignore"):
        in_time_staffed = np.where(
            counts_staffed > 0, hits_staffed / np.maximum(counts_staffed, 1), np.nan
        )
    waits = wait[answered]
    piece_end = model.piece_end.copy()
    if run.finish:
        piece_end[list(run.finish)] = list(run.finish.values())
    finish = item_finish(piece_end, model.piece_item, len(model.due))
    late = int(np.sum((finish > model.due + EPS) & ~model.planned_late))
    available = model.available_minutes
    return (
        counts,
        in_time,
        in_time_staffed,
        float(len(wait) - answered.sum()),
        float(np.mean(~(wait <= EPS))) if len(wait) else math.nan,
        float(waits.mean()) if len(waits) else math.nan,
        float(np.percentile(waits, 95)) if len(waits) else math.nan,
        run.displaced / 60,
        run.overtime / 60,
        run.carried / 60,
        float(late),
        float(run.interruptions),
        (run.incident + model.planned_minutes) / available if available else math.nan,
    )


def _replications(
    model: Model, forecast: Forecast, seed: int, runs: range
) -> list[tuple[Any, ...]]:
    return [_measure(model, draw(forecast, np.random.default_rng([seed, r]))) for r in runs]


def simulate(
    prepared: Prepared,
    plan: Plan,
    runs: int = 100,
    seed: int = 0,
    incidents: Incidents | None = None,
    *,
    distribution: Distribution = "lognormal",
    overtime_cap: int = OVERTIME_CAP,
    workers: int = 1,
) -> SimulationResult:
    """Simulate ``runs`` replications of the forecast incidents against a plan.

    Parameters
    ----------
    prepared : Prepared
        The prepared scenario the plan was made for.
    plan : Plan
        The plan; its assignments are the planned work (reserve is simply unplanned time).
    runs : int
        Replications, at least 1.
    seed : int
        Non-negative seed; the same seed gives identical results, for any ``workers``.
    incidents : Incidents or None
        The forecast; ``None`` takes the scenario's.
    distribution : {"lognormal", "exponential"}
        Handling time law (exponential: for checks against M/M/c queueing formulas).
    overtime_cap : int
        Minutes per technician and day that displaced planned work may run past the end of
        the day's scheduled time; the rest moves to the next scheduled time.
    workers : int
        Processes over replications (spawned, as in ``solver.sweep``); 0: one per core.
        Results do not depend on it: replication r always draws from ``[seed, r]``.

    Returns
    -------
    SimulationResult
    """
    if incidents is None:
        incidents = prepared.scenario.incidents
    if incidents is None:
        raise ValueError("the scenario has no incident forecast (incidents:) to simulate")
    if runs < 1 or seed < 0 or overtime_cap < 0:
        raise ValueError("runs must be at least 1; seed and overtime_cap must not be negative")
    if distribution not in ("lognormal", "exponential"):
        raise ValueError(f"unknown distribution {distribution!r} (lognormal or exponential)")
    model = build_model(prepared, plan, incidents, overtime_cap)
    forecast = build_forecast(prepared, incidents, distribution)
    workers = min(workers or os.cpu_count() or 1, runs)
    if workers <= 1:
        rows = _replications(model, forecast, seed, range(runs))
    else:
        bounds = np.linspace(0, runs, workers + 1).astype(int)
        chunks = [range(lo, hi) for lo, hi in itertools.pairwise(bounds.tolist())]
        with ProcessPoolExecutor(workers, mp_context=get_context("spawn")) as pool:
            parts = pool.map(partial(_replications, model, forecast, seed), chunks)
            rows = [row for part in parts for row in part]
    columns = [np.array(column) for column in zip(*rows, strict=True)]
    return SimulationResult(seed, tuple(p.name for p in incidents.priorities), *columns)

"""Buffer comparison: solve the plan at each buffer level, simulate incidents on it, compare.

Levels run in parallel (``solver.scaleout``: local processes, each giving CP-SAT its share of
the cores, or a Dask cluster given a scheduler address). Every level's plan meets the same
simulated incidents (common random numbers: the incident stream depends only on the seed),
so differences between levels come from the buffer, not from luck.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from models.forecast import urgent_classes
from models.prepare import prepare
from models.scenario import Scenario
from models.scenario_incidents import Buffer
from solver.scaleout import run_jobs
from solver.simulate import simulate
from solver.solve import SolveParams, solve

POLICIES = ("percent", "duty", "forecast")


@dataclass(frozen=True)
class SweepParams:
    policy: str
    levels: tuple[float, ...]
    runs: int = 500
    time_limit: float = 10.0
    seed: int = 0
    processes: int = 0
    """0: one per core (at most the number of levels)."""
    scheduler: str | None = None
    """A Dask scheduler (``tcp://HOST:PORT``) to run the levels on; None: local processes."""
    deterministic: bool = False
    """Deterministic solves: the same rows on any machine, pool or cluster (one worker)."""


def with_buffer(scenario: Scenario, policy: str, level: float) -> Scenario:
    """The scenario with its buffer set to ``policy`` at ``level``."""
    field = {"percent": "percent", "duty": "duty", "forecast": "service_level"}[policy]
    value: float | int = int(level) if policy == "duty" else level
    return scenario.model_copy(update={"buffer": Buffer(policy=policy, **{field: value})})


def level_row(
    scenario: Scenario, policy: str, level: float, params: SweepParams, workers: int
) -> dict[str, Any]:
    """Solve and simulate one level; a flat, JSON-friendly row of measured figures."""
    prepared = prepare(with_buffer(scenario, policy, level))
    solve_params = SolveParams(
        time_limit=params.time_limit,
        seed=params.seed,
        workers=workers,
        deterministic=params.deterministic,
    )
    result = solve(prepared, solve_params)
    simulation = simulate(prepared, result.plan, runs=params.runs, seed=params.seed).summary()
    kpis = result.plan.kpis
    return {
        "level": level,
        "objective": round(result.objective, 2),
        "checker_violations": len(result.violations),
        "planned_hours": kpis["planned_hours"],
        "scheduled_items": kpis["scheduled_items"],
        "unscheduled_items": kpis["unscheduled_items"],
        "late_items": kpis["late_items"],
        "reserve_hours": kpis["reserve_hours"],
        "utilisation": kpis["utilisation"],
        "runs": simulation["runs"],
        **_flat(simulation),
    }


def _flat(summary: dict[str, Any]) -> dict[str, Any]:
    """``sim_<figure>`` (mean), ``_low`` and ``_high`` (95 % interval), per class where split."""
    row: dict[str, Any] = {}
    for name, value in summary.items():
        if name in ("incidents", "in_time", "in_time_staffed"):
            for cls, stats in value.items():
                row |= _stats(f"sim_{name}_{cls}", stats)
        elif isinstance(value, dict):
            row |= _stats(f"sim_{name}", value)
    return row


def _stats(prefix: str, stats: dict[str, Any]) -> dict[str, Any]:
    return {prefix: stats["mean"], f"{prefix}_low": stats["low"], f"{prefix}_high": stats["high"]}


def _run(job: tuple[str, str, float, SweepParams], workers: int) -> dict[str, Any]:
    text, policy, level, params = job
    return level_row(Scenario.model_validate_json(text), policy, level, params, workers)


def compare_buffers(
    scenario: Scenario, params: SweepParams, progress: Callable[[int, int], None] | None = None
) -> list[dict[str, Any]]:
    """One row per level, in level order; ``progress(done, total)`` after each level.

    Raises ``solver.scaleout.ScaleOutError`` when ``params.scheduler`` cannot be used.
    """
    text = scenario.model_dump_json()
    jobs = [(text, params.policy, level, params) for level in params.levels]
    rows = run_jobs(
        _run, jobs, scheduler=params.scheduler, processes=params.processes, progress=progress
    )
    return sorted(rows, key=lambda row: row["level"])


def smallest_meeting(rows: list[dict[str, Any]], scenario: Scenario, target: float) -> float | None:
    """The smallest level at which every urgent class is answered in time at ``target``,
    counting incidents that arrive while someone is present (the buffer cannot help the rest)."""
    incidents = scenario.incidents
    if incidents is None:
        return None
    names = [p.name for p in urgent_classes(incidents)]
    for row in rows:
        if all((row.get(f"sim_in_time_staffed_{name}") or 0) >= target for name in names):
            return float(row["level"])
    return None

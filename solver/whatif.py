"""What-if comparison: plan the base scenario and its variants, put incidents on each plan,
and measure every variant against the base.

The base is solved first; then every variant, in parallel (``solver.scaleout``), warm-started
from the base plan: the greedy start keeps the base's placements where they still fit, so a
variant differs from the base by what its change forces, not by solver luck elsewhere.

Incidents use common random numbers: ``solver.simulate`` draws replication r's incidents
from (seed, r) and the scenario's forecast only, so every variant that keeps the base's
forecast (hire, leave, absence, new customer, buffer, weights) meets exactly the base's
incidents. An ``incident_factor`` variant has another forecast and so another stream: by
design, since more incidents are what it asks about.

A grid (buffer levels x seeds) gives one row per (variant, level, seed), each variant
warm-started from the base plan of the same level and seed. With deterministic solves
(``CompareParams.deterministic``) the rows are the same on a local pool and on a cluster.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from models.forecast import urgent_classes
from models.plan import Plan
from models.prepare import Prepared, prepare
from models.scenario import Scenario
from solver.scaleout import JobRunner, Progress
from solver.simulate import simulate
from solver.solve import PlanResult, SolveParams, solve
from solver.sweep import with_buffer

BASE = "base"
"""The base scenario's name in rows and tables."""
IDENTITY = ("variant", "level", "seed")
"""Fields that name a row, not a measurement."""
NOT_COMPARED = ("status", "method", "solve_seconds", "sim_runs")
"""No delta: words, and wall-clock time (it depends on the machine, not the variant)."""
SIM_FIGURES = (
    "displaced_hours",
    "overtime_hours",
    "newly_late_items",
    "utilisation",
)
"""Simulation figures compared (mean and 95 % interval each)."""


@dataclass(frozen=True)
class Case:
    """A named scenario of the comparison: the base or a variant, with notes for planners."""

    name: str
    scenario: Scenario
    notes: tuple[str, ...] = ()


@dataclass(frozen=True)
class CompareParams:
    time_limit: float = 30.0
    runs: int = 200
    """Simulated replications per plan (0: no simulation)."""
    seeds: tuple[int, ...] = (0,)
    """Seed of solver and simulation; several make a grid."""
    policy: str | None = None
    levels: tuple[float, ...] = ()
    """Buffer levels of ``policy`` (overriding every case's buffer); none: each own buffer."""
    deterministic: bool = False
    """Same seed, same plan on any machine (one CP-SAT worker per solve)."""
    scheduler: str | None = None
    """Dask scheduler address; None: local processes."""
    processes: int = 0
    """Local processes (0: one per core)."""

    @property
    def cells(self) -> list[tuple[float | None, int]]:
        """(level, seed) of each solve of one case; level None: the case's own buffer."""
        levels: Sequence[float | None] = self.levels if self.policy else (None,)
        return [(level, seed) for level in levels for seed in self.seeds]


@dataclass(frozen=True)
class CaseJob:
    """One solve and simulation, picklable for a process pool or a Dask worker."""

    name: str
    scenario: str
    """The case's scenario as JSON."""
    level: float | None
    seed: int
    params: CompareParams
    warm_start: dict[str, Any] | None = None
    """The base plan (JSON) of the same level and seed; None for the base itself."""


@dataclass(frozen=True)
class Outcome:
    row: dict[str, Any]
    plan: dict[str, Any]
    violations: tuple[str, ...]


@dataclass(frozen=True)
class Comparison:
    """Rows (base first, then each variant; each by level and seed), deltas against the base
    of the same level and seed, plans, checker violations and notes by case."""

    rows: list[dict[str, Any]]
    deltas: list[dict[str, Any]]
    plans: dict[tuple[str, float | None, int], dict[str, Any]]
    violations: dict[str, list[str]] = field(default_factory=dict)
    notes: dict[str, list[str]] = field(default_factory=dict)


def compare_variants(
    base: Case,
    variants: Sequence[Case],
    params: CompareParams,
    progress: Progress | None = None,
) -> Comparison:
    """Solve and simulate the base, then the variants warm-started from it, at every cell.

    Raises ``solver.scaleout.ScaleOutError`` when ``params.scheduler`` cannot be used.
    """
    cells = params.cells
    total = len(cells) * (1 + len(variants))
    with JobRunner(params.scheduler, params.processes) as runner:
        base_jobs = [_job(base, level, seed, params) for level, seed in cells]
        based = runner.run(run_case, base_jobs, _shifted(progress, 0, total))
        variant_jobs = [
            _job(case, level, seed, params, based[k].plan)
            for case in variants
            for k, (level, seed) in enumerate(cells)
        ]
        varied = runner.run(run_case, variant_jobs, _shifted(progress, len(cells), total))
    outcomes = based + varied
    rows = _uniform([outcome.row for outcome in outcomes])
    base_rows = {(row["level"], row["seed"]): row for row in rows[: len(cells)]}
    return Comparison(
        rows=rows,
        deltas=[delta(base_rows[row["level"], row["seed"]], row) for row in rows[len(cells) :]],
        plans={_key(o.row): o.plan for o in outcomes},
        violations={
            label(o.row, len(cells) > 1): list(o.violations) for o in outcomes if o.violations
        },
        notes=_notes([base, *variants]),
    )


def _uniform(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Every row with every figure (None where a case lacks it, e.g. a technician who left),
    so tables and files have one set of columns."""
    keys = list(dict.fromkeys(key for row in rows for key in row))
    return [{key: row.get(key) for key in keys} for row in rows]


def _notes(cases: list[Case]) -> dict[str, list[str]]:
    """What the variant files changed beyond the obvious (e.g. work a removed technician had)."""
    return {case.name: list(case.notes) for case in cases if case.notes}


def _job(
    case: Case,
    level: float | None,
    seed: int,
    params: CompareParams,
    warm_start: dict[str, Any] | None = None,
) -> CaseJob:
    return CaseJob(case.name, case.scenario.model_dump_json(), level, seed, params, warm_start)


def _shifted(progress: Progress | None, before: int, total: int) -> Progress | None:
    """A batch's progress as progress of the whole comparison."""
    if progress is None:
        return None
    return lambda done, _: progress(before + done, total)


def _key(row: dict[str, Any]) -> tuple[str, float | None, int]:
    return row["variant"], row["level"], row["seed"]


def label(row: dict[str, Any], grid: bool) -> str:
    """A row's name for messages: the variant, with level and seed in a grid."""
    parts = [row["variant"]]
    if row["level"] is not None:
        parts.append(f"level {row['level']:g}")
    if grid:
        parts.append(f"seed {row['seed']}")
    return ", ".join(parts)


def run_case(job: CaseJob, workers: int) -> Outcome:
    """Solve one case (warm-started from the base plan, if given), check and simulate it."""
    scenario = Scenario.model_validate_json(job.scenario)
    if job.level is not None and job.params.policy is not None:
        scenario = with_buffer(scenario, job.params.policy, job.level)
    prepared = prepare(scenario)
    solve_params = SolveParams(
        time_limit=job.params.time_limit,
        seed=job.seed,
        workers=workers,
        deterministic=job.params.deterministic,
    )
    warm = None if job.warm_start is None else Plan.model_validate(job.warm_start)
    result = solve(prepared, solve_params, warm_start=warm)
    row = {"variant": job.name, "level": job.level, "seed": job.seed}
    row |= plan_figures(prepared, result) | simulation_figures(prepared, result.plan, job)
    violations = tuple(v.message for v in result.violations)
    return Outcome(row, result.plan.model_dump(mode="json"), violations)


def plan_figures(prepared: Prepared, result: PlanResult) -> dict[str, Any]:
    """The plan's key figures, flat: work done and left, lateness, utilisation of each
    technician (planned hours over available hours)."""
    kpis = result.plan.kpis
    figures: dict[str, Any] = {
        "status": result.status,
        "method": result.plan.method,
        "objective": round(result.objective, 2),
        "checker_violations": len(result.violations),
        "solve_seconds": round(result.runtime, 2),
    }
    for key in (
        "planned_hours",
        "capacity_hours",
        "reserve_hours",
        "utilisation",
        "scheduled_items",
        "unscheduled_items",
        "unscheduled_hours",
        "late_items",
        "late_days",
    ):
        figures[key] = kpis[key]
    for priority, hours in kpis["unscheduled_hours_by_priority"].items():
        figures[f"unscheduled_hours_p{priority}"] = hours
    for tech in prepared.technicians:
        capacity = prepared.capacity(tech)
        hours = kpis["hours_by_technician"].get(tech.id, 0.0)
        figures[f"utilisation_{tech.id}"] = round(60 * hours / capacity, 4) if capacity else None
    return figures


def simulation_figures(prepared: Prepared, plan: Plan, job: CaseJob) -> dict[str, Any]:
    """Incidents on the plan: the urgent classes answered in time (incidents arriving while
    someone is present: the buffer cannot help the others), displaced planned hours, ...

    ``sim_urgent_in_time`` is the share-weighted mean of the urgent classes' in-time shares.
    """
    incidents = prepared.scenario.incidents
    if incidents is None or job.params.runs < 1:
        return {"sim_runs": 0, "sim_urgent_in_time": None}
    summary = simulate(prepared, plan, runs=job.params.runs, seed=job.seed).summary()
    urgent = urgent_classes(incidents)
    figures: dict[str, Any] = {"sim_runs": summary["runs"]}
    weighted = [
        (p.share, summary["in_time_staffed"][p.name]["mean"])
        for p in urgent
        if summary["in_time_staffed"][p.name]["mean"] is not None
    ]
    shares = sum(share for share, _ in weighted)
    figures["sim_urgent_in_time"] = (
        round(sum(share * mean for share, mean in weighted) / shares, 6) if shares else None
    )
    for p in urgent:
        figures |= _interval(f"sim_in_time_staffed_{p.name}", summary["in_time_staffed"][p.name])
    for name in SIM_FIGURES:
        figures |= _interval(f"sim_{name}", summary[name])
    return figures


def _interval(prefix: str, stats: dict[str, Any]) -> dict[str, Any]:
    def rounded(value: float | None) -> float | None:
        return None if value is None else round(value, 6)

    return {
        prefix: rounded(stats["mean"]),
        f"{prefix}_low": rounded(stats["low"]),
        f"{prefix}_high": rounded(stats["high"]),
    }


def compared_keys(rows: Sequence[dict[str, Any]]) -> list[str]:
    """The measured figures of the rows, in first-seen order (technicians of every case)."""
    keys = dict.fromkeys(key for row in rows for key in row)
    return [
        key
        for key in keys
        if key not in IDENTITY + NOT_COMPARED and not key.endswith(("_low", "_high"))
    ]


def delta(base: dict[str, Any], row: dict[str, Any]) -> dict[str, Any]:
    """``row - base`` for every measured figure; None where either lacks it (a technician
    who is not in both) or it is not a number."""
    found: dict[str, Any] = {key: row[key] for key in IDENTITY}
    for key in compared_keys([base, row]):
        found[key] = difference(row.get(key), base.get(key))
    return found


def difference(value: Any, base: Any) -> float | None:
    """``value - base`` rounded to hide float noise (0.1 + 0.2 - 0.3), or None."""
    numbers = all(isinstance(x, int | float) and not isinstance(x, bool) for x in (value, base))
    return round(value - base, 6) if numbers else None

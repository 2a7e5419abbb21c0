"""The one entry point of the engines: ``solve(scenario, params) -> PlanResult``.

CP-SAT starts from the best plan of rounds of the greedy (``solver.squeaky``) as a complete
hint; when it finds nothing in time, that plan is the result. Either way the plan's objective
is the checker's recomputation, so plans of both methods compare. Infeasibility and
time-outs are statuses, never errors.
"""

from __future__ import annotations

import dataclasses
import logging
import math
import os
import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from typing import Literal

from ortools.sat.python import cp_model

from models.check import evaluate
from models.check_context import Violation
from models.plan import Assignment, Plan, Reserve, ReservePeriod, Unscheduled
from models.prepare import Prepared, prepare
from models.replan import previous_placements
from models.scenario import Scenario
from solver.bound import lower_bound
from solver.buffer import buffer_level, forecast_periods
from solver.builder import add_hint, build, read_schedule
from solver.greedy import Best, Placements, best_greedy
from solver.lns import STEP_SECONDS, cpsat_solver, improve, run_cpsat
from solver.objective import schedule_objective
from solver.penalties import SCALE
from solver.portfolio import best_of_two
from solver.reasons import unscheduled_reasons
from solver.repair import EVEN_OUT_SECONDS, polish
from solver.schedule import Schedule
from solver.squeaky import squeaky_wheel

log = logging.getLogger(__name__)

Progress = Callable[[float, float, float], None]
"""Called with (elapsed seconds, objective, bound) at each improving plan."""


@dataclass(frozen=True)
class SolveParams:
    time_limit: float = 10.0
    seed: int = 0
    method: Literal["cpsat", "greedy"] = "cpsat"
    workers: int = 0
    """0: as many as cores (at most 8); never more than cores."""
    deterministic: bool = False
    """Same seed, same plan anywhere: one worker, CP-SAT's deterministic time instead of the
    wall clock (``time_limit`` then counts work units of about a second each). For sweeps
    whose numbers must not depend on the machine or its load."""


@dataclass(frozen=True)
class PlanResult:
    status: str
    plan: Plan
    objective: float
    best_bound: float | None
    runtime: float
    terms: dict[str, float]
    solver_objective: float | None
    """The engine's own objective of its schedule (points), to compare with the checker's."""
    violations: list[Violation] = field(default_factory=list)
    first_plan_seconds: float | None = None

    @property
    def gap(self) -> float | None:
        return self.plan.gap


class _Progress(cp_model.CpSolverSolutionCallback):
    def __init__(self, report: Progress | None) -> None:
        super().__init__()
        self.report = report

    def on_solution_callback(self) -> None:
        if self.report is not None:
            self.report(
                self.wall_time, self.objective_value / SCALE, self.best_objective_bound / SCALE
            )


MONOLITHIC_PAIRS = 4000
"""Above this many (item, skilled technician) pairs, one model spends its time in presolve
and the search improves pieces instead (see ``solver.lns``)."""
GREEDY_SHARE = 0.1
"""Of the time limit, for the greedy's rules after the first (one run on L takes about 6 s)."""
WHOLE_SHARE = 0.5
"""Below it, the whole model gets this share of the time (it may prove optimality), then
LNS the rest: measured at 10 s, the whole model is better on a generated 10-technician
scenario, LNS far better on the demo, and the two in turn are best on both."""

SQUEAKY_SHARE = 0.25
"""Of the time limit, from the start, for rounds of the greedy that move up the work it
left out or finished late (``solver.squeaky``); their best plan is CP-SAT's hint. Generated
M at 60 s, seeds 0-2: 323 / 45 / 43 points with 0.25, 94 / 199 / 45 with 0.1, 1,338 / 3,727
/ 1,298 with none."""
ITEMS_PER_UNIT = 3000
"""Deterministic runs: items the greedy places in a work unit (generated M: 1,000 items in
about 0.3 s)."""

POLISH_SHARE = 0.1
"""Of the time limit, for the passes after the search (``solver.repair.polish``) when the
whole model came first. More is worse there: generated S at 10 s, seeds 0-7, work was left
out in 2 of 8 runs with 0.1, in 5 with 0.3 and in 7 with 0.5 (the passes end early; the
search needs the time)."""
PIECES_POLISH_SHARE = 0.5
"""The same when the search works piece by piece from the start (large models); a quarter
of the time limit also goes to the passes halfway. There the passes improve more than the
pieces do: at 60 s, generated M, seeds 0-3: 793 / 1,921 / 1,231 / 1,289 points against
1,032 / 3,503 / 45,267 / 3,284 with 0.1 (a 14 h task left out in one), and the load spread
4 points or less against 25-28; generated L, seed 0: 2.06 million against 3.07-3.17 with
0.1; generated M with 20 % more work: the same (4.35 million). 0.7 was no better (M 1,822 /
1,105, L 2.09 million)."""


def solve(
    scenario: Scenario | Prepared,
    params: SolveParams | None = None,
    progress: Progress | None = None,
    warm_start: Plan | None = None,
) -> PlanResult:
    """Plan all plannable work of a scenario.

    The greedy plan comes first, then rounds of the greedy with the work it served badly
    moved up (their best plan is the hint and the fallback); then CP-SAT, on the whole model
    for small scenarios, or piece by piece (LNS) for large ones; last, the polish passes.
    ``warm_start``, a plan of a similar scenario (a what-if variant's base), is where the
    greedy puts items first, when their place is still free; a replan's previous plan
    (``models.replan.anchor``) is one, too, and costs a penalty to leave.
    """
    params = params or SolveParams()
    started = time.perf_counter()
    prepared = scenario if isinstance(scenario, Prepared) else prepare(scenario)
    prefer = None if warm_start is None else previous_placements(prepared, warm_start)
    budget = math.inf if params.deterministic or params.method == "greedy" else GREEDY_SHARE
    greedy_best = best_greedy(prepared, prefer, budget * params.time_limit)
    first = time.perf_counter() - started
    if params.method == "greedy":
        outcome = Outcome(greedy_best.schedule, "feasible", "greedy", lower_bound(prepared))
        seconds = time.perf_counter() - started
        return finish(prepared, outcome.schedule, outcome, seconds=seconds, first=first)
    start, pieces_only = Start(prepared, greedy_best, prefer, started), by_pieces(prepared)
    if pieces_only and _workers(params) > 1 and not params.deterministic:
        outcome = _first_search_twice(start, params, progress)
    else:
        outcome = _first_search(start, params, progress, pieces_only)
    report = _reporter(progress, started, outcome.bound)
    schedule = _polish_to_the_limit(prepared, outcome.schedule, params, started, outcome, report)
    return finish(prepared, schedule, outcome, seconds=time.perf_counter() - started, first=first)


def by_pieces(prepared: Prepared) -> bool:
    """Whether the search works piece by piece from the start (``MONOLITHIC_PAIRS``)."""
    return sum(len(item.eligible) for item in prepared.items) > MONOLITHIC_PAIRS


@dataclass(frozen=True)
class Start:
    """What the search starts from: the greedy's best plan, ``solve``'s start time."""

    prepared: Prepared
    greedy_best: Best
    prefer: Placements | None
    started: float
    """``time.perf_counter()`` when ``solve`` began."""


@dataclass(frozen=True)
class Outcome:
    """What an engine found, before it becomes a checked plan."""

    schedule: Schedule
    status: str
    method: str
    bound: float | None


def _first_search(
    start: Start, params: SolveParams, progress: Progress | None, pieces_only: bool
) -> Outcome:
    """The greedy's rounds, CP-SAT (the whole model, unless ``pieces_only``; then LNS) and
    the polish passes until they end (``_polish_to_the_limit`` goes on from there)."""
    prepared, started = start.prepared, start.started
    report = _reporter(progress, started)
    hint = _squeaky(prepared, start.greedy_best, start.prefer, params, started, report)
    if pieces_only:
        outcome = _solve_by_pieces(prepared, hint, params, progress, started)
    else:
        whole_until = started + WHOLE_SHARE * params.time_limit
        outcome = _solve_whole(prepared, hint, params, progress, started, whole_until)
        if outcome.status != "optimal":
            pieces = _solve_by_pieces(
                prepared, outcome.schedule, params, progress, started, outcome.bound, WHOLE_SHARE
            )
            outcome = Outcome(pieces.schedule, "feasible", "cpsat+lns", outcome.bound)
    report = _reporter(progress, started, outcome.bound)
    end = started + params.time_limit
    schedule = _polish(prepared, outcome.schedule, params, end, report=report)
    return dataclasses.replace(outcome, schedule=schedule)


OTHER_SEED = 1_000_003
"""Added to the seed for the second first search: with seed + 1 it would be the next seed's
own first search."""


def _first_search_twice(start: Start, params: SolveParams, progress: Progress | None) -> Outcome:
    """``_first_search`` here and in a spawned process (``solver.portfolio``), each on half
    the cores and with its own seed; the better plan. The rest of the run goes on from it on
    all cores. Where a run of LNS ends depends more on its luck than on its time: six traced
    runs of generated M at 60 s had plans of 47-480 points at 35 s and ended, nearly in the
    same order, at 43-295.
    Generated M at 60 s, seeds 10-19 and 20-29, in turn with one first search on both cores:
    1,824 and 1,817 points in all against 2,797 and 2,540, better in 13 runs of 20, the 5 %
    target met in 3 runs against 1. Whole runs on one core each are worse one by one (seeds
    10-19, two side by side: 3,931 and 2,115 points in all against 2,359 for one run on
    both cores), so the rest, where CP-SAT's steps about late items need both cores, runs
    once."""
    workers = _workers(params)
    here = dataclasses.replace(params, workers=workers - workers // 2)
    there = dataclasses.replace(params, workers=workers // 2, seed=params.seed + OTHER_SEED)
    wall_started = time.time() - (time.perf_counter() - start.started)
    prepared = start.prepared
    best = best_of_two(
        partial(_first_search, start, here, progress, True),
        _first_search_elsewhere,
        (start, there, wall_started),
        score=lambda outcome: schedule_objective(prepared, outcome.schedule),
        wait=max(0.0, start.started + params.time_limit - time.perf_counter()),
    )
    if progress is not None:
        _report(progress, start.started, best.bound, schedule_objective(prepared, best.schedule))
    return best


def _first_search_elsewhere(start: Start, params: SolveParams, wall_started: float) -> Outcome:
    """``_first_search`` in another process. ``time.perf_counter`` counts from a point of each
    process's own, so the start comes as wall time (``time.time``)."""
    started = time.perf_counter() - (time.time() - wall_started)
    return _first_search(dataclasses.replace(start, started=started), params, None, True)


def _workers(params: SolveParams) -> int:
    return params.workers or min(8, os.cpu_count() or 1)


def _squeaky(
    prepared: Prepared,
    greedy_best: Best,
    prefer: Placements | None,
    params: SolveParams,
    started: float,
    report: Callable[[float], None] | None,
) -> Schedule:
    """Rounds of the greedy (``solver.squeaky``) up to ``SQUEAKY_SHARE`` of the time limit;
    deterministic runs count rounds by the items they place."""
    share = SQUEAKY_SHARE * params.time_limit
    until = rounds = None
    if params.deterministic:
        rounds = round(share * ITEMS_PER_UNIT / max(1, len(prepared.items)))
    else:
        until = started + share
    rng = random.Random(params.seed)
    return squeaky_wheel(
        prepared, greedy_best, prefer, rng, until=until, rounds=rounds, report=report
    )


def _solve_whole(
    prepared: Prepared,
    baseline: Schedule,
    params: SolveParams,
    progress: Progress | None,
    started: float,
    until: float,
) -> Outcome:
    planning = build(prepared)
    add_hint(planning, baseline)
    seconds = until - time.perf_counter()
    if params.deterministic:
        seconds = WHOLE_SHARE * params.time_limit
    solver = cpsat_solver(seconds, _workers(params), params.seed, params.deterministic)
    code = run_cpsat(solver, planning.model, params.deterministic, _Progress(progress))
    bound = lower_bound(prepared, set(planning.variables.techs))
    if code in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        status = "optimal" if code == cp_model.OPTIMAL else "feasible"
        cp_bound = solver.best_objective_bound / SCALE
        return Outcome(read_schedule(planning, solver), status, "cpsat", max(bound, cp_bound))
    log.warning("CP-SAT ended with %s; falling back to the greedy plan", solver.status_name(code))
    return Outcome(baseline, "feasible", "greedy (CP-SAT found no plan in time)", bound)


def _solve_by_pieces(
    prepared: Prepared,
    baseline: Schedule,
    params: SolveParams,
    progress: Progress | None,
    started: float,
    bound: float | None = None,
    used: float = 0.0,
) -> Outcome:
    """LNS for the rest of the time limit (``used``: the share the whole model had)."""
    if bound is None:
        bound = lower_bound(prepared)
    report = _reporter(progress, started, bound)
    share = POLISH_SHARE if used else PIECES_POLISH_SHARE
    end = started + (1 - share) * params.time_limit
    steps = _steps(params, used) if params.deterministic else None
    search = partial(
        improve, prepared, rng=random.Random(params.seed), workers=_workers(params), report=report
    )
    if report is not None:
        report(schedule_objective(prepared, baseline))
    if used:  # after the whole model; generated S, 10 units, seeds 0-5: passes halfway no better
        return Outcome(search(baseline, end, steps=steps), "feasible", "cpsat-lns", bound)
    # LNS, the polish passes halfway (LNS goes on from their plan), LNS again: generated M, 30
    # deterministic units, seeds 0 and 1: 16,767 and 10,210 with the passes at the end only,
    # 9,030 and 7,966 with them halfway too
    halfway = (time.perf_counter() + end) / 2
    halves = (None, None) if steps is None else (steps // 2, steps - steps // 2)
    schedule = search(baseline, halfway, steps=halves[0])
    schedule = _polish(
        prepared, schedule, params, halfway + share / 2 * params.time_limit, False, report
    )
    schedule = search(schedule, end, steps=halves[1])
    return Outcome(schedule, "feasible", "cpsat-lns", bound)


def _polish(
    prepared: Prepared,
    schedule: Schedule,
    params: SolveParams,
    until: float,
    pass_on: bool = True,
    report: Callable[[float], None] | None = None,
    even_out_seconds: float = EVEN_OUT_SECONDS,
) -> Schedule:
    """The polish passes until the clock reaches ``until`` (deterministic runs: for a fixed
    number of tries instead)."""
    if params.deterministic:
        return polish(
            prepared, schedule, seconds=params.time_limit, pass_on=pass_on, report=report
        )
    return polish(
        prepared,
        schedule,
        until=until,
        pass_on=pass_on,
        report=report,
        even_out_seconds=even_out_seconds,
    )


BALANCE_SHARE = 0.1
"""Of the time limit, at the end: the passes with no cap on ``even_out_load``
(``solver.repair.EVEN_OUT_SECONDS``), whose moves the load spread needs. Generated M at
60 s, seeds 10-19: spread 0-3 points with it, 1-10 with the cap to the end."""
AGAIN_SECONDS = 2 * STEP_SECONDS
"""Time left after the passes that is worth another round of search and passes."""


def _polish_to_the_limit(
    prepared: Prepared,
    schedule: Schedule,
    params: SolveParams,
    started: float,
    outcome: Outcome,
    report: Callable[[float], None] | None,
) -> Schedule:
    """After the passes at the end of ``_first_search``: while they end early and their plan
    is above the bound and not proven optimal, rounds of LNS (half the time left) and the
    passes (the rest), until the last BALANCE_SHARE of the time limit; then the passes, with
    no cap on evening out the load.
    Deterministic runs count tries, not seconds, and have no rounds. The passes end when
    every item has had its attempts, but the search then changes the plan and gives them
    new ones: generated M at a 600 s limit ended at 407 s with 1,559 points; two rounds of
    45 s of LNS and 45 s of passes from that plan gave 848 and 293 points. While the passes
    still have work, rounds are worse: four M plans as the final passes began, 30 s each,
    9,839 points in all with the passes alone, 15,484 with 15 s of passes and then one
    round."""
    end = started + params.time_limit
    if outcome.status == "optimal" or params.deterministic:
        return schedule
    rng = random.Random(params.seed)
    bound = outcome.bound
    tail = end - BALANCE_SHARE * params.time_limit
    while tail - time.perf_counter() > AGAIN_SECONDS and (
        bound is None or schedule_objective(prepared, schedule) > bound + 1e-6
    ):
        halfway = (time.perf_counter() + tail) / 2
        schedule = improve(prepared, schedule, halfway, rng, _workers(params), report)
        schedule = _polish(prepared, schedule, params, tail, report=report)
    return _polish(prepared, schedule, params, end, report=report, even_out_seconds=math.inf)


def _reporter(
    progress: Progress | None, started: float, bound: float | None = None
) -> Callable[[float], None] | None:
    """What tells ``progress`` of each better objective, with the time since ``started`` and
    ``bound`` (None: not computed yet); None when nobody listens."""
    return None if progress is None else partial(_report, progress, started, bound)


def _report(progress: Progress, started: float, bound: float | None, objective: float) -> None:
    progress(time.perf_counter() - started, objective, math.nan if bound is None else bound)


def _steps(params: SolveParams, used: float) -> int:
    return max(1, round((1 - used) * params.time_limit / STEP_SECONDS))


def finish(
    prepared: Prepared,
    schedule: Schedule,
    outcome: Outcome,
    *,
    seconds: float,
    first: float | None = None,
) -> PlanResult:
    """Turn a schedule into a checked plan with the recomputed objective and KPIs."""
    draft = to_plan(
        prepared, schedule, status=outcome.status, method=outcome.method, seconds=seconds
    )
    evaluation = evaluate(prepared, draft)
    bound = outcome.bound
    if bound is not None and bound > evaluation.objective + 1e-6:
        log.error(
            "lower bound %.3f above the objective %.3f: a bug in the bound",
            bound,
            evaluation.objective,
        )
    plan = draft.model_copy(
        update={
            "objective": round(evaluation.objective, 6),
            "best_bound": None if bound is None else round(bound, 6),
            "objective_terms": {k: round(x, 6) for k, x in evaluation.terms.items()},
            "kpis": evaluation.kpis,
        }
    )
    return PlanResult(
        status=outcome.status,
        plan=plan,
        objective=evaluation.objective,
        best_bound=plan.best_bound,
        runtime=seconds,
        terms=evaluation.terms,
        solver_objective=schedule_objective(prepared, schedule),
        violations=evaluation.violations,
        first_plan_seconds=first,
    )


def to_plan(
    prepared: Prepared, schedule: Schedule, *, status: str, method: str, seconds: float
) -> Plan:
    """The plan JSON model of a schedule, with a reason for every unscheduled item."""
    at, techs = prepared.moment, prepared.technicians
    assignments = [
        Assignment(
            item=item.id,
            part=k + 1,
            kind=item.kind,
            technician=techs[schedule.placed[item.index][0]].id,
            start=at(start),
            end=at(end),
        )
        for item in prepared.items
        if item.index in schedule.placed
        for k, (start, end) in enumerate(schedule.part_intervals(item))
    ]
    reserve = [
        Reserve(technician=techs[t].id, start=at(s), end=at(e), reason=reason)
        for t, s, e, reason in sorted(_joined(schedule.reserve), key=lambda r: (r[1], r[0]))
    ]
    policy, level = buffer_level(prepared)
    profile = [
        ReservePeriod(start=at(period.start), end=at(period.end), technicians=period.count)
        for period in (forecast_periods(prepared, level) if policy == "forecast" else [])
    ]
    unscheduled = [
        Unscheduled(item=prepared.items[index].id, reason=reason)
        for index, reason in unscheduled_reasons(prepared, schedule).items()
    ]
    return Plan(
        scenario=prepared.scenario.name,
        status=status,
        method=method,
        solve_seconds=round(seconds, 3),
        assignments=sorted(assignments, key=lambda a: (a.start, a.technician)),
        reserve=reserve,
        reserve_profile=profile,
        unscheduled=unscheduled,
    )


def _joined(reserve: list[tuple[int, int, int, str]]) -> list[tuple[int, int, int, str]]:
    """Reserve blocks of one technician and reason that touch, as one block (hour by hour
    forecast reserve reads better as 09:00-11:00)."""
    joined: list[tuple[int, int, int, str]] = []
    for tech, start, end, reason in sorted(reserve, key=lambda r: (r[0], r[3], r[1])):
        last = joined[-1] if joined else None
        if last and last[0] == tech and last[3] == reason and last[2] == start:
            joined[-1] = (tech, last[1], end, reason)
        else:
            joined.append((tech, start, end, reason))
    return joined

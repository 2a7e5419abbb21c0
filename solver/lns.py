"""Large neighbourhood search: CP-SAT on small pieces of a big plan, the rest kept in place.

One CP-SAT model of a whole large scenario spends its budget in presolve (measured: 50
technicians and 1,000 items, 13 s of presolve on 2 cores, then no improvement in 30 s).
So each step frees a group of technicians: every item on them, and the unscheduled items
they could take, is re-planned by CP-SAT on those technicians alone, while every other
technician's work stays as it is. Predecessors elsewhere bound a freed item's start, and
successors elsewhere bound its end (and keep it planned). A step is kept when the whole
plan's objective does not get worse, so the search only ever improves.
"""

from __future__ import annotations

import dataclasses
import logging
import random
import time
from collections.abc import Callable

from ortools.sat.python import cp_model

from models.intervals import Interval, subtract
from models.plan import DUTY_REASON, FORECAST_REASON
from models.prepare import Prepared
from models.records import PreparedItem, PreparedTechnician
from models.units import DAY_MINUTES
from solver.bound import EarliestFinish
from solver.buffer import buffer_level
from solver.builder import PlanningModel, add_hint, build, read_schedule
from solver.moves import late_items
from solver.objective import busy_minutes, capacities, load_shares, schedule_objective
from solver.schedule import Schedule

log = logging.getLogger(__name__)

MAX_FREE_ITEMS = 150
MAX_GROUP = 6
KEPT = (DUTY_REASON, FORECAST_REASON)
"""Reserve that binds the whole team stays where it is while a piece is re-planned."""
UNSCHEDULED_ROOM = 20
"""Places for unscheduled items in every piece, however busy its technicians are."""
STEP_SECONDS = 1.0
LATE_SHARE = 0.7
"""Once nothing is left out, the share of steps about a late item that could end sooner
(``_about_late``)."""
LOAD_SHARE = 0.5
"""Once nothing is left out, the share of the steps not about a late item that are about
the load spread (``_about_load``). Generated S, 10 deterministic units, seeds 0-11: a
spread of 51 points in all with them, 60 without (better in 6 seeds, worse in 3); at 10 s
of wall clock, seeds 0-15 run in turn: 133 against 141, within the runs' noise. Generated M
at 60 s, seeds 10-19: 2,520 points in all against 2,402 without them and without skipping
lateness that cannot shrink; runs of M vary too much to tell these apart."""
WINDOW_DAYS = (4, 6)
"""A step about a late item re-plans its technicians' work from this many days (one of
them, at random) before its due date to half a day after it ends; their other work stays
put. Generated M at 60 s, seeds 10-19, in turn on one machine, points in all (median):
without these steps 3,334 (333); with them 2,875 (147), better in 6 seeds, worse in 2 (one
of them 1,213 against 555); with them and the last passes uncapped
(``solver.solve.BALANCE_SHARE``) 1,522 (126), lateness at the bound in 4 runs against 1;
as a prototype with 3 s for every step 1,582 (129). They run once the passes end early
(``solver.repair.EVEN_OUT_SECONDS``); that cap alone: 3,315."""
WINDOW_GROUP = 12
"""At most this many technicians in a step about a late item: the work of each in the
window is a fraction of its whole plan."""
WINDOW_STEP_SECONDS = 3.0
"""Such a step frees 50-130 items on M, whose CP-SAT needs more than STEP_SECONDS: on a
saved 60 s plan of generated M (423 points, six tasks late), one step about each task for
2 s gained nothing, for 5 s it put two of five on time, with the whole objective. About the
item alone (``_only_sooner``), 3 s put four of five on time or nearly, CP-SAT proving most
in 0.5-1.1 s."""
FIXED_SHARE = 0.5
"""Of the steps about the load, the share that keeps every item at its times and lets only
its technician change (``Step.fixed_times``). The passes and the other steps move work in
time, and at a spread of a few points they find nothing: from the final plan of a 60 s run
of generated M (lateness at the bound, spread 3), 16 s of load steps reached a spread of 2
with these, 3 without; 16 s of the passes, 3. Generated M at 60 s, seeds 10-19, in turn with
the code before: 1,173 points in all against 1,236, spreads 40 against 50, the 5 % target
met once against never; runs of M vary more than that. Generated S, 10 deterministic units,
seeds 0-7: 38 points against 34 (better in 1 seed, worse in 2): ten technicians leave
little to hand over at fixed times."""
FIXED_GROUP = 20
"""At most this many technicians in a step at fixed times: with the times fixed, CP-SAT
assigns their few hundred items in well under a second."""
FEW = 3
"""A step about an item fewer technicians could take adds their peers by skills, who can take
their other work. Measured 10 s deterministic, seeds 0-5, on the generated S (a DATEV project
only Ines may do): with peers 3 of 6 runs leave nothing out, the others 1-2 items; without,
every run leaves 1-3 out. On the demo, seeds 0-2: a scan only Ines may do stayed out in 1 of
3 runs without peers, in none with them."""


@dataclasses.dataclass(frozen=True)
class Piece:
    """A sub-scenario and how its indices map back to the whole one."""

    prepared: Prepared
    techs: list[int]
    """Sub technician index -> technician index in the whole scenario."""
    items: list[int]
    """Sub item index -> item index in the whole scenario."""


def improve(
    prepared: Prepared,
    schedule: Schedule,
    deadline: float,
    rng: random.Random,
    workers: int = 2,
    report: Callable[[float], None] | None = None,
    steps: int | None = None,
) -> Schedule:
    """Improve ``schedule`` by re-planning technician groups until ``deadline`` (perf_counter),
    or, when ``steps`` is given, for ``steps`` x STEP_SECONDS of deterministic time on one
    worker (the same seed then gives the same plan on any machine); a step about a late item
    takes WINDOW_STEP_SECONDS of it."""
    best = schedule_objective(prepared, schedule)
    floor = EarliestFinish(prepared)
    tried = kept = 0
    spent = 0.0  # deterministic runs: STEP_SECONDS units used
    while spent < steps if steps is not None else time.perf_counter() < deadline - 0.5:
        tried += 1
        step = _choose_step(prepared, schedule, rng, floor)
        seconds = STEP_SECONDS if step.window is None else WINDOW_STEP_SECONDS
        spent += seconds / STEP_SECONDS
        piece = cut(prepared, schedule, step)
        if not piece.items:
            continue
        budget = seconds if steps is not None else deadline - time.perf_counter()
        candidate = _solve_piece(
            prepared,
            schedule,
            piece,
            min(seconds, budget),
            rng.randrange(1 << 30),
            workers,
            deterministic=steps is not None,
            late=step.late,
        )
        if candidate is None:
            continue
        value = schedule_objective(prepared, candidate)
        if value <= best:
            kept += value < best
            schedule, best = candidate, value
            if report is not None:
                report(best)
    log.info("LNS: %d steps, %d improving", tried, kept)
    return schedule


@dataclasses.dataclass(frozen=True)
class Step:
    """What one step re-plans: the first few ``techs`` (in order of preference), the item it
    is about, and the window of time it frees (None: all of the technicians' work); ``late``:
    a late item whose lateness alone the step minimises (``_only_sooner``)."""

    techs: list[int]
    focus: PreparedItem | None = None
    window: Interval | None = None
    late: PreparedItem | None = None
    fixed_times: bool = False
    """Every freed item keeps its times; only who does it may change."""


def _choose_step(
    prepared: Prepared,
    schedule: Schedule,
    rng: random.Random,
    floor: Callable[[PreparedItem], float],
) -> Step:
    """Mostly an unscheduled item: the technicians doing its predecessors first (so a chain
    that ends too late can move earlier), then ones who could take it. Once nothing is left
    out, mostly a late item that could end sooner (``_about_late``; ``floor``: the earliest
    it could end in any plan), else often the load (``_about_load``; half of these at fixed
    times). Otherwise a technician and its peers by shared skills, to even out load and
    lateness."""
    waiting = [
        item for item in prepared.items if item.index not in schedule.placed and item.eligible
    ]
    if waiting and rng.random() < 0.7:
        focus = rng.choice(waiting)
        chain = sorted(
            {schedule.placed[b][0] for b in prepared.ancestors(focus) if b in schedule.placed}
        )
        rng.shuffle(chain)
        pool = [t for t in focus.eligible if t not in chain]
        rng.shuffle(pool)
        group = chain[: MAX_GROUP // 2] + pool
        if len(group) < FEW:  # work few may do: their other work must be able to go to others
            group += _peers(prepared, group, rng)
        return Step(group, focus)
    if not waiting:
        late = [i for i in late_items(prepared, schedule) if schedule.end(i) > floor(i)]
        if late and rng.random() < LATE_SHARE:
            return _about_late(prepared, schedule, rng.choice(late), rng)
        if rng.random() < LOAD_SHARE:
            step = _about_load(prepared, schedule, rng)
            if rng.random() < FIXED_SHARE:
                return dataclasses.replace(step, fixed_times=True)
            return step
    seed_tech = rng.choice(prepared.technicians)
    return Step([seed_tech.index, *_peers(prepared, [seed_tech.index], rng)])


def _about_late(
    prepared: Prepared, schedule: Schedule, item: PreparedItem, rng: random.Random
) -> Step:
    """A late item, its chain's technicians and then others skilled for the chain, and their
    work in a window of days before its due date (``WINDOW_DAYS``).

    On generated M the last plans' lateness is a few project tasks ending the morning after
    their due day, their chains spread over days of busy technicians; the passes find no move
    that packs such a chain without pushing other chains late (the whole plan of its nine
    skilled technicians, re-planned by CP-SAT for 30 s, gets one task on time). Freeing only
    the days before the due date keeps the piece small enough for a step of a few seconds."""
    assert item.due is not None
    chain = [prepared.items[a] for a in prepared.ancestors(item)] + [item]
    doing = list(dict.fromkeys(schedule.placed[c.index][0] for c in chain))
    skilled = sorted({t for c in chain for t in c.eligible} - set(doing))
    rng.shuffle(skilled)
    since = max(min(c.earliest for c in chain), item.due - rng.choice(WINDOW_DAYS) * DAY_MINUTES)
    return Step(doing + skilled, window=(since, schedule.end(item) + DAY_MINUTES // 2), late=item)


def _about_load(prepared: Prepared, schedule: Schedule, rng: random.Random) -> Step:
    """The busiest and the least busy technician (by share of capacity, as the load spread
    counts it) and their peers by skills, who can take work from the one or give it to the
    other."""
    shares = load_shares(capacities(prepared), busy_minutes(prepared, schedule))
    order = sorted(shares, key=lambda t: (shares[t], rng.random()))
    ends = [order[-1], order[0]]
    return Step(ends + _peers(prepared, ends, rng))


def _peers(prepared: Prepared, group: list[int], rng: random.Random) -> list[int]:
    """The other technicians, those sharing most skills with the group first."""
    skills = frozenset().union(*(prepared.technicians[t].skills for t in group))
    others = [t for t in prepared.technicians if t.index not in group]
    others.sort(key=lambda t: (-len(t.skills & skills), rng.random()))
    return [t.index for t in others]


def cut(prepared: Prepared, schedule: Schedule, step: Step) -> Piece:
    """The sub-scenario of the step's first few technicians: they and the items they do or
    could take, within MAX_GROUP technicians (WINDOW_GROUP with a window) and about
    MAX_FREE_ITEMS items. With a window, only their work in it is free: the rest stays where
    it is (pinned), so that reserve, daily caps and load count as in the whole plan. At fixed
    times, up to FIXED_GROUP technicians, each planned item where it is (``_at``)."""
    loose = _loose(prepared, schedule, step.window)
    group = _take_group(loose, step)
    free = _free_items(prepared, schedule, set(group), loose, step.focus)
    freed = set(free)
    kept = sorted(i for i, (t, _) in schedule.placed.items() if t in group and i not in freed)
    members = sorted(free + kept)
    tech_map = {t: k for k, t in enumerate(group)}
    item_map = {i: k for k, i in enumerate(members)}
    technicians = [_sub_technician(prepared, schedule, t, k) for t, k in tech_map.items()]
    items = [_sub_item(prepared, schedule, prepared.items[i], item_map, tech_map) for i in members]
    for i in kept:
        tech, starts = schedule.placed[i]
        k = item_map[i]
        items[k] = dataclasses.replace(
            items[k],
            pinned=starts,
            technician=tech_map[tech],
            eligible=(tech_map[tech],),
            required=True,
        )
    scenario = prepared.scenario
    if buffer_level(prepared)[0] in ("duty", "forecast"):  # it binds the whole team: kept
        scenario = scenario.model_copy(update={"buffer": None})
    previous = {  # replans: the change penalty of items whose old technician is in the piece
        item_map[i]: (tech_map[t], starts)
        for i, (t, starts) in prepared.previous.items()
        if i in item_map and t in tech_map
    }
    sub = dataclasses.replace(
        prepared, scenario=scenario, technicians=technicians, items=items, previous=previous
    )
    if step.fixed_times:
        placed = {item_map[i]: schedule.placed[i][1] for i in free if i in schedule.placed}
        items = [_at(sub, item, placed[k]) if k in placed else item for k, item in enumerate(items)]
        sub = dataclasses.replace(sub, items=items)
    return Piece(prepared=sub, techs=group, items=members)


def _at(sub: Prepared, item: PreparedItem, starts: tuple[int, ...]) -> PreparedItem:
    """The item at fixed times (``starts``), for those of its technicians who may work then."""
    able = tuple(t for t in item.eligible if sub.may_work_at(item, sub.technicians[t], starts))
    alone = able[0] if len(able) == 1 else None  # pinned like kept work: it counts as forced
    return dataclasses.replace(item, pinned=starts, eligible=able, technician=alone, required=True)


def _loose(prepared: Prepared, schedule: Schedule, window: Interval | None) -> dict[int, int]:
    """Placed items a step may move, and their technicians: those with a part in the window
    (all, without one)."""
    if window is None:
        return {i: tech for i, (tech, _) in schedule.placed.items()}
    since, until = window
    return {
        i: tech
        for i, (tech, _) in schedule.placed.items()
        if any(s < until and since < e for s, e in schedule.part_intervals(prepared.items[i]))
    }


def _take_group(loose: dict[int, int], step: Step) -> list[int]:
    """The step's technicians in order while the items they may move (``loose``) leave room
    for unscheduled ones."""
    if step.fixed_times:  # only technicians change: CP-SAT assigns hundreds of items quickly
        return step.techs[:FIXED_GROUP]
    load: dict[int, int] = {}
    for tech in loose.values():
        load[tech] = load.get(tech, 0) + 1
    group: list[int] = []
    items = 0
    for tech in step.techs[: MAX_GROUP if step.window is None else WINDOW_GROUP]:
        if group and items + load.get(tech, 0) > MAX_FREE_ITEMS - UNSCHEDULED_ROOM:
            break
        group.append(tech)
        items += load.get(tech, 0)
    return group


def _free_items(
    prepared: Prepared,
    schedule: Schedule,
    members: set[int],
    loose: dict[int, int],
    focus: PreparedItem | None,
) -> list[int]:
    """What the members may move (``loose``), the focus item, and other unscheduled items they
    could take; an unscheduled item only with its unscheduled predecessors."""
    placed_here = [i for i, t in loose.items() if t in members]
    could_take = sorted(
        (
            item.index
            for item in prepared.items
            if item.index not in schedule.placed and members.intersection(item.eligible)
        ),
        key=lambda i: (focus is None or i != focus.index, prepared.items[i].priority, i),
    )
    room = max(UNSCHEDULED_ROOM, MAX_FREE_ITEMS - len(placed_here))
    chosen = set(placed_here) | set(could_take[:room])
    changed = True
    while changed:
        changed = False
        for i in list(chosen):
            if any(b not in schedule.placed and b not in chosen for b in prepared.items[i].after):
                chosen.discard(i)
                changed = True
    return sorted(chosen)


def _sub_technician(prepared: Prepared, schedule: Schedule, t: int, k: int) -> PreparedTechnician:
    """Technician t as index k; its duty days and forecast hours (kept in place) count as
    absences (a duty day whole: no planned work that day, after hours neither)."""
    tech = prepared.technicians[t]
    kept = [
        (_kept_interval(prepared, s, e, reason), reason)
        for tt, s, e, reason in schedule.reserve
        if tt == t and reason in KEPT
    ]
    if not kept:
        return dataclasses.replace(tech, index=k)
    return dataclasses.replace(
        tech,
        index=k,
        absences=tech.absences + kept,
        available=subtract(tech.available, [iv for iv, _ in kept]),
    )


def _kept_interval(prepared: Prepared, start: int, end: int, reason: str) -> tuple[int, int]:
    if reason == DUTY_REASON:
        day = prepared.day_of(start)
        return day.start, day.end
    return start, end


def _sub_item(
    prepared: Prepared,
    schedule: Schedule,
    item: PreparedItem,
    item_map: dict[int, int],
    tech_map: dict[int, int],
) -> PreparedItem:
    """The item inside the piece: bounds from neighbours that stay, techs of the group only."""
    outside_before = [b for b in item.after if b not in item_map]
    earliest = max([item.earliest] + [schedule.end(prepared.items[b]) for b in outside_before])
    successors = [
        s
        for s in prepared.successors.get(item.index, ())
        if s not in item_map and s in schedule.placed
    ]
    deadline = min((schedule.placed[s][1][0] for s in successors), default=None)
    return dataclasses.replace(
        item,
        index=item_map[item.index],
        earliest=earliest,
        after=tuple(item_map[b] for b in item.after if b in item_map),
        eligible=tuple(tech_map[t] for t in item.eligible if t in tech_map),
        technician=None if item.technician is None else tech_map.get(item.technician),
        deadline=deadline,
        required=item.required or bool(successors),
    )


def _solve_piece(
    prepared: Prepared,
    schedule: Schedule,
    piece: Piece,
    budget: float,
    seed: int,
    workers: int,
    deterministic: bool = False,
    late: PreparedItem | None = None,
) -> Schedule | None:
    """CP-SAT on the piece, hinted with the current plan; the whole schedule with its result.
    ``late``: the step is about this late item alone (``_only_sooner``)."""
    planning = build(piece.prepared)
    current = _restrict(schedule, piece)
    add_hint(planning, current)
    if late is not None:
        _only_sooner(planning, prepared, piece, current, late)
    solver = cpsat_solver(budget, workers, seed, deterministic)
    code = run_cpsat(solver, planning.model, deterministic)
    if code not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        return None
    return _merge(schedule, piece, read_schedule(planning, solver))


def _only_sooner(
    planning: PlanningModel,
    prepared: Prepared,
    piece: Piece,
    current: Schedule,
    late: PreparedItem,
) -> None:
    """Make the piece's model about ``late`` alone: minimise its lateness, with every item
    that is planned staying planned and none outside its chain ending later than it is late
    now. On a saved plan of generated M (423 points, five tasks late by hours), one step of
    3 s about each task gained 12 and 61 points on two of them with the whole objective, and
    82, 87, 70 and 30 points on four of them this way, in 0.5-3 s: the caps spare CP-SAT
    every trade of one item's lateness for another's. Generated M at 60 s, seeds 10-19, in
    turn with the code before: 1,359 points in all (median 111) against 2,894 (288), better
    in 8 runs; two more rounds of this code the same evening gave 1,759 and 2,135."""
    v, model = planning.variables, planning.model
    chain = set(prepared.ancestors(late)) | {late.index}
    for item in current.placed:
        model.add(v.scheduled[item] == 1)
    own = None
    for term in planning.terms:
        if term.family != "late" or term.item is None:
            continue
        if piece.items[term.item] == late.index:
            own = term
        elif piece.items[term.item] not in chain:
            sub = piece.prepared.items[term.item]
            assert sub.due is not None
            model.add(term.variable <= max(0, current.end(sub) - sub.due))
    if own is not None:
        model.minimize(own.variable)


WALL_GUARD = 100
"""A deterministic run's wall-clock limit, in multiples of its budget. Reaching it changes the
plan, so it only guards against a machine far slower than expected. Measured on the demo with
ten busy processes on 2 cores: one step of 1.0 deterministic unit took up to 27 s, and the
former limit of 20 made two runs with the same seed give different plans."""


def cpsat_solver(seconds: float, workers: int, seed: int, deterministic: bool) -> cp_model.CpSolver:
    """CP-SAT as every engine here runs it. Deterministic: one worker, and the budget in
    CP-SAT's deterministic time (work units of about a second), so runs repeat exactly."""
    solver = cp_model.CpSolver()
    solver.parameters.random_seed = seed
    solver.parameters.cp_model_probing_level = 0  # default probing spends the budget in presolve
    if deterministic:
        solver.parameters.num_workers = 1
        solver.parameters.max_deterministic_time = max(0.1, seconds)
        solver.parameters.max_time_in_seconds = max(1.0, WALL_GUARD * seconds)
    else:
        solver.parameters.num_workers = workers
        solver.parameters.max_time_in_seconds = max(0.1, seconds)
    return solver


def run_cpsat(
    solver: cp_model.CpSolver,
    model: cp_model.CpModel,
    deterministic: bool,
    callback: cp_model.CpSolverSolutionCallback | None = None,
) -> cp_model.CpSolverStatus:
    """``solver.solve``; says so when a deterministic run was cut short by the wall clock
    (its plan may then differ from run to run)."""
    code = solver.solve(model, callback)
    if deterministic and solver.wall_time >= solver.parameters.max_time_in_seconds:
        log.warning(
            "a deterministic CP-SAT run hit its wall-clock guard after %.0f s (the machine is "
            "far slower or busier than expected); the same seed may now give another plan",
            solver.wall_time,
        )
    return code


def _restrict(schedule: Schedule, piece: Piece) -> Schedule:
    """The current plan of the piece, in the piece's indices."""
    tech_map = {t: k for k, t in enumerate(piece.techs)}
    item_map = {i: k for k, i in enumerate(piece.items)}
    return Schedule(
        placed={
            item_map[i]: (tech_map[t], starts)
            for i, (t, starts) in schedule.placed.items()
            if i in item_map
        },
        reserve=[
            (tech_map[t], s, e, reason)
            for t, s, e, reason in schedule.reserve
            if t in tech_map and reason not in KEPT
        ],
    )


def _merge(schedule: Schedule, piece: Piece, result: Schedule) -> Schedule:
    """The whole schedule with the piece's part replaced by ``result``."""
    members, freed = set(piece.techs), set(piece.items)
    placed = {i: v for i, v in schedule.placed.items() if i not in freed}
    placed |= {piece.items[i]: (piece.techs[t], starts) for i, (t, starts) in result.placed.items()}
    reserve = [r for r in schedule.reserve if r[0] not in members or r[3] in KEPT]
    reserve += [(piece.techs[t], s, e, reason) for t, s, e, reason in result.reserve]
    return Schedule(placed=placed, reserve=reserve)

"""Steps of the large neighbourhood search (``solver.lns``)."""

from __future__ import annotations

import dataclasses
import math
import random
from collections.abc import Callable
from typing import Any

import pytest
from conftest import checked_terms, monday_request, monday_team

from models.prepare import Prepared, prepare
from models.records import PreparedItem
from models.scenario import Scenario
from models.units import DAY_MINUTES
from scenarios.generate import generate_scenario
from solver.bound import EarliestFinish, _earliest_times, capacity_by_day
from solver.greedy import best_greedy
from solver.lns import (
    WINDOW_DAYS,
    Step,
    _about_late,
    _about_load,
    _choose_step,
    _solve_piece,
    cut,
)
from solver.objective import busy_minutes
from solver.repair import EVEN_OUT_SECONDS
from solver.schedule import Schedule


@pytest.fixture(scope="module")
def generated_s() -> tuple[Prepared, Schedule]:
    """The benchmark's S (10 technicians, 2 weeks, generator seed 1) and its greedy plan."""
    prepared = prepare(Scenario.model_validate(generate_scenario(10, 2, seed=1)))
    return prepared, best_greedy(prepared).schedule


def _task_after_planned_work(prepared: Prepared, schedule: Schedule) -> PreparedItem:
    """The first planned task whose predecessors are all planned."""
    return next(
        item
        for item in prepared.items
        if item.after
        and item.index in schedule.placed
        and all(b in schedule.placed for b in item.after)
    )


def _in(window: tuple[int, int], intervals: list[tuple[int, int]]) -> bool:
    return any(s < window[1] and window[0] < e for s, e in intervals)


def test_a_step_in_a_window_moves_only_the_work_in_it(
    generated_s: tuple[Prepared, Schedule],
) -> None:
    """The group's work with a part in the window is free, its other work pinned where it
    is; CP-SAT's plan of the piece, put back into the whole plan, leaves all work outside
    the window in place and keeps every hard rule, at no higher cost."""
    prepared, schedule = generated_s
    window = (4 * DAY_MINUTES, 8 * DAY_MINUTES)
    piece = cut(prepared, schedule, Step(techs=[0, 1, 2, 3], window=window))
    assert piece.techs == [0, 1, 2, 3]
    free: set[int] = set()
    pinned: set[int] = set()
    for index, item in zip(piece.items, piece.prepared.items, strict=True):
        (pinned if item.pinned is not None else free).add(index)
        if item.pinned is not None:
            assert item.technician is not None
            tech, starts = schedule.placed[index]
            assert (piece.techs[item.technician], item.pinned) == (tech, starts)
    in_window = {
        i
        for i, (t, _) in schedule.placed.items()
        if t in piece.techs and _in(window, schedule.part_intervals(prepared.items[i]))
    }
    assert free & schedule.placed.keys() == in_window
    assert pinned == {i for i, (t, _) in schedule.placed.items() if t in piece.techs} - in_window

    merged = _solve_piece(prepared, schedule, piece, 2.0, seed=0, workers=1, deterministic=True)
    assert merged is not None
    for index in schedule.placed.keys() - free:
        assert merged.placed[index] == schedule.placed[index]
    assert sum(checked_terms(prepared, merged).values()) <= sum(
        checked_terms(prepared, schedule).values()
    )


def test_a_step_about_a_late_task_frees_its_chain_before_its_due_date(
    generated_s: tuple[Prepared, Schedule],
) -> None:
    """The technicians of the late task's chain come first, then others skilled for it; the
    window opens at most WINDOW_DAYS before the due date (not before the chain may start)
    and closes half a day after the task ends."""
    prepared, schedule = generated_s
    task = _task_after_planned_work(prepared, schedule)
    late = dataclasses.replace(task, due=schedule.end(task) - DAY_MINUTES)
    step = _about_late(prepared, schedule, late, random.Random(0))
    chain = [prepared.items[a] for a in prepared.ancestors(task)] + [task]
    doing = {schedule.placed[c.index][0] for c in chain}
    assert set(step.techs[: len(doing)]) == doing
    assert set(step.techs) == doing | {t for c in chain for t in c.eligible}
    assert step.window is not None
    since, until = step.window
    assert until == schedule.end(task) + DAY_MINUTES // 2
    earliest, due = min(c.earliest for c in chain), schedule.end(task) - DAY_MINUTES
    assert since in {max(earliest, due - days * DAY_MINUTES) for days in WINDOW_DAYS}


def _one_day_two_requests() -> tuple[Prepared, Schedule]:
    """Anna, Monday and Tuesday; two 8 h requests due Monday 16:00, the urgent one (priority
    1) planned on Tuesday, a day late, the minor one (priority 5) on Monday."""
    anna = {"id": "anna", "skills": ["m365"], "hours": {"mon": "08:00-16:00", "tue": "08:00-16:00"}}
    requests = [
        monday_request(name, "m365") | {"priority": priority}
        for name, priority in (("urgent", 1), ("minor", 5))
    ]
    prepared = monday_team([anna], requests, days=2)
    monday, tuesday = (480 + 120 * k for k in range(4)), (1920 + 120 * k for k in range(4))
    return prepared, Schedule(placed={0: (0, tuple(tuesday)), 1: (0, tuple(monday))}, reserve=[])


def test_a_step_about_a_late_item_makes_no_other_item_later() -> None:
    """Putting the urgent request on time would make the minor one late; the whole objective
    pays for that trade, but a step about the urgent request's lateness may not make it."""
    prepared, schedule = _one_day_two_requests()
    urgent, minor = prepared.items
    step = _about_late(prepared, schedule, urgent, random.Random(0))
    assert step.late == urgent
    piece = cut(prepared, schedule, step)

    def solved(late: PreparedItem | None) -> Schedule:
        merged = _solve_piece(prepared, schedule, piece, 2.0, 0, 1, deterministic=True, late=late)
        assert merged is not None
        return merged

    about_urgent = solved(late=urgent)
    assert about_urgent.end(minor) <= minor.due
    assert about_urgent.end(urgent) == schedule.end(urgent)
    assert solved(late=None).end(urgent) <= urgent.due, "the trade no longer pays"


def test_a_step_about_a_late_task_keeps_all_work_and_no_other_item_gets_later(
    generated_s: tuple[Prepared, Schedule],
) -> None:
    """On the generated S's greedy plan with a task made a day late: everything planned stays
    planned, no item outside the task's chain ends later past its due date, the task ends no
    later, and the plan is checked."""
    prepared, schedule = generated_s
    task = _task_after_planned_work(prepared, schedule)
    items = list(prepared.items)
    items[task.index] = task = dataclasses.replace(task, due=schedule.end(task) - DAY_MINUTES)
    late_task = dataclasses.replace(prepared, items=items)
    piece = cut(late_task, schedule, _about_late(late_task, schedule, task, random.Random(0)))
    merged = _solve_piece(late_task, schedule, piece, 2.0, 0, 1, deterministic=True, late=task)
    assert merged is not None
    assert merged.placed.keys() == schedule.placed.keys()
    chain = late_task.ancestors(task) | {task.index}

    def late(plan: Schedule, item: PreparedItem) -> int:
        return 0 if item.due is None else max(0, plan.end(item) - item.due)

    for item in items:
        if item.index in schedule.placed and item.index not in chain:
            assert late(merged, item) <= late(schedule, item), item.id
    assert merged.end(task) <= schedule.end(task)
    checked_terms(late_task, merged)


def test_the_earliest_finish_of_a_chain_is_that_of_the_whole_relaxation(
    generated_s: tuple[Prepared, Schedule],
) -> None:
    """Worked out chain by chain, on demand, each item's earliest finish is the one the lower
    bound finds for all items at once."""
    prepared, _ = generated_s
    schedulable = {item.index for item in prepared.items if item.eligible}
    _, whole = _earliest_times(prepared, schedulable, capacity_by_day(prepared))
    floor = EarliestFinish(prepared)
    assert {item.index: floor(item) for item in reversed(prepared.items)} == {
        item.index: whole.get(item.index, math.inf) for item in prepared.items
    }


def test_no_step_is_about_late_work_that_ends_as_early_as_it_can(
    generated_s: tuple[Prepared, Schedule],
) -> None:
    """Once nothing is left out, most steps are about a late task, but not one that ends at
    the earliest it could in any plan: moving it gains nothing."""
    prepared, schedule = generated_s
    items = [  # nothing left out: the greedy's left-out work may go to nobody
        item if item.index in schedule.placed else dataclasses.replace(item, eligible=())
        for item in prepared.items
    ]
    task = next(item for item in items if item.after and item.index in schedule.placed)
    items[task.index] = dataclasses.replace(task, due=schedule.end(task) - DAY_MINUTES)
    alone = dataclasses.replace(prepared, items=items)

    def about_late(floor: Callable[[PreparedItem], float]) -> int:
        steps = [_choose_step(alone, schedule, random.Random(k), floor) for k in range(40)]
        return sum(step.window is not None for step in steps)

    assert about_late(lambda item: schedule.end(item)) == 0
    assert about_late(lambda item: schedule.end(item) - 1) > 20


def test_a_step_about_the_load_starts_with_the_busiest_and_the_least_busy(
    generated_s: tuple[Prepared, Schedule],
) -> None:
    """By share of capacity, as the load spread counts it; then every other technician."""
    prepared, schedule = generated_s
    busy = busy_minutes(prepared, schedule)
    share = [100 * busy[t.index] // prepared.capacity(t) for t in prepared.technicians]
    step = _about_load(prepared, schedule, random.Random(0))
    assert share[step.techs[0]] == max(share)
    assert share[step.techs[1]] == min(share)
    assert sorted(step.techs) == list(range(len(prepared.technicians)))
    assert step.window is None


def _anna_does_both() -> tuple[Prepared, Schedule]:
    """Anna and Ben, a Monday; Anna does both 4 h requests, 08:00-12:00 and 12:00-16:00."""
    team = [{"id": name, "skills": ["m365"]} for name in ("anna", "ben")]
    requests = [monday_request(name, "m365", effort="4h") for name in ("first", "second")]
    schedule = Schedule(placed={0: (0, (480, 600)), 1: (0, (720, 840))}, reserve=[])
    return monday_team(team, requests), schedule


def test_a_step_at_fixed_times_gives_work_to_a_free_technician_at_the_same_time() -> None:
    """Anna does both 4 h requests of a Monday, Ben nothing. A step about the load at fixed
    times may only change who does the work: Ben takes one request at the very same time,
    and the spread of 100 points goes."""
    prepared, schedule = _anna_does_both()
    assert checked_terms(prepared, schedule)["balance"] == 100
    step = dataclasses.replace(_about_load(prepared, schedule, random.Random(0)), fixed_times=True)
    piece = cut(prepared, schedule, step)
    merged = _solve_piece(prepared, schedule, piece, 2.0, 0, 1, deterministic=True)
    assert merged is not None
    assert {i: starts for i, (_, starts) in merged.placed.items()} == {
        i: starts for i, (_, starts) in schedule.placed.items()
    }
    assert checked_terms(prepared, merged)["balance"] == 0


def test_in_a_replan_a_step_at_fixed_times_pays_for_changing_a_technician() -> None:
    """The same Monday as a replan whose previous plan had Anna do both: at 1,000 points a
    change, handing one request to Ben costs more than the spread saves."""
    prepared, schedule = _anna_does_both()
    weights = prepared.scenario.weights.model_copy(update={"change": 1000})
    replan = dataclasses.replace(
        prepared,
        scenario=prepared.scenario.model_copy(update={"weights": weights}),
        previous=dict(schedule.placed),
    )
    step = dataclasses.replace(_about_load(replan, schedule, random.Random(0)), fixed_times=True)
    merged = _solve_piece(replan, schedule, cut(replan, schedule, step), 2.0, 0, 1, True)
    assert merged is not None
    assert merged.placed == schedule.placed


def test_a_step_at_fixed_times_keeps_every_item_where_it_is_in_time(
    generated_s: tuple[Prepared, Schedule],
) -> None:
    """On the generated S's greedy plan: the work of the step's technicians stays planned, at
    its times, and the plan is checked, whoever does it now."""
    prepared, schedule = generated_s
    step = Step(techs=[0, 1, 2, 3, 4, 5, 6, 7], fixed_times=True)
    piece = cut(prepared, schedule, step)
    assert piece.techs == step.techs
    merged = _solve_piece(prepared, schedule, piece, 2.0, 0, 1, deterministic=True)
    assert merged is not None
    assert merged.placed.keys() == schedule.placed.keys()
    for i, (tech, starts) in merged.placed.items():
        assert starts == schedule.placed[i][1], prepared.items[i].id
        assert tech in prepared.items[i].eligible
    checked_terms(prepared, merged)


def test_the_last_passes_may_take_their_time_to_even_out_the_load(
    generated_s: tuple[Prepared, Schedule], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The passes of a wall-clock run cap ``even_out_load`` so that the search gets time for
    late items, but not the last ones: the load spread needs their moves."""
    import solver.solve as solve_module

    prepared, _ = generated_s
    caps: list[float] = []
    polish = solve_module.polish

    def recording(*args: Any, **kwargs: Any) -> Schedule:
        caps.append(kwargs.get("even_out_seconds", math.inf))
        return polish(*args, **kwargs)

    monkeypatch.setattr(solve_module, "polish", recording)
    result = solve_module.solve(prepared, solve_module.SolveParams(time_limit=3, seed=0))
    assert result.violations == []
    assert caps[-1] == math.inf
    assert set(caps[:-1]) == {EVEN_OUT_SECONDS}

"""The planner: every plan passes the checker, and CP-SAT's objective is the recomputed one."""

from __future__ import annotations

import itertools
import math
from datetime import datetime
from pathlib import Path

import pytest
from conftest import checked_terms, monday_request, monday_team

from models.io import load_scenario
from models.plan import RESERVE_REASON
from models.prepare import prepare
from solver.solve import PlanResult, SolveParams, solve

SCENARIOS = Path(__file__).resolve().parents[1] / "scenarios"
TINY = sorted((SCENARIOS / "tiny").glob("*.yaml"))


def _unscheduled_priorities(prepared, plan) -> dict[int, int]:
    found: dict[int, int] = {}
    for entry in plan.unscheduled:
        item = prepared.items[prepared.item_index[entry.item]]
        found[item.priority] = found.get(item.priority, 0) + 1
    return found


@pytest.mark.parametrize("path", TINY, ids=lambda p: p.stem)
@pytest.mark.parametrize("method", ["greedy", "cpsat"])
def test_tiny_scenarios_give_checked_plans(path: Path, method: str) -> None:
    prepared = prepare(load_scenario(path))
    result = solve(prepared, SolveParams(time_limit=5, method=method, workers=2))
    assert result.violations == []
    assert result.status in ("optimal", "feasible")
    assert {a.item for a in result.plan.assignments}.isdisjoint(
        u.item for u in result.plan.unscheduled
    )
    if method == "cpsat" and result.solver_objective is not None:
        assert result.solver_objective == pytest.approx(result.objective, abs=1e-6)


@pytest.mark.parametrize("path", TINY, ids=lambda p: p.stem)
def test_cpsat_is_never_worse_than_greedy(path: Path) -> None:
    prepared = prepare(load_scenario(path))
    greedy = solve(prepared, SolveParams(method="greedy"))
    cpsat = solve(prepared, SolveParams(time_limit=5, workers=2))
    assert cpsat.objective <= greedy.objective + 1e-6
    assert cpsat.best_bound is not None
    assert cpsat.best_bound <= cpsat.objective + 1e-6


def test_demo_solves_to_a_checked_plan() -> None:
    prepared = prepare(load_scenario(SCENARIOS / "demo.yaml"))
    result = solve(prepared, SolveParams(time_limit=10, workers=2))
    assert result.violations == []
    assert result.solver_objective == pytest.approx(result.objective, abs=1e-6)
    assert result.objective <= solve(prepared, SolveParams(method="greedy")).objective + 1e-6


def test_overload_leaves_lower_priority_work_out() -> None:
    prepared = prepare(load_scenario(SCENARIOS / "tiny" / "overload.yaml"))
    result = solve(prepared, SolveParams(time_limit=5, workers=2))
    left_out = _unscheduled_priorities(prepared, result.plan)
    assert left_out, "the overload scenario must leave work out"
    assert left_out.get(1, 0) == 0
    assert max(left_out) >= 4


def test_an_overloaded_team_has_a_lower_bound_below_its_plan() -> None:
    """Generated S with 20 % more work than the team can carry (the benchmark's S+): work
    is left out, the plan is checked, and the lower bound is above 0 and below the plan."""
    from models.scenario import Scenario
    from scenarios.generate import generate_scenario

    prepared = prepare(Scenario.model_validate(generate_scenario(10, 2, seed=1, load=1.2)))
    result = solve(prepared, SolveParams(time_limit=5, workers=2))
    assert result.violations == []
    assert result.plan.unscheduled
    assert result.best_bound is not None
    assert 0 < result.best_bound <= result.objective


@pytest.mark.parametrize(
    ("name", "words"),
    [("no_skill", "no technician has skill"), ("no_window", "has no maintenance window")],
)
def test_unscheduled_items_carry_a_reason(name: str, words: str) -> None:
    prepared = prepare(load_scenario(SCENARIOS / "tiny" / f"{name}.yaml"))
    result = solve(prepared, SolveParams(time_limit=5, workers=2))
    reasons = [entry.reason for entry in result.plan.unscheduled]
    assert any(words in reason for reason in reasons), reasons


@pytest.mark.parametrize(
    ("placed", "left_out", "words"),
    [
        ("routine", "urgent", "no room for its 8 h: technicians with network are fully booked "
         "between Mon 2026-03-02 08:00 and Mon 2026-03-02 16:00 (due) or later, 8 h of that "
         "time with lower-priority work"),
        ("urgent", "routine", "capacity taken by work of the same or higher priority"),
    ],
)
def test_a_capacity_reason_names_lower_priority_work_in_the_way(
    placed: str, left_out: str, words: str
) -> None:
    """One technician, one Monday, two 8 h requests: whichever is left out, its reason says
    whether lower-priority work holds the time (a planner may swap it out) or not."""
    from solver.reasons import unscheduled_reasons
    from solver.schedule import Schedule

    prepared = monday_team(
        [{"id": "ana", "name": "Ana", "skills": ["network"]}],
        [
            {**monday_request("urgent", "network"), "priority": 1},
            {**monday_request("routine", "network"), "priority": 4},
        ],
    )
    items = {item.id: item for item in prepared.items}
    eight = prepared.minute(datetime(2026, 3, 2, 8))
    starts = itertools.accumulate(items[placed].parts[:-1], initial=eight)
    schedule = Schedule(placed={items[placed].index: (0, tuple(starts))})
    assert words in unscheduled_reasons(prepared, schedule)[items[left_out].index]


def test_a_task_the_reserve_leaves_no_time_for_is_too_late_not_short_of_capacity() -> None:
    """One technician, one Monday of 8 h, a 25 % reserve: 6 h of work. The first task takes
    4 h until noon; the 4 h after it still fit into the clock hours until 16:00, but not into
    the 2 h the reserve leaves. Its reason says it comes too late (before: "capacity taken by
    higher-priority work", though nothing else was planned)."""
    from solver.reasons import unscheduled_reasons
    from solver.schedule import Schedule

    prepared = monday_team(
        [{"id": "ana", "name": "Ana", "skills": ["network"]}],
        [],
        [
            {
                "id": "swap", "name": "Switch swap", "customer": "keller",
                "earliest": "2026-03-02", "target": "2026-03-02",
                "tasks": [
                    {"id": "prepare", "effort": "4h", "skills": ["network"]},
                    {"id": "switch", "effort": "4h", "skills": ["network"], "after": ["prepare"]},
                ],
            }
        ],
        buffer={"policy": "percent", "percent": 25},
    )
    items = {item.id: item for item in prepared.items}
    morning = tuple(prepared.minute(datetime(2026, 3, 2, hour)) for hour in (8, 10))
    schedule = Schedule(placed={items["prepare"].index: (0, morning)})
    assert unscheduled_reasons(prepared, schedule) == {
        items["switch"].index: "its predecessors end Mon 2026-03-02 12:00, too late for 4 h of "
        "work before the end of the horizon"
    }


def test_a_request_received_too_late_for_its_effort_says_so() -> None:
    """Received at 14:00 on the horizon's last day with 4 h of work, two hours before Ana's
    day ends: its reason says so (before: "capacity taken", with nothing else planned)."""
    from solver.reasons import unscheduled_reasons
    from solver.schedule import Schedule

    prepared = monday_team(
        [{"id": "ana", "skills": ["network"]}], [monday_request("late", "network", "4h", "14:00")]
    )
    assert unscheduled_reasons(prepared, Schedule()) == {
        0: "from Mon 2026-03-02 14:00 on, 4 h of work no longer fit before the end of the horizon"
    }


def test_a_capacity_reason_past_the_due_date_names_the_horizon_end() -> None:
    """The project was due Monday; its first task ends Tuesday noon and Ana's afternoon is
    taken. The window its reason names runs to the end of the horizon (before: "between Tue
    12:00 and end of Mon (due)", a window that ends before it starts)."""
    from solver.reasons import unscheduled_reasons
    from solver.schedule import Schedule

    prepared = monday_team(
        [{"id": "ana", "skills": ["network"], "hours": {"tue": "08:00-16:00"}}],
        [{**monday_request("other", "network", "4h"), "due": "2026-03-03T16:00"}],
        [
            {
                "id": "swap", "name": "Switch swap", "customer": "keller",
                "earliest": "2026-03-02", "target": "2026-03-02",
                "tasks": [
                    {"id": "prepare", "effort": "4h", "skills": ["network"]},
                    {"id": "switch", "effort": "4h", "skills": ["network"], "after": ["prepare"]},
                ],
            }
        ],
        days=2,
    )
    items = {item.id: item for item in prepared.items}
    at = {hour: prepared.minute(datetime(2026, 3, 3, hour)) for hour in (8, 10, 12, 14)}
    schedule = Schedule(
        placed={
            items["prepare"].index: (0, (at[8], at[10])),
            items["other"].index: (0, (at[12], at[14])),
        }
    )
    assert unscheduled_reasons(prepared, schedule)[items["switch"].index].endswith(
        "fully booked between Tue 2026-03-03 12:00 and the end of the horizon"
    )


@pytest.mark.parametrize("path", TINY, ids=lambda p: p.stem)
def test_cpsat_objective_is_the_recomputed_objective(path: Path) -> None:
    """The model's own objective value equals the checker's for the schedule it returns."""
    from ortools.sat.python import cp_model

    from models.check import evaluate
    from solver.builder import add_hint, build, read_schedule
    from solver.greedy import greedy
    from solver.penalties import SCALE
    from solver.solve import to_plan

    prepared = prepare(load_scenario(path))
    planning = build(prepared)
    add_hint(planning, greedy(prepared))
    solver = cp_model.CpSolver()
    solver.parameters.max_time_in_seconds = 5
    solver.parameters.num_workers = 2
    assert solver.solve(planning.model) in (cp_model.OPTIMAL, cp_model.FEASIBLE)
    plan = to_plan(
        prepared, read_schedule(planning, solver), status="feasible", method="cpsat", seconds=0
    )
    evaluation = evaluate(prepared, plan)
    assert evaluation.violations == []
    assert solver.objective_value / SCALE == pytest.approx(evaluation.objective, abs=1e-6)


def test_forecast_reserve_follows_erlang_c() -> None:
    """Each hour keeps as many technicians free as Erlang C asks for, and the checker agrees."""
    from models.forecast import elapsed_minutes, hourly_arrivals
    from solver.queueing import Queue, required_agents

    prepared = prepare(load_scenario(SCENARIOS / "tiny" / "forecast.yaml"))
    incidents = prepared.scenario.incidents
    assert incidents is not None
    result = solve(prepared, SolveParams(time_limit=5, workers=2))
    assert result.violations == []
    profile = result.plan.reserve_profile
    assert profile, "a forecast buffer must give a reserve profile"
    for period in profile:
        local = period.start.astimezone(prepared.zone)
        per_hour = hourly_arrivals(
            incidents, local.weekday(), prepared.is_working_day(local.date())
        )
        queue = Queue(per_minute=per_hour[local.hour] / 60, handling=45)
        needed = max(required_agents(queue, target, 0.9).raw for target in (30, 120))
        present = sum(
            any(
                s <= prepared.minute(period.start) and prepared.minute(period.end) <= e
                for s, e in tech.available
            )
            for tech in prepared.technicians
        )
        assert period.technicians == min(needed, present)
    assert elapsed_minutes(incidents.handling.mean) == 45


def test_a_higher_service_level_keeps_more_technicians_free() -> None:
    base = load_scenario(SCENARIOS / "tiny" / "forecast.yaml")
    kept = []
    for level in (0.5, 0.9, 0.99):
        buffer = base.buffer.model_copy(update={"service_level": level})  # type: ignore[union-attr]
        plan = solve(base.model_copy(update={"buffer": buffer}), SolveParams(method="greedy")).plan
        kept.append(sum(period.technicians for period in plan.reserve_profile))
    assert kept == sorted(kept)
    assert kept[0] < kept[-1]


@pytest.mark.parametrize(("technicians", "weeks"), [(10, 2), (50, 4)], ids=["S", "M"])
def test_tight_chains_first_leave_less_work_out(technicians: int, weeks: int) -> None:
    """By priority alone, middling-priority project chains get what more important work left,
    and their last tasks no longer fit before the horizon ends; tight chains first leave less
    out (generated S and M of the benchmark), and both plans pass the checker."""
    from models.check import evaluate
    from models.scenario import Scenario
    from scenarios.generate import generate_scenario
    from solver.greedy import greedy
    from solver.solve import to_plan

    scenario = Scenario.model_validate(generate_scenario(technicians, weeks, seed=1))
    prepared = prepare(scenario)
    left_out = {}
    for tight in (None, 0.15):
        schedule = greedy(prepared, by_slack=True, spare_rare=True, tight=tight)
        plan = to_plan(prepared, schedule, status="feasible", method="greedy", seconds=0)
        evaluation = evaluate(prepared, plan)
        assert evaluation.violations == []
        left_out[tight] = evaluation.terms["unscheduled"]
    assert left_out[0.15] < left_out[None]


def test_late_items_move_to_where_they_finish_first() -> None:
    """A late item whose last part sits days after its first gets the earlier room a skilled
    technician has; the plan stays checked and its lateness drops."""
    from models.check import evaluate
    from models.scenario import Scenario
    from scenarios.generate import generate_scenario
    from solver.greedy import greedy
    from solver.moves import state_of
    from solver.objective import schedule_terms
    from solver.repair import advance_late_items
    from solver.solve import to_plan

    prepared = prepare(Scenario.model_validate(generate_scenario(10, 2, seed=1)))
    schedule = greedy(prepared, by_slack=True, spare_rare=True, tight=0.15)
    # make an item late by hand: its last part goes to the latest free place of its technician
    item = next(
        i
        for i in prepared.items
        if i.index in schedule.placed
        and i.due is not None
        and i.due < prepared.horizon_end - 3 * 1440
        and i.fixed is None
        and len(i.parts) > 1
        and not prepared.successors.get(i.index)
        and prepared.technicians[schedule.placed[i.index][0]].max_minutes_per_day is None
    )
    state = state_of(prepared, schedule)
    tech, starts = schedule.placed[item.index]
    last = item.parts[-1]
    state.busy[tech].remove(starts[-1], starts[-1] + last)
    allowed = tuple(prepared.allowed(item, prepared.technicians[tech]))
    moved = state.busy[tech].latest(allowed, last)
    assert moved is not None
    assert moved + last > item.due
    schedule.placed[item.index] = (tech, (*starts[:-1], moved))
    late = schedule_terms(prepared, schedule)["late"]

    advanced = advance_late_items(prepared, schedule)
    assert schedule_terms(prepared, advanced)["late"] < late
    plan = to_plan(prepared, advanced, status="feasible", method="greedy", seconds=0)
    assert evaluate(prepared, plan).violations == []


def _terms_around_making_room(prepared, schedule, **limits) -> tuple[dict, dict]:
    """The checker's terms before and after ``solver.room.make_room`` (both plans checked)."""
    from solver.room import make_room

    before = checked_terms(prepared, schedule)
    return before, checked_terms(prepared, make_room(prepared, schedule, **limits))


def _bound_and_checked_plan(prepared) -> tuple[float, PlanResult]:
    """``solver.bound.lower_bound`` of a small scenario and its plan (5 s, checked)."""
    from solver.bound import lower_bound

    result = solve(prepared, SolveParams(time_limit=5, workers=2))
    assert result.violations == []
    return lower_bound(prepared), result


def test_room_is_made_for_left_out_work() -> None:
    """The greedy leaves project tasks out that fit once the tasks before them and other
    work move (generated S, one greedy rule: 152,000 unscheduled points); making room plans
    some of them, and the plan stays checked with a lower objective."""
    from models.scenario import Scenario
    from scenarios.generate import generate_scenario
    from solver.greedy import greedy

    prepared = prepare(Scenario.model_validate(generate_scenario(10, 2, seed=1)))
    schedule = greedy(prepared, by_slack=True, spare_rare=True, tight=0.15)
    before, after = _terms_around_making_room(prepared, schedule)
    assert after["unscheduled"] < before["unscheduled"]
    assert sum(after.values()) < sum(before.values())


def test_the_polish_passes_report_each_lower_objective() -> None:
    """The passes may take half the time limit; whoever watches the progress sees each
    improvement, and the last one is the polished plan's objective."""
    from models.scenario import Scenario
    from scenarios.generate import generate_scenario
    from solver.greedy import greedy
    from solver.objective import schedule_objective
    from solver.repair import polish

    prepared = prepare(Scenario.model_validate(generate_scenario(10, 2, seed=1)))
    schedule = greedy(prepared, by_slack=True, spare_rare=True, tight=0.15)
    reported: list[float] = []
    polished = polish(prepared, schedule, seconds=2, report=reported.append)
    assert reported, "the passes improved the greedy plan without a report"
    assert reported == sorted(reported, reverse=True)
    assert reported[0] < schedule_objective(prepared, schedule)
    assert reported[-1] == schedule_objective(prepared, polished)


def test_the_search_goes_on_when_the_passes_end_early(monkeypatch: pytest.MonkeyPatch) -> None:
    """The passes end once every item has had its attempts; with time left, the search
    changes the plan again and the passes get new attempts, until the time limit (generated
    S; the passes here end at once, and the search leaves them 40 % of the time)."""
    import solver.solve as engine
    from models.scenario import Scenario
    from scenarios.generate import generate_scenario

    calls: list[str] = []
    search = engine.improve

    def recorded_search(*args, **kwargs):
        calls.append("search")
        return search(*args, **kwargs)

    def passes_ending_at_once(prepared, schedule, **kwargs):
        calls.append("passes")
        return schedule

    monkeypatch.setattr(engine, "improve", recorded_search)
    monkeypatch.setattr(engine, "polish", passes_ending_at_once)
    monkeypatch.setattr(engine, "POLISH_SHARE", 0.4)
    prepared = prepare(Scenario.model_validate(generate_scenario(10, 2, seed=1)))
    result = solve(prepared, SolveParams(time_limit=10, seed=0))
    assert result.violations == []
    assert calls[:2] == ["search", "passes"]
    assert calls[2:4] == ["search", "passes"], "the time after the passes was left unused"


def _two_tasks(name: str, target: str, first: tuple, then: tuple) -> dict:
    """A project for Keller from Monday: two tasks, (id, effort, skill) each, in order."""
    tasks = [
        {"id": task, "name": task, "effort": effort, "skills": [skill]}
        for task, effort, skill in (first, then)
    ]
    tasks[1]["after"] = [first[0]]
    return {
        "id": name, "name": name, "customer": "keller", "earliest": "2026-03-02",
        "target": target, "priority": 3, "tasks": tasks,
    }


@pytest.mark.parametrize("team", [3, 4, 5])
def test_room_is_made_by_passing_work_on(team: int) -> None:
    """One Monday, full-day jobs of equal priority, a chain of ``team`` technicians: the job
    only the first can do is left out, each one's job could go to the next, and the last is
    free. Taking the first one's job out alone does not pay (it would be left out instead);
    passing the jobs on down the chain plans them all. Five technicians take three steps of
    handing over (``solver.aside.HAND_OVER_STEPS``); one step was enough only for three."""
    from solver.greedy_state import GreedyState

    skill = [f"skill{k}" for k in range(team)]
    prepared = monday_team(
        [{"id": f"tech{k}", "skills": skill[k : k + 2]} for k in range(team)],
        [monday_request(f"job{k}", skill[k]) for k in range(team)],
    )
    items = {item.id: item for item in prepared.items}
    state = GreedyState(prepared)
    monday = prepared.days[0].start
    for k in range(team - 1):  # job k+1 on tech k: all full but the last; job0 left out
        state.place(items[f"job{k + 1}"], (k, tuple(monday + 60 * h for h in (8, 10, 12, 14))))
    before, after = _terms_around_making_room(prepared, state.schedule)
    assert before["unscheduled"] > 0
    assert after["unscheduled"] == 0


def test_a_search_for_earliest_parts_is_remembered_for_its_calendar_only() -> None:
    """Ana's Monday, with her 2 h reserve block pending. Her earliest place for a job is
    remembered by her calendar: after another job takes that place the search gives a later
    one, and once it is gone again the first. A search cut short by a finish limit says
    nothing of a later limit, and holding other reserve forgets every search."""
    from solver.greedy import _earliest_parts
    from solver.greedy_reserve import hold_percent_reserve
    from solver.greedy_state import GreedyState

    prepared = monday_team(
        [{"id": "ana", "skills": ["network"]}],
        [monday_request(f"job{k}", "network", "2h") for k in range(2)],
        buffer={"policy": "percent", "percent": 25},
    )
    first, second = prepared.items
    state = GreedyState(prepared)
    hold_percent_reserve(state)
    free = _earliest_parts(state, second, 0, second.earliest)
    assert free is not None
    state.place(first, (0, free))
    taken = _earliest_parts(state, second, 0, second.earliest)
    assert taken is not None
    assert taken[0] >= free[0] + 120
    state.unplace(first)
    assert _earliest_parts(state, second, 0, second.earliest) == free

    state = GreedyState(prepared)
    hold_percent_reserve(state)
    assert _earliest_parts(state, second, 0, second.earliest, finish_by=free[0] + 119) is None
    assert _earliest_parts(state, second, 0, second.earliest) == free
    assert state.known_parts
    (tech, day), blocks = next(iter(state.pending.items()))
    state.hold(tech, day, blocks)
    assert not state.known_parts


def test_a_chain_moved_to_others_lets_its_last_task_push_work_with_a_successor() -> None:
    """The splice (8 h, only Ben) must follow the survey, which sits on Ana's Tuesday
    morning; Ana's Monday is taken by work only she may do, so the survey can end earlier
    only on another technician. Ben's Monday holds urgent work only he may do, and his
    Tuesday morning the patch run, whose report Cem writes in the afternoon; others could do
    the run, too. Only moving the survey to Monday and the run off Ben's Tuesday plans the
    splice (before, work with a successor never made way in this re-planning, and the
    splice stayed out)."""
    from solver.greedy_state import GreedyState

    hours = {day: "08:00-16:00" for day in ("mon", "tue")}
    prepared = monday_team(
        [
            {"id": "ana", "skills": ["net", "payroll"], "hours": hours},
            {"id": "ben", "skills": ["fiber", "net"], "hours": hours},
            {"id": "cem", "skills": ["net"], "hours": hours},
            {"id": "dan", "skills": ["net"], "hours": hours},
        ],
        [
            {**monday_request(job, skill), "due": "2026-03-03T16:00", "priority": 1}
            for job, skill in [("payroll", "payroll"), ("cabling", "fiber")]
        ],
        projects=[
            _two_tasks("link", "2026-03-03", ("survey", "2h", "net"), ("splice", "8h", "fiber")),
            _two_tasks("patch", "2026-03-03", ("run", "4h", "net"), ("report", "2h", "net")),
        ],
        days=2,
    )
    items = {item.id: item for item in prepared.items}
    state = GreedyState(prepared)
    monday, tuesday = (prepared.days[d].start for d in range(2))

    def at(job: str, tech: int, day: int, *hours: int) -> None:
        state.place(items[job], (tech, tuple(day + 60 * h for h in hours)))

    at("payroll", 0, monday, 8, 10, 12, 14)
    at("cabling", 1, monday, 8, 10, 12, 14)
    at("survey", 0, tuesday, 8)
    at("run", 1, tuesday, 8, 10)
    at("report", 2, tuesday, 14)
    before, after = _terms_around_making_room(prepared, state.schedule)
    assert before["unscheduled"] > 0
    assert after["unscheduled"] == 0


def test_a_plan_with_its_reserve_away_from_the_staggered_place_can_be_polished() -> None:
    """Ana's 2 h reserve block belongs near the start of her Monday (the stagger), but the
    plan holds it at 14:00 and has work from 08:00 to 12:00. The hard rules allow it: DESIGN
    asks for the minutes only. The passes keep the plan and place the block where it fits
    (before: "no room for the reserve", the crash seen once on generated M with 20 % more
    work than the team can carry)."""
    from solver.moves import finished, state_of
    from solver.schedule import Schedule

    prepared = monday_team(
        [{"id": "ana", "skills": ["network"]}],
        [monday_request(f"job{k}", "network", "2h") for k in range(2)],
        buffer={"policy": "percent", "percent": 25},
    )
    at = {hour: prepared.minute(datetime(2026, 3, 2, hour)) for hour in (8, 10, 14, 16)}
    schedule = Schedule(
        placed={0: (0, (at[8],)), 1: (0, (at[10],))},
        reserve=[(0, at[14], at[16], RESERVE_REASON)],
    )
    polished = finished(state_of(prepared, schedule))
    assert polished.placed == schedule.placed
    assert checked_terms(prepared, polished)["unscheduled"] == 0


def test_a_recurring_block_gets_its_time_back_from_work_only_its_technician_may_do() -> None:
    """Ana alone may do the 14:00 scan and the urgent job that sits in its time; her day is
    full of jobs Ben could do. The scan gets its time back only if the urgent job, which fits
    nowhere else, takes the place of one of those jobs, and that one goes to Ben (before,
    the job taken out for the scan was handed over only to others, and the scan stayed out)."""
    from solver.greedy_state import GreedyState

    prepared = monday_team(
        [
            {"id": "ana", "skills": ["client", "network"]},
            {"id": "ben", "skills": ["network"]},
        ],
        [
            {**monday_request("urgent", "client", "2h"), "priority": 1},
            *(monday_request(f"job{k}", "network", "2h") for k in range(3)),
        ],
        recurring=[
            {"id": "scan", "rule": "FREQ=WEEKLY;BYDAY=MO", "time": "14:00-16:00",
             "skills": ["client"]},
        ],
    )
    items = {item.id: item for item in prepared.items}
    state = GreedyState(prepared)
    monday = prepared.days[0].start
    for job, hour in [("job0", 8), ("job1", 10), ("job2", 12), ("urgent", 14)]:
        state.place(items[job], (0, (monday + 60 * hour,)))
    before, after = _terms_around_making_room(prepared, state.schedule)
    assert before["unscheduled"] > 0
    assert after["unscheduled"] == 0


@pytest.mark.parametrize("until", [math.inf, 0.0])
def test_handing_over_gives_up_when_the_time_is_up(until: float) -> None:
    """Job 1 must leave tech 0 and fits nowhere: handed over, it takes tech 1's place and
    job 2 goes to the free tech 2. With the passes' time up (``until`` passed), handing over
    gives up at once and leaves the plan as it is, so that a re-planning whose steps branch
    over many technicians cannot run past the time limit."""
    from solver.aside import hand_over
    from solver.greedy_state import GreedyState

    skill = [f"skill{k}" for k in range(3)]
    prepared = monday_team(
        [{"id": f"tech{k}", "skills": skill[k : k + 2]} for k in range(3)],
        [monday_request(f"job{k}", skill[k]) for k in range(3)],
    )
    items = {item.id: item for item in prepared.items}
    state = GreedyState(prepared)
    day = tuple(prepared.days[0].start + 60 * h for h in (8, 10, 12, 14))
    state.place(items["job0"], (0, day))
    state.place(items["job2"], (1, day))
    before = dict(state.schedule.placed)

    moved = hand_over(state, items["job1"], {0}, {items["job0"].index}, until)

    if until == math.inf:
        assert set(moved) == {items["job2"].index}
        assert state.schedule.placed[items["job1"].index][0] == 1
        assert state.schedule.placed[items["job2"].index][0] == 2
    else:
        assert moved == {}
        assert state.schedule.placed == before


def test_work_passed_on_keeps_its_predecessor() -> None:
    """The payroll run (12:00-16:00, only Ana) is left out; Ana's afternoon holds the switch
    swap, whose preparation Ben did in the morning. The swap may go to Ben's afternoon if
    Ben's mail job goes to Cem; the preparation must stay where it is for that (taken out
    with Ben's other work, the swap could not be placed after it)."""
    from solver.greedy_state import GreedyState

    prepared = monday_team(
        [
            {"id": "ana", "skills": ["datev", "network"]},
            {"id": "ben", "skills": ["network", "m365"]},
            {"id": "cem", "skills": ["m365"]},
        ],
        [
            monday_request("payroll", "datev", "4h", "12:00"),
            monday_request("mail", "m365", "4h", "12:00"),
        ],
        [
            _two_tasks(
                "swap", "2026-03-02", ("prepare", "4h", "network"), ("switch", "4h", "network")
            )
        ],
    )
    items = {item.id: item for item in prepared.items}
    state = GreedyState(prepared)
    morning, afternoon = (
        tuple(prepared.days[0].start + 60 * h for h in hours) for hours in ((8, 10), (12, 14))
    )
    ana, ben = (prepared.technician_index[name] for name in ("ana", "ben"))
    state.place(items["prepare"], (ben, morning))
    state.place(items["switch"], (ana, afternoon))
    state.place(items["mail"], (ben, afternoon))
    before, after = _terms_around_making_room(prepared, state.schedule)
    assert before["unscheduled"] > 0
    assert after["unscheduled"] == 0


def test_a_chain_moves_to_a_technician_who_is_there() -> None:
    """The cabling is planned on Ana's Tuesday, as she is on vacation on Monday, so the phone
    sets after it (8 h, only Cleo) no longer fit and are left out. Ben could do the
    cabling on Monday if his Monday job, which Ana may do too, went to Ana's Tuesday. Moving
    the chain on its technicians, or re-planning around Cleo and Ana, cannot do it; moving
    the cabling to Ben can (before: the phones stayed out)."""
    from solver.greedy_state import GreedyState

    hours = {"mon": "08:00-16:00", "tue": "08:00-16:00"}
    prepared = monday_team(
        [
            {
                "id": "ana", "skills": ["network"], "hours": hours,
                "absences": [{"start": "2026-03-02", "end": "2026-03-02", "reason": "vacation"}],
            },
            {"id": "ben", "skills": ["network"], "hours": hours},
            {"id": "cleo", "skills": ["voip"], "hours": hours},
        ],
        [monday_request("job", "network") | {"due": "2026-03-03T16:00"}],
        [_two_tasks("phones", "2026-03-03", ("cabling", "8h", "network"), ("sets", "8h", "voip"))],
        days=2,
    )
    items = {item.id: item for item in prepared.items}
    ana, ben = (prepared.technician_index[name] for name in ("ana", "ben"))
    monday, tuesday = (
        tuple(day.start + 60 * h for h in (8, 10, 12, 14)) for day in prepared.days[:2]
    )
    state = GreedyState(prepared)
    state.place(items["cabling"], (ana, tuesday))
    state.place(items["job"], (ben, monday))
    before, after = _terms_around_making_room(prepared, state.schedule)
    assert before["unscheduled"] > 0
    assert after["unscheduled"] == 0
    assert sum(after.values()) < sum(before.values())


def test_late_items_take_turns_in_making_room() -> None:
    """Two jobs due Monday are done on Tuesday. The fibre job (priority 2) comes first, but
    nothing can move it earlier: every technician who could take it has a Monday full of
    priority-1 work. The backup job (priority 3, only Dan) moves to Monday once Dan's printer
    job goes to Eve, its first attempt. With three attempts in all, the backup job once never
    got its turn: the fibre job used them."""
    from solver.greedy_state import GreedyState

    hours = {"mon": "08:00-16:00", "tue": "08:00-16:00"}
    network = [f"net{k}" for k in range(4)]
    prepared = monday_team(
        [{"id": name, "skills": ["network"], "hours": hours} for name in network]
        + [
            {"id": "dan", "skills": ["backup", "printer"], "hours": hours},
            {"id": "eve", "skills": ["printer"], "hours": hours},
        ],
        [{**monday_request(f"urgent{k}", "network"), "priority": 1} for k in range(4)]
        + [
            {**monday_request("fibre", "network"), "priority": 2},
            monday_request("backup", "backup"),
            monday_request("printer", "printer"),
        ],
        days=2,
    )
    items = {item.id: item for item in prepared.items}
    state = GreedyState(prepared)
    monday, tuesday = (
        tuple(day.start + 60 * h for h in (8, 10, 12, 14)) for day in prepared.days[:2]
    )
    tech = prepared.technician_index
    for k in range(4):
        state.place(items[f"urgent{k}"], (tech[network[k]], monday))
    state.place(items["fibre"], (tech["net0"], tuesday))
    state.place(items["printer"], (tech["dan"], monday))
    state.place(items["backup"], (tech["dan"], tuesday))
    a_day_late = {name: 50 * items[name].weight for name in ("fibre", "backup")}
    before, after = _terms_around_making_room(prepared, state.schedule, tries=3)
    assert before["late"] == pytest.approx(sum(a_day_late.values()))
    assert after["late"] == pytest.approx(a_day_late["fibre"])


def test_left_out_items_take_turns_in_making_room() -> None:
    """Two jobs are left out of one Monday. The fibre job (priority 2) comes first, but every
    technician who could take it has a Monday full of priority-1 work, so none of its 17
    attempts can plan it. The backup job (priority 3, only Dan) fits once Dan's printer job
    goes to Eve, its second attempt. With 14 attempts in all, the fibre job used them all
    and the backup job never got its turn; now each left-out item has 12 a turn."""
    from solver.greedy_state import GreedyState

    network = [f"net{k}" for k in range(4)]
    prepared = monday_team(
        [{"id": name, "skills": ["network"]} for name in network]
        + [{"id": "dan", "skills": ["backup", "printer"]}, {"id": "eve", "skills": ["printer"]}],
        [{**monday_request(f"urgent{k}", "network"), "priority": 1} for k in range(4)]
        + [
            {**monday_request("fibre", "network"), "priority": 2},
            monday_request("backup", "backup"),
            monday_request("printer", "printer"),
        ],
    )
    items = {item.id: item for item in prepared.items}
    monday = tuple(prepared.days[0].start + 60 * h for h in (8, 10, 12, 14))
    tech = prepared.technician_index
    state = GreedyState(prepared)
    for k in range(4):
        state.place(items[f"urgent{k}"], (tech[network[k]], monday))
    state.place(items["printer"], (tech["dan"], monday))
    left_out = {name: 8 * 1000 * items[name].weight for name in ("fibre", "backup")}
    before, after = _terms_around_making_room(prepared, state.schedule, tries=14)
    assert before["unscheduled"] == pytest.approx(sum(left_out.values()))
    assert after["unscheduled"] == pytest.approx(left_out["fibre"])


def test_making_room_tries_the_most_free_technician_first() -> None:
    """A job left out of Monday: Ana, first in the team, has a Monday full of work only she
    can do; Ben's Monday is free. With one attempt, it went to Ana and failed; now Ben, who
    has the most free time, is tried first."""
    from solver.greedy_state import GreedyState

    prepared = monday_team(
        [{"id": "ana", "skills": ["datev", "network"]}, {"id": "ben", "skills": ["network"]}],
        [monday_request("payroll", "datev"), monday_request("job", "network")],
    )
    items = {item.id: item for item in prepared.items}
    monday = tuple(prepared.days[0].start + 60 * h for h in (8, 10, 12, 14))
    state = GreedyState(prepared)
    state.place(items["payroll"], (prepared.technician_index["ana"], monday))
    before, after = _terms_around_making_room(prepared, state.schedule, tries=1)
    assert before["unscheduled"] > 0
    assert after["unscheduled"] == 0


@pytest.mark.parametrize("late", [False, True])
def test_room_is_made_by_moving_a_chain_earlier(late: bool) -> None:
    """The payroll import (only Ana, due Tuesday) is left out (or, with ``late``, planned on
    Wednesday) because the export before it sits on Tuesday: Ana's Monday holds the switch
    swap, which Ben could do, but it has a planned successor (Ben configures on Tuesday),
    so re-planning around the import leaves it where it is. Moving the chain earlier pushes
    the swap aside to Ben's Monday, before its successor, and plans the import on time."""
    from solver.greedy_state import GreedyState

    def project(name: str, skill: str, tasks: tuple[str, str]) -> dict:
        first, then = tasks
        return {
            "id": name, "name": name, "customer": "keller", "earliest": "2026-03-02",
            "target": "2026-03-03", "priority": 3,
            "tasks": [
                {"id": first, "name": first, "effort": "8h", "skills": [skill]},
                {"id": then, "name": then, "effort": "8h", "skills": [skill], "after": [first]},
            ],
        }

    hours = dict.fromkeys(("mon", "tue", "wed"), "08:00-16:00")
    prepared = monday_team(
        [
            {"id": "ana", "skills": ["datev", "network"], "hours": hours},
            {"id": "ben", "skills": ["network"], "hours": hours},
        ],
        [],
        [
            project("payroll", "datev", ("export", "import")),
            project("network", "network", ("swap", "configure")),
        ],
        days=3 if late else 2,
    )
    items = {item.id: item for item in prepared.items}
    state = GreedyState(prepared)
    ana, ben = (prepared.technician_index[name] for name in ("ana", "ben"))
    monday, tuesday, wednesday = (
        tuple(prepared.days[0].start + 1440 * day + 60 * h for h in (8, 10, 12, 14))
        for day in range(3)
    )
    state.place(items["swap"], (ana, monday))
    state.place(items["configure"], (ben, tuesday))
    state.place(items["export"], (ana, tuesday))
    if late:
        state.place(items["import"], (ana, wednesday))
    before, after = _terms_around_making_room(prepared, state.schedule)
    assert before["late" if late else "unscheduled"] > 0
    assert after["late"] == after["unscheduled"] == 0


def test_room_is_made_for_a_recurring_occurrence() -> None:
    """Monday's patch run (13:00-15:00) only Ana can do; the search left her switch job in
    those hours and the patch run out. Ben could take the job: it moves, and the patch run
    is planned at its time."""
    from solver.greedy_state import GreedyState

    prepared = monday_team(
        [
            {"id": "ana", "skills": ["patching", "network"]},
            {"id": "ben", "skills": ["network"]},
        ],
        [monday_request("switch", "network", "4h")],
        recurring=[
            {
                "id": "patch", "name": "Patch run", "rule": "FREQ=WEEKLY;BYDAY=MO",
                "time": "13:00-15:00", "skills": ["patching"],
            }
        ],
    )
    items = {item.id: item for item in prepared.items}
    state = GreedyState(prepared)
    ana = prepared.technician_index["ana"]
    state.place(items["switch"], (ana, tuple(prepared.days[0].start + 60 * h for h in (12, 14))))
    before, after = _terms_around_making_room(prepared, state.schedule)
    assert before["unscheduled"] > 0
    assert after["unscheduled"] == 0


def test_reserve_moves_aside_for_work() -> None:
    """Pia works 08:00-12:00 and keeps 25 % (1 h) free for incidents; the search left the
    block at 09:30, where no 2 h request fits before or after it. The passes may move the
    block within its allowed range (as the greedy may), and the request is planned."""
    from models.plan import RESERVE_REASON
    from models.scenario import Scenario
    from solver.repair import insert_unscheduled
    from solver.schedule import Schedule

    prepared = prepare(
        Scenario.model_validate(
            {
                "name": "A part-timer's morning",
                "timezone": "Europe/Berlin",
                "horizon": {"start": "2026-03-02", "days": 1},
                "skills": ["datev"],
                "technicians": [
                    {"id": "pia", "skills": ["datev"], "hours": {"mon": "08:00-12:00"}}
                ],
                "customers": [{"id": "keller", "name": "Autohaus Keller"}],
                "service_requests": [
                    {
                        "id": "payroll", "name": "Payroll update", "customer": "keller",
                        "skills": ["datev"], "effort": "2h",
                        "received": "2026-03-02T08:00", "due": "2026-03-02T12:00",
                    }
                ],
                "buffer": {"policy": "percent", "percent": 25},
            }
        )
    )
    monday = prepared.days[0].start
    block = (0, monday + 9 * 60 + 30, monday + 10 * 60 + 30, RESERVE_REASON)
    before = checked_terms(prepared, Schedule(reserve=[block]))
    after = checked_terms(prepared, insert_unscheduled(prepared, Schedule(reserve=[block])))
    assert before["unscheduled"] > 0
    assert after["unscheduled"] == 0


def test_load_evens_out_between_technicians() -> None:
    """Work moves from the busiest technicians to the least busy, or is traded for shorter
    work: the load spread drops, nothing else gets worse, and the plan stays checked; with
    no seconds to spend (``at_most``), nothing moves."""
    from models.scenario import Scenario
    from scenarios.generate import generate_scenario
    from solver.greedy import greedy
    from solver.repair import even_out_load

    prepared = prepare(Scenario.model_validate(generate_scenario(10, 2, seed=1)))
    schedule = greedy(prepared, by_slack=False, spare_rare=False, tight=0.2)
    before = checked_terms(prepared, schedule)
    after = checked_terms(prepared, even_out_load(prepared, schedule))
    assert even_out_load(prepared, schedule, at_most=0).placed == schedule.placed
    assert after["balance"] < before["balance"]
    assert after["unscheduled"] <= before["unscheduled"]
    assert sum(after.values()) < sum(before.values())


def test_lower_bound_sees_lateness_when_a_day_is_overbooked() -> None:
    """Three 4 h requests for one technician, all received Monday 08:00 and due Monday
    17:00, against an 8 h Monday: 4 h of work must be done after Monday, so some request is
    at least 4 h late (priority 3: 3 x 50 points a day, 25 points). Our bound says so; the
    plan's bound (CP-SAT proves this one optimal) is at least that, and no more than the
    plan's objective."""
    from models.scenario import Scenario
    from solver.bound import lower_bound

    request = {
        "customer": "keller",
        "received": "2026-03-02T08:00",
        "due": "2026-03-02T17:00",
        "effort": "4h",
        "skills": ["firewall"],
        "priority": 3,
    }
    scenario = Scenario.model_validate(
        {
            "name": "One overbooked Monday",
            "timezone": "Europe/Berlin",
            "horizon": {"start": "2026-03-02", "days": 5},
            "skills": ["firewall"],
            "technicians": [
                {
                    "id": "wim",
                    "skills": ["firewall"],
                    "hours": {d: "08:00-16:00" for d in ("mon", "tue", "wed", "thu", "fri")},
                }
            ],
            "customers": [{"id": "keller", "name": "Autohaus Keller"}],
            "service_requests": [
                {"id": f"sr-{k}", "name": f"Firewall rule {k}", **request} for k in range(3)
            ],
        }
    )
    prepared = prepare(scenario)
    assert lower_bound(prepared) == pytest.approx(25)
    result = solve(prepared, SolveParams(time_limit=5, workers=2))
    assert result.violations == []
    assert result.best_bound is not None
    assert 25 - 1e-6 <= result.best_bound <= result.objective + 1e-6


def test_lower_bound_keeps_the_reserve_off_each_day() -> None:
    """An 8 h request on a one-day horizon, for one technician with 8 h that Monday and a
    25 % buffer: only 6 h can be planned, so the request is certainly left out (priority 3:
    8 h x 3 x 1,000 points). Counting the reserve over the horizon only, the bound saw 2 h
    too many (6,000 points). The plan leaves the request out and its gap is 0."""
    prepared = monday_team(
        [{"id": "wim", "skills": ["firewall"]}],
        [monday_request("sr-1", "firewall")],
        buffer={"policy": "percent", "percent": 25},
    )
    bound, result = _bound_and_checked_plan(prepared)
    assert bound == pytest.approx(24_000)
    assert result.objective == pytest.approx(24_000)
    assert result.gap == pytest.approx(0)


def test_lower_bound_sees_a_request_that_cannot_end_in_time() -> None:
    """An 8 h request received Monday 12:00 and due Monday 16:00, for one technician who
    works 08:00-16:00 on Monday and Tuesday: it ends Tuesday 12:00 at the earliest, 20 h late
    (priority 3: 3 x 50 points a day, 125 points). Monday holds its 8 h, so no count of
    capacity sees it, and the bound was 0. The plan is that late and its gap is 0."""
    hours = {"mon": "08:00-16:00", "tue": "08:00-16:00"}
    prepared = monday_team(
        [{"id": "wim", "skills": ["firewall"], "hours": hours}],
        [monday_request("sr-1", "firewall", received="12:00")],
        days=2,
    )
    bound, result = _bound_and_checked_plan(prepared)
    assert bound == pytest.approx(125)
    assert result.objective == pytest.approx(125)
    assert result.gap == pytest.approx(0)


def test_lower_bound_keeps_customer_windows_for_maintenance() -> None:
    """Two 6 h requests on one Monday for a technician with 8 h of working hours who may
    also work in Keller's evening window (18:00-23:00): the window is time for maintenance
    only, so 4 h of the requests cannot be done (priority 3: 12,000 points). Counting the
    window as time for any work, the bound saw no shortage and was 0. The plan leaves one
    request out (18,000 points)."""
    prepared = monday_team(
        [{"id": "wim", "skills": ["firewall"], "after_hours": True}],
        [monday_request(f"sr-{k}", "firewall", effort="6h") for k in (1, 2)],
        windows=[{"days": ["mon"], "time": "18:00-23:00"}],
    )
    bound, result = _bound_and_checked_plan(prepared)
    assert bound == pytest.approx(12_000)
    assert result.objective == pytest.approx(18_000)
    assert result.best_bound is not None
    assert 12_000 - 1e-6 <= result.best_bound <= result.objective + 1e-6

"""Properties of the planner over random small scenarios, and the demo's missed chances."""

from __future__ import annotations

import dataclasses
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from models.prepare import prepare
from models.scenario import Scenario
from solver.greedy import _earliest_parts
from solver.greedy_state import GreedyState
from solver.solve import SolveParams, solve

SKILLS = ["net", "srv", "m365"]
DAYS = ["mon", "tue", "wed", "thu", "fri"]


@st.composite
def scenarios(draw: st.DrawFn) -> Scenario:
    """A valid small scenario: 1-3 technicians, up to 8 items of every kind, one week."""
    techs = [
        {
            "id": f"t{k}",
            "skills": draw(st.lists(st.sampled_from(SKILLS), max_size=2, unique=True)),
            "hours": {
                d: draw(
                    st.sampled_from(["08:00-16:00", "09:00-12:00", ["08:00-12:00", "13:00-17:00"]])
                )
                for d in draw(st.lists(st.sampled_from(DAYS), min_size=1, max_size=5, unique=True))
            },
            "after_hours": draw(st.booleans()),
            "max_hours_per_day": draw(st.sampled_from([None, 4, 9])),
        }
        for k in range(draw(st.integers(1, 3)))
    ]
    effort = st.sampled_from(["30m", "1h", "2h30m", "5h", "9h"])
    skills = st.lists(st.sampled_from(SKILLS), max_size=1)
    count = draw(st.integers(0, 4))
    tasks = [
        {
            "id": f"task{k}",
            "effort": draw(effort),
            "skills": draw(skills),
            "after": [f"task{k - 1}"] if k and draw(st.booleans()) else [],
        }
        for k in range(count)
    ]
    data = {
        "name": "random",
        "horizon": {"start": "2026-03-23", "days": 7},
        "skills": SKILLS,
        "holidays": {
            "dates": draw(st.lists(st.sampled_from(["2026-03-24", "2026-03-26"]), max_size=1))
        },
        "technicians": techs,
        "customers": [
            {"id": "c", "maintenance_windows": [{"days": ["tue", "sat"], "time": "18:00-23:00"}]}
        ],
        "projects": [
            {"id": "p", "target": "2026-03-26", "priority": draw(st.integers(1, 5)), "tasks": tasks}
        ]
        if tasks
        else [],
        "recurring": [
            {"id": "r", "rule": "FREQ=DAILY", "time": "14:00-15:00", "skills": draw(skills)}
        ]
        if draw(st.booleans())
        else [],
        "maintenance": [
            {
                "id": f"m{k}",
                "customer": "c",
                "effort": draw(effort),
                "skills": draw(skills),
                "in_window": draw(st.booleans()),
                "due": "2026-03-27",
            }
            for k in range(draw(st.integers(0, 2)))
        ],
        "service_requests": [
            {
                "id": f"sr{k}",
                "received": f"2026-03-2{3 + k}T09:10",
                "effort": draw(effort),
                "skills": draw(skills),
                "lead_time": "1d",
                "priority": draw(st.integers(1, 5)),
            }
            for k in range(draw(st.integers(0, 3)))
        ],
        "buffer": draw(
            st.sampled_from(
                [
                    None,
                    {"policy": "percent", "percent": 25},
                    {"policy": "duty", "duty": 1},
                    {"policy": "forecast", "service_level": 0.8},
                ]
            )
        ),
        "incidents": {
            "per_day": draw(st.sampled_from([2, 12])),
            "profile": draw(st.sampled_from(["office", "flat"])),
            "handling": {"mean": "45m"},
            "priorities": [
                {"name": "P1", "share": 0.2, "response": "30m"},
                {"name": "P2", "share": 0.8, "response": "4h"},
            ],
        },
    }
    return Scenario.model_validate(data)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(scenarios())
def test_random_scenarios_give_checked_plans(scenario: Scenario) -> None:
    prepared = prepare(scenario)
    greedy = solve(prepared, SolveParams(method="greedy"))
    assert greedy.violations == []
    result = solve(prepared, SolveParams(time_limit=2, workers=2))
    assert result.violations == []
    assert result.objective <= greedy.objective + 1e-6
    if result.solver_objective is not None:
        assert abs(result.solver_objective - result.objective) < 1e-6
    assert result.best_bound is not None
    assert result.best_bound <= result.objective + 1e-6


def test_demo_leaves_out_nothing_a_free_technician_could_take() -> None:
    """For each unscheduled demo item: no skilled technician has free time for all its parts."""
    from models.io import load_scenario

    prepared = prepare(
        load_scenario(Path(__file__).resolve().parents[1] / "scenarios" / "demo.yaml")
    )
    result = solve(prepared, SolveParams(time_limit=10, workers=2))
    state = GreedyState(prepared)
    index = prepared.technician_index
    placed: dict[str, tuple[int, int]] = {}
    for a in result.plan.assignments:
        start, end = prepared.minute(a.start), prepared.minute(a.end)
        state.occupy(index[a.technician], start, end, work=True)
        placed[a.item] = max(placed.get(a.item, (0, 0)), (end, end))
    for r in result.plan.reserve:
        state.occupy(
            index[r.technician], prepared.minute(r.start), prepared.minute(r.end), work=False
        )
    for entry in result.plan.unscheduled:
        item = prepared.items[prepared.item_index[entry.item]]
        befores = [prepared.items[b].id for b in item.after]
        if any(b not in placed for b in befores):
            continue
        ready = max([item.earliest] + [placed[b][0] for b in befores])
        takers = [
            prepared.technicians[t].id
            for t in item.eligible
            if _earliest_parts(state, item, t, ready) is not None
        ]
        assert not takers, f"{item.id} could have gone to {takers}"


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    hours=st.sampled_from(["08:00-16:00", ["08:00-12:00", "13:00-17:00"]]),
    percent=st.sampled_from([10, 25, 40]),
    busy=st.lists(st.tuples(st.integers(0, 36), st.integers(1, 12)), max_size=6),
    length=st.integers(1, 16),
    anywhere=st.booleans(),
)
def test_the_reserve_check_skips_only_starts_that_leave_no_room(
    hours: str | list[str],
    percent: int,
    busy: list[tuple[int, int]],
    length: int,
    anywhere: bool,
) -> None:
    """``reserve_room_from`` says a start leaves room for the reserve exactly when
    ``leaves_reserve_room`` does, and every later start before the time it gives leaves no
    room either: the search for the earliest start may skip them (``_earliest_parts``).
    Ana's Monday, with work at random times and her percent block at its staggered place or
    (``anywhere``) anywhere in its segment."""
    from solver.greedy_reserve import hold_percent_reserve

    prepared = prepare(
        Scenario.model_validate(
            {
                "name": "reserve room",
                "horizon": {"start": "2026-03-23", "days": 1},
                "skills": ["net"],
                "technicians": [{"id": "ana", "skills": ["net"], "hours": {"mon": hours}}],
                "buffer": {"policy": "percent", "percent": percent},
            }
        )
    )
    slot, morning = prepared.slot, prepared.days[0].start + 8 * 60
    state = GreedyState(prepared)
    hold_percent_reserve(state)
    for at, slots in busy:
        start, end = morning + at * slot, morning + (at + slots) * slot
        if state.busy[0].is_free(start, end):
            state.occupy(0, start, end, work=True)
    if anywhere:
        segments = prepared.technicians[0].available_on(prepared.days[0])
        state.pending = {
            key: [dataclasses.replace(block, domain=tuple(segments)) for block in blocks]
            for key, blocks in state.pending.items()
        }
    span = length * slot
    starts = [
        s for s in range(morning, morning + 40 * slot, slot) if state.busy[0].is_free(s, s + span)
    ]
    for start in starts:
        room_from = state.reserve_room_from(0, start, start + span)
        assert (room_from == start) == state.leaves_reserve_room(0, start, start + span)
        assert room_from >= start
        for later in starts:
            if start < later < room_from:
                assert not state.leaves_reserve_room(0, later, later + span)

"""The greedy's state of a finished schedule, and the moves the polish passes share
(``solver.repair``, ``solver.room``)."""

from __future__ import annotations

import dataclasses

from models.plan import DUTY_REASON, RESERVE_REASON
from models.prepare import Prepared
from models.records import PreparedItem
from solver.greedy import place_flexible
from solver.greedy_reserve import free_crowded_blocks, hold_percent_reserve, place_reserve
from solver.greedy_state import GreedyState
from solver.schedule import Schedule


def state_of(prepared: Prepared, schedule: Schedule) -> GreedyState:
    """The greedy's state of a finished schedule (a copy: placing more changes only it).

    Its percent reserve blocks are pending, as in the greedy: a move may shift one within
    its domain, and ``finished`` places them again. Left where the search put them, a block
    in the middle of a part-timer's four hours leaves no room for a 2 h part that day
    (generated M, 30 deterministic units, seeds 0-3: 7,726 / 7,091 / 4,634 / 9,690 with the
    blocks kept in place, 5,315 / 6,164 / 2,744 / 5,372 with them pending)."""
    state = GreedyState(prepared)
    state.schedule.reserve = list(schedule.reserve)  # their minutes count in the load spread
    for index, placement in schedule.placed.items():
        state.place(prepared.items[index], placement)
    for tech, start, end, reason in schedule.reserve:
        if reason == RESERVE_REASON:
            continue
        if reason == DUTY_REASON:  # duty keeps the whole day free of planned work
            whole = prepared.day_of(start)
            start, end = whole.start, whole.end
        state.occupy(tech, start, end, work=False)
    hold_percent_reserve(state)
    free_crowded_blocks(state)
    return state


def finished(state: GreedyState) -> Schedule:
    """The state's schedule, with its pending reserve blocks placed."""
    if state.pending:
        kept = [r for r in state.schedule.reserve if r[3] != RESERVE_REASON]
        state.schedule.reserve = kept
        place_reserve(state)
    return state.schedule


def movable(state: GreedyState, techs: set[int], since: int) -> list[PreparedItem]:
    """Work of ``techs`` ending after ``since`` that may move (to another technician, or
    later on its own)."""
    prepared, schedule = state.prepared, state.schedule
    theirs = sorted(i for t in techs for i in state.items_of[t])
    return [
        prepared.items[i]
        for i in theirs
        if schedule.end(prepared.items[i]) > since
        and prepared.items[i].fixed is None
        and prepared.items[i].pinned is None
    ]


def place_before_successors(state: GreedyState, item: PreparedItem) -> None:
    """``place_flexible``, ending before the planned successors start."""
    schedule = state.schedule
    starts = [
        schedule.placed[s][1][0]
        for s in state.prepared.successors.get(item.index, ())
        if s in schedule.placed
    ]
    if starts:
        item = dataclasses.replace(item, deadline=min(starts))
    place_flexible(state, item)


def late_items(prepared: Prepared, schedule: Schedule) -> list[PreparedItem]:
    """Flexible items that end after their due date, costliest first."""
    late = {
        item.index: item.weight * (schedule.end(item) - item.due)
        for item in prepared.items
        if item.index in schedule.placed
        and item.due is not None
        and item.fixed is None
        and item.pinned is None
        and schedule.end(item) > item.due
    }
    return [prepared.items[i] for i in sorted(late, key=lambda i: (-late[i], i))]

"""Room for unscheduled and late items: their predecessors and the work in their way are
planned again around them (``make_room``, one of the polish passes of ``solver.repair``)."""

from __future__ import annotations

import dataclasses
import math
import time
from collections.abc import Iterator

from models.prepare import Prepared, PreparedItem
from models.replan import Placement
from solver.greedy import GreedyState, Placements, flexible_order, place_as_before
from solver.moves import finished, late_items, movable, place_before_successors, state_of
from solver.objective import schedule_objective
from solver.schedule import Schedule


def make_room(
    prepared: Prepared,
    schedule: Schedule,
    until: float = math.inf,
    tries: float = math.inf,
    pass_on: bool = True,
) -> Schedule:
    """Plan unscheduled items, then move late ones earlier, by re-planning the work around
    them where that pays, until the clock reaches ``until`` or ``tries`` re-plannings were
    tried.

    A search stopped by its time limit can leave a task out (or late) because the tasks
    before it end too late (their parts spread over days between other work) or because its
    technician's days are full of work that could wait or go to others. For each such item
    and technician who could take it, the item's planned predecessors are placed again first
    (each where it ends first), then the item on that technician; if that is not enough, the
    work on that technician, then also on the predecessors' technicians, is taken out first
    and placed again after them: where it was if still free, else as the greedy would. Work
    with planned successors stays (moving it would push their chain). With ``pass_on``,
    taken-out work that then fits nowhere may take the place of another technician's work
    (``_pass_on``). Kept only if the objective drops.

    Passing on is for the passes at the end of a search, not halfway through it: generated
    M, 30 deterministic units, seeds 0-3: 9,030 / 7,966 / 5,775 / 8,200 without it; with it
    at the end only 7,726 / 7,091 / 4,634 / 9,690; at the end and halfway 7,985 / 9,011 /
    8,212 / 10,798 (the search after the halfway passes then improves less). With reserve
    blocks that shift (``solver.moves.state_of``): 5,315 / 6,164 / 2,744 / 5,372 at the end
    only, 4,225 / 5,075 / 4,394 / 6,411 halfway too.
    """
    state = state_of(prepared, schedule)
    value = schedule_objective(prepared, state.schedule)
    placed = state.schedule.placed
    for item in _needing_room(prepared, state.schedule):
        chain = [prepared.items[i] for i in sorted(prepared.ancestors(item))]
        if any(a.fixed is not None or a.pinned is not None for a in chain):
            continue
        chain_techs = {placed[a.index][0] for a in chain}
        attempts = [
            (tech, evict_from)
            for tech in item.eligible
            for evict_from in (set(), {tech}, {tech} | chain_techs)  # ever more moves
        ]
        for tech, evict_from in attempts:
            tries -= 1
            if tries < 0 or time.perf_counter() > until:
                return finished(state)
            found = _replan_around(state, item, tech, chain, evict_from, value, pass_on)
            if found is not None:
                value = found
                break
    return finished(state)


def _needing_room(prepared: Prepared, schedule: Schedule) -> Iterator[PreparedItem]:
    """Unscheduled items whose predecessors are planned, in the greedy's order; then the late
    items, costliest first (as they are once the unscheduled ones had their turn)."""
    for item in flexible_order(prepared):
        if item.index not in schedule.placed and all(b in schedule.placed for b in item.after):
            yield item
    yield from late_items(prepared, schedule)


def _replan_around(
    state: GreedyState,
    item: PreparedItem,
    tech: int,
    chain: list[PreparedItem],
    evict_from: set[int],
    value: float,
    pass_on: bool,
) -> float | None:
    """Re-place ``chain`` (the item's predecessors, in order), the item (unscheduled or late)
    on ``tech``, then the movable work of ``evict_from`` taken out for them (what then fits
    nowhere is passed on: ``_pass_on``); the new objective if it dropped below ``value``,
    else None and the state as it was."""
    prepared, placed = state.prepared, state.schedule.placed
    saved = {item.index: state.unplace(item)} if item.index in placed else {}
    saved |= {a.index: state.unplace(a) for a in chain}
    since = min([item.earliest] + [starts[0] for _, starts in saved.values()])
    evicted = _take_out(state, evict_from, since, keep=set(saved))
    saved |= evicted
    for a in chain:
        place_before_successors(state, a)
    place_before_successors(state, dataclasses.replace(item, eligible=(tech,)))
    for other in _in_order(prepared, evicted):
        _place_again(state, other, evicted[other.index])
        if other.index not in placed and pass_on:
            saved |= _pass_on(state, other, evict_from | {tech}, set(saved))
    if item.index in placed and all(
        _before_successors(prepared, state.schedule, prepared.items[i]) for i in saved
    ):
        found = schedule_objective(prepared, state.schedule)
        if found < value - 1e-9:
            return found
    _undo(state, [item.index, *saved], saved)
    return None


def _pass_on(
    state: GreedyState, item: PreparedItem, busy: set[int], moved: set[int]
) -> Placements:
    """Place ``item``, taken out to make room and with nowhere left to go, on another
    technician (not in ``busy``), by taking out that technician's movable work (not in
    ``moved``) and placing it again after the item; what was taken out, or nothing.

    One step of passing on, not more: generated M, 30 deterministic units, the passes at the
    end of seeds 0 and 1: 9,030 and 7,966 without passing on, 7,726 and 7,091 with one step,
    7,926 and 7,395 with two."""
    prepared, placed = state.prepared, state.schedule.placed
    for tech in item.eligible:
        if tech in busy:
            continue
        saved = _take_out(state, {tech}, item.earliest, keep=moved)
        place_before_successors(state, dataclasses.replace(item, eligible=(tech,)))
        for other in _in_order(prepared, saved):
            _place_again(state, other, saved[other.index])
        if item.index in placed and all(i in placed for i in saved):
            return saved
        _undo(state, [item.index, *saved], saved)
    return {}


def _take_out(
    state: GreedyState, techs: set[int], since: int, keep: set[int]
) -> Placements:
    """Take out the movable work of ``techs`` ending after ``since``, but for ``keep`` and work
    with planned successors (moving it would push their chain); where it was."""
    prepared, placed = state.prepared, state.schedule.placed
    evicted = [
        other
        for other in movable(prepared, state.schedule, techs, since)
        if other.index not in keep
        and not any(s in placed for s in prepared.successors.get(other.index, ()))
    ]
    return {other.index: state.unplace(other) for other in evicted}


def _in_order(prepared: Prepared, saved: Placements) -> list[PreparedItem]:
    """Taken-out work in the order it is placed again (``_order_key``)."""
    return sorted((prepared.items[i] for i in saved), key=_order_key)


def _place_again(state: GreedyState, item: PreparedItem, before: Placement) -> None:
    """Where it was if still free (fewer changes), else as the greedy would."""
    place_as_before(state, item, *before)
    if item.index not in state.schedule.placed:
        place_before_successors(state, item)


def _undo(state: GreedyState, touched: list[int], saved: Placements) -> None:
    """Take out the ``touched`` items that are placed, and put back the ``saved`` ones."""
    for index in touched:
        if index in state.schedule.placed:
            state.unplace(state.prepared.items[index])
    for index, placement in saved.items():
        state.place(state.prepared.items[index], placement)


def _order_key(item: PreparedItem) -> tuple:
    """Work only one technician may do first (the rest can still go elsewhere), then by
    priority and due date."""
    due = math.inf if item.due is None else item.due
    return (len(item.eligible) > 1, item.priority, due, item.index)


def _before_successors(prepared: Prepared, schedule: Schedule, item: PreparedItem) -> bool:
    """Every planned successor of the item starts after it ends (and it is planned)."""
    successors = [s for s in prepared.successors.get(item.index, ()) if s in schedule.placed]
    if item.index not in schedule.placed:
        return not successors
    end = schedule.end(item)
    return all(schedule.placed[s][1][0] >= end for s in successors)

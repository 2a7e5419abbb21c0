"""Work pushed aside to make room and placed again: the steps that ``solver.room``'s
re-plannings share. ``kept_if_better`` keeps a re-planning only where the objective drops."""

from __future__ import annotations

import dataclasses
import math
import time
from collections.abc import Iterable

from models.prepare import Prepared
from models.records import PreparedItem
from models.replan import Placement
from solver.greedy import Placements, place_as_before
from solver.greedy_state import GreedyState
from solver.moves import movable, place_before_successors
from solver.objective import schedule_objective
from solver.schedule import Schedule


def kept_if_better(
    state: GreedyState, item: PreparedItem, saved: Placements, value: float
) -> float | None:
    """The new objective if the item is planned, every moved item still ends before its
    planned successors, and the objective dropped below ``value``; else None, and the
    ``saved`` items back where they were."""
    prepared = state.prepared
    if item.index in state.schedule.placed and all(
        _before_successors(prepared, state.schedule, prepared.items[i]) for i in saved
    ):
        found = schedule_objective(prepared, state.schedule)
        if found < value - 1e-9:
            return found
    undo(state, [item.index, *saved], saved)
    return None


HAND_OVER_STEPS = 3
"""How far work may be handed over: the work an item pushes aside may push aside other
work, up to this many steps (on a saved plan of generated S, a task only one technician may
do needed two)."""


def hand_over(
    state: GreedyState,
    item: PreparedItem,
    busy: set[int],
    moved: set[int],
    until: float = math.inf,
    steps: int = HAND_OVER_STEPS,
) -> Placements:
    """Place ``item``, taken out to make room and with nowhere left to go, on another
    technician (not in ``busy``, not ``moved`` work): that technician's work in its way
    (``make_way``) is placed again after it, and what then fits nowhere is handed over in
    turn, up to ``steps`` steps; what was moved (where it was), or nothing.

    Only the work in the way moves, not all of the technician's work, so that three steps
    stay cheap: on four saved plans of generated M (30 deterministic units) the passes took
    as long and ended at 5,172 / 7,414 / 3,891 / 7,444 points, against 5,491 / 7,428 /
    4,265 / 6,434 with all the work taken out and one step (the same within the spread of
    plans); a saved plan of generated S that left a task out got it in. Taking out all the
    work and two steps was worse than one step (7,926 and 7,395 against 7,726 and 7,091).

    It gives up when the clock (``time.perf_counter``) reaches ``until``: where little fits,
    the steps branch over every skilled technician, and one re-planning of generated M with
    20 % more work than the team can carry took 5.4 s, past the time limit."""
    prepared, placed = state.prepared, state.schedule.placed
    for tech in item.eligible:
        if tech in busy:
            continue
        if time.perf_counter() > until:
            break
        # its predecessors stay: without them it cannot be placed
        saved = make_way(state, item, tech, moved | prepared.ancestors(item))
        if item.index in placed:
            for other in in_order(prepared, saved):  # the list is made first
                place_again(state, other, saved[other.index])
                if other.index not in placed and steps > 1:
                    keep = moved | set(saved) | {item.index}
                    saved |= hand_over(state, other, busy | {tech}, keep, until, steps - 1)
            if all(i in placed for i in saved):
                return saved
        undo(state, [item.index, *saved], saved)
    return {}


def make_way(
    state: GreedyState,
    item: PreparedItem,
    tech: int,
    keep: set[int],
    by: float = math.inf,
    *,
    move_chains: bool = False,
) -> Placements:
    """Place ``item`` on ``tech``, taking out the technician's movable work in its way (not
    in ``keep``) one by one until it fits and ends by ``by``; what was taken out (where it
    was). Work others may do goes first, each earliest first; with ``by`` -inf (as early as
    it can), only that. Work with planned successors stays, unless ``move_chains`` (it is
    placed again before them; in ``hand_over`` too, it lost two of three fixes on saved S
    plans and doubled the passes' time on saved M plans)."""
    prepared, schedule = state.prepared, state.schedule
    if any(b not in schedule.placed for b in item.after):
        return {}
    alone = dataclasses.replace(item, eligible=(tech,))
    ready = schedule.ready(item, prepared.items)
    in_the_way = sorted(
        (
            other
            for other in _in_the_way(state, {tech}, ready, keep, move_chains)
            if by > -math.inf or len(other.eligible) > 1
        ),
        key=lambda other: (len(other.eligible) == 1, schedule.placed[other.index][1][0]),
    )
    saved: Placements = {}
    place_before_successors(state, alone)
    for other in in_the_way:
        end = schedule.end(item) if item.index in schedule.placed else math.inf
        if end <= by and item.index in schedule.placed:
            break
        if schedule.placed[other.index][1][0] >= (end if by == -math.inf else min(end, by)):
            continue  # starts after the item ends (or must end): not in its way
        if item.index in schedule.placed:
            state.unplace(item)
        saved[other.index] = state.unplace(other)
        place_before_successors(state, alone)
    return saved


def take_out(
    state: GreedyState, techs: set[int], since: int, keep: set[int]
) -> Placements:
    """Take out the movable work of ``techs`` (``_in_the_way``); where it was."""
    return {other.index: state.unplace(other) for other in _in_the_way(state, techs, since, keep)}


def _in_the_way(
    state: GreedyState, techs: set[int], since: int, keep: set[int], move_chains: bool = False
) -> list[PreparedItem]:
    """The movable work of ``techs`` ending after ``since``, but for ``keep`` and, unless
    ``move_chains``, work with planned successors (moving it would push their chain)."""
    prepared, schedule = state.prepared, state.schedule
    return [
        other
        for other in movable(state, techs, since)
        if other.index not in keep
        and (move_chains or not _has_planned_successors(prepared, schedule, other))
    ]


def _has_planned_successors(prepared: Prepared, schedule: Schedule, item: PreparedItem) -> bool:
    return any(s in schedule.placed for s in prepared.successors.get(item.index, ()))


def in_order(prepared: Prepared, indices: Iterable[int]) -> list[PreparedItem]:
    """Items in the order they are placed again: by ``_order_key``, each after those of its
    predecessors among them."""
    chosen = set(indices)
    ordered: list[PreparedItem] = []

    def visit(item: PreparedItem) -> None:
        if item.index in chosen:
            chosen.discard(item.index)
            for before in sorted((prepared.items[b] for b in item.after), key=_order_key):
                visit(before)
            ordered.append(item)

    for item in sorted((prepared.items[i] for i in chosen), key=_order_key):
        visit(item)
    return ordered


def place_again(state: GreedyState, item: PreparedItem, before: Placement) -> None:
    """Where it was if still free (fewer changes), else as the greedy would."""
    place_as_before(state, item, *before)
    if item.index not in state.schedule.placed:
        place_before_successors(state, item)


def undo(state: GreedyState, touched: list[int], saved: Placements) -> None:
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

"""A technician's work in a better order: earliest due date first.

Fragmented work ends late. On a 60 s plan of generated M, a 20 h task of one technician was
done in 2 h parts from day 7 to day 24, between jobs due on days 24-26, and ended ten days
after its due date on day 15. The search moves items one at a time and a late item finds no
earlier room, because the room is taken by work that could wait. Re-planning all of a
technician's flexible work on the same technician, in order of when it must end, gives the
urgent work that room: the technician's load stays the same, and every hard rule is kept by
the greedy's placement (``solver.greedy.earliest_parts``).
"""

from __future__ import annotations

import math
import time

from models.prepare import Prepared
from models.records import PreparedItem
from solver.greedy import earliest_parts
from solver.greedy_state import GreedyState
from solver.moves import finished, movable, state_of
from solver.objective import placed_cost
from solver.schedule import Schedule


def resequence(prepared: Prepared, schedule: Schedule, until: float = math.inf) -> Schedule:
    """Each technician's flexible work planned again on it, what must end first first, where
    that costs less; until the clock (``time.perf_counter``) reaches ``until``."""
    state = state_of(prepared, schedule)
    for tech in range(len(prepared.technicians)):
        if time.perf_counter() > until:
            break
        work = movable(prepared, state.schedule, {tech}, since=0)  # all of it
        if len(work) > 1:
            _in_order_of_need(state, tech, work)
    return finished(state)


def _in_order_of_need(state: GreedyState, tech: int, work: list[PreparedItem]) -> None:
    """Re-plan ``work`` on ``tech``, each item as early as it fits, in order of when it must
    end; kept only if every item fits, before its successors elsewhere, and lateness drops."""
    prepared = state.prepared
    mine = {item.index for item in work}
    deadline = {i.index: _successors_start(prepared, state.schedule, i, mine) for i in work}
    old = sum(placed_cost(prepared, state.schedule, item) for item in work)
    before = {item.index: state.unplace(item) for item in work}
    placed: list[PreparedItem] = []
    for item in _ordered(work, deadline, mine):
        ready = state.schedule.ready(item, prepared.items)
        starts = earliest_parts(state, item, tech, ready)
        if starts is None or starts[-1] + item.parts[-1] > deadline[item.index]:
            break
        state.place(item, (tech, starts))
        placed.append(item)
    new = sum(placed_cost(prepared, state.schedule, item) for item in placed)
    if len(placed) == len(work) and new < old - 1e-9:
        return
    for item in placed:
        state.unplace(item)
    for item in work:
        state.place(item, before[item.index])


def _successors_start(
    prepared: Prepared, schedule: Schedule, item: PreparedItem, mine: set[int]
) -> float:
    """The first start of the item's planned successors outside ``mine`` (they stay)."""
    return min(
        (
            schedule.placed[s][1][0]
            for s in prepared.successors.get(item.index, ())
            if s not in mine and s in schedule.placed
        ),
        default=math.inf,
    )


def _ordered(
    work: list[PreparedItem], deadline: dict[int, float], mine: set[int]
) -> list[PreparedItem]:
    """``work`` by when it must end (its due date, or its successors' start if earlier),
    each item after its predecessors in ``mine``."""

    def must_end(item: PreparedItem) -> tuple[float, int, int]:
        due = math.inf if item.due is None else item.due
        return (min(due, deadline[item.index]), -item.weight, item.index)

    pending = sorted(work, key=must_end)
    done: set[int] = set()
    order: list[PreparedItem] = []
    while pending:
        item = next(i for i in pending if all(b in done or b not in mine for b in i.after))
        pending.remove(item)
        done.add(item.index)
        order.append(item)
    return order

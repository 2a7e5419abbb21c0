"""Improvements of a finished schedule, in the greedy's terms: what a search stopped by its
time limit left undone.

Every pass keeps every hard rule the greedy keeps, and a change only where the objective
drops; ``polish`` runs them in turn, and ``solver.solve`` runs it after the search:

- ``insert_unscheduled``: unscheduled items into gaps a skilled technician still has;
- ``make_room`` (``solver.room``): unscheduled and late items, by re-planning their
  predecessors and the work in their way;
- ``advance_late_items``: late items to where they finish first;
- ``even_out_load``: work from the busiest technicians to the least busy.
"""

from __future__ import annotations

import dataclasses
import math
import time
from collections.abc import Callable, Iterator
from functools import partial

from models.prepare import Prepared
from models.records import PreparedItem
from solver.greedy import place_fixed, place_flexible
from solver.greedy_order import flexible_order
from solver.greedy_state import GreedyState
from solver.moves import finished, late_items, movable, place_before_successors, state_of
from solver.objective import (
    busy_minutes,
    capacities,
    placed_cost,
    schedule_objective,
    spread,
)
from solver.room import make_room
from solver.schedule import Schedule

ROOM_TRIES_PER_SECOND = 10
MOVE_TRIES_PER_SECOND = 1000
"""A deterministic run's passes may not look at the clock: they try this many re-plannings
and moves per second of its time limit (generated M: about 15 ms and 0.2 ms each; L, 200
technicians: 0.2 s and 0.5 ms)."""
EVEN_OUT_SECONDS = 3.0
"""The most one ``even_out_load`` may take in clock time. On generated M it took 11-21 s of
a pass for 12-25 points and the passes never ended before the time limit; capped, they do,
and the search gets the rest, with steps about late items (``solver.lns.WINDOW_DAYS``)."""


def polish(
    prepared: Prepared,
    schedule: Schedule,
    until: float = math.inf,
    seconds: float = math.inf,
    pass_on: bool = True,
    report: Callable[[float], None] | None = None,
    even_out_seconds: float = math.inf,
) -> Schedule:
    """All passes, in turn, until the clock (``time.perf_counter``) reaches ``until``, or
    (deterministic runs) for ``seconds`` worth of tries; ``pass_on``: see ``make_room``;
    ``even_out_seconds``: the most clock time ``even_out_load`` may take (``solver.solve``
    gives wall-clock runs ``EVEN_OUT_SECONDS``).
    ``report`` gets the objective whenever it drops (the passes may take half the time
    limit, and a planner watching the progress should see them work)."""
    report = report or (lambda _: None)
    passes: list[Callable[[Schedule], Schedule]] = [
        partial(insert_unscheduled, prepared),
        partial(
            make_room,
            prepared,
            until=until,
            tries=ROOM_TRIES_PER_SECOND * seconds,
            pass_on=pass_on,
            report=report,
        ),
        partial(advance_late_items, prepared, until=until),
        partial(
            even_out_load,
            prepared,
            until=until,
            tries=MOVE_TRIES_PER_SECOND * seconds,
            at_most=even_out_seconds,
        ),
        partial(advance_late_items, prepared, until=until),
    ]
    value = schedule_objective(prepared, schedule)
    for run in passes:
        schedule = run(schedule)
        if (found := schedule_objective(prepared, schedule)) < value:
            value = found
            report(value)
    return schedule


def insert_unscheduled(prepared: Prepared, schedule: Schedule) -> Schedule:
    """Put unscheduled items into the gaps of a finished schedule, where that pays.

    A search stopped by its time limit can leave an item out that a free technician could
    still take; each such item is placed as the greedy would, and kept if the objective drops.
    """
    state = state_of(prepared, schedule)
    value = schedule_objective(prepared, state.schedule)
    for item in flexible_order(prepared) + [i for i in prepared.items if i.fixed is not None]:
        if item.index in state.schedule.placed:
            continue
        (place_fixed if item.fixed is not None else place_flexible)(state, item)
        if item.index not in state.schedule.placed:
            continue
        after = schedule_objective(prepared, state.schedule)
        if after < value:
            value = after
            continue
        state.unplace(item)
    return finished(state)


def advance_late_items(prepared: Prepared, schedule: Schedule, until: float = math.inf) -> Schedule:
    """Move late items to where they finish first, where that pays, until nothing moves or
    the clock (``time.perf_counter``) reaches ``until``.

    A search stopped by its time limit can leave an item's last part days after its first one
    while a skilled technician has room earlier. Each late item, costliest first, is taken
    out and placed again as the greedy would, and kept there if it ends no later (so its
    successors stay after it) and the objective drops (only its own lateness and change and
    the load spread can change, so only they are recomputed: L has thousands of items). One
    item that moves can make room for another, so passes repeat (generated M, 60 s plan:
    lateness 20,258 to 14,204 points in the first pass, 13,493 in the second, 0.1 s in all)."""
    state = state_of(prepared, schedule)
    busy, capacity = busy_minutes(prepared, state.schedule), capacities(prepared)
    balance = prepared.scenario.weights.balance

    def cost(item: PreparedItem) -> float:  # what moving the item changes, and nothing else
        return placed_cost(prepared, state.schedule, item) + balance * spread(capacity, busy)

    moved = True
    while moved:
        moved = False
        for item in late_items(prepared, state.schedule):
            if time.perf_counter() > until:  # on L a pass takes about 1 s and rarely pays
                return finished(state)
            end, old = state.schedule.end(item), cost(item)
            before = state.unplace(item)
            busy[before[0]] -= item.effort
            place_flexible(state, item)
            if item.index in state.schedule.placed:
                tech = state.schedule.placed[item.index][0]
                busy[tech] += item.effort
                if cost(item) < old - 1e-9 and state.schedule.end(item) <= end:
                    moved = True  # and it ends no later, so its successors stay after it
                    continue
                busy[tech] -= item.effort
                state.unplace(item)
            busy[before[0]] += item.effort
            state.place(item, before)
    return finished(state)


def even_out_load(
    prepared: Prepared,
    schedule: Schedule,
    until: float = math.inf,
    tries: float = math.inf,
    at_most: float = math.inf,
) -> Schedule:
    """Move work from the busiest technicians (by share of their capacity) to the less busy,
    or trade it for shorter work of theirs, until no move pays, the clock reaches ``until``,
    ``at_most`` seconds passed or ``tries`` moves were tried (the limit of a deterministic
    run).

    The search sees the load spread only through the technicians of each step; once every
    item is planned, the spread of the whole team is often all that is left. A move keeps
    the order of the items' successors; it is kept if the objective drops, or stays and the
    shares come closer together (the next move may then lower the spread, when several
    technicians share the top)."""
    until = min(until, time.perf_counter() + at_most)
    state = state_of(prepared, schedule)
    busy, capacity = busy_minutes(prepared, state.schedule), capacities(prepared)
    balance = prepared.scenario.weights.balance
    if not balance:
        return finished(state)

    def score(items: list[PreparedItem]) -> tuple[float, float]:
        """What the move changes: the items' own cost and the spread; then how far apart
        the shares are (the variance of busy / capacity)."""
        shares = [b / c for b, c in zip(busy, capacity, strict=True) if c > 0]
        mean = sum(shares) / len(shares)
        own = sum(placed_cost(prepared, state.schedule, item) for item in items)
        return own + balance * spread(capacity, busy), sum((x - mean) ** 2 for x in shares)

    def moves() -> Iterator[list[tuple[PreparedItem, int]]]:
        """Single moves first, then trades, from the busiest source to the least busy."""
        order = sorted((t for t in range(len(busy)) if capacity[t] > 0), key=share)
        pairs = [(s, t) for k, s in enumerate(reversed(order)) for t in order[: -1 - k]]
        work: dict[int, list[PreparedItem]] = {t: [] for t in order}
        for item in movable(state, set(order), -1):
            work[state.schedule.placed[item.index][0]].append(item)
        for source, target in pairs:
            for item in work[source]:
                if target in item.eligible:
                    yield [(item, target)]
        for source, target in pairs:
            for item in work[source]:
                if target in item.eligible:
                    for other in work[target]:
                        if other.effort < item.effort and source in other.eligible:
                            yield [(item, target), (other, source)]

    def share(t: int) -> float:
        return busy[t] / capacity[t]

    moved = True
    while moved:
        moved = False
        for move in moves():
            tries -= 1
            if tries < 0 or time.perf_counter() > until:
                return finished(state)
            if _move(state, move, busy, score):
                moved = True
                break
    return finished(state)


def _move(
    state: GreedyState,
    move: list[tuple[PreparedItem, int]],
    busy: list[int],
    score: Callable[[list[PreparedItem]], tuple[float, float]],
) -> bool:
    """Put each item of ``move`` on its technician (as early as it fits there, before its
    successors) if ``score`` drops; whether they moved."""
    items = [item for item, _ in move]
    old = score(items)
    before = {item.index: state.unplace(item) for item in items}
    for item in items:
        busy[before[item.index][0]] -= item.effort
    for item, target in move:
        place_before_successors(state, dataclasses.replace(item, eligible=(target,)))
        if item.index in state.schedule.placed:
            busy[target] += item.effort
    if all(item.index in state.schedule.placed for item in items) and score(items) < old:
        return True
    for item in items:
        if item.index in state.schedule.placed:
            busy[state.unplace(item)[0]] -= item.effort
    for item in items:
        busy[before[item.index][0]] += item.effort
        state.place(item, before[item.index])
    return False



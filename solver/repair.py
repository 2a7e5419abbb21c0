"""Improvements of a finished schedule, in the greedy's terms: what a search stopped by its
time limit left undone.

Every pass keeps every hard rule the greedy keeps, and a change only where the objective
drops; ``polish`` runs them in turn, and ``solver.solve`` runs it after the search:

- ``insert_unscheduled``: unscheduled items into gaps a skilled technician still has;
- ``make_room``: unscheduled and late items, by re-planning their predecessors and the work
  in their way;
- ``advance_late_items``: late items to where they finish first;
- ``even_out_load``: work from the busiest technicians to the least busy.
"""

from __future__ import annotations

import dataclasses
import math
import time
from collections.abc import Callable, Iterator

from models.plan import DUTY_REASON
from models.prepare import Prepared, PreparedItem
from models.replan import Placement
from solver.greedy import (
    GreedyState,
    Placements,
    flexible_order,
    place_as_before,
    place_fixed,
    place_flexible,
)
from solver.objective import (
    busy_minutes,
    capacities,
    placed_cost,
    schedule_objective,
    spread,
)
from solver.schedule import Schedule

ROOM_TRIES_PER_SECOND = 10
MOVE_TRIES_PER_SECOND = 1000
"""A deterministic run's passes may not look at the clock: they try this many re-plannings
and moves per second of its time limit (generated M: about 8 ms and 0.1 ms each; L, 200
technicians: 50 ms and 1 ms)."""


def polish(
    prepared: Prepared,
    schedule: Schedule,
    until: float = math.inf,
    seconds: float = math.inf,
    pass_on: bool = True,
) -> Schedule:
    """All passes, in turn, until the clock (``time.perf_counter``) reaches ``until``, or
    (deterministic runs) for ``seconds`` worth of tries; ``pass_on``: see ``make_room``."""
    schedule = insert_unscheduled(prepared, schedule)
    schedule = make_room(prepared, schedule, until, ROOM_TRIES_PER_SECOND * seconds, pass_on)
    schedule = advance_late_items(prepared, schedule, until)
    schedule = even_out_load(prepared, schedule, until, MOVE_TRIES_PER_SECOND * seconds)
    return advance_late_items(prepared, schedule, until)


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
    return state.schedule


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
    8,212 / 10,798 (the search after the halfway passes then improves less).
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
                return state.schedule
            found = _replan_around(state, item, tech, chain, evict_from, value, pass_on)
            if found is not None:
                value = found
                break
    return state.schedule


def _needing_room(prepared: Prepared, schedule: Schedule) -> Iterator[PreparedItem]:
    """Unscheduled items whose predecessors are planned, in the greedy's order; then the late
    items, costliest first (as they are once the unscheduled ones had their turn)."""
    for item in flexible_order(prepared):
        if item.index not in schedule.placed and all(b in schedule.placed for b in item.after):
            yield item
    yield from _late_items(prepared, schedule)


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
        _place_before_successors(state, a)
    _place_before_successors(state, dataclasses.replace(item, eligible=(tech,)))
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
        _place_before_successors(state, dataclasses.replace(item, eligible=(tech,)))
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
        for other in _movable(prepared, state.schedule, techs, since)
        if other.index not in keep
        and not any(s in placed for s in prepared.successors.get(other.index, ()))
    ]
    return {other.index: state.unplace(other) for other in evicted}


def _in_order(prepared: Prepared, saved: Placements) -> list[PreparedItem]:
    return sorted((prepared.items[i] for i in saved), key=_order_key)


def _place_again(state: GreedyState, item: PreparedItem, before: Placement) -> None:
    """Where it was if still free (fewer changes), else as the greedy would."""
    place_as_before(state, item, *before)
    if item.index not in state.schedule.placed:
        _place_before_successors(state, item)


def _undo(state: GreedyState, touched: list[int], saved: Placements) -> None:
    """Take out the ``touched`` items that are placed, and put back the ``saved`` ones."""
    for index in touched:
        if index in state.schedule.placed:
            state.unplace(state.prepared.items[index])
    for index, placement in saved.items():
        state.place(state.prepared.items[index], placement)


def _movable(
    prepared: Prepared, schedule: Schedule, techs: set[int], since: int
) -> list[PreparedItem]:
    """Work of ``techs`` ending after ``since`` that may move (to another technician, or
    later on its own)."""
    return [
        prepared.items[i]
        for i, (t, _) in sorted(schedule.placed.items())
        if t in techs
        and schedule.end(prepared.items[i]) > since
        and prepared.items[i].fixed is None
        and prepared.items[i].pinned is None
    ]


def _order_key(item: PreparedItem) -> tuple:
    """Work only one technician may do first (the rest can still go elsewhere), then by
    priority and due date."""
    due = math.inf if item.due is None else item.due
    return (len(item.eligible) > 1, item.priority, due, item.index)


def _place_before_successors(state: GreedyState, item: PreparedItem) -> None:
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


def _before_successors(prepared: Prepared, schedule: Schedule, item: PreparedItem) -> bool:
    """Every planned successor of the item starts after it ends (and it is planned)."""
    successors = [s for s in prepared.successors.get(item.index, ()) if s in schedule.placed]
    if item.index not in schedule.placed:
        return not successors
    end = schedule.end(item)
    return all(schedule.placed[s][1][0] >= end for s in successors)


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
        for item in _late_items(prepared, state.schedule):
            if time.perf_counter() > until:  # on L a pass takes about 1 s and rarely pays
                return state.schedule
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
    return state.schedule


def even_out_load(
    prepared: Prepared, schedule: Schedule, until: float = math.inf, tries: float = math.inf
) -> Schedule:
    """Move work from the busiest technicians (by share of their capacity) to the less busy,
    or trade it for shorter work of theirs, until no move pays, the clock reaches ``until``
    or ``tries`` moves were tried (the limit of a deterministic run).

    The search sees the load spread only through the technicians of each step; once every
    item is planned, the spread of the whole team is often all that is left. A move keeps
    the order of the items' successors; it is kept if the objective drops, or stays and the
    shares come closer together (the next move may then lower the spread, when several
    technicians share the top)."""
    state = state_of(prepared, schedule)
    busy, capacity = busy_minutes(prepared, state.schedule), capacities(prepared)
    balance = prepared.scenario.weights.balance
    if not balance:
        return state.schedule

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
        for item in _movable(prepared, state.schedule, set(order), -1):  # one pass, not per tech
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
                return state.schedule
            if _move(state, move, busy, score):
                moved = True
                break
    return state.schedule


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
        _place_before_successors(state, dataclasses.replace(item, eligible=(target,)))
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


def _late_items(prepared: Prepared, schedule: Schedule) -> list[PreparedItem]:
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


def state_of(prepared: Prepared, schedule: Schedule) -> GreedyState:
    """The greedy's state of a finished schedule (a copy: placing more changes only it)."""
    state = GreedyState(prepared)
    state.schedule.reserve = list(schedule.reserve)
    for index, placement in schedule.placed.items():
        state.place(prepared.items[index], placement)
    for tech, start, end, reason in schedule.reserve:
        if reason == DUTY_REASON:  # duty keeps the whole day free of planned work
            whole = prepared.day_of(start)
            start, end = whole.start, whole.end
        state.occupy(tech, start, end, work=False)
    return state

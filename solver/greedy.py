"""The greedy baseline: a priority / due-date list scheduler that keeps every hard rule.

Order of work: incident duty, recurring occurrences (fixed times), reserve blocks, then the
flexible items: those of tight project chains first, then by priority, due date and earliest
start (predecessors first). Each flexible item goes to the skilled technician who can finish
it first. Several rules run (``RULES``) and the best plan is kept. It is the complete hint for
CP-SAT, its fallback, and the peer in the benchmark. Its state is in ``solver.greedy_state``,
its reserve in ``solver.greedy_reserve``, its order of flexible work in
``solver.greedy_order``.
"""

from __future__ import annotations

import math
import time
from collections import Counter
from collections.abc import Sequence
from typing import NamedTuple

from models.prepare import Prepared
from models.records import PreparedItem
from models.replan import Placement
from solver.buffer import buffer_level
from solver.greedy_order import flexible_order
from solver.greedy_reserve import hold_percent_reserve, place_duty, place_forecast, place_reserve
from solver.greedy_state import GreedyState
from solver.objective import schedule_objective
from solver.schedule import Schedule

Placements = dict[int, Placement]
"""Item -> (technician, part starts)."""


def greedy(
    prepared: Prepared,
    prefer: Placements | None = None,
    *,
    by_slack: bool = False,
    spare_rare: bool = False,
    tight: float | None = None,
    order: Sequence[PreparedItem] | None = None,
) -> Schedule:
    """A feasible schedule by list scheduling; items of ``prefer`` (a previous plan) go back
    to their old place where it is still free, before the others are placed. ``by_slack``,
    ``tight`` and ``spare_rare`` choose other rules of order and of technician (``RULES``);
    ``order``, the flexible items in an order of the caller's (``solver.squeaky``)."""
    state = GreedyState(prepared)
    if spare_rare:
        state.spare_rare_skills()
    for item in prepared.items:
        if item.pinned is not None:
            _place_pinned(state, item)
    policy, level = buffer_level(prepared)
    if policy == "duty":
        place_duty(state, int(level))
    if policy == "forecast":
        place_forecast(state, level)
    hold_percent_reserve(state)
    prefer = prefer if prefer is not None else prepared.previous
    for item in sorted(
        (i for i in prepared.items if i.fixed is not None), key=lambda i: (i.priority, i.fixed)
    ):
        if item.index in prefer:
            place_as_before(state, item, *prefer[item.index])
        if item.index not in state.schedule.placed:
            place_fixed(state, item)
    if order is None:
        order = flexible_order(prepared, by_slack, tight)
    for item in order:
        if item.index in prefer:
            place_as_before(state, item, *prefer[item.index])
    place_reserve(state)
    for item in order:
        if item.index not in state.schedule.placed:
            place_flexible(state, item)
    return state.schedule


class Rule(NamedTuple):
    """One way to run the greedy (see ``greedy``)."""

    tight: float | None
    by_slack: bool
    spare_rare: bool


RULES = (
    Rule(0.15, True, True),
    Rule(0.15, True, False),
    Rule(0.2, False, False),
    Rule(0.1, True, True),
    Rule(None, True, True),
)
"""The greedy's runs, best first. Measured objectives (millions of points on L, thousands on
M, S and the demo): tight chains first at 0.15 gives L 4.9 (by priority alone: 10.5), M 294
and 210, S 152 and 143; at 0.2 without slack or sparing S 114 and the demo 0.06; by priority
alone M 1,364, S 229, the demo 24. On L only the first runs within the time limit's share."""


KNOWN_PARTS = 100_000
"""Searches remembered at most (``_earliest_parts``): about 50 MB (measured, with four parts
each); then they are all forgotten."""


class Best(NamedTuple):
    """The best of the greedy's rules: its schedule, its rule, and how long a run took."""

    schedule: Schedule
    rule: Rule
    run_seconds: float
    """The mean over the rules that ran: what another run of the greedy will likely take."""


def best_greedy(
    prepared: Prepared, prefer: Placements | None = None, budget: float = math.inf
) -> Best:
    """The best of the greedy's rules (``RULES``); after the first, a rule only runs while
    ``budget`` seconds are left (one run on L takes about 6 s)."""
    started = time.perf_counter()
    best, value, runs = None, math.inf, 0
    for rule in RULES:
        elapsed = time.perf_counter() - started
        if runs and elapsed + elapsed / runs > budget:
            break  # the next run would likely overrun the budget
        schedule = greedy(prepared, prefer, **rule._asdict())
        runs += 1
        objective = schedule_objective(prepared, schedule)
        if objective < value:
            best, value = (schedule, rule), objective
    assert best is not None
    return Best(*best, (time.perf_counter() - started) / runs)


def _place_pinned(state: GreedyState, item: PreparedItem) -> None:
    """Frozen work: exactly where it was (``models.replan`` checked that it still fits)."""
    assert item.pinned is not None
    assert item.technician is not None
    state.place(item, (item.technician, item.pinned))


def place_as_before(
    state: GreedyState, item: PreparedItem, tech: int, starts: tuple[int, ...]
) -> None:
    """The item where the previous plan had it, if every hard rule still allows it there."""
    if item.index in state.schedule.placed or tech not in item.eligible:
        return
    prepared = state.prepared
    intervals = [(s, s + n) for s, n in zip(starts, item.parts, strict=True)]
    before = [prepared.items[b] for b in item.after]
    if not (
        all(b.index in state.schedule.placed for b in before)
        and all(state.schedule.end(b) <= starts[0] for b in before)
        and starts[0] >= item.earliest
        and prepared.may_work_at(item, prepared.technicians[tech], starts)
        and all(state.busy[tech].is_free(s, e) for s, e in intervals)
        and _parts_within_cap(state, tech, list(starts), item.parts)
    ):
        return
    for k, (start, end) in enumerate(intervals):
        # part by part: two parts on one day may each leave room for the reserve, not both
        if not state.leaves_reserve_room(tech, start, end):
            for earlier in intervals[:k]:
                state.vacate(tech, *earlier)
            return
        state.occupy(tech, start, end, work=True)
    state.record(item, (tech, starts))


def place_fixed(state: GreedyState, item: PreparedItem) -> None:
    """A recurring occurrence goes to the least-loaded skilled technician free at its time."""
    assert item.fixed is not None
    start, end = item.fixed
    candidates = [
        t
        for t in item.eligible
        if state.prepared.allowed(item, state.prepared.technicians[t])
        and state.busy[t].is_free(start, end)
        and state.within_cap(t, start, end)
        and state.leaves_reserve_room(t, start, end)
    ]
    if candidates:
        tech = min(candidates, key=lambda t: (sum(state.worked[t].values()), t))
        state.place(item, (tech, (start,)))


def place_flexible(state: GreedyState, item: PreparedItem) -> None:
    """Give the item to the technician who can finish it first (ties: least loaded)."""
    if any(b not in state.schedule.placed for b in item.after):
        return
    ready = state.schedule.ready(item, state.prepared.items)
    best: tuple[tuple, int, tuple[int, ...]] | None = None
    finish_by = math.inf  # a technician finishing later cannot be chosen
    for tech in item.eligible:
        starts = _earliest_parts(state, item, tech, ready, finish_by)
        if starts is None:
            continue
        finish = starts[-1] + item.parts[-1]
        load = sum(state.worked[tech].values())
        rank: tuple = (finish, load, tech)
        if state.rarity:  # the same day is as good; then spare those with rare skills
            rank = (state.prepared.day_of(finish - 1).index, state.rarity[tech], *rank)
        if best is None or rank < best[0]:
            best = (rank, tech, starts)
            finish_by = state.prepared.day_of(finish - 1).end if state.rarity else finish
    if best is None:
        return
    _, tech, starts = best
    state.place(item, (tech, starts))


def _earliest_parts(
    state: GreedyState, item: PreparedItem, tech: int, ready: int, finish_by: float = math.inf
) -> tuple[int, ...] | None:
    """Earliest starts of all parts on ``tech``, each after the previous, or None (also when
    the last part cannot end by ``finish_by``).

    Remembered (``GreedyState.known_parts``): the passes try an item on a technician whose
    calendar is as it was at an earlier try again and again, as each re-planning they try is
    undone when it does not pay (on a saved plan of generated M, 56 % of the searches in 20 s
    of ``make_room``, and 79 % of the moves of ``even_out_load``)."""
    key = (item.index, item.deadline, tech, ready, state.busy[tech].fingerprint)
    known = state.known_parts.get(key)
    if known is not None:
        starts, searched_to = known
        if starts is not None:
            return starts if starts[-1] + item.parts[-1] <= finish_by else None
        if finish_by <= searched_to:  # none found by a later finish either
            return None
    starts = _search_parts(state, item, tech, ready, finish_by)
    if len(state.known_parts) >= KNOWN_PARTS:
        state.known_parts.clear()
    state.known_parts[key] = (starts, finish_by)
    return starts


def _search_parts(
    state: GreedyState, item: PreparedItem, tech: int, ready: int, finish_by: float
) -> tuple[int, ...] | None:
    """``_earliest_parts``, searched."""
    allowed = state.prepared.allowed(item, state.prepared.technicians[tech])
    busy = state.busy[tech]
    starts: list[int] = []
    cursor = ready
    for k, length in enumerate(item.parts):
        at = busy.earliest(allowed, length, cursor)
        no_room_before = cursor  # for the reserve, with the parts before
        still = sum(item.parts[k:])  # this part and those after it
        while at is not None:
            if at + still > finish_by:
                at = None
                break
            if not state.within_cap(tech, at, at + length):
                at = busy.earliest(allowed, length, state.prepared.day_of(at).end)
                continue
            if at >= no_room_before:
                no_room_before = state.reserve_room_from(tech, at, at + length)
                if no_room_before == at:
                    break
            at = busy.earliest(allowed, length, at + state.prepared.slot)
        if at is None:
            break
        starts.append(at)
        busy.add(at, at + length)  # later parts must not overlap earlier ones
        cursor = at + length
    for start, length in zip(starts, item.parts, strict=False):
        busy.remove(start, start + length)
    if len(starts) < len(item.parts):
        return None
    # within_cap was checked part by part; parts on one day must also fit together
    if not _parts_within_cap(state, tech, starts, item.parts):
        return None
    return tuple(starts)


def _parts_within_cap(
    state: GreedyState, tech: int, starts: list[int], parts: tuple[int, ...]
) -> bool:
    cap = state.prepared.technicians[tech].max_minutes_per_day
    if cap is None:
        return True
    extra: Counter[int] = Counter()
    for start, length in zip(starts, parts, strict=True):
        extra.update(state.day_minutes(start, start + length))
    return all(state.worked[tech][day] + minutes <= cap for day, minutes in extra.items())

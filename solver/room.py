"""Room for unscheduled and late items: their predecessors and the work in their way are
planned again around them (``make_room``, one of the polish passes of ``solver.repair``)."""

from __future__ import annotations

import dataclasses
import math
import time
from collections.abc import Callable, Iterator, Sequence
from functools import partial

from models.prepare import Prepared
from models.records import PreparedItem
from solver.aside import (
    hand_over,
    in_order,
    kept_if_better,
    make_way,
    place_again,
    take_out,
    undo,
)
from solver.greedy import Placements, place_fixed
from solver.greedy_order import flexible_order
from solver.greedy_state import GreedyState
from solver.moves import finished, late_items, movable, place_before_successors, state_of
from solver.objective import schedule_objective
from solver.schedule import Schedule

Attempt = Callable[[float, bool, float], float | None]
"""A re-planning for one item: (objective now, pass_on, until) -> the new objective, or None
and the plan as it was."""

ATTEMPTS_PER_ROUND = 2
"""Attempts per late item before the next one's turn, in the passes at the end. The passes on
four saved plans of generated M (30 deterministic units, 300 attempts): 16,913 points in all
when each item tried all its attempts before the next one's turn (one of them, 942 points
late, was never reached although its first attempt pays 790); 12,115 with 1 attempt a round,
10,590 with 2, 11,788 with 3, 13,016 with 8. Four saved plans of generated S: 11 / 10 /
8,009 / 10 points against 11 / 482 / 8,009 / 10. Whole runs of M, 30 deterministic units, seeds
0-3: 3,368 / 4,242 / 1,844 / 1,926 against 3,770 / 3,935 / 2,783 / 2,091. Taking turns
halfway too gave lower lateness (seeds 1-7: 15,362 points in all against 25,122), but a
14 h task stayed out in one of 8 runs, and in one of 3 benchmark runs: after other halfway
passes, the search no longer found it a place."""

LEFT_OUT_ATTEMPTS_PER_ROUND = 12
"""Attempts per left-out item before the next one's turn, in the passes at the end. Items
left out cost far more than late ones, but when each tried all its attempts at once, one
that could not be planned took them all: on a saved 60 s plan of generated L (58 items
out), 30 s of passes tried 32 of them, one 80 times in vain, and gave 1.73 million points,
27 out; with 4, 12, 24 or 48 attempts a turn: 1.59 / 1.54 / 1.57 / 1.57 million (12: 21
out). Four saved plans of generated M (nothing out): 24,606 points in all, against 24,451;
15 of generated S: the same."""


def make_room(
    prepared: Prepared,
    schedule: Schedule,
    until: float = math.inf,
    tries: float = math.inf,
    pass_on: bool = True,
    report: Callable[[float], None] | None = None,
) -> Schedule:
    """Plan unscheduled items, then move late ones earlier, by re-planning the work around
    them where that pays, until the clock reaches ``until`` or ``tries`` re-plannings were
    tried; ``report`` gets each new objective.

    A search stopped by its time limit can leave a task out (or late) because the tasks
    before it end too late (their parts spread over days between other work) or because its
    technician's days are full of work that could wait or go to others. For each such item,
    re-plannings are tried until one pays:

    - advances: on each technician who could take the item, its chain (predecessors, in
      order) and the item placed again, each ending in time, by pushing aside only the work
      in its way (``_advance_chain``);
    - re-plannings around it: on each such technician, its planned predecessors placed
      again where each ends first, then the item; then the same after taking out the work
      of that technician, then also of the predecessors' technicians, which is placed again
      after them: where it was if still free, else as the greedy would (work with planned
      successors stays; ``_replan_around``);
    - for an unscheduled item, last: its chain and the item, each on the technician where it
      ends first, pushing aside work others may do (``_compact_chain``).

    A late item tries the advances first: on a saved plan of generated M, 31 of 101
    advances paid, at 18 ms a try, against 11 of 199 other re-plannings at 9 ms. An
    unscheduled item tries them after the re-plannings: it has no due date to aim for, so
    its chain goes as early as it can, and on generated L an advance then pushes aside
    dozens of items (0.65 s a try, against 0.13 s).
    A recurring occurrence left out gets its hours cleared (``_clear_the_time``). With
    ``pass_on``, work pushed aside that then fits nowhere is handed over to another
    technician (``solver.aside.hand_over``). Kept only if the objective drops.

    Handing over is for the passes at the end of a search, not halfway through it: generated
    M, 30 deterministic units, seeds 0-3: 9,030 / 7,966 / 5,775 / 8,200 without it; with it
    at the end only 7,726 / 7,091 / 4,634 / 9,690; at the end and halfway 7,985 / 9,011 /
    8,212 / 10,798 (the search after the halfway passes then improves less). With reserve
    blocks that shift (``solver.moves.state_of``): 5,315 / 6,164 / 2,744 / 5,372 at the end
    only, 4,225 / 5,075 / 4,394 / 6,411 halfway too.

    With ``pass_on`` (the passes at the end), the items take turns, ``ATTEMPTS_PER_ROUND``
    attempts a turn for a late item and ``LEFT_OUT_ATTEMPTS_PER_ROUND`` for a left-out one,
    so that a budget spent on the first items' unpromising attempts does not leave the others
    untried; halfway, each item has one turn with every attempt.
    """
    state = state_of(prepared, schedule)
    value = schedule_objective(prepared, state.schedule)
    order = flexible_order(prepared)  # once: each round walks it again
    turn, left = 0, True
    while left:
        left = False
        for item in _needing_room(prepared, state.schedule, order):
            chain = in_order(prepared, prepared.ancestors(item))
            if any(a.fixed is not None or a.pinned is not None for a in chain):
                continue
            attempts = _attempts(state, item, chain)
            batch = _this_turn(attempts, item, state.schedule, turn) if pass_on else attempts
            left = left or bool(batch)
            for attempt in batch:
                tries -= 1
                if tries < 0 or time.perf_counter() > until:
                    return finished(state)
                found = attempt(value, pass_on, until)
                if found is not None:
                    value = found
                    if report is not None:
                        report(value)
                    break
        turn += 1
        left = left and pass_on  # halfway: one turn, with every attempt
    return finished(state)


def _this_turn(
    attempts: Sequence[Attempt], item: PreparedItem, schedule: Schedule, turn: int
) -> Sequence[Attempt]:
    """The item's attempts in this turn: late items take ``ATTEMPTS_PER_ROUND`` a turn, left
    out ones ``LEFT_OUT_ATTEMPTS_PER_ROUND``."""
    size = ATTEMPTS_PER_ROUND if item.index in schedule.placed else LEFT_OUT_ATTEMPTS_PER_ROUND
    return attempts[turn * size : (turn + 1) * size]


def _attempts(
    state: GreedyState, item: PreparedItem, chain: list[PreparedItem]
) -> Sequence[Attempt]:
    """The re-plannings to try for the item, in turn (see ``make_room``)."""
    if item.fixed is not None:
        return [partial(_clear_the_time, state, item, tech) for tech in item.eligible]
    chain_techs = {state.schedule.placed[a.index][0] for a in chain}
    techs = _most_free_first(state, item)
    advances = [partial(_advance_chain, state, item, tech, chain) for tech in techs]
    replans = [
        partial(_replan_around, state, item, tech, chain, evict_from)
        for tech in techs
        for evict_from in (set(), {tech}, {tech} | chain_techs)  # ever more moves
    ]
    if item.index in state.schedule.placed:
        return advances + replans
    return replans + advances + [partial(_compact_chain, state, item, chain)]


def _most_free_first(state: GreedyState, item: PreparedItem) -> list[int]:
    """The item's technicians, those with the most free working time from when it may start
    first (ranked again each turn, as the plan changes). In the order of the team, a
    left-out item's first attempts went to technicians with no room: on the saved plan of
    generated L (``LEFT_OUT_ATTEMPTS_PER_ROUND``), 30 s of passes gave 1.63 million points
    with 12 attempts a turn in the team's order, 1.54 million in this one."""
    prepared = state.prepared
    first = prepared.day_of(state.schedule.ready(item, prepared.items))

    def free(tech: int) -> int:
        minutes = sum(e - s for s, e in prepared.technicians[tech].available if s >= first.start)
        return minutes - sum(m for day, m in state.worked[tech].items() if day >= first.index)

    return sorted(item.eligible, key=free, reverse=True)


def _needing_room(
    prepared: Prepared, schedule: Schedule, order: list[PreparedItem]
) -> Iterator[PreparedItem]:
    """Unscheduled items whose predecessors are planned, in the greedy's ``order``;
    unscheduled recurring occurrences; then the late items, costliest first (as they are once
    the unscheduled ones had their turn)."""
    for item in order:
        if item.index not in schedule.placed and all(b in schedule.placed for b in item.after):
            yield item
    for item in prepared.items:
        if item.fixed is not None and item.pinned is None and item.index not in schedule.placed:
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
    until: float,
) -> float | None:
    """Re-place ``chain`` (the item's predecessors, in order), the item (unscheduled or late)
    on ``tech``, then the movable work of ``evict_from`` taken out for them (what then fits
    nowhere is handed over: ``hand_over``); the new objective if it dropped below ``value``,
    else None and the state as it was."""
    prepared, placed = state.prepared, state.schedule.placed
    saved = {item.index: state.unplace(item)} if item.index in placed else {}
    saved |= {a.index: state.unplace(a) for a in chain}
    since = min([item.earliest] + [starts[0] for _, starts in saved.values()])
    evicted = take_out(state, evict_from, since, keep=set(saved))
    saved |= evicted
    for a in chain:
        place_before_successors(state, a)
    place_before_successors(state, dataclasses.replace(item, eligible=(tech,)))
    for other in in_order(prepared, evicted):
        place_again(state, other, evicted[other.index])
        if other.index not in placed and pass_on:
            saved |= hand_over(state, other, evict_from | {tech}, set(saved), until)
    return kept_if_better(state, item, saved, value)


def _advance_chain(
    state: GreedyState,
    item: PreparedItem,
    tech: int,
    chain: list[PreparedItem],
    value: float,
    pass_on: bool,
    until: float,
) -> float | None:
    """Re-place ``chain`` (the item's predecessors, in order), each on its technician, and
    the item on ``tech``, each ending in time by pushing aside the work in its way
    (``make_way``): a late item and its chain by when each must end for the item to end by
    its due date (``_latest_ends``); an unscheduled item's chain as early as it can, then
    the item where it fits. The work pushed aside is placed again after them (handed over
    where it fits nowhere: ``hand_over``); the new objective if it dropped below ``value``,
    else None and the state as it was.

    Unlike ``_replan_around``, it moves only the work in the chain's way, and also work
    with planned successors (before them). A chain whose tasks spread over days between
    other work leaves its last task late or out. The passes on saved search plans (30
    deterministic units): generated S, four plans that left a chain task out, three now
    plan it (none without advances); generated M, four plans, 3,513 / 2,940 / 4,316 /
    6,144 points against 5,172 / 7,414 / 3,891 / 7,444 without advances (16,913 in all
    against 23,921; 18,080 with latest ends in clock time, as if the next task followed at
    once; 19,175 with late chains, too, as early as they can)."""
    prepared, placed = state.prepared, state.schedule.placed
    late = item.index in placed
    saved = {item.index: state.unplace(item)} if late else {}
    saved |= {a.index: state.unplace(a) for a in chain}
    techs = [saved[a.index][0] for a in chain]
    ends = _latest_ends(prepared, item, tech, chain, techs) if late else {}
    keep = set(saved) | {item.index}
    pushed: Placements = {}
    for member, on in [*zip(chain, techs, strict=True), (item, tech)]:
        by = ends.get(member.index, math.inf if member is item else -math.inf)
        place_before_successors(state, member)
        if member.index in placed and state.schedule.end(member) <= by:
            continue
        if member.index in placed:
            state.unplace(member)
        pushed |= make_way(state, member, on, keep | set(pushed), by, move_chains=True)
        if member.index not in placed:
            place_before_successors(state, member)
    return _put_back(state, item, saved, pushed, value, pass_on, until)


def _compact_chain(
    state: GreedyState,
    item: PreparedItem,
    chain: list[PreparedItem],
    value: float,
    pass_on: bool,
    until: float,
) -> float | None:
    """Re-place ``chain`` (the unscheduled item's predecessors, in order), then the item, each
    on the technician where it ends first once the work others may do is pushed out of its
    way (``make_way``, as early as it can); the work pushed aside is placed again after
    them (handed over where it fits nowhere: ``hand_over``). The new objective if it
    dropped below ``value``, else None and the state as it was.

    Unlike ``_advance_chain``, a task may change technician. Generated M, 60 s, seed 5 left
    a part-timer's 14 h task out (42,000 points): seven working days at the end of its
    chain, whose first task stayed with a technician on vacation until the third week.
    With this attempt the passes plan it (1,527 points after 30 s of passes, against
    42,840). Work with successors of its own stays: moving it too left two tasks with
    nowhere to go. It comes last: it tries every skilled technician for every task, 0.1 s
    on M but about 2 s on L, where trying it first gave a worse plan in 30 s of passes
    (2.46 million against 1.73).

    If the item still fits nowhere, work with successors of its own makes way for it, too
    (placed again before them): the same part-timer's task stayed out in 2 of 19 runs of
    60 s once the passes were faster (session 14), behind a 6 h task with a successor;
    with it, one such plan went from 50,444 points to 12,477 in a single attempt."""
    saved = {a.index: state.unplace(a) for a in chain}
    keep = set(saved) | {item.index}
    pushed: Placements = {}
    for member in [*chain, item]:
        stays = keep | set(pushed)
        move_chains = False
        tech = _ends_first(state, member, stays)
        if tech is None and member is item:  # last resort: work with successors, too
            move_chains = True
            tech = _ends_first(state, member, stays, move_chains)
        if tech is None:
            break
        pushed |= make_way(state, member, tech, stays, -math.inf, move_chains=move_chains)
    return _put_back(state, item, saved, pushed, value, pass_on, until)


def _ends_first(
    state: GreedyState, item: PreparedItem, keep: set[int], move_chains: bool = False
) -> int | None:
    """The technician on whom the item ends first when the work others may do is pushed out
    of its way (``make_way``, as early as it can; ``move_chains``: work with successors,
    too); the state stays as it was."""
    best: tuple[int, int] | None = None
    for tech in item.eligible:
        pushed = make_way(state, item, tech, keep, -math.inf, move_chains=move_chains)
        if item.index in state.schedule.placed:
            end = state.schedule.end(item)
            if best is None or end < best[0]:
                best = (end, tech)
        undo(state, [item.index, *pushed], pushed)
    return None if best is None else best[1]


def _clear_the_time(
    state: GreedyState, item: PreparedItem, tech: int, value: float, pass_on: bool, until: float
) -> float | None:
    """Place a recurring occurrence left out on ``tech`` at its fixed time, taking out the
    technician's movable work then; that work is placed again after it (handed over where
    it fits nowhere: ``hand_over``, to any skilled technician, this one too, pushing aside
    the work in its way). The new objective if it dropped below ``value``, else None and
    the state as it was.

    The search can leave a fixed-time occurrence out that only one technician may take
    because flexible work sits in its hours (generated S, 10 deterministic units, seed 6:
    a 2 h scan left out, 8,000 points). There, the task in its hours may go to one other
    technician only, who has no room; handed over to others only, it fitted nowhere and the
    scan stayed out (8,009 points). On its own technician, pushing aside work others may do,
    it fits (9 points)."""
    assert item.fixed is not None
    schedule = state.schedule
    start, end = item.fixed
    pushed = {
        other.index: state.unplace(other)
        for other in movable(state, {tech}, start)
        if any(s < end and start < e for s, e in schedule.part_intervals(other))
    }
    place_fixed(state, dataclasses.replace(item, eligible=(tech,)))
    return _put_back(state, item, {}, pushed, value, pass_on, until)


def _put_back(
    state: GreedyState,
    item: PreparedItem,
    saved: Placements,
    pushed: Placements,
    value: float,
    pass_on: bool,
    until: float,
) -> float | None:
    """After a re-planning for ``item``: the work ``pushed`` aside for it placed again (where
    it was if still free, else as the greedy would; with ``pass_on``, what then fits nowhere
    is handed over: ``hand_over``). The new objective if it dropped below ``value``, else
    None and the ``saved`` and ``pushed`` items back where they were (``kept_if_better``)."""
    saved = saved | pushed
    for other in in_order(state.prepared, pushed):
        place_again(state, other, pushed[other.index])
        if other.index not in state.schedule.placed and pass_on:
            saved |= hand_over(state, other, set(), set(saved) | {item.index}, until)
    return kept_if_better(state, item, saved, value)


def _latest_ends(
    prepared: Prepared, item: PreparedItem, tech: int, chain: list[PreparedItem], on: list[int]
) -> dict[int, float]:
    """When the item (on ``tech``) and each task of its chain (predecessors, in order, on the
    technicians ``on``) must end for the item to end by its due date: each task's successors
    must still fit their effort into their technician's working time before their own
    latest ends."""
    ends: dict[int, float] = {item.index: math.inf if item.due is None else item.due}
    techs = {item.index: tech} | {a.index: t for a, t in zip(chain, on, strict=True)}
    for before in reversed(chain):  # every one has a successor in the chain or the item
        ends[before.index] = min(
            _latest_start(prepared, prepared.items[s], techs[s], ends[s])
            for s in prepared.successors.get(before.index, ())
            if s in ends
        )
    return ends


def _latest_start(prepared: Prepared, item: PreparedItem, tech: int, end: float) -> float:
    """The latest start from which ``tech`` can do the item's effort by ``end``, working all
    of every stretch it may work on it (-inf if it cannot)."""
    remaining = item.effort
    for lo, hi in reversed(prepared.allowed(item, prepared.technicians[tech])):
        last = min(hi, end)
        if last <= lo:
            continue
        if last - lo >= remaining:
            return last - remaining
        remaining -= int(last - lo)
    return -math.inf

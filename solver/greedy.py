"""The greedy baseline: a priority / due-date list scheduler that keeps every hard rule.

Order of work: incident duty, recurring occurrences (fixed times), reserve blocks, then the
flexible items: those of tight project chains first, then by priority, due date and earliest
start (predecessors first). Each flexible item goes to the skilled technician who can finish
it first. Several rules run (``RULES``) and the best plan is kept. It is the complete hint for
CP-SAT, its fallback, and the peer in the benchmark.
"""

from __future__ import annotations

import math
import time
from collections import Counter
from functools import partial
from typing import NamedTuple

from models.plan import DUTY_REASON, FORECAST_REASON, RESERVE_REASON
from models.prepare import Prepared
from models.records import PreparedItem
from models.replan import Placement
from solver.buffer import (
    ReserveBlock,
    buffer_level,
    duty_days,
    forecast_periods,
    percent_blocks,
)
from solver.objective import schedule_objective
from solver.schedule import BusyCalendar, Schedule


class GreedyState:
    """Busy calendars and per-day minutes of every technician while the greedy builds."""

    def __init__(self, prepared: Prepared) -> None:
        self.prepared = prepared
        self.busy = [BusyCalendar() for _ in prepared.technicians]
        self.worked: list[Counter[int]] = [Counter() for _ in prepared.technicians]
        self.schedule = Schedule()
        self.pending: dict[tuple[int, int], list[ReserveBlock]] = {}
        """Reserve blocks not yet placed, by technician and day; work must leave room for
        them."""
        self.rarity: list[float] = []
        """Per technician, how rare its skills are (empty: pick by earliest finish alone)."""

    def spare_rare_skills(self) -> None:
        """Among technicians finishing an item the same day, prefer those whose skills many
        others have, so that scarce skills stay free for the work only they can do."""
        holders = Counter(skill for tech in self.prepared.technicians for skill in tech.skills)
        self.rarity = [
            # sorted: a set of names iterates in another order in every process (hash seed)
            # and float sums then differ in the last bit, which would break ties differently
            sum(1 / holders[skill] for skill in sorted(tech.skills))
            for tech in self.prepared.technicians
        ]

    def occupy(self, tech: int, start: int, end: int, *, work: bool) -> None:
        self.busy[tech].add(start, end)
        if work:
            for day, minutes in self.day_minutes(start, end).items():
                self.worked[tech][day] += minutes

    def vacate(self, tech: int, start: int, end: int) -> None:
        """Undo ``occupy`` of planned work."""
        self.busy[tech].remove(start, end)
        for day, minutes in self.day_minutes(start, end).items():
            self.worked[tech][day] -= minutes

    def place(self, item: PreparedItem, placement: Placement) -> None:
        """Plan ``item`` on (technician, part starts)."""
        tech, starts = placement
        for start, length in zip(starts, item.parts, strict=True):
            self.occupy(tech, start, start + length, work=True)
        self.schedule.placed[item.index] = placement

    def unplace(self, item: PreparedItem) -> Placement:
        """Undo ``place``; the placement the item had."""
        placement = self.schedule.placed.pop(item.index)
        tech, starts = placement
        for start, length in zip(starts, item.parts, strict=True):
            self.vacate(tech, start, start + length)
        return placement

    def day_minutes(self, start: int, end: int) -> dict[int, int]:
        found = {}
        for day in {self.prepared.day_of(start), self.prepared.day_of(end - 1)}:
            overlap = min(end, day.end) - max(start, day.start)
            if overlap > 0:
                found[day.index] = overlap
        return found

    def within_cap(self, tech: int, start: int, end: int) -> bool:
        cap = self.prepared.technicians[tech].max_minutes_per_day
        if cap is None:
            return True
        return all(
            self.worked[tech][day] + minutes <= cap
            for day, minutes in self.day_minutes(start, end).items()
        )

    def leaves_reserve_room(self, tech: int, start: int, end: int) -> bool:
        """Taking [start, end) still leaves room for this technician's pending reserve blocks."""
        if not self.pending:  # the greedy places its flexible work after the reserve
            return True
        days = range(self.prepared.day_of(start).index, self.prepared.day_of(end - 1).index + 1)
        touched = [
            b for day in days for b in self.pending.get((tech, day), ()) if _touches(b, start, end)
        ]
        if not touched:
            return True
        busy = self.busy[tech]
        busy.add(start, end)
        placed: list[tuple[int, int]] = []
        fits = True
        for block in touched:  # a day's blocks lie in disjoint segments; place them in turn
            at = busy.latest(block.domain, block.length)
            if at is None:
                fits = False
                break
            busy.add(at, at + block.length)
            placed.append((at, at + block.length))
        for s, e in [*placed, (start, end)]:
            busy.remove(s, e)
        return fits


def _touches(block: ReserveBlock, start: int, end: int) -> bool:
    return any(s < end and start < e for s, e in block.domain)


Placements = dict[int, Placement]
"""Item -> (technician, part starts)."""


def greedy(
    prepared: Prepared,
    prefer: Placements | None = None,
    *,
    by_slack: bool = False,
    spare_rare: bool = False,
    tight: float | None = None,
) -> Schedule:
    """A feasible schedule by list scheduling; items of ``prefer`` (a previous plan) go back
    to their old place where it is still free, before the others are placed. ``by_slack``,
    ``tight`` and ``spare_rare`` choose other rules of order and of technician (``RULES``)."""
    state = GreedyState(prepared)
    if spare_rare:
        state.spare_rare_skills()
    for item in prepared.items:
        if item.pinned is not None:
            _place_pinned(state, item)
    policy, level = buffer_level(prepared)
    if policy == "duty":
        _place_duty(state, int(level))
    if policy == "forecast":
        _place_forecast(state, level)
    hold_percent_reserve(state)
    prefer = prefer if prefer is not None else prepared.previous
    for item in sorted(
        (i for i in prepared.items if i.fixed is not None), key=lambda i: (i.priority, i.fixed)
    ):
        if item.index in prefer:
            place_as_before(state, item, *prefer[item.index])
        if item.index not in state.schedule.placed:
            place_fixed(state, item)
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


def best_greedy(
    prepared: Prepared, prefer: Placements | None = None, budget: float = math.inf
) -> Schedule:
    """The best of the greedy's rules (``RULES``); after the first, a rule only runs while
    ``budget`` seconds are left (one run on L takes about 6 s)."""
    started = time.perf_counter()
    best, value = None, math.inf
    for runs, rule in enumerate(RULES):
        elapsed = time.perf_counter() - started
        if runs and elapsed + elapsed / runs > budget:
            break  # the next run would likely overrun the budget
        schedule = greedy(prepared, prefer, **rule._asdict())
        objective = schedule_objective(prepared, schedule)
        if objective < value:
            best, value = schedule, objective
    assert best is not None
    return best


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
    allowed = prepared.allowed(item, prepared.technicians[tech])
    before = [prepared.items[b] for b in item.after]
    if not (
        all(b.index in state.schedule.placed for b in before)
        and all(state.schedule.end(b) <= starts[0] for b in before)
        and starts[0] >= item.earliest
        and all(any(lo <= s and e <= hi for lo, hi in allowed) for s, e in intervals)
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
    state.schedule.placed[item.index] = (tech, starts)


def _place_duty(state: GreedyState, duty: int) -> None:
    """Rotate duty fairly: each day the present technicians with the fewest duty days so far."""
    served: Counter[int] = Counter()
    for day in duty_days(state.prepared, duty):
        chosen = sorted(
            day.spans,
            key=lambda t: (
                not state.busy[t].is_free(*day.whole),  # frozen work that day (replans)
                served[t],
                len(state.prepared.technicians[t].skills),
                t,
            ),
        )
        for tech in chosen[: day.count]:
            start, end = day.spans[tech]
            served[tech] += 1
            state.occupy(tech, *day.whole, work=False)
            state.schedule.reserve.append((tech, start, end, DUTY_REASON))


def _place_forecast(state: GreedyState, service_level: float) -> None:
    """Keep each hour's technicians free: stay with the same ones for up to 2 h, then hand
    over to those with the least reserve so far (few skills first: they are least missed)."""
    prepared = state.prepared
    reserved: Counter[int] = Counter()
    today: Counter[int] = Counter()
    previous: set[int] = set()
    current_day = -1
    for period in forecast_periods(prepared, service_level):
        day = prepared.day_of(period.start).index
        if day != current_day:
            today, previous, current_day = Counter(), set(), day

        free = [t for t in period.present if state.busy[t].is_free(period.start, period.end)]
        chosen = sorted(free, key=partial(_handover, prepared, today, previous, reserved))
        chosen = chosen[: period.count]
        for t in chosen:
            length = period.end - period.start
            reserved[t] += length
            today[t] += length
            state.occupy(t, period.start, period.end, work=False)
            state.schedule.reserve.append((t, period.start, period.end, FORECAST_REASON))
        previous = set(chosen)


def _handover(
    prepared: Prepared, today: Counter[int], previous: set[int], reserved: Counter[int], t: int
) -> tuple[bool, int, int, int, int]:
    staying = t in previous and today[t] < 120
    return (not staying, today[t], len(prepared.technicians[t].skills), reserved[t], t)


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
        state.occupy(tech, start, end, work=True)
        state.schedule.placed[item.index] = (tech, (start,))


def hold_percent_reserve(state: GreedyState) -> None:
    """The ``percent`` policy's reserve blocks, pending: work placed from now on leaves room
    for each in its domain, and ``place_reserve`` puts them there."""
    policy, level = buffer_level(state.prepared)
    if policy == "percent":
        for block in percent_blocks(state.prepared, level):
            state.pending.setdefault((block.tech, block.day), []).append(block)


def place_reserve(state: GreedyState) -> None:
    """Reserve blocks at the latest free spot of their day (mornings stay open for work)."""
    for (tech, _), blocks in state.pending.items():
        for block in blocks:
            at = state.busy[tech].latest(block.domain, block.length)
            if at is None:  # cannot happen: all work was placed where room was left
                raise RuntimeError(
                    f"no room for the reserve of technician {tech} on day {block.day}"
                )
            state.occupy(tech, at, at + block.length, work=False)
            state.schedule.reserve.append((tech, at, at + block.length, RESERVE_REASON))
    state.pending = {}


def flexible_order(
    prepared: Prepared, by_slack: bool = False, tight: float | None = None
) -> list[PreparedItem]:
    """Priority, then due date (or, ``by_slack``, the latest start that still lets the work
    after it finish by the due date), then earliest start; every task after its predecessors.
    With ``tight``, the items of tight chains (``_tight_chains``) come first."""
    tails = _tails(prepared)
    first = _tight_chains(prepared, tails, tight) if tight is not None else set()

    def key(item: PreparedItem) -> tuple:
        due = item.due if item.due is not None else math.inf
        slack = due - tails[item.index] if by_slack else due
        return (item.index not in first, item.priority, slack, item.earliest, item.index)

    ordered: list[PreparedItem] = []
    seen: set[int] = set()

    def visit(item: PreparedItem) -> None:
        if item.index in seen:
            return
        seen.add(item.index)
        for before in sorted((prepared.items[b] for b in item.after), key=key):
            visit(before)
        ordered.append(item)

    for item in sorted((i for i in prepared.items if i.fixed is None), key=key):
        visit(item)
    return ordered


def _tails(prepared: Prepared) -> dict[int, int]:
    """Item -> its effort plus the longest chain of effort after it (minutes of work that must
    follow its start): a chain's first task is due long before the project's target."""
    tails: dict[int, int] = {}

    def tail(index: int) -> int:
        if index not in tails:
            after = prepared.successors.get(index, ())
            tails[index] = prepared.items[index].effort + max(map(tail, after), default=0)
        return tails[index]

    for item in prepared.items:
        tail(item.index)
    return tails


def _tight_chains(prepared: Prepared, tails: dict[int, int], share: float) -> set[int]:
    """Items whose chain (the item and the longest chain of work after it) needs more than
    ``share`` of an average technician's working time from its earliest start to its due date.

    Placed by priority alone, such a chain of middling priority gets only what the more
    important work left, piece by piece, and its last tasks no longer fit before the horizon
    ends (generated M: 46 items left out of 1,000 at a load of 60 %)."""
    per_day = sum(map(prepared.capacity, prepared.technicians)) / max(
        1, len(prepared.technicians) * sum(day.working for day in prepared.days)
    )
    working_days_before = [0]
    for day in prepared.days:
        working_days_before.append(working_days_before[-1] + day.working)
    tight = set()
    for item in prepared.items:
        end = item.due if item.due is not None else prepared.horizon_end
        first, last = prepared.day_of(item.earliest).index, prepared.day_of(end - 1).index
        days = working_days_before[last + 1] - working_days_before[first]
        if tails[item.index] > share * per_day * max(1, days):
            tight.add(item.index)
    return tight


def place_flexible(state: GreedyState, item: PreparedItem) -> None:
    """Give the item to the technician who can finish it first (ties: least loaded)."""
    if any(b not in state.schedule.placed for b in item.after):
        return
    ready = max([item.earliest] + [state.schedule.end(state.prepared.items[b]) for b in item.after])
    best: tuple[tuple, int, tuple[int, ...]] | None = None
    for tech in item.eligible:
        starts = _earliest_parts(state, item, tech, ready)
        if starts is None:
            continue
        finish = starts[-1] + item.parts[-1]
        load = sum(state.worked[tech].values())
        rank: tuple = (finish, load, tech)
        if state.rarity:  # the same day is as good; then spare those with rare skills
            rank = (state.prepared.day_of(finish - 1).index, state.rarity[tech], *rank)
        if best is None or rank < best[0]:
            best = (rank, tech, starts)
    if best is None:
        return
    _, tech, starts = best
    state.place(item, (tech, starts))


def _earliest_parts(
    state: GreedyState, item: PreparedItem, tech: int, ready: int
) -> tuple[int, ...] | None:
    """Earliest starts of all parts on ``tech``, each after the previous, or None."""
    allowed = state.prepared.allowed(item, state.prepared.technicians[tech])
    busy = state.busy[tech]
    starts: list[int] = []
    cursor = ready
    for length in item.parts:
        at = busy.earliest(allowed, length, cursor)
        while at is not None:
            if not state.within_cap(tech, at, at + length):
                at = busy.earliest(allowed, length, state.prepared.day_of(at).end)
            elif not state.leaves_reserve_room(tech, at, at + length):  # with the parts before
                at = busy.earliest(allowed, length, at + state.prepared.slot)
            else:
                break
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

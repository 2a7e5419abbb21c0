"""A lower bound of our own: CP-SAT's LP bound of this objective is near 0 and says nothing.

Three relaxations, of the unscheduled and the late term (balance is bounded by 0):

1. Earliest finish: each item's earliest start is its own ``earliest`` or its predecessors'
   earliest finish, where a technician does nothing else: its parts in order, each inside
   one free stretch, and no more work a day than the day's hours less the percent reserve
   (generated S with 20 % more work, ``--load 1.2``: the bound is 60,000 against 39,000 with
   parts split over stretches and the reserve left in, as a 7 h priority-1 task cannot
   finish: its chain starts with 11 h only a part-timer may do, one 110 min part a day). An
   item that cannot finish by the horizon's end this way, and all items after it, are
   certainly unscheduled; one that finishes after its due date this way is certainly late
   by the difference, or left out (generated M: 41.7 points, where every energy bound is 0).
2. Energy: for a group S of technicians and a day T, the items only S can do and that cannot
   start before T need their effort inside S's capacity from T on. Work beyond it stays
   unscheduled, and the cheapest way to drop it is fractional, lowest priority first.

3. Late energy: for a group S, the items only S can do that cannot start before day T and
   are due by the end of day D need their effort inside S's capacity in days T..D. Each
   minute beyond it is done after D, so its item ends at least that minute late (one
   technician works on it), or is not done at all (dearer); the cheapest way is to put it
   on the items of lowest priority weight.

Both energy bounds are taken twice: all work against all the time the group may work (for
an after-hours technician, every customer's windows, too), and the work that must lie in
working hours (all but in-window maintenance and pinned work) against working hours alone.
Counting the windows as time for any work hid every shortage of a group with an after-hours
technician, the whole team included: generated S and M with 20 % more work (``--load
1.2``) have bounds of 293,500 and 2,094,500 points this way, against 60,000 and 523,500.

The bound is the certain cost plus the best of the certain lateness and the energy bounds
over the groups (by skill, by eligible set, everyone) and days; groups overlap, and an item
late for its chain may be late for capacity too, so their bounds are not added. On the
generated benchmark scenarios with the work the team can carry, no group is short of
capacity in any window: the energy bounds are 0 there, and so is any other bound that only
counts capacity.
"""

from __future__ import annotations

import itertools
import math
from collections import defaultdict
from functools import cached_property

from models.intervals import Interval
from models.prepare import Prepared
from models.records import PreparedItem
from solver.buffer import buffer_level, percent_blocks


def lower_bound(prepared: Prepared, schedulable: set[int] | None = None) -> float:
    """A valid lower bound on the objective, in points.

    ``schedulable``: the items that might be scheduled at all (default: those with a skilled
    technician); the others count as certainly unscheduled.
    """
    if schedulable is None:
        schedulable = {item.index for item in prepared.items if item.eligible}
    day_capacity = capacity_by_day(prepared)
    starts, finishes = _earliest_times(prepared, schedulable, day_capacity)
    rate = prepared.scenario.weights.unscheduled / 60
    certain = sum(
        rate * item.weight * item.effort for item in prepared.items if item.index not in starts
    )
    late_rate = prepared.scenario.weights.late_per_day / 1440
    any_time = _capacity_after(day_capacity)
    in_hours = _capacity_after(capacity_by_day(prepared, windows=False))
    best = _certain_lateness(prepared, finishes, rate, late_rate)
    for group in _groups(prepared, starts):
        demand = [prepared.items[i] for i in starts if set(prepared.items[i].eligible) <= group]
        for work, after in ((demand, any_time), ([i for i in demand if _in_hours(i)], in_hours)):
            best = max(
                best,
                _energy_bound(prepared, work, starts, group, after, rate),
                _late_energy_bound(prepared, work, starts, group, after, late_rate),
            )
    return certain + best


def _certain_lateness(
    prepared: Prepared, finishes: dict[int, float], rate: float, late_rate: float
) -> float:
    """Each item ends at its earliest finish or later: after its due date, it is late by at
    least the difference, or left out, whichever costs less."""
    found = 0.0
    for index, end in finishes.items():
        item = prepared.items[index]
        if item.due is not None and end > item.due:
            late = late_rate * item.weight * (end - item.due)
            found += min(late, rate * item.weight * item.effort)
    return found


def _in_hours(item: PreparedItem) -> bool:
    """Whether the item lies in its technician's working hours, wherever it is planned."""
    return item.windows is None and item.pinned is None


def earliest_finish(
    prepared: Prepared,
    item: PreparedItem,
    tech: int,
    ready: float,
    day_capacity: dict[int, list[float]],
) -> float:
    """The earliest ``tech`` could finish ``item`` from ``ready`` on if it did nothing else
    (``_finish``; ``day_capacity``: ``capacity_by_day``); inf if not by the horizon's end."""
    allowed = prepared.allowed(item, prepared.technicians[tech])
    # frozen work (replans) stays where it was, whatever the day's cap
    caps = day_capacity[tech] if item.pinned is None else [math.inf] * len(prepared.days)
    return _finish(prepared, allowed, math.ceil(ready), item.parts, caps)


def _finish(
    prepared: Prepared,
    allowed: list[Interval],
    ready: int,
    parts: tuple[int, ...],
    day_capacity: list[float],
) -> float:
    """When the parts are done in order from ``ready`` on, each inside one free stretch and
    no more work a day than the technician's ``day_capacity`` (working hours less the percent
    reserve): the earliest the technician could finish them if it did nothing else."""
    used: dict[int, float] = defaultdict(float)
    k, at = 0, ready
    for lo, hi in allowed:
        if hi - max(lo, at) < parts[k]:
            continue
        at = max(lo, at)
        day = prepared.day_of(lo)
        within = hi <= day.end  # working hours lie in one day; a window may pass midnight
        while k < len(parts) and hi - at >= parts[k]:
            end = at + parts[k]
            minutes = {day.index: parts[k]} if within else _minutes_by_day(prepared, at, end)
            if any(used[d] + m > day_capacity[d] for d, m in minutes.items()):
                break
            for d, m in minutes.items():
                used[d] += m
            at += parts[k]
            k += 1
        if k == len(parts):
            return at
    return math.inf


def _minutes_by_day(prepared: Prepared, start: int, end: int) -> dict[int, int]:
    """The minutes of [start, end) on each day they touch."""
    minutes: dict[int, int] = defaultdict(int)
    while start < end:
        day = prepared.day_of(start)
        upto = min(end, day.end) if day.end > start else end
        minutes[day.index] += upto - start
        start = upto
    return minutes


def _earliest_times(
    prepared: Prepared, schedulable: set[int], day_capacity: dict[int, list[float]]
) -> tuple[dict[int, float], dict[int, float]]:
    """Earliest start and finish of every item that can finish by the horizon's end
    (relaxed)."""
    starts: dict[int, float] = {}
    finish: dict[int, float] = {}
    for item in _topological(prepared):
        if item.index not in schedulable or any(b not in finish for b in item.after):
            continue
        ready = max([item.earliest] + [finish[b] for b in item.after])
        if item.fixed is not None:
            done = item.fixed[1] if item.fixed[0] >= ready else math.inf
        else:
            done = min(
                (earliest_finish(prepared, item, t, ready, day_capacity) for t in item.eligible),
                default=math.inf,
            )
        if done <= prepared.horizon_end:
            starts[item.index], finish[item.index] = ready, done
    return starts, finish


class EarliestFinish:
    """The earliest an item could finish (relaxation 1), worked out for its chain when first
    asked: a late item that ends then cannot end sooner in any plan (generated M: m00138,
    10 h late whatever the plan)."""

    def __init__(self, prepared: Prepared) -> None:
        self.prepared = prepared
        self.found: dict[int, float] = {}

    @cached_property
    def day_capacity(self) -> dict[int, list[float]]:
        """Worked out when first needed: most searches never ask (generated L: 0.26 s)."""
        return capacity_by_day(self.prepared)

    def __call__(self, item: PreparedItem) -> float:
        if item.index not in self.found:
            chain = {
                i
                for i in self.prepared.ancestors(item) | {item.index}
                if self.prepared.items[i].eligible
            }
            _, finishes = _earliest_times(self.prepared, chain, self.day_capacity)
            self.found.update(finishes)
            self.found.setdefault(item.index, math.inf)
        return self.found[item.index]


def _topological(prepared: Prepared) -> list[PreparedItem]:
    ordered: list[PreparedItem] = []
    seen: set[int] = set()

    def visit(item: PreparedItem) -> None:
        if item.index not in seen:
            seen.add(item.index)
            for before in item.after:
                visit(prepared.items[before])
            ordered.append(item)

    for item in prepared.items:
        visit(item)
    return ordered


def _capacity_after(day_capacity: dict[int, list[float]]) -> dict[int, list[float]]:
    """Technician -> minutes it could work from the start of day d to the horizon's end."""
    found = {}
    for tech, per_day in day_capacity.items():
        after = [*per_day, 0.0]
        for d in range(len(per_day) - 1, -1, -1):
            after[d] += after[d + 1]
        found[tech] = after
    return found


def capacity_by_day(prepared: Prepared, windows: bool = True) -> dict[int, list[float]]:
    """Technician -> minutes it could work on day d: working hours less the percent reserve
    blocks, plus (``windows``) the whole of all customers' windows outside them for an
    after-hours technician (an over-estimate, so the bound stays valid)."""
    window_time = sorted({w for ws in prepared.windows.values() for w in ws}) if windows else []
    reserve: dict[tuple[int, int], int] = defaultdict(int)
    policy, level = buffer_level(prepared)
    if policy == "percent":
        for block in percent_blocks(prepared, level):
            reserve[block.tech, block.day] += block.length
    found = {}
    for tech in prepared.technicians:
        per_day = [0.0] * len(prepared.days)
        stretches = tech.available + (window_time if tech.after_hours else [])
        for lo, hi in stretches:
            for d, minutes in _minutes_by_day(prepared, lo, hi).items():
                per_day[d] += minutes
        for day in prepared.days:
            per_day[day.index] -= reserve[tech.index, day.index]
        found[tech.index] = per_day
    return found


def _groups(prepared: Prepared, starts: dict[int, float]) -> list[frozenset[int]]:
    """Technician groups to relax over: per skill, per eligible set, and the whole team."""
    groups = {frozenset(t.index for t in prepared.technicians)}
    for skill in {s for t in prepared.technicians for s in t.skills}:
        groups.add(frozenset(t.index for t in prepared.technicians if skill in t.skills))
    groups |= {frozenset(prepared.items[i].eligible) for i in starts}
    return [g for g in groups if g]


def _energy_bound(
    prepared: Prepared,
    demand: list[PreparedItem],
    starts: dict[int, float],
    group: frozenset[int],
    after: dict[int, list[float]],
    rate: float,
) -> float:
    """Best, over days T, of the least cost of dropping the effort that cannot fit after T."""
    by_day: dict[int, list[PreparedItem]] = defaultdict(list)
    for item in demand:
        by_day[prepared.day_of(math.floor(starts[item.index])).index].append(item)
    effort_by_weight: dict[int, float] = defaultdict(float)
    best = 0.0
    for day in range(len(prepared.days) - 1, -1, -1):
        for item in by_day.get(day, []):
            effort_by_weight[item.weight] += item.effort
        excess = sum(effort_by_weight.values()) - sum(after[t][day] for t in group)
        best = max(best, _cheapest(excess, effort_by_weight, rate))
    return best


def _cheapest(excess: float, minutes_by_weight: dict[int, float], rate: float) -> float:
    """The least cost of ``excess`` minutes taken from the lowest priority weights first, at
    ``rate`` points per weight and minute."""
    cost = 0.0
    for weight in sorted(minutes_by_weight):
        if excess <= 0:
            break
        taken = min(excess, minutes_by_weight[weight])
        cost += rate * weight * taken
        excess -= taken
    return cost


def _late_energy_bound(
    prepared: Prepared,
    demand: list[PreparedItem],
    starts: dict[int, float],
    group: frozenset[int],
    after: dict[int, list[float]],
    rate: float,
) -> float:
    """Best, over windows of days T..D, of the least lateness the work beyond the group's
    capacity in the window costs (``rate``: points per weight and minute late)."""
    days = len(prepared.days)
    by_first: dict[int, dict[int, list[float]]] = defaultdict(dict)
    """Day T -> weight -> minutes, by due day, of the items that cannot start before T."""
    for item in demand:
        if item.due is not None and item.due < prepared.horizon_end:
            first = prepared.day_of(math.floor(starts[item.index])).index
            minutes = by_first[first].setdefault(item.weight, [0.0] * days)
            minutes[prepared.day_of(item.due).index] += item.effort
    capacity = [sum(after[t][d] for t in group) for d in range(days + 1)]
    from_first: dict[int, list[float]] = defaultdict(lambda: [0.0] * days)
    best = 0.0
    for first in sorted(by_first, reverse=True):
        for weight, minutes in by_first[first].items():
            row = from_first[weight]
            for due_day, effort in enumerate(minutes):
                row[due_day] += effort
        due_by = {w: list(itertools.accumulate(row)) for w, row in from_first.items()}
        for last in range(first, days):
            due = {weight: minutes[last] for weight, minutes in due_by.items()}
            excess = sum(due.values()) - (capacity[first] - capacity[last + 1])
            best = max(best, _cheapest(excess, due, rate))
    return best

"""A lower bound of our own: CP-SAT's LP bound of this objective is near 0 and says nothing.

Capacity relaxation: for a group S of technicians, the items only S can do need their effort
inside S's capacity (available minutes, less the fixed percent reserve, plus after-hours
window time). Work beyond it must stay unscheduled, and the cheapest way to drop it is
fractional, lowest priority first. Items nobody can do are always unscheduled. Lateness and
balance are bounded by 0. The bound is the best over the groups (by skill, by eligible set,
everyone); groups overlap, so their bounds are not added.
"""

from __future__ import annotations

from collections import defaultdict

from models.prepare import Prepared, PreparedItem, merge, subtract
from solver.buffer import buffer_level, percent_blocks


def lower_bound(prepared: Prepared, schedulable: set[int] | None = None) -> float:
    """A valid lower bound on the objective, in points.

    ``schedulable``: the items that might be scheduled at all (default: those with a skilled
    technician); the others count as certainly unscheduled.
    """
    if schedulable is None:
        schedulable = {item.index for item in prepared.items if item.eligible}
    rate = prepared.scenario.weights.unscheduled / 60
    certain = sum(
        rate * item.weight * item.effort for item in prepared.items if item.index not in schedulable
    )
    capacity = _capacities(prepared)
    best = 0.0
    for group in _groups(prepared, schedulable):
        demand = [
            prepared.items[i] for i in schedulable if set(prepared.items[i].eligible) <= group
        ]
        best = max(best, _drop_cost(demand, sum(capacity[t] for t in group), rate))
    return certain + best


def _capacities(prepared: Prepared) -> dict[int, int]:
    """Minutes each technician could work at most: hours less reserve, plus after-hours windows."""
    reserve: dict[int, int] = defaultdict(int)
    policy, level = buffer_level(prepared)
    if policy == "percent":
        for block in percent_blocks(prepared, level):
            reserve[block.tech] += block.length
    windows = merge([w for ws in prepared.windows.values() for w in ws])
    found = {}
    for tech in prepared.technicians:
        extra = 0
        if tech.after_hours:
            blocked = [iv for iv, _ in tech.absences] + prepared.holiday_intervals
            extra = sum(e - s for s, e in subtract(subtract(windows, tech.available), blocked))
        found[tech.index] = prepared.capacity(tech) - reserve[tech.index] + extra
    return found


def _groups(prepared: Prepared, schedulable: set[int]) -> list[frozenset[int]]:
    """Technician groups to relax over: per skill, per eligible set, and the whole team."""
    groups = {frozenset(t.index for t in prepared.technicians)}
    for skill in {s for t in prepared.technicians for s in t.skills}:
        groups.add(frozenset(t.index for t in prepared.technicians if skill in t.skills))
    groups |= {frozenset(prepared.items[i].eligible) for i in schedulable}
    return [g for g in groups if g]


def _drop_cost(demand: list[PreparedItem], capacity: int, rate: float) -> float:
    """Least cost of leaving out enough effort (fractionally) to fit ``capacity``."""
    excess = sum(item.effort for item in demand) - capacity
    cost = 0.0
    for item in sorted(demand, key=lambda i: i.weight):
        if excess <= 0:
            break
        dropped = min(excess, item.effort)
        cost += rate * item.weight * dropped
        excess -= dropped
    return cost

"""The objective of a schedule, computed by the engines for their own decisions.

The same formula as ``models.check`` (which stays the authority for every emitted plan);
the engines need it fast and in minutes, without building a plan first.
"""

from __future__ import annotations

from models.prepare import Prepared
from solver.schedule import Schedule


def schedule_terms(prepared: Prepared, schedule: Schedule) -> dict[str, float]:
    """unscheduled, late, balance (and in replans changes) terms of a schedule, in points."""
    weights = prepared.scenario.weights
    unscheduled = sum(
        item.weight * item.effort / 60
        for item in prepared.items
        if item.index not in schedule.placed
    )
    late = sum(
        item.weight * max(0, schedule.end(item) - item.due) / 1440
        for item in prepared.items
        if item.index in schedule.placed and item.due is not None
    )
    terms = {
        "unscheduled": weights.unscheduled * unscheduled,
        "late": weights.late_per_day * late,
        "balance": weights.balance * utilisation_spread(prepared, schedule),
    }
    if prepared.previous:
        terms["changes"] = weights.change * changed_items(prepared, schedule)
    return terms


def changed_items(prepared: Prepared, schedule: Schedule) -> int:
    """Replans: items of the previous plan now planned elsewhere (another time or technician)."""
    return sum(
        index in schedule.placed and schedule.placed[index] != before
        for index, before in prepared.previous.items()
    )


def utilisation_spread(prepared: Prepared, schedule: Schedule) -> int:
    """max - min over technicians with capacity of floor(100 * busy / capacity)."""
    busy = [0] * len(prepared.technicians)
    for index, (tech, _) in schedule.placed.items():
        busy[tech] += prepared.items[index].effort
    for tech, start, end, _ in schedule.reserve:
        busy[tech] += end - start
    shares = [
        100 * busy[t.index] // capacity
        for t in prepared.technicians
        if (capacity := prepared.capacity(t)) > 0
    ]
    return max(shares) - min(shares) if len(shares) > 1 else 0


def schedule_objective(prepared: Prepared, schedule: Schedule) -> float:
    return sum(schedule_terms(prepared, schedule).values())

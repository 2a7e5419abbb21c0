"""The objective of a schedule, computed by the engines for their own decisions.

The same formula as ``models.check_objective`` (which stays the authority for every emitted
plan); the engines need it fast and in minutes, without building a plan first.
"""

from __future__ import annotations

from models.prepare import Prepared
from models.records import PreparedItem
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
        item.weight * late_minutes(item, schedule) / 1440
        for item in prepared.items
        if item.index in schedule.placed
    )
    terms = {
        "unscheduled": weights.unscheduled * unscheduled,
        "late": weights.late_per_day * late,
        "balance": weights.balance * spread(capacities(prepared), busy_minutes(prepared, schedule)),
    }
    if prepared.previous:
        terms["changes"] = weights.change * changed_items(prepared, schedule)
    return terms


def late_minutes(item: PreparedItem, schedule: Schedule) -> int:
    """How long a placed item ends after its due date."""
    return 0 if item.due is None else max(0, schedule.end(item) - item.due)


def placed_cost(prepared: Prepared, schedule: Schedule, item: PreparedItem) -> float:
    """The late and change points of one placed item (all but balance of what it costs)."""
    weights = prepared.scenario.weights
    cost = weights.late_per_day * item.weight * late_minutes(item, schedule) / 1440
    before = prepared.previous.get(item.index)
    if before is not None and schedule.placed[item.index] != before:
        cost += weights.change
    return cost


def changed_items(prepared: Prepared, schedule: Schedule) -> int:
    """Replans: items of the previous plan now planned elsewhere (another time or technician)."""
    return sum(
        index in schedule.placed and schedule.placed[index] != before
        for index, before in prepared.previous.items()
    )


def busy_minutes(prepared: Prepared, schedule: Schedule) -> list[int]:
    """Per technician, minutes of planned work and reserve."""
    busy = [0] * len(prepared.technicians)
    for index, (tech, _) in schedule.placed.items():
        busy[tech] += prepared.items[index].effort
    for tech, start, end, _ in schedule.reserve:
        busy[tech] += end - start
    return busy


def capacities(prepared: Prepared) -> list[int]:
    """Per technician, available minutes over the horizon."""
    return [prepared.capacity(t) for t in prepared.technicians]


def load_shares(capacity: list[int], busy: list[int]) -> dict[int, int]:
    """Technician -> floor(100 * busy / capacity), for technicians with capacity."""
    return dict(zip(_with_capacity(capacity), _shares(capacity, busy), strict=True))


def spread(capacity: list[int], busy: list[int]) -> int:
    """max - min of the load shares (no dict of them: the passes ask for the spread twice a
    move, thousands of moves a pass)."""
    shares = _shares(capacity, busy)
    return max(shares) - min(shares) if len(shares) > 1 else 0


def _with_capacity(capacity: list[int]) -> list[int]:
    return [t for t, c in enumerate(capacity) if c > 0]


def _shares(capacity: list[int], busy: list[int]) -> list[int]:
    """floor(100 * busy / capacity) of the technicians with capacity, in their order."""
    return [100 * b // c for b, c in zip(busy, capacity, strict=True) if c > 0]


def schedule_objective(prepared: Prepared, schedule: Schedule) -> float:
    return sum(schedule_terms(prepared, schedule).values())

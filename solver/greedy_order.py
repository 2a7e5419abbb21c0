"""The greedy's order of flexible work: tight chains, priority, due date or slack, earliest start.

The order decides which work gets the free time first. Every task comes after its
predecessors, and with ``tight`` the items of project chains that need a large share of a
technician's time before their due date come first, so that their last tasks still fit
(``_tight_chains``). The polish passes (``solver.repair``, ``solver.room``) place work
again in the same order.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

from models.prepare import Prepared
from models.records import PreparedItem


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

    return predecessors_first(prepared, key)


def predecessors_first(
    prepared: Prepared, key: Callable[[PreparedItem], Any]
) -> list[PreparedItem]:
    """The flexible items sorted by ``key``, each task moved after its predecessors."""
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

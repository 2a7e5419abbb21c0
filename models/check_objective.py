"""The objective and key figures of a plan, recomputed from the plan alone.

The engines compute an objective for their own decisions; this one, computed without their
code, is the one a plan is judged by (``models.check.evaluate`` reports it). The objective is
the sum of three named terms (minutes from the prepared view, weights ``w`` from the scenario,
``weight(i) = 6 - priority(i)``, ``effort(i)`` rounded up to the slot):

- ``unscheduled = w.unscheduled * sum_{i unscheduled} weight(i) * effort(i) / 60``
- ``late = w.late_per_day * sum_{i scheduled, due(i) set} weight(i) * late(i) / 1440`` with
  ``late(i) = max(0, end(i) - due(i))`` and ``end(i)`` the end of the item's last part;
- ``balance = w.balance * (max_t u_t - min_t u_t)`` over technicians with capacity
  ``c_t > 0`` (available minutes over the horizon), where ``u_t = floor(100 * busy_t / c_t)``
  and ``busy_t`` is the minutes of t's assignments plus t's reserve entries; 0 with fewer
  than two such technicians;
- replans only (``prepared.previous`` set, see ``models.replan``): ``changes = w.change *
  (moved + reassigned)``, items of the previous plan now at another time or on another
  technician (dropped ones already count as unscheduled).

An item counts as scheduled when the plan has at least one valid assignment for it.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from typing import Any

from models.check_context import Context
from models.records import KINDS, PreparedItem

DAY = 1440


# -- objective and key figures -------------------------------------------------------------
def objective_terms(ctx: Context) -> dict[str, float]:
    """The named objective terms of the module docstring."""
    weights = ctx.prepared.scenario.weights
    unscheduled = sum(i.weight * i.effort / 60 for i in _unscheduled(ctx))
    late = sum(ctx.prepared.items[i].weight * m / DAY for i, m in _late_minutes(ctx).items())
    terms = {
        "unscheduled": float(weights.unscheduled * unscheduled),
        "late": float(weights.late_per_day * late),
        "balance": float(weights.balance * _spread(ctx)),
    }
    if ctx.prepared.previous:
        changes = _changes(ctx)
        terms["changes"] = float(weights.change * (changes["moved"] + changes["reassigned"]))
    return terms


def _changes(ctx: Context) -> Counter[str]:
    """Replans: items of the previous plan now planned at another time on the same technician
    (moved), on another technician (reassigned), or not at all (dropped)."""
    found: Counter[str] = Counter()
    for index, (tech, starts) in ctx.prepared.previous.items():
        parts = ctx.by_item.get(index)
        if not parts:
            found["dropped"] += 1
        elif any(p.tech.index != tech for p in parts):
            found["reassigned"] += 1
        elif tuple(p.start for p in parts) != starts:
            found["moved"] += 1
    return found


def _unscheduled(ctx: Context) -> list[PreparedItem]:
    return [item for item in ctx.prepared.items if item.index not in ctx.by_item]


def _late_minutes(ctx: Context) -> dict[int, int]:
    """Scheduled items with a due date: minutes their last part ends after it (0 if on time)."""
    found = {}
    for index, parts in ctx.by_item.items():
        due = ctx.prepared.items[index].due
        if due is not None:
            found[index] = max(0, max(p.end for p in parts) - due)
    return found


def _busy(ctx: Context) -> dict[int, int]:
    """Per technician: minutes of assignments plus reserve entries."""
    busy: dict[int, int] = defaultdict(int)
    for part in ctx.parts:
        busy[part.tech.index] += part.end - part.start
    for held in ctx.reserves:
        busy[held.tech.index] += held.end - held.start
    return busy


def _spread(ctx: Context) -> int:
    """max_t u_t - min_t u_t with u_t = floor(100 busy_t / c_t) over technicians with c_t > 0."""
    busy = _busy(ctx)
    loads = [
        100 * busy[tech.index] // capacity
        for tech in ctx.prepared.technicians
        if (capacity := ctx.prepared.capacity(tech)) > 0
    ]
    return max(loads) - min(loads) if len(loads) >= 2 else 0


def key_figures(ctx: Context) -> dict[str, Any]:
    """KPIs as a flat, JSON-friendly dict (hours and days rounded to 2 decimals)."""
    planned = sum(p.end - p.start for p in ctx.parts)
    capacity = sum(ctx.prepared.capacity(t) for t in ctx.prepared.technicians)
    missing = _unscheduled(ctx)
    late = [m for m in _late_minutes(ctx).values() if m > 0]
    by_tech: dict[str, float] = {t.id: 0.0 for t in ctx.prepared.technicians}
    by_priority = {str(p): 0.0 for p in range(1, 6)}
    by_kind = dict.fromkeys(KINDS, 0)
    for part in ctx.parts:
        by_tech[part.tech.id] += (part.end - part.start) / 60
    for item in missing:
        by_priority[str(item.priority)] += item.effort / 60
    for index in ctx.by_item:
        by_kind[ctx.prepared.items[index].kind] += 1
    return {
        "planned_hours": round(planned / 60, 2),
        "capacity_hours": round(capacity / 60, 2),
        "utilisation": round(planned / capacity, 4) if capacity else 0.0,
        "reserve_hours": round(sum(h.end - h.start for h in ctx.reserves) / 60, 2),
        "scheduled_items": len(ctx.by_item),
        "unscheduled_items": len(missing),
        "unscheduled_hours": round(sum(i.effort for i in missing) / 60, 2),
        "late_items": len(late),
        "late_days": round(sum(late) / DAY, 2),
        "hours_by_technician": {k: round(v, 2) for k, v in by_tech.items()},
        "unscheduled_hours_by_priority": {k: round(v, 2) for k, v in by_priority.items()},
        "items_by_kind": by_kind,
    } | (_change_figures(ctx) if ctx.prepared.previous else {})


def _change_figures(ctx: Context) -> dict[str, int]:
    changes = _changes(ctx)
    return {
        "moved_items": changes["moved"],
        "reassigned_items": changes["reassigned"],
        "dropped_items": changes["dropped"],
        "frozen_items": sum(item.pinned is not None for item in ctx.prepared.items),
    }

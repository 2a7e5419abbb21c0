"""Soft terms of the objective, each a function returning named penalty terms.

Units: the model's objective is in 1/1440 points, so that minutes of lateness (per day) and
minutes of effort (per hour) are integers; ``SCALE`` turns it back into the points that
``models.check`` recomputes. Weights come from the scenario; priority p weighs 6 - p.
"""

from __future__ import annotations

from dataclasses import dataclass

from ortools.sat.python import cp_model

from solver.variables import Variables

SCALE = 1440


@dataclass(frozen=True)
class Term:
    """``coefficient * variable`` in model units, named after its rule and indices."""

    name: str
    family: str
    coefficient: int
    variable: cp_model.LiteralT
    item: int | None = None


def penalize_unscheduled(v: Variables) -> list[Term]:
    """unscheduled: w_u * weight * effort hours, for each item left out."""
    weight = v.prepared.scenario.weights.unscheduled
    terms = []
    for item in v.prepared.items:
        left_out: cp_model.LiteralT = (
            v.scheduled[item.index].Not() if item.index in v.scheduled else True
        )
        coefficient = weight * item.weight * item.effort * (SCALE // 60)
        if coefficient:
            terms.append(
                Term(
                    f"unscheduled(item={item.id})", "unscheduled", coefficient, left_out, item.index
                )
            )
    return terms


def penalize_late(v: Variables) -> list[Term]:
    """late: w_l * weight * max(0, end - due) in days, for each scheduled item with a due date."""
    weight = v.prepared.scenario.weights.late_per_day
    terms = []
    for item in v.prepared.items:
        if item.due is None or item.index not in v.scheduled or not weight:
            continue
        end_minutes = v.end(item.index) * v.slot
        latest_end = _latest_end(v, item.index) * v.slot
        if latest_end <= item.due:
            continue
        late = v.model.new_int_var(0, latest_end - min(item.due, latest_end), f"late({item.id})")
        v.model.add(late >= end_minutes - item.due).only_enforce_if(v.scheduled[item.index])
        terms.append(
            Term(
                f"late(item={item.id})",
                "late",
                weight * item.weight * (SCALE // 1440),
                late,
                item.index,
            )
        )
    return terms


def _latest_end(v: Variables, item: int) -> int:
    """The latest slot the item's last part can end, with any of its technicians (looked up
    by key: a scan of every domain per item took 16 s of a 17 s build of generated M)."""
    last = len(v.lengths[item]) - 1
    return max(v.domains[item, last, t][-1][1] for t in v.techs[item]) + v.lengths[item][last]


def penalize_balance(v: Variables) -> list[Term]:
    """balance: w_b * (max_t u_t - min_t u_t), u_t = floor(100 * busy_t / capacity_t)."""
    weight = v.prepared.scenario.weights.balance
    loads = []
    for tech in v.prepared.technicians:
        capacity = v.prepared.capacity(tech)
        if capacity > 0:
            loads.append(_utilisation(v, tech.index, capacity))
    if not weight or len(loads) < 2:
        return []
    top = v.model.new_int_var(0, 10_000, "utilisation_max")
    bottom = v.model.new_int_var(0, 10_000, "utilisation_min")
    v.model.add_max_equality(top, loads)
    v.model.add_min_equality(bottom, loads)
    spread = v.model.new_int_var(0, 10_000, "utilisation_spread")
    v.model.add(spread == top - bottom)
    v.spread = (top, bottom, spread)
    return [Term("balance(utilisation spread)", "balance", weight * SCALE, spread)]


def _utilisation(v: Variables, t: int, capacity: int) -> cp_model.IntVar:
    """u_t = floor(100 * busy_t / capacity_t) with busy = work + reserve minutes."""
    name = v.prepared.technicians[t].id
    work = [(v.prepared.items[i].parts[k], v.assign[i, t]) for i, k, _ in v.work[t]]
    work += v.optional_reserve(t)
    reserve = sum(block.length for block, _, _ in v.reserve if block.tech == t)
    upper = sum(m for m, _ in work) + reserve
    busy = v.model.new_int_var(0, 100 * upper, f"busy100({name})")
    v.model.add(busy == 100 * (sum(m * lit for m, lit in work) + reserve))
    utilisation = v.model.new_int_var(0, max(0, 100 * upper // capacity), f"utilisation({name})")
    v.model.add_division_equality(utilisation, busy, capacity)
    v.busy[t] = busy
    v.utilisation[t] = utilisation
    return utilisation


def penalize_changes(v: Variables) -> list[Term]:
    """changes (replans): w_c for each item of the previous plan planned at another time or
    by another technician; an item dropped already pays as unscheduled."""
    weight = v.prepared.scenario.weights.change
    terms = []
    for index, (tech, starts) in v.prepared.previous.items():
        item = v.prepared.items[index]
        frozen = item.pinned is not None and item.technician is not None
        if not weight or index not in v.scheduled or frozen:
            continue
        changed = v.model.new_bool_var(f"changed({item.id})")
        if (index, tech) in v.assign:
            same = v.model.new_bool_var(f"as_before({item.id})")
            v.as_before[index] = same
            v.model.add_implication(same, v.assign[index, tech])
            for k, start in enumerate(starts):
                v.model.add(v.start[index, k] == start // v.slot).only_enforce_if(same)
            v.model.add(changed >= v.scheduled[index] - same)
        else:
            v.model.add(changed >= v.scheduled[index])
        terms.append(Term(f"changes(item={item.id})", "changes", weight * SCALE, changed, index))
    return terms

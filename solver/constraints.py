"""Hard constraints, one function per rule family of DESIGN.md; ``add_constraints`` lists them."""

from __future__ import annotations

from collections import defaultdict

from ortools.sat.python import cp_model

from models.intervals import merge
from solver.variables import Variables, as_domain


def add_constraints(v: Variables) -> None:
    """The table of contents of the model's hard rules."""
    add_one_technician(v)
    add_required(v)
    add_part_order(v)
    add_precedence(v)
    add_no_overlap(v)
    add_duty(v)
    add_forecast_reserve(v)
    add_daily_caps(v)


def add_one_technician(v: Variables) -> None:
    """sum_t assign[i,t] = scheduled[i]: an item is done whole, by one technician."""
    for item, techs in v.techs.items():
        v.model.add(sum(v.assign[item, t] for t in techs) == v.scheduled[item])


def add_required(v: Variables) -> None:
    """scheduled[i] = 1 for items that must stay planned (their successor stays planned)."""
    for item in v.prepared.items:
        if item.required and item.index in v.scheduled:
            v.model.add(v.scheduled[item.index] == 1)


def add_part_order(v: Variables) -> None:
    """start[i,k+1] >= start[i,k] + len[i,k]: parts in order."""
    for item, lengths in v.lengths.items():
        for k in range(len(lengths) - 1):
            v.model.add(v.start[item, k + 1] >= v.start[item, k] + lengths[k]).only_enforce_if(
                v.scheduled[item]
            )


def add_precedence(v: Variables) -> None:
    """scheduled[j] <= scheduled[i] and start[j,0] >= end[i] for each predecessor i of j."""
    for item in v.prepared.items:
        for before in item.after:
            if item.index not in v.scheduled:
                continue
            if before not in v.scheduled:
                v.model.add(v.scheduled[item.index] == 0)
                continue
            v.model.add(v.scheduled[item.index] <= v.scheduled[before])
            v.model.add(v.start[item.index, 0] >= v.end(before)).only_enforce_if(
                v.scheduled[item.index]
            )


def add_no_overlap(v: Variables) -> None:
    """NoOverlap(work[t] + reserve[t] + duty and forecast blocks[t]) for every technician t."""
    reserve = defaultdict(list)
    for block, _, interval in v.reserve:
        reserve[block.tech].append(interval)
    for tech in v.prepared.technicians:
        t = tech.index
        intervals = [iv for _, _, iv in v.work[t]] + reserve[t] + v.blocks[t]
        if len(intervals) > 1:
            v.model.add_no_overlap(intervals)


def add_duty(v: Variables) -> None:
    """sum_t duty[t,d] = count[d] on each working day."""
    for day in v.duty_days:
        v.model.add(sum(v.duty[t, day.day] for t in day.spans) == day.count)


def add_forecast_reserve(v: Variables) -> None:
    """sum_t free[t,p] >= count[p] in each forecast period p."""
    for p, period in enumerate(v.forecast):
        v.model.add(sum(v.free[t, p] for t in period.present) >= period.count)


def add_daily_caps(v: Variables) -> None:
    """sum over parts of t overlapping day d of len * on_day <= cap[t], on days where it can bind.

    A part that may cross midnight counts whole on both days: safe, the cap then holds all
    the more.
    """
    for tech in v.prepared.technicians:
        cap = tech.max_minutes_per_day
        if cap is None or not v.work[tech.index]:
            continue
        for day in _binding_days(v, tech.index, cap):
            terms = [_on_day(v, item, k, tech.index, day) for item, k, _ in v.work[tech.index]]
            v.model.add(
                sum(v.lengths[i][k] * v.slot * lit for (i, k, lit) in terms if lit is not None)
                <= cap
            )


def _binding_days(v: Variables, t: int, cap: int) -> list[int]:
    """Days on which technician t could work more than ``cap`` minutes at all."""
    covered = merge(
        [
            (lo * v.slot, (hi + v.lengths[item][k]) * v.slot)
            for item, k, _ in v.work[t]
            for lo, hi in v.domains[item, k, t]
        ]
    )
    return [
        day.index
        for day in v.prepared.days
        if sum(max(0, min(e, day.end) - max(s, day.start)) for s, e in covered) > cap
    ]


def _on_day(
    v: Variables, item: int, k: int, t: int, d: int
) -> tuple[int, int, cp_model.IntVar | None]:
    """(item, part, literal that is true iff the part is on t and overlaps day d)."""
    day, length, present = v.prepared.days[d], v.lengths[item][k], v.assign[item, t]
    first, last = day.start // v.slot - length + 1, day.end // v.slot - 1
    domain = v.domains[item, k, t]
    inside = [(max(lo, first), min(hi, last)) for lo, hi in domain if lo <= last and hi >= first]
    if not inside:
        return item, k, None
    if inside == domain:
        return item, k, present
    name = f"on_day({v.prepared.items[item].id}#{k + 1},{v.prepared.technicians[t].id},{day.date})"
    literal = v.model.new_bool_var(name)
    v.on_day[item, k, t, d] = literal
    v.model.add_implication(literal, present)
    v.model.add_linear_expression_in_domain(v.start[item, k], as_domain(inside)).only_enforce_if(
        literal
    )
    outside = as_domain(inside).complement()
    v.model.add_linear_expression_in_domain(v.start[item, k], outside).only_enforce_if(
        [present, literal.Not()]
    )
    return item, k, literal

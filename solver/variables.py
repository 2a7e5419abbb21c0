"""CP-SAT decision variables, in slots from the horizon start.

One start variable per item part, its domain the union of where any skilled technician could
work on it; one presence literal per eligible (item, technician), shared by the optional
intervals of all parts on that technician. Where a technician's own domain is narrower, its
intervals use a copy of the start with that domain, equal to the start when it does the item
(cheaper for CP-SAT than an enforced domain, which it expands into one literal per stretch).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from ortools.sat.python import cp_model

from models.intervals import Interval
from models.prepare import Prepared
from models.records import PreparedItem
from solver.buffer import (
    DutyDay,
    ForecastPeriod,
    ReserveBlock,
    buffer_level,
    duty_days,
    forecast_periods,
    percent_blocks,
)


def start_domain(allowed: list[Interval], length: int) -> list[Interval]:
    """Closed intervals of starts (slots) at which ``length`` slots fit inside ``allowed``."""
    return [(lo, hi - length) for lo, hi in allowed if hi - lo >= length]


def as_domain(intervals: list[Interval]) -> cp_model.Domain:
    return cp_model.Domain.from_intervals([[lo, hi] for lo, hi in intervals])


def union(domains: list[list[Interval]]) -> list[Interval]:
    merged: list[Interval] = []
    for lo, hi in sorted(iv for d in domains for iv in d):
        if merged and lo <= merged[-1][1] + 1:
            merged[-1] = (merged[-1][0], max(merged[-1][1], hi))
        else:
            merged.append((lo, hi))
    return merged


@dataclass
class Variables:
    """All decision variables of the planning model."""

    prepared: Prepared
    model: cp_model.CpModel
    slot: int
    lengths: dict[int, tuple[int, ...]] = field(default_factory=dict)
    """Item -> part lengths in slots."""
    start: dict[tuple[int, int], cp_model.IntVar] = field(default_factory=dict)
    assign: dict[tuple[int, int], cp_model.IntVar] = field(default_factory=dict)
    scheduled: dict[int, cp_model.IntVar] = field(default_factory=dict)
    domains: dict[tuple[int, int, int], list[Interval]] = field(default_factory=dict)
    """(item, part, technician) -> allowed starts in slots."""
    work: dict[int, list[tuple[int, int, cp_model.IntervalVar]]] = field(
        default_factory=lambda: defaultdict(list)
    )
    """Technician -> (item, part, optional interval) of the work it may do."""
    reserve: list[tuple[ReserveBlock, cp_model.IntVar, cp_model.IntervalVar]] = field(
        default_factory=list
    )
    duty: dict[tuple[int, int], cp_model.IntVar] = field(default_factory=dict)
    duty_days: list[DutyDay] = field(default_factory=list)
    forecast: list[ForecastPeriod] = field(default_factory=list)
    free: dict[tuple[int, int], cp_model.IntVar] = field(default_factory=dict)
    """(technician, forecast period index) -> keeps that hour free for incidents."""
    blocks: dict[int, list[cp_model.IntervalVar]] = field(default_factory=lambda: defaultdict(list))
    """Technician -> optional reserve intervals (duty days, forecast hours)."""

    tech_start: dict[tuple[int, int, int], cp_model.IntVar] = field(default_factory=dict)
    """(item, part, technician) -> copy of the start with the technician's own domain."""
    on_day: dict[tuple[int, int, int, int], cp_model.IntVar] = field(default_factory=dict)
    """(item, part, technician, day) -> the part lies on that day (only where a cap binds)."""
    busy: dict[int, cp_model.IntVar] = field(default_factory=dict)
    """Technician -> 100 x (planned + reserved minutes), for the balance term."""
    utilisation: dict[int, cp_model.IntVar] = field(default_factory=dict)
    """Technician -> floor(100 x busy minutes / available minutes)."""
    spread: tuple[cp_model.IntVar, cp_model.IntVar, cp_model.IntVar] | None = None
    """(highest, lowest, highest - lowest) utilisation."""
    techs: dict[int, list[int]] = field(default_factory=dict)
    """Item -> technicians who may do it."""
    as_before: dict[int, cp_model.IntVar] = field(default_factory=dict)
    """Replans: item -> it keeps its technician and times of the previous plan."""

    def optional_reserve(self, t: int) -> list[tuple[int, cp_model.IntVar]]:
        """(minutes, literal) of technician t's optional reserve: duty days, forecast hours."""
        found = [
            (day.spans[t][1] - day.spans[t][0], self.duty[t, day.day])
            for day in self.duty_days
            if t in day.spans
        ]
        found += [
            (period.end - period.start, self.free[t, p])
            for p, period in enumerate(self.forecast)
            if t in period.present
        ]
        return found

    def end(self, item: int) -> cp_model.LinearExpr:
        """End (slots) of the item's last part."""
        last = len(self.lengths[item]) - 1
        return self.start[item, last] + self.lengths[item][last]


def create_variables(model: cp_model.CpModel, prepared: Prepared) -> Variables:
    """Create every variable; items no technician can do get none (they stay unscheduled)."""
    variables = Variables(prepared=prepared, model=model, slot=prepared.slot)
    for item in prepared.items:
        _item_variables(variables, item)
    policy, level = buffer_level(prepared)
    if policy == "percent":
        _reserve_variables(variables, percent_blocks(prepared, level))
    if policy == "duty":
        _duty_variables(variables, duty_days(prepared, int(level)))
    if policy == "forecast":
        _forecast_variables(variables, forecast_periods(prepared, level))
    return variables


def _item_variables(variables: Variables, item: PreparedItem) -> None:
    prepared, model, slot = variables.prepared, variables.model, variables.slot
    lengths = tuple(part // slot for part in item.parts)
    per_tech: dict[int, list[list[Interval]]] = {}
    for t in item.eligible:
        allowed = [
            (lo // slot, hi // slot) for lo, hi in prepared.allowed(item, prepared.technicians[t])
        ]
        domains = [start_domain(allowed, length) for length in lengths]
        if all(domains) and _parts_fit_in_order(domains, lengths):
            per_tech[t] = domains
    if not per_tech:
        return
    variables.lengths[item.index] = lengths
    variables.techs[item.index] = list(per_tech)
    scheduled = model.new_bool_var(f"scheduled({item.id})")
    variables.scheduled[item.index] = scheduled
    for k in range(len(lengths)):
        domain = union([domains[k] for domains in per_tech.values()])
        start = model.new_int_var_from_domain(as_domain(domain), f"start({item.id}#{k + 1})")
        if item.pinned is not None:  # pinned (a replan, an LNS piece): exactly there
            model.add(start == item.pinned[k] // slot)
        variables.start[item.index, k] = start
    for t, domains in per_tech.items():
        tech = prepared.technicians[t].id
        present = model.new_bool_var(f"assign({item.id},{tech})")
        variables.assign[item.index, t] = present
        for k, length in enumerate(lengths):
            variables.domains[item.index, k, t] = domains[k]
            start = _tech_start(variables, item.index, k, t, f"{item.id}#{k + 1},{tech}")
            interval = model.new_optional_fixed_size_interval_var(
                start, length, present, f"work({item.id}#{k + 1},{tech})"
            )
            variables.work[t].append((item.index, k, interval))


def _tech_start(variables: Variables, item: int, k: int, t: int, name: str) -> cp_model.IntVar:
    """The part's start as seen by technician t: the shared start where t's domain is the
    shared one, else a copy with t's own domain, equal to the shared start when t does it.
    (A copy is much cheaper for CP-SAT than an enforced domain, which it expands into literals.)"""
    shared = variables.start[item, k]
    domain = variables.domains[item, k, t]
    if len(variables.techs[item]) == 1 or domain == _domain_of(shared):
        return shared
    copy = variables.model.new_int_var_from_domain(as_domain(domain), f"start({name})")
    variables.model.add(copy == shared).only_enforce_if(variables.assign[item, t])
    variables.tech_start[item, k, t] = copy
    return copy


def _domain_of(var: cp_model.IntVar) -> list[Interval]:
    bounds = list(var.proto.domain)
    return [(bounds[j], bounds[j + 1]) for j in range(0, len(bounds), 2)]


def _parts_fit_in_order(domains: list[list[Interval]], lengths: tuple[int, ...]) -> bool:
    """Part k+1 can start after the earliest end of part k (a cheap necessary condition)."""
    earliest = domains[0][0][0]
    for k in range(1, len(domains)):
        ready = earliest + lengths[k - 1]
        fits = [max(lo, ready) for lo, hi in domains[k] if hi >= ready]
        if not fits:
            return False
        earliest = fits[0]
    return True


def _reserve_variables(variables: Variables, blocks: list[ReserveBlock]) -> None:
    slot, model = variables.slot, variables.model
    for block in blocks:
        length = block.length // slot
        domain = start_domain([(lo // slot, hi // slot) for lo, hi in block.domain], length)
        tech = variables.prepared.technicians[block.tech].id
        start = model.new_int_var_from_domain(as_domain(domain), f"reserve({tech},day{block.day})")
        interval = model.new_fixed_size_interval_var(
            start, length, f"reserve({tech},day{block.day})"
        )
        variables.reserve.append((block, start, interval))


def _duty_variables(variables: Variables, days: list[DutyDay]) -> None:
    slot, model = variables.slot, variables.model
    variables.duty_days = days
    for day in days:
        lo, hi = day.whole
        for t in day.spans:
            tech = variables.prepared.technicians[t].id
            on = model.new_bool_var(f"duty({tech},day{day.day})")
            variables.duty[t, day.day] = on
            variables.blocks[t].append(
                model.new_optional_fixed_size_interval_var(
                    lo // slot, (hi - lo) // slot, on, f"duty({tech},day{day.day})"
                )
            )


def _forecast_variables(variables: Variables, periods: list[ForecastPeriod]) -> None:
    slot, model = variables.slot, variables.model
    variables.forecast = periods
    for p, period in enumerate(periods):
        for t in period.present:
            name = f"free({variables.prepared.technicians[t].id},{period.start})"
            free = model.new_bool_var(name)
            variables.free[t, p] = free
            length = (period.end - period.start) // slot
            variables.blocks[t].append(
                model.new_optional_fixed_size_interval_var(period.start // slot, length, free, name)
            )

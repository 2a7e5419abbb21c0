"""Wires variables, constraints and penalties into one CP-SAT model; hints and reads it back."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from ortools.sat.python import cp_model

from models.plan import DUTY_REASON, FORECAST_REASON, RESERVE_REASON
from models.prepare import Prepared
from solver.constraints import add_constraints
from solver.penalties import (
    Term,
    penalize_balance,
    penalize_changes,
    penalize_late,
    penalize_unscheduled,
)
from solver.schedule import Schedule
from solver.variables import Variables, create_variables


@dataclass
class PlanningModel:
    model: cp_model.CpModel
    variables: Variables
    terms: list[Term]


def build(prepared: Prepared) -> PlanningModel:
    """The complete model: variables, hard rules, named soft terms, their sum minimised."""
    model = cp_model.CpModel()
    variables = create_variables(model, prepared)
    add_constraints(variables)
    terms = (
        penalize_unscheduled(variables)
        + penalize_late(variables)
        + penalize_balance(variables)
        + penalize_changes(variables)
    )
    model.minimize(sum(term.coefficient * term.variable for term in terms))
    return PlanningModel(model, variables, terms)


def add_hint(planning: PlanningModel, schedule: Schedule) -> None:
    """Hint every variable with the values of a feasible schedule (the greedy's)."""
    v = planning.variables
    values: dict[cp_model.IntVar, int] = {}
    for item, techs in v.techs.items():
        tech, starts = schedule.placed.get(item, (None, None))
        values[v.scheduled[item]] = int(tech in techs)
        for t in techs:
            values[v.assign[item, t]] = int(t == tech)
        for k in range(len(v.lengths[item])):
            start = v.start[item, k]
            values[start] = (
                starts[k] // v.slot if tech in techs and starts else start.proto.domain[0]
            )
    for (item, k, t), copy in v.tech_start.items():
        values[copy] = (
            values[v.start[item, k]] if values[v.assign[item, t]] else copy.proto.domain[0]
        )
    _hint_buffer(v, schedule, values)
    for (item, k, t, d), literal in v.on_day.items():
        values[literal] = int(
            values[v.assign[item, t]] == 1 and _overlaps_day(v, values, item, k, d)
        )
    _hint_terms(planning, values)
    for variable, value in values.items():
        planning.model.add_hint(variable, value)


def _overlaps_day(v: Variables, values: dict, item: int, k: int, d: int) -> bool:
    start = values[v.start[item, k]] * v.slot
    day = v.prepared.days[d]
    return start < day.end and day.start < start + v.lengths[item][k] * v.slot


def _hint_buffer(v: Variables, schedule: Schedule, values: dict) -> None:
    unused = defaultdict(list)
    for tech, start, end, reason in schedule.reserve:
        unused[tech, reason].append((start, end))
    for block, start_var, _ in v.reserve:
        pool = unused[block.tech, RESERVE_REASON]
        match = next(
            (
                (s, e)
                for s, e in pool
                if e - s == block.length and any(lo <= s and e <= hi for lo, hi in block.domain)
            ),
            None,
        )
        if match is None:  # placed under another piece's domain (LNS): any start will do
            values[start_var] = start_var.proto.domain[0]
            continue
        pool.remove(match)
        values[start_var] = match[0] // v.slot
    on_duty = {
        (t, v.prepared.day_of(start).index)
        for (t, reason), pool in unused.items()
        if reason == DUTY_REASON
        for start, _ in pool
    }
    for key, literal in v.duty.items():
        values[literal] = int(key in on_duty)
    for (t, p), literal in v.free.items():
        period = v.forecast[p]
        kept = unused[t, FORECAST_REASON]
        values[literal] = int(any(s <= period.start and period.end <= e for s, e in kept))


def _hint_terms(planning: PlanningModel, values: dict) -> None:
    """Values of the penalty variables implied by the hinted decisions."""
    v = planning.variables
    for term in planning.terms:
        if term.family == "late" and term.item is not None:
            item = term.item
            due = v.prepared.items[item].due or 0
            end = (values[v.start[item, len(v.lengths[item]) - 1]] + v.lengths[item][-1]) * v.slot
            values[term.variable] = max(0, end - due) if values[v.scheduled[item]] else 0
    _hint_changes(planning, values)
    for t, busy in v.busy.items():
        tech = v.prepared.technicians[t]
        work = sum(v.prepared.items[i].parts[k] * values[v.assign[i, t]] for i, k, _ in v.work[t])
        reserve = sum(block.length for block, _, _ in v.reserve if block.tech == t)
        optional = sum(minutes * values[literal] for minutes, literal in v.optional_reserve(t))
        values[busy] = 100 * (work + reserve + optional)
        values[v.utilisation[t]] = values[busy] // v.prepared.capacity(tech)
    if v.spread is not None:
        top, bottom, spread = v.spread
        shares = [values[u] for u in v.utilisation.values()]
        values[top], values[bottom] = max(shares), min(shares)
        values[spread] = values[top] - values[bottom]


def _hint_changes(planning: PlanningModel, values: dict) -> None:
    """Replans: an item is hinted as before when the hint keeps its previous place."""
    v = planning.variables
    for term in planning.terms:
        if term.family != "changes" or term.item is None:
            continue
        item = term.item
        tech, starts = v.prepared.previous[item]
        planned = values[v.scheduled[item]] == 1
        same = (
            planned
            and (item, tech) in v.assign
            and values[v.assign[item, tech]] == 1
            and all(values[v.start[item, k]] * v.slot == s for k, s in enumerate(starts))
        )
        values[term.variable] = int(planned and not same)
        if item in v.as_before:
            values[v.as_before[item]] = int(same)


def read_schedule(planning: PlanningModel, solver: cp_model.CpSolver) -> Schedule:
    """The schedule in minutes from a solver that has a solution."""
    v = planning.variables
    schedule = Schedule()
    for item, techs in v.techs.items():
        if not solver.boolean_value(v.scheduled[item]):
            continue
        tech = next(t for t in techs if solver.boolean_value(v.assign[item, t]))
        starts = tuple(solver.value(v.start[item, k]) * v.slot for k in range(len(v.lengths[item])))
        schedule.placed[item] = (tech, starts)
    for block, start, _ in v.reserve:
        at = solver.value(start) * v.slot
        schedule.reserve.append((block.tech, at, at + block.length, RESERVE_REASON))
    for day in v.duty_days:
        for t, (lo, hi) in day.spans.items():
            if solver.boolean_value(v.duty[t, day.day]):
                schedule.reserve.append((t, lo, hi, DUTY_REASON))
    for (t, p), literal in v.free.items():
        if solver.boolean_value(literal):
            period = v.forecast[p]
            schedule.reserve.append((t, period.start, period.end, FORECAST_REASON))
    return schedule

"""Why an item is unscheduled, in words a planner understands."""

from __future__ import annotations

from models.intervals import clip
from models.prepare import Prepared
from models.records import PreparedItem
from solver.bound import capacity_by_day, earliest_finish
from solver.schedule import Schedule


def _when(prepared: Prepared, minute: int, *, due: bool = False) -> str:
    moment = prepared.moment(minute)
    if moment.hour == moment.minute == 0:  # midnight: a day's start, or a due date's end
        if due:
            return "the end of " + prepared.moment(minute - 1).strftime("%a %Y-%m-%d")
        return "the start of " + moment.strftime("%a %Y-%m-%d")
    return moment.strftime("%a %Y-%m-%d %H:%M")


def _skills(item: PreparedItem) -> str:
    return " + ".join(sorted(item.skills)) if item.skills else "no special skill"


def unscheduled_reasons(prepared: Prepared, schedule: Schedule) -> dict[int, str]:
    """Item index -> why it is unscheduled, for every item the schedule leaves out."""
    left_out = [item for item in prepared.items if item.index not in schedule.placed]
    day_capacity = capacity_by_day(prepared) if left_out else {}
    return {item.index: _reason(prepared, schedule, item, day_capacity) for item in left_out}


def _reason(
    prepared: Prepared, schedule: Schedule, item: PreparedItem, day_capacity: dict[int, list[float]]
) -> str:
    """The first reason that explains why ``item`` could not be placed (``day_capacity``:
    ``solver.bound.capacity_by_day``)."""
    explanations = (_no_skill, _predecessor, _no_window, _never_available, _too_long)
    for explain in explanations:
        reason = explain(prepared, schedule, item)
        if reason:
            return reason
    return _too_late(prepared, schedule, item, day_capacity) or _capacity(prepared, schedule, item)


def _no_skill(prepared: Prepared, schedule: Schedule, item: PreparedItem) -> str | None:
    if item.eligible:
        return None
    if item.technician is not None:
        tech = prepared.technicians[item.technician]
        lacking = ", ".join(sorted(item.skills - tech.skills))
        return f"the named technician {tech.id} lacks skill {lacking}"
    held = set().union(*(t.skills for t in prepared.technicians))
    missing = sorted(item.skills - held)
    if missing:
        return f"no technician has skill {', '.join(missing)}"
    return f"no single technician has all of the skills {', '.join(sorted(item.skills))}"


def _predecessor(prepared: Prepared, schedule: Schedule, item: PreparedItem) -> str | None:
    missing = [prepared.items[b].id for b in item.after if b not in schedule.placed]
    if missing:
        return f"predecessor {', '.join(missing)} is unscheduled"
    return None


def _no_window(prepared: Prepared, schedule: Schedule, item: PreparedItem) -> str | None:
    if item.windows is not None and not prepared.windows.get(item.customer or ""):
        return f"customer {item.customer} has no maintenance window"
    return None


def _never_available(prepared: Prepared, schedule: Schedule, item: PreparedItem) -> str | None:
    if any(prepared.allowed(item, prepared.technicians[t]) for t in item.eligible):
        return None
    if item.fixed is not None:
        who = (
            prepared.technicians[item.technician].id
            if item.technician is not None
            else f"no technician with {_skills(item)}"
        )
        verb = "is not working" if item.technician is not None else "is working"
        return f"{who} {verb} at {_when(prepared, item.fixed[0])}"
    place = "inside the customer's maintenance windows " if item.windows is not None else ""
    return (
        f"nobody with {_skills(item)} is available {place}between "
        f"{_when(prepared, item.earliest)} and the end of the horizon"
    )


def _too_long(prepared: Prepared, schedule: Schedule, item: PreparedItem) -> str | None:
    longest = max(
        (e - s for t in item.eligible for s, e in prepared.allowed(item, prepared.technicians[t])),
        default=0,
    )
    if max(item.parts) <= longest:
        return None
    return (
        f"a part of {max(item.parts) / 60:g} h is longer than any free stretch "
        f"({longest / 60:g} h) of a technician with {_skills(item)}"
    )


def _too_late(
    prepared: Prepared, schedule: Schedule, item: PreparedItem, day_capacity: dict[int, list[float]]
) -> str | None:
    """From when its predecessors end (or its earliest start), not even a skilled technician
    with nothing else to do than its chain could finish it by the horizon's end: its parts
    whole, in order, and no more work a day than the hours less the percent reserve and its
    predecessors' planned work, as in the lower bound."""
    if item.fixed is not None:
        return None
    ready = schedule.ready(item, prepared.items)
    left = _less_the_chain(prepared, schedule, item, day_capacity)
    if any(
        earliest_finish(prepared, item, t, ready, left) <= prepared.horizon_end
        for t in item.eligible
    ):
        return None
    when, effort = _when(prepared, ready), f"{item.effort / 60:g} h of work"
    if item.after:
        return f"its predecessors end {when}, too late for {effort} before the end of the horizon"
    return f"from {when} on, {effort} no longer fit before the end of the horizon"


def _less_the_chain(
    prepared: Prepared, schedule: Schedule, item: PreparedItem, day_capacity: dict[int, list[float]]
) -> dict[int, list[float]]:
    """``day_capacity`` of the item's technicians less the minutes of its planned predecessors
    (theirs too) on each day: they stay where they are (project tasks: in working hours, so
    each part within one day)."""
    left = {t: list(day_capacity[t]) for t in item.eligible}
    for before in prepared.ancestors(item):
        tech = schedule.placed[before][0]
        if tech in left:
            for start, end in schedule.part_intervals(prepared.items[before]):
                left[tech][prepared.day_of(start).index] -= end - start
    return left


def _capacity(prepared: Prepared, schedule: Schedule, item: PreparedItem) -> str:
    if item.fixed is not None:
        when = _when(prepared, item.fixed[0])
        return f"every technician with {_skills(item)} is busy or keeping the reserve at {when}"
    ready = schedule.ready(item, prepared.items)
    until = "the end of the horizon"
    if item.due is not None and ready < item.due < prepared.horizon_end:
        until = f"{_when(prepared, item.due, due=True)} (due) or later"
    booked = f"technicians with {_skills(item)} are fully booked between {_when(prepared, ready)}"
    lower = _lower_priority_minutes(prepared, schedule, item, ready)
    if lower:  # not "higher-priority work": the planner should know it may swap
        return (
            f"no room for its {item.effort / 60:g} h: {booked} and {until}, "
            f"{lower / 60:g} h of that time with lower-priority work"
        )
    return f"capacity taken by work of the same or higher priority: {booked} and {until}"


def _lower_priority_minutes(
    prepared: Prepared, schedule: Schedule, item: PreparedItem, ready: int
) -> int:
    """Minutes of lower-priority work planned where a skilled technician could do ``item``."""
    usable = {
        t: clip(prepared.allowed(item, prepared.technicians[t]), ready, prepared.horizon_end)
        for t in item.eligible
    }
    minutes = 0
    for index, (tech, _) in schedule.placed.items():
        other = prepared.items[index]
        if tech in usable and other.priority > item.priority:
            for start, end in schedule.part_intervals(other):
                minutes += sum(e - s for s, e in clip(usable[tech], start, end))
    return minutes

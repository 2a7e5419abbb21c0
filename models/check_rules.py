"""The hard rules of DESIGN.md, one check function per rule, each yielding its violations.

The rules are read directly from DESIGN.md and the prepared view, sharing no code with the
engines, so the checker can vouch for any engine's plan. Rule 0 covers the plan's structure;
rules 1-8 are the numbered hard rules; rule 9 holds in replans: frozen work stays as it was.
``CHECKS`` lists one function per rule: the table of contents.
"""

from __future__ import annotations

import bisect
import itertools
from collections import defaultdict
from collections.abc import Callable, Iterator

from models.check_context import Context, Part, Violation, violation
from models.intervals import Interval, merge
from models.plan import DUTY_REASON


def inside(intervals: list[Interval], start: int, end: int) -> bool:
    """Whether [start, end) lies inside one of the sorted, disjoint ``intervals``."""
    k = bisect.bisect_right(intervals, (start, float("inf"))) - 1
    return k >= 0 and intervals[k][0] <= start and end <= intervals[k][1]


# -- rule 0: structure ---------------------------------------------------------------------
def check_references(ctx: Context) -> Iterator[Violation]:
    """Rule 0: assignments and reserve name known items and technicians and have start < end."""
    yield from ctx.problems


def check_coverage(ctx: Context) -> Iterator[Violation]:
    """Rule 0: every item is scheduled xor listed in ``unscheduled`` (once)."""
    listed: set[str] = set()
    for entry in ctx.plan.unscheduled:
        index = ctx.prepared.item_index.get(entry.item)
        if index is None:
            yield violation(0, entry.item, None, f"unscheduled lists an unknown item "
                            f"'{entry.item}'")
        elif entry.item in listed:
            yield violation(0, entry.item, None, f"{entry.item} is listed as unscheduled twice")
        elif index in ctx.named:
            yield violation(0, entry.item, None,
                            f"{entry.item} is both scheduled and listed as unscheduled")
        listed.add(entry.item)
    for item in ctx.prepared.items:
        if item.index not in ctx.named and item.id not in listed:
            yield violation(0, item.id, None,
                            f"{item.id} is neither scheduled nor listed as unscheduled")


def check_parts(ctx: Context) -> Iterator[Violation]:
    """Rule 0: parts numbered 1..n, sum(len) = effort, part k+1 starts >= part k ends, kind."""
    for index, parts in ctx.by_item.items():
        item = ctx.prepared.items[index]
        numbers = sorted(p.number for p in parts)
        if numbers != list(range(1, len(parts) + 1)):
            yield violation(0, item.id, None, f"{item.id} has parts numbered {numbers}, "
                            f"not 1 to {len(parts)}")
        total = sum(p.end - p.start for p in parts)
        if total != item.effort:
            yield violation(0, item.id, None, f"{item.id}: its parts add up to {total} min, "
                            f"but its effort is {item.effort} min")
        ordered = sorted(parts, key=lambda p: p.number)
        for before, after in itertools.pairwise(ordered):
            if after.start < before.end:
                yield violation(0, item.id, None, f"{ctx.label(after)} starts before "
                                f"part {before.number} ends ({ctx.at(before.end)})")
        for part in parts:
            if part.kind != item.kind:
                yield violation(0, item.id, part.tech.id, f"{ctx.label(part)} is of kind "
                                f"'{item.kind}', not '{part.kind}'")


# -- rules 1-8 -----------------------------------------------------------------------------
def check_grid_and_skills(ctx: Context) -> Iterator[Violation]:
    """Rule 1: start, end ∈ slot·Z ∩ [0, H]; skills(i) ⊆ skills(t); t = fixed(i); one t per i."""
    p = ctx.prepared
    for part in ctx.parts:
        item, tech = part.item, part.tech
        if not part.whole_minutes or part.start % p.slot or part.end % p.slot:
            yield violation(1, item.id, tech.id,
                            f"{ctx.label(part)} is not on the {p.slot}-minute grid")
        if part.start < 0 or part.end > p.horizon_end:
            yield violation(1, item.id, tech.id, f"{ctx.label(part)} lies outside the horizon")
        missing = sorted(item.skills - tech.skills)
        if missing:
            yield violation(1, item.id, tech.id, f"{ctx.label(part)}: {tech.id} lacks the "
                            f"skill(s) {', '.join(missing)}")
        if item.technician is not None and item.technician != tech.index:
            named = p.technicians[item.technician].id
            yield violation(1, item.id, tech.id, f"{ctx.label(part)} must be done by {named}")
    for index, parts in ctx.by_item.items():
        techs = sorted({part.tech.id for part in parts})
        if len(techs) > 1:
            name = p.items[index].id
            yield violation(1, name, None, f"{name} is split between {', '.join(techs)}; "
                            f"all its parts must be done by one technician")


def check_availability(ctx: Context) -> Iterator[Violation]:
    """Rule 2: part ⊆ hours(t), or, for in-window maintenance by an after-hours t,
    part ∩ absences(t) = part ∩ holidays = ∅."""
    for part in ctx.parts:
        if inside(ctx.hours[part.tech.index], part.start, part.end):
            continue
        blocked = _blocked(ctx, part)
        if blocked is None and part.item.windows is not None and part.tech.after_hours:
            continue
        reason = blocked or f"outside {part.tech.id}'s working hours"
        yield violation(2, part.item.id, part.tech.id, f"{ctx.label(part)} lies {reason}")


def _blocked(ctx: Context, part: Part) -> str | None:
    """Why nobody may work during the part, if it touches a public holiday or an absence."""
    for k in ctx.days_overlapping(part.start, part.end):
        day = ctx.prepared.days[k].date
        if day in ctx.prepared.holidays:
            return f"on the public holiday {ctx.prepared.holidays[day]} ({day.isoformat()})"
    for (start, end), reason in part.tech.absences:
        if start < part.end and part.start < end:
            return f"during {part.tech.id}'s absence ({reason}, {ctx.span(start, end)})"
    return None


def check_overlaps(ctx: Context) -> Iterator[Violation]:
    """Rule 3: parts of one t are pairwise disjoint, and disjoint from t's reserve entries."""
    for parts in ctx.by_tech.values():
        latest: Part | None = None
        for part in parts:
            if latest is not None and part.start < latest.end:
                yield violation(3, part.item.id, part.tech.id, f"{ctx.label(part)} overlaps "
                                f"{ctx.label(latest)}: {part.tech.id} cannot do both at once")
            if latest is None or part.end > latest.end:
                latest = part
    for held in ctx.reserves:
        clash = ctx.clash(held.tech.index, held.start, held.end)
        if clash is not None:
            yield violation(3, clash.item.id, held.tech.id, f"{ctx.label(clash)} overlaps "
                            f"{held.tech.id}'s reserve '{held.reason}' "
                            f"({ctx.span(held.start, held.end)})")


def check_precedence_and_earliest(ctx: Context) -> Iterator[Violation]:
    """Rule 4: min start(i) >= max end(j) for j in after(i), j scheduled; start >= earliest(i)."""
    for index, parts in ctx.by_item.items():
        item, first = ctx.prepared.items[index], parts[0]
        if first.start < item.earliest:
            since = "received" if item.kind == "service_request" else "allowed to start"
            yield violation(4, item.id, first.tech.id, f"{ctx.label(first)} starts before "
                            f"{item.id} is {since} ({ctx.at(item.earliest)})")
        for before in item.after:
            pred = ctx.prepared.items[before].id
            done = ctx.by_item.get(before)
            if not done:
                yield violation(4, item.id, first.tech.id, f"{item.id} is scheduled but its "
                                f"predecessor {pred} is not")
                continue
            end = max(p.end for p in done)
            if first.start < end:
                yield violation(4, item.id, first.tech.id, f"{ctx.label(first)} starts before "
                                f"its predecessor {pred} ends ({ctx.at(end)})")


def check_windows(ctx: Context) -> Iterator[Violation]:
    """Rule 5: in-window maintenance: part ⊆ w for some maintenance window w of the customer."""
    for part in ctx.parts:
        windows = part.item.windows
        if windows is None or inside(merge(windows), part.start, part.end):
            continue
        customer = part.item.customer or "(none)"
        reason = ("has no maintenance windows in the horizon" if not windows
                  else "lies outside the maintenance windows")
        yield violation(5, part.item.id, part.tech.id,
                        f"{ctx.label(part)} {reason} of customer {customer}")


def check_recurring(ctx: Context) -> Iterator[Violation]:
    """Rule 6: a recurring occurrence is one part at exactly fixed(i)."""
    for index, parts in ctx.by_item.items():
        item = ctx.prepared.items[index]
        if item.fixed is None:
            continue
        if len(parts) != 1 or (parts[0].start, parts[0].end) != item.fixed:
            yield violation(6, item.id, parts[0].tech.id, f"{ctx.label(parts[0])} must sit "
                            f"exactly at {ctx.span(*item.fixed)}, in one piece")


def check_buffer(ctx: Context) -> Iterator[Violation]:
    """Rule 7: the buffer policy holds; a reserve profile, when given, always holds."""
    buffer = ctx.prepared.scenario.buffer
    if buffer is not None and buffer.policy == "percent" and buffer.percent is not None:
        yield from _check_percent(ctx, buffer.percent)
    if buffer is not None and buffer.policy == "duty" and buffer.duty is not None:
        yield from _check_duty(ctx, buffer.duty)
    if _profile_missing(ctx):
        yield violation(7, None, None, "the buffer policy is forecast, but the plan has "
                        "no reserve_profile saying how many technicians each hour keeps free")
    yield from _check_profile(ctx)


def _profile_missing(ctx: Context) -> bool:
    """A forecast buffer with incidents and a team needs a profile (its sizes come from the
    queueing formulas of the engines; the checker verifies the profile holds)."""
    scenario = ctx.prepared.scenario
    return (
        scenario.buffer is not None
        and scenario.buffer.policy == "forecast"
        and scenario.incidents is not None
        and scenario.incidents.per_day > 0
        and any(tech.available for tech in ctx.prepared.technicians)
        and not ctx.plan.reserve_profile
    )


def _check_percent(ctx: Context, percent: float) -> Iterator[Violation]:
    """Σ |part ∩ hours(t, d)| <= (100 - percent) / 100 · |hours(t, d)| for every t, d."""
    used: dict[tuple[int, int], int] = defaultdict(int)
    for part in ctx.parts:
        segments = part.tech.available
        k = max(0, bisect.bisect_right(segments, (part.start, float("inf"))) - 1)
        while k < len(segments) and segments[k][0] < part.end:
            start, end = max(segments[k][0], part.start), min(segments[k][1], part.end)
            if start < end:
                used[part.tech.index, ctx.day_index(start)] += end - start
            k += 1
    for (tech, k), minutes in sorted(used.items()):
        available = ctx.available_by_day[tech][k]
        if minutes > (100 - percent) / 100 * available + 1e-9:
            who, day = ctx.prepared.technicians[tech].id, ctx.prepared.days[k].date
            yield violation(7, None, who, f"{who} has {minutes / 60:g} h planned on {day} but "
                            f"may plan at most {(100 - percent) * available / 6000:g} h of "
                            f"{available / 60:g} h available ({percent:g} % buffer)")


def _check_duty(ctx: Context, duty: int) -> Iterator[Violation]:
    """Working day d: |on duty(d) ∩ present(d)| >= min(N, |present(d)|); on duty: no work on d."""
    on_duty: dict[int, set[int]] = defaultdict(set)
    for held in ctx.reserves:
        if held.reason.strip().lower() == DUTY_REASON:
            for k in ctx.days_overlapping(held.start, held.end):
                on_duty[k].add(held.tech.index)
    for day in ctx.prepared.days:
        present = {t for t, per_day in enumerate(ctx.available_by_day) if per_day.get(day.index)}
        need, have = min(duty, len(present)), len(on_duty[day.index] & present)
        if day.working and have < need:
            yield violation(7, None, None, f"on {day.date} {have} present technician(s) are on "
                            f"incident duty, but the duty buffer needs {need}")
        for tech in sorted(on_duty[day.index]):
            if day.working and ctx.minutes_by_day[tech].get(day.index):
                who = ctx.prepared.technicians[tech].id
                yield violation(7, None, who, f"{who} is on incident duty on {day.date} "
                                f"but has planned work that day")


def _check_profile(ctx: Context) -> Iterator[Violation]:
    """Each reserve period p: |{t : p ⊆ hours(t), no part of t overlaps p}| >= p.technicians."""
    for period in ctx.plan.reserve_profile:
        start, end = ctx.prepared.minute(period.start), ctx.prepared.minute(period.end)
        if start >= end:
            yield violation(0, None, None, f"reserve profile period {ctx.span(start, end)} "
                            f"does not end after it starts")
            continue
        free = sum(
            1 for tech in ctx.prepared.technicians
            if inside(ctx.hours[tech.index], start, end) and not ctx.clash(tech.index, start, end)
        )
        if free < period.technicians:
            yield violation(7, None, None, f"during {ctx.span(start, end)} only {free} present "
                            f"technician(s) are free of planned work, the reserve profile "
                            f"needs {period.technicians}")


def check_daily_cap(ctx: Context) -> Iterator[Violation]:
    """Rule 8: Σ |part ∩ day d| <= max_minutes_per_day(t) for every t and calendar day d."""
    for tech in ctx.prepared.technicians:
        cap = tech.max_minutes_per_day
        if cap is None:
            continue
        for k, minutes in sorted(ctx.minutes_by_day.get(tech.index, {}).items()):
            if minutes > cap:
                yield violation(8, None, tech.id, f"{tech.id} has {minutes / 60:g} h planned on "
                                f"{ctx.prepared.days[k].date}, more than the cap of {cap / 60:g} h")


def check_frozen(ctx: Context) -> Iterator[Violation]:
    """Rule 9 (replans): a pinned item's parts are exactly its pinned ones, on its technician."""
    for item in ctx.prepared.items:
        if item.pinned is None or item.technician is None:
            continue
        tech = ctx.prepared.technicians[item.technician]
        wanted = [(tech.index, s, s + n) for s, n in zip(item.pinned, item.parts, strict=True)]
        found = [(p.tech.index, p.start, p.end) for p in ctx.by_item.get(item.index, [])]
        if found != wanted:
            yield violation(9, item.id, tech.id, f"{item.id} is frozen on {tech.id} at "
                            f"{ctx.span(item.pinned[0], wanted[-1][2])} but the plan moved "
                            "or dropped it")


CHECKS: tuple[Callable[[Context], Iterator[Violation]], ...] = (
    check_references,
    check_coverage,
    check_parts,
    check_grid_and_skills,
    check_availability,
    check_overlaps,
    check_precedence_and_earliest,
    check_windows,
    check_recurring,
    check_buffer,
    check_daily_cap,
    check_frozen,
)

"""The solver-free plan checker and objective evaluator.

``evaluate(prepared, plan)`` checks a plan against the hard rules of DESIGN.md, read
directly from the rules and the prepared view (it shares no code with the engines), and
recomputes the objective and the key figures. Rule 0 covers the plan's structure; rules 1-8
are the numbered hard rules; rule 9 holds in replans: frozen work stays as it was. ``CHECKS``
lists one function per rule: the table of contents.

The objective is the sum of three named terms (minutes from the prepared view, weights
``w`` from the scenario, ``weight(i) = 6 - priority(i)``, ``effort(i)`` rounded up to the slot):

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

import bisect
import itertools
import json
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from functools import cached_property
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from models.intervals import Interval, merge
from models.io import read_text
from models.plan import DUTY_REASON, Assignment, Plan
from models.prepare import Prepared
from models.problems import ScenarioError, describe_errors
from models.records import KINDS, PreparedItem, PreparedTechnician

DAY = 1440


@dataclass(frozen=True)
class Violation:
    """One broken rule, in words a planner understands."""

    rule: int
    """Number of the hard rule in DESIGN.md (1..8); 0 for plan-structure problems."""
    item: str | None
    technician: str | None
    message: str


@dataclass(frozen=True)
class Evaluation:
    """The checker's verdict on a plan: violations, objective by term, key figures."""

    violations: list[Violation]
    terms: dict[str, float]
    objective: float
    kpis: dict[str, Any]

    @property
    def ok(self) -> bool:
        """True when the plan keeps every hard rule."""
        return not self.violations


@dataclass(frozen=True)
class Part:
    """One assignment in minutes, with its item and technician resolved."""

    item: PreparedItem
    tech: PreparedTechnician
    number: int
    kind: str
    start: int
    end: int
    whole_minutes: bool


@dataclass(frozen=True)
class Held:
    """One reserve entry in minutes."""

    tech: PreparedTechnician
    start: int
    end: int
    reason: str


# -- the plan in minutes -------------------------------------------------------------------
class Context:
    """A plan converted to minutes and indexed by item and by technician."""

    def __init__(self, prepared: Prepared, plan: Plan) -> None:
        self.prepared = prepared
        self.plan = plan
        self.problems: list[Violation] = []
        self.named: set[int] = set()
        """Items named by any assignment, valid or not."""
        parts = [self._part(a) for a in plan.assignments]
        self.parts = [p for p in parts if p is not None]
        held = [self._held(r.technician, r.start, r.end, r.reason) for r in plan.reserve]
        self.reserves = [h for h in held if h is not None]
        self.by_item: dict[int, list[Part]] = defaultdict(list)
        self.by_tech: dict[int, list[Part]] = defaultdict(list)
        for part in sorted(self.parts, key=lambda p: (p.start, p.number)):
            self.by_item[part.item.index].append(part)
            self.by_tech[part.tech.index].append(part)
        self.day_starts = [day.start for day in prepared.days]

    def _part(self, a: Assignment) -> Part | None:
        start, end = self.prepared.minute(a.start), self.prepared.minute(a.end)
        item = self.prepared.item_index.get(a.item)
        tech = self.prepared.technician_index.get(a.technician)
        where = f"{a.item} part {a.part} ({a.technician}, {self.span(start, end)})"
        if item is not None:
            self.named.add(item)
        if item is None:
            self._problem(a.item, a.technician, f"{where} names an unknown item '{a.item}'")
        elif tech is None:
            self._problem(a.item, a.technician, f"{where} names an unknown technician")
        elif start >= end:
            self._problem(a.item, a.technician, f"{where} does not end after it starts")
        else:
            whole = all(m.second == 0 and m.microsecond == 0 for m in (a.start, a.end))
            return Part(self.prepared.items[item], self.prepared.technicians[tech],
                        a.part, a.kind, start, end, whole)
        return None

    def _held(self, tech_id: str, start_at: datetime, end_at: datetime, why: str) -> Held | None:
        start, end = self.prepared.minute(start_at), self.prepared.minute(end_at)
        tech = self.prepared.technician_index.get(tech_id)
        where = f"reserve '{why}' ({tech_id}, {self.span(start, end)})"
        if tech is None:
            self._problem(None, tech_id, f"{where} names an unknown technician")
        elif start >= end:
            self._problem(None, tech_id, f"{where} does not end after it starts")
        else:
            return Held(self.prepared.technicians[tech], start, end, why)
        return None

    def _problem(self, item: str | None, tech: str | None, text: str) -> None:
        self.problems.append(violation(0, item, tech, text))

    # -- words -----------------------------------------------------------------------------
    def at(self, minute: int) -> str:
        return self.prepared.moment(minute).strftime("%Y-%m-%d %H:%M")

    def span(self, start: int, end: int) -> str:
        first, last = self.at(start), self.at(end)
        return f"{first}-{last[11:] if last[:10] == first[:10] else last}"

    def label(self, part: Part) -> str:
        number = f" part {part.number}" if len(part.item.parts) > 1 or part.number > 1 else ""
        return f"{part.item.id}{number} ({part.tech.id}, {self.span(part.start, part.end)})"

    # -- look-ups --------------------------------------------------------------------------
    def day_index(self, minute: int) -> int:
        return max(0, bisect.bisect_right(self.day_starts, minute) - 1)

    def days_overlapping(self, start: int, end: int) -> Iterator[int]:
        """Indices of the horizon's days that [start, end) overlaps."""
        k = self.day_index(start)
        while k < len(self.prepared.days) and self.prepared.days[k].start < end:
            if self.prepared.days[k].end > start:
                yield k
            k += 1

    @cached_property
    def hours(self) -> list[list[Interval]]:
        """Per technician: available segments with touching ones merged."""
        return [merge(tech.available) for tech in self.prepared.technicians]

    @cached_property
    def ends_so_far(self) -> dict[int, tuple[list[int], list[int]]]:
        """Per technician: part starts (sorted) and the running maximum of part ends."""
        found = {}
        for tech, parts in self.by_tech.items():
            ends, latest = [], -1
            for part in parts:
                latest = max(latest, part.end)
                ends.append(latest)
            found[tech] = ([p.start for p in parts], ends)
        return found

    def clash(self, tech: int, start: int, end: int) -> Part | None:
        """A part of ``tech`` overlapping [start, end), if any."""
        if tech not in self.ends_so_far:
            return None
        starts, ends = self.ends_so_far[tech]
        k = bisect.bisect_left(starts, end) - 1
        if k < 0 or ends[k] <= start:
            return None
        while self.by_tech[tech][k].end <= start:
            k -= 1
        return self.by_tech[tech][k]

    @cached_property
    def minutes_by_day(self) -> dict[int, dict[int, int]]:
        """Per technician and day: planned minutes, clipped at day boundaries."""
        found: dict[int, dict[int, int]] = defaultdict(lambda: defaultdict(int))
        for part in self.parts:
            for k in self.days_overlapping(part.start, part.end):
                day = self.prepared.days[k]
                found[part.tech.index][k] += min(part.end, day.end) - max(part.start, day.start)
        return found

    @cached_property
    def available_by_day(self) -> list[dict[int, int]]:
        """Per technician and day: available minutes."""
        found: list[dict[int, int]] = []
        for tech in self.prepared.technicians:
            per_day: dict[int, int] = defaultdict(int)
            for start, end in tech.available:
                per_day[self.day_index(start)] += end - start
            found.append(per_day)
        return found


def violation(rule: int, item: str | None, tech: str | None, text: str) -> Violation:
    return Violation(rule, item, tech, f"rule {rule}: {text}")


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
        yield violation(7, None, None, "rule 7: the buffer policy is forecast, but the plan has "
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


# -- entry points --------------------------------------------------------------------------
def evaluate(prepared: Prepared, plan: Plan) -> Evaluation:
    """Check ``plan`` against every hard rule and recompute its objective and KPIs.

    Parameters
    ----------
    prepared
        The prepared view of the scenario the plan was made for.
    plan
        The plan to check; it is not changed.

    Returns
    -------
    Evaluation
        Violations (empty when the plan is valid), objective terms, objective, KPIs.
    """
    ctx = Context(prepared, plan)
    violations = [found for check in CHECKS for found in check(ctx)]
    terms = objective_terms(ctx)
    return Evaluation(violations, terms, sum(terms.values()), key_figures(ctx))


def load_plan(path: str | Path) -> Plan:
    """Read a plan JSON file; bad JSON or fields raise ScenarioError, one line per problem."""
    source = str(path)
    text = read_text(Path(path))
    try:
        data = json.loads(text)
    except json.JSONDecodeError as error:
        raise ScenarioError(source, [f"line {error.lineno}, column {error.colno}: "
                                     f"JSON syntax error: {error.msg}"]) from None
    if not isinstance(data, dict):
        raise ScenarioError(source, [f"the top level must be an object, not {type(data).__name__}"])
    try:
        return Plan.model_validate(data)
    except ValidationError as error:
        raise ScenarioError(source, describe_errors(error, Plan)) from None

"""The plan as the checker reads it: in minutes, indexed by item and by technician.

The hard rules (``models.check_rules``) and the objective (``models.check_objective``) read a
plan only through ``Context``, so each stays a short function over the integer minutes of the
prepared view. An assignment or reserve entry that names an unknown item or technician, or
does not end after it starts, stays out of the indexes and is kept as a rule 0 violation.
"""

from __future__ import annotations

import bisect
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from functools import cached_property

from models.intervals import Interval, merge
from models.plan import Assignment, Plan
from models.prepare import Prepared
from models.records import PreparedItem, PreparedTechnician


@dataclass(frozen=True)
class Violation:
    """One broken rule, in words a planner understands."""

    rule: int
    """Number of the hard rule in DESIGN.md (1..8), 9 for frozen work of a replan; 0 for
    plan-structure problems."""
    item: str | None
    technician: str | None
    message: str


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

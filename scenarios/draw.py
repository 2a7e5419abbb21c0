"""The draws of one generated scenario: its team, customers and work, from one seeded rng.

Kept apart from `scenarios.generate`, which decides how much work there is and writes the
file, so that the draws can be read together. Every item can be done by someone: its skills
are taken from one technician who holds them, an in-window item's from one who can reach the
customer's windows, a recurring block's from technicians whose hours hold the block.
"""

from __future__ import annotations

import math
import random
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any

import holidays as holidays_lib
from dateutil.rrule import rrulestr

from scenarios.catalogue import (
    COMPANY_KINDS,
    FIRST_NAMES,
    LAST_NAMES,
    MAINTENANCE,
    PROJECTS,
    RECURRING,
    REQUESTS,
    SKILLS,
    WINDOWS,
    WORDS,
    Span,
)
from scenarios.text import duration, span_text, spans_text, stamp

START = date(2026, 3, 2)
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


@dataclass
class _Tech:
    id: str
    skills: list[str]
    hours: dict[int, list[Span]]
    part_time: bool
    after_hours: bool = False
    away: set[date] = field(default_factory=set)
    timed: list[tuple[date, Span]] = field(default_factory=list)

    def covers(self, weekday: int, span: Span) -> bool:
        return any(s <= span[0] and span[1] <= e for s, e in self.hours.get(weekday, []))

    def reach(self, weekday: int, span: Span) -> int:
        """Minutes of a window this technician may use on a weekday (after hours: all)."""
        if self.after_hours:
            return span[1] - span[0]
        overlaps = (min(e, span[1]) - max(s, span[0]) for s, e in self.hours.get(weekday, []))
        return max(overlaps, default=0)

    def reach_any(self, windows: list[tuple[tuple[int, ...], Span]]) -> int:
        """The most minutes this technician may use in one of the windows."""
        return max(self.reach(day, span) for days, span in windows for day in days)

    def free(self, day: date, span: Span) -> bool:
        """Not absent at ``span`` of ``day``."""
        return day not in self.away and not any(
            d == day and s < span[1] and span[0] < e for d, (s, e) in self.timed)

    def last_day(self, working: list[date]) -> date | None:
        """The last working day this technician works on."""
        present = [d for d in working if d not in self.away and d.weekday() in self.hours]
        return present[-1] if present else None


@dataclass
class _Task:
    name: str
    weight: float
    skills: list[str]
    after: list[int]


class Generator:
    """Builds one scenario; every random draw goes through ``self.rng``."""

    def __init__(self, technicians: int, weeks: int, seed: int) -> None:
        self.rng = random.Random(seed)
        self.n, self.weeks = technicians, weeks
        self.days = [START + timedelta(days=k) for k in range(7 * weeks)]
        years = range(START.year, self.days[-1].year + 1)
        self.holidays = set(holidays_lib.country_holidays("DE", subdiv="BY", years=years))
        self.working = [d for d in self.days if d.weekday() < 5 and d not in self.holidays]
        self.techs: list[_Tech] = []
        self.last_day: dict[str, date | None] = {}
        self.demand: defaultdict[str, float] = defaultdict(float)
        self.windows: dict[str, list[tuple[tuple[int, ...], Span]]] = {}

    # -- the team ----------------------------------------------------------------------
    def technicians(self) -> list[dict[str, Any]]:
        for k in range(self.n):
            part_time = self.n > 2 and self.rng.random() < 0.15
            hours = self._part_time() if part_time else self._full_time()
            self.techs.append(_Tech(f"t{k + 1:03d}", self._skills(), hours, part_time))
        full_time = [t for t in self.techs if not t.part_time] or self.techs
        for tech in self.rng.sample(full_time, min(len(full_time), max(1, round(0.12 * self.n)))):
            tech.after_hours = True
        entries = [self._technician_entry(t) for t in self.techs]
        self.last_day = {t.id: t.last_day(self.working) for t in self.techs}
        return entries

    def present_after(self, day: date) -> list[_Tech]:
        """Technicians who work on some working day after ``day`` (all, if nobody does)."""
        found = [t for t in self.techs if (last := self.last_day[t.id]) is not None and last > day]
        return found or self.techs

    def _skills(self) -> list[str]:
        names, weights = list(SKILLS), list(SKILLS.values())
        for _ in range(self.rng.choice((2, 2, 3, 3, 3, 4))):
            weights[names.index(self.rng.choices(names, weights)[0])] = 0
        return [name for name, weight in zip(names, weights, strict=True) if weight == 0]

    def _full_time(self) -> dict[int, list[Span]]:
        start = self.rng.choice((420, 450, 480, 480, 510, 540))
        lunch, short_friday = self.rng.random() < 0.3, self.rng.random() < 0.6
        day = [(start, 720), (750, start + 510)] if lunch else [(start, start + 510)]
        hours = {weekday: list(day) for weekday in range(5)}
        if short_friday:
            hours[4] = [(start, start + 360)]
        return hours

    def _part_time(self) -> dict[int, list[Span]]:
        pattern = self.rng.randrange(3)
        if pattern == 0:  # mornings, 20 h
            return {weekday: [(480, 720)] for weekday in range(5)}
        if pattern == 1:  # three days with a lunch break, 21 h
            return {weekday: [(480, 720), (750, 930)] for weekday in (0, 1, 3)}
        return {weekday: [(480, 780)] for weekday in range(4)}  # four mornings, 20 h

    def _technician_entry(self, tech: _Tech) -> dict[str, Any]:
        rng = self.rng
        entry: dict[str, Any] = {
            "id": tech.id,
            "name": f"{rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)}",
            "skills": tech.skills,
            "hours": {WEEKDAYS[d]: spans_text(spans) for d, spans in tech.hours.items()},
        }
        if tech.after_hours:
            entry |= {"after_hours": True, "max_hours_per_day": 10}
        absences: list[dict[str, Any]] = []
        if rng.random() < 0.15:
            length = 5 if self.weeks > 1 else rng.randint(1, 3)
            week, weekday = rng.randrange(self.weeks), rng.randint(0, 5 - length)
            first = START + timedelta(weeks=week, days=weekday)
            tech.away = {first + timedelta(days=k) for k in range(length)}
            absences.append({"start": first, "end": first + timedelta(days=length - 1),
                             "reason": "vacation"})
        day = rng.choice(self.working)
        if rng.random() < 0.05 and day not in tech.away and day.weekday() in tech.hours:
            start = tech.hours[day.weekday()][0][0] + 60
            tech.timed.append((day, (start, start + 120)))
            absences.append({"start": stamp(day, start), "end": stamp(day, start + 120),
                             "reason": "doctor"})
        if absences:
            entry["absences"] = absences
        return entry

    def capacity(self, tech: _Tech) -> int:
        """Minutes a technician is available in the horizon, before the buffer."""
        total = -sum(e - s for _, (s, e) in tech.timed)
        for day in self.working:
            if day not in tech.away:
                total += sum(e - s for s, e in tech.hours.get(day.weekday(), []))
        return total

    def book(self, skills: list[str], minutes: float) -> None:
        """Count work against its skills, to keep the demand per skill in step with supply."""
        for skill in skills:
            self.demand[skill] += minutes / len(skills)

    # -- customers ---------------------------------------------------------------------
    def customers(self) -> list[dict[str, Any]]:
        found = []
        for k in range(max(1, round(self.n / 1.5))):
            cid, windows = f"c{k + 1:03d}", self.rng.sample(WINDOWS, self.rng.choice((1, 1, 2)))
            self.windows[cid] = windows
            found.append({
                "id": cid,
                "name": f"{self.rng.choice(LAST_NAMES)} {self.rng.choice(COMPANY_KINDS)}",
                "maintenance_windows": [
                    {"days": [WEEKDAYS[d] for d in days], "time": span_text(span)}
                    for days, span in windows
                ],
            })
        return found

    def customer(self, share: float) -> dict[str, str]:
        """``{"customer": id}`` with probability ``share``, else ``{}`` (internal work)."""
        if self.rng.random() >= share:
            return {}
        return {"customer": self.rng.choice(list(self.windows))}

    # -- work --------------------------------------------------------------------------
    def recurring(self) -> tuple[list[dict[str, Any]], int, int]:
        """Recurring blocks, their number of occurrences and their minutes in all.

        A block's skill is dropped, or the block left out, if no technician with the skill
        could take every occurrence (hours, absences).
        """
        blocks, count, minutes = [], 0, 0
        for k in range(max(1, round(self.n / 5))):
            name, skill, rule, weekdays, span = self.rng.choice(RECURRING)
            dates = _occurrences(rule, self.days, self.holidays)
            covering = [t for t in self.techs if all(t.covers(d, span) for d in weekdays)]
            for skills in ([skill] if skill else [], []):
                able = [t for t in covering if set(skills) <= set(t.skills)]
                if all(any(t.free(d, span) for t in able) for d in dates):
                    break
            else:
                continue
            block = {"id": f"rec{k + 1:03d}", "name": name, **self.customer(0.7), "rule": rule,
                     "time": span_text(span), "skills": skills}
            always = [t for t in able if all(t.free(d, span) for d in dates)]
            if always and self.rng.random() < 0.3:
                block["technician"] = self.rng.choice(always).id
            count, minutes = count + len(dates), minutes + len(dates) * (span[1] - span[0])
            self.book(skills, len(dates) * (span[1] - span[0]))
            blocks.append(block)
        return blocks, count, minutes

    def maintenance(self, count: int) -> tuple[list[dict[str, Any]], int]:
        """Maintenance items and their minutes in all."""
        items, minutes = [], 0
        for k in range(count):
            in_window = self.rng.random() < 0.45
            customer = self.customer(1.0 if in_window else 0.9)
            first = self.rng.randrange(max(1, len(self.working) - 5))
            since = self.working[first] - timedelta(days=1)
            there = self.present_after(since)
            tech, reach = self.rng.choice(there), 240
            if in_window:
                windows = self.windows[customer["customer"]]
                reaches = [(t, t.reach_any(windows)) for t in there]
                options = [(t, r) for t, r in reaches if r >= 60]
                options = options or [(t, 240) for t in self.techs if t.after_hours]
                tech, reach = self.rng.choice(options)
            skill = self.rng.choice(tech.skills)
            name, efforts = self.rng.choice(MAINTENANCE[skill])
            effort = min(self.rng.choice(efforts), reach // 30 * 30)
            due = self.working[min(first + self.rng.randint(4, 12), len(self.working) - 1)]
            items.append({
                "id": f"m{k + 1:05d}", "name": name, **customer, "effort": duration(effort),
                "skills": [skill], **({"in_window": True} if in_window else {}),
                **({"earliest": self.working[first]} if first else {}),
                "due": due, "priority": self.rng.choice((2, 3, 3, 3, 4)),
            })
            minutes += effort
            self.book([skill], effort)
        return items, minutes

    def requests(self, count: int) -> tuple[list[dict[str, Any]], int]:
        """Service requests, received in office hours, and their minutes in all."""
        days = self.working[: max(1, len(self.working) - 2)]
        stamps = sorted((self.rng.choice(days), self.rng.randint(465, 930)) for _ in range(count))
        items, minutes = [], 0
        for k, (day, minute) in enumerate(stamps):
            there = self.present_after(day)
            skill = self.rng.choice(self.rng.choice(there).skills)
            pattern, effort, lead, priority = self.rng.choice(REQUESTS[skill])
            words = {key: self.rng.choice(values) for key, values in WORDS.items()}
            person = f"{self.rng.choice(FIRST_NAMES)[0]}. {self.rng.choice(LAST_NAMES)}"
            items.append({
                "id": f"sr{k + 1:05d}", "name": pattern.format(person=person, **words),
                **self.customer(0.95), "received": stamp(day, minute), "effort": duration(effort),
                "skills": [skill], "lead_time": f"{lead}d", "priority": priority,
            })
            minutes += effort
            self.book([skill], effort)
        return items, minutes

    def projects(self, count: int, budget: int) -> list[dict[str, Any]]:
        """Projects with ``count`` tasks in all, their efforts adding up to about ``budget``."""
        shapes: list[tuple[str, list[_Task]]] = []
        largest = min(8, 2 + 2 * self.weeks)
        supply: defaultdict[str, float] = defaultdict(float)
        for tech in self.techs:
            for skill in tech.skills:
                supply[skill] += self.capacity(tech) / len(tech.skills)
        per_weight = budget / max(count, 1) / 1.2  # the mean of lognormvariate(0, 0.6) is ~1.2
        while (left := count - sum(len(tasks) for _, tasks in shapes)) > 0:
            # the skill with the least demand for its supply leads the next project
            skill = min(sorted(supply, key=list(SKILLS).index),
                        key=lambda s: self.demand[s] / supply[s] * self.rng.uniform(0.85, 1.15))
            shapes.append(self._project_shape(min(self.rng.randint(3, largest), left), skill))
            for task in shapes[-1][1]:
                self.book(task.skills, task.weight * per_weight)
        if not shapes:
            return []
        # a chain must fit the horizon: at most 80 % of its working days at 6.4 h
        limit = 0.8 * len(self.working) * 384
        scale = budget / sum(task.weight for _, tasks in shapes for task in tasks)
        for _ in range(6):
            efforts = [_efforts(tasks, scale, limit) for _, tasks in shapes]
            scale *= budget / sum(map(sum, efforts))
        efforts = [_efforts(tasks, scale, limit) for _, tasks in shapes]
        return [self._project(j, name, tasks, efforts[j]) for j, (name, tasks) in enumerate(shapes)]

    def _project_shape(self, size: int, skill: str) -> tuple[str, list[_Task]]:
        lead = self.rng.choice([t for t in self.techs if skill in t.skills])
        name, titles = self.rng.choice(PROJECTS[skill])
        tasks = []
        for k in range(size):
            draw = self.rng.random()
            if draw < 0.75:
                skills = [skill]
            elif draw < 0.87 and len(lead.skills) > 1:
                skills = [skill, self.rng.choice([s for s in lead.skills if s != skill])]
            elif draw < 0.95:
                skills = [self.rng.choice(self.rng.choice(self.techs).skills)]
            else:
                skills = []
            title = titles[k % len(titles)]
            if k >= len(titles):
                title += f" ({k // len(titles) + 1})"
            tasks.append(_Task(title, self.rng.lognormvariate(0, 0.6), skills, self._after(k)))
        if size > 1 and not any(task.after for task in tasks):
            tasks[-1].after = [size - 2]
        return name, tasks

    def _after(self, k: int) -> list[int]:
        """Predecessors of task ``k``: mostly a chain, sometimes a branch or a join."""
        draw = self.rng.random()
        if k == 0 or draw > (0.92 if self.weeks > 1 else 0.6):  # a short horizon needs breadth
            return []
        if draw < 0.6:
            return [k - 1]
        if draw < 0.82 or k < 2:
            return [self.rng.randrange(k)]
        return sorted({k - 1, self.rng.randrange(k - 1)})

    def _project(self, j: int, name: str, tasks: list[_Task], efforts: list[int]) -> dict[str, Any]:
        pid = f"p{j + 1:04d}"
        # a chain moves at about 5 h a working day; 30 % slack on top
        needed = min(len(self.working), math.ceil(_critical_path(tasks, efforts) / 300 * 1.3) + 1)
        first = self.rng.randint(0, len(self.working) - needed)
        return {
            "id": pid, "name": name, **self.customer(0.85),
            **({"earliest": self.working[first]} if first else {}),
            "target": self.working[first + needed - 1],
            "priority": self.rng.choice((1, 2, 2, 2, 3, 3, 3, 3, 4, 4)),
            "tasks": [
                {"id": f"{pid}-{k + 1}", "name": task.name, "effort": duration(efforts[k]),
                 "skills": task.skills}
                | ({"after": [f"{pid}-{a + 1}" for a in task.after]} if task.after else {})
                for k, task in enumerate(tasks)
            ],
        }


def _effort(minutes: float) -> int:
    """Whole hours between 2 h and 24 h."""
    return min(24 * 60, max(120, round(minutes / 60) * 60))


def _critical_path(tasks: list[_Task], efforts: list[int]) -> int:
    """Minutes from the first task's start to the last task's end, without waiting."""
    finish: list[int] = []
    for k, task in enumerate(tasks):
        finish.append(efforts[k] + max((finish[a] for a in task.after), default=0))
    return max(finish)


def _efforts(tasks: list[_Task], scale: float, limit: float) -> list[int]:
    """Task efforts from weights, shrunk where the chain would not fit ``limit`` minutes."""
    efforts = [_effort(task.weight * scale) for task in tasks]
    for _ in range(3):
        longest = _critical_path(tasks, efforts)
        if longest <= limit:
            break
        scale *= limit / longest
        efforts = [_effort(task.weight * scale) for task in tasks]
    return efforts


def _occurrences(rule: str, days: list[date], holidays: set[date]) -> list[date]:
    """The days of a rule's occurrences in the horizon, holidays skipped (as prepare does)."""
    first, last = datetime.combine(days[0], time()), datetime.combine(days[-1], time(23, 59))
    found = rrulestr(rule, dtstart=first).between(first, last, inc=True)
    return [moment.date() for moment in found if moment.date() not in holidays]

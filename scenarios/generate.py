"""A seeded generator of realistic MSP scenarios, for tests and benchmarks.

Benchmark sizes: S = 10 technicians x 2 weeks, M = 50 x 4 (~1,000 items), L = 200 x 8
(~5,000 items). Items (project tasks, recurring occurrences, maintenance, service requests)
number ~20 per technician for the first 4 weeks and ~5 more per technician for every further
4 weeks (``item_target``): beyond a month an MSP knows fewer, larger pieces of work. The mix is
~35 % project tasks in precedence chains, ~15 % maintenance, ~45 % service requests, and about
one recurring block per 5 technicians. Project efforts are scaled so that all work is about
``TARGET_LOAD`` of the capacity left after the 20 % incident buffer.

Every item can be done by someone: its skills are taken from one technician who holds them,
an in-window item's from one who can reach the customer's windows, a recurring block's from
technicians whose hours hold the block. Only ``random.Random(seed)`` is used, so the same
arguments always give the same data and the same file.
"""

from __future__ import annotations

import math
import random
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any

import holidays as holidays_lib
import yaml
from dateutil.rrule import rrulestr

from models.io import write_atomic

START = date(2026, 3, 2)
BUFFER_PERCENT = 20
TARGET_LOAD = 0.78
"""Planned work as a share of the capacity left after the buffer."""
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
Span = tuple[int, int]

# -- the catalogue: skills (with how common they are) and work templates per skill ----------
SKILLS = {"m365": 5, "client": 5, "server": 5, "network": 4, "onboarding": 3, "firewall": 3,
          "backup": 3, "security": 3, "datev": 2, "cloud": 2, "linux": 2, "voip": 1}
PROJECTS: dict[str, list[tuple[str, list[str]]]] = {
    "m365": [("M365 migration", ["Tenant setup", "Identity sync", "Mailbox migration",
                                 "Teams and SharePoint", "File shares to SharePoint",
                                 "User training", "Exchange decommission"])],
    "client": [("Client refresh", ["Image and Autopilot profile", "Pilot devices",
                                   "Rollout wave", "Collect old devices"])],
    "server": [("Server lift & shift", ["Host staging", "VM migration", "Application tests",
                                        "Decommission the old host"]),
               ("Database migration", ["Compatibility analysis", "New SQL Server VM",
                                       "Test migration", "Application test",
                                       "Production cutover", "Cleanup"])],
    "network": [("Switch and Wi-Fi refresh", ["Site survey", "Switch staging", "Switch rollout",
                                              "Access point rollout", "Guest VLAN"])],
    "onboarding": [("New customer takeover", ["Documentation", "Monitoring agents",
                                              "Password rotation", "Handover meeting"])],
    "firewall": [("Firewall replacement", ["Rule base analysis", "Pre-configuration",
                                           "Site-to-site VPN", "Cutover", "Remote access VPN",
                                           "Documentation"])],
    "backup": [("Backup modernisation", ["Design", "Backup server", "Offsite copy",
                                         "Restore test"])],
    "security": [("NIS2 readiness", ["Asset inventory", "Gap analysis", "Measures roadmap",
                                     "Policy workshop"])],
    "datev": [("DATEV DMS rollout", ["DMS setup", "Configuration", "Archive import",
                                     "User training"])],
    "cloud": [("Azure landing zone", ["Design", "Landing zone deployment", "Workload migration",
                                      "Cost review"])],
    "linux": [("Web platform migration", ["Server build", "Configuration management",
                                          "Migration", "Cutover"])],
    "voip": [("Phone system migration", ["Number porting", "System setup", "Phone rollout",
                                         "Go-live support"])],
}
MAINTENANCE: dict[str, list[tuple[str, tuple[int, ...]]]] = {
    "m365": [("M365 Secure Score actions", (120, 180))],
    "client": [("Windows feature update", (120, 180, 240)), ("Plotter firmware", (60,))],
    "server": [("Hypervisor patches and reboot", (120, 180)), ("UPS battery test", (60, 120)),
               ("SQL Server cumulative update", (60, 120))],
    "network": [("Switch firmware update", (60, 120, 180)), ("Access point firmware", (60, 120))],
    "onboarding": [("Review of the user list", (60,))],
    "firewall": [("Firewall firmware update", (60, 90, 120))],
    "backup": [("NAS firmware and disk check", (60, 90)), ("Backup software upgrade", (60, 120))],
    "security": [("Endpoint protection upgrade", (60, 120)), ("Certificate renewal", (60,))],
    "datev": [("DATEV update", (90, 120, 180))],
    "cloud": [("Cloud tenant review", (120, 180))],
    "linux": [("Linux server patches", (60, 120))],
    "voip": [("Phone system update", (60, 120))],
}
# (name pattern, effort minutes, lead time in working days, priority)
REQUESTS: dict[str, list[tuple[str, int, int, int]]] = {
    "m365": [("Shared mailbox {dept}", 45, 2, 3), ("Mailbox delegation for {person}", 30, 1, 3),
             ("MFA reset for {person}", 30, 1, 2), ("Teams team for {project}", 30, 2, 4)],
    "client": [("New laptop for {person}", 180, 5, 3), ("Printer setup {room}", 60, 3, 4),
               ("Install {software} for {person}", 60, 2, 4)],
    "server": [("File share permission for {person}", 30, 1, 4),
               ("New file share for {dept}", 60, 3, 3)],
    "network": [("Switch port and VLAN change {room}", 90, 3, 3),
                ("Guest Wi-Fi for an event", 60, 2, 3)],
    "onboarding": [("Onboarding {person}", 120, 5, 3), ("Offboarding {person}", 60, 3, 3)],
    "firewall": [("Firewall rule change for {app}", 30, 2, 3),
                 ("VPN access for {person}", 45, 2, 3)],
    "backup": [("Restore deleted folder {dept}", 60, 1, 2),
               ("Restore a mailbox item for {person}", 45, 1, 2)],
    "security": [("Phishing mail analysis", 60, 1, 2), ("Access rights review", 240, 5, 4)],
    "datev": [("DATEV user rights for {person}", 60, 3, 3)],
    "cloud": [("Storage account for {app}", 90, 3, 3)],
    "linux": [("Web server vhost for {app}", 120, 3, 3)],
    "voip": [("New phone extension for {person}", 45, 2, 3)],
}
WORDS = {
    "dept": ["Buchhaltung", "Einkauf", "Vertrieb", "Personal", "Service", "Rezeption"],
    "room": ["1st floor", "reception", "office 2.14", "meeting room", "workshop"],
    "software": ["Adobe Acrobat", "7-Zip", "Zoom client", "Notepad++", "a CAD viewer"],
    "project": ["Neubau Halle 3", "Messe 2026", "ISO 9001", "Umzug"],
    "app": ["the ERP", "the web shop", "the HR portal", "the vendor jump host"],
}
# (name, skill, rule, weekdays the hours must hold the block on, local time span)
RECURRING: list[tuple[str, str | None, str, tuple[int, ...], Span]] = [
    ("Patch day", "server", "FREQ=WEEKLY;BYDAY=TU", (1,), (840, 960)),
    ("Patch day", "server", "FREQ=WEEKLY;BYDAY=WE", (2,), (780, 900)),
    ("Client patching", "client", "FREQ=WEEKLY;BYDAY=TH", (3,), (780, 900)),
    ("Vulnerability scan review", "security", "FREQ=WEEKLY;BYDAY=MO", (0,), (540, 660)),
    ("Backup restore test", "backup", "FREQ=MONTHLY;BYDAY=1WE", (2,), (600, 780)),
    ("Firewall log review", "firewall", "FREQ=WEEKLY;INTERVAL=2;BYDAY=FR", (4,), (600, 660)),
    ("M365 licence review", "m365", "FREQ=MONTHLY;BYDAY=-1TH", (3,), (780, 900)),
    ("IT jour fixe", None, "FREQ=MONTHLY;BYDAY=2TH", (3,), (600, 690)),
]
# maintenance windows: (weekdays, span); a span past 24:00 crosses midnight
WINDOWS: list[tuple[tuple[int, ...], Span]] = [
    ((0, 1, 2, 3, 4), (1080, 1320)), ((5,), (480, 720)), ((1, 3), (1320, 1560)),
    ((2,), (780, 1020)), ((4,), (720, 960)),
]
FIRST_NAMES = ["Anna", "Ben", "Clara", "Deniz", "Eva", "Felix", "Greta", "Hannes", "Ines", "Jonas",
               "Katrin", "Lukas", "Mara", "Niklas", "Olga", "Paul", "Rita", "Sven", "Tina", "Uwe"]
LAST_NAMES = ["Berg", "Krause", "Schmid", "Yilmaz", "Hoffmann", "Wagner", "Becker", "Fischer",
              "Neumann", "Richter", "Wolf", "Schulz", "Huber", "Maier", "Keller", "Lang", "Brandl",
              "Weber", "Bauer", "Seidl", "Graf", "Vogt", "Roth", "Kaiser"]
COMPANY_KINDS = ["Maschinenbau GmbH", "Steuerberatung", "Logistik GmbH", "Autohaus",
                 "Zahnarztpraxis", "Hotel", "Architekten", "Bäckerei", "Elektro GmbH",
                 "Rechtsanwälte", "Metallbau KG", "Pflegedienst", "Druckerei"]


def item_target(technicians: int, weeks: int) -> int:
    """Items aimed at: 5 per technician and week up to 4 weeks, 1.25 per further week."""
    return round(technicians * (5 * min(weeks, 4) + 1.25 * max(weeks - 4, 0)))


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


class _Generator:
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
            "hours": {WEEKDAYS[d]: _spans_text(spans) for d, spans in tech.hours.items()},
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
            absences.append({"start": _stamp(day, start), "end": _stamp(day, start + 120),
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
                    {"days": [WEEKDAYS[d] for d in days], "time": _span_text(span)}
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
                     "time": _span_text(span), "skills": skills}
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
                "id": f"m{k + 1:05d}", "name": name, **customer, "effort": _duration(effort),
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
                **self.customer(0.95), "received": _stamp(day, minute), "effort": _duration(effort),
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
                {"id": f"{pid}-{k + 1}", "name": task.name, "effort": _duration(efforts[k]),
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


def _clock(minutes: int) -> str:
    return f"{minutes // 60 % 24:02d}:{minutes % 60:02d}"


def _span_text(span: Span) -> str:
    return f"{_clock(span[0])}-{_clock(span[1])}"


def _spans_text(spans: list[Span]) -> str | list[str]:
    return _span_text(spans[0]) if len(spans) == 1 else [_span_text(s) for s in spans]


def _stamp(day: date, minute: int) -> str:
    return f"{day.isoformat()}T{_clock(minute)}"


def _duration(minutes: int) -> str:
    hours, rest = divmod(minutes, 60)
    return (f"{hours}h" if hours else "") + (f"{rest}m" if rest else "")


def generate_scenario(technicians: int, weeks: int, seed: int) -> dict[str, Any]:
    """A realistic scenario as plain data that ``Scenario.model_validate`` accepts.

    Parameters
    ----------
    technicians, weeks
        Team size and horizon length, both at least 1; the horizon starts on Monday 2026-03-02.
    seed
        Seed of the one random generator used: the same arguments give the same data.
    """
    if technicians < 1 or weeks < 1:
        raise ValueError("technicians and weeks must be at least 1")
    gen = _Generator(technicians, weeks, seed)
    team, customers = gen.technicians(), gen.customers()
    recurring, occurrences, recurring_minutes = gen.recurring()
    target = item_target(technicians, weeks)
    n_tasks, n_maintenance = round(0.35 * target), round(0.15 * target)
    maintenance, maintenance_minutes = gen.maintenance(n_maintenance)
    requests, request_minutes = gen.requests(max(0, target - n_tasks - n_maintenance - occurrences))
    after_buffer = (100 - BUFFER_PERCENT) / 100 * sum(gen.capacity(t) for t in gen.techs)
    budget = TARGET_LOAD * after_buffer - recurring_minutes - maintenance_minutes - request_minutes
    return {
        "name": f"Generated MSP ({technicians} technicians, {weeks} weeks, seed {seed})",
        "timezone": "Europe/Berlin",
        "horizon": {"start": START, "days": 7 * weeks},
        "slot_minutes": 15,
        "holidays": {"country": "DE", "subdivision": "BY"},
        "skills": list(SKILLS),
        "technicians": team,
        "customers": customers,
        "projects": gen.projects(n_tasks, max(round(budget), 120 * n_tasks)),
        "recurring": recurring,
        "maintenance": maintenance,
        "service_requests": requests,
        "incidents": {
            "per_day": round(0.55 * technicians, 1),
            "profile": "office",
            "handling": {"mean": "45m", "cv": 1.0},
            "priorities": [
                {"name": "P1", "share": 0.05, "response": "30m"},
                {"name": "P2", "share": 0.25, "response": "2h"},
                {"name": "P3", "share": 0.70, "response": "8h"},
            ],
        },
        "buffer": {"policy": "percent", "percent": BUFFER_PERCENT},
    }


def to_yaml(data: dict[str, Any]) -> str:
    """Deterministic YAML of a scenario: one flow-style line per technician, customer, item."""
    lines = []
    for key, value in data.items():
        if isinstance(value, list) and value and isinstance(value[0], dict):
            lines.append(f"{key}:")
            lines += [f"  - {_dump(entry, flow=True)}" for entry in value]
        else:
            nested = isinstance(value, dict | list)
            lines.append(_dump({key: value}, flow=None if nested else False))
    return "\n".join(lines) + "\n"


def _dump(value: Any, *, flow: bool | None) -> str:
    return yaml.safe_dump(value, default_flow_style=flow, allow_unicode=True, sort_keys=False,
                          width=1_000_000).rstrip()


def write_generated(path: str | Path, *, technicians: int, weeks: int, seed: int) -> None:
    """Generate a scenario and write it as YAML, atomically (same arguments, same bytes)."""
    data = generate_scenario(technicians, weeks, seed)
    header = (f"# Generated by scenarios/generate.py: technicians={technicians}, weeks={weeks}, "
              f"seed={seed}\n")
    write_atomic(path, header + to_yaml(data))

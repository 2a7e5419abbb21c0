"""The prepared view: a scenario turned into integer minutes from the horizon start.

This is the one place where local datetimes become minutes and back. The engines and the
checker only iterate over what is built here. Minutes are elapsed time, so a day around a
daylight-saving change has 1380 or 1500 of them, and local 08:00 stays local 08:00.
"""

from __future__ import annotations

import bisect
import math
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from functools import cached_property
from zoneinfo import ZoneInfo

import holidays as holidays_lib
from dateutil.rrule import rrulestr

from models.intervals import Interval, clip, intersect, merge, subtract
from models.records import Day, PreparedItem, PreparedTechnician, split_effort
from models.scenario import Scenario
from models.scenario_calendar import Absence
from models.units import Duration


@dataclass
class Prepared:
    scenario: Scenario
    zone: ZoneInfo
    slot: int
    origin: datetime
    """Horizon start as an aware UTC datetime; minute 0."""
    horizon_end: int
    days: list[Day]
    holidays: dict[date, str]
    technicians: list[PreparedTechnician] = field(default_factory=list)
    items: list[PreparedItem] = field(default_factory=list)
    windows: dict[str, list[Interval]] = field(default_factory=dict)
    previous: dict[int, tuple[int, tuple[int, ...]]] = field(default_factory=dict)
    """Replans: item -> (technician, part starts) in the previous plan (``models.replan``)."""

    # -- conversions ---------------------------------------------------------------------
    def minute(self, moment: datetime | date, *, end_of_day: bool = False) -> int:
        """Elapsed minutes from the horizon start; naive datetimes are local."""
        if not isinstance(moment, datetime):
            moment = datetime.combine(moment + timedelta(days=int(end_of_day)), time())
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=self.zone)
        return math.floor((moment - self.origin).total_seconds() / 60)

    def moment(self, minute: int) -> datetime:
        """The aware local datetime of a minute."""
        return (self.origin + timedelta(minutes=minute)).astimezone(self.zone)

    def day_of(self, minute: int) -> Day:
        """The day a minute lies in (clamped to the horizon)."""
        k = bisect.bisect_right(self.day_starts, minute) - 1
        return self.days[max(0, min(k, len(self.days) - 1))]

    @cached_property
    def day_starts(self) -> list[int]:
        return [day.start for day in self.days]

    def snap_up(self, minute: int) -> int:
        return -(-minute // self.slot) * self.slot

    def reserve_share(self, minutes: int, percent: float) -> int:
        """Minutes a ``percent`` buffer keeps free of ``minutes`` available, up to the slot."""
        return self.snap_up(math.ceil(minutes * percent / 100 - 1e-9))

    def snap_down(self, minute: int) -> int:
        return minute // self.slot * self.slot

    # -- look-ups ------------------------------------------------------------------------
    @cached_property
    def item_index(self) -> dict[str, int]:
        return {item.id: item.index for item in self.items}

    @cached_property
    def successors(self) -> dict[int, tuple[int, ...]]:
        """Item -> the items that name it in ``after``."""
        found: dict[int, list[int]] = {}
        for item in self.items:
            for before in item.after:
                found.setdefault(before, []).append(item.index)
        return {k: tuple(v) for k, v in found.items()}

    def ancestors(self, item: PreparedItem) -> set[int]:
        """Every item that must end before ``item`` starts (predecessors, theirs, ...)."""
        found: set[int] = set()
        todo = list(item.after)
        while todo:
            before = todo.pop()
            if before not in found:
                found.add(before)
                todo += self.items[before].after
        return found

    @cached_property
    def technician_index(self) -> dict[str, int]:
        return {tech.id: tech.index for tech in self.technicians}

    def is_working_day(self, day: date) -> bool:
        return day.weekday() < 5 and day not in self.holidays

    def allowed(self, item: PreparedItem, tech: PreparedTechnician) -> list[Interval]:
        """Where ``tech`` may work on ``item``: free stretches from its earliest to horizon end.

        In-window maintenance lies inside the customer's windows: within the technician's
        hours, or anywhere outside absences and holidays for an ``after_hours`` technician.
        """
        if item.pinned is not None:  # checked when pinned; keeps after-hours work, too
            return [(s, s + n) for s, n in zip(item.pinned, item.parts, strict=True)]
        if item.fixed is not None:
            inside = any(s <= item.fixed[0] and item.fixed[1] <= e for s, e in tech.available)
            return [item.fixed] if inside else []
        end = self.horizon_end if item.deadline is None else item.deadline
        if item.windows is None:
            return clip(tech.available, item.earliest, end)
        key = (item.customer, tech.index)
        if key not in self._window_time:
            reachable = tech.available
            if tech.after_hours:
                blocked = [iv for iv, _ in tech.absences] + self.holiday_intervals
                reachable = subtract([(0, self.horizon_end)], blocked)
            self._window_time[key] = intersect(item.windows, reachable)
        return clip(self._window_time[key], item.earliest, end)

    def may_work_at(
        self, item: PreparedItem, tech: PreparedTechnician, starts: tuple[int, ...]
    ) -> bool:
        """Every part of ``item``, starting at ``starts``, lies in one stretch of ``allowed``."""
        allowed = self.allowed(item, tech)
        return all(
            any(lo <= start and start + length <= hi for lo, hi in allowed)
            for start, length in zip(starts, item.parts, strict=True)
        )

    @cached_property
    def _window_time(self) -> dict[tuple[str | None, int], list[Interval]]:
        """(customer, technician) -> window time the technician can reach (memo of allowed)."""
        return {}

    @cached_property
    def hours(self) -> list[tuple[Day, int, Interval]]:
        """Every local hour of the horizon: (day, hour of day, its minutes); a skipped hour
        (spring forward) is left out, a repeated one (autumn) is one longer interval."""
        found = []
        for day in self.days:
            for hour in range(24):
                start = self.minute(datetime.combine(day.date, time(hour)))
                following = datetime.combine(day.date, time(hour + 1)) if hour < 23 else None
                end = day.end if following is None else self.minute(following)
                if start < end:
                    found.append((day, hour, (start, end)))
        return found

    @cached_property
    def holiday_intervals(self) -> list[Interval]:
        return [(d.start, d.end) for d in self.days if d.date in self.holidays]

    def capacity(self, tech: PreparedTechnician) -> int:
        """Available minutes of a technician over the horizon."""
        return sum(e - s for s, e in tech.available)


# -- building --------------------------------------------------------------------------------
def prepare(scenario: Scenario) -> Prepared:
    """Build the prepared view of a validated scenario."""
    zone = scenario.zone
    start = scenario.horizon.start
    origin = datetime.combine(start, time(), tzinfo=zone).astimezone(UTC)
    prepared = Prepared(
        scenario=scenario,
        zone=zone,
        slot=scenario.slot_minutes,
        origin=origin,
        horizon_end=0,
        days=[],
        holidays=public_holidays(scenario),
    )
    prepared.days = [
        Day(
            index=k,
            date=start + timedelta(days=k),
            start=prepared.minute(start + timedelta(days=k)),
            end=prepared.minute(start + timedelta(days=k), end_of_day=True),
            working=prepared.is_working_day(start + timedelta(days=k)),
        )
        for k in range(scenario.horizon.days)
    ]
    prepared.horizon_end = prepared.days[-1].end
    prepared.technicians = [_technician(prepared, k) for k in range(len(scenario.technicians))]
    prepared.windows = {c.id: _windows(prepared, c.maintenance_windows) for c in scenario.customers}
    prepared.items = _items(prepared)
    return prepared


def public_holidays(scenario: Scenario) -> dict[date, str]:
    """Public holidays of the horizon's years (and the next, for lead times) plus extra dates."""
    spec = scenario.holidays
    if spec is None:
        return {}
    found: dict[date, str] = {}
    if spec.country:
        first = scenario.horizon.start.year
        years = range(first, first + 3)
        calendar = holidays_lib.country_holidays(spec.country, subdiv=spec.subdivision, years=years)
        found.update(calendar)
    found.update({day: found.get(day, "holiday") for day in spec.dates})
    return found


def _local_span(prepared: Prepared, day: date, start: int, end: int) -> Interval:
    """A local time span of ``day`` (minutes after midnight) as grid-aligned minutes."""
    midnight = datetime.combine(day, time())
    first = prepared.minute(midnight + timedelta(minutes=start))
    last = prepared.minute(midnight + timedelta(minutes=end))
    return prepared.snap_up(first), prepared.snap_down(last)


def _absence_interval(prepared: Prepared, absence: Absence) -> Interval:
    """The absence widened to the slot grid (a 13:10 appointment blocks from 13:00)."""
    start = prepared.minute(absence.start)
    end = prepared.minute(absence.end, end_of_day=not isinstance(absence.end, datetime))
    return prepared.snap_down(start), prepared.snap_up(end)


def _technician(prepared: Prepared, k: int) -> PreparedTechnician:
    spec = prepared.scenario.technicians[k]
    hours: list[Interval] = []
    for day in prepared.days:
        if day.date in prepared.holidays:
            continue
        spans = [
            _local_span(prepared, day.date, s.start, s.end)
            for s in spec.hours.spans(day.date.weekday())
        ]
        # touching spans of a day are one stretch; days stay apart (midnight splits them)
        hours += merge([(start, end) for start, end in spans if start < end])
    absences = [(_absence_interval(prepared, a), a.reason) for a in spec.absences]
    cap = spec.max_hours_per_day
    return PreparedTechnician(
        index=k,
        id=spec.id,
        name=spec.label,
        skills=frozenset(spec.skills),
        available=subtract(hours, [iv for iv, _ in absences]),
        absences=absences,
        after_hours=spec.after_hours,
        team_rank=(k, len(prepared.scenario.technicians)),
        max_minutes_per_day=None if cap is None else round(cap * 60),
    )


def _windows(prepared: Prepared, windows: list) -> list[Interval]:
    """A customer's maintenance windows over the horizon (a day before, for midnight spans)."""
    found = []
    first = prepared.days[0].date - timedelta(days=1)
    for offset in range(len(prepared.days) + 1):
        day = first + timedelta(days=offset)
        weekday = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")[day.weekday()]
        for window in windows:
            if weekday in window.days:
                found.append(_local_span(prepared, day, window.time.start, window.time.end))
    horizon = [(0, prepared.horizon_end)]
    return intersect(merge([w for w in found if w[0] < w[1]]), horizon)


def _effort(prepared: Prepared, effort: Duration) -> int:
    return prepared.snap_up(math.ceil(effort.seconds / 60))


def _eligible(prepared: Prepared, skills: frozenset[str], fixed: int | None) -> tuple[int, ...]:
    candidates = prepared.technicians if fixed is None else [prepared.technicians[fixed]]
    return tuple(t.index for t in candidates if skills <= t.skills)


def _items(prepared: Prepared) -> list[PreparedItem]:
    """All plannable items: project tasks, recurring occurrences, maintenance, requests."""
    raw: list[dict] = []
    raw += _project_tasks(prepared)
    raw += _recurring(prepared)
    raw += _maintenance(prepared)
    raw += _service_requests(prepared)
    index = {entry["id"]: k for k, entry in enumerate(raw)}
    items = []
    for k, entry in enumerate(raw):
        skills = frozenset(entry.pop("skills"))
        after = tuple(index[a] for a in entry.pop("after", ()))
        effort = entry["effort"]
        items.append(
            PreparedItem(
                index=k,
                skills=skills,
                after=after,
                parts=(effort,) if entry.get("fixed") else split_effort(effort, prepared.slot),
                eligible=_eligible(prepared, skills, entry.get("technician")),
                **entry,
            )
        )
    return items


def _start(prepared: Prepared, *days: date | None) -> int:
    chosen = max((d for d in days if d is not None), default=None)
    return 0 if chosen is None else max(0, prepared.minute(chosen))


def _due(prepared: Prepared, day: date | None) -> int | None:
    return None if day is None else prepared.minute(day, end_of_day=True)


def _project_tasks(prepared: Prepared) -> list[dict]:
    return [
        {
            "id": task.id,
            "kind": "project",
            "name": task.name or task.id,
            "customer": project.customer,
            "priority": project.priority,
            "skills": task.skills,
            "effort": _effort(prepared, task.effort),
            "earliest": _start(prepared, task.earliest or project.earliest),
            "due": _due(prepared, project.target),
            "after": task.after,
        }
        for project in prepared.scenario.projects
        for task in project.tasks
    ]


def _recurring(prepared: Prepared) -> list[dict]:
    entries = []
    first, last = prepared.days[0].date, prepared.days[-1].date
    for block in prepared.scenario.recurring:
        rule = rrulestr(block.rule, dtstart=datetime.combine(first, time()))
        fixed = None if block.technician is None else prepared.technician_index[block.technician]
        for occurrence in rule.between(
            datetime.combine(first, time()), datetime.combine(last, time(23, 59)), inc=True
        ):
            day = occurrence.date()
            if day in prepared.holidays:
                continue
            interval = _occurrence(prepared, day, block.time.start, block.time.end)
            entries.append(
                {
                    "id": f"{block.id}@{day.isoformat()}",
                    "kind": "recurring",
                    "name": block.name or block.id,
                    "customer": block.customer,
                    "priority": block.priority,
                    "skills": block.skills,
                    "effort": interval[1] - interval[0],
                    "earliest": interval[0],
                    "due": None,
                    "fixed": interval,
                    "technician": fixed,
                }
            )
    return entries


def _occurrence(prepared: Prepared, day: date, start: int, end: int) -> Interval:
    """A recurring block's minutes on ``day``: from its local start, for its nominal length.

    On a daylight-saving day a block keeps its length: one in the skipped hour starts at the
    first valid instant (02:30 becomes 03:30), one in the repeated hour takes the first 02:00.
    """
    first = prepared.snap_up(
        prepared.minute(datetime.combine(day, time()) + timedelta(minutes=start))
    )
    return first, first + prepared.snap_up(end - start)


def _maintenance(prepared: Prepared) -> list[dict]:
    return [
        {
            "id": item.id,
            "kind": "maintenance",
            "name": item.name or item.id,
            "customer": item.customer,
            "priority": item.priority,
            "skills": item.skills,
            "effort": _effort(prepared, item.effort),
            "earliest": _start(prepared, item.earliest),
            "due": _due(prepared, item.due),
            "windows": prepared.windows.get(item.customer or "", []) if item.in_window else None,
        }
        for item in prepared.scenario.maintenance
    ]


def _service_requests(prepared: Prepared) -> list[dict]:
    return [
        {
            "id": item.id,
            "kind": "service_request",
            "name": item.name or item.id,
            "customer": item.customer,
            "priority": item.priority,
            "skills": item.skills,
            "effort": _effort(prepared, item.effort),
            "earliest": max(0, prepared.snap_up(prepared.minute(item.received))),
            "due": _request_due(prepared, item),
        }
        for item in prepared.scenario.service_requests
    ]


def _request_due(prepared: Prepared, item) -> int | None:
    """Explicit due, else received plus lead time (days count working days, same clock time)."""
    if item.due is not None:
        return prepared.minute(item.due, end_of_day=not isinstance(item.due, datetime))
    if item.lead_time is None:
        return None
    received = item.received.replace(tzinfo=None)
    if item.received.tzinfo is not None:
        received = item.received.astimezone(prepared.zone).replace(tzinfo=None)
    day, remaining = received.date(), item.lead_time.days
    while remaining:
        day += timedelta(days=1)
        remaining -= prepared.is_working_day(day)
    due = datetime.combine(day, received.time()) + timedelta(seconds=item.lead_time.seconds)
    return prepared.minute(due)

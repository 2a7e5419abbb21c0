"""ICS export: a plan as one calendar per technician and one for the team (RFC 5545).

Every planned part and every reserve entry becomes a VEVENT with local times (``TZID`` of the
scenario's zone, a generated VTIMEZONE), so clients show 08:00 as 08:00 on both sides of a
daylight-saving change. UIDs are derived from the scenario name and the item and part (reserve:
technician, local date and index on that day), so a re-exported plan updates the same events.

With a previous plan, an event whose time or technician changed gets ``SEQUENCE:1`` and an event
of the previous plan that is gone from a calendar is emitted with ``STATUS:CANCELLED`` and
``SEQUENCE:1`` (in a technician's calendar this includes work that moved to someone else).
Plans store no sequence numbers, so the previous sequence is taken as 0: a changed event
always has sequence 1, an unchanged one 0. Subscribed (``METHOD:PUBLISH``) feeds are replaced
as a whole by clients, where this is enough.
"""

from __future__ import annotations

import re
import uuid
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time, timedelta
from typing import NamedTuple

from icalendar import Calendar, Event, Timezone, vText
from icalendar.enums import STATUS, TRANSP

from models.plan import DUTY_REASON, Plan
from models.prepare import Prepared
from models.records import PreparedItem

PRODID = "-//mspplan//mspplan capacity planner//EN"
TEAM = "team"
"""File stem and key of the team calendar."""
KIND_LABELS = {
    "project": "Project",
    "recurring": "Recurring",
    "maintenance": "Maintenance",
    "service_request": "Service request",
}
RESERVE_CATEGORY = "Incident reserve"
_NAMESPACE = uuid.UUID("7b0c6f52-3f5e-5d0e-9a36-6d7370706c61")
"""Fixed namespace of the uuid5 UIDs; changing it would orphan every exported event."""


@dataclass(frozen=True)
class Entry:
    """One event before it becomes a VEVENT: identity, owner, time and texts."""

    uid: str
    technician: str | None
    """Technician id; None for team-only events (the forecast reserve profile)."""
    who: str
    """Technician display name (or what the team sees instead)."""
    start: datetime
    end: datetime
    summary: str
    description: str
    category: str
    location: str | None = None
    sequence: int = 0
    cancelled: bool = False

    @property
    def slot(self) -> tuple[str | None, datetime, datetime]:
        """What makes an event moved when it changes: technician and time (as instants: local
        times compare by the clock, so 02:30 twice on the night clocks go back would be equal)."""
        return self.technician, self.start.astimezone(UTC), self.end.astimezone(UTC)


@dataclass(frozen=True)
class CalendarFile:
    """One exported calendar: file name, display name, content and event counts."""

    name: str
    title: str
    data: bytes
    events: int
    cancelled: int


# -- checks ----------------------------------------------------------------------------------
def plan_problems(prepared: Prepared, plan: Plan, *, previous: bool = False) -> list[str]:
    """Why ``plan`` cannot be exported for this scenario; empty when it can.

    The plan must name the scenario and, unless it is the ``previous`` plan (whose items and
    technicians may since have been removed), only its technicians and items; every entry must
    end after it starts.
    """
    name = prepared.scenario.name
    problems = []
    if plan.scenario != name:
        problems.append(f"scenario: the plan was made for scenario '{plan.scenario}', "
                        f"but the scenario file is '{name}'")
    if not previous:
        techs = set(prepared.technician_index)
        used = [a.technician for a in plan.assignments] + [r.technician for r in plan.reserve]
        unknown = sorted({t for t in used if t not in techs})
        if unknown:
            problems.append(f"names technicians that are not in the scenario: {_few(unknown)}")
        missing = sorted({a.item for a in plan.assignments if a.item not in prepared.item_index})
        if missing:
            problems.append(f"names items that are not in the scenario: {_few(missing)}")
        parts = Counter((a.item, a.part) for a in plan.assignments)
        twice = sorted(f"{item} part {part}" for (item, part), n in parts.items() if n > 1)
        if twice:
            problems.append(f"lists the same part more than once: {_few(twice)}")
    spans = [("assignments", k, a.start, a.end) for k, a in enumerate(plan.assignments)]
    spans += [("reserve", k, r.start, r.end) for k, r in enumerate(plan.reserve)]
    spans = [(w, k, _local(prepared, s), _local(prepared, e)) for w, k, s, e in spans]
    problems += [f"{where}[{k}]: ends ({end}) before it starts ({start})"
                 for where, k, start, end in spans if end <= start]
    return problems


def _few(names: list[str], shown: int = 8) -> str:
    more = f" and {len(names) - shown} more" if len(names) > shown else ""
    return ", ".join(names[:shown]) + more


# -- entries ---------------------------------------------------------------------------------
def make_uid(*parts: object) -> str:
    """A stable UID from the parts (uuid5, so the same parts always give the same UID)."""
    return f"{uuid.uuid5(_NAMESPACE, chr(31).join(map(str, parts)))}@mspplan"


def _local(prepared: Prepared, moment: datetime) -> datetime:
    """A plan time in the scenario's zone; naive times are local already."""
    if moment.tzinfo is None:
        return moment.replace(tzinfo=prepared.zone)
    return moment.astimezone(prepared.zone)


def _due_text(prepared: Prepared, item: PreparedItem) -> str | None:
    if item.due is None:
        return None
    moment = prepared.moment(item.due)
    if moment.time() == time():  # the end of a whole day: show that day
        return f"{(moment - timedelta(days=1)).date()} (end of day)"
    return moment.strftime("%Y-%m-%d %H:%M")


@dataclass(frozen=True)
class _Names:
    """Display names by id, looked up once per export."""

    technicians: dict[str, str]
    customers: dict[str, str]
    projects: dict[str, str]
    """Task id -> project name."""

    @classmethod
    def of(cls, prepared: Prepared) -> _Names:
        scenario = prepared.scenario
        return cls(
            technicians={t.id: t.name for t in prepared.technicians},
            customers={c.id: c.label for c in scenario.customers},
            projects={t.id: p.name or p.id for p in scenario.projects for t in p.tasks},
        )


class _Texts(NamedTuple):
    summary: str
    description: str
    location: str | None
    category: str


def _item_texts(
    prepared: Prepared, names: _Names, item: PreparedItem, part: int, count: int
) -> _Texts:
    """SUMMARY, DESCRIPTION, LOCATION and category of one part of an item."""
    customer = names.customers.get(item.customer, item.customer) if item.customer else None
    label = KIND_LABELS.get(item.kind, item.kind)
    summary = f"[{label}] {item.name}" + (f" ({part}/{count})" if count > 1 else "")
    summary += f" - {customer}" if customer else ""
    due = _due_text(prepared, item)
    lines = [
        f"Item: {item.id}",
        f"Kind: {label}",
        f"Project: {names.projects[item.id]}" if item.id in names.projects else None,
        f"Customer: {customer or 'internal'}",
        f"Skills: {', '.join(sorted(item.skills)) or 'none'}",
        f"Part: {part} of {count}",
        f"{'Target' if item.kind == 'project' else 'Due'}: {due}" if due else None,
        f"Priority: {item.priority} (1 = highest, 5 = lowest)",
    ]
    description = "\n".join(line for line in lines if line)
    return _Texts(summary, description, customer, label)


def plan_entries(prepared: Prepared, plan: Plan) -> list[Entry]:
    """The events of a plan: every assigned part, every reserve entry and reserve period.

    Items or technicians the scenario does not know (a previous plan's) get plain texts.
    """
    scenario = prepared.scenario.name
    names = _Names.of(prepared)
    counts: dict[str, int] = defaultdict(int)
    for a in plan.assignments:
        counts[a.item] = max(counts[a.item], a.part)
    entries = []
    for a in plan.assignments:
        who = names.technicians.get(a.technician, a.technician)
        if a.item in prepared.item_index:
            item = prepared.items[prepared.item_index[a.item]]
            count = max(counts[a.item], len(item.parts))
            texts = _item_texts(prepared, names, item, a.part, count)
        else:
            label = KIND_LABELS.get(a.kind, a.kind)
            texts = _Texts(f"[{label}] {a.item}",
                           f"Item: {a.item}\nKind: {label}\nPart: {a.part}", None, label)
        entries.append(Entry(
            uid=make_uid(scenario, a.item, a.part), technician=a.technician, who=who,
            start=_local(prepared, a.start), end=_local(prepared, a.end),
            summary=texts.summary, category=texts.category, location=texts.location,
            description=f"{texts.description}\nTechnician: {who}",
        ))
    return entries + _reserve_entries(prepared, plan, names.technicians)


def _reserve_entries(prepared: Prepared, plan: Plan, names: dict[str, str]) -> list[Entry]:
    scenario = prepared.scenario.name
    entries = []
    seen: dict[tuple[str, date], int] = defaultdict(int)
    for r in sorted(plan.reserve, key=lambda r: (r.technician, r.start, r.end)):
        start, end = _local(prepared, r.start), _local(prepared, r.end)
        index = seen[r.technician, start.date()]
        seen[r.technician, start.date()] += 1
        who = names.get(r.technician, r.technician)
        duty = r.reason.strip().lower() == DUTY_REASON
        entries.append(Entry(
            uid=make_uid(scenario, "reserve", r.technician, start.date(), index),
            technician=r.technician, who=who, start=start, end=end,
            summary="Incident duty" if duty else "Incident reserve",
            description=f"Kept free for incidents ({r.reason}); no planned work.\n"
                        f"Technician: {who}",
            category=RESERVE_CATEGORY,
        ))
    seen.clear()
    for period in sorted(plan.reserve_profile, key=lambda p: (p.start, p.end)):
        start, end = _local(prepared, period.start), _local(prepared, period.end)
        index = seen[TEAM, start.date()]
        seen[TEAM, start.date()] += 1
        count = f"{period.technicians} technician" + ("s" if period.technicians != 1 else "")
        entries.append(Entry(
            uid=make_uid(scenario, "reserve-profile", start.date(), index),
            technician=None, who=count, start=start, end=end,
            summary="Incident reserve",
            description=f"{count} kept free of planned work for incidents.",
            category=RESERVE_CATEGORY,
        ))
    return entries


def with_changes(current: list[Entry], previous: list[Entry]) -> list[Entry]:
    """Current entries with SEQUENCE 1 where technician or time changed since ``previous``."""
    before = {e.uid: e.slot for e in previous}
    return [
        replace(e, sequence=1) if e.uid in before and before[e.uid] != e.slot else e
        for e in current
    ]


def cancelled(current: list[Entry], previous: list[Entry]) -> list[Entry]:
    """The ``previous`` entries whose UID is not among ``current``, as cancellations."""
    kept = {e.uid for e in current}
    return [
        replace(e, cancelled=True, sequence=1,
                description=f"Cancelled: no longer planned here.\n{e.description}")
        for e in previous if e.uid not in kept
    ]


# -- calendars -------------------------------------------------------------------------------
_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f]")


def clean_text(value: str) -> str:
    """Text a strict reader accepts: RFC 5545 TEXT has no control characters but tab and
    newline (a scenario read from JSON may hold any), so line breaks become newlines and the
    rest U+FFFD."""
    return _CONTROL.sub("\ufffd", value.replace("\r\n", "\n").replace("\r", "\n"))


def _on_the_wire(moment: datetime) -> datetime:
    """Local time with TZID, or UTC for the second pass of a repeated hour.

    RFC 5545 3.3.5 reads an ambiguous local time (02:30 on the night clocks go back) as its
    first occurrence, so the second one can only be written in UTC.
    """
    if moment.fold and moment.replace(fold=0).utcoffset() != moment.utcoffset():
        return moment.astimezone(UTC)
    return moment


def _event(entry: Entry, stamp: datetime, team: bool) -> Event:
    return Event.new(
        uid=entry.uid,
        stamp=stamp,
        start=_on_the_wire(entry.start),
        end=_on_the_wire(entry.end),
        summary=clean_text(f"{entry.who}: {entry.summary}" if team else entry.summary),
        description=clean_text(entry.description),
        location=None if entry.location is None else clean_text(entry.location),
        categories=[clean_text(entry.category)],
        sequence=entry.sequence,
        status=STATUS.CANCELLED if entry.cancelled else STATUS.CONFIRMED,
        transparency=TRANSP.OPAQUE,
    )


def build_calendar(
    prepared: Prepared, key: str, title: str, entries: Iterable[Entry], stamp: datetime
) -> Calendar:
    """One VCALENDAR with a VTIMEZONE of the scenario's zone and the entries in time order."""
    zone = prepared.scenario.timezone
    calendar = Calendar.new(
        prodid=PRODID, method="PUBLISH", uid=make_uid(prepared.scenario.name, "calendar", key)
    )
    # Not Calendar.new(name=...): icalendar 7.3 writes NAME and X-WR-CALNAME unescaped, so
    # a newline in a technician's name breaks the file; vText escapes it.
    for prop in ("NAME", "X-WR-CALNAME"):
        calendar.add(prop, vText(clean_text(f"mspplan: {title}")))
    calendar.add("X-WR-TIMEZONE", vText(zone))
    ordered = sorted(entries, key=lambda e: (*e.slot[1:], e.uid, e.cancelled))
    years = [e.start.year for e in ordered] + [e.end.year for e in ordered]
    years.append(prepared.days[0].date.year)
    calendar.add_component(
        Timezone.from_tzid(zone, first_date=date(min(years), 1, 1),
                           last_date=date(max(years) + 1, 1, 1))
    )
    for entry in ordered:
        calendar.add_component(_event(entry, stamp, team=key == TEAM))
    return calendar


def export_calendars(
    prepared: Prepared,
    plan: Plan,
    *,
    previous: Plan | None = None,
    now: datetime | None = None,
) -> list[CalendarFile]:
    """The technicians' calendars (in scenario order) and the team calendar, as ICS bytes.

    Parameters
    ----------
    prepared
        The prepared scenario the plan was made for (see ``plan_problems``).
    plan
        The plan to export.
    previous
        An earlier plan of the same scenario: moved events get SEQUENCE 1, gone ones are
        emitted as cancelled.
    now
        The DTSTAMP of every event (aware); defaults to the current UTC time.
    """
    stamp = (now or datetime.now(UTC)).astimezone(UTC)
    current = plan_entries(prepared, plan)
    before = [] if previous is None else plan_entries(prepared, previous)
    current = with_changes(current, before)
    views: list[tuple[str, str, str | None]] = [(t.id, t.name, t.id) for t in prepared.technicians]
    views.append((TEAM, TEAM, None))
    files = []
    for key, title, tech in views:
        mine = [e for e in current if tech is None or e.technician == tech]
        old = [e for e in before if tech is None or e.technician == tech]
        gone = cancelled(mine, old)
        calendar = build_calendar(prepared, key, title, mine + gone, stamp)
        files.append(CalendarFile(f"{key}.ics", title, calendar.to_ical(),
                                  len(mine), len(gone)))
    return files

"""Absences from an ICS calendar (a vacation calendar exported from Outlook, Google, ...).

Every busy event of the file that touches the horizon becomes an ``Absence``:

- an all-day event (``VALUE=DATE``) covers whole days; its DTEND is exclusive in ICS, so
  ``DTSTART:20260316`` / ``DTEND:20260321`` is the absence 2026-03-16 .. 2026-03-20;
- a timed event is an interval, converted to the scenario's zone and then naive local time
  (floating times are local already; Windows zone names like "W. Europe Standard Time" and
  the file's own VTIMEZONE definitions are understood by ``icalendar``);
- a recurring event (RRULE, RDATE, EXDATE, moved occurrences) is expanded over the horizon by
  ``recurring-ical-events``;
- free time is no absence: ``TRANSP:TRANSPARENT`` and Outlook's
  ``X-MICROSOFT-CDO-BUSYSTATUS:FREE`` are skipped, and so are ``STATUS:CANCELLED`` events.
"""

from __future__ import annotations

import codecs
import logging
from datetime import date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import recurring_ical_events
from icalendar import Calendar, Component, Event

from models.scenario_calendar import Absence

log = logging.getLogger(__name__)

MAX_BYTES = 20 * 1024 * 1024
"""Largest calendar file read; a decade of a busy person's calendar stays far below."""
MAX_REASON = 80
"""Longest absence reason taken from an event's SUMMARY."""
_CHECKED = ("DTSTART", "DTEND", "DURATION", "RRULE", "RDATE", "EXDATE", "RECURRENCE-ID")
"""Properties whose parse errors make an event unusable (others, e.g. a bad CREATED, do not)."""


def read_absences(path: Path, zone: ZoneInfo, first_day: date, last_day: date) -> list[Absence]:
    """The absences an ICS file holds between two days (inclusive), in time order.

    Parameters
    ----------
    path
        The ``.ics`` file.
    zone
        The scenario's zone: timed events are converted to it, then made naive.
    first_day, last_day
        The horizon; recurring events are expanded over it, events outside it are left out.

    Raises
    ------
    ValueError
        With a readable reason when the file is missing, not text, not iCalendar or broken.
    """
    calendars = parse_calendars(_read(path))
    for calendar in calendars:
        _check_events(calendar, zone)
    # A day more on each side: an event's own zone may shift it across the horizon's edge.
    start, end = first_day - timedelta(days=1), last_day + timedelta(days=2)
    found: list[Absence] = []
    for calendar in calendars:
        try:
            occurrences = recurring_ical_events.of(calendar).between(start, end)
        except (ValueError, KeyError, TypeError, OverflowError) as error:
            raise ValueError(f"cannot expand its events ({_first_line(error)})") from None
        found += [a for event in occurrences if (a := _absence(event, zone)) is not None]
    since = datetime.combine(first_day, time())
    until = datetime.combine(last_day + timedelta(days=1), time())
    found = [a for a in found if _bounds(a)[0] < until and since < _bounds(a)[1]]
    found.sort(key=_bounds)
    log.info("%s: %d absences between %s and %s", path, len(found), first_day, last_day)
    return found


# -- reading ---------------------------------------------------------------------------------
def _read(path: Path) -> str:
    if not path.exists():
        raise ValueError("file not found")
    if not path.is_file():
        raise ValueError("is a directory, not a file" if path.is_dir() else "is not a file")
    try:
        with path.open("rb") as stream:
            raw = stream.read(MAX_BYTES + 1)
    except OSError as error:
        raise ValueError(f"{error.strerror or error}") from None
    if len(raw) > MAX_BYTES:
        raise ValueError(f"is larger than {MAX_BYTES // 2**20} MB; not a calendar of absences")
    if raw.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        raise ValueError("is UTF-16 (or UTF-32) text; export the calendar as UTF-8")
    if b"\x00" in raw:
        raise ValueError("is a binary file, not an ICS calendar")
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise ValueError(f"is not UTF-8 text (byte {error.start}); "
                         "export the calendar as UTF-8") from None


def parse_calendars(text: str) -> list[Calendar]:
    """The VCALENDARs of an ICS text (exports sometimes hold several), or a ValueError."""
    if not text.lstrip().upper().startswith("BEGIN:VCALENDAR"):
        raise ValueError("is not an ICS calendar (it should start with BEGIN:VCALENDAR)")
    try:
        calendars = Calendar.from_ical(text, multiple=True)
    except (ValueError, KeyError, IndexError, TypeError) as error:
        raise ValueError(f"is not valid iCalendar ({_first_line(error)})") from None
    if not calendars:
        raise ValueError("is not valid iCalendar (no complete VCALENDAR: is the file cut off?)")
    return calendars


def _first_line(error: BaseException) -> str:
    text = str(error).strip().splitlines()
    line = text[0] if text else type(error).__name__
    return line if len(line) <= 200 else line[:197] + "..."


# -- checks ----------------------------------------------------------------------------------
def _check_events(calendar: Calendar, zone: ZoneInfo) -> None:
    """Refuse events whose times cannot be read, rather than skip them in silence."""
    for event in calendar.events:
        if not _busy(event):
            continue
        name = _name(event)
        broken = [f"{prop}: {message}" for prop, message in event.errors if prop in _CHECKED]
        if broken:
            raise ValueError(f"{name}: {broken[0]}")
        if "DTSTART" not in event:
            raise ValueError(f"{name} has no DTSTART")
        for prop in ("DTSTART", "DTEND"):
            value = event.get(prop)
            if value is None:
                continue
            if "TZID" in value.params and getattr(value.dt, "tzinfo", True) is None:
                raise ValueError(f"{name}: {prop} uses the unknown time zone "
                                 f"'{value.params['TZID']}' (and the file has no VTIMEZONE "
                                 "for it)")
        if "DTEND" in event and _local(event.end, zone) < _local(event.start, zone):
            raise ValueError(f"{name} ends before it starts")


def _name(event: Component) -> str:
    summary = " ".join(str(event.get("SUMMARY", "")).split())
    uid = str(event.get("UID", "")).strip()
    label = f"event '{summary[:60]}'" if summary else "an event without SUMMARY"
    return f"{label} (UID {uid[:60]})" if uid else label


def _busy(event: Component) -> bool:
    """Whether an event blocks time: not free (transparent), not cancelled."""
    if str(event.get("TRANSP", "OPAQUE")).upper() == "TRANSPARENT":
        return False
    if str(event.get("X-MICROSOFT-CDO-BUSYSTATUS", "")).upper() == "FREE":
        return False
    return str(event.get("STATUS", "")).upper() != "CANCELLED"


# -- conversion ------------------------------------------------------------------------------
def _absence(event: Event, zone: ZoneInfo) -> Absence | None:
    """One occurrence as an absence, or None when it blocks no time."""
    if not _busy(event):
        return None
    start, end = event.start, event.end
    reason = " ".join(str(event.get("SUMMARY", "")).split())[:MAX_REASON] or "absence"
    if not isinstance(start, datetime) and not isinstance(end, datetime):
        last = max(start, end - timedelta(days=1))  # DTEND of an all-day event is exclusive
        return Absence(start=start, end=last, reason=reason)
    start, end = _local(start, zone), _local(end, zone)
    if end <= start:
        return None  # a moment, not a span: nothing is blocked
    return Absence(start=start, end=end, reason=reason)


def _local(moment: date, zone: ZoneInfo) -> datetime:
    """Naive local time of the scenario's zone; a date is its local midnight."""
    if not isinstance(moment, datetime):
        return datetime.combine(moment, time())
    if moment.tzinfo is None:
        return moment  # floating time: local wherever it is read
    return moment.astimezone(zone).replace(tzinfo=None)


def _bounds(absence: Absence) -> tuple[datetime, datetime]:
    """An absence as naive local start and exclusive end (whole days end at midnight)."""
    start, end = absence.start, absence.end
    if not isinstance(start, datetime):
        start = datetime.combine(start, time())
    if not isinstance(end, datetime):
        end = datetime.combine(end + timedelta(days=1), time())
    return start, end

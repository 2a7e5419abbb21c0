"""CalDAV publishing: each technician's planned events in a calendar collection on a server.

A technician's events are exactly those of the ICS export (``models.ics.export_calendars``),
one resource per UID: ``<uid>.ics``, a VCALENDAR with the export's VTIMEZONE and one VEVENT
(without ``METHOD``, which RFC 4791 forbids in stored resources). They go to the collection
``mspplan-<technician id>`` of the logged-in user's calendar home, created when missing, with
the export's calendar title as display name. Publishing mirrors the plan:

- an event whose UID is not on the server is created;
- an event whose content changed (DTSTAMP and SEQUENCE aside) is replaced at its URL, with
  the server's SEQUENCE plus one; an unchanged one is left alone;
- an event in such a collection whose UID is one of ours (``...@mspplan``) and that the plan
  no longer has is deleted, and so is a second resource holding the same UID.

Events with other UIDs (added by hand) are never touched, nor are collections of technicians
no longer in the scenario. The team calendar of the export is not published.

Every failure talking to the server (unreachable, login refused, not a CalDAV URL, a refused
request) is a ``PublishError`` with one line that names the step, never the password.
"""

from __future__ import annotations

import http
import logging
import math
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from urllib.parse import unquote, urlsplit

from caldav.calendarobjectresource import Event as StoredEvent
from caldav.davclient import DAVClient
from caldav.elements import dav
from caldav.lib.error import AuthorizationError, DAVError, PropfindError
from icalendar import Calendar, Component, Event

from models.ics import PRODID, export_calendars
from models.plan import Plan
from models.prepare import Prepared

log = logging.getLogger(__name__)

COLLECTION_PREFIX = "mspplan-"
"""Collections are named ``mspplan-<technician id>``."""
OUR_UIDS = "@mspplan"
"""The UIDs ``models.ics.make_uid`` gives; only events with them are updated or deleted."""
_VOLATILE = frozenset({"DTSTAMP", "SEQUENCE"})
"""Properties that differ between two exports of the same event."""


# -- what is published -----------------------------------------------------------------------
@dataclass(frozen=True)
class Resource:
    """One event of the export, to be stored as ``<uid>.ics``."""

    uid: str
    event: Event
    timezones: tuple[Component, ...]

    def ical(self, sequence: int | None = None) -> bytes:
        """The resource: a VCALENDAR with the VTIMEZONE(s) and the event (SEQUENCE replaced)."""
        calendar = Calendar()
        calendar.add("PRODID", PRODID)
        calendar.add("VERSION", "2.0")
        for timezone in self.timezones:
            calendar.add_component(timezone)
        if sequence is None:
            calendar.add_component(self.event)
        else:
            event = Event.from_ical(self.event.to_ical())
            event.pop("SEQUENCE", None)
            event.add("SEQUENCE", sequence)
            calendar.add_component(event)
        return calendar.to_ical()


@dataclass(frozen=True)
class Collection:
    """A technician's calendar on the server: id (the last URL segment), title and events."""

    technician: str
    cal_id: str
    title: str
    resources: tuple[Resource, ...]


def collection_id(technician: str) -> str:
    """The collection of a technician: ``mspplan-<id>``; a ``:`` (allowed in ids, refused in
    paths by servers such as Radicale) becomes ``~``, which no id holds."""
    return COLLECTION_PREFIX + technician.replace(":", "~")


def split_calendar(data: bytes) -> list[Resource]:
    """The events of an exported calendar, each with the calendar's VTIMEZONE(s)."""
    calendar = Calendar.from_ical(data)
    timezones = tuple(calendar.walk("VTIMEZONE"))
    return [Resource(str(event["UID"]), event, timezones) for event in calendar.events]


def plan_collections(
    prepared: Prepared, plan: Plan, *, now: datetime | None = None
) -> list[Collection]:
    """Every technician's collection, in scenario order, built from the ICS export."""
    files = export_calendars(prepared, plan, now=now)
    # export_calendars lists the technicians in scenario order, then the team calendar.
    return [
        Collection(tech.id, collection_id(tech.id), f"mspplan: {file.title}",
                   tuple(split_calendar(file.data)))
        for tech, file in zip(prepared.technicians, files, strict=False)
    ]


def fingerprint(event: Component) -> list[str]:
    """An event's content lines, sorted, without the ones every export changes."""
    lines = [str(line) for line in event.content_lines(sorted=True) if line]
    return sorted(line for line in lines if re.split("[;:]", line, maxsplit=1)[0].upper()
                  not in _VOLATILE)


# -- outcome and errors ----------------------------------------------------------------------
@dataclass
class Outcome:
    """What publishing did to one technician's collection."""

    technician: str
    collection: str
    new_collection: bool = False
    created: int = 0
    updated: int = 0
    deleted: int = 0
    unchanged: int = 0


class PublishError(Exception):
    """Talking to the CalDAV server failed; the message is one line, ``done`` what was done."""

    def __init__(
        self, message: str, done: list[Outcome] | None = None, *, login_refused: bool = False
    ) -> None:
        super().__init__(message)
        self.done = list(done or [])
        self.login_refused = login_refused
        """The server refused the user name or password (HTTP 401)."""


def url_problem(url: str, password_env: str = "an environment variable") -> str | None:
    """Why ``url`` cannot be a CalDAV address, or None."""
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises ValueError for a port that is not a number
    except ValueError as error:
        return f"is not a valid URL ({error})"
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return "must be an http:// or https:// address, e.g. https://dav.example.com/"
    if parts.password is not None:
        return f"holds a password; give it in {password_env} instead"
    return None


def shown_url(url: str) -> str:
    """The URL without user information, for messages."""
    parts = urlsplit(url)
    host = parts.netloc.rpartition("@")[2]
    return parts._replace(netloc=host).geturl()


# -- talking to the server -------------------------------------------------------------------
def publish(
    prepared: Prepared,
    plan: Plan,
    *,
    url: str,
    username: str,
    password: str,
    timeout: float = 30.0,
    now: datetime | None = None,
) -> list[Outcome]:
    """Publish every technician's events of ``plan`` to the CalDAV server at ``url``.

    Parameters
    ----------
    prepared, plan
        The scenario and a plan made for it (see ``models.ics.plan_problems``).
    url
        The server's CalDAV address (or the user's principal or calendar home URL).
    username, password
        The login; the password appears in no message and no log line.
    timeout
        Seconds to wait for each answer.
    now
        DTSTAMP of new and changed events; defaults to the current time.

    Returns
    -------
    list[Outcome]
        Per technician, in scenario order: collection created or not, events created,
        updated, deleted and left unchanged.

    Raises
    ------
    PublishError
        The server could not be reached or refused a step; what was done before is in ``done``.
    """
    collections = plan_collections(prepared, plan, now=now)
    session = _Session(url, username, password, timeout)
    with session.step(f"connecting to {shown_url(url)}"):
        client = DAVClient(url=url, username=username, password=password,
                                  timeout=math.ceil(timeout), enable_rfc6764=False)
    with client:
        with session.step(f"logging in to {shown_url(url)} as '{username}'", login=True):
            principal = client.principal()
        with session.step("listing the calendars"):
            calendars = {_last_segment(str(c.url)): c for c in principal.calendars()}
        for collection in collections:
            outcome = Outcome(collection.technician, collection.cal_id)
            _sync(session, client, principal, calendars.get(collection.cal_id), collection,
                  outcome)
            session.done.append(outcome)
            log.info("%s: %s", collection.cal_id, outcome)
    return session.done


def _sync(
    session: _Session,
    client: DAVClient,
    principal: Any,
    calendar: Any,
    collection: Collection,
    outcome: Outcome,
) -> None:
    """Make one collection hold exactly the collection's events (ours; others stay)."""
    name = collection.cal_id
    if calendar is None:
        with session.step(f"creating the calendar {name}"):
            calendar = principal.make_calendar(name=collection.title, cal_id=name)
        outcome.new_collection, stored = True, {}
    else:
        with session.step(f"setting the display name of {name}"):
            if calendar.get_display_name() != collection.title:
                calendar.set_properties([dav.DisplayName(collection.title)])
        with session.step(f"reading the calendar {name}"):
            stored = _stored(calendar)
    for resource in collection.resources:
        found = stored.pop(resource.uid, [])
        if not found:
            with session.step(f"saving event {resource.uid} in {name}"):
                StoredEvent(client, parent=calendar).save(raw_data=resource.ical())
            outcome.created += 1
            continue
        (kept, old), extra = found[0], found[1:]
        if fingerprint(old) == fingerprint(resource.event):
            outcome.unchanged += 1
        else:
            sequence = _sequence(old) + 1
            with session.step(f"updating event {resource.uid} in {name}"):
                kept.save(raw_data=resource.ical(sequence=sequence))
            outcome.updated += 1
        outcome.deleted += _delete(session, [obj for obj, _ in extra], name)
    for gone in stored.values():
        outcome.deleted += _delete(session, [obj for obj, _ in gone], name)


def _stored(calendar: Any) -> dict[str, list[tuple[Any, Event]]]:
    """The collection's events with one of our UIDs: UID -> [(resource, its VEVENT)]."""
    found: dict[str, list[tuple[Any, Event]]] = {}
    for obj in calendar.get_events():
        try:
            events = Calendar.from_ical(obj.data).events
        except ValueError:  # not ours (ours parse): leave it alone
            log.warning("%s: cannot parse %s; left alone", calendar.url, obj.url)
            continue
        uid = str(events[0].get("UID", "")) if events else ""
        if uid.endswith(OUR_UIDS):
            master = next((e for e in events if "RECURRENCE-ID" not in e), events[0])
            found.setdefault(uid, []).append((obj, master))
    return found


def _delete(session: _Session, objects: list[Any], name: str) -> int:
    for obj in objects:
        with session.step(f"deleting {_last_segment(str(obj.url))} from {name}"):
            obj.delete()
    return len(objects)


def _sequence(event: Event) -> int:
    try:
        return int(event.get("SEQUENCE", 0))
    except (TypeError, ValueError):
        return 0


def _last_segment(url: str) -> str:
    return unquote(urlsplit(url).path.rstrip("/").rpartition("/")[2])


@dataclass
class _Session:
    """What a failure message needs: the URL, the secret to hide, what was done so far."""

    url: str
    username: str
    password: str
    timeout: float
    done: list[Outcome] = field(default_factory=list)

    @contextmanager
    def step(self, what: str, *, login: bool = False) -> Iterator[None]:
        """Turn any failure of the server or the network in this step into a PublishError."""
        try:
            yield
        except PublishError:
            raise
        except Exception as error:  # a foreign server may answer anything: no traceback
            log.debug("%s failed", what, exc_info=True)
            message = f"{what}: {self.reason(error, login)}"
            if self.password:
                message = message.replace(self.password, "***")
            refused = isinstance(error, AuthorizationError) and error.status in (None, 401)
            raise PublishError(" ".join(message.split()), self.done,
                               login_refused=refused) from None

    def reason(self, error: Exception, login: bool) -> str:
        """What went wrong, in one line."""
        if isinstance(error, DAVError):
            return _dav_reason(error, login)
        if isinstance(error, OSError):
            return _network_reason(error, self.timeout)
        return f"unexpected answer ({type(error).__name__}: {_first_line(error)})"


def _dav_reason(error: DAVError, login: bool) -> str:
    status = error.status
    answer = f"HTTP {status} {_phrase(status)}".strip() if status else type(error).__name__
    if isinstance(error, AuthorizationError) and status in (None, 401):
        return f"the server refused the user name or password ({answer})"
    if isinstance(error, AuthorizationError):
        return f"permission denied ({answer})"
    if login and (isinstance(error, PropfindError) or status in (400, 404, 405, 501)):
        return f"no CalDAV service at this URL ({answer}); is it the CalDAV address?"
    return f"the server refused ({answer})"


def _phrase(status: int) -> str:
    try:
        return http.HTTPStatus(status).phrase
    except ValueError:
        return ""


def _network_reason(error: OSError, timeout: float) -> str:
    text = str(error)
    errno = re.search(r"\[Errno -?\d+\] ([^'\")\]]+)", text)
    if errno:
        return f"cannot reach the server ({errno.group(1).strip().rstrip('.')})"
    if "timed out" in text.lower() or "timeout" in type(error).__name__.lower():
        return f"the server did not answer within {timeout:g} s"
    if "ssl" in text.lower():
        return "the TLS handshake failed (http:// instead of https://, or a certificate problem)"
    return f"cannot reach the server ({_first_line(error)})"


def _first_line(error: BaseException) -> str:
    lines = str(error).strip().splitlines()
    line = lines[0] if lines else type(error).__name__
    return line if len(line) <= 200 else line[:197] + "..."

"""The scenario: everything a planner knows before planning, as validated, frozen pydantic models.

Field names are the public file format of DESIGN.md: extend, never rename. Structural
rules live on the fields; rules that relate entities live in the named checks at the end,
each returning messages of the form ``path.to.field: what is wrong``.
"""

from __future__ import annotations

import difflib
import itertools
import re
from datetime import date, datetime
from typing import Annotated, Literal, TypeVar
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

import holidays as holidays_lib
from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PlainSerializer,
    ValidationInfo,
    field_validator,
    model_validator,
)

from models.units import Duration, TimeSpan, parse_duration, parse_span, rrule_problem, shown

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
Weekday = Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]


def _duration(value: object) -> Duration:
    if isinstance(value, Duration):
        return value
    return parse_duration(value)


def _effort(value: object) -> Duration:
    duration = _duration(value)
    if duration.days:
        raise ValueError(f"effort {shown(value)} uses days; give hours instead (e.g. 16h)")
    if duration.seconds <= 0:
        raise ValueError(f"effort {shown(value)} must be more than zero")
    return duration


def _span(may_cross_midnight: bool):
    def parse(value: object) -> TimeSpan:
        if isinstance(value, TimeSpan):
            return value
        return parse_span(value, may_cross_midnight=may_cross_midnight)

    return parse


FIRST_YEAR, LAST_YEAR = 1900, 2200
"""Dates outside these years are typing mistakes (and would overflow date arithmetic)."""
_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.:-]{0,99}")
_DAY_ONLY = re.compile(r"\s*[0-9]{4}-[0-9]{2}-[0-9]{2}\s*")
_When = TypeVar("_When", date, datetime)


def _in_years(value: _When) -> _When:
    if not FIRST_YEAR <= value.year <= LAST_YEAR:
        raise ValueError(f"year {value.year} lies outside {FIRST_YEAR}-{LAST_YEAR}")
    return value


def _day_or_moment(value: object) -> object:
    """``"2026-03-20"`` is a whole day, not midnight: read it as a date before the union sees it."""
    if isinstance(value, str) and _DAY_ONLY.fullmatch(value):
        try:
            return date.fromisoformat(value.strip())
        except ValueError as error:
            raise ValueError(f"{shown(value)} is not a valid date ({error})") from None
    return value


def _valid_id(value: str) -> str:
    if not _ID.fullmatch(value):
        raise ValueError(
            f"{shown(value)} is not a valid id (use up to 100 letters, digits and _ . : -, "
            "starting with a letter or digit)"
        )
    return value


_as_text = PlainSerializer(str, return_type=str)
DurationField = Annotated[Duration, BeforeValidator(_duration), _as_text]
EffortField = Annotated[Duration, BeforeValidator(_effort), _as_text]
HoursSpan = Annotated[TimeSpan, BeforeValidator(_span(False)), _as_text]
WindowSpan = Annotated[TimeSpan, BeforeValidator(_span(True)), _as_text]
Priority = Annotated[int, Field(ge=1, le=5, description="1 = highest ... 5 = lowest")]
Id = Annotated[str, AfterValidator(_valid_id)]
LocalDate = Annotated[date, AfterValidator(_in_years)]
LocalDateTime = Annotated[datetime, AfterValidator(_in_years)]
DayOrMoment = Annotated[LocalDateTime | LocalDate, BeforeValidator(_day_or_moment)]
"""A whole day (``2026-03-20``) or a moment (``2026-03-20T13:00``), naive means local."""


class Model(BaseModel):
    """Base of all scenario models: frozen, unknown fields are errors, numbers are finite."""

    model_config = ConfigDict(frozen=True, extra="forbid", allow_inf_nan=False)


class Horizon(Model):
    start: LocalDate = Field(description="First planned day (local date).")
    days: int = Field(ge=1, le=366, description="Number of days planned, at least 1.")


def _closest(name: str, known: list[str]) -> str | None:
    """The known name a typo most likely meant: same letters in another case, else similar."""
    same = [k for k in known if k.casefold() == name.casefold()]
    close = same or difflib.get_close_matches(name, known, n=1)
    return close[0] if close else None


class Holidays(Model):
    country: str | None = Field(
        None, description="ISO country code for the holidays package, e.g. DE."
    )
    subdivision: str | None = Field(None, description="State or region, e.g. BY for Bavaria.")
    dates: list[LocalDate] = Field(default_factory=list, description="Extra non-working days.")

    @field_validator("country")
    @classmethod
    def known_country(cls, country: str | None) -> str | None:
        supported = holidays_lib.list_supported_countries()
        if country is None or country in supported:
            return country
        hint = _closest(country, list(supported))
        raise ValueError(
            f"unknown holiday country {shown(country)} "
            + (f"(did you mean '{hint}'?)" if hint else "(use an ISO code such as DE, AT, CH)")
        )

    @field_validator("subdivision")
    @classmethod
    def known_subdivision(cls, subdivision: str | None, info: ValidationInfo) -> str | None:
        if subdivision is None or "country" not in info.data:
            return subdivision  # an unreadable country has its own message
        country = info.data["country"]
        if country is None:
            raise ValueError("a subdivision needs a country (e.g. country: DE, subdivision: BY)")
        known = list(holidays_lib.list_supported_countries()[country])
        if subdivision in known:
            return subdivision
        if not known:
            raise ValueError(f"holiday country {country} has no subdivisions; remove this field")
        hint = _closest(subdivision, known)
        raise ValueError(
            f"unknown subdivision {shown(subdivision)} of {country} "
            + (f"(did you mean '{hint}'?)" if hint else f"(known: {', '.join(known)})")
        )


def _hours_list(value: object) -> object:
    return [value] if isinstance(value, str) else value


DayHours = Annotated[list[HoursSpan], BeforeValidator(_hours_list)]


class WeeklyHours(Model):
    """Working hours per weekday; a day is one span or a list of spans; missing days are off."""

    mon: DayHours = Field(default_factory=list, description="Monday's working hours.")
    tue: DayHours = Field(default_factory=list, description="Tuesday's working hours.")
    wed: DayHours = Field(default_factory=list, description="Wednesday's working hours.")
    thu: DayHours = Field(default_factory=list, description="Thursday's working hours.")
    fri: DayHours = Field(default_factory=list, description="Friday's working hours.")
    sat: DayHours = Field(default_factory=list, description="Saturday's working hours.")
    sun: DayHours = Field(default_factory=list, description="Sunday's working hours.")

    @field_validator(*WEEKDAYS)
    @classmethod
    def spans_do_not_overlap(cls, spans: list[TimeSpan]) -> list[TimeSpan]:
        for first, second in itertools.pairwise(sorted(spans)):
            if second.start < first.end:
                raise ValueError(f"spans {first} and {second} overlap")
        return spans

    def spans(self, weekday: int) -> list[TimeSpan]:
        """The spans of a weekday, 0 = Monday."""
        return sorted(getattr(self, WEEKDAYS[weekday]))


class Absence(Model):
    start: DayOrMoment = Field(description="First day (inclusive) or start datetime.")
    end: DayOrMoment = Field(description="Last day (inclusive) or end datetime.")
    reason: str = Field("absence", description="Shown to planners, e.g. vacation.")

    @model_validator(mode="after")
    def end_not_before_start(self) -> Absence:
        if _as_datetime(self.end, end=True) <= _as_datetime(self.start, end=False):
            raise ValueError(f"absence ends ({self.end}) before it starts ({self.start})")
        return self


def _as_datetime(value: datetime | date, *, end: bool) -> datetime:
    """Whole days are inclusive: a date as an end means the end of that day."""
    if isinstance(value, datetime):
        return value.replace(tzinfo=None)
    moment = datetime(value.year, value.month, value.day)
    return moment.replace(hour=23, minute=59, second=59) if end else moment


class Technician(Model):
    id: Id = Field(description="Short unique id, used in files and calendars.")
    name: str | None = Field(None, description="Display name; defaults to the id.")
    skills: list[str] = Field(default_factory=list, description="Skills from the catalogue.")
    hours: WeeklyHours = Field(description="Weekly working hours in local time.")
    after_hours: bool = Field(
        False, description="May take in-window maintenance outside own working hours."
    )
    max_hours_per_day: float | None = Field(
        None, gt=0, le=24, description="Cap on planned hours per day, after-hours work included."
    )
    absences: list[Absence] = Field(default_factory=list, description="Vacation, sickness, ...")
    absences_ics: str | None = Field(
        None,
        min_length=1,
        description="ICS calendar whose busy events are added as absences (e.g. an Outlook "
        "vacation export); a relative path is read from the scenario file's folder.",
    )

    @property
    def label(self) -> str:
        return self.name or self.id


class MaintenanceWindow(Model):
    days: list[Weekday] = Field(min_length=1, description="Weekdays on which the window opens.")
    time: WindowSpan = Field(description="Local time span; may cross midnight (22:00-02:00).")


class Customer(Model):
    id: Id = Field(description="Short unique customer id.")
    name: str | None = Field(None, description="Display name; defaults to the id.")
    maintenance_windows: list[MaintenanceWindow] = Field(
        default_factory=list, description="When maintenance may disturb this customer."
    )

    @property
    def label(self) -> str:
        return self.name or self.id


class Task(Model):
    id: Id = Field(description="Unique item id.")
    name: str | None = Field(None, description="Display name; defaults to the id.")
    effort: EffortField = Field(description="Working time, e.g. 6h or 1h30m.")
    skills: list[str] = Field(default_factory=list, description="All needed by one technician.")
    after: list[str] = Field(default_factory=list, description="Tasks that must finish first.")
    earliest: LocalDate | None = Field(None, description="No part starts before this day.")


class Project(Model):
    id: Id = Field(description="Unique project id.")
    name: str | None = Field(None, description="Display name; defaults to the id.")
    customer: str | None = Field(None, description="Customer id; none for internal work.")
    target: LocalDate | None = Field(None, description="Target date (end of day); lateness costs.")
    earliest: LocalDate | None = Field(None, description="No task starts before this day.")
    priority: Priority = 3
    tasks: list[Task] = Field(min_length=1, description="The project's tasks.")


class Recurring(Model):
    id: Id = Field(description="Unique id; occurrences are <id>@<YYYY-MM-DD>.")
    name: str | None = Field(None, description="Display name; defaults to the id.")
    customer: str | None = Field(None, description="Customer id; none for internal work.")
    rule: str = Field(description="RFC 5545 RRULE, e.g. FREQ=WEEKLY;BYDAY=TU.")
    time: HoursSpan = Field(description="Fixed local time span of each occurrence.")
    skills: list[str] = Field(default_factory=list, description="Needed skills.")
    technician: str | None = Field(None, description="Fixed technician; else the solver picks.")
    priority: Priority = 2

    @field_validator("rule")
    @classmethod
    def valid_rrule(cls, rule: str) -> str:
        text = rule.strip()
        text = text[len("RRULE:") :] if text.upper().startswith("RRULE:") else text
        problem = rrule_problem(text)
        if problem:
            raise ValueError(f"invalid RRULE {shown(rule)}: {problem}")
        return text


class Maintenance(Model):
    id: Id = Field(description="Unique item id.")
    name: str | None = Field(None, description="Display name; defaults to the id.")
    customer: str | None = Field(None, description="Customer id; none for internal work.")
    effort: EffortField = Field(description="Working time.")
    skills: list[str] = Field(default_factory=list, description="Needed skills.")
    in_window: bool = Field(False, description="Only inside the customer's maintenance windows.")
    earliest: LocalDate | None = Field(None, description="Not before this day.")
    due: LocalDate | None = Field(None, description="Due date (end of day); lateness costs.")
    priority: Priority = 3


class ServiceRequest(Model):
    id: Id = Field(description="Unique item id.")
    name: str | None = Field(None, description="Display name; defaults to the id.")
    customer: str | None = Field(None, description="Customer id; none for internal work.")
    received: LocalDateTime = Field(description="When the request came in (local time).")
    effort: EffortField = Field(description="Standard effort.")
    skills: list[str] = Field(default_factory=list, description="Needed skills.")
    lead_time: DurationField | None = Field(
        None, description="Working days (2d) or hours (4h) after receipt; due = received + this."
    )
    due: DayOrMoment | None = Field(None, description="Explicit due; overrides lead_time.")
    priority: Priority = 3


WorkItem = Task | Recurring | Maintenance | ServiceRequest


class IncidentPriority(Model):
    name: str = Field(description="Priority class, e.g. P1.")
    share: float = Field(ge=0, le=1, description="Share of incidents in this class.")
    response: DurationField = Field(description="Response target, e.g. 30m.")


class Handling(Model):
    mean: DurationField = Field(description="Mean handling time of one incident.")
    cv: float = Field(1.0, ge=0, description="Coefficient of variation of handling time.")


HourWeights = Annotated[list[Annotated[float, Field(ge=0)]], Field(min_length=24, max_length=24)]


class Incidents(Model):
    per_day: float = Field(ge=0, description="Mean arrivals on a working day.")
    profile: Literal["office", "flat"] | dict[Weekday, HourWeights] = Field(
        "office", description="Hourly shape: office, flat, or 24 weights per weekday."
    )
    handling: Handling = Field(description="Handling time distribution.")
    priorities: list[IncidentPriority] = Field(min_length=1, description="Classes with shares.")

    @field_validator("priorities")
    @classmethod
    def shares_sum_to_one(cls, priorities: list[IncidentPriority]) -> list[IncidentPriority]:
        total = sum(p.share for p in priorities)
        if abs(total - 1) > 0.01:
            raise ValueError(f"the shares add up to {total:g}, not 1")
        return priorities


class Buffer(Model):
    policy: Literal["percent", "duty", "forecast"] = Field(description="How the reserve is sized.")
    percent: float | None = Field(
        None, ge=0, lt=100, description="percent: share of each day kept free."
    )
    duty: int | None = Field(None, ge=0, description="duty: technicians per working day on duty.")
    service_level: float | None = Field(
        None, gt=0, lt=1, description="forecast: share of P1/P2 answered within response target."
    )

    @model_validator(mode="after")
    def policy_has_its_level(self) -> Buffer:
        level = {"percent": self.percent, "duty": self.duty, "forecast": self.service_level}
        if level[self.policy] is None:
            field = {"forecast": "service_level"}.get(self.policy, self.policy)
            raise ValueError(f"policy '{self.policy}' needs the field '{field}'")
        return self


class Weights(Model):
    unscheduled: int = Field(1000, ge=0, description="Per hour of unscheduled work.")
    late_per_day: int = Field(50, ge=0, description="Per day an item finishes late.")
    balance: int = Field(1, ge=0, description="Per percentage point of load spread.")
    change: int = Field(
        20, ge=0, description="Replans: per item moved or given to another technician."
    )


class Scenario(Model):
    name: str = Field(description="Scenario name, shown in plans and calendars.")
    timezone: str = Field("Europe/Berlin", description="IANA zone of all local times.")
    horizon: Horizon = Field(description="First day and length of the plan.")
    slot_minutes: int = Field(15, ge=1, le=60, description="Planning grid; divides 60.")
    holidays: Holidays | None = Field(None, description="Public holidays: nobody works.")
    skills: list[str] = Field(default_factory=list, description="The skill catalogue.")
    technicians: list[Technician] = Field(default_factory=list, description="The team.")
    customers: list[Customer] = Field(default_factory=list, description="Customers.")
    projects: list[Project] = Field(default_factory=list, description="Projects with tasks.")
    recurring: list[Recurring] = Field(default_factory=list, description="Recurring blocks.")
    maintenance: list[Maintenance] = Field(default_factory=list, description="Maintenance.")
    service_requests: list[ServiceRequest] = Field(
        default_factory=list, description="Service requests."
    )
    incidents: Incidents | None = Field(None, description="Forecast of unplanned work.")
    buffer: Buffer | None = Field(None, description="Capacity reserved for incidents.")
    weights: Weights = Field(default_factory=Weights, description="Objective weights.")

    @field_validator("timezone")
    @classmethod
    def known_timezone(cls, zone: str) -> str:
        try:
            ZoneInfo(zone)
        except (ZoneInfoNotFoundError, ValueError, OSError):
            hint = _closest(zone, sorted(available_timezones())) if len(zone) < 100 else None
            raise ValueError(
                f"unknown IANA time zone {shown(zone)} "
                + (f"(did you mean '{hint}'?)" if hint else "(e.g. Europe/Berlin)")
            ) from None
        return zone

    @field_validator("slot_minutes")
    @classmethod
    def slot_divides_hour(cls, minutes: int) -> int:
        if 60 % minutes:
            raise ValueError(f"slot_minutes {minutes} does not divide 60 (use 5, 10, 15, 30, 60)")
        return minutes

    @model_validator(mode="after")
    def cross_checks(self) -> Scenario:
        from models.crosscheck import cross_check_problems

        problems = cross_check_problems(self)
        if problems:
            raise ValueError("\n".join(problems))
        return self

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    def items(self) -> list[tuple[str, WorkItem]]:
        """Every plannable item with the path of its entry, tasks included."""
        found: list[tuple[str, WorkItem]] = []
        for p, project in enumerate(self.projects):
            found += [(f"projects[{p}].tasks[{t}]", task) for t, task in enumerate(project.tasks)]
        for field in ("recurring", "maintenance", "service_requests"):
            found += [(f"{field}[{i}]", item) for i, item in enumerate(getattr(self, field))]
        return found

"""When work may happen: horizon, public holidays, technicians' hours and absences, customers.

The scenario's calendar side, as validated, frozen pydantic models: ``models.prepare`` turns
these into the minutes each technician is available and the maintenance windows of each
customer, so everything about time and presence is read from one place.
"""

from __future__ import annotations

import itertools
from datetime import date, datetime
from typing import Annotated

import holidays as holidays_lib
from pydantic import (
    BeforeValidator,
    Field,
    ValidationInfo,
    field_validator,
    model_validator,
)

from models.scenario_fields import (
    WEEKDAYS,
    DayOrMoment,
    HoursSpan,
    Id,
    LocalDate,
    Model,
    Weekday,
    WindowSpan,
    closest,
)
from models.units import TimeSpan, shown


class Horizon(Model):
    start: LocalDate = Field(description="First planned day (local date).")
    days: int = Field(ge=1, le=366, description="Number of days planned, at least 1.")


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
        hint = closest(country, list(supported))
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
        hint = closest(subdivision, known)
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

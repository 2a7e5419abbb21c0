"""The building blocks of the scenario models: their base class and the field types of the file.

Every model of the scenario reads ids, dates, durations and time spans the same way and says
the same thing about a bad one, so the parsers and their messages live here once; the models
in ``models.scenario`` and its parts only name the field types.
"""

from __future__ import annotations

import difflib
import re
from datetime import date, datetime
from typing import Annotated, Literal, TypeVar

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PlainSerializer,
)

from models.units import Duration, TimeSpan, parse_duration, parse_span, shown

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


def closest(name: str, known: list[str]) -> str | None:
    """The known name a typo most likely meant: same letters in another case, else similar."""
    same = [k for k in known if k.casefold() == name.casefold()]
    close = same or difflib.get_close_matches(name, known, n=1)
    return close[0] if close else None

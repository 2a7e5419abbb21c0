"""Parsing of the small value languages of the scenario file: durations and time spans.

Durations: ``20s``, ``45m``, ``6h``, ``1h30m``, ``2d`` or ISO 8601 (``PT1H30M``, ``P2D``).
Time spans: ``"08:00-16:30"``; a span whose end is not after its start crosses midnight.
"""

from __future__ import annotations

import re
from datetime import timedelta
from typing import NamedTuple

from pydantic import TypeAdapter, ValidationError

_SHORT = re.compile(r"^(?:(\d+)d)?(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?$")
_CLOCK = re.compile(r"^(\d{1,2}):(\d{2})$")
_ISO = TypeAdapter(timedelta)

DAY_MINUTES = 24 * 60


class Duration(NamedTuple):
    """A parsed duration: whole ``days`` (working days where the field says so) plus ``seconds``."""

    days: int
    seconds: int

    @property
    def minutes(self) -> float:
        """The part below a day, in minutes (days not included)."""
        return self.seconds / 60

    def __str__(self) -> str:
        parts = [f"{self.days}d"] if self.days else []
        hours, rest = divmod(self.seconds, 3600)
        minutes, seconds = divmod(rest, 60)
        parts += [f"{v}{u}" for v, u in ((hours, "h"), (minutes, "m"), (seconds, "s")) if v]
        return "".join(parts) or "0m"


def parse_duration(text: str | int | float) -> Duration:
    """Parse a duration; raise ``ValueError`` with a readable message if it is not one.

    A bare number is read as minutes.
    """
    if isinstance(text, bool):
        raise ValueError(f"{text!r} is not a duration (use e.g. 45m, 6h, 1h30m, 2d, PT1H30M)")
    if isinstance(text, int | float):
        if text < 0:
            raise ValueError(f"duration {text} is negative")
        return Duration(0, round(text * 60))
    value = str(text).strip().replace(" ", "")
    if value.startswith("-"):
        raise ValueError(f"duration '{text}' is negative")
    match = _SHORT.match(value)
    if match and value:
        days, hours, minutes, seconds = (int(g) if g else 0 for g in match.groups())
        return Duration(days, hours * 3600 + minutes * 60 + seconds)
    if value.upper().startswith("P"):
        return _parse_iso(value, text)
    raise ValueError(f"'{text}' is not a duration (use e.g. 45m, 6h, 1h30m, 2d, PT1H30M)")


def _parse_iso(value: str, original: str | int | float) -> Duration:
    day_part, _, time_part = value.upper().partition("T")
    try:
        delta = _ISO.validate_python(value)
    except ValidationError:
        raise ValueError(f"'{original}' is not an ISO 8601 duration") from None
    if delta < timedelta(0):
        raise ValueError(f"duration '{original}' is negative")
    # Days of an ISO duration stay days (working days for lead times), like the short form.
    days = delta.days if "D" in day_part and not time_part else 0
    seconds = int(delta.total_seconds()) - days * 86400
    return Duration(days, seconds)


class TimeSpan(NamedTuple):
    """Minutes after local midnight; ``end`` exceeds 1440 when the span crosses midnight."""

    start: int
    end: int

    def __str__(self) -> str:
        return f"{_clock(self.start)}-{_clock(self.end)}"


def _clock(minutes: int) -> str:
    hours, mins = divmod(minutes % DAY_MINUTES if minutes != DAY_MINUTES else minutes, 60)
    return f"{hours:02d}:{mins:02d}"


def parse_clock(text: str) -> int:
    """``"08:30"`` -> 510 minutes after midnight; ``"24:00"`` is allowed as an end."""
    match = _CLOCK.match(text.strip())
    if not match:
        raise ValueError(f"'{text}' is not a time of day (use HH:MM, e.g. 08:00)")
    hours, minutes = int(match[1]), int(match[2])
    if minutes > 59 or hours > 24 or (hours == 24 and minutes):
        raise ValueError(f"'{text}' is not a time of day (hours 00-24, minutes 00-59)")
    return hours * 60 + minutes


def parse_span(text: str, *, may_cross_midnight: bool) -> TimeSpan:
    """``"08:00-16:30"`` -> ``TimeSpan(480, 990)``; ``"22:00-02:00"`` crosses midnight."""
    if not isinstance(text, str) or text.count("-") != 1:
        raise ValueError(f"{text!r} is not a time span (use HH:MM-HH:MM, e.g. 08:00-16:30)")
    start_text, end_text = text.split("-")
    start, end = parse_clock(start_text), parse_clock(end_text)
    if start == DAY_MINUTES:
        raise ValueError(f"'{text}': a span cannot start at 24:00")
    if end > start:
        return TimeSpan(start, end)
    if not may_cross_midnight:
        raise ValueError(f"'{text}': end is not after start (working hours cannot cross midnight)")
    return TimeSpan(start, end + DAY_MINUTES)

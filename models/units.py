"""Parsing of the small value languages of the scenario file: durations and time spans.

Durations: ``20s``, ``45m``, ``6h``, ``1h30m``, ``2d`` or ISO 8601 (``PT1H30M``, ``P2D``).
Time spans: ``"08:00-16:30"``; a span whose end is not after its start crosses midnight.
Recurrence rules: one RFC 5545 RRULE line such as ``FREQ=WEEKLY;BYDAY=TU``.
"""

from __future__ import annotations

import itertools
import math
import re
from datetime import datetime, timedelta
from typing import NamedTuple

from dateutil.rrule import rrulestr
from pydantic import TypeAdapter, ValidationError

_SHORT = re.compile(r"^(?:([0-9]+)d)?(?:([0-9]+)h)?(?:([0-9]+)m)?(?:([0-9]+)s)?$")
_CLOCK = re.compile(r"^([0-9]{1,2}):([0-9]{2})$")
_ISO = TypeAdapter(timedelta)
_EXAMPLES = "use e.g. 45m, 6h, 1h30m, 2d, PT1H30M"

DAY_MINUTES = 24 * 60
MAX_DAYS = 366
"""Longest duration in days (working days for lead times)."""
MAX_SECONDS = 366 * 24 * 3600
"""Longest duration below the day part: a year of clock time."""


def shown(value: object, limit: int = 60) -> str:
    """A user's value quoted for a message, shortened so a huge value cannot flood the screen."""
    text = value if isinstance(value, str) else _short_repr(value, limit)
    text = text if len(text) <= limit else text[: limit - 3] + "..."
    text = "".join(c if c.isprintable() else repr(c)[1:-1] for c in text)  # one line
    return f"'{text}'" if isinstance(value, str) else text


def _short_repr(value: object, limit: int, depth: int = 0) -> str:
    """``repr`` that stops early on big, deep (or alias-shared) lists and mappings."""
    if isinstance(value, list | tuple | dict) and depth >= 2:
        return "[...]" if isinstance(value, list | tuple) else "{...}"
    if isinstance(value, list | tuple):
        inner = ", ".join(_short_repr(v, limit, depth + 1) for v in value[:4])
        return f"[{inner}{', ...' if len(value) > 4 else ''}]"
    if isinstance(value, dict):
        pairs = [
            f"{_short_repr(k, limit, depth + 1)}: {_short_repr(v, limit, depth + 1)}"
            for k, v in itertools.islice(value.items(), 4)
        ]
        return f"{{{', '.join(pairs)}{', ...' if len(value) > 4 else ''}}}"
    if isinstance(value, str):
        return repr(value if len(value) <= limit else value[:limit] + "...")
    if value is None or isinstance(value, bool):  # as a YAML file spells them
        return {None: "nothing", True: "true", False: "false"}[value]
    if isinstance(value, int) and not isinstance(value, bool) and abs(value) > 10**limit:
        return "a very long number"
    return repr(value)


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


def parse_duration(text: object) -> Duration:
    """Parse a duration; raise ``ValueError`` with a readable message if it is not one.

    A bare number is read as minutes. Negative, endless and over-long durations are errors.
    """
    if isinstance(text, bool) or not isinstance(text, str | int | float):
        raise ValueError(f"{shown(text)} is not a duration ({_EXAMPLES})")
    if isinstance(text, int | float):
        return _bounded(_minutes_number(text), text)
    value = text.strip().replace(" ", "")
    if value.startswith("-"):
        raise ValueError(f"duration {shown(text)} is negative")
    match = _SHORT.match(value.lower())
    if match and value:
        days, hours, minutes, seconds = (int(g) if g else 0 for g in match.groups())
        return _bounded(Duration(days, hours * 3600 + minutes * 60 + seconds), text)
    if value.upper().startswith("P"):
        return _bounded(_parse_iso(value, text), text)
    raise ValueError(f"{shown(text)} is not a duration ({_EXAMPLES})")


def _minutes_number(number: int | float) -> Duration:
    if isinstance(number, float) and not math.isfinite(number):
        raise ValueError(f"{number} is not a duration ({_EXAMPLES})")
    if number < 0:
        raise ValueError(f"duration {shown(number)} is negative")
    if number > MAX_SECONDS / 60:
        raise ValueError(f"duration {shown(number)} minutes is longer than a year")
    return Duration(0, round(number * 60))


def _bounded(duration: Duration, original: object) -> Duration:
    if duration.days > MAX_DAYS or duration.seconds > MAX_SECONDS:
        raise ValueError(f"duration {shown(original)} is longer than a year")
    return duration


def _parse_iso(value: str, original: str | int | float) -> Duration:
    day_part, _, time_part = value.upper().partition("T")
    try:
        delta = _ISO.validate_python(value)
    except ValidationError:
        raise ValueError(f"{shown(original)} is not a duration ({_EXAMPLES})") from None
    if delta < timedelta(0):
        raise ValueError(f"duration {shown(original)} is negative")
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
        raise ValueError(f"{shown(text)} is not a time of day (use HH:MM, e.g. 08:00)")
    hours, minutes = int(match[1]), int(match[2])
    if minutes > 59 or hours > 24 or (hours == 24 and minutes):
        raise ValueError(f"{shown(text)} is not a time of day (hours 00-24, minutes 00-59)")
    return hours * 60 + minutes


def parse_span(text: object, *, may_cross_midnight: bool) -> TimeSpan:
    """``"08:00-16:30"`` -> ``TimeSpan(480, 990)``; ``"22:00-02:00"`` crosses midnight."""
    if not isinstance(text, str) or text.count("-") != 1:
        raise ValueError(f"{shown(text)} is not a time span (use HH:MM-HH:MM, e.g. 08:00-16:30)")
    start_text, end_text = text.split("-")
    try:
        start, end = parse_clock(start_text), parse_clock(end_text)
    except ValueError as error:
        raise ValueError(f"{shown(text)} is not a time span: {error}") from None
    if start == DAY_MINUTES:
        raise ValueError(f"{shown(text)}: a span cannot start at 24:00")
    if end > start:
        return TimeSpan(start, end)
    if not may_cross_midnight:
        raise ValueError(
            f"{shown(text)}: end is not after start (working hours cannot cross midnight: "
            "end the day at 24:00 and start the next day at 00:00)"
        )
    return TimeSpan(start, end + DAY_MINUTES)


_SUB_DAILY = ("HOURLY", "MINUTELY", "SECONDLY")


def rrule_problem(text: str) -> str | None:
    """What is wrong with a one-line RRULE whose occurrences are whole days, or None.

    The start comes from the horizon and the clock time from the block's ``time``, so a
    rule repeats at most daily and names no DTSTART, BYHOUR, BYMINUTE or BYSECOND.
    """
    example = "e.g. FREQ=WEEKLY;BYDAY=TU"
    if not text or any(sign in text for sign in "\n\r:"):
        return f"give one rule only, {example} (the start comes from the horizon)"
    pairs = [part.partition("=") for part in text.upper().replace(" ", "").split(";")]
    if any(not name or not sign or not value for name, sign, value in pairs):
        return f"a rule is NAME=VALUE parts separated by ';', {example}"
    parts = {name: value for name, _, value in pairs}
    if "FREQ" not in parts:
        return f"FREQ is missing, {example}"
    if parts.get("FREQ") in _SUB_DAILY:
        return (
            f"FREQ={parts['FREQ']} repeats within a day; use DAILY, WEEKLY, MONTHLY or YEARLY "
            "(the clock time comes from `time`)"
        )
    clock = [name for name in ("BYHOUR", "BYMINUTE", "BYSECOND") if name in parts]
    if clock:
        return f"remove {', '.join(clock)}: the clock time comes from `time`"
    if _number(parts.get("INTERVAL", "1"), 1) < 1:
        return "INTERVAL must be at least 1"
    if parts.get("UNTIL", "").endswith("Z"):
        return "UNTIL is local time: drop the Z (e.g. UNTIL=20260331)"
    problem = _impossible_days(parts)
    if problem:
        return problem
    try:
        rule = rrulestr(text, dtstart=datetime(2000, 1, 3))
        list(itertools.islice(rule, 3))  # some rules fail only when expanded
    except Exception as error:  # dateutil raises many kinds on bad rules; all mean "invalid"
        return str(error) or type(error).__name__
    return None


def _number(text: str, default: int) -> int:
    try:
        return int(text)
    except ValueError:
        return default  # not a number: dateutil names the problem


_MONTH_DAYS = (31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)
_RANGES = {"BYMONTH": (1, 12), "BYMONTHDAY": (-31, 31), "BYYEARDAY": (-366, 366),
           "BYWEEKNO": (-53, 53)}


def _impossible_days(parts: dict[str, str]) -> str | None:
    """Rules that match no day, which dateutil would search for up to the year 9999."""
    try:
        numbers = {n: [int(v) for v in parts[n].split(",")] for n in _RANGES if n in parts}
    except ValueError:
        return None  # not numbers: dateutil names the problem next
    for name, values in numbers.items():
        low, high = _RANGES[name]
        if any(v == 0 or not low <= v <= high for v in values):
            return f"{name} values must lie between {max(low, 1)} and {high}" + (
                f" (or {low} and -1 counting from the end)" if low < 0 else ""
            )
    limit = 53 if parts["FREQ"] == "YEARLY" and "BYMONTH" not in parts else 5
    for day in parts.get("BYDAY", "").split(",") if parts["FREQ"] in ("MONTHLY", "YEARLY") else []:
        if abs(_number(day[:-2] or "1", 1)) > limit:
            period = "year" if limit == 53 else "month"
            return f"BYDAY {day}: a {period} has at most {limit} of each weekday"
    if parts.get("FREQ") == "DAILY" and "BYSETPOS" in parts:
        return "BYSETPOS needs a period of several days (WEEKLY, MONTHLY or YEARLY)"
    months, days = numbers.get("BYMONTH", range(1, 13)), numbers.get("BYMONTHDAY", [1])
    if not any(abs(d) <= _MONTH_DAYS[m - 1] for m in months for d in days):
        return "the rule matches no day at all (BYMONTHDAY does not exist in BYMONTH)"
    return None

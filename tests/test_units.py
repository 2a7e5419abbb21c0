"""Durations, clock times and time spans: the small value languages of the scenario file."""

from __future__ import annotations

import pytest

from models.units import (
    Duration,
    TimeSpan,
    parse_clock,
    parse_duration,
    parse_span,
    rrule_problem,
    shown,
)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("20s", Duration(0, 20)),
        ("45m", Duration(0, 45 * 60)),
        ("6h", Duration(0, 6 * 3600)),
        ("1h30m", Duration(0, 5400)),
        ("2d", Duration(2, 0)),
        ("1d4h", Duration(1, 4 * 3600)),
        (" 1h 30m ", Duration(0, 5400)),
        ("1H30M", Duration(0, 5400)),
        ("PT1H30M", Duration(0, 5400)),
        ("P2D", Duration(2, 0)),
        ("PT20S", Duration(0, 20)),
        (90, Duration(0, 5400)),
        (1.5, Duration(0, 90)),
        (0, Duration(0, 0)),
    ],
)
def test_duration_parses(text: object, expected: Duration) -> None:
    assert parse_duration(text) == expected


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("-2h", "negative"),
        (-5, "negative"),
        ("-PT1H", "negative"),
        ("2 hours", "not a duration"),
        ("", "not a duration"),
        ("h", "not a duration"),
        ("1.5h", "not a duration"),
        ("PXYZ", "not a duration"),
        ("P", "not a duration"),
        (True, "not a duration"),
        (None, "not a duration"),
        ([1], "not a duration"),
        ({"h": 1}, "not a duration"),
        (float("nan"), "not a duration"),
        (float("inf"), "not a duration"),
        (1e308, "longer than a year"),
        ("99999999d", "longer than a year"),
        ("999999h", "longer than a year"),
        ("P999999999D", "longer than a year"),
        ("\u0661h", "not a duration"),  # an Arabic-Indic digit is not a digit of the format
    ],
)
def test_duration_rejects(text: object, fragment: str) -> None:
    with pytest.raises(ValueError, match=fragment):
        parse_duration(text)


@pytest.mark.parametrize("text", ["2d", "6h", "1h30m", "45m", "20s", "1d2h3m4s"])
def test_duration_text_round_trips(text: str) -> None:
    assert str(parse_duration(text)) == text


def test_duration_minutes_leave_out_days() -> None:
    assert parse_duration("1d1h30m").minutes == 90


@pytest.mark.parametrize(
    ("text", "minutes"), [("00:00", 0), ("08:30", 510), ("8:05", 485), ("24:00", 1440)]
)
def test_clock_parses(text: str, minutes: int) -> None:
    assert parse_clock(text) == minutes


@pytest.mark.parametrize("text", ["25:00", "08:60", "24:01", "8", "08:0", "ab:cd", "", "08:00:00"])
def test_clock_rejects(text: str) -> None:
    with pytest.raises(ValueError, match="not a time of day"):
        parse_clock(text)


@pytest.mark.parametrize(
    ("text", "cross", "expected"),
    [
        ("08:00-16:30", False, TimeSpan(480, 990)),
        ("00:00-24:00", False, TimeSpan(0, 1440)),
        ("22:00-02:00", True, TimeSpan(1320, 1560)),
        ("18:00-24:00", True, TimeSpan(1080, 1440)),
        ("08:00-08:00", True, TimeSpan(480, 1920)),
    ],
)
def test_span_parses(text: str, cross: bool, expected: TimeSpan) -> None:
    assert parse_span(text, may_cross_midnight=cross) == expected


@pytest.mark.parametrize(
    ("text", "cross", "fragment"),
    [
        ("25:00-26:00", False, "'25:00' is not a time of day"),
        ("08:00-25:00", True, "'25:00' is not a time of day"),
        ("16:00-08:00", False, "cannot cross midnight"),
        ("08:00-08:00", False, "end is not after start"),
        ("24:00-02:00", True, "cannot start at 24:00"),
        ("08:00", False, "not a time span"),
        ("08:00-12:00-13:00", False, "not a time span"),
        ("08:00 to 12:00", False, "not a time span"),
        (800, False, "not a time span"),
        (None, True, "not a time span"),
        (["08:00-12:00"], False, "not a time span"),
    ],
)
def test_span_rejects(text: object, cross: bool, fragment: str) -> None:
    with pytest.raises(ValueError, match=fragment):
        parse_span(text, may_cross_midnight=cross)


@pytest.mark.parametrize(
    ("span", "text"),
    [(TimeSpan(480, 990), "08:00-16:30"), (TimeSpan(1320, 1560), "22:00-02:00"),
     (TimeSpan(0, 1440), "00:00-24:00")],
)
def test_span_text(span: TimeSpan, text: str) -> None:
    assert str(span) == text


def test_shown_quotes_and_shortens() -> None:
    assert shown("fw") == "'fw'"
    assert shown(3) == "3"
    assert len(shown("x" * 10_000)) <= 62
    assert "\n" not in shown("a\nb")


def test_shown_stays_small_for_huge_shared_structures() -> None:
    """A YAML alias bomb shares lists; showing one must not expand it."""
    layer: list[object] = ["lol"] * 10
    for _ in range(8):
        layer = [layer] * 10
    assert len(shown(layer)) <= 60
    assert shown(10**5000) == "a very long number"


@pytest.mark.parametrize(
    "rule",
    ["FREQ=WEEKLY;BYDAY=TU", "freq=weekly;byday=tu", "FREQ=MONTHLY;BYDAY=-1FR",
     "FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=29", "FREQ=DAILY;COUNT=3", "FREQ=WEEKLY;UNTIL=20260331",
     "FREQ=MONTHLY;BYMONTH=4,5;BYMONTHDAY=31", "FREQ=WEEKLY;INTERVAL=2;BYDAY=MO,TH"],
)
def test_rrule_accepts(rule: str) -> None:
    assert rrule_problem(rule) is None


@pytest.mark.parametrize(
    ("rule", "fragment"),
    [
        ("", "give one rule only"),
        ("FREQ=WEEKLY\nFREQ=DAILY", "give one rule only"),
        ("DTSTART:20260301\nRRULE:FREQ=WEEKLY", "give one rule only"),
        ("tuesdays", "NAME=VALUE"),
        ("BYDAY=TU", "FREQ is missing"),
        ("FREQ=WEEKLI", "invalid 'FREQ'"),
        ("FREQ=MINUTELY", "repeats within a day"),
        ("FREQ=DAILY;BYMINUTE=5", "remove BYMINUTE"),
        ("FREQ=WEEKLY;INTERVAL=0", "INTERVAL must be at least 1"),
        ("FREQ=WEEKLY;INTERVAL=-1", "INTERVAL must be at least 1"),
        ("FREQ=MONTHLY;BYDAY=+9TU", "a month has at most 5 of each weekday"),
        ("FREQ=YEARLY;BYDAY=60MO", "a year has at most 53 of each weekday"),
        ("FREQ=YEARLY;BYMONTH=3;BYDAY=6MO", "a month has at most 5"),
        ("FREQ=MONTHLY;BYDAY=MO;BYSETPOS=400", "bysetpos must be between"),
        ("FREQ=WEEKLY;UNTIL=20260331T000000Z", "UNTIL is local time"),
        ("FREQ=WEEKLY;BYDAY=XX", "invalid 'BYDAY'"),
        ("FREQ=DAILY;BYMONTH=2;BYMONTHDAY=30,31", "matches no day at all"),
        ("FREQ=DAILY;BYMONTH=13", "BYMONTH values must lie between 1 and 12"),
        ("FREQ=DAILY;BYMONTHDAY=0", "BYMONTHDAY values must lie between 1 and 31"),
        ("FREQ=WEEKLY;BYWEEKNO=54", "BYWEEKNO values must lie between 1 and 53"),
        ("FREQ=DAILY;BYSETPOS=2", "BYSETPOS needs a period of several days"),
    ],
)
def test_rrule_rejects(rule: str, fragment: str) -> None:
    problem = rrule_problem(rule)
    assert problem is not None
    assert fragment in problem

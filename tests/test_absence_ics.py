"""Absences from ICS files (``absences_ics``), with fixtures written as Outlook/Exchange export
them: all-day events lose whole days (DTEND exclusive), timed ones their interval in local
time, weekly series every occurrence; free and cancelled events lose nothing; a bad file is
one ``technicians[k].absences_ics`` line and exit 2."""

from __future__ import annotations

import copy
from datetime import date, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import yaml

from models.absence_ics import read_absences
from models.io import load_scenario, scenario_from_data
from models.prepare import prepare
from models.problems import ScenarioError
from models.scenario_calendar import Absence

BERLIN = ZoneInfo("Europe/Berlin")
FIRST, LAST = date(2026, 3, 2), date(2026, 3, 29)  # the design example's horizon

OUTLOOK_ZONE = """BEGIN:VTIMEZONE
TZID:W. Europe Standard Time
BEGIN:STANDARD
DTSTART:16010101T030000
TZOFFSETFROM:+0200
TZOFFSETTO:+0100
RRULE:FREQ=YEARLY;INTERVAL=1;BYDAY=-1SU;BYMONTH=10
END:STANDARD
BEGIN:DAYLIGHT
DTSTART:16010101T020000
TZOFFSETFROM:+0100
TZOFFSETTO:+0200
RRULE:FREQ=YEARLY;INTERVAL=1;BYDAY=-1SU;BYMONTH=3
END:DAYLIGHT
END:VTIMEZONE
"""


def outlook_event(uid: str, summary: str, *lines: str) -> str:
    """A VEVENT the way Outlook writes one (CLASS, PRIORITY, X-MICROSOFT-CDO-* and all)."""
    return "\n".join([
        "BEGIN:VEVENT", "CLASS:PUBLIC", "CREATED:20260210T081500Z", "DTSTAMP:20260210T081500Z",
        *lines, "PRIORITY:5", "SEQUENCE:0", f"SUMMARY;LANGUAGE=de-de:{summary}",
        f"UID:040000008200E00074C5B7101A82E008000000{uid}",
        "X-MICROSOFT-CDO-APPT-SEQUENCE:0", "X-MICROSOFT-CDO-IMPORTANCE:1", "END:VEVENT", "",
    ])


def outlook_calendar(*events: str) -> str:
    head = ("BEGIN:VCALENDAR\nPRODID:-//Microsoft Corporation//Outlook 16.0 MIMEDIR//EN\n"
            "VERSION:2.0\nMETHOD:PUBLISH\nX-CALSTART:20260101T000000Z\n"
            "X-WR-CALNAME:Kalender\n")
    text = head + OUTLOOK_ZONE + "".join(events) + "END:VCALENDAR\n"
    return text.replace("\n", "\r\n")  # Outlook writes CRLF


W = "TZID=W. Europe Standard Time"
VACATION = outlook_event(
    "A1", "Urlaub", "DTSTART;VALUE=DATE:20260323", "DTEND;VALUE=DATE:20260325",
    "TRANSP:OPAQUE", "X-MICROSOFT-CDO-BUSYSTATUS:OOF", "X-MICROSOFT-CDO-ALLDAYEVENT:TRUE",
)
WEEKLY = outlook_event(
    "B2", "Berufsschule", f"DTSTART;{W}:20260303T090000", f"DTEND;{W}:20260303T110000",
    "RRULE:FREQ=WEEKLY;COUNT=10;BYDAY=TU;WKST=MO", f"EXDATE;{W}:20260317T090000",
    "TRANSP:OPAQUE", "X-MICROSOFT-CDO-BUSYSTATUS:OOF",
)
IN_UTC = outlook_event(
    "C3", "Arzt", "DTSTART:20260312T120000Z", "DTEND:20260312T140000Z", "TRANSP:OPAQUE",
    "X-MICROSOFT-CDO-BUSYSTATUS:BUSY",
)
FREE = outlook_event(
    "D4", "Webinar (optional)", f"DTSTART;{W}:20260304T080000", f"DTEND;{W}:20260304T120000",
    "TRANSP:TRANSPARENT", "X-MICROSOFT-CDO-BUSYSTATUS:FREE",
)
CANCELLED = outlook_event(
    "E5", "Abgesagt: Schulung", f"DTSTART;{W}:20260306T080000", f"DTEND;{W}:20260306T100000",
    "STATUS:CANCELLED", "TRANSP:OPAQUE", "X-MICROSOFT-CDO-BUSYSTATUS:BUSY",
)
OUTSIDE = outlook_event(
    "F6", "Urlaub Sommer", "DTSTART;VALUE=DATE:20260803", "DTEND;VALUE=DATE:20260815",
    "TRANSP:OPAQUE",
)
EXPECTED = [
    Absence(start=datetime(2026, 3, 3, 9), end=datetime(2026, 3, 3, 11), reason="Berufsschule"),
    Absence(start=datetime(2026, 3, 10, 9), end=datetime(2026, 3, 10, 11), reason="Berufsschule"),
    Absence(start=datetime(2026, 3, 12, 13), end=datetime(2026, 3, 12, 15), reason="Arzt"),
    Absence(start=date(2026, 3, 23), end=date(2026, 3, 24), reason="Urlaub"),
    Absence(start=datetime(2026, 3, 24, 9), end=datetime(2026, 3, 24, 11), reason="Berufsschule"),
]
"""What the Outlook file means: the 17th is excluded, the free and cancelled events and the
summer vacation (outside the horizon) are not absences; 12:00Z is 13:00 in Berlin."""


@pytest.fixture
def plain(example: dict[str, Any]) -> dict[str, Any]:
    """The design example without its hand-written absences (so only the ICS ones count)."""
    data = copy.deepcopy(example)
    for tech in data["technicians"]:
        tech.pop("absences", None)
    return data


def write(folder: Path, name: str, content: str | bytes) -> Path:
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_bytes(content.encode("utf-8"))
    return path


def scenario_file(folder: Path, data: dict[str, Any], name: str = "scenario.yaml") -> Path:
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return path


# -- reading ---------------------------------------------------------------------------------
def test_an_outlook_export_gives_exactly_the_busy_times(tmp_path):
    calendar = outlook_calendar(VACATION, WEEKLY, IN_UTC, FREE, CANCELLED, OUTSIDE)
    path = write(tmp_path, "vacation.ics", calendar)
    assert read_absences(path, BERLIN, FIRST, LAST) == EXPECTED


def test_all_day_dtend_is_exclusive(tmp_path):
    one_day = outlook_event("G7", "Brückentag", "DTSTART;VALUE=DATE:20260313",
                            "DTEND;VALUE=DATE:20260314")
    path = write(tmp_path, "one.ics", outlook_calendar(one_day))
    assert read_absences(path, BERLIN, FIRST, LAST) == [
        Absence(start=date(2026, 3, 13), end=date(2026, 3, 13), reason="Brückentag")
    ]


def test_iana_zone_and_another_scenario_zone(tmp_path):
    text = ("BEGIN:VCALENDAR\nVERSION:2.0\nPRODID:-//test//EN\nBEGIN:VEVENT\nUID:x@example\n"
            "DTSTAMP:20260101T000000Z\nDTSTART;TZID=Europe/Berlin:20260327T140000\n"
            "DTEND;TZID=Europe/Berlin:20260327T160000\nSUMMARY:Zahnarzt\nEND:VEVENT\n"
            "END:VCALENDAR\n")
    path = write(tmp_path, "dentist.ics", text)
    assert read_absences(path, BERLIN, FIRST, LAST) == [
        Absence(start=datetime(2026, 3, 27, 14), end=datetime(2026, 3, 27, 16), reason="Zahnarzt")
    ]
    london = read_absences(path, ZoneInfo("Europe/London"), FIRST, LAST)
    assert (london[0].start, london[0].end) == (datetime(2026, 3, 27, 13),
                                                datetime(2026, 3, 27, 15))


def test_a_cancelled_occurrence_of_a_series_is_no_absence(tmp_path):
    moved = outlook_event(
        "B2", "Berufsschule", f"RECURRENCE-ID;{W}:20260310T090000", "STATUS:CANCELLED",
        f"DTSTART;{W}:20260310T090000", f"DTEND;{W}:20260310T110000",
    )
    path = write(tmp_path, "series.ics", outlook_calendar(WEEKLY, moved))
    days = [a.start.day for a in read_absences(path, BERLIN, FIRST, LAST)]
    assert days == [3, 24]


# -- in the scenario -------------------------------------------------------------------------
def test_prepared_availability_loses_exactly_those_times(tmp_path, plain):
    write(tmp_path, "calendars/anna.ics",
          outlook_calendar(VACATION, WEEKLY, IN_UTC, FREE, CANCELLED, OUTSIDE))
    with_ics = copy.deepcopy(plain)
    with_ics["technicians"][0]["absences_ics"] = "calendars/anna.ics"
    by_hand = copy.deepcopy(plain)
    by_hand["technicians"][0]["absences"] = [a.model_dump(mode="json") for a in EXPECTED]

    scenario = load_scenario(scenario_file(tmp_path, with_ics))
    assert scenario.technicians[0].absences == EXPECTED
    got = prepare(scenario).technicians[0].available
    base = prepare(load_scenario(scenario_file(tmp_path, plain, "plain.yaml")))
    assert got == prepare(load_scenario(scenario_file(tmp_path, by_hand, "hand.yaml"))) \
        .technicians[0].available
    lost = sum(e - s for s, e in base.technicians[0].available) - sum(e - s for s, e in got)
    # Anna: Tue 3rd, 10th 2 h each; Thu 12th 13:00-15:00; Mon 23rd and Tue 24th 8.5 h each
    # (the 24th's class lies inside the vacation).
    assert lost == 60 * (2 + 2 + 2 + 8.5 + 8.5)
    assert prepare(scenario).technicians[1].available == base.technicians[1].available


def test_a_relative_path_is_read_from_the_scenario_folder(tmp_path, plain, monkeypatch):
    write(tmp_path, "team/ical/ben.ics", outlook_calendar(VACATION))
    plain["technicians"][1]["absences_ics"] = "ical/ben.ics"
    path = scenario_file(tmp_path / "team", plain)
    monkeypatch.chdir(tmp_path)  # not the scenario's folder
    assert load_scenario(path).technicians[1].absences[-1].reason == "Urlaub"


def test_hand_written_absences_are_kept(tmp_path, example):
    write(tmp_path, "anna.ics", outlook_calendar(IN_UTC))
    example["technicians"][0]["absences_ics"] = "anna.ics"
    absences = load_scenario(scenario_file(tmp_path, example)).technicians[0].absences
    assert [a.reason for a in absences] == ["vacation", "doctor", "Arzt"]


def test_data_without_a_file_may_not_name_a_calendar(plain):
    plain["technicians"][1]["absences_ics"] = "ben.ics"
    with pytest.raises(ScenarioError) as caught:
        scenario_from_data(plain, "upload")
    assert caught.value.problems == [
        "technicians[1].absences_ics: absences_ics needs a scenario file "
        "(relative paths are read from its folder)"
    ]


def test_without_calendars_nothing_changes(plain):
    assert scenario_from_data(plain, "upload") == scenario_from_data(copy.deepcopy(plain), "x")


# -- bad files -------------------------------------------------------------------------------
BROKEN_DATE = outlook_event("H8", "Kaputt", f"DTSTART;{W}:2026-03-10 09:00",
                            f"DTEND;{W}:20260310T110000")
BAD_FILES = {
    "missing": (None, "cannot read 'ben.ics': file not found"),
    "not ics": ("Subject: Urlaub\nvom 23. bis 24. März\n", "is not an ICS calendar"),
    "binary": (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "is a binary file"),
    "utf-16": ("BEGIN:VCALENDAR\n".encode("utf-16"), "is UTF-16"),
    "unfinished": ("BEGIN:VCALENDAR\nVERSION:2.0\nBEGIN:VEVENT\nUID:x\n",
                   "is not valid iCalendar"),
    "broken date": (outlook_calendar(BROKEN_DATE), "event 'Kaputt'"),
    "no start": (outlook_calendar(outlook_event("I9", "Ohne Beginn", "DTEND:20260310T110000Z")),
                 "has no DTSTART"),
    "backwards": (outlook_calendar(outlook_event(
        "J1", "Rückwärts", f"DTSTART;{W}:20260310T110000", f"DTEND;{W}:20260310T090000")),
        "ends before it starts"),
    "unknown zone": (outlook_calendar(outlook_event(
        "K2", "Mars", "DTSTART;TZID=Mars/Olympus:20260310T090000",
        "DTEND;TZID=Mars/Olympus:20260310T110000")), "unknown time zone 'Mars/Olympus'"),
    "bad rule": (outlook_calendar(outlook_event(
        "L3", "Immer", f"DTSTART;{W}:20260310T090000", f"DTEND;{W}:20260310T110000",
        "RRULE:FREQ=SOMETIMES")), "RRULE"),
}


@pytest.mark.parametrize("case", sorted(BAD_FILES))
def test_a_bad_calendar_is_one_line_naming_the_technician(case, tmp_path, plain, validate):
    content, fragment = BAD_FILES[case]
    if content is not None:
        write(tmp_path, "ben.ics", content)
    plain["technicians"][1]["absences_ics"] = "ben.ics"
    path = scenario_file(tmp_path, plain)
    run = validate(path)
    assert run.code == 2, run
    assert "Traceback" not in run.err
    [line] = run.err.splitlines()
    assert line.startswith(f"{path}: technicians[1].absences_ics: cannot read 'ben.ics': ")
    assert fragment in line


def test_every_bad_calendar_is_reported(tmp_path, plain, validate):
    write(tmp_path, "anna.ics", "not a calendar")
    for tech in plain["technicians"]:
        tech["absences_ics"] = f"{tech['id']}.ics"
    run = validate(scenario_file(tmp_path, plain))
    assert run.code == 2
    assert [line.split(": ")[1] for line in run.err.splitlines()] == [
        "technicians[0].absences_ics", "technicians[1].absences_ics"]


def test_an_empty_path_is_a_field_error(tmp_path, plain, validate):
    plain["technicians"][0]["absences_ics"] = ""
    run = validate(scenario_file(tmp_path, plain))
    assert run.code == 2
    assert "technicians[0].absences_ics" in run.err


def test_a_good_calendar_validates(tmp_path, plain, validate):
    write(tmp_path, "anna.ics", outlook_calendar(VACATION, WEEKLY))
    plain["technicians"][0]["absences_ics"] = "anna.ics"
    run = validate(scenario_file(tmp_path, plain))
    assert run.code == 0, run.err

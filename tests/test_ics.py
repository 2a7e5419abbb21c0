"""ICS export: every file parses in real clients' parsers, times stay local across DST,
UIDs are stable, a previous plan gives sequences and cancellations, and the CLI command."""

from __future__ import annotations

import json
import re
import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import NamedTuple

import vobject
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from ical.calendar_stream import IcsCalendarStream
from icalendar import Calendar

from models.ics import clean_text, export_calendars, make_uid, plan_problems
from models.io import load_scenario
from models.plan import Assignment, Plan, ReservePeriod
from models.prepare import Prepared, prepare
from solver.solve import SolveParams, solve

TINY = Path(__file__).resolve().parent.parent / "scenarios" / "tiny"
NOW = datetime(2026, 2, 1, 12, 0, tzinfo=UTC)


def load_scenario_data(data: dict):
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "scenario.json"
        path.write_text(json.dumps(data), encoding="utf-8")  # \u escapes: any character
        return load_scenario(path)


def files_of(prepared: Prepared, plan: Plan, **kwargs) -> dict[str, str]:
    kwargs.setdefault("now", NOW)
    return {f.name: f.data.decode("utf-8") for f in export_calendars(prepared, plan, **kwargs)}


def events(text: str) -> list:
    return list(Calendar.from_ical(text).events)


def by_uid(text: str) -> dict[str, object]:
    return {str(e["UID"]): e for e in events(text)}


def assert_parses_everywhere(text: str) -> None:
    """vobject (validating), the strict ``ical`` parser and an icalendar round trip agree."""
    count = text.count("BEGIN:VEVENT")
    card = vobject.readOne(text, validate=True)
    assert len(getattr(card, "vevent_list", [])) == count
    strict = IcsCalendarStream.calendar_from_ics(text)
    assert len(strict.events) == count
    first = Calendar.from_ical(text)
    again = Calendar.from_ical(first.to_ical())
    summary = [(str(e["UID"]), e.start, e.end, str(e["SUMMARY"])) for e in first.events]
    assert [(str(e["UID"]), e.start, e.end, str(e["SUMMARY"])) for e in again.events] == summary
    assert len(summary) == count
    assert_wire_format(text)


def assert_wire_format(text: str) -> None:
    """CRLF line ends and lines of at most 75 octets (RFC 5545 3.1)."""
    raw = text.encode("utf-8")
    assert raw.endswith(b"\r\n")
    assert b"\n" not in raw.replace(b"\r\n", b"")
    assert max(len(line) for line in raw.split(b"\r\n")) <= 75


# -- content -----------------------------------------------------------------------------------
def test_one_calendar_per_technician_and_a_team_calendar(solved_example):
    prepared, plan = solved_example
    files = files_of(prepared, plan)
    assert sorted(files) == ["anna.ics", "ben.ics", "team.ics"]
    for text in files.values():
        assert_parses_everywhere(text)
    team = Calendar.from_ical(files["team.ics"])
    assert len(team.events) == len(plan.assignments) + len(plan.reserve)
    for tech in ("anna", "ben"):
        mine = [a for a in plan.assignments if a.technician == tech]
        reserve = [r for r in plan.reserve if r.technician == tech]
        assert len(events(files[f"{tech}.ics"])) == len(mine) + len(reserve)


def test_calendar_properties(solved_example):
    prepared, plan = solved_example
    files = files_of(prepared, plan)
    anna = Calendar.from_ical(files["anna.ics"])
    assert str(anna["VERSION"]) == "2.0"
    assert "mspplan" in str(anna["PRODID"])
    assert str(anna["METHOD"]) == "PUBLISH"
    assert str(anna["X-WR-CALNAME"]) == "mspplan: Anna Berg"
    assert str(anna["X-WR-TIMEZONE"]) == "Europe/Berlin"
    assert str(Calendar.from_ical(files["team.ics"])["X-WR-CALNAME"]) == "mspplan: team"
    assert [tz.tz_name for tz in anna.timezones] == ["Europe/Berlin"]


def test_summary_description_location_categories(solved_example):
    prepared, plan = solved_example
    anna = by_uid(files_of(prepared, plan)["anna.ics"])
    mailbox = next(a for a in plan.assignments if a.item == "p-m365-2" and a.part == 2)
    count = sum(a.item == "p-m365-2" for a in plan.assignments)
    event = anna[make_uid("Design example", "p-m365-2", 2)]
    assert str(event["SUMMARY"]) == f"[Project] Mailbox migration (2/{count}) - Mueller GmbH"
    assert str(event["LOCATION"]) == "Mueller GmbH"
    assert event.categories == ["Project"]
    description = str(event["DESCRIPTION"])
    for expected in (
        "p-m365-2",
        "Project",
        "M365 migration",
        "Mueller GmbH",
        "m365",
        f"Part: 2 of {count}",
        "Target: 2026-03-27",
        "Priority: 2",
    ):
        assert expected in description
    assert event.start == mailbox.start
    assert event.end == mailbox.end
    assert str(event["TRANSP"]) == "OPAQUE"

    request = anna[make_uid("Design example", "sr-1001", 1)]
    assert str(request["SUMMARY"]) == "[Service request] Onboarding J. Schmidt - Mueller GmbH"
    assert "Due: 2026-03-05 09:12" in str(request["DESCRIPTION"])


def test_recurring_and_maintenance_labels(solved_example):
    prepared, plan = solved_example
    ben = files_of(prepared, plan)["ben.ics"]
    summaries = {str(e["SUMMARY"]) for e in events(ben)}
    assert "[Recurring] Patch management - Mueller GmbH" in summaries
    assert "[Maintenance] Firewall firmware update - Mueller GmbH" in summaries


def test_reserve_events(solved_example):
    prepared, plan = solved_example
    assert plan.reserve, "the design example keeps a percent reserve"
    anna = events(files_of(prepared, plan)["anna.ics"])
    reserve = [e for e in anna if e.categories == ["Incident reserve"]]
    assert len(reserve) == sum(r.technician == "anna" for r in plan.reserve)
    assert {str(e["SUMMARY"]) for e in reserve} == {"Incident reserve"}
    assert {str(e["TRANSP"]) for e in reserve} == {"OPAQUE"}


def test_incident_duty_events():
    prepared = prepare(load_scenario(TINY / "duty.yaml"))
    plan = solve(prepared, SolveParams(time_limit=2, workers=2)).plan
    duty = [r for r in plan.reserve if r.reason == "incident duty"]
    assert duty, "the duty scenario puts technicians on duty"
    team = events(files_of(prepared, plan)["team.ics"])
    found = [e for e in team if str(e["SUMMARY"]).endswith("Incident duty")]
    assert len(found) == len(duty)
    assert all(e.categories == ["Incident reserve"] for e in found)


def test_forecast_reserve_profile_goes_to_the_team_calendar(solved_example):
    prepared, plan = solved_example
    start = datetime.fromisoformat("2026-03-03T08:00:00+01:00")
    periods = [
        ReservePeriod(
            start=start + timedelta(hours=h), end=start + timedelta(hours=h + 1), technicians=n
        )
        for h, n in ((0, 2), (1, 1))
    ]
    files = files_of(prepared, plan.model_copy(update={"reserve_profile": periods}))
    team = [str(e["SUMMARY"]) for e in events(files["team.ics"])]
    assert "2 technicians: Incident reserve" in team
    assert "1 technician: Incident reserve" in team
    assert len(events(files["anna.ics"])) + len(events(files["ben.ics"])) == len(team) - 2
    assert_parses_everywhere(files["team.ics"])


def test_team_summaries_name_the_technician(solved_example):
    prepared, plan = solved_example
    team = events(files_of(prepared, plan)["team.ics"])
    assert all(str(e["SUMMARY"]).startswith(("Anna Berg: ", "Ben Krause: ")) for e in team)


def test_regression_newline_in_calendar_name_is_escaped(solved_example):
    """icalendar 7.3 writes Calendar.new(name=...) unescaped: a newline broke to_ical()."""
    prepared, plan = solved_example
    data = prepared.scenario.model_dump(mode="json")
    data["technicians"][0]["name"] = "Anna\nBerg; 2nd line, with comma"
    renamed = prepare(load_scenario_data(data))
    text = files_of(renamed, plan)["anna.ics"]
    assert "X-WR-CALNAME:mspplan: Anna\\nBerg\\; 2nd line\\, with comma" in text
    assert vobject.readOne(text).x_wr_calname.value == "mspplan: Anna\nBerg; 2nd line, with comma"
    assert_parses_everywhere(text)


# -- daylight saving ---------------------------------------------------------------------------
def test_local_times_across_the_dst_switch(solved_dst):
    prepared, plan = solved_dst
    files = files_of(prepared, plan)
    text = "".join(files.values())
    assert "DTSTART;TZID=Europe/Berlin:20260327T080000" in text
    assert "DTSTART;TZID=Europe/Berlin:20260330T080000" in text
    assert "TZOFFSETTO:+0200" in text
    team = by_uid(files["team.ics"])
    before = team[make_uid("Tiny DST", "backup-check@2026-03-27", 1)]
    after = team[make_uid("Tiny DST", "backup-check@2026-03-30", 1)]
    assert before.start.astimezone(UTC).hour == 7
    assert after.start.astimezone(UTC).hour == 6
    for text in files.values():
        assert_parses_everywhere(text)
    strict = IcsCalendarStream.calendar_from_ics(files["team.ics"])
    moved = {e.uid: e.dtstart for e in strict.events}
    assert moved[make_uid("Tiny DST", "backup-check@2026-03-30", 1)].utcoffset() == timedelta(
        hours=2
    )


def test_the_repeated_hour_when_dst_ends_keeps_its_instants(solved_dst):
    """02:30 happens twice on 2026-10-25; the second pass is written in UTC (RFC 5545 3.3.5)."""
    prepared, plan = solved_dst
    first = datetime.fromisoformat("2026-10-25T02:00:00+02:00")
    second = datetime.fromisoformat("2026-10-25T02:30:00+01:00")  # 90 minutes later
    night = Assignment(
        item="m-night", part=1, kind="maintenance", technician="quinn", start=first, end=second
    )
    text = files_of(prepared, plan.model_copy(update={"assignments": [night]}))["quinn.ics"]
    assert "DTSTART;TZID=Europe/Berlin:20261025T020000" in text
    assert "DTEND:20261025T013000Z" in text
    assert_parses_everywhere(text)
    instants = (first.timestamp(), second.timestamp())  # PEP 495: no == across zones here
    (event,) = events(text)
    assert (event.start.timestamp(), event.end.timestamp()) == instants
    (strict,) = IcsCalendarStream.calendar_from_ics(text).events
    assert (strict.dtstart.timestamp(), strict.dtend.timestamp()) == instants
    card = vobject.readOne(text).vevent
    assert (card.dtstart.value.timestamp(), card.dtend.value.timestamp()) == instants


def test_an_empty_plan_gives_valid_empty_calendars(solved_example):
    prepared, plan = solved_example
    empty = plan.model_copy(update={"status": "infeasible", "assignments": [], "reserve": []})
    files = files_of(prepared, empty)
    assert sorted(files) == ["anna.ics", "ben.ics", "team.ics"]
    for text in files.values():
        assert "BEGIN:VTIMEZONE" in text
        assert_parses_everywhere(text)


def test_duplicate_parts_are_a_problem(solved_example):
    prepared, plan = solved_example
    doubled = plan.model_copy(update={"assignments": [*plan.assignments, plan.assignments[0]]})
    (problem,) = plan_problems(prepared, doubled)
    assert "same part more than once" in problem


# -- stable identity and updates ---------------------------------------------------------------
def test_same_plan_twice_gives_the_same_files_apart_from_dtstamp(solved_example):
    prepared, plan = solved_example
    first = files_of(prepared, plan, now=NOW)
    second = files_of(prepared, plan, now=NOW + timedelta(days=3, seconds=7))
    stamp = re.compile(r"^DTSTAMP:.*$", re.MULTILINE)
    assert first != second
    assert {k: stamp.sub("", v) for k, v in first.items()} == {
        k: stamp.sub("", v) for k, v in second.items()
    }
    assert "DTSTAMP:20260201T120000Z" in first["team.ics"]
    assert files_of(prepared, plan) == files_of(prepared, plan)
    uids = [str(e["UID"]) for e in events(first["team.ics"])]
    assert len(uids) == len(set(uids))
    assert all(uid.endswith("@mspplan") for uid in uids)


def test_uids_follow_scenario_item_and_part():
    assert make_uid("A", "x", 1) == make_uid("A", "x", 1)
    assert len({make_uid("A", "x", 1), make_uid("A", "x", 2), make_uid("B", "x", 1)}) == 3


class Changes(NamedTuple):
    plan: Plan
    moved: Assignment
    dropped: Assignment
    handed: Assignment
    """Now done by the other technician."""


def changed(plan: Plan) -> Changes:
    """The plan with one assignment moved a day later, one dropped, one to another technician."""
    items = list(plan.assignments)
    moved, dropped = items[0], items[-1]
    other = next(a for a in items[1:-1] if a.technician != moved.technician)
    target = next(t for t in ("anna", "ben") if t != other.technician)
    later = moved.model_copy(
        update={"start": moved.start + timedelta(days=1), "end": moved.end + timedelta(days=1)}
    )
    handed = other.model_copy(update={"technician": target})
    new = [later if a is moved else handed if a is other else a for a in items[:-1]]
    return Changes(plan.model_copy(update={"assignments": new}), moved, dropped, other)


def test_previous_plan_gives_sequence_and_cancellations(solved_example):
    prepared, plan = solved_example
    new, moved, dropped, handed = changed(plan)
    files = files_of(prepared, new, previous=plan)
    team = by_uid(files["team.ics"])
    moved_uid = make_uid("Design example", moved.item, moved.part)
    dropped_uid = make_uid("Design example", dropped.item, dropped.part)
    handed_uid = make_uid("Design example", handed.item, handed.part)
    assert team[moved_uid]["SEQUENCE"] == 1
    assert team[handed_uid]["SEQUENCE"] == 1
    assert str(team[dropped_uid]["STATUS"]) == "CANCELLED"
    assert team[dropped_uid]["SEQUENCE"] == 1
    unchanged = [e for uid, e in team.items() if uid not in (moved_uid, dropped_uid, handed_uid)]
    assert {e["SEQUENCE"] for e in unchanged} == {0}
    assert {str(e["STATUS"]) for e in unchanged} == {"CONFIRMED"}

    old_owner = by_uid(files[f"{handed.technician}.ics"])
    new_owner = by_uid(files["ben.ics" if handed.technician == "anna" else "anna.ics"])
    assert str(old_owner[handed_uid]["STATUS"]) == "CANCELLED"
    assert str(new_owner[handed_uid]["STATUS"]) == "CONFIRMED"
    assert new_owner[handed_uid]["SEQUENCE"] == 1
    assert str(by_uid(files[f"{dropped.technician}.ics"])[dropped_uid]["STATUS"]) == "CANCELLED"
    for text in files.values():
        assert_parses_everywhere(text)


def test_previous_plan_equal_to_plan_changes_nothing(solved_example):
    prepared, plan = solved_example
    assert files_of(prepared, plan, previous=plan) == files_of(prepared, plan)


def test_problems_of_a_plan_of_another_scenario(solved_example, solved_dst):
    prepared, _ = solved_example
    _, other = solved_dst
    problems = plan_problems(prepared, other)
    assert any("Tiny DST" in p for p in problems)
    assert any("technicians that are not in the scenario" in p for p in problems)
    assert plan_problems(prepared, solved_example[1]) == []


# -- any names, any subset -----------------------------------------------------------------------
_SPECIAL = st.sampled_from(
    [
        ",",
        ";",
        ":",
        "\\",
        '"',
        "\n",
        "\r\n",
        "\r",
        "\t",
        "\x07",
        "\x00",
        "\x7f",
        "\x85",
        "\u2028",
        "é",
        "ß",
        "€",
        "日本",
        "🙂",
        " ",
    ]
)
_TEXT = (
    st.lists(
        st.one_of(_SPECIAL, st.characters(blacklist_categories=("Cs",))),
        min_size=1,
        max_size=120,
    )
    .map("".join)
    .filter(lambda s: s.strip() != "")
)
_EXAMPLE_DATA = None


def _example_data() -> dict:
    import yaml

    global _EXAMPLE_DATA
    if _EXAMPLE_DATA is None:
        _EXAMPLE_DATA = yaml.safe_load((TINY / "design_example.yaml").read_text("utf-8"))
    return json.loads(json.dumps(_EXAMPLE_DATA, default=str))


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    names=st.tuples(_TEXT, _TEXT, _TEXT, _TEXT, _TEXT),
    keep=st.lists(st.booleans(), min_size=60, max_size=60),
    shifts=st.lists(st.integers(-96, 96), min_size=60, max_size=60),
    with_previous=st.booleans(),
)
def test_any_names_and_subsets_give_valid_calendars(
    solved_example, names, keep, shifts, with_previous
):
    _, base = solved_example
    scenario_name, task, customer, tech, request = names
    data = _example_data()
    data["name"] = scenario_name
    data["projects"][0]["tasks"][1]["name"] = task
    data["customers"][0]["name"] = customer
    data["technicians"][0]["name"] = tech
    data["service_requests"][0]["name"] = request
    prepared = prepare(load_scenario_data(data))
    chosen = [
        a.model_copy(
            update={
                "start": a.start + timedelta(minutes=15 * shift),
                "end": a.end + timedelta(minutes=15 * shift),
            }
        )
        for a, kept, shift in zip(base.assignments, keep, shifts, strict=False)
        if kept
    ]
    plan = base.model_copy(update={"scenario": scenario_name, "assignments": chosen})
    previous = base.model_copy(update={"scenario": scenario_name}) if with_previous else None
    assert plan_problems(prepared, plan) == []
    files = files_of(prepared, plan, previous=previous)
    for text in files.values():
        assert_parses_everywhere(text)
    team = Calendar.from_ical(files["team.ics"])
    live = [e for e in team.events if str(e["STATUS"]) != "CANCELLED"]
    assert len(live) == len(chosen) + len(base.reserve)
    assert str(team["X-WR-CALNAME"]) == "mspplan: team"
    title = vobject.readOne(files["anna.ics"]).x_wr_calname.value
    assert title == clean_text(f"mspplan: {tech}")


# -- command line ------------------------------------------------------------------------------
def write_plan(path: Path, plan: Plan) -> Path:
    path.write_text(json.dumps(plan.model_dump(mode="json")), encoding="utf-8")
    return path


def test_cli_writes_the_calendars(solved_example, tmp_path, cli):
    _, plan = solved_example
    plan_file = write_plan(tmp_path / "plan.json", plan)
    out = tmp_path / "ics"
    run = cli("export-ics", str(TINY / "design_example.yaml"), str(plan_file), "--out", str(out))
    assert run.code == 0, run.err
    assert sorted(p.name for p in out.iterdir()) == ["anna.ics", "ben.ics", "team.ics"]
    for name in ("anna.ics", "ben.ics", "team.ics"):
        assert str(out / name) in run.out
        assert_parses_everywhere((out / name).read_bytes().decode("utf-8"))


def test_cli_with_previous(solved_example, tmp_path, cli):
    _, plan = solved_example
    new, _, dropped, _ = changed(plan)
    old_file = write_plan(tmp_path / "old.json", plan)
    new_file = write_plan(tmp_path / "new.json", new)
    out = tmp_path / "ics"
    run = cli(
        "export-ics",
        str(TINY / "design_example.yaml"),
        str(new_file),
        "--out",
        str(out),
        "--previous",
        str(old_file),
    )
    assert run.code == 0, run.err
    assert "cancelled" in run.out
    team = by_uid((out / "team.ics").read_text(encoding="utf-8"))
    assert str(team[make_uid("Design example", dropped.item, dropped.part)]["STATUS"]) == (
        "CANCELLED"
    )


def test_cli_missing_plan(tmp_path, cli):
    run = cli(
        "export-ics",
        str(TINY / "design_example.yaml"),
        str(tmp_path / "nope.json"),
        "--out",
        str(tmp_path / "ics"),
    )
    assert run.code == 2
    assert "nope.json: file not found" in run.err
    assert "Traceback" not in run.err
    assert not (tmp_path / "ics").exists()


def test_cli_plan_of_another_scenario(solved_dst, tmp_path, cli):
    _, plan = solved_dst
    plan_file = write_plan(tmp_path / "plan.json", plan)
    run = cli(
        "export-ics",
        str(TINY / "design_example.yaml"),
        str(plan_file),
        "--out",
        str(tmp_path / "ics"),
    )
    assert run.code == 2
    assert "Tiny DST" in run.err
    assert "quinn" in run.err
    assert not (tmp_path / "ics").exists()


def test_cli_bad_previous_and_bad_out(solved_example, tmp_path, cli):
    _, plan = solved_example
    plan_file = write_plan(tmp_path / "plan.json", plan)
    scenario = str(TINY / "design_example.yaml")
    bad = tmp_path / "bad.json"
    bad.write_text("{not json", encoding="utf-8")
    run = cli(
        "export-ics",
        scenario,
        str(plan_file),
        "--out",
        str(tmp_path / "ics"),
        "--previous",
        str(bad),
    )
    assert run.code == 2
    assert "JSON syntax error" in run.err
    blocker = tmp_path / "file"
    blocker.write_text("x", encoding="utf-8")
    run = cli("export-ics", scenario, str(plan_file), "--out", str(blocker))
    assert run.code == 2
    assert "not a directory" in run.err


def test_the_demo_plan_exports_and_parses_everywhere() -> None:
    """Done-when of the calendar issue: the demo plan exports to files every parser takes."""
    prepared = prepare(load_scenario(TINY.parent / "demo.yaml"))
    plan = solve(prepared, SolveParams(method="greedy")).plan
    files = files_of(prepared, plan)
    assert len(files) == len(prepared.technicians) + 1
    for text in files.values():
        assert_parses_everywhere(text)
    assert sum(len(events(text)) for name, text in files.items() if name != "team.ics") == len(
        plan.assignments
    ) + len(plan.reserve)

"""Scenario validation: every rule of the format gets a message naming the place and the rule."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import date, datetime
from pathlib import Path
from typing import Any

import pytest

from models import crosscheck
from models.io import MAX_PROBLEMS, load_scenario, scenario_from_data
from models.problems import ScenarioError
from models.scenario import Scenario

Data = dict[str, Any]
ROOT = Path(__file__).resolve().parent.parent


def problems_of(data: Data) -> list[str]:
    """The problems a scenario's data is rejected with (it must be rejected)."""
    with pytest.raises(ScenarioError) as caught:
        scenario_from_data(data, "f.yaml")
    assert str(caught.value).startswith("f.yaml: ")
    return caught.value.problems


def tech(data: Data, k: int = 0) -> Data:
    return data["technicians"][k]


def task(data: Data, k: int = 0) -> Data:
    return data["projects"][0]["tasks"][k]


def setter(*path: Any, value: Any) -> Callable[[Data], None]:
    """A mutation that sets the value at ``path`` (keys and list indices)."""

    def mutate(data: Data) -> None:
        target = data
        for step in path[:-1]:
            target = target[step]
        target[path[-1]] = value

    return mutate


def dropper(*path: Any) -> Callable[[Data], None]:
    """A mutation that deletes the entry at ``path``."""

    def mutate(data: Data) -> None:
        target = data
        for step in path[:-1]:
            target = target[step]
        del target[path[-1]]

    return mutate


CASES: list[tuple[str, Callable[[Data], None], str, str]] = [
    # (id, mutation, path of the problem, fragment of its message)
    ("unknown skill", lambda d: tech(d)["skills"].append("fw"),
     "technicians[0].skills[2]", "unknown skill 'fw' (known: datev, firewall, m365, network,"),
    ("unknown skill hint", lambda d: task(d)["skills"].append("firewal"),
     "projects[0].tasks[0].skills[1]", "unknown skill 'firewal' (did you mean 'firewall'?)"),
    ("unknown skill recurring", setter("recurring", 0, "skills", value=["servers"]),
     "recurring[0].skills[0]", "did you mean 'server'?"),
    ("empty catalogue", setter("skills", value=[]),
     "technicians[0].skills[0]", "the skills catalogue is empty"),
    ("unknown customer project", setter("projects", 0, "customer", value="muller"),
     "projects[0].customer", "unknown customer 'muller' (did you mean 'mueller'?)"),
    ("unknown customer request", setter("service_requests", 0, "customer", value="zz"),
     "service_requests[0].customer", "unknown customer 'zz' (known: mueller)"),
    ("unknown technician", setter("recurring", 0, "technician", value="benn"),
     "recurring[0].technician", "unknown technician 'benn' (did you mean 'ben'?)"),
    ("unknown predecessor", lambda d: task(d, 1).update(after=["p-m365-9"]),
     "projects[0].tasks[1].after[0]", "unknown predecessor task 'p-m365-9'"),
    ("duplicate item id", setter("maintenance", 0, "id", value="p-m365-1"),
     "maintenance[0].id", "duplicate id 'p-m365-1' (also at projects[0].tasks[0])"),
    ("duplicate project and task id", setter("projects", 0, "id", value="sr-1001"),
     "service_requests[0].id", "duplicate id 'sr-1001' (also at projects[0])"),
    ("duplicate technician id", setter("technicians", 1, "id", value="anna"),
     "technicians[1].id", "duplicate id 'anna' (also at technicians[0])"),
    ("duplicate customer id", lambda d: d["customers"].append({"id": "mueller"}),
     "customers[1].id", "duplicate id 'mueller'"),
    ("cycle", lambda d: task(d, 0).update(after=["p-m365-2"]),
     "projects[0].tasks[1].after[0]", "cycle in 'after': p-m365-1 -> p-m365-2 -> p-m365-1"),
    ("self cycle", lambda d: task(d, 0).update(after=["p-m365-1"]),
     "projects[0].tasks[0].after[0]", "cycle in 'after': p-m365-1 -> p-m365-1"),
    ("absence end before start", setter("technicians", 0, "absences", 0, "end",
                                        value=date(2026, 3, 1)),
     "technicians[0].absences[0]", "absence ends (2026-03-01) before it starts (2026-03-16)"),
    ("timed absence end before start", setter("technicians", 0, "absences", 1, "end",
                                              value="2026-03-05T12:00"),
     "technicians[0].absences[1]", "before it starts"),
    ("horizon zero days", setter("horizon", "days", value=0),
     "horizon.days", "should be at least 1, got 0"),
    ("horizon too long", setter("horizon", "days", value=400),
     "horizon.days", "should be at most 366"),
    ("horizon missing", dropper("horizon"), "horizon", "required field is missing"),
    ("horizon bad date", setter("horizon", "start", value="2026-02-30"),
     "horizon.start", "should be a date like 2026-03-02"),
    ("horizon far future", setter("horizon", "start", value=date(9999, 12, 30)),
     "horizon.start", "year 9999 lies outside 1900-2200"),
    ("slot 7", setter("slot_minutes", value=7),
     "slot_minutes", "slot_minutes 7 does not divide 60"),
    ("slot 0", setter("slot_minutes", value=0), "slot_minutes", "should be at least 1"),
    ("slot 90", setter("slot_minutes", value=90), "slot_minutes", "should be at most 60"),
    ("unknown zone", setter("timezone", value="Mars/Olympus"),
     "timezone", "unknown IANA time zone 'Mars/Olympus'"),
    ("zone typo", setter("timezone", value="Europe/berlin"),
     "timezone", "did you mean 'Europe/Berlin'?"),
    ("zone path", setter("timezone", value="../../etc/passwd"), "timezone", "unknown IANA"),
    ("invalid rrule", setter("recurring", 0, "rule", value="FREQ=WEEKLI"),
     "recurring[0].rule", "invalid RRULE 'FREQ=WEEKLI'"),
    ("rrule garbage", setter("recurring", 0, "rule", value="every tuesday"),
     "recurring[0].rule", "a rule is NAME=VALUE parts separated by ';'"),
    ("rrule without freq", setter("recurring", 0, "rule", value="BYDAY=TU"),
     "recurring[0].rule", "FREQ is missing"),
    ("rrule hourly", setter("recurring", 0, "rule", value="FREQ=HOURLY"),
     "recurring[0].rule", "repeats within a day"),
    ("rrule byhour", setter("recurring", 0, "rule", value="FREQ=DAILY;BYHOUR=8,9"),
     "recurring[0].rule", "remove BYHOUR"),
    ("rrule interval 0", setter("recurring", 0, "rule", value="FREQ=WEEKLY;INTERVAL=0"),
     "recurring[0].rule", "INTERVAL must be at least 1"),
    ("rrule utc until", setter("recurring", 0, "rule",
                               value="FREQ=WEEKLY;UNTIL=20260331T000000Z"),
     "recurring[0].rule", "UNTIL is local time"),
    ("rrule with dtstart", setter("recurring", 0, "rule",
                                  value="DTSTART:20260301T000000Z\nRRULE:FREQ=WEEKLY"),
     "recurring[0].rule", "give one rule only"),
    ("rrule 30 february", setter("recurring", 0, "rule",
                                 value="FREQ=DAILY;BYMONTH=2;BYMONTHDAY=30"),
     "recurring[0].rule", "the rule matches no day at all"),
    ("rrule month 13", setter("recurring", 0, "rule", value="FREQ=DAILY;BYMONTH=13"),
     "recurring[0].rule", "BYMONTH values must lie between 1 and 12"),
    ("rrule day 400", setter("recurring", 0, "rule", value="FREQ=DAILY;BYYEARDAY=400"),
     "recurring[0].rule", "BYYEARDAY values must lie between 1 and 366"),
    ("rrule daily setpos", setter("recurring", 0, "rule", value="FREQ=DAILY;BYSETPOS=5"),
     "recurring[0].rule", "BYSETPOS needs a period of several days"),
    ("rrule bad weekday", setter("recurring", 0, "rule", value="FREQ=WEEKLY;BYDAY=XX"),
     "recurring[0].rule", "invalid RRULE"),
    ("holiday country", setter("holidays", "country", value="XX"),
     "holidays.country", "unknown holiday country 'XX'"),
    ("holiday country case", setter("holidays", "country", value="de"),
     "holidays.country", "did you mean 'DE'?"),
    ("holiday country NO read as false", setter("holidays", "country", value=False),
     "holidays.country", "put such text in quotes"),
    ("holiday subdivision", setter("holidays", "subdivision", value="QQ"),
     "holidays.subdivision", "unknown subdivision 'QQ' of DE (known: BB, BE, BW, BY,"),
    ("holiday subdivision case", setter("holidays", "subdivision", value="by"),
     "holidays.subdivision", "did you mean 'BY'?"),
    ("holiday subdivision without country", dropper("holidays", "country"),
     "holidays.subdivision", "a subdivision needs a country"),
    ("holiday bad date", setter("holidays", "dates", value=["2026-13-01"]),
     "holidays.dates[0]", "should be a date"),
    ("hours 25:00", setter("technicians", 1, "hours", "mon", value="25:00-26:00"),
     "technicians[1].hours.mon[0]", "'25:00' is not a time of day"),
    ("hours in split day", setter("technicians", 1, "hours", "mon", 1, value="12:30-"),
     "technicians[1].hours.mon[1]", "'12:30-' is not a time span: '' is not a time of day"),
    ("hours across midnight", setter("technicians", 0, "hours", "mon", value="22:00-06:00"),
     "technicians[0].hours.mon[0]", "cannot cross midnight"),
    ("hours overlap", setter("technicians", 0, "hours", "mon",
                             value=["08:00-12:00", "11:00-13:00"]),
     "technicians[0].hours.mon", "spans 08:00-12:00 and 11:00-13:00 overlap"),
    ("hours unknown day", setter("technicians", 0, "hours", "monday", value="08:00-12:00"),
     "technicians[0].hours.monday", "unknown field 'monday' (did you mean 'mon'?)"),
    ("window bad time", setter("customers", 0, "maintenance_windows", 0, "time",
                               value="8-12"),
     "customers[0].maintenance_windows[0].time", "'8' is not a time of day"),
    ("window bad day", setter("customers", 0, "maintenance_windows", 0, "days", value=["sa"]),
     "customers[0].maintenance_windows[0].days[0]", "should be 'mon', 'tue'"),
    ("negative effort", setter("maintenance", 0, "effort", value="-2h"),
     "maintenance[0].effort", "duration '-2h' is negative"),
    ("unparsable effort", setter("projects", 0, "tasks", 0, "effort", value="6 hours"),
     "projects[0].tasks[0].effort", "'6 hours' is not a duration"),
    ("zero effort", setter("maintenance", 0, "effort", value="0m"),
     "maintenance[0].effort", "must be more than zero"),
    ("effort in days", setter("maintenance", 0, "effort", value="2d"),
     "maintenance[0].effort", "uses days; give hours instead"),
    ("effort as list", setter("maintenance", 0, "effort", value=[2]),
     "maintenance[0].effort", "is not a duration"),
    ("negative lead time", setter("service_requests", 0, "lead_time", value="-3d"),
     "service_requests[0].lead_time", "negative"),
    ("endless lead time", setter("service_requests", 0, "lead_time", value="99999999d"),
     "service_requests[0].lead_time", "longer than a year"),
    ("bad handling", setter("incidents", "handling", "mean", value="soon"),
     "incidents.handling.mean", "'soon' is not a duration"),
    ("bad response", setter("incidents", "priorities", 0, "response", value=-30),
     "incidents.priorities[0].response", "negative"),
    ("nan number", setter("incidents", "per_day", value=float("nan")),
     "incidents.per_day", "should be a finite number"),
    ("shares", setter("incidents", "priorities", 0, "share", value=0.5),
     "incidents.priorities", "the shares add up to 1.45, not 1"),
    ("profile", setter("incidents", "profile", value="officer"),
     "incidents.profile", "should be 'office' or 'flat' or a mapping"),
    ("profile weekday", setter("incidents", "profile", value={"mond": [1] * 24}),
     "incidents.profile.mond", "should be 'mon', 'tue'"),
    ("profile weights", setter("incidents", "profile", value={"mon": [1] * 23}),
     "incidents.profile.mon", "should have at least 24 entries"),
    ("buffer level", dropper("buffer", "percent"),
     "buffer", "policy 'percent' needs the field 'percent'"),
    ("buffer policy", setter("buffer", "policy", value="half"),
     "buffer.policy", "should be 'percent', 'duty' or 'forecast'"),
    ("priority range", setter("projects", 0, "priority", value=9),
     "projects[0].priority", "should be at most 5"),
    ("unknown top field", lambda d: d.update(technician=[]),
     "technician", "unknown field 'technician' (did you mean 'technicians'?)"),
    ("unknown nested field", lambda d: tech(d).update(skils=["m365"]),
     "technicians[0].skils", "unknown field 'skils' (did you mean 'skills'?)"),
    ("unknown field deep", lambda d: d["customers"][0]["maintenance_windows"][0].update(tme=1),
     "customers[0].maintenance_windows[0].tme", "did you mean 'time'?"),
    ("unknown field no hint", lambda d: d["buffer"].update(zzz=1),
     "buffer.zzz", "unknown field 'zzz' (known: policy, percent, duty, service_level)"),
    ("in_window without customer", dropper("maintenance", 0, "customer"),
     "maintenance[0].customer", "in_window maintenance needs a customer"),
    ("due before received", setter("service_requests", 0, "due", value=date(2026, 3, 1)),
     "service_requests[0].due", "due 2026-03-01 is before received 2026-03-02 09:12:00"),
    ("bad id", setter("technicians", 0, "id", value="anna berg"),
     "technicians[0].id", "'anna berg' is not a valid id"),
    ("list expected", setter("technicians", value={"anna": {}}),
     "technicians", "should be a list, got {'anna': {}}"),
    ("mapping expected", setter("technicians", 0, value="anna"),
     "technicians[0]", "should be a mapping of fields"),
    ("text expected", setter("name", value=["a"]), "name", "should be text"),
    ("required", dropper("technicians", 0, "hours"),
     "technicians[0].hours", "required field is missing"),
]


@pytest.mark.parametrize(
    ("mutate", "place", "fragment"), [c[1:] for c in CASES], ids=[c[0] for c in CASES]
)
def test_broken_scenario_names_place_and_rule(
    example: Data, mutate: Callable[[Data], None], place: str, fragment: str
) -> None:
    mutate(example)
    problems = problems_of(example)
    assert any(p.startswith(f"{place}: ") and fragment in p for p in problems), problems


def test_design_example_is_valid(example: Data) -> None:
    scenario = scenario_from_data(example, "f.yaml")
    assert scenario.name == "Design example"
    assert [t.id for t in scenario.technicians] == ["anna", "ben"]


@pytest.mark.parametrize(
    "path",
    sorted(p for p in (ROOT / "scenarios").glob("**/*.yaml") if "variants" not in p.parts),
    ids=lambda p: p.name,
)
def test_every_scenario_file_is_valid(path: Path) -> None:
    assert isinstance(load_scenario(path), Scenario)


def test_all_problems_are_reported_at_once(example: Data) -> None:
    tech(example, 1)["hours"]["mon"] = "25:00-26:00"  # structure: the model cannot be built
    tech(example)["skills"].append("fw")  # a cross-entity problem elsewhere
    example["maintenance"][0]["customer"] = "nobody"
    problems = problems_of(example)
    assert any(p.startswith("technicians[1].hours.mon[0]: ") for p in problems)
    assert any(p.startswith("technicians[0].skills[2]: unknown skill 'fw'") for p in problems)
    assert any(p.startswith("maintenance[0].customer: unknown customer") for p in problems)


def test_unreadable_task_id_makes_no_false_unknown_predecessor(example: Data) -> None:
    task(example, 0)["id"] = "p m365 1"  # invalid id: the predecessor of task 2 is unreadable
    problems = problems_of(example)
    assert problems == [
        "projects[0].tasks[0].id: 'p m365 1' is not a valid id (use up to 100 letters, "
        "digits and _ . : -, starting with a letter or digit)"
    ]


def test_unreadable_catalogue_makes_no_false_unknown_skills(example: Data) -> None:
    example["skills"] = "m365, network"
    assert problems_of(example) == ["skills: should be a list, got 'm365, network'"]


def test_broken_entries_keep_their_index_for_cross_checks(example: Data) -> None:
    example["technicians"].insert(0, "not a technician")
    example["technicians"][2]["skills"] = ["fw"]
    problems = problems_of(example)
    assert any(p.startswith("technicians[0]: should be a mapping") for p in problems)
    assert any(p.startswith("technicians[2].skills[0]: unknown skill 'fw'") for p in problems)


@pytest.mark.parametrize("field", ["end", "start"])
def test_date_text_is_a_whole_day_not_midnight(example: Data, field: str) -> None:
    """Regression: "2026-03-20" (as JSON or quoted YAML gives it) was read as midnight."""
    absence = tech(example)["absences"][0]
    absence[field] = absence[field].isoformat()
    scenario = scenario_from_data(example, "f.yaml")
    value = getattr(scenario.technicians[0].absences[0], field)
    assert type(value) is date


def test_date_and_time_text_is_a_moment(example: Data) -> None:
    example["service_requests"][0]["due"] = "2026-03-05T12:00"
    scenario = scenario_from_data(example, "f.yaml")
    assert scenario.service_requests[0].due == datetime(2026, 3, 5, 12, 0)


def test_json_round_trip_of_example_is_valid(example: Data) -> None:
    data = json.loads(json.dumps(example, default=str))
    scenario = scenario_from_data(data, "f.json")
    assert scenario == scenario_from_data(example, "f.yaml")


def test_many_problems_are_capped(example: Data) -> None:
    template = tech(example)
    example["technicians"] = [
        {**template, "id": f"t{k}", "skills": ["nope"]} for k in range(MAX_PROBLEMS + 50)
    ]
    problems = problems_of(example)
    assert len(problems) == MAX_PROBLEMS + 1
    assert problems[-1] == "... and more problems; fix the ones above first"


def test_each_cross_check_stops_early(example: Data) -> None:
    scenario = scenario_from_data(example, "f.yaml")
    broken = [t.model_copy(update={"skills": ["nope"]}) for t in scenario.technicians * 200]
    problems = crosscheck.cross_check_problems(scenario.model_copy(update={"technicians": broken}))
    assert len([p for p in problems if "unknown skill" in p]) == crosscheck.MAX_PER_CHECK


def test_long_chain_of_predecessors_has_no_recursion_limit(example: Data) -> None:
    count = 5000
    example["projects"][0]["tasks"] = [
        {"id": f"t{k}", "effort": "1h", "after": [f"t{k - 1}"] if k else []}
        for k in range(count)
    ]
    example["projects"][0]["tasks"][0]["after"] = [f"t{count - 1}"]  # closes one long cycle
    problems = problems_of(example)
    assert len(problems) == 1
    assert "cycle in 'after': t0 -> " in problems[0]


def test_each_problem_is_one_line() -> None:
    error = ScenarioError("f.yaml", ["name: bad value 'a\nb\x1ec'"])
    assert error.problems == ["name: bad value 'a\\nb\\x1ec'"]
    assert str(error) == "f.yaml: name: bad value 'a\\nb\\x1ec'"


def test_numbers_given_for_text_get_a_quoting_hint(example: Data) -> None:
    example["customers"][0]["id"] = 1001
    problems = problems_of(example)
    assert (
        "customers[0].id: should be text (to use the number as text, put it in quotes: "
        "'1001'), got 1001"
    ) in problems

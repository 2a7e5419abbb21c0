"""The shipped scenarios: every file loads and prepares, the demo has the size and shape it is
meant to have, and each tiny case sets up the situation its top comment describes."""

from __future__ import annotations

import math
from datetime import date, datetime, time
from pathlib import Path

import pytest

from models.io import load_scenario
from models.prepare import Prepared, prepare
from models.records import MAX_PART_MINUTES, PreparedItem
from models.scenario import Scenario

SCENARIOS = Path(__file__).resolve().parents[1] / "scenarios"
FILES = sorted(p for p in SCENARIOS.glob("**/*.yaml") if "variants" not in p.parts)
TINY = SCENARIOS / "tiny"
CANNOT_BE_DONE = {
    "absence.yaml": {"jour-fixe-kim@2026-03-04"},
    "no_skill.yaml": {"m-sap"},
    "no_window.yaml": {"m-nowin"},
}
"""Items that no technician can take, on purpose; every other item can be done by someone."""


def _prepared(name: str) -> Prepared:
    return prepare(load_scenario(SCENARIOS / name))


def _item(prepared: Prepared, item_id: str) -> PreparedItem:
    return prepared.items[prepared.item_index[item_id]]


def _doable(prepared: Prepared, item: PreparedItem) -> bool:
    """Some eligible technician has room for the item's longest part and its whole effort."""
    for t in item.eligible:
        free = prepared.allowed(item, prepared.technicians[t])
        if free and max(e - s for s, e in free) >= max(item.parts) and (
            sum(e - s for s, e in free) >= item.effort
        ):
            return True
    return False


def _load_after_buffer(prepared: Prepared) -> float:
    buffer = prepared.scenario.buffer
    keep = 1 - (buffer.percent or 0) / 100 if buffer and buffer.policy == "percent" else 1
    capacity = sum(prepared.capacity(t) for t in prepared.technicians) * keep
    return sum(item.effort for item in prepared.items) / capacity


# -- every file ------------------------------------------------------------------------------
def test_scenario_files_exist() -> None:
    names = {path.relative_to(SCENARIOS).as_posix() for path in FILES}
    expected = {"demo.yaml"} | {
        f"tiny/{case}.yaml"
        for case in ("precedence", "skills", "overload", "window", "recurring", "absence", "duty",
                     "dst", "no_skill", "no_window", "split_hours", "lead_time", "empty",
                     "design_example")
    }
    assert expected <= names


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.relative_to(SCENARIOS).as_posix())
def test_scenario_loads_and_prepares(path: Path) -> None:
    prepared = prepare(load_scenario(path))
    assert prepared.technicians, "a scenario needs at least one technician"
    assert prepared.days


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.relative_to(SCENARIOS).as_posix())
def test_every_item_can_be_done_unless_the_case_says_otherwise(path: Path) -> None:
    prepared = prepare(load_scenario(path))
    stuck = {item.id for item in prepared.items if not _doable(prepared, item)}
    assert stuck == CANNOT_BE_DONE.get(path.name, set())


@pytest.mark.parametrize("path", sorted(TINY.glob("*.yaml")), ids=lambda p: p.name)
def test_tiny_case_says_what_it_tests(path: Path) -> None:
    assert path.read_text(encoding="utf-8").startswith("# ")


# -- the demo --------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def demo() -> Prepared:
    """The prepared demo scenario."""
    return _prepared("demo.yaml")


def test_demo_frame(demo: Prepared) -> None:
    scenario = demo.scenario
    assert scenario.name == "Demo MSP"
    assert scenario.timezone == "Europe/Berlin"
    assert (scenario.horizon.start, scenario.horizon.days) == (date(2026, 3, 2), 28)
    assert scenario.slot_minutes == 15
    assert scenario.holidays is not None
    assert (scenario.holidays.country, scenario.holidays.subdivision) == ("DE", "BY")
    assert scenario.buffer is not None
    assert (scenario.buffer.policy, scenario.buffer.percent) == ("percent", 20)
    assert scenario.incidents is not None
    assert scenario.incidents.per_day == 6.5
    assert [p.share for p in scenario.incidents.priorities] == [0.05, 0.25, 0.70]


def test_demo_team(demo: Prepared) -> None:
    team = demo.scenario.technicians
    assert 11 <= len(team) <= 14
    assert {"m365", "network", "firewall", "server", "datev", "security", "onboarding",
            "backup", "client"} <= set(demo.scenario.skills)
    weekly = [sum(s.end - s.start for d in range(7) for s in t.hours.spans(d)) / 60 for t in team]
    assert sum(hours <= 24 for hours in weekly) >= 2, "part-timers"
    assert any(any(len(t.hours.spans(d)) > 1 for d in range(7)) for t in team), "a split day"
    night_shift = [t for t in team if t.after_hours]
    assert night_shift
    assert all(t.max_hours_per_day for t in night_shift)
    absences = [a for t in team for a in t.absences]
    assert any(isinstance(a.start, datetime) for a in absences), "a timed absence"
    assert sum(not isinstance(a.start, datetime) for a in absences) >= 2, "whole-day absences"


def test_demo_customers_and_windows(demo: Prepared) -> None:
    customers = demo.scenario.customers
    assert len(customers) >= 8
    assert all(c.maintenance_windows for c in customers)
    spans = [w.time for c in customers for w in c.maintenance_windows]
    assert any(s.end > 24 * 60 for s in spans), "a window crossing midnight"
    assert any(w.days == ["sat"] for c in customers for w in c.maintenance_windows)


def test_demo_projects(demo: Prepared) -> None:
    projects = demo.scenario.projects
    chained = [p for p in projects if any(task.after for task in p.tasks)]
    assert len(chained) >= 4
    horizon_end = date(2026, 3, 29)
    for project in projects:
        assert project.target is not None
        assert project.target <= horizon_end
        assert 1 <= project.priority <= 4
        for task in project.tasks:
            assert 2 * 3600 <= task.effort.seconds <= 24 * 3600


def test_demo_recurring_and_maintenance(demo: Prepared) -> None:
    scenario = demo.scenario
    assert len(scenario.recurring) >= 6
    rules = {block.rule for block in scenario.recurring}
    assert "FREQ=WEEKLY;BYDAY=TU" in rules
    assert "FREQ=MONTHLY;BYDAY=1WE" in rules
    assert any(block.technician for block in scenario.recurring)
    assert len(scenario.maintenance) >= 15
    assert sum(m.in_window for m in scenario.maintenance) >= 8
    assert all(m.due is not None for m in scenario.maintenance)


def test_demo_service_requests(demo: Prepared) -> None:
    requests = demo.scenario.service_requests
    assert len(requests) >= 60
    for request in requests:
        assert 30 * 60 <= request.effort.seconds <= 4 * 3600
        assert request.lead_time is not None
        assert 1 <= request.lead_time.days <= 5
        assert 2 <= request.priority <= 4
        received = request.received
        assert date(2026, 3, 2) <= received.date() <= date(2026, 3, 27)
        assert received.weekday() < 5
        assert time(7, 30) <= received.time() <= time(17, 0)
    weeks = {(r.received.date() - date(2026, 3, 2)).days // 7 for r in requests}
    assert weeks == {0, 1, 2, 3}, "spread over the four weeks"


def test_demo_leaves_room(demo: Prepared) -> None:
    assert 0.55 <= _load_after_buffer(demo) <= 0.70


# -- the tiny cases --------------------------------------------------------------------------
def test_precedence_is_a_chain_of_three() -> None:
    prepared = _prepared("tiny/precedence.yaml")
    first, second, third = (_item(prepared, f"p-chain-{k}") for k in (1, 2, 3))
    assert (first.after, second.after, third.after) == ((), (first.index,), (second.index,))
    assert len(second.parts) > 1


def test_skills_leave_one_technician() -> None:
    prepared = _prepared("tiny/skills.yaml")
    ids = {t.index: t.id for t in prepared.technicians}
    assert [ids[t] for t in _item(prepared, "m-datev").eligible] == ["dora"]
    assert [ids[t] for t in _item(prepared, "m-vpn").eligible] == ["eli"]


def test_overload_has_more_work_than_capacity() -> None:
    prepared = _prepared("tiny/overload.yaml")
    capacity = sum(prepared.capacity(t) for t in prepared.technicians)
    work = sum(item.effort for item in prepared.items)
    assert work > capacity
    assert work - _item(prepared, "i-p5").effort <= capacity
    assert sorted(item.priority for item in prepared.items) == [1, 2, 3, 4, 5]


def test_window_case() -> None:
    prepared = _prepared("tiny/window.yaml")
    ben = prepared.technicians[prepared.technician_index["ben"]]
    assert ben.after_hours
    assert ben.max_minutes_per_day == 600
    night = _item(prepared, "m-night")
    assert night.windows
    assert all(e - s == 240 for s, e in night.windows)
    assert any(prepared.day_of(s) != prepared.day_of(e) for s, e in night.windows)
    assert _item(prepared, "m-office").windows is None


def test_recurring_skips_good_friday() -> None:
    prepared = _prepared("tiny/recurring.yaml")
    recurring = [item for item in prepared.items if item.kind == "recurring"]
    assert len(recurring) == 6
    assert date(2026, 4, 3) in prepared.holidays
    assert not any(item.id.endswith("@2026-04-03") for item in recurring)
    assert not any(item.id.startswith("fw-review@") for item in recurring)
    patch = _item(prepared, "patch-day@2026-03-31")
    assert patch.technician == prepared.technician_index["ivo"]


def test_absence_case() -> None:
    prepared = _prepared("tiny/absence.yaml")
    kim, lou = (prepared.technicians[prepared.technician_index[t]] for t in ("kim", "lou"))
    tuesday, wednesday = prepared.days[1], prepared.days[2]
    assert not kim.available_on(tuesday)
    assert not kim.available_on(wednesday)
    thursday = prepared.days[3]
    assert len(lou.available_on(thursday)) == 2, "the doctor's appointment cuts the day"
    assert not lou.available_on(prepared.days[4])


def test_duty_case() -> None:
    scenario = load_scenario(TINY / "duty.yaml")
    assert scenario.buffer is not None
    assert (scenario.buffer.policy, scenario.buffer.duty) == ("duty", 1)
    assert len(scenario.technicians) == 3


def test_dst_keeps_local_times() -> None:
    prepared = _prepared("tiny/dst.yaml")
    short = [day for day in prepared.days if day.end - day.start != 24 * 60]
    assert [(day.date, day.end - day.start) for day in short] == [(date(2026, 3, 29), 23 * 60)]
    checks = [item for item in prepared.items if item.id.startswith("backup-check@")]
    assert {prepared.moment(item.earliest).strftime("%H:%M") for item in checks} == {"08:00"}
    assert {prepared.moment(item.earliest).utcoffset().seconds // 3600 for item in checks} == {1, 2}
    request = _item(prepared, "sr-1")
    assert request.due is not None
    assert prepared.moment(request.due).isoformat() == "2026-03-30T14:00:00+02:00"


def test_no_skill_item_has_nobody() -> None:
    prepared = _prepared("tiny/no_skill.yaml")
    assert _item(prepared, "m-sap").eligible == ()
    assert _item(prepared, "m-patch").eligible


def test_no_window_item_has_no_time() -> None:
    prepared = _prepared("tiny/no_window.yaml")
    assert _item(prepared, "m-nowin").windows == []
    assert _item(prepared, "m-win").windows


def test_split_hours_case() -> None:
    prepared = _prepared("tiny/split_hours.yaml")
    uma = prepared.technicians[prepared.technician_index["uma"]]
    assert len(uma.available_on(prepared.days[0])) == 2
    for item_id in ("p-mig-1", "p-mig-2"):
        item = _item(prepared, item_id)
        assert len(item.parts) == math.ceil(item.effort / MAX_PART_MINUTES) > 1
        assert sum(item.parts) == item.effort
        assert max(item.parts) <= MAX_PART_MINUTES


def test_lead_times_and_dues() -> None:
    prepared = _prepared("tiny/lead_time.yaml")
    expected = {
        "sr-fri": "2026-03-03T10:00:00+01:00",
        "sr-1d": "2026-03-03T09:00:00+01:00",
        "sr-4h": "2026-03-02T17:00:00+01:00",
        "sr-5d": "2026-03-11T11:00:00+01:00",
        "sr-date": "2026-03-06T00:00:00+01:00",
        "sr-time": "2026-03-05T12:00:00+01:00",
    }
    for item_id, due in expected.items():
        item = _item(prepared, item_id)
        assert item.due is not None, item_id
        assert prepared.moment(item.due).isoformat() == due, item_id
    assert _item(prepared, "sr-none").due is None
    assert _item(prepared, "sr-fri").earliest == 0


def test_empty_has_no_work() -> None:
    scenario: Scenario = load_scenario(TINY / "empty.yaml")
    assert scenario.technicians
    assert not scenario.items()
    assert prepare(scenario).items == []

"""The solver-free checker: hand-made plans, one broken rule at a time, and the objective."""

from __future__ import annotations

import json
import time
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from models.check import Evaluation, evaluate, load_plan
from models.io import load_scenario
from models.plan import Plan
from models.prepare import Prepared, prepare
from models.problems import ScenarioError
from models.scenario import Scenario

ROOT = Path(__file__).resolve().parents[1]
BERLIN = ZoneInfo("Europe/Berlin")

Slot = tuple[str, str, str]  # technician, "MM-DD HH:MM" start, "MM-DD HH:MM" end

# A valid plan for the design example: sr-1001 stays unscheduled, m-fw-mueller is late.
BASE: dict[tuple[str, int], Slot] = {
    ("p-m365-1", 1): ("anna", "03-03 08:00", "03-03 11:00"),
    ("p-m365-1", 2): ("anna", "03-03 11:00", "03-03 14:00"),
    ("p-m365-2", 1): ("anna", "03-05 08:00", "03-05 12:00"),
    ("p-m365-2", 2): ("anna", "03-06 08:00", "03-06 12:00"),
    ("p-m365-2", 3): ("anna", "03-09 08:00", "03-09 12:00"),
    ("p-m365-2", 4): ("anna", "03-10 08:00", "03-10 12:00"),
    ("patch-mueller@2026-03-03", 1): ("ben", "03-03 14:00", "03-03 16:00"),
    ("patch-mueller@2026-03-10", 1): ("ben", "03-10 14:00", "03-10 16:00"),
    ("patch-mueller@2026-03-17", 1): ("ben", "03-17 14:00", "03-17 16:00"),
    ("patch-mueller@2026-03-24", 1): ("ben", "03-24 14:00", "03-24 16:00"),
    ("m-fw-mueller", 1): ("ben", "03-16 18:00", "03-16 20:00"),
}
BASE_RESERVE: list[tuple[str, str, str, str]] = [
    ("ben", "03-02 08:00", "03-02 09:00", "incident reserve"),
]


def local(text: str) -> datetime:
    """'MM-DD HH:MM' in 2026, Berlin time."""
    return datetime.strptime(f"2026-{text}", "%Y-%m-%d %H:%M").replace(tzinfo=BERLIN)


def make_plan(
    prepared: Prepared,
    assignments: dict[tuple[str, int], Slot],
    unscheduled: tuple[str, ...] = (),
    reserve: list[tuple[str, str, str, str]] | None = None,
    profile: list[tuple[str, str, int]] | None = None,
    kinds: dict[str, str] | None = None,
) -> Plan:
    """A plan from compact tuples; kinds come from the prepared items unless overridden."""
    kind_of = {item.id: item.kind for item in prepared.items} | (kinds or {})
    data: dict[str, Any] = {
        "scenario": prepared.scenario.name,
        "status": "feasible",
        "assignments": [
            {"item": item, "part": part, "kind": kind_of.get(item, "project"),
             "technician": tech, "start": local(start), "end": local(end)}
            for (item, part), (tech, start, end) in assignments.items()
        ],
        "reserve": [
            {"technician": t, "start": local(s), "end": local(e), "reason": why}
            for t, s, e, why in reserve or []
        ],
        "reserve_profile": [
            {"start": local(s), "end": local(e), "technicians": n} for s, e, n in profile or []
        ],
        "unscheduled": [{"item": item, "reason": "test"} for item in unscheduled],
    }
    return Plan.model_validate(data)


@pytest.fixture(scope="module")
def example() -> Prepared:
    """The prepared design example (28 days, anna and ben, percent buffer 20 %)."""
    return prepare(load_scenario(ROOT / "scenarios/tiny/design_example.yaml"))


def check(
    prepared: Prepared,
    changes: dict[tuple[str, int], Slot | None] | None = None,
    unscheduled: tuple[str, ...] = ("sr-1001",),
    reserve: list[tuple[str, str, str, str]] | None = None,
    **extra: Any,
) -> Evaluation:
    """Evaluate the base plan with some assignments replaced (None removes one)."""
    assignments = dict(BASE)
    for key, slot in (changes or {}).items():
        if slot is None:
            assignments.pop(key)
        else:
            assignments[key] = slot
    reserve = BASE_RESERVE if reserve is None else reserve
    return evaluate(prepared, make_plan(prepared, assignments, unscheduled, reserve, **extra))


def rules(evaluation: Evaluation) -> set[int]:
    return {v.rule for v in evaluation.violations}


def messages(evaluation: Evaluation, rule: int) -> str:
    return "\n".join(v.message for v in evaluation.violations if v.rule == rule)


# -- the valid plan and its objective --------------------------------------------------------
def test_valid_plan_passes_with_expected_terms(example: Prepared) -> None:
    result = check(example)
    assert result.ok, [v.message for v in result.violations]

    items = {item.id: item for item in example.items}
    weights = example.scenario.weights
    sr = items["sr-1001"]
    assert result.terms["unscheduled"] == pytest.approx(
        weights.unscheduled * sr.weight * sr.effort / 60
    )
    fw = items["m-fw-mueller"]
    assert fw.due is not None
    fw_end = example.minute(local("03-16 20:00"))
    assert result.terms["late"] == pytest.approx(
        weights.late_per_day * fw.weight * (fw_end - fw.due) / 1440
    )
    anna, ben = example.technicians
    busy_anna = 6 * 60 + 16 * 60
    busy_ben = 4 * 120 + 120 + 60  # patches, firmware update, one hour of reserve
    u_anna = 100 * busy_anna // example.capacity(anna)
    u_ben = 100 * busy_ben // example.capacity(ben)
    assert result.terms["balance"] == weights.balance * abs(u_anna - u_ben)
    assert result.objective == pytest.approx(sum(result.terms.values()))


def test_kpis_of_the_valid_plan(example: Prepared) -> None:
    kpis = check(example).kpis
    assert kpis["planned_hours"] == 6 + 16 + 8 + 2
    assert kpis["reserve_hours"] == 1
    assert kpis["scheduled_items"] == 7
    assert kpis["unscheduled_items"] == 1
    assert kpis["unscheduled_hours"] == 1.5
    assert kpis["unscheduled_hours_by_priority"]["3"] == 1.5
    assert kpis["late_items"] == 1
    assert kpis["hours_by_technician"] == {"anna": 22, "ben": 10}
    assert kpis["items_by_kind"] == {
        "project": 2, "recurring": 4, "maintenance": 1, "service_request": 0,
    }
    capacity = sum(example.capacity(t) for t in example.technicians) / 60
    assert kpis["capacity_hours"] == pytest.approx(capacity, abs=0.01)
    assert kpis["utilisation"] == pytest.approx(32 / capacity, abs=1e-4)
    json.dumps(kpis)  # JSON-friendly


def test_scheduled_request_on_time_costs_nothing(example: Prepared) -> None:
    result = check(example, {("sr-1001", 1): ("anna", "03-02 09:15", "03-02 10:45")}, ())
    assert result.ok, [v.message for v in result.violations]
    assert result.terms["unscheduled"] == 0


# -- rule 0: structure ---------------------------------------------------------------------
def test_item_both_scheduled_and_unscheduled(example: Prepared) -> None:
    result = check(example, {("sr-1001", 1): ("anna", "03-02 09:15", "03-02 10:45")})
    assert 0 in rules(result)
    assert "both scheduled and listed as unscheduled" in messages(result, 0)


def test_item_missing(example: Prepared) -> None:
    result = check(example, unscheduled=())
    assert 0 in rules(result)
    assert "sr-1001 is neither scheduled nor listed" in messages(result, 0)


def test_parts_not_adding_up(example: Prepared) -> None:
    result = check(example, {("p-m365-1", 2): ("anna", "03-03 11:00", "03-03 13:00")})
    assert rules(result) == {0}
    assert "add up to 300 min" in messages(result, 0)


def test_parts_numbered_with_a_gap(example: Prepared) -> None:
    result = check(example, {
        ("p-m365-2", 4): None,
        ("p-m365-2", 5): ("anna", "03-10 08:00", "03-10 12:00"),
    })
    assert rules(result) == {0}
    assert "numbered [1, 2, 3, 5]" in messages(result, 0)


def test_parts_out_of_order(example: Prepared) -> None:
    result = check(example, {
        ("p-m365-1", 1): ("anna", "03-03 11:00", "03-03 14:00"),
        ("p-m365-1", 2): ("anna", "03-03 08:00", "03-03 11:00"),
    })
    assert rules(result) == {0}


def test_unknown_item_technician_and_kind(example: Prepared) -> None:
    result = check(
        example,
        {("nope", 1): ("anna", "03-12 08:00", "03-12 09:00"),
         ("p-m365-2", 4): ("carl", "03-10 08:00", "03-10 12:00")},
        unscheduled=("sr-1001", "ghost"),
        kinds={"p-m365-1": "maintenance"},
    )
    text = messages(result, 0)
    assert "unknown item 'nope'" in text
    assert "unknown technician" in text
    assert "unknown item 'ghost'" in text
    assert "of kind 'project', not 'maintenance'" in text


def test_end_before_start(example: Prepared) -> None:
    result = check(example, {("p-m365-2", 4): ("anna", "03-10 12:00", "03-10 08:00")})
    assert "does not end after it starts" in messages(result, 0)


# -- rule 1: grid, horizon, skills, one technician -----------------------------------------
def test_off_grid(example: Prepared) -> None:
    result = check(example, {
        ("p-m365-1", 1): ("anna", "03-03 08:05", "03-03 11:05"),
        ("p-m365-1", 2): ("anna", "03-03 11:05", "03-03 14:05"),
    })
    assert rules(result) == {1}
    assert "15-minute grid" in messages(result, 1)


def test_missing_skill(example: Prepared) -> None:
    result = check(example, {("m-fw-mueller", 1): ("anna", "03-02 18:00", "03-02 20:00")})
    assert 1 in rules(result)
    assert "anna lacks the skill(s) firewall" in messages(result, 1)


def test_fixed_technician(example: Prepared) -> None:
    ben = next(t for t in example.technicians if t.id == "ben")
    result = check(example, {
        ("p-m365-2", 4): ("anna", "03-10 08:00", "03-10 12:00"),
        ("patch-mueller@2026-03-03", 1): ("anna", "03-03 14:00", "03-03 16:00"),
        ("p-m365-1", 2): ("anna", "03-03 11:00", "03-03 14:00"),
    })
    assert f"must be done by {ben.id}" in messages(result, 1)


def test_parts_split_between_technicians(example: Prepared) -> None:
    result = check(example, {("p-m365-2", 4): ("ben", "03-10 08:00", "03-10 12:00")})
    assert "split between anna, ben" in messages(result, 1)


def test_outside_horizon(example: Prepared) -> None:
    result = check(example, {("p-m365-2", 4): ("anna", "03-30 08:00", "03-30 12:00")})
    assert "outside the horizon" in messages(result, 1)


# -- rule 2: hours, absences, holidays -------------------------------------------------------
def test_outside_hours(example: Prepared) -> None:
    result = check(example, {("p-m365-2", 4): ("anna", "03-10 16:00", "03-10 20:00")})
    assert rules(result) == {2}
    assert "outside anna's working hours" in messages(result, 2)


def test_during_absence(example: Prepared) -> None:
    result = check(example, {("p-m365-2", 1): ("anna", "03-05 12:00", "03-05 16:00")})
    assert 2 in rules(result)
    assert "absence (doctor" in messages(result, 2)


def test_during_vacation(example: Prepared) -> None:
    result = check(example, {("p-m365-2", 4): ("anna", "03-17 08:00", "03-17 12:00")})
    assert rules(result) == {2}
    assert "absence (vacation" in messages(result, 2)


def test_after_hours_maintenance_on_a_holiday(example: Prepared) -> None:
    result = check(example, {("m-fw-mueller", 1): ("ben", "03-19 18:00", "03-19 20:00")})
    assert rules(result) == {2}
    assert "public holiday" in messages(result, 2)


def test_in_window_maintenance_without_after_hours_is_outside_hours(tmp_path: Path) -> None:
    prepared = prepare(load_scenario(write(tmp_path, WINDOW_SCENARIO)))
    plan = make_plan(prepared, {("m1", 1): ("a", "03-02 18:00", "03-02 20:00")})
    assert rules(evaluate(prepared, plan)) == {2}
    plan = make_plan(prepared, {("m1", 1): ("b", "03-02 18:00", "03-02 20:00")})
    assert evaluate(prepared, plan).ok


# -- rule 3: one thing at a time ------------------------------------------------------------
def test_overlap(example: Prepared) -> None:
    result = check(example, {("sr-1001", 1): ("anna", "03-03 10:00", "03-03 11:30")}, ())
    assert 3 in rules(result)
    assert "cannot do both at once" in messages(result, 3)


def test_reserve_overlaps_assignment(example: Prepared) -> None:
    reserve = [*BASE_RESERVE, ("ben", "03-03 15:00", "03-03 16:00", "incident reserve")]
    result = check(example, reserve=reserve)
    assert rules(result) == {3}
    assert "reserve 'incident reserve'" in messages(result, 3)


# -- rule 4: precedence, earliest -------------------------------------------------------------
def test_precedence_broken(example: Prepared) -> None:
    result = check(example, {("p-m365-1", 2): ("anna", "03-09 12:00", "03-09 15:00")})
    assert 4 in rules(result)
    assert "before its predecessor p-m365-1 ends" in messages(result, 4)


def test_predecessor_unscheduled(example: Prepared) -> None:
    result = check(
        example, {("p-m365-1", 1): None, ("p-m365-1", 2): None}, ("sr-1001", "p-m365-1")
    )
    assert rules(result) == {4}
    assert "predecessor p-m365-1 is not" in messages(result, 4)


def test_before_earliest(example: Prepared) -> None:
    result = check(example, {
        ("p-m365-1", 1): ("anna", "03-02 08:00", "03-02 11:00"),
        ("p-m365-1", 2): ("anna", "03-02 11:00", "03-02 14:00"),
    })
    assert rules(result) == {4}
    assert "allowed to start" in messages(result, 4)


def test_request_before_received(example: Prepared) -> None:
    result = check(example, {("sr-1001", 1): ("anna", "03-02 08:00", "03-02 09:30")}, ())
    assert rules(result) == {4}
    assert "received" in messages(result, 4)


# -- rules 5 and 6: windows, recurring -------------------------------------------------------
def test_outside_window(example: Prepared) -> None:
    result = check(example, {("m-fw-mueller", 1): ("ben", "03-04 10:00", "03-04 12:00")})
    assert rules(result) == {5}
    assert "outside the maintenance windows of customer mueller" in messages(result, 5)


def test_recurring_moved(example: Prepared) -> None:
    result = check(example, {
        ("patch-mueller@2026-03-03", 1): ("ben", "03-03 14:30", "03-03 16:30"),
    })
    assert rules(result) == {6}
    assert "exactly at 2026-03-03 14:00-16:00" in messages(result, 6)


# -- rule 7: buffer ----------------------------------------------------------------------------
def test_percent_buffer_exceeded(example: Prepared) -> None:
    result = check(example, {("sr-1001", 1): ("anna", "03-03 14:00", "03-03 15:30")}, ())
    assert rules(result) == {7}
    assert "anna has 7.5 h planned on 2026-03-03" in messages(result, 7)


def test_after_hours_work_does_not_use_the_percent_buffer(example: Prepared) -> None:
    result = check(example, {("m-fw-mueller", 1): ("ben", "03-10 18:00", "03-10 20:00")})
    assert result.ok, [v.message for v in result.violations]


def test_reserve_profile(example: Prepared) -> None:
    good = check(example, profile=[("03-02 08:00", "03-02 09:00", 2)])
    assert good.ok, [v.message for v in good.violations]
    busy = check(example, profile=[("03-03 10:00", "03-03 11:00", 2)])
    assert rules(busy) == {7}
    absent = check(example, profile=[("03-05 14:00", "03-05 15:00", 2)])  # anna at the doctor
    assert "only 1 present technician(s)" in messages(absent, 7)


def test_forecast_plan_without_a_profile() -> None:
    """The message once said "rule 7: rule 7: ..."."""
    prepared = prepare(load_scenario(ROOT / "scenarios/tiny/forecast.yaml"))
    result = evaluate(prepared, make_plan(prepared, {}))
    assert 7 in rules(result)
    missing = [v.message for v in result.violations if "no reserve_profile" in v.message]
    assert missing == [
        "rule 7: the buffer policy is forecast, but the plan has no reserve_profile saying how "
        "many technicians each hour keeps free"
    ]


def test_duty_plan_passes(tmp_path: Path) -> None:
    prepared = prepare(load_scenario(write(tmp_path, DUTY_SCENARIO)))
    plan = make_plan(prepared, DUTY_WORK, reserve=duty_for("a"))
    result = evaluate(prepared, plan)
    assert result.ok, [v.message for v in result.violations]


def test_duty_tech_working(tmp_path: Path) -> None:
    prepared = prepare(load_scenario(write(tmp_path, DUTY_SCENARIO)))
    plan = make_plan(prepared, DUTY_WORK, reserve=duty_for("b"))
    result = evaluate(prepared, plan)
    assert 7 in rules(result)
    assert "b is on incident duty on 2026-03-02" in messages(result, 7)


def test_duty_day_without_duty(tmp_path: Path) -> None:
    prepared = prepare(load_scenario(write(tmp_path, DUTY_SCENARIO)))
    reserve = [r for r in duty_for("a") if not r[1].startswith("03-04")]
    result = evaluate(prepared, make_plan(prepared, DUTY_WORK, reserve=reserve))
    assert rules(result) == {7}
    assert "on 2026-03-04 0 present technician(s)" in messages(result, 7)


# -- rule 8: daily cap ---------------------------------------------------------------------------
def test_max_hours_exceeded(tmp_path: Path) -> None:
    prepared = prepare(load_scenario(write(tmp_path, DUTY_SCENARIO)))
    work = {("t1", 1): ("a", "03-02 08:00", "03-02 11:00"), ("t1", 2): ("a", "03-02 11:00",
                                                                         "03-02 14:00")}
    result = evaluate(prepared, make_plan(prepared, work, reserve=duty_for("b")))
    assert rules(result) == {8}
    assert "a has 6 h planned on 2026-03-02, more than the cap of 4 h" in messages(result, 8)


# -- objective corner cases --------------------------------------------------------------------
def test_balance_needs_two_technicians(tmp_path: Path) -> None:
    prepared = prepare(load_scenario(write(tmp_path, WINDOW_SCENARIO)))
    plan = make_plan(prepared, {}, unscheduled=("m1",))
    result = evaluate(prepared, plan)
    assert result.terms["balance"] == 0  # both technicians at 0 %
    assert result.terms["unscheduled"] == 1000 * 3 * 2


# -- load_plan --------------------------------------------------------------------------------
def test_load_plan_round_trip(example: Prepared, tmp_path: Path) -> None:
    plan = make_plan(example, BASE, ("sr-1001",), BASE_RESERVE)
    path = tmp_path / "plan.json"
    path.write_text(plan.model_dump_json(indent=2))
    assert load_plan(path) == plan


def test_load_plan_errors(tmp_path: Path) -> None:
    broken = tmp_path / "broken.json"
    broken.write_text('{"scenario": "x",')
    with pytest.raises(ScenarioError, match="JSON syntax error"):
        load_plan(broken)
    wrong = tmp_path / "wrong.json"
    wrong.write_text(json.dumps({
        "scenario": "x", "status": "fine",
        "assignments": [{"item": "a", "kind": "project", "technician": "t",
                         "start": "2026-03-02T08:00:00+01:00",
                         "end": "2026-03-02T09:00:00+01:00", "colour": "red"}],
    }))
    with pytest.raises(ScenarioError) as caught:
        load_plan(wrong)
    problems = "\n".join(caught.value.problems)
    assert "status:" in problems
    assert "assignments[0].colour: unknown field 'colour'" in problems
    with pytest.raises(ScenarioError, match="file not found"):
        load_plan(tmp_path / "missing.json")


# -- performance -------------------------------------------------------------------------------
def test_large_plan_is_checked_in_seconds() -> None:
    """5,000 items, 200 technicians, 8 weeks (across the DST change)."""
    week = {d: "08:00-16:00" for d in ("mon", "tue", "wed", "thu", "fri")}
    scenario = Scenario.model_validate({
        "name": "large", "horizon": {"start": "2026-03-02", "days": 56},
        "technicians": [{"id": f"t{k}", "hours": week} for k in range(200)],
        "service_requests": [{"id": f"sr{i}", "received": "2026-03-02T08:00", "effort": "1h"}
                             for i in range(5000)],
        "buffer": {"policy": "percent", "percent": 20},
    })
    prepared = prepare(scenario)
    workdays = [d for d in prepared.days if d.working]
    assignments, reserve = [], []
    for i in range(5000):
        day = workdays[(i // 200) // 3].date
        start = datetime.combine(day, datetime.min.time(), BERLIN) + timedelta(hours=8 + i % 3)
        assignments.append({"item": f"sr{i}", "kind": "service_request", "technician":
                            f"t{i % 200}", "start": start, "end": start + timedelta(hours=1)})
    for k in range(200):
        for day in workdays:
            start = datetime.combine(day.date, datetime.min.time(), BERLIN) + timedelta(hours=15)
            reserve.append({"technician": f"t{k}", "start": start,
                            "end": start + timedelta(hours=1), "reason": "incident reserve"})
    plan = Plan.model_validate({"scenario": "large", "status": "feasible",
                                "assignments": assignments, "reserve": reserve})
    began = time.perf_counter()
    result = evaluate(prepared, plan)
    assert time.perf_counter() - began < 5
    assert result.ok, result.violations[:3]
    assert result.kpis["scheduled_items"] == 5000


# -- inline scenarios --------------------------------------------------------------------------
def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "scenario.yaml"
    path.write_text(text)
    return path


WEEK = '{mon: "08:00-16:00", tue: "08:00-16:00", wed: "08:00-16:00", thu: "08:00-16:00", ' \
       'fri: "08:00-16:00"}'

DUTY_SCENARIO = f"""
name: Duty week
horizon: {{start: 2026-03-02, days: 7}}
skills: [net]
technicians:
  - {{id: a, skills: [net], hours: {WEEK}, max_hours_per_day: 4}}
  - {{id: b, skills: [net], hours: {WEEK}}}
projects:
  - {{id: p, tasks: [{{id: t1, effort: 6h, skills: [net]}}]}}
buffer: {{policy: duty, duty: 1}}
"""
DUTY_WORK: dict[tuple[str, int], Slot] = {
    ("t1", 1): ("b", "03-02 08:00", "03-02 11:00"),
    ("t1", 2): ("b", "03-02 11:00", "03-02 14:00"),
}


def duty_for(tech: str) -> list[tuple[str, str, str, str]]:
    days = [date(2026, 3, 2) + timedelta(days=k) for k in range(5)]
    return [(tech, f"{d:%m-%d} 08:00", f"{d:%m-%d} 16:00", "incident duty") for d in days]


WINDOW_SCENARIO = f"""
name: Window
horizon: {{start: 2026-03-02, days: 7}}
technicians:
  - {{id: a, hours: {WEEK}}}
  - {{id: b, hours: {WEEK}, after_hours: true}}
customers:
  - {{id: c, maintenance_windows: [{{days: [mon], time: "18:00-22:00"}}]}}
maintenance:
  - {{id: m1, customer: c, effort: 2h, in_window: true}}
"""

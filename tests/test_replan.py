"""Replanning with a frozen horizon: pins, releases, the change penalty, the checker's rule 9."""

from __future__ import annotations

import json
from datetime import date, timedelta
from pathlib import Path

import pytest
import yaml

from models.check import evaluate
from models.io import load_scenario
from models.plan import Plan
from models.prepare import Prepared, prepare
from models.replan import anchor, freeze_end
from models.scenario import Scenario
from models.scenario_calendar import Absence
from solver.solve import PlanResult, SolveParams, solve

ROOT = Path(__file__).resolve().parents[1]
DEMO = ROOT / "scenarios" / "demo.yaml"


@pytest.fixture(scope="module")
def demo() -> Scenario:
    return load_scenario(DEMO)


@pytest.fixture(scope="module")
def base(demo: Scenario) -> PlanResult:
    """The plan technicians were given: the demo, solved once."""
    result = solve(demo, SolveParams(time_limit=5))
    assert not result.violations
    return result


def ill(scenario: Scenario, who: str, first: date, last: date) -> Scenario:
    """The scenario with technician ``who`` off sick from ``first`` to ``last``."""
    technicians = [
        t.model_copy(update={"absences": [*t.absences, Absence(start=first, end=last)]})
        if t.id == who
        else t
        for t in scenario.technicians
    ]
    return scenario.model_copy(update={"technicians": technicians})


def moved(anchored: Prepared, plan: Plan) -> int:
    """Items of the previous plan that ``plan`` moves, gives to someone else, or drops."""
    kpis = evaluate(anchored, plan).kpis
    return int(kpis["moved_items"] + kpis["reassigned_items"] + kpis["dropped_items"])


def test_freeze_end_counts_working_days_or_elapsed_time(demo: Scenario) -> None:
    prepared = prepare(demo)  # starts Monday 2026-03-02
    assert prepared.moment(freeze_end(prepared, "2d")).date() == date(2026, 3, 4)
    assert freeze_end(prepared, "36h") == 36 * 60
    with pytest.raises(ValueError, match="working days"):
        freeze_end(prepared, "1d2h")


def test_replan_after_an_absence_keeps_the_frozen_days_and_moves_less(
    demo: Scenario, base: PlanResult
) -> None:
    prepared = prepare(ill(demo, "anna", date(2026, 3, 3), date(2026, 3, 5)))
    replan = anchor(prepared, base.plan, freeze_end(prepared, "2d"))
    assert replan.pinned, "the first two days of the demo have work to freeze"
    anna_on_tuesday = [
        a.item
        for a in base.plan.assignments
        if a.technician == "anna" and a.start.date() == date(2026, 3, 3)
    ]
    assert set(anna_on_tuesday) <= {r.item for r in replan.released}
    assert all("anna" in r.reason or "predecessor" in r.reason for r in replan.released)

    again = solve(replan.prepared, SolveParams(time_limit=5))
    verdict = evaluate(replan.prepared, again.plan)
    assert verdict.ok, [v.message for v in verdict.violations]
    assert again.objective == pytest.approx(verdict.objective)
    assert again.solver_objective == pytest.approx(again.objective)
    assert verdict.kpis["frozen_items"] == len(replan.pinned)

    scratch = solve(prepared, SolveParams(time_limit=5))
    assert moved(replan.prepared, again.plan) < moved(replan.prepared, scratch.plan)


def test_a_plan_that_moves_frozen_work_breaks_rule_9(demo: Scenario, base: PlanResult) -> None:
    prepared = prepare(demo)
    replan = anchor(prepared, base.plan, freeze_end(prepared, "2d"))
    assert evaluate(replan.prepared, base.plan).ok
    frozen = next(a for a in base.plan.assignments if a.item in replan.pinned)
    later = timedelta(minutes=15)
    shifted = [
        a.model_copy(update={"start": a.start + later, "end": a.end + later}) if a == frozen else a
        for a in base.plan.assignments
    ]
    broken = evaluate(replan.prepared, base.plan.model_copy(update={"assignments": shifted}))
    assert any(v.rule == 9 and v.item == frozen.item for v in broken.violations)


def test_replan_of_an_unchanged_scenario_is_no_worse_than_the_old_plan(
    demo: Scenario, base: PlanResult
) -> None:
    """The old plan is still feasible with no change, and the engines only ever improve."""
    replan = anchor(prepare(demo), base.plan)
    again = solve(replan.prepared, SolveParams(time_limit=3))
    assert evaluate(replan.prepared, again.plan).ok
    assert again.objective <= base.objective + 1e-6


def test_cli_replan_writes_the_frozen_period_and_check_verifies_it(
    demo: Scenario, base: PlanResult, tmp_path: Path, cli
) -> None:  # type: ignore[no-untyped-def]
    old = tmp_path / "old.json"
    old.write_text(base.plan.model_dump_json())
    data = yaml.safe_load(DEMO.read_text())
    data["technicians"][0]["absences"] = [{"start": "2026-03-03", "end": "2026-03-04"}]
    for tech in data["technicians"]:  # relative to the demo's folder
        if "absences_ics" in tech:
            tech["absences_ics"] = str(DEMO.parent / tech["absences_ics"])
    scenario = tmp_path / "ill.yaml"
    scenario.write_text(yaml.safe_dump(data))
    run = cli(
        "solve",
        str(scenario),
        "--out",
        str(tmp_path / "new"),
        "--time-limit",
        "3",
        "--previous",
        str(old),
        "--freeze",
        "2d",
    )
    assert run.code == 0, run.err
    assert "items frozen" in run.out
    assert "released" in run.out
    plan = json.loads((tmp_path / "new" / "plan.json").read_text())
    assert plan["frozen_until"].startswith("2026-03-04T00:00:00")
    assert plan["released"]
    assert all(r["technician"] == data["technicians"][0]["id"] for r in plan["released"])
    checked = cli(
        "check",
        str(scenario),
        str(tmp_path / "new" / "plan.json"),
        "--previous",
        str(old),
        "--freeze",
        "2d",
    )
    assert checked.code == 0, checked.out
    unverified = cli("check", str(scenario), str(tmp_path / "new" / "plan.json"))
    assert "froze work until 2026-03-04 00:00; give --previous" in unverified.out
    # the old plan breaks the new scenario: anna is ill on the frozen Tuesday
    assert cli("check", str(scenario), str(old), "--previous", str(old), "--freeze", "2d").code == 1


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["--freeze", "2d"], "--freeze needs --previous"),
        (["--previous", "PLAN", "--freeze", "2x"], "is not a duration"),
        (["--previous", "missing.json"], "missing.json"),
    ],
)
def test_cli_replan_rejects_bad_arguments(
    arguments: list[str], message: str, base: PlanResult, tmp_path: Path, cli
) -> None:  # type: ignore[no-untyped-def]
    old = tmp_path / "old.json"
    old.write_text(base.plan.model_dump_json())
    argv = [
        str(old) if a == "PLAN" else str(tmp_path / a) if a.endswith(".json") else a
        for a in arguments
    ]
    run = cli("solve", str(DEMO), "--out", str(tmp_path / "out"), *argv)
    assert run.code == 2
    assert message in run.err
    assert not (tmp_path / "out" / "plan.json").exists()


# -- replans the buffer or the grid makes hard (found in review) ---------------------------
TINY = ROOT / "scenarios" / "tiny"


def _replan_by_cli(cli, tmp_path: Path, old_scenario: Path, new_data: dict) -> dict:  # type: ignore[no-untyped-def]
    """Solve ``old_scenario``, replan ``new_data`` frozen for 2 days; the check must pass."""
    assert cli("solve", str(old_scenario), "--out", str(tmp_path / "old"),
               "--time-limit", "1").code == 0
    new = tmp_path / "new.yaml"
    new.write_text(yaml.safe_dump(new_data, sort_keys=False))
    freeze = ("--previous", str(tmp_path / "old" / "plan.json"), "--freeze", "2d")
    run = cli("solve", str(new), "--out", str(tmp_path / "new"), "--time-limit", "1", *freeze)
    assert run.code == 0, run.out + run.err
    checked = cli("check", str(new), str(tmp_path / "new" / "plan.json"), *freeze)
    assert checked.code == 0, checked.out
    return json.loads((tmp_path / "new" / "plan.json").read_text())


def test_a_bigger_percent_buffer_releases_what_leaves_no_room_for_it(
    cli, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    data = yaml.safe_load((TINY / "design_example.yaml").read_text())
    data["buffer"]["percent"] = 50
    plan = _replan_by_cli(cli, tmp_path, TINY / "design_example.yaml", data)
    assert any("incident buffer" in r["reason"] for r in plan["released"])


@pytest.mark.parametrize(
    ("name", "change"),
    [
        ("duty.yaml", lambda d: d.update(buffer={"policy": "duty", "duty": 2})),
        ("duty.yaml", lambda d: d.update(technicians=d["technicians"][:2])),
        ("forecast.yaml", lambda d: d["incidents"].update(per_day=30)),
    ],
)
def test_frozen_work_leaves_the_duty_and_the_forecast_reserve_their_technicians(
    name: str, change, cli, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    data = yaml.safe_load((TINY / name).read_text())
    change(data)
    plan = _replan_by_cli(cli, tmp_path, TINY / name, data)
    assert plan["released"], "the bigger reserve or the smaller team must release frozen work"


def test_frozen_work_off_a_coarser_grid_is_released(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    assert cli("solve", str(TINY / "duty.yaml"), "--out", str(tmp_path / "old"),
               "--time-limit", "1").code == 0
    old = Plan.model_validate_json((tmp_path / "old" / "plan.json").read_text())
    first = min(old.assignments, key=lambda a: a.start)  # Monday morning: frozen
    off = timedelta(minutes=15 if first.start.minute % 30 == 0 else 0)  # off a 30-minute grid
    moved = [a.model_copy(update={"start": a.start + off, "end": a.end + off})
             if a.item == first.item else a for a in old.assignments]
    (tmp_path / "old.json").write_text(old.model_copy(update={"assignments": moved})
                                       .model_dump_json())
    data = yaml.safe_load((TINY / "duty.yaml").read_text())
    data["slot_minutes"] = 30
    (tmp_path / "new.yaml").write_text(yaml.safe_dump(data, sort_keys=False))
    freeze = ("--previous", str(tmp_path / "old.json"), "--freeze", "2d")
    run = cli("solve", str(tmp_path / "new.yaml"), "--out", str(tmp_path / "new"),
              "--time-limit", "1", *freeze)
    assert run.code == 0, run.out
    assert cli("check", str(tmp_path / "new.yaml"), str(tmp_path / "new" / "plan.json"),
               *freeze).code == 0
    released = json.loads((tmp_path / "new" / "plan.json").read_text())["released"]
    assert {"item": first.item, "technician": first.technician,
            "reason": "its times are off the 30-minute planning grid"} in released


def test_a_previous_plan_of_another_scenario_is_refused(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    assert cli("solve", str(TINY / "forecast.yaml"), "--out", str(tmp_path / "f"),
               "--time-limit", "1").code == 0
    run = cli("solve", str(TINY / "duty.yaml"), "--out", str(tmp_path / "d"),
              "--previous", str(tmp_path / "f" / "plan.json"), "--freeze", "2d")
    assert run.code == 2
    assert "is a plan of 'Tiny forecast', not of 'Tiny duty'" in run.err


def test_a_replan_a_week_later_ignores_the_old_plans_past(demo: Scenario, base: PlanResult) -> None:
    later = demo.model_copy(
        update={"horizon": demo.horizon.model_copy(update={"start": date(2026, 3, 9), "days": 21})}
    )
    prepared = prepare(later)
    replan = anchor(prepared, base.plan, freeze_end(prepared, "2d"))
    assert replan.pinned, "the old plan's second week starts the new horizon: frozen"
    assert all(starts[0] >= 0 for _, starts in replan.prepared.previous.values())
    first_week = {a.item for a in base.plan.assignments if a.start.date() < date(2026, 3, 9)}
    assert not {prepared.items[i].id for i in replan.prepared.previous} & first_week
    again = solve(replan.prepared, SolveParams(time_limit=3))
    assert evaluate(replan.prepared, again.plan).ok

"""Regressions found in review, each named after the bug it pins down."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from models.check import evaluate
from models.io import load_scenario
from models.prepare import prepare
from solver.solve import SolveParams, solve
from ui.cli import main

TINY = Path(__file__).resolve().parents[1] / "scenarios" / "tiny"
WEEK = {d: "08:00-16:00" for d in ("mon", "tue", "wed", "thu", "fri")}


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "s.yaml"
    path.write_text(text)
    return path


def test_absence_off_the_slot_grid_gives_checked_plans(tmp_path: Path) -> None:
    path = _write(
        tmp_path,
        """
name: off grid
horizon: {start: 2026-03-02, days: 2}
buffer: {policy: percent, percent: 20}
technicians:
  - id: a
    hours: {mon: "08:00-16:00", tue: "08:00-16:00"}
    absences: [{start: "2026-03-02T08:00", end: "2026-03-02T08:10"},
               {start: "2026-03-02T12:05", end: "2026-03-02T15:55"}]
projects:
  - {id: p, tasks: [{id: t, effort: 7h}]}
""",
    )
    prepared = prepare(load_scenario(path))
    for method in ("greedy", "cpsat"):
        assert solve(prepared, SolveParams(method=method, time_limit=2, workers=2)).violations == []


def test_touching_working_hours_are_one_stretch(tmp_path: Path) -> None:
    path = _write(
        tmp_path,
        """
name: touching
horizon: {start: 2026-03-02, days: 1}
technicians: [{id: a, hours: {mon: ["08:00-12:00", "12:00-16:00"]}}]
recurring: [{id: r, rule: "FREQ=DAILY", time: "11:00-13:00"}]
""",
    )
    result = solve(prepare(load_scenario(path)), SolveParams(time_limit=2, workers=2))
    assert result.plan.unscheduled == []
    assert result.violations == []


def test_forecast_plan_without_profile_breaks_rule_7() -> None:
    prepared = prepare(load_scenario(TINY / "forecast.yaml"))
    plan = solve(prepared, SolveParams(method="greedy")).plan
    stripped = plan.model_copy(update={"reserve_profile": [], "reserve": []})
    assert any(v.rule == 7 for v in evaluate(prepared, stripped).violations)


def test_scenario_name_with_markup_prints(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    text = (
        (TINY / "design_example.yaml").read_text().replace("name: Design example", 'name: "[/b] x"')
    )
    path = _write(tmp_path, text)
    assert main(["solve", str(path), "--out", str(tmp_path / "o"), "--method", "greedy"]) == 0
    assert "[/b] x" in capsys.readouterr().out


def test_unwritable_out_path_is_named(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "file").write_text("x")
    out = tmp_path / "file" / "sub"
    assert main(["solve", str(TINY / "design_example.yaml"), "--out", str(out)]) == 2
    assert "cannot write" in capsys.readouterr().err


@pytest.mark.parametrize(
    "args", [["--seed", "99999999999"], ["--time-limit", "inf"], ["--time-limit", "nan"]]
)
def test_out_of_range_solver_arguments(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], args: list[str]
) -> None:
    assert main(["solve", str(TINY / "design_example.yaml"), "--out", str(tmp_path), *args]) == 2
    assert "must" in capsys.readouterr().err


def test_plan_with_naive_or_absurd_times_is_bad_input(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    scenario = TINY / "design_example.yaml"
    assert main(["solve", str(scenario), "--out", str(tmp_path), "--method", "greedy"]) == 0
    plan = json.loads((tmp_path / "plan.json").read_text())
    plan["assignments"][0]["start"] = "0001-01-01T08:00:00+01:00"
    plan["assignments"][1]["end"] = "2026-03-02T08:00:00"
    (tmp_path / "bad.json").write_text(json.dumps(plan))
    assert main(["check", str(scenario), str(tmp_path / "bad.json")]) == 2
    err = capsys.readouterr().err
    assert "1900..2200" in err
    assert "no UTC offset" in err


def test_written_files_follow_the_umask(tmp_path: Path) -> None:
    """mkstemp makes 0600 files; written files get the mode any other file would."""
    scenario = str(TINY / "design_example.yaml")
    previous = os.umask(0o022)
    try:
        assert main(["solve", scenario, "--out", str(tmp_path), "--method", "greedy"]) == 0
    finally:
        os.umask(previous)
    assert (tmp_path / "plan.json").stat().st_mode & 0o777 == 0o644


def test_recurring_blocks_on_daylight_saving_days_keep_their_length(tmp_path: Path) -> None:
    """A block in the skipped hour starts at the first valid instant; none is dropped."""
    path = _write(
        tmp_path,
        """
name: dst recurring
horizon: {start: 2026-03-28, days: 2}
technicians: [{id: a, hours: {sat: "00:00-24:00", sun: "00:00-24:00"}}]
recurring:
  - {id: night, rule: "FREQ=DAILY", time: "02:00-03:00"}
  - {id: late, rule: "FREQ=DAILY", time: "02:30-04:00"}
""",
    )
    prepared = prepare(load_scenario(path))
    assert sorted(item.id for item in prepared.items) == [
        "late@2026-03-28",
        "late@2026-03-29",
        "night@2026-03-28",
        "night@2026-03-29",
    ]
    assert all(
        item.effort == (60 if item.id.startswith("night") else 90) for item in prepared.items
    )
    result = solve(prepared, SolveParams(time_limit=2, workers=2))
    assert result.violations == []
    assert result.best_bound is not None
    assert result.best_bound <= result.objective + 1e-6

"""`mspplan solve` and `mspplan check` from the command line: files, verdicts, exit codes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ui.cli import main

EXAMPLE = Path(__file__).resolve().parents[1] / "scenarios" / "tiny" / "design_example.yaml"


@pytest.fixture(scope="module")
def solved(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A plan of the design example, solved once for this module."""
    out = tmp_path_factory.mktemp("plan")
    assert main(["solve", str(EXAMPLE), "--out", str(out), "--time-limit", "3"]) == 0
    return out / "plan.json"


def test_solve_writes_a_plan_that_checks(solved: Path, capsys: pytest.CaptureFixture[str]) -> None:
    plan = json.loads(solved.read_text())
    assert plan["status"] in ("optimal", "feasible")
    assert plan["objective"] is not None
    assert not list(solved.parent.glob(".*.tmp")), "no temporary file may stay behind"
    assert main(["check", str(EXAMPLE), str(solved)]) == 0
    assert ": ok; objective" in capsys.readouterr().out


def test_greedy_method_writes_a_plan(tmp_path: Path) -> None:
    assert main(["solve", str(EXAMPLE), "--out", str(tmp_path), "--method", "greedy"]) == 0
    assert json.loads((tmp_path / "plan.json").read_text())["method"] == "greedy"


def test_check_reports_a_broken_plan(
    solved: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    plan = json.loads(solved.read_text())
    first = plan["assignments"][0]
    plan["assignments"].append({**first, "item": first["item"]})  # the same work twice
    broken = tmp_path / "broken.json"
    broken.write_text(json.dumps(plan))
    assert main(["check", str(EXAMPLE), str(broken)]) == 1
    assert "rule" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["--time-limit", "0"], "--time-limit must be positive"),
        (["--time-limit", "-3"], "--time-limit must be positive"),
    ],
)
def test_solve_rejects_bad_arguments(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], args: list[str], words: str
) -> None:
    assert main(["solve", str(EXAMPLE), "--out", str(tmp_path), *args]) == 2
    assert words in capsys.readouterr().err


def test_solve_refuses_an_out_path_that_is_a_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    target = tmp_path / "plan"
    target.write_text("keep me")
    assert main(["solve", str(EXAMPLE), "--out", str(target)]) == 2
    assert "not a directory" in capsys.readouterr().err
    assert target.read_text() == "keep me"


def test_check_names_a_bad_plan_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "plan.json"
    bad.write_text("{not json")
    assert main(["check", str(EXAMPLE), str(bad)]) == 2
    err = capsys.readouterr().err
    assert str(bad) in err
    assert "Traceback" not in err


def test_solve_on_a_broken_scenario_writes_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    scenario = tmp_path / "s.yaml"
    scenario.write_text("name: x\nhorizon: {start: 2026-03-02, days: 0}\n")
    assert main(["solve", str(scenario), "--out", str(tmp_path / "out")]) == 2
    assert "horizon.days" in capsys.readouterr().err
    assert not (tmp_path / "out").exists()


def test_live_progress_says_when_the_bound_is_not_computed_yet() -> None:
    """The greedy's plan is reported at once, before the bound is computed (NaN); the words
    on the terminal say so, and show the bound once the search has it."""
    import math

    from models.io import load_scenario
    from solver.solve import SolveParams, solve
    from ui.solve_view import best_so_far

    reports: list[tuple[float, float]] = []
    solve(
        load_scenario(Path("scenarios/demo.yaml")),
        SolveParams(time_limit=2, seed=0),
        progress=lambda _elapsed, objective, bound: reports.append((objective, bound)),
    )
    objective, bound = reports[0]
    assert math.isnan(bound)
    assert best_so_far(objective, bound) == f"objective {objective:,.1f}, bound not computed yet"
    objective, bound = reports[-1]
    assert not math.isnan(bound)
    assert best_so_far(objective, bound) == f"objective {objective:,.1f}, bound {bound:,.1f}"
    assert best_so_far(None, None) == "no plan yet"

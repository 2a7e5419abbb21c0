"""The planner benchmark's report: the hand-written reading survives a new run, and the spread
of repeated runs is what they measured."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

RUN = Path(__file__).resolve().parents[1] / "benchmarks" / "run.py"


@pytest.fixture(scope="module")
def bench():
    """benchmarks/run.py as a module (the folder is not a package)."""
    spec = importlib.util.spec_from_file_location("bench_run", RUN)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_reading_below_the_tables_is_kept(bench, tmp_path: Path) -> None:
    results = tmp_path / "RESULTS.md"
    assert bench.kept_below(results) == ""
    results.write_text(f"# old\n\n| a |\n|---|\n| 1 |\n\n{bench.KEPT_BELOW}\n\nM varies.\n")
    assert bench.kept_below(results) == "M varies."
    results.write_text("# no marker\n\n| a |\n")
    assert bench.kept_below(results) == ""


def test_spread_of_runs_gives_median_and_range_per_size(bench) -> None:
    def run(size: str, final: float, out: int) -> dict:
        return {
            "size": size,
            "final_objective": final,
            "unscheduled_items": out,
            "greedy_objective": 100.0,
            "checker_violations": 0,
        }

    rows = [run("S", 2, 0), run("S", 4719, 1), run("S", 5, 0), run("M", 10, 0)]
    rows.append({"size": "L", "seed": 0, "error": "exit code 1"})
    summary = {row["size"]: row for row in bench.spread_of_runs(rows)}
    assert set(summary) == {"S", "M"}
    assert summary["S"]["runs"] == 3
    assert summary["S"]["final_objective_median"] == 5
    assert (summary["S"]["final_objective_min"], summary["S"]["final_objective_max"]) == (2, 4719)
    assert (summary["S"]["unscheduled_items_min"], summary["S"]["unscheduled_items_max"]) == (0, 1)


@pytest.fixture(scope="module")
def floor(bench):
    """benchmarks/spread_floor.py as a module; it imports its neighbour run.py."""
    import sys

    sys.path.insert(0, str(RUN.parent))
    try:
        spec = importlib.util.spec_from_file_location(
            "spread_floor", RUN.parent / "spread_floor.py"
        )
        assert spec is not None
        assert spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        sys.modules[spec.name] = module  # its dataclass looks itself up there
        spec.loader.exec_module(module)
    finally:
        sys.path.remove(str(RUN.parent))
    return module


@pytest.mark.parametrize(("requests", "proven"), [(["4h"], True), (["4h", "4h"], False)])
def test_a_spread_of_zero_is_proven_impossible_only_where_it_is(
    floor, requests: list[str], proven: bool
) -> None:
    """Anna and Ben, one Monday: one 4 h request leaves one of them idle (a spread of 50
    points, and leaving it out costs more), two can be shared evenly."""
    from conftest import monday_request, monday_team

    from solver.solve import SolveParams, solve

    technicians = [{"id": name, "skills": ["m365"]} for name in ("anna", "ben")]
    requests = [monday_request(f"sr{k}", "m365", effort) for k, effort in enumerate(requests)]
    prepared = monday_team(technicians, requests)
    plan = solve(prepared, SolveParams(time_limit=1, seed=0)).plan
    found = floor.spread_floor(prepared, plan, seconds=10)
    assert found.status == "OPTIMAL"
    assert found.proven is proven
    assert (found.outside or 0) > 0 if proven else found.outside == 0

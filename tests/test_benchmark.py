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


IN_TURN = RUN.parent / "in_turn.py"


@pytest.fixture(scope="module")
def in_turn():
    """benchmarks/in_turn.py as a module; it imports its neighbour run.py."""
    import sys

    sys.path.insert(0, str(RUN.parent))
    try:
        spec = importlib.util.spec_from_file_location("in_turn", IN_TURN)
        assert spec is not None
        assert spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
    finally:
        sys.path.remove(str(RUN.parent))
    return module


def test_in_turn_counts_points_wins_and_the_target_over_seeds_both_have(in_turn) -> None:
    """Seed 2 has no plan of b: the summary counts seeds 0 and 1 only, and names the error."""

    def run(root: str, seed: int, objective: float) -> dict:
        gap = (objective - 40) / objective  # against a bound of 40
        return {"root": root, "seed": seed, "objective": objective, "gap": gap, "violations": 0}

    runs = [run("a", 0, 41.0), run("b", 0, 50.0), run("a", 1, 60.0), run("b", 1, 42.0)]
    runs += [run("a", 2, 41.0), {"root": "b", "seed": 2, "error": "MemoryError"}]
    lines = in_turn.summary(runs, ["a", "b"])
    assert lines[0] == "2 seeds with a plan from both: 0, 1"
    within = "within 5% of the bound in 1, violations 0"
    assert lines[1] == f"a: 101.0 points in all, better in 1, {within}"
    assert lines[2] == f"b: 92.0 points in all, better in 1, {within}"
    assert lines[3] == "b, seed 2: no plan (MemoryError)"


def test_in_turn_reads_a_range_or_a_list_of_seeds(in_turn) -> None:
    assert in_turn.seeds_of("10-13") == [10, 11, 12, 13]
    assert in_turn.seeds_of("3,5") == [3, 5]
    with pytest.raises(ValueError, match="invalid literal"):
        in_turn.seeds_of("ten")


def test_in_turn_runs_two_checkouts_and_checks_their_plans(tmp_path: Path) -> None:
    """This checkout against itself on S for 2 s: a checked plan from each, one line each in
    --out; a folder that holds no planner, or no time limit, is refused with what is wrong."""
    import json
    import subprocess
    import sys

    root = RUN.parents[1]
    out = tmp_path / "runs.jsonl"
    command = [sys.executable, str(IN_TURN), str(root), "--size", "S", "--time-limit", "2"]
    done = subprocess.run(
        [*command, "--seeds", "0", "--out", str(out)], capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    runs = [json.loads(line) for line in out.read_text().splitlines()]
    assert [(r["seed"], r["violations"]) for r in runs] == [(0, 0), (0, 0)]
    assert "1 seeds with a plan from both: 0" in done.stdout
    refused = subprocess.run([*command[:2], str(tmp_path)], capture_output=True, text=True)
    assert refused.returncode == 2
    assert f"{tmp_path}: no planner checkout there" in refused.stderr
    no_time = subprocess.run([*command[:3], "--time-limit", "0"], capture_output=True, text=True)
    assert no_time.returncode == 2
    assert "--time-limit must be above 0 seconds, not 0" in no_time.stderr


TAILS = RUN.parent / "tails.py"


def test_tails_saves_plans_and_replays_the_rest_of_the_run_for_two_checkouts(
    tmp_path: Path,
) -> None:
    """S for 2 s, seed 0: a saved plan, then the rest of the run from it by this checkout
    against itself, a checked plan each; a folder without saved plans is refused."""
    import json
    import subprocess
    import sys

    root, plans, out = RUN.parents[1], tmp_path / "plans", tmp_path / "runs.jsonl"
    command = [sys.executable, str(TAILS)]
    save = [*command, "save", str(plans), "--size", "S", "--time-limit", "2", "--seeds", "0"]
    saved = subprocess.run(save, capture_output=True, text=True)
    assert saved.returncode == 0, saved.stderr
    assert [path.name for path in plans.iterdir()] == ["S_0.pkl"]
    assert json.loads(saved.stdout)["at"] > 0  # S: the passes of the first search take all 2 s
    replay = [*command, "replay", str(plans), str(root), "--seeds", "0", "--out", str(out)]
    done = subprocess.run(replay, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    runs = [json.loads(line) for line in out.read_text().splitlines()]
    assert [(r["seed"], r["violations"]) for r in runs] == [("S_0/0", 0), ("S_0/0", 0)]
    assert "1 seeds with a plan from both: S_0/0" in done.stdout
    empty = subprocess.run([*command, "replay", str(tmp_path), str(root)], capture_output=True)
    assert empty.returncode == 2
    assert b"no saved plans there" in empty.stderr


SPEED = RUN.parent / "speed.py"


def test_speed_times_both_checkouts_on_the_same_work(tmp_path: Path) -> None:
    """This checkout against itself on S: every stage makes the same plan in both, the
    summary says so and compares their fewest seconds; bad arguments are refused."""
    import subprocess
    import sys

    command = [sys.executable, str(SPEED), str(RUN.parents[1]), "--size", "S"]
    done = subprocess.run([*command, "--repeats", "2"], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    summary = done.stdout.strip().splitlines()[-3:]
    assert [line.split(":")[0] for line in summary] == ["greedy", "squeaky", "passes"]
    assert all(line.endswith("; the same plan") for line in summary), summary
    assert all("of the other's time" in line for line in summary), summary
    refused = subprocess.run([*command, "--repeats", "0"], capture_output=True, text=True)
    assert refused.returncode == 2
    assert "--repeats must be 1 or more, not 0" in refused.stderr
    elsewhere = subprocess.run([*command[:2], str(tmp_path)], capture_output=True, text=True)
    assert elsewhere.returncode == 2
    assert f"{tmp_path}: no planner checkout there" in elsewhere.stderr

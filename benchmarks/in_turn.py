"""Two checkouts of the planner in turn on one generated size: per seed, this checkout's run,
then the other's, one after the other (never side by side: each run takes every core).

Where a 60 s run of M ends depends more on its luck, and on how busy the shared machine is
at the time, than most changes move it (``RESULTS.md``, sessions 20-22): a change needs
runs in turn with the code before it, over many seeds, to tell.

    python benchmarks/in_turn.py OTHER [--size M] [--time-limit 60] [--seeds 10-19]
                                 [--out FILE]

OTHER is the folder of another checkout (a git worktree, say). Each run is a child process
with its checkout first on ``sys.path``; it prints one line of JSON, and ``--out`` gets each
line as it comes, so a long comparison loses nothing when stopped. The summary: points in
all, runs better and worse, runs within 5 % of their own lower bound (M's target), checker
violations.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

from run import SIZES  # this folder's benchmark: the same generated sizes

HERE = Path(__file__).resolve()
TARGET_GAP = 0.05


def prepared_of(root: str, size: str) -> Any:
    """The generated scenario of ``size``, prepared by ``root``'s code (call it in a fresh
    process: it puts ``root`` first on ``sys.path``)."""
    sys.path.insert(0, root)
    from models.prepare import prepare
    from models.scenario import Scenario
    from scenarios.generate import TARGET_LOAD, generate_scenario

    technicians, weeks, scenario_seed, load = SIZES[size]
    data = generate_scenario(technicians, weeks, seed=scenario_seed, load=load or TARGET_LOAD)
    return prepare(Scenario.model_validate(data))


def run_line(root: str, seed: object, result: Any) -> dict:
    """What a comparison keeps of one run's checked plan (a ``PlanResult``)."""
    return {
        "root": root,
        "seed": seed,
        "objective": round(result.objective, 3),
        "bound": result.best_bound,
        "gap": result.gap,
        "terms": rounded(result.terms),
        "violations": len(result.violations),
    }


def rounded(terms: dict[str, float]) -> dict[str, float]:
    return {name: round(points, 3) for name, points in terms.items()}


def run_one(root: str, size: str, seed: int, time_limit: float) -> dict:
    """One checked run of ``root``'s planner (call it in a fresh process: it imports from
    ``root``)."""
    prepared = prepared_of(root, size)
    from solver.solve import SolveParams, solve

    result = solve(prepared, SolveParams(time_limit=time_limit, seed=seed))
    return {**run_line(root, seed, result), "seconds": round(result.runtime, 1)}


def in_child(script: Path, *arguments: str) -> dict:
    """``script``'s last line of JSON, run in a child process; {"error": ...} if it fails."""
    done = subprocess.run([sys.executable, str(script), *arguments], capture_output=True, text=True)
    if done.returncode != 0:
        tail = done.stderr.strip().splitlines()[-1:] or [f"exit code {done.returncode}"]
        return {"error": tail[0]}
    return json.loads(done.stdout.strip().splitlines()[-1])


def emit(run: dict, out: Path | None) -> None:
    """Print one run's JSON line, and append it to ``out`` as it comes."""
    print(json.dumps(run), flush=True)
    if out is not None:
        with out.open("a") as file:
            file.write(json.dumps(run) + "\n")


def is_checkout(folder: Path) -> bool:
    return (folder / "solver" / "solve.py").is_file()


def within_target(run: dict) -> bool:
    return run["gap"] is not None and run["gap"] <= TARGET_GAP


def summary(runs: list[dict], roots: list[str]) -> list[str]:
    """Per checkout: points in all, runs better than the other's, runs within the target."""
    by_root = {
        root: {r["seed"]: r for r in runs if r["root"] == root and "error" not in r}
        for root in roots
    }
    seeds = sorted(set.intersection(*(set(found) for found in by_root.values())))
    lines = [f"{len(seeds)} seeds with a plan from both: {', '.join(map(str, seeds))}"]
    for root, other in (roots, roots[::-1]):
        mine = [by_root[root][s] for s in seeds]
        better = sum(m["objective"] < by_root[other][m["seed"]]["objective"] - 1e-6 for m in mine)
        lines.append(
            f"{root}: {sum(m['objective'] for m in mine):,.1f} points in all, better in "
            f"{better}, within {TARGET_GAP:.0%} of the bound in "
            f"{sum(map(within_target, mine))}, violations {sum(m['violations'] for m in mine)}"
        )
    errors = [r for r in runs if "error" in r]
    lines += [f"{r['root']}, seed {r['seed']}: no plan ({r['error']})" for r in errors]
    return lines


def seeds_of(text: str) -> list[int]:
    """'10-19' or '10,12,15'."""
    if "-" in text:
        first, last = (int(part) for part in text.split("-", 1))
        return list(range(first, last + 1))
    return [int(part) for part in text.split(",")]


def main() -> int:
    if sys.argv[1:2] == ["--one"]:
        root, size, seed, limit = sys.argv[2:6]
        print(json.dumps(run_one(root, size, int(seed), float(limit))))
        return 0
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("other", type=Path, help="the other checkout's folder")
    parser.add_argument("--size", default="M", choices=list(SIZES))
    parser.add_argument("--time-limit", type=float, default=60)
    parser.add_argument("--seeds", default="10-19", help="'10-19' or '10,12,15'")
    parser.add_argument("--out", type=Path, help="a file to append each run's JSON line to")
    args = parser.parse_args()
    if args.time_limit <= 0:
        parser.error(f"--time-limit must be above 0 seconds, not {args.time_limit:g}")
    try:
        seeds = seeds_of(args.seeds)
    except ValueError:
        parser.error(f"--seeds: '{args.seeds}' is neither FIRST-LAST nor a list like 10,12,15")
    if not is_checkout(args.other):
        parser.error(f"{args.other}: no planner checkout there (no solver/solve.py)")
    roots = [str(HERE.parents[1]), str(args.other.resolve())]
    runs = []
    for seed in seeds:
        for root in roots:
            arguments = ("--one", root, args.size, str(seed), str(args.time_limit))
            runs.append({"root": root, "seed": seed, **in_child(HERE, *arguments)})
            emit(runs[-1], args.out)
    print("\n".join(summary(runs, roots)))
    return 0


if __name__ == "__main__":
    sys.exit(main())

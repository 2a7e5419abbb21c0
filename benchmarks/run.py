"""Planner benchmark: generated S / M / L scenarios and the overloaded S+ / M+, greedy vs.
CP-SAT, measured figures only.

Protocol: each size is generated with a fixed seed and solved in its own process (so peak
memory is that size's: that process's peak plus its largest child's, the second first
search of large scenarios, ``solver.portfolio``). Greedy first (it is also CP-SAT's hint),
then one CP-SAT run whose incumbent objective is read at the checkpoints; the final plan
goes through the checker.
Gap = (objective - lower bound) / objective with the larger of CP-SAT's bound and ours
(see ``SIZES`` for where it says something).
With ``--repeats N`` each size is solved N times, with search seeds 0..N-1, and a second
table gives the median and range of the final objective: single runs of the same size
differ by up to a factor of ten (one long task left out or not).

The report replaces the tables at the top of ``--out`` and keeps what is written below them.

    python benchmarks/run.py [--sizes S,M,L,S+,M+] [--time-limit 60] [--repeats 1]
                             [--out benchmarks/RESULTS.md]
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import platform
import resource
import statistics
import sys
import tempfile
import time
from pathlib import Path

SIZES: dict[str, tuple[int, int, int, float | None]] = {
    # name: (technicians, weeks, seed, load; None: the generator's, all work fits)
    "S": (10, 2, 1, None),
    "M": (50, 4, 1, None),
    "L": (200, 8, 1, None),
    "S+": (10, 2, 1, 1.2),
    "M+": (50, 4, 1, 1.2),
}
"""S, M and L: the team can carry all their work, no technician group is short of capacity,
and every lower bound that counts capacity is 0, so their gap says nothing. S+ and M+ are S
and M with 20 % more work than the capacity left after the buffer: what is left out there
is bounded from below, and their gap bounds how far a plan can be from the best one."""
CHECKPOINTS = (10, 30, 60)


def run_size(name: str, time_limit: float, seed: int, queue: multiprocessing.Queue) -> None:
    """Generate, solve and check one size; put a dict of measured figures on ``queue``."""
    from models.io import load_scenario
    from models.prepare import prepare
    from scenarios.generate import TARGET_LOAD, write_generated
    from solver.solve import SolveParams, solve

    technicians, weeks, scenario_seed, load = SIZES[name]
    load = load or TARGET_LOAD
    path = Path(tempfile.mkdtemp()) / f"{name}.yaml"
    write_generated(path, technicians=technicians, weeks=weeks, seed=scenario_seed, load=load)
    started = time.perf_counter()
    prepared = prepare(load_scenario(path))
    prepare_seconds = time.perf_counter() - started
    greedy = solve(prepared, SolveParams(method="greedy"))
    trace: list[tuple[float, float]] = []
    cpsat = solve(
        prepared,
        SolveParams(time_limit=time_limit, seed=seed),
        progress=lambda elapsed, objective, bound: trace.append((elapsed, objective)),
    )
    at = {
        f"objective_at_{c}s": min((o for t, o in trace if t <= c), default=None)
        for c in CHECKPOINTS
        if c <= time_limit
    }
    queue.put(
        {
            "size": name,
            "seed": seed,
            "technicians": technicians,
            "weeks": weeks,
            "load": load,
            "items": len(prepared.items),
            "prepare_s": round(prepare_seconds, 2),
            "greedy_s": round(greedy.runtime, 2),
            "greedy_objective": round(greedy.objective, 1),
            "greedy_violations": len(greedy.violations),
            "cpsat_status": cpsat.status,
            "cpsat_method": cpsat.plan.method,
            "first_plan_s": round(cpsat.first_plan_seconds or 0, 2),
            **at,
            "final_objective": round(cpsat.objective, 1),
            **{f"final_{name}": round(value, 1) for name, value in cpsat.terms.items()},
            "lower_bound": None if cpsat.best_bound is None else round(cpsat.best_bound, 1),
            "gap": None if cpsat.gap is None else round(cpsat.gap, 4),
            "vs_greedy": round(cpsat.objective / greedy.objective, 4) if greedy.objective else None,
            "solve_s": round(cpsat.runtime, 1),
            "unscheduled_items": cpsat.plan.kpis["unscheduled_items"],
            "checker_violations": len(cpsat.violations),
            "peak_memory_mb": round(_peak_kib() / 1024),
        }
    )


def _peak_kib() -> int:
    """This process's peak resident memory plus its largest ended child's (the two first
    searches run at the same time): an upper bound of their joint peak."""
    return sum(
        resource.getrusage(who).ru_maxrss
        for who in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN)
    )


def measure(name: str, time_limit: float, seed: int) -> dict:
    queue: multiprocessing.Queue = multiprocessing.get_context("spawn").Queue()
    process = multiprocessing.get_context("spawn").Process(
        target=run_size, args=(name, time_limit, seed, queue)
    )
    process.start()
    process.join()
    if process.exitcode != 0:
        return {"size": name, "seed": seed, "error": f"exit code {process.exitcode}"}
    return queue.get()


def spread_of_runs(rows: list[dict]) -> list[dict]:
    """Per size: median and range of the final objective and of the items left out."""
    summary = []
    for name in dict.fromkeys(row["size"] for row in rows):
        runs = [row for row in rows if row["size"] == name and "final_objective" in row]
        if not runs:
            continue
        final = [row["final_objective"] for row in runs]
        out = [row["unscheduled_items"] for row in runs]
        summary.append(
            {
                "size": name,
                "runs": len(runs),
                "final_objective_median": statistics.median(final),
                "final_objective_min": min(final),
                "final_objective_max": max(final),
                "unscheduled_items_min": min(out),
                "unscheduled_items_max": max(out),
                "greedy_objective": runs[0]["greedy_objective"],
                "checker_violations": sum(row["checker_violations"] for row in runs),
            }
        )
    return summary


KEPT_BELOW = "<!-- Measured tables end here; what follows is written by hand and kept. -->"


def kept_below(path: Path) -> str:
    """What ``path`` says below the measured tables (their reading), to keep it."""
    text = path.read_text() if path.exists() else ""
    return text.split(KEPT_BELOW, 1)[1].strip() if KEPT_BELOW in text else ""


def machine() -> str:
    from ortools import __version__ as ortools_version

    cpu = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        ),
        platform.processor(),
    )
    memory = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    return (
        f"{cpu}, {os.cpu_count()} cores, {memory:.0f} GiB; Python {platform.python_version()}, "
        f"OR-Tools {ortools_version}"
    )


def table(rows: list[dict]) -> str:
    columns = [key for key in rows[0] if all(key in row for row in rows)] if rows else []
    lines = ["| " + " | ".join(columns) + " |", "|" + "---|" * len(columns)]
    lines += ["| " + " | ".join(str(row.get(c, "")) for c in columns) + " |" for row in rows]
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default=",".join(SIZES), help=f"of {', '.join(SIZES)}")
    parser.add_argument("--time-limit", type=float, default=60)
    parser.add_argument("--repeats", type=int, default=1, help="runs per size, seeds 0..N-1")
    parser.add_argument("--out", type=Path, default=Path("benchmarks/RESULTS.md"))
    args = parser.parse_args()
    if args.repeats < 1:
        parser.error(f"--repeats must be at least 1, not {args.repeats}")
    sizes = [name.strip() for name in args.sizes.split(",")]
    if unknown := [name for name in sizes if name not in SIZES]:
        parser.error(f"--sizes: unknown {', '.join(unknown)}; the sizes are {', '.join(SIZES)}")
    rows = []
    for name in sizes:
        for seed in range(args.repeats):
            row = measure(name, args.time_limit, seed)
            print(json.dumps(row), flush=True)
            rows.append(row)
    command = (
        f"python benchmarks/run.py --sizes {args.sizes} --time-limit {args.time_limit:g}"
        f" --repeats {args.repeats}"
    )
    report = (
        f"# Planner benchmark\n\nMeasured {time.strftime('%Y-%m-%d')} on {machine()}.\n"
        f"Command: `{command}`\n\n{table(rows)}\n"
    )
    if args.repeats > 1:
        report += f"\nSpread of the runs of each size:\n\n{table(spread_of_runs(rows))}\n"
    report += f"\n{KEPT_BELOW}\n\n{kept_below(args.out)}\n"
    from models.io import write_atomic

    write_atomic(args.out, report)
    print(report)
    return 0


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    sys.exit(main())

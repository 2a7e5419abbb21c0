"""Simulation benchmark: replications of the demo's 4-week plan, measured wall time.

python benchmarks/simulate.py [--runs 1000] [--workers 2]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path


def main() -> int:
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    from models.io import load_scenario
    from models.prepare import prepare
    from solver.simulate import simulate
    from solver.solve import SolveParams, solve

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=1000)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    prepared = prepare(
        load_scenario(Path(__file__).resolve().parents[1] / "scenarios" / "demo.yaml")
    )
    plan = solve(prepared, SolveParams(time_limit=10)).plan
    started = time.perf_counter()
    result = simulate(prepared, plan, runs=args.runs, seed=0, workers=args.workers)
    seconds = time.perf_counter() - started
    summary = result.summary()
    print(f"{args.runs} replications of the demo plan with {args.workers} workers: {seconds:.2f} s")
    print(f"incidents per replication: {sum(c['mean'] for c in summary['incidents'].values()):.1f}")
    print(
        f"displaced hours: {summary['displaced_hours']['mean']:.1f} "
        f"[{summary['displaced_hours']['low']:.1f}, {summary['displaced_hours']['high']:.1f}]"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Replan benchmark: the demo, a technician falls ill, replan frozen for 2 days vs. from scratch.

Prints what it measured: items frozen and released, and how many items of the old plan each
new plan moves, gives to another technician or drops, with objectives and checker verdicts.
Run: ``python benchmarks/replan.py [--time-limit 10] [--who anna]``.
"""

from __future__ import annotations

import argparse
import time
from datetime import date
from pathlib import Path

from models.check import evaluate
from models.io import load_scenario, read_text
from models.parsing import parse_document
from models.prepare import Prepared, prepare
from models.replan import anchor, freeze_end
from models.scenario import Scenario
from models.variant import apply_variant, variant_from_data
from solver.solve import PlanResult, SolveParams, solve

DEMO = Path(__file__).resolve().parents[1] / "scenarios" / "demo.yaml"


def ill(who: str, first: date, last: date) -> Scenario:
    """The demo with ``who`` off sick, as a what-if variant would have it."""
    variant = variant_from_data(
        {"name": f"{who} ill", "changes": [{"absence": {
            "technician": who, "start": str(first), "end": str(last), "reason": "ill"}}]},
        "replan benchmark",
        folder=DEMO.parent,
    )
    data = parse_document(read_text(DEMO), str(DEMO))
    return apply_variant(variant, data, folder=DEMO.parent).scenario


def changes(anchored: Prepared, result: PlanResult) -> str:
    verdict = evaluate(anchored, result.plan)
    k = verdict.kpis
    rules = "ok" if verdict.ok else f"{len(verdict.violations)} frozen or other rules broken"
    return (
        f"objective {result.objective:,.1f}; moved {k['moved_items']}, reassigned "
        f"{k['reassigned_items']}, dropped {k['dropped_items']}; checker with freeze: {rules}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--time-limit", type=float, default=10.0)
    parser.add_argument("--who", default="anna")
    args = parser.parse_args()
    params = SolveParams(time_limit=args.time_limit)
    scenario = load_scenario(DEMO)
    started = time.perf_counter()
    old = solve(scenario, params)
    print(f"old plan: objective {old.objective:,.1f} in {time.perf_counter() - started:.1f} s")
    prepared = prepare(ill(args.who, date(2026, 3, 3), date(2026, 3, 5)))
    replan = anchor(prepared, old.plan, freeze_end(prepared, "2d"))
    print(f"{args.who} ill 2026-03-03..05; freeze 2d: {len(replan.pinned)} items frozen, "
          f"{len(replan.released)} released")
    started = time.perf_counter()
    frozen = solve(replan.prepared, params)
    print(f"replan, frozen ({time.perf_counter() - started:.1f} s): "
          f"{changes(replan.prepared, frozen)}")
    started = time.perf_counter()
    scratch = solve(prepared, params)
    print(f"from scratch ({time.perf_counter() - started:.1f} s): "
          f"{changes(replan.prepared, scratch)}")


if __name__ == "__main__":
    main()

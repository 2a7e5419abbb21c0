"""The engines' own Python work, timed for this checkout and another in turn: the greedy's
rules, rounds of ``solver.squeaky`` and the polish passes from the greedy's plan, each on a
fixed budget of tries (no clock), so that both checkouts do the same work. A change meant
only to be faster shows it here: the same fingerprints, fewer seconds.

    python benchmarks/speed.py OTHER [--size M] [--repeats 5]

Each repeat runs this checkout, then the other, each in a child process. The summary gives
each stage's fewest CPU seconds over the repeats (a shared machine only ever adds time) and
the fingerprint of what it made (plans differ: the change is not only faster).
"""

from __future__ import annotations

import argparse
import hashlib
import math
import random
import sys
import time
from pathlib import Path
from typing import Any

from in_turn import emit, in_child, is_checkout, prepared_of  # this folder's comparison
from run import SIZES

HERE = Path(__file__).resolve()
SQUEAKY_ROUNDS = 10
PASS_SECONDS = 20
"""The passes' budget of tries, as a deterministic run of this many seconds has."""
STAGES = ("greedy", "squeaky", "passes")


def run_one(root: str, size: str) -> dict:
    """Each stage's CPU seconds and fingerprint in ``root``'s code (call it in a fresh
    process: it imports from ``root``)."""
    prepared = prepared_of(root, size)
    from solver.greedy import best_greedy
    from solver.repair import polish
    from solver.squeaky import squeaky_wheel

    stages: dict[str, list] = {}
    started = time.process_time()
    best = best_greedy(prepared, None, math.inf)
    stages["greedy"] = _stage(started, best.schedule)
    started = time.process_time()
    rounds = squeaky_wheel(
        prepared, best, None, random.Random(0), until=None, rounds=SQUEAKY_ROUNDS, report=None
    )
    stages["squeaky"] = _stage(started, rounds)
    started = time.process_time()
    stages["passes"] = _stage(started, polish(prepared, best.schedule, seconds=PASS_SECONDS))
    return {"root": root, **stages}


def _stage(started: float, schedule: Any) -> list:
    """[CPU seconds since ``started``, fingerprint of the ``schedule`` the stage made]."""
    seconds = time.process_time() - started
    text = repr((sorted(schedule.placed.items()), sorted(schedule.reserve)))
    return [round(seconds, 3), hashlib.sha1(text.encode()).hexdigest()[:12]]


def summary(runs: list[dict], roots: list[str]) -> list[str]:
    """Per stage: each checkout's fewest seconds, their ratio, and whether the plans agree."""
    lines = []
    done = [r for r in runs if "error" not in r]
    for stage in STAGES:
        fastest = {
            root: min((r[stage][0] for r in done if r["root"] == root), default=None)
            for root in roots
        }
        prints = {r[stage][1] for r in done}
        this, other = (fastest[root] for root in roots)
        ratio = f"{this / other:.2f} of the other's time" if this and other else "no ratio"
        same = "the same plan" if len(prints) == 1 else f"{len(prints)} different plans"
        lines.append(f"{stage}: {this} s against {other} s, {ratio}; {same}")
    lines += [f"{r['root']}: no result ({r['error']})" for r in runs if "error" in r]
    return lines


def main() -> int:
    if sys.argv[1:2] == ["--one"]:
        root, size = sys.argv[2:4]
        emit(run_one(root, size), None)
        return 0
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("other", type=Path, help="the other checkout's folder")
    parser.add_argument("--size", default="M", choices=list(SIZES))
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    if args.repeats < 1:
        parser.error(f"--repeats must be 1 or more, not {args.repeats}")
    if not is_checkout(args.other):
        parser.error(f"{args.other}: no planner checkout there (no solver/solve.py)")
    roots = [str(HERE.parents[1]), str(args.other.resolve())]
    runs = []
    for _ in range(args.repeats):
        for root in roots:
            runs.append({"root": root, **in_child(HERE, "--one", root, args.size)})
            emit(runs[-1], None)
    print("\n".join(summary(runs, roots)))
    return 0


if __name__ == "__main__":
    sys.exit(main())

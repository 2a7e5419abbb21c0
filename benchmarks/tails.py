"""The end of a run, replayed from saved plans, for two checkouts of the planner in turn.

Where a 60 s run of generated M ends is decided after its first search as much as before:
from one plan, the rest of the run (``solver.solve._polish_to_the_limit``) ends 2.4 times
higher with one search seed than with another (``RESULTS.md``, sessions 23-24). Replaying
that rest from the same saved plans takes the first search's luck out of a comparison of
changes to it.

    python benchmarks/tails.py save DIR [--size M] [--time-limit 60] [--seeds 30-39]
    python benchmarks/tails.py replay DIR OTHER [--seeds 0,1] [--out FILE]

``save`` runs this checkout's planner up to the rest of the run and saves the plan there, and
when it was reached, to DIR (pickles: read them only from a folder of your own). ``replay``
runs the rest from each saved plan with each search seed, this checkout's code, then
OTHER's, in a child process each, and sums up as ``in_turn.py`` does.
"""

from __future__ import annotations

import argparse
import json
import os
import pickle
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from in_turn import emit, in_child, is_checkout, prepared_of, rounded, run_line, seeds_of, summary
from run import SIZES  # this folder's benchmark: the same generated sizes

HERE = Path(__file__).resolve()


class _Reached(Exception):
    """Stops ``solve`` where the rest of the run begins, with the plan it has then."""

    def __init__(self, schedule: Any, at: float) -> None:
        super().__init__("the rest of the run begins")
        self.schedule, self.at = schedule, at


def save_one(folder: Path, size: str, seed: int, time_limit: float) -> dict:
    """This checkout's run of ``size`` up to the rest of the run; its plan saved to
    ``folder`` (call it in a fresh process: it replaces a function of ``solver.solve``)."""
    prepared = prepared_of(str(HERE.parents[1]), size)
    import solver.solve as solve_module
    from solver.objective import schedule_terms

    def reached(prepared: Any, schedule: Any, params: Any, started: float, *rest: Any) -> None:
        raise _Reached(schedule, time.perf_counter() - started)

    solve_module._polish_to_the_limit = reached
    try:
        solve_module.solve(prepared, solve_module.SolveParams(time_limit=time_limit, seed=seed))
    except _Reached as stop:
        saved = {"size": size, "seed": seed, "time_limit": time_limit, "at": stop.at}
        _write(folder / f"{size}_{seed}.pkl", {**saved, "schedule": stop.schedule})
        terms = schedule_terms(prepared, stop.schedule)
        return {**saved, "at": round(stop.at, 1), "terms": rounded(terms)}
    raise RuntimeError("the run ended before the rest of the run began (it found the optimum)")


def replay_one(root: str, path: Path, seed: int) -> dict:
    """The rest of the run from the plan saved in ``path``, by ``root``'s code, with search
    seed ``seed``; checked (call it in a fresh process: it imports from ``root``)."""
    with path.open("rb") as file:
        saved = pickle.load(file)
    prepared = prepared_of(root, saved["size"])
    import solver.solve as solve_module
    from solver.bound import lower_bound

    params = solve_module.SolveParams(time_limit=saved["time_limit"], seed=seed)
    outcome = solve_module.Outcome(
        saved["schedule"], "feasible", "cpsat-lns", lower_bound(prepared)
    )
    started = time.perf_counter() - saved["at"]
    schedule = solve_module._polish_to_the_limit(
        prepared, saved["schedule"], params, started, outcome, None
    )
    result = solve_module.finish(prepared, schedule, outcome, seconds=0.0, first=0.0)
    return run_line(root, f"{path.stem}/{seed}", result)


def _write(path: Path, value: object) -> None:
    """Pickle ``value`` to ``path`` through a temporary file: never half a file."""
    handle, temporary = tempfile.mkstemp(dir=path.parent, suffix=".tmp")
    with os.fdopen(handle, "wb") as file:
        pickle.dump(value, file)
    os.replace(temporary, path)


def _save(args: argparse.Namespace, parser: argparse.ArgumentParser) -> int:
    if args.time_limit <= 0:
        parser.error(f"--time-limit must be above 0 seconds, not {args.time_limit:g}")
    args.folder.mkdir(parents=True, exist_ok=True)
    for seed in _seeds(args.seeds, parser):
        arguments = ("--save-one", str(args.folder), args.size, str(seed), str(args.time_limit))
        emit({"seed": seed, **in_child(HERE, *arguments)}, None)
    return 0


def _replay(args: argparse.Namespace, parser: argparse.ArgumentParser) -> int:
    saved = sorted(args.folder.glob("*.pkl"))
    if not saved:
        parser.error(f"{args.folder}: no saved plans there (make them with 'save')")
    if not is_checkout(args.other):
        parser.error(f"{args.other}: no planner checkout there (no solver/solve.py)")
    roots = [str(HERE.parents[1]), str(args.other.resolve())]
    seeds = _seeds(args.seeds, parser)
    runs = []
    for path in saved:
        for seed in seeds:
            for root in roots:
                run = in_child(HERE, "--replay-one", root, str(path), str(seed))
                runs.append({"root": root, "seed": f"{path.stem}/{seed}", **run})
                emit(runs[-1], args.out)
    print("\n".join(summary(runs, roots)))
    return 0


def _seeds(text: str, parser: argparse.ArgumentParser) -> list[int]:
    try:
        return seeds_of(text)
    except ValueError:
        parser.error(f"--seeds: '{text}' is neither FIRST-LAST nor a list like 0,1")


def main() -> int:
    if sys.argv[1:2] == ["--save-one"]:
        folder, size, seed, limit = sys.argv[2:6]
        print(json.dumps(save_one(Path(folder), size, int(seed), float(limit))))
        return 0
    if sys.argv[1:2] == ["--replay-one"]:
        root, path, seed = sys.argv[2:5]
        print(json.dumps(replay_one(root, Path(path), int(seed))))
        return 0
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    save = commands.add_parser("save", help="run up to the rest of the run; save the plans")
    save.add_argument("folder", type=Path, help="where the plans go")
    save.add_argument("--size", default="M", choices=list(SIZES))
    save.add_argument("--time-limit", type=float, default=60)
    save.add_argument("--seeds", default="30-39", help="'30-39' or '30,32'")
    replay = commands.add_parser("replay", help="the rest of the run from each saved plan")
    replay.add_argument("folder", type=Path, help="where 'save' put the plans")
    replay.add_argument("other", type=Path, help="the other checkout's folder")
    replay.add_argument("--seeds", default="0,1", help="search seeds: '0-3' or '0,1'")
    replay.add_argument("--out", type=Path, help="a file to append each run's JSON line to")
    args = parser.parse_args()
    return (_save if args.command == "save" else _replay)(args, parser)


if __name__ == "__main__":
    sys.exit(main())

"""The ``mspplan`` command line: thin calls into models and solver, clear messages, exit codes.

Exit codes: 0 ok, 1 the plan breaks a rule (check), 2 bad input, 3 a server refused (publish).
"""

from __future__ import annotations

import argparse
import dataclasses
import sys
import time
from collections import Counter
from collections.abc import Sequence
from pathlib import Path

from models.io import load_scenario, write_json
from models.prepare import Prepared, prepare
from models.problems import ScenarioError
from models.replan import Replan, anchor, annotate, freeze_end
from models.scenario_incidents import Buffer
from scenarios.generate import MAX_LOAD, TARGET_LOAD, write_generated

EXIT_OK, EXIT_VIOLATIONS, EXIT_BAD_INPUT = 0, 1, 2


class UsageError(Exception):
    """Bad command-line input that argparse cannot see (e.g. a value out of range)."""


def _hours(minutes: float) -> str:
    return f"{minutes / 60:,.1f} h"


def buffer_text(buffer: Buffer) -> str:
    """What the buffer keeps free, in a planner's words."""
    if buffer.policy == "percent":
        return f"percent: {buffer.percent:g} % of each day kept free"
    if buffer.policy == "duty":
        return f"duty: {buffer.duty} technician(s) a working day on incident duty"
    return f"forecast: reserve for {buffer.service_level:.0%} of P1/P2 incidents answered in time"


def summary_lines(prepared: Prepared) -> list[str]:
    """A one-screen summary of a scenario: team, work by kind, work against capacity."""
    scenario = prepared.scenario
    first, last = prepared.days[0].date, prepared.days[-1].date
    holidays = sorted(d for d in prepared.holidays if first <= d <= last)
    work = Counter(item.kind for item in prepared.items)
    effort: Counter[str] = Counter()
    for item in prepared.items:
        effort[item.kind] += item.effort
    capacity = sum(prepared.capacity(t) for t in prepared.technicians)
    total = sum(effort.values())
    lines = [
        f"Scenario   {scenario.name}",
        f"Horizon    {first} .. {last} ({len(prepared.days)} days, "
        f"{sum(d.working for d in prepared.days)} working days), {scenario.timezone}",
        f"Holidays   {', '.join(f'{d} {prepared.holidays[d]}' for d in holidays) or 'none'}",
        f"Team       {len(prepared.technicians)} technicians, {len(scenario.skills)} skills, "
        f"{len(scenario.customers)} customers",
        "Work       "
        + ", ".join(
            f"{work[kind]} {kind.replace('_', ' ')} items ({_hours(effort[kind])})"
            for kind in ("project", "recurring", "maintenance", "service_request")
        ),
        f"Load       {_hours(total)} of work against {_hours(capacity)} of capacity"
        + (f" ({total / capacity:.0%})" if capacity else ""),
    ]
    if scenario.buffer is not None:
        lines.append(f"Buffer     {buffer_text(scenario.buffer)}")
    return lines


def cmd_validate(args: argparse.Namespace) -> int:
    started = time.perf_counter()
    scenario = load_scenario(args.file)
    loaded = time.perf_counter()
    prepared = prepare(scenario)
    done = time.perf_counter()
    print("\n".join(summary_lines(prepared)))
    if args.timing:
        print(f"Timing     load {loaded - started:.3f} s, prepare {done - loaded:.3f} s")
    return EXIT_OK


def cmd_generate(args: argparse.Namespace) -> int:
    if not (1 <= args.technicians <= 2000 and 1 <= args.weeks <= 52):
        raise UsageError("--technicians must lie in 1 .. 2000 and --weeks in 1 .. 52")
    if args.out.is_dir():
        raise UsageError(f"--out {args.out} is a directory; name the scenario file to write")
    if not 0 < args.load <= MAX_LOAD:
        raise UsageError(f"--load must lie in (0, {MAX_LOAD:g}]: planned work over the capacity "
                         "left after the buffer (1.2 = 20 % more than the team can carry)")
    write_generated(
        args.out, technicians=args.technicians, weeks=args.weeks, seed=args.seed, load=args.load
    )
    print(f"wrote {args.out}")
    return EXIT_OK


def cmd_solve(args: argparse.Namespace) -> int:
    from ui.solve_view import print_summary, solve_with_progress

    if not 0 < args.time_limit < 1e6:
        raise UsageError(f"--time-limit must be positive and finite, got {args.time_limit:g}")
    if not 0 <= args.seed < 2**31:
        raise UsageError(f"--seed must lie in 0 .. {2**31 - 1}, got {args.seed}")
    if args.out.exists() and not args.out.is_dir():
        raise UsageError(f"--out {args.out} exists and is not a directory")
    prepared = prepare(load_scenario(args.scenario))
    replan = _replan(prepared, args)
    if replan is not None:
        prepared = replan.prepared
    args.out.mkdir(parents=True, exist_ok=True)  # fails now, not after the solve
    result = solve_with_progress(prepared, args)
    plan = result.plan if replan is None else annotate(result.plan, replan)
    result = dataclasses.replace(result, plan=plan)
    target = args.out / "plan.json"
    write_json(target, plan.model_dump(mode="json"))
    print_summary(prepared, result)
    print(f"wrote {target}")
    return EXIT_OK if not result.violations else EXIT_VIOLATIONS


def _replan(prepared: Prepared, args: argparse.Namespace) -> Replan | None:
    """The previous plan read in and the frozen period pinned (``--previous``, ``--freeze``)."""
    from models.check import load_plan

    if args.previous is None:
        if args.freeze is not None:
            raise UsageError("--freeze needs --previous OLD_PLAN.json (the plan to keep)")
        return None
    try:
        until = 0 if args.freeze is None else freeze_end(prepared, args.freeze)
    except ValueError as error:
        raise UsageError(f"--freeze: {error}") from None
    previous = load_plan(args.previous)
    if previous.scenario != prepared.scenario.name:
        raise UsageError(
            f"--previous {args.previous} is a plan of '{previous.scenario}', not of "
            f"'{prepared.scenario.name}' (the scenario's name)"
        )
    from solver.buffer import reserve_needs

    return anchor(prepared, previous, until, reserve_needs(prepared))


def cmd_check(args: argparse.Namespace) -> int:
    from models.check import evaluate, load_plan

    prepared = prepare(load_scenario(args.scenario))
    replan = _replan(prepared, args)
    if replan is not None:
        prepared = replan.prepared
    plan = load_plan(args.plan)
    if replan is None and plan.frozen_until is not None:
        print(f"note: {args.plan} froze work until {plan.frozen_until:%Y-%m-%d %H:%M}; give "
              "--previous OLD_PLAN --freeze to verify that it stayed")
    evaluation = evaluate(prepared, plan)
    for violation in evaluation.violations:
        print(violation.message)
    terms = ", ".join(f"{name} {value:,.2f}" for name, value in evaluation.terms.items())
    verdict = "ok" if evaluation.ok else f"{len(evaluation.violations)} violations"
    print(f"{args.plan}: {verdict}; objective {evaluation.objective:,.2f} ({terms})")
    return EXIT_OK if evaluation.ok else EXIT_VIOLATIONS


def _replan_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--previous",
        type=Path,
        metavar="OLD_PLAN",
        help="replan: the plan technicians were given; changes to it cost a penalty",
    )
    parser.add_argument(
        "--freeze",
        metavar="PERIOD",
        help="replan: work of OLD_PLAN starting in this period stays as it was "
        "(2d: the first two working days; 36h: elapsed time)",
    )


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="mspplan",
        description="Plan an MSP's work onto technicians' calendars; keep an incident buffer.",
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    validate = commands.add_parser("validate", help="check a scenario file and summarise it")
    validate.add_argument("file", type=Path, help="scenario file (YAML or JSON)")
    validate.add_argument("--timing", action="store_true", help="print load and prepare times")
    validate.set_defaults(run=cmd_validate)

    generate = commands.add_parser("generate", help="write a seeded random scenario")
    generate.add_argument("--technicians", type=int, required=True, help="team size")
    generate.add_argument("--weeks", type=int, required=True, help="horizon in weeks")
    generate.add_argument("--seed", type=int, default=1, help="random seed (same seed, same file)")
    generate.add_argument(
        "--load", type=float, default=TARGET_LOAD,
        help=f"planned work over the capacity left after the buffer (default {TARGET_LOAD:g}; "
             "above 1 the team cannot carry it all)",
    )
    generate.add_argument("--out", type=Path, required=True, help="scenario file to write")
    generate.set_defaults(run=cmd_generate)

    solve = commands.add_parser("solve", help="plan a scenario and write DIR/plan.json")
    solve.add_argument("scenario", type=Path, help="scenario file (YAML or JSON)")
    solve.add_argument("--out", type=Path, required=True, help="directory for plan.json")
    solve.add_argument(
        "--time-limit", type=float, default=10.0, help="seconds for CP-SAT (default 10)"
    )
    solve.add_argument("--seed", type=int, default=0, help="random seed of the solver")
    solve.add_argument(
        "--method",
        choices=("cpsat", "greedy"),
        default="cpsat",
        help="cpsat (default) or greedy, the baseline alone",
    )
    solve.add_argument(
        "--deterministic",
        action="store_true",
        help="same seed, same plan on any machine (one worker; slower)",
    )
    _replan_arguments(solve)
    solve.set_defaults(run=cmd_solve)

    check = commands.add_parser("check", help="verify a plan against every hard rule")
    check.add_argument("scenario", type=Path, help="scenario file (YAML or JSON)")
    check.add_argument("plan", type=Path, help="plan.json")
    _replan_arguments(check)
    check.set_defaults(run=cmd_check)

    from ui import commands_buffers, commands_calendar, commands_incidents, commands_whatif

    commands_calendar.register(commands)
    commands_incidents.register(commands)
    commands_buffers.register(commands)
    commands_whatif.register(commands)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run one command; bad input ends in a message and exit 2, never a traceback."""
    args = build_parser().parse_args(argv)
    try:
        return int(args.run(args))
    except ScenarioError as error:
        print(error, file=sys.stderr)
        return EXIT_BAD_INPUT
    except UsageError as error:
        print(f"mspplan {args.command}: {error}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except OSError as error:  # an output path that cannot be written
        where = error.filename or "output"
        print(f"mspplan {args.command}: cannot write {where}: {error.strerror}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())

"""Calendar commands of ``mspplan``: ``export-ics`` writes a plan as ICS calendars."""

from __future__ import annotations

import argparse
from pathlib import Path


def register(commands: argparse._SubParsersAction) -> None:
    """Add the calendar subcommands to the ``mspplan`` parser."""
    export = commands.add_parser(
        "export-ics",
        help="write DIR/<technician>.ics and DIR/team.ics from a plan",
        description="Write one ICS calendar per technician and one for the team. "
        "With --previous, moved events get SEQUENCE 1 and gone ones are sent as cancelled.",
    )
    export.add_argument("scenario", type=Path, help="scenario file (YAML or JSON)")
    export.add_argument("plan", type=Path, help="plan.json made for the scenario")
    export.add_argument("--out", type=Path, required=True, help="directory for the .ics files")
    export.add_argument(
        "--previous", type=Path, default=None, help="the plan exported before (plan.json)"
    )
    export.set_defaults(run=cmd_export_ics)


def cmd_export_ics(args: argparse.Namespace) -> int:
    """Export a plan as calendars; bad input raises ScenarioError or UsageError (exit 2)."""
    from models.check import load_plan
    from models.ics import TEAM, export_calendars, plan_problems
    from models.io import ScenarioError, load_scenario, write_atomic
    from models.prepare import prepare
    from ui.cli import EXIT_OK, UsageError

    if args.out.exists() and not args.out.is_dir():
        raise UsageError(f"--out {args.out} exists and is not a directory")
    prepared = prepare(load_scenario(args.scenario))
    clash = [t.id for t in prepared.technicians if t.id.casefold() == TEAM]
    if clash:
        raise UsageError(f"technician id '{clash[0]}' would overwrite the team calendar {TEAM}.ics")
    plan = load_plan(args.plan)
    problems = plan_problems(prepared, plan)
    if problems:
        raise ScenarioError(str(args.plan), problems)
    previous = None
    if args.previous is not None:
        previous = load_plan(args.previous)
        problems = plan_problems(prepared, previous, previous=True)
        if problems:
            raise ScenarioError(str(args.previous), problems)
    for calendar in export_calendars(prepared, plan, previous=previous):
        target = args.out / calendar.name
        write_atomic(target, calendar.data)
        extra = f", {calendar.cancelled} cancelled" if calendar.cancelled else ""
        print(f"wrote {target}: {calendar.title}, {calendar.events} events{extra}")
    return EXIT_OK

"""Calendar commands of ``mspplan``: ``export-ics`` writes a plan as ICS calendars,
``publish`` puts it on a CalDAV server.

``publish`` exits 0 when done, 2 for bad input (scenario, plan, URL, a missing password
variable) and 3 when the CalDAV server cannot be reached or refuses (wrong password, not a
CalDAV URL, a refused request).
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from models.publish import Outcome

EXIT_SERVER = 3
"""``publish``: the CalDAV server could not be reached or refused a step."""
PASSWORD_ENV = "MSPPLAN_CALDAV_PASSWORD"


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

    publish = commands.add_parser(
        "publish",
        help="put each technician's events into a calendar on a CalDAV server",
        description="Publish a plan to a CalDAV server: one calendar mspplan-<technician> per "
        "technician (created if missing), one event per UID; changed events are updated and "
        "events the plan no longer has are deleted (only mspplan's own events). The password "
        "is read from an environment variable, never from the command line. Exit codes: 0 "
        "done, 2 bad input, 3 the server could not be reached or refused.",
    )
    publish.add_argument("scenario", type=Path, help="scenario file (YAML or JSON)")
    publish.add_argument("plan", type=Path, help="plan.json made for the scenario")
    publish.add_argument(
        "--url", required=True, help="CalDAV address, e.g. https://dav.example.com/"
    )
    publish.add_argument("--user", required=True, help="user name on the CalDAV server")
    publish.add_argument(
        "--password-env",
        default=PASSWORD_ENV,
        metavar="VAR",
        help=f"environment variable holding the password (default {PASSWORD_ENV})",
    )
    publish.add_argument(
        "--timeout", type=float, default=30.0, help="seconds to wait for each answer (default 30)"
    )
    publish.set_defaults(run=cmd_publish)


def cmd_export_ics(args: argparse.Namespace) -> int:
    """Export a plan as calendars; bad input raises ScenarioError or UsageError (exit 2)."""
    from models.check import load_plan
    from models.ics import TEAM, export_calendars, plan_problems
    from models.io import load_scenario, write_atomic
    from models.prepare import prepare
    from models.problems import ScenarioError
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


def cmd_publish(args: argparse.Namespace) -> int:
    """Publish a plan over CalDAV; bad input exits 2, a failing server 3 (one line, no
    traceback, never the password)."""
    from models.check import load_plan
    from models.ics import plan_problems
    from models.io import load_scenario
    from models.prepare import prepare
    from models.problems import ScenarioError
    from models.publish import PublishError, publish, shown_url, url_problem
    from ui.cli import EXIT_OK, UsageError

    problem = url_problem(args.url, args.password_env)
    if problem:
        raise UsageError(f"--url {shown_url(args.url)} {problem}")
    if args.timeout <= 0:
        raise UsageError(f"--timeout must be positive, got {args.timeout:g}")
    password = os.environ.get(args.password_env)
    if not password:
        state = "is empty" if password == "" else "is not set"
        raise UsageError(
            f"the environment variable {args.password_env} {state}: put the "
            "CalDAV password there (it is never taken from the command line)"
        )
    prepared = prepare(load_scenario(args.scenario))
    plan = load_plan(args.plan)
    problems = plan_problems(prepared, plan)
    if problems:
        raise ScenarioError(str(args.plan), problems)
    try:
        outcomes = publish(
            prepared,
            plan,
            url=args.url,
            username=args.user,
            password=password,
            timeout=args.timeout,
        )
    except PublishError as error:
        _print_outcomes(error.done)
        hint = f"; check --user and the password in {args.password_env}"
        print(f"mspplan publish: {error}{hint if error.login_refused else ''}", file=sys.stderr)
        return EXIT_SERVER
    _print_outcomes(outcomes)
    print(f"published {len(outcomes)} calendars to {shown_url(args.url)}")
    return EXIT_OK


def _print_outcomes(outcomes: list[Outcome]) -> None:
    for o in outcomes:
        new = ", new calendar" if o.new_collection else ""
        print(
            f"{o.technician} ({o.collection}{new}): {o.created} created, {o.updated} updated, "
            f"{o.deleted} deleted, {o.unchanged} unchanged"
        )

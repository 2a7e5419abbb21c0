"""``mspplan fit-incidents`` and ``mspplan erlang``: the incident forecast and its staffing.

``fit-incidents`` turns a ticket export into the scenario's ``incidents:`` section (YAML on
stdout, or atomically into ``--out``); what it skipped or assumed goes to stderr.
``erlang`` sizes the technicians needed for a response target (Erlang C, or Erlang A with
``--patience``).
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import time
from datetime import date
from pathlib import Path

import yaml

from models.io import write_atomic
from models.scenario_fields import WEEKDAYS
from models.scenario_incidents import Incidents
from models.tickets import FitOptions, TicketFit, fit_tickets, skipped_message
from models.units import parse_duration
from solver.queueing import Queue, Staffing, required_agents

EXIT_OK = 0


def register(commands: argparse._SubParsersAction) -> None:
    """Add ``fit-incidents`` and ``erlang`` to the ``mspplan`` sub-commands."""
    fit = commands.add_parser(
        "fit-incidents", help="fit the incidents: section to a ticket export (CSV)"
    )
    fit.add_argument("tickets", type=Path, help="ticket export (CSV, delimiter , or ;)")
    fit.add_argument("--opened", help="column of the opened time (default: opened_at, created...)")
    fit.add_argument("--priority", help="column of the priority (default: priority, prio...)")
    fit.add_argument("--resolved", help="column of the resolved time (default: resolved_at...)")
    fit.add_argument("--date-format", help="strptime format, e.g. '%%d.%%m.%%Y %%H:%%M'")
    fit.add_argument("--scale-per-day", type=float, help="rescale to this many per working day")
    fit.add_argument("--from", dest="start", metavar="DATE", help="first day used (YYYY-MM-DD)")
    fit.add_argument("--to", dest="end", metavar="DATE", help="last day used (YYYY-MM-DD)")
    fit.add_argument(
        "--max-handling", metavar="DURATION", help="leave longer resolved-opened times out"
    )
    fit.add_argument("--out", type=Path, help="write the YAML here instead of stdout")
    fit.set_defaults(run=cmd_fit_incidents)

    erlang = commands.add_parser("erlang", help="technicians needed for a response target")
    erlang.add_argument("--per-hour", type=float, required=True, help="incidents per hour")
    erlang.add_argument("--handling", required=True, help="mean handling time, e.g. 45m")
    erlang.add_argument("--target", required=True, help="response target, e.g. 30m")
    erlang.add_argument(
        "--service-level", type=float, default=0.8, help="share answered in time (default 0.8)"
    )
    erlang.add_argument("--shrinkage", type=float, default=0.0, help="unavailable share (0)")
    erlang.add_argument("--max-occupancy", type=float, default=1.0, help="highest occupancy (1)")
    erlang.add_argument("--patience", help="mean patience, e.g. 10m: Erlang A (abandonment)")
    erlang.add_argument("--json", action="store_true", help="print JSON")
    erlang.set_defaults(run=cmd_erlang)


# -- fit-incidents ---------------------------------------------------------------------------
def cmd_fit_incidents(args: argparse.Namespace) -> int:
    """Fit the ``incidents:`` section to a ticket export and print or write it."""
    options = _fit_options(args)
    if args.out is not None and args.out.is_dir():
        raise _usage(f"--out {args.out} is a directory; name a file")
    started = time.perf_counter()
    fit = fit_tickets(args.tickets, options)
    seconds = time.perf_counter() - started
    text = incidents_yaml(fit, args.tickets.name)
    for line in [*summary_lines(fit), skipped_message(fit), *fit.notes]:
        if line:
            print(line, file=sys.stderr)
    print(f"fitted in {seconds:.2f} s", file=sys.stderr)
    if args.out is None:
        print(text, end="")
    else:
        write_atomic(args.out, text)
        print(f"wrote {args.out}")
    return EXIT_OK


def _fit_options(args: argparse.Namespace) -> FitOptions:
    scale = args.scale_per_day
    if scale is not None and not (math.isfinite(scale) and scale > 0):
        raise _usage(f"--scale-per-day must be a positive number, got {scale:g}")
    start, end = _day(args.start, "--from"), _day(args.end, "--to")
    if start and end and start > end:
        raise _usage(f"--from {start} lies after --to {end}")
    limit = _minutes(args.max_handling, "--max-handling") if args.max_handling else None
    return FitOptions(
        opened=args.opened,
        priority=args.priority,
        resolved=args.resolved,
        date_format=args.date_format,
        scale_per_day=scale,
        start=start,
        end=end,
        max_handling=limit,
    )


def _day(text: str | None, option: str) -> date | None:
    if text is None:
        return None
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        raise _usage(f"{option} {text!r} is not a date (use YYYY-MM-DD)") from None


def incidents_yaml(fit: TicketFit, source: str) -> str:
    """The ``incidents:`` section as YAML, with a comment naming its source."""
    data = {"incidents": fit.incidents.model_dump(mode="json")}
    body = yaml.safe_dump(
        data, sort_keys=False, default_flow_style=None, width=4096, allow_unicode=True
    )
    return (
        f"# fitted by mspplan fit-incidents from {source}: {fit.used} tickets opened "
        f"{fit.first} .. {fit.last}\n{body}"
    )


def summary_lines(fit: TicketFit) -> list[str]:
    """What the fit found, in three lines for a person."""
    incidents = fit.incidents
    profile = _profile(incidents)
    week = {day: sum(weights) for day, weights in profile.items()}
    busiest = max(week, key=lambda day: week[day])
    working = [sum(profile[day][h] for day in WEEKDAYS[:5]) for h in range(24)]
    peak = sorted(sorted(range(24), key=lambda h: -working[h])[:4])
    shares = ", ".join(f"{p.name} {p.share:.1%}" for p in incidents.priorities)
    days = (fit.last - fit.first).days + 1
    return [
        f"{fit.used} of {fit.rows} tickets, opened {fit.first} .. {fit.last} ({days} days)",
        f"{incidents.per_day:g} per working day; busiest weekday {busiest} "
        f"({week[busiest] / sum(week.values()):.1%} of the week); peak hours "
        + ", ".join(f"{h:02d}" for h in peak),
        f"handling mean {incidents.handling.mean}, cv {incidents.handling.cv:g}; {shares}",
    ]


def _profile(incidents: Incidents) -> dict[str, list[float]]:
    if isinstance(incidents.profile, dict):
        given = {str(day): weights for day, weights in incidents.profile.items()}
        return {day: given.get(day, [0.0] * 24) for day in WEEKDAYS}
    return {day: [1.0] * 24 for day in WEEKDAYS}


# -- erlang ----------------------------------------------------------------------------------
def cmd_erlang(args: argparse.Namespace) -> int:
    """Print the technicians needed for a response target, and what they achieve."""
    per_hour = _number(args.per_hour, "--per-hour", low=0.0)
    level = _number(args.service_level, "--service-level", low=0.0, high=1.0, open_ends=True)
    shrinkage = _number(args.shrinkage, "--shrinkage", low=0.0, high=1.0)
    if shrinkage >= 1:
        raise _usage(f"--shrinkage must be below 1, got {shrinkage:g}")
    occupancy = _number(args.max_occupancy, "--max-occupancy", low=0.0, high=1.0)
    if occupancy <= 0:
        raise _usage(f"--max-occupancy must be above 0, got {occupancy:g}")
    handling = _minutes(args.handling, "--handling")
    if handling <= 0:
        raise _usage("--handling must be longer than zero")
    target = _minutes(args.target, "--target")
    patience = _minutes(args.patience, "--patience") if args.patience is not None else None
    if patience is not None and patience <= 0:
        raise _usage("--patience must be longer than zero")
    queue = Queue(per_hour / 60, handling, patience)
    try:
        staffing = required_agents(
            queue, target, level, max_occupancy=occupancy, shrinkage=shrinkage
        )
    except ValueError as error:
        raise _usage(str(error)) from None
    if args.json:
        print(json.dumps(_erlang_json(queue, target, staffing), indent=2))
    else:
        print("\n".join(erlang_lines(queue, target, staffing)))
    return EXIT_OK


def _erlang_json(queue: Queue, target: float, staffing: Staffing) -> dict[str, object]:
    found = staffing.performance
    return {
        "model": "erlang_a" if queue.patience is not None else "erlang_c",
        "traffic_erlangs": queue.traffic,
        "target_minutes": target,
        "raw_agents": staffing.raw,
        "positions": staffing.positions,
        "service_level": found.service_level,
        "wait_probability": found.wait_probability,
        "asa_minutes": found.mean_wait,
        "occupancy": found.occupancy,
        "abandonment": found.abandonment,
    }


def erlang_lines(queue: Queue, target: float, staffing: Staffing) -> list[str]:
    """The staffing and what it achieves, one figure a line."""
    found = staffing.performance
    lines = [
        f"model          {'Erlang A' if queue.patience is not None else 'Erlang C'}",
        f"traffic        {queue.traffic:.3f} Erlangs",
        f"raw agents     {staffing.raw}",
        f"positions      {staffing.positions} (with shrinkage)",
        f"service level  {found.service_level:.1%} answered within {_shown(target)}",
        f"P(wait)        {found.wait_probability:.1%}",
        f"ASA            {_shown(found.mean_wait)}",
        f"occupancy      {found.occupancy:.1%}",
    ]
    if queue.patience is not None:
        lines.append(f"abandonment    {found.abandonment:.1%}")
    return lines


def _shown(minutes: float) -> str:
    if minutes < 1:
        return f"{minutes * 60:.1f}s"
    if minutes < 120:
        return f"{minutes:.1f}m"
    return f"{minutes / 60:.1f}h"


# -- input checks ----------------------------------------------------------------------------
def _usage(message: str) -> Exception:
    from ui.cli import UsageError

    return UsageError(message)


def _number(
    value: float, option: str, *, low: float, high: float | None = None, open_ends: bool = False
) -> float:
    """``value`` if finite and inside [low, high] (or (low, high) with ``open_ends``)."""
    inside = math.isfinite(value) and value >= low and (high is None or value <= high)
    if open_ends:
        inside = inside and low < value and (high is None or value < high)
    if not inside:
        if high is None:
            where = f"at least {low:g}"
        else:
            where = f"in ({low:g}, {high:g})" if open_ends else f"in [{low:g}, {high:g}]"
        raise _usage(f"{option} must be a number {where}, got {value:g}")
    return value


def _minutes(text: str, option: str) -> float:
    """A duration option in minutes: ``45m``, ``1h30m``, ``20s``, ISO ``PT1H`` or plain minutes."""
    try:
        number = float(text)
    except ValueError:
        pass
    else:
        if not math.isfinite(number) or number < 0:
            raise _usage(f"{option} {text!r} is not a duration (e.g. 45m, 1h30m)")
        return number
    try:
        duration = parse_duration(text)
    except ValueError as error:
        raise _usage(f"{option}: {error}") from None
    if duration.days:
        raise _usage(f"{option} {text!r}: give hours (e.g. 48h); d means working days")
    return duration.seconds / 60

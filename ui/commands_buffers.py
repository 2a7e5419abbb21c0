"""``mspplan buffers``: compare incident buffer sizes side by side: table, files and chart."""

from __future__ import annotations

import argparse
import csv
import io
import sys
from pathlib import Path
from typing import Any

from models.io import load_scenario, write_atomic, write_json
from solver.scaleout import ScaleOutError, scheduler_address
from solver.sweep import POLICIES, SweepParams, compare_buffers, smallest_meeting

SHOWN = (
    ("level", "level"),
    ("planned_hours", "planned h"),
    ("scheduled_items", "items done"),
    ("late_items", "late"),
    ("sim_displaced_hours", "displaced h"),
    ("sim_overtime_hours", "overtime h"),
    ("sim_utilisation", "utilisation"),
)


def register(commands: argparse._SubParsersAction) -> None:
    parser = commands.add_parser(
        "buffers", help="compare incident buffer sizes: planned work vs. incidents in time"
    )
    parser.add_argument("scenario", type=Path, help="scenario file (YAML or JSON)")
    parser.add_argument("--policy", choices=POLICIES, required=True, help="buffer policy")
    parser.add_argument(
        "--levels",
        required=True,
        help="comma-separated: percent 0,10,20; duty 0,1,2; forecast 0.7,0.9",
    )
    parser.add_argument("--runs", type=int, default=500, help="simulated replications per level")
    # 30 s: with 10 s the plans of neighbouring levels differ more than the buffer does
    # (measured on the demo: displaced hours 13.4 at 30 % but 16.5 at 40 %)
    parser.add_argument("--time-limit", type=float, default=30.0, help="seconds per plan")
    parser.add_argument("--seed", type=int, default=0, help="seed of solver and simulation")
    parser.add_argument(
        "--target",
        type=float,
        default=None,
        help="share of the two most urgent classes answered in time that counts "
        "as met (default: the scenario's service_level, else 0.9)",
    )
    parser.add_argument(
        "--deterministic",
        action="store_true",
        help="same seed, same plans on any machine (one CP-SAT worker per plan)",
    )
    parser.add_argument(
        "--scheduler",
        metavar="tcp://HOST:PORT",
        help="run the levels on this Dask scheduler's workers (they need mspplan installed)",
    )
    parser.add_argument("--out", type=Path, required=True, help="directory for the results")
    parser.set_defaults(run=cmd_buffers)


def parse_levels(text: str, policy: str) -> tuple[float, ...]:
    """Levels from ``0,10,20``; raises UsageError naming the rule a level breaks."""
    from ui.cli import UsageError

    try:
        levels = tuple(sorted({float(part) for part in text.split(",") if part.strip()}))
    except ValueError:
        raise UsageError(f"--levels: '{text}' is not a comma-separated list of numbers") from None
    rules = {
        "percent": (lambda x: 0 <= x < 100, "percent levels lie in [0, 100)"),
        "duty": (lambda x: x >= 0 and x == int(x), "duty levels are whole numbers >= 0"),
        "forecast": (lambda x: 0 < x < 1, "forecast levels are service levels in (0, 1)"),
    }
    valid, rule = rules[policy]
    if not levels or not all(valid(x) for x in levels):
        raise UsageError(f"--levels {text}: {rule}")
    return levels


def cmd_buffers(args: argparse.Namespace) -> int:
    from ui.cli import UsageError

    if args.runs < 1 or args.time_limit <= 0:
        raise UsageError("--runs must be at least 1 and --time-limit positive")
    if args.out.exists() and not args.out.is_dir():
        raise UsageError(f"--out {args.out} exists and is not a directory")
    scenario = load_scenario(args.scenario)
    if scenario.incidents is None:
        raise UsageError(f"{args.scenario}: the scenario has no incidents: forecast to simulate")
    levels = parse_levels(args.levels, args.policy)
    target = args.target or (scenario.buffer.service_level if scenario.buffer else None) or 0.9
    params = SweepParams(
        args.policy,
        levels,
        args.runs,
        args.time_limit,
        args.seed,
        scheduler=_scheduler(args.scheduler),
        deterministic=args.deterministic,
    )
    try:
        rows = _with_progress(scenario, params)
    except ScaleOutError as error:
        raise UsageError(f"--scheduler: {error}") from None
    best = smallest_meeting(rows, scenario, target)
    _write(args.out, rows, best, args.policy, target)
    print(table(rows, best))
    verdict = (
        f"smallest level that answers the urgent classes in time at {target:.0%}: {best:g}"
        if best is not None
        else f"no level answers the urgent classes in time at {target:.0%}"
    )
    print(verdict)
    print(f"wrote {args.out / 'buffers.json'}, buffers.csv, buffers.png")
    return 0


def _scheduler(text: str | None) -> str | None:
    """The ``--scheduler`` address checked before any solve starts (UsageError if malformed)."""
    from ui.cli import UsageError

    if text is None:
        return None
    try:
        return scheduler_address(text)
    except ScaleOutError as error:
        raise UsageError(f"--scheduler: {error}") from None


def _with_progress(scenario: Any, params: SweepParams) -> list[dict[str, Any]]:
    if not sys.stdout.isatty():
        return compare_buffers(scenario, params)
    from rich.progress import Progress

    with Progress() as bar:
        task = bar.add_task(
            f"{len(params.levels)} levels x {params.runs} runs", total=len(params.levels)
        )
        return compare_buffers(
            scenario, params, lambda done, total: bar.update(task, completed=done)
        )


def _in_time_columns(rows: list[dict[str, Any]]) -> list[str]:
    """In-time shares per class for incidents arriving while someone is present."""
    return sorted(
        key
        for key in rows[0]
        if key.startswith("sim_in_time_staffed_") and not key.endswith(("_low", "_high"))
    )


def table(rows: list[dict[str, Any]], best: float | None) -> str:
    """The comparison as aligned text, the met level marked with *."""
    columns = list(SHOWN) + [
        (key, key.removeprefix("sim_in_time_staffed_") + " in time")
        for key in _in_time_columns(rows)
    ]
    lines = ["  ".join(f"{title:>12}" for _, title in columns)]
    for row in rows:
        cells = [_cell(row.get(key)) for key, _ in columns]
        mark = " *" if best is not None and row["level"] == best else ""
        lines.append("  ".join(f"{cell:>12}" for cell in cells) + mark)
    return "\n".join(lines)


def _cell(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:.3f}" if abs(value) < 10 else f"{value:,.1f}"
    return str(value)


def _write(
    out: Path, rows: list[dict[str, Any]], best: float | None, policy: str, target: float
) -> None:
    write_json(
        out / "buffers.json",
        {"policy": policy, "target": target, "smallest_level_meeting_target": best, "levels": rows},
    )
    text = io.StringIO()
    writer = csv.DictWriter(text, fieldnames=list(rows[0]))
    writer.writeheader()
    writer.writerows(rows)
    write_atomic(out / "buffers.csv", text.getvalue())
    from ui.charts import buffer_tradeoff_png

    write_atomic(
        out / "buffers.png", buffer_tradeoff_png(rows, policy, best, _in_time_columns(rows))
    )

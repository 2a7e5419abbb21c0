"""``mspplan compare``: staffing what-ifs side by side with the base: table, files and chart.

With one seed and no buffer levels it writes ``compare.json``, ``compare.csv`` (one line per
key figure: base, each variant and its delta), ``compare.png`` and each plan in ``plans/``.
With ``--levels`` or several ``--seeds`` it runs the grid variants x levels x seeds and writes
``sweep.json``, ``sweep.csv`` (one line per (variant, level, seed), deltas against the base
of the same level and seed) and ``sweep.png``; grid solves are deterministic, so the rows are
the same on local processes and on a Dask cluster (``--scheduler``).
"""

from __future__ import annotations

import argparse
import csv
import io
import sys
import time
from pathlib import Path
from typing import Any

from models.io import read_text, scenario_from_data, write_atomic
from models.io import write_json as write_json_file
from models.parsing import parse_document
from models.problems import ScenarioError
from models.variant import apply_variant, load_variant, resolve_base
from solver.scaleout import JobRunner, ScaleOutError, scheduler_address
from solver.sweep import POLICIES
from solver.whatif import BASE, Case, CompareParams, Comparison, compare_variants, compared_keys
from ui.commands_buffers import parse_levels

SHOWN = (
    ("objective", "objective"),
    ("planned_hours", "planned h"),
    ("utilisation", "utilisation"),
    ("scheduled_items", "items done"),
    ("unscheduled_items", "unscheduled"),
    ("unscheduled_hours", "unscheduled h"),
    *((f"unscheduled_hours_p{p}", f"  of it P{p} h") for p in range(1, 6)),
    ("late_items", "late items"),
    ("late_days", "late days"),
    ("reserve_hours", "reserve h"),
    ("sim_urgent_in_time", "urgent in time"),
    ("sim_displaced_hours", "displaced h"),
    ("sim_overtime_hours", "overtime h"),
    ("checker_violations", "violations"),
)
"""Key figures of the printed comparison, in order; per-class and per-technician follow."""
PANELS = [
    ("planned_hours", "Planned work done (h)"),
    ("unscheduled_hours", "Unscheduled work (h)"),
    ("late_items", "Late items"),
    ("utilisation", "Team utilisation"),
    ("sim_urgent_in_time", "Urgent incidents in time"),
    ("sim_displaced_hours", "Planned h displaced"),
]
GRID_SHOWN = (
    ("planned_hours", "planned h"),
    ("unscheduled_hours", "unsched h"),
    ("late_items", "late"),
    ("utilisation", "util"),
    ("sim_urgent_in_time", "urgent ok"),
    ("sim_displaced_hours", "displaced h"),
)


def register(commands: argparse._SubParsersAction) -> None:
    parser = commands.add_parser(
        "compare",
        help="what-if: plan the base and staffing variants, compare KPIs side by side",
    )
    parser.add_argument("base", type=Path, help="base scenario file (YAML or JSON)")
    parser.add_argument(
        "--variant",
        type=Path,
        action="append",
        required=True,
        help="variant file (base + changes); repeat for several",
    )
    parser.add_argument("--out", type=Path, required=True, help="directory for the results")
    parser.add_argument("--time-limit", type=float, default=30.0, help="seconds per plan")
    parser.add_argument("--runs", type=int, default=200, help="simulated replications per plan")
    parser.add_argument("--seed", type=int, default=None, help="seed of solver and simulation")
    parser.add_argument("--seeds", help="grid: comma-separated seeds, e.g. 0,1,2")
    parser.add_argument("--policy", choices=POLICIES, help="grid: buffer policy of --levels")
    parser.add_argument("--levels", help="grid: buffer levels, overriding every buffer")
    parser.add_argument(
        "--deterministic",
        action="store_true",
        help="same seed, same plans on any machine (one CP-SAT worker; grids always are)",
    )
    parser.add_argument(
        "--scheduler",
        metavar="tcp://HOST:PORT",
        help="run the solves on this Dask scheduler's workers (they need mspplan installed)",
    )
    parser.set_defaults(run=cmd_compare)


def cmd_compare(args: argparse.Namespace) -> int:
    from ui.cli import EXIT_OK, EXIT_VIOLATIONS

    params = _params(args)
    if args.out.exists() and not args.out.is_dir():
        raise _usage(f"--out {args.out} exists and is not a directory")
    base, variants = _cases(args.base, args.variant)
    if base.scenario.incidents is None:
        print(f"{args.base}: no incidents: forecast; the plans are compared without simulation")
    started = time.perf_counter()
    comparison = _with_progress(base, variants, params)
    seconds = time.perf_counter() - started
    grid = len(params.cells) > 1
    if grid:
        _write_grid(args.out, comparison, params)
    else:
        _write(args.out, comparison)
    _report(comparison, params, seconds)
    written = (
        ("sweep.json", "sweep.csv", "sweep.png")
        if grid
        else ("compare.json", "compare.csv", "compare.png", "plans/")
    )
    print(f"wrote {args.out / written[0]}, {', '.join(written[1:])}")
    return EXIT_VIOLATIONS if comparison.violations else EXIT_OK


def _report(comparison: Comparison, params: CompareParams, seconds: float) -> None:
    """The table, then notes and checker violations (never hidden), then where it ran."""
    print(grid_table(comparison) if len(params.cells) > 1 else table(comparison))
    for name, notes in comparison.notes.items():
        print("\n".join(f"note ({name}): {note}" for note in notes))
    for name, messages in comparison.violations.items():
        print("\n".join(f"VIOLATION ({name}): {message}" for message in messages))
    where = JobRunner(params.scheduler, params.processes).where
    runs = comparison.rows[0]["sim_runs"]
    simulated = f" and simulated ({runs} runs each)" if runs else ""
    print(f"{len(comparison.rows)} plans solved{simulated} in {seconds:.1f} s on {where}")


def _usage(message: str) -> Exception:
    from ui.cli import UsageError

    return UsageError(message)


def _params(args: argparse.Namespace) -> CompareParams:
    """The command line as CompareParams; UsageError naming the option that is wrong."""
    if args.runs < 0 or not 0 < args.time_limit < 1e6:
        raise _usage("--runs must be at least 0 and --time-limit positive")
    if (args.policy is None) != (args.levels is None):
        raise _usage("--policy and --levels go together (e.g. --policy percent --levels 10,20)")
    if args.seeds is not None and args.seed is not None:
        raise _usage("give --seed or --seeds, not both")
    seeds = _seeds(args.seeds) if args.seeds is not None else (args.seed or 0,)
    if not all(0 <= seed < 2**31 for seed in seeds):
        raise _usage(f"seeds must lie in 0 .. {2**31 - 1}")
    levels = parse_levels(args.levels, args.policy) if args.policy else ()
    scheduler = None
    if args.scheduler is not None:
        try:
            scheduler = scheduler_address(args.scheduler)
        except ScaleOutError as error:
            raise _usage(f"--scheduler: {error}") from None
    grid = len(levels) > 1 or len(seeds) > 1
    return CompareParams(
        time_limit=args.time_limit,
        runs=args.runs,
        seeds=seeds,
        policy=args.policy,
        levels=levels,
        deterministic=args.deterministic or grid,
        scheduler=scheduler,
    )


def _seeds(text: str) -> tuple[int, ...]:
    try:
        seeds = tuple(dict.fromkeys(int(part) for part in text.split(",") if part.strip()))
    except ValueError:
        raise _usage(f"--seeds: '{text}' is not a comma-separated list of whole numbers") from None
    if not seeds:
        raise _usage("--seeds: name at least one seed")
    return seeds


def _cases(base_path: Path, variant_paths: list[Path]) -> tuple[Case, list[Case]]:
    """The base and every variant applied to it; all variant files' problems at once."""
    base_data = parse_document(read_text(base_path), str(base_path))
    base = Case(BASE, scenario_from_data(base_data, str(base_path), folder=base_path.parent))
    variants, failed = [], []
    for path in variant_paths:
        try:
            variant = load_variant(path)
            resolve_base(variant, base_path)
            applied = apply_variant(variant, base_data, folder=base_path.parent)
        except ScenarioError as error:
            failed.append(error)
            continue
        variants.append(Case(variant.name, applied.scenario, applied.notes))
    if len(failed) == 1:
        raise failed[0]
    if failed:
        print("\n".join(str(error) for error in failed), file=sys.stderr)
        raise _usage(f"{len(failed)} variant files cannot be used (see above)")
    names = [BASE] + [case.name for case in variants]
    twice = sorted({name for name in names if names.count(name) > 1})
    if twice:
        raise _usage(
            f"variant names must differ from each other and from '{BASE}': "
            f"{', '.join(twice)} (set name: in the variant files)"
        )
    return base, variants


def _with_progress(base: Case, variants: list[Case], params: CompareParams) -> Comparison:
    try:
        if not sys.stdout.isatty():
            return compare_variants(base, variants, params)
        from rich.progress import Progress

        with Progress() as bar:
            total = len(params.cells) * (1 + len(variants))
            task = bar.add_task(f"{total} plans", total=total)
            return compare_variants(
                base, variants, params, lambda done, _: bar.update(task, completed=done)
            )
    except ScaleOutError as error:
        raise _usage(f"--scheduler: {error}") from None


# -- the side-by-side table ------------------------------------------------------------------
def table_keys(comparison: Comparison) -> list[tuple[str, str]]:
    """The figures to print: those some row has (no simulation, no simulated figures)."""
    keys = [
        key
        for key in compared_keys(comparison.rows)
        if any(row.get(key) is not None for row in comparison.rows)
    ]
    shown = [(key, title) for key, title in SHOWN if key in keys]
    shown += [
        (key, key.removeprefix("sim_in_time_staffed_") + " in time")
        for key in keys
        if key.startswith("sim_in_time_staffed_")
    ]
    shown += [
        (key, "util " + key.removeprefix("utilisation_"))
        for key in keys
        if key.startswith("utilisation_")
    ]
    return shown


def table(comparison: Comparison) -> str:
    """Key figures down, the base and each variant with its delta across."""
    rows = comparison.rows
    deltas = {d["variant"]: d for d in comparison.deltas}
    header = ["", BASE] + [text for row in rows[1:] for text in (row["variant"], "delta")]
    lines = [header]
    for key, title in table_keys(comparison):
        line = [title, _cell(rows[0].get(key), key)]
        for row in rows[1:]:
            change = deltas[row["variant"]].get(key)
            line += [_cell(row.get(key), key), _cell(change, key, signed=True)]
        lines.append(line)
    return aligned(lines)


def grid_table(comparison: Comparison) -> str:
    """One line per (variant, level, seed), with deltas against the base of that cell."""
    deltas = {(d["variant"], d["level"], d["seed"]): d for d in comparison.deltas}
    titles = ["variant", "level", "seed"]
    for _, title in GRID_SHOWN:
        titles += [title, "delta"]
    lines = [titles]
    for row in comparison.rows:
        found = deltas.get((row["variant"], row["level"], row["seed"]), {})
        level = "own" if row["level"] is None else f"{row['level']:g}"
        line = [row["variant"], level, str(row["seed"])]
        for key, _ in GRID_SHOWN:
            change = _cell(found.get(key), key, signed=True) if found else ""
            line += [_cell(row.get(key), key), change]
        lines.append(line)
    return aligned(lines)


def aligned(lines: list[list[str]]) -> str:
    """Columns padded to their widest cell: names left, figures right."""
    widths = [max(len(line[k]) for line in lines) for k in range(len(lines[0]))]
    return "\n".join(
        "  ".join(
            cell.ljust(width) if k == 0 else cell.rjust(width)
            for k, (cell, width) in enumerate(zip(line, widths, strict=True))
        )
        for line in lines
    )


def _cell(value: Any, key: str = "", signed: bool = False) -> str:
    """A figure as text: shares with 3 decimals, hours and points with 1, counts whole."""
    if value is None:
        return "-"
    sign = "+" if signed else ""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return str(value)
    if isinstance(value, int) and not key.endswith("hours"):
        return f"{value:{sign},d}"
    if "utilisation" in key or "in_time" in key:
        return f"{value:{sign}.3f}"
    return f"{value:{sign},.1f}"


# -- files -----------------------------------------------------------------------------------
def _write(out: Path, comparison: Comparison) -> None:
    """Every plan (``plans/<variant>.json``, first: a folder that cannot be written fails
    before any summary exists), compare.json (rows, deltas, notes, violations), compare.csv
    (side by side) and the chart."""
    names = [name for name, _, _ in comparison.plans]
    for stem, plan in zip(plan_file_stems(names), comparison.plans.values(), strict=True):
        write_json_file(out / "plans" / f"{stem}.json", plan)
    write_json_file(out / "compare.json", _document(comparison))
    write_atomic(out / "compare.csv", _csv(side_by_side(comparison)))
    _chart(out / "compare.png", comparison, "What-if comparison (grey: base)")


def side_by_side(comparison: Comparison) -> list[list[Any]]:
    """One line per figure: its key, the base's value, then each variant's value and delta."""
    rows = comparison.rows
    deltas = {d["variant"]: d for d in comparison.deltas}
    header: list[Any] = ["kpi", BASE]
    for row in rows[1:]:
        header += [row["variant"], f"{row['variant']} delta"]
    lines = [header]
    for key in [key for key in rows[0] if key != "variant"]:
        line = [key, rows[0][key]]
        for row in rows[1:]:
            line += [row[key], deltas[row["variant"]].get(key)]
        lines.append(line)
    return lines


def plan_file_stems(names: list[str]) -> list[str]:
    """File names for the plans: letters, digits, ``-`` and ``_``; distinct (``-2``, ...)."""
    stems: list[str] = []
    for name in names:
        stem = "".join(c if c.isalnum() or c in "-_" else "_" for c in name).strip("_") or "plan"
        unique, k = stem, 1
        while unique in stems:
            k += 1
            unique = f"{stem}-{k}"
        stems.append(unique)
    return stems


def _write_grid(out: Path, comparison: Comparison, params: CompareParams) -> None:
    """sweep.json, sweep.csv (one line per row; ``delta_`` columns against the base) and the
    chart (means over seeds, whiskers min..max)."""
    write_json_file(
        out / "sweep.json",
        {"policy": params.policy, "levels": list(params.levels), "seeds": list(params.seeds)}
        | _document(comparison),
    )
    deltas = {(d["variant"], d["level"], d["seed"]): d for d in comparison.deltas}
    keys = list(dict.fromkeys(k for row in comparison.rows for k in row))
    compared = compared_keys(comparison.rows)
    header = keys + [f"delta_{key}" for key in compared]
    lines: list[list[Any]] = [header]
    for row in comparison.rows:
        found = deltas.get((row["variant"], row["level"], row["seed"]), {})
        lines.append([row.get(k) for k in keys] + [found.get(k) for k in compared])
    write_atomic(out / "sweep.csv", _csv(lines))
    _chart(out / "sweep.png", comparison, "What-if sweep (grey: base; whiskers: seeds)")


def _document(comparison: Comparison) -> dict[str, Any]:
    return {
        "simulation": "common random numbers: every plan meets the incidents of its seed; a "
        "variant with incident_factor has its own forecast, hence another stream (by design)",
        "rows": comparison.rows,
        "deltas": comparison.deltas,
        "notes": comparison.notes,
        "violations": comparison.violations,
    }


def _chart(path: Path, comparison: Comparison, title: str) -> None:
    from ui.charts import variant_bars_png

    keys = compared_keys(comparison.rows)
    panels = [
        (key, t)
        for key, t in PANELS
        if key in keys and any(row.get(key) is not None for row in comparison.rows)
    ]
    write_atomic(path, variant_bars_png(comparison.rows, panels, title))


def _csv(lines: list[list[Any]]) -> str:
    text = io.StringIO()
    writer = csv.writer(text)
    writer.writerows([["" if value is None else value for value in line] for line in lines])
    return text.getvalue()

"""Terminal views of a solve: live progress while it runs, a summary when it is done."""

from __future__ import annotations

import argparse
import math
import sys
import threading
import time

from rich.console import Console
from rich.table import Table

from models.prepare import Prepared
from solver.solve import PlanResult, SolveParams, solve

console = Console(highlight=False, soft_wrap=True, markup=False)  # names are user text


def solve_with_progress(prepared: Prepared, args: argparse.Namespace) -> PlanResult:
    """Solve; on a terminal show elapsed time, objective and bound while CP-SAT works."""
    params = SolveParams(
        time_limit=args.time_limit,
        seed=args.seed,
        method=args.method,
        deterministic=getattr(args, "deterministic", False),
    )
    if not sys.stdout.isatty():
        return solve(prepared, params)
    latest: dict[str, float | None] = {"objective": None, "bound": None}

    def on_plan(elapsed: float, objective: float, bound: float) -> None:
        latest.update(objective=objective, bound=bound)

    done = threading.Event()
    started = time.perf_counter()
    with console.status("solving ...") as status:

        def tick() -> None:
            while not done.wait(0.25):
                found = best_so_far(latest["objective"], latest["bound"])
                elapsed = time.perf_counter() - started
                status.update(f"solving: {elapsed:5.1f} s of {args.time_limit:g} s, {found}")

        ticker = threading.Thread(target=tick, daemon=True)
        ticker.start()
        try:
            return solve(prepared, params, progress=on_plan)
        finally:
            done.set()
            ticker.join()


def best_so_far(objective: float | None, bound: float | None) -> str:
    """The live progress's words for the best plan so far and the bound (NaN or None: the
    bound comes with the search, after the greedy's rounds)."""
    if objective is None:
        return "no plan yet"
    return f"objective {objective:,.1f}, bound {bound_text(bound)}"


def bound_text(bound: float | None) -> str:
    """The lower bound, or that the search has not computed it yet (NaN or None)."""
    return "not computed yet" if bound is None or math.isnan(bound) else f"{bound:,.1f}"


def _fmt(value: float | None, pattern: str = "{:,.1f}") -> str:
    return "-" if value is None else pattern.format(value)


def _gap_text(result: PlanResult) -> str:
    """Bound and gap, and a plain word when the bound proves nothing (it is then 0)."""
    bound, gap = result.best_bound, result.plan.gap
    if bound is None or gap is None:
        return "no lower bound"
    if bound <= 0 < result.objective:
        return "lower bound 0 (proves nothing here, so no gap)"
    return f"lower bound {bound:,.1f}, gap {gap:.1%}"


def print_summary(prepared: Prepared, result: PlanResult) -> None:
    """Status, objective, bound, gap and the key figures, with hours per technician."""
    plan, kpis = result.plan, result.plan.kpis
    console.print(
        f"{plan.scenario}: {result.status} ({plan.method}) in {result.runtime:.1f} s; "
        f"objective {_fmt(result.objective)}, {_gap_text(result)}"
    )
    console.print("  terms: " + ", ".join(f"{k} {v:,.1f}" for k, v in result.terms.items()))
    console.print(
        f"  planned {kpis['planned_hours']:,.1f} h of {kpis['capacity_hours']:,.1f} h capacity "
        f"(utilisation {kpis['utilisation']:.0%}), reserve {kpis['reserve_hours']:,.1f} h; "
        f"{kpis['unscheduled_items']} unscheduled ({kpis['unscheduled_hours']:,.1f} h), "
        f"{kpis['late_items']} late"
    )
    table = Table(show_header=True, header_style="bold", box=None, pad_edge=False)
    table.add_column("technician")
    table.add_column("planned h", justify="right")
    table.add_column("capacity h", justify="right")
    table.add_column("load", justify="right")
    for tech in prepared.technicians:
        hours = kpis["hours_by_technician"].get(tech.id, 0.0)
        capacity = prepared.capacity(tech) / 60
        table.add_row(
            tech.name,
            f"{hours:,.1f}",
            f"{capacity:,.1f}",
            f"{hours / capacity:.0%}" if capacity else "-",
        )
    console.print(table)
    if "frozen_items" in kpis:
        console.print(
            f"  replan: {kpis['frozen_items']} items frozen, {len(plan.released)} released; "
            f"{kpis['moved_items']} moved, {kpis['reassigned_items']} to another technician, "
            f"{kpis['dropped_items']} dropped"
        )
    for released in plan.released:
        console.print(f"  released {released.item} ({released.technician}): {released.reason}")
    for entry in plan.unscheduled[:15]:
        console.print(f"  unscheduled {entry.item}: {entry.reason}")
    if len(plan.unscheduled) > 15:
        console.print(f"  ... and {len(plan.unscheduled) - 15} more in plan.json")
    for violation in result.violations:
        console.print(f"  {violation.message}", style="red")

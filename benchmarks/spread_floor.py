"""Whether any plan of a generated scenario costs less than 1 point: a proof the lower bound
(``solver.bound``) cannot give, as it bounds the load spread by 0.

With every item planned and a fixed reserve (the percent buffer), the team's busy minutes
are fixed. A spread of 0 puts every technician's share floor(100 busy / capacity) in one
band, and only the floor of the team's share can be that band. CP-SAT minimises the minutes
by which the technicians' loads lie outside it, with every item planned and less than 1
point of lateness, hinted with a plan of the planner. A proven minimum above 0 means no plan
costs less than 1 point: one with an item left out pays at least the cheapest item's
weighted hours, one with a spread of 1 or more pays that (at a balance weight of 1 or
more). The proof holds for the
planner's own model (its parts of at most 2 h, and a daily cap that counts a part crossing
midnight on both days).

    python benchmarks/spread_floor.py [--size S] [--plan-seconds 10] [--time-limit 1800]
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from dataclasses import dataclass

from ortools.sat.python import cp_model
from run import SIZES  # this folder's benchmark: the same generated sizes

from models.plan import Plan
from models.prepare import Prepared, prepare
from models.replan import previous_placements
from models.scenario import Scenario
from scenarios.generate import TARGET_LOAD, generate_scenario
from solver.buffer import buffer_level
from solver.builder import PlanningModel, add_hint, build
from solver.lns import cpsat_solver
from solver.objective import capacities
from solver.penalties import SCALE
from solver.schedule import Schedule
from solver.solve import SolveParams, solve


@dataclass(frozen=True)
class Floor:
    band: int
    """The share band a spread of 0 needs."""
    outside: float | None
    """The least minutes outside it that CP-SAT found (None: no plan)."""
    bound: float
    status: str
    cheapest: float
    """The cheapest item to leave out, in points."""
    balance: float
    """Points per point of spread."""

    @property
    def proven(self) -> bool:
        """Every plan costs at least 1 point."""
        if self.cheapest < 1 or self.balance < 1:
            return False
        return self.status == "INFEASIBLE" or (self.status == "OPTIMAL" and bool(self.outside))


def spread_floor(prepared: Prepared, hint: Plan, seconds: float) -> Floor:
    """Whether any plan of ``prepared`` costs less than 1 point (CP-SAT for ``seconds``,
    hinted with ``hint``); its reserve must be fixed (percent or none)."""
    assert buffer_level(prepared)[0] in ("percent", None)
    planning = build(prepared)
    add_hint(planning, _schedule(prepared, hint))
    _everything_planned_and_under_a_point_late(planning)
    band = _minimise_outside_band(planning, prepared)
    solver = cpsat_solver(seconds, os.cpu_count() or 1, 0, deterministic=False)
    code = solver.solve(planning.model)
    found = code in (cp_model.OPTIMAL, cp_model.FEASIBLE)
    return Floor(
        band=band,
        outside=solver.objective_value / 100 if found else None,
        bound=solver.best_objective_bound / 100,
        status=solver.status_name(code),
        cheapest=min(
            prepared.scenario.weights.unscheduled * item.weight * item.effort / 60
            for item in prepared.items
        ),
        balance=prepared.scenario.weights.balance,
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", default="S", choices=sorted(SIZES))
    parser.add_argument("--plan-seconds", type=float, default=10.0)
    parser.add_argument("--time-limit", type=float, default=1800.0)
    args = parser.parse_args(argv)
    technicians, weeks, seed, load = SIZES[args.size]
    scenario = generate_scenario(technicians, weeks, seed=seed, load=load or TARGET_LOAD)
    prepared = prepare(Scenario.model_validate(scenario))
    if buffer_level(prepared)[0] not in ("percent", None):
        print(f"{args.size}: its reserve is not fixed, so neither are its busy minutes")
        return 2
    started = time.perf_counter()
    result = solve(prepared, SolveParams(time_limit=args.plan_seconds, seed=0))
    print(f"{args.size}: the planner's plan after {args.plan_seconds:g} s: {result.objective:g}")
    floor = spread_floor(prepared, result.plan, args.time_limit)
    outside = "no plan found" if floor.outside is None else f"{floor.outside:g}"
    print(
        f"minutes outside band {floor.band}: {outside}, bound {floor.bound:g}, {floor.status}, "
        f"{time.perf_counter() - started:.0f} s"
    )
    print("proven: every plan costs at least 1 point" if floor.proven else "not proven")
    return 0


def _everything_planned_and_under_a_point_late(planning: PlanningModel) -> None:
    v = planning.variables
    for scheduled in v.scheduled.values():
        planning.model.add(scheduled == 1)
    late = [t.coefficient * t.variable for t in planning.terms if t.family == "late"]
    planning.model.add(sum(late) <= SCALE - 1)


def _schedule(prepared: Prepared, plan: Plan) -> Schedule:
    techs = prepared.technician_index
    reserve = [
        (techs[r.technician], prepared.minute(r.start), prepared.minute(r.end), r.reason)
        for r in plan.reserve
    ]
    return Schedule(placed=previous_placements(prepared, plan), reserve=reserve)


def _minimise_outside_band(planning: PlanningModel, prepared: Prepared) -> int:
    """The objective: 100 x minutes of each technician's load outside the band a spread of 0
    needs, with all work and reserve planned; the band."""
    v, capacity = planning.variables, capacities(prepared)
    busy = sum(prepared.items[i].effort for i in v.scheduled)
    busy += sum(block.length for block, _, _ in v.reserve)
    band = 100 * busy // sum(capacity)
    model, outside = planning.model, []
    for t, load in planning.variables.busy.items():  # 100 x busy minutes
        gap = model.new_int_var(0, 100 * 10 * capacity[t], f"outside({t})")
        model.add(gap >= band * capacity[t] - load)
        model.add(gap >= load - ((band + 1) * capacity[t] - 1))
        outside.append(gap)
    model.minimize(sum(outside))
    return band


if __name__ == "__main__":
    sys.exit(main())

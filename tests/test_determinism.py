"""Deterministic solves give the same plan in every process, whatever its string hash seed
(Python orders sets of names differently per process; sweeps run in many processes)."""

from __future__ import annotations

import logging
import os
import subprocess
import sys
from pathlib import Path

import pytest

from models.prepare import prepare
from models.scenario import Scenario
from scenarios.generate import generate_scenario
from solver.builder import build
from solver.lns import cpsat_solver, run_cpsat

ROOT = Path(__file__).resolve().parent.parent
PLAN_OF_DEMO = """
from models.io import load_scenario
from models.prepare import prepare
from solver.greedy_state import GreedyState
from solver.solve import SolveParams, solve
prepared = prepare(load_scenario("scenarios/demo.yaml"))
state = GreedyState(prepared)
state.spare_rare_skills()  # a float per technician, from its set of skill names
print(repr(state.rarity))
result = solve(prepared, SolveParams(time_limit=2, deterministic=True))
print(result.plan.model_dump_json(include={"assignments", "reserve", "unscheduled"}))
"""


def _plan_in_a_process(hash_seed: str) -> str:
    env = {**os.environ, "PYTHONHASHSEED": hash_seed}
    done = subprocess.run(
        [sys.executable, "-c", PLAN_OF_DEMO],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=600, check=True,
    )
    return done.stdout


def test_deterministic_demo_plan_is_the_same_under_any_hash_seed() -> None:
    first, second = _plan_in_a_process("1"), _plan_in_a_process("2")  # rarity differed once
    assert '"assignments":[{' in first
    assert first == second


def test_a_deterministic_run_cut_by_the_clock_says_so(caplog: pytest.LogCaptureFixture) -> None:
    """Under heavy load the wall-clock guard once cut a deterministic run short, and two runs of
    the same seed gave different plans without a word (the test above failed)."""
    prepared = prepare(Scenario.model_validate(generate_scenario(10, 2, seed=1)))
    planning = build(prepared)
    solver = cpsat_solver(5.0, workers=1, seed=0, deterministic=True)
    solver.parameters.max_time_in_seconds = 0.001  # a machine far slower than expected
    with caplog.at_level(logging.WARNING, logger="solver.lns"):
        run_cpsat(solver, planning.model, deterministic=True)
    assert "wall-clock guard" in caplog.text
    caplog.clear()
    solver = cpsat_solver(0.1, workers=1, seed=0, deterministic=True)
    with caplog.at_level(logging.WARNING, logger="solver.lns"):
        run_cpsat(solver, planning.model, deterministic=True)
    assert caplog.text == ""

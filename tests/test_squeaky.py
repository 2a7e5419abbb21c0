"""Rounds of the greedy that move up the work it served badly (``solver.squeaky``)."""

from __future__ import annotations

import random

import pytest
from conftest import checked_terms

from models.prepare import Prepared, prepare
from models.scenario import Scenario
from scenarios.generate import generate_scenario
from solver.greedy import best_greedy
from solver.greedy_order import flexible_order
from solver.schedule import Schedule
from solver.squeaky import _moved_up, squeaky_wheel


@pytest.fixture(scope="module")
def generated_s() -> Prepared:
    """The benchmark's S: 10 technicians, 2 weeks, generator seed 1."""
    return prepare(Scenario.model_validate(generate_scenario(10, 2, seed=1)))


def test_rounds_of_the_greedy_plan_work_it_left_out(generated_s: Prepared) -> None:
    """The greedy leaves chain tasks out of generated S (114,000 unscheduled points); forty
    rounds with them moved up leave less out, in a checked plan; the first plan and each
    better one are reported."""
    first = best_greedy(generated_s)
    reported: list[float] = []
    schedule = squeaky_wheel(
        generated_s, first, None, random.Random(0), rounds=40, report=reported.append
    )
    before, after = (
        checked_terms(generated_s, first.schedule),
        checked_terms(generated_s, schedule),
    )
    assert after["unscheduled"] < before["unscheduled"]
    assert reported
    assert reported == sorted(reported, reverse=True)
    assert reported[0] == pytest.approx(sum(before.values()))
    assert reported[-1] == pytest.approx(sum(after.values()))


def test_the_same_seed_gives_the_same_rounds(generated_s: Prepared) -> None:
    """Deterministic runs count rounds, and the noise comes from the seed alone."""
    first = best_greedy(generated_s)
    plans = [
        squeaky_wheel(generated_s, first, None, random.Random(3), rounds=5).placed for _ in range(2)
    ]
    assert plans[0] == plans[1]


def test_left_out_work_moves_up_with_its_chain_and_the_rest_keeps_its_order(
    generated_s: Prepared,
) -> None:
    """A left-out task moves forward, with every task before it in its chain; the other work
    keeps its order, and every task still comes after its predecessors."""
    prepared = generated_s
    order = flexible_order(prepared)
    last_task = next(item for item in reversed(order) if item.after)
    chain = prepared.ancestors(last_task) | {last_task.index}
    # everything else in and on time: its parts end before the horizon starts
    schedule = Schedule(
        placed={
            item.index: (0, (-1440,) * len(item.parts)) for item in order if item is not last_task
        }
    )
    moved = _moved_up(prepared, order, schedule, random.Random(0))

    before = {item.index: k for k, item in enumerate(order)}
    after = {item.index: k for k, item in enumerate(moved)}
    assert sorted(after) == sorted(before)
    assert after[last_task.index] < before[last_task.index]
    assert all(after[b] < after[item.index] for item in moved for b in item.after)
    rest = [item.index for item in order if item.index not in chain]
    assert rest == sorted(rest, key=after.__getitem__)

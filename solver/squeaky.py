"""Squeaky wheel: the greedy again and again, with the work it served badly moved up.

The greedy's order decides who gets the free time first; what it leaves out or finishes late
is work the order served too late. Each round moves that work forward in the order, with
the tasks before it in its chain, and runs the greedy again; the best plan is kept and
becomes CP-SAT's hint (Joslin and Clements, "Squeaky wheel" optimization, JAIR 10, 1999).

Why it pays: CP-SAT and the polish passes improve a plan by small changes, and a plan whose
chains the greedy broke up needs many of them. Generated M at 60 s, seeds 0-2, with and
without a quarter of the time here: 323 / 45 / 43 points against 1,338 / 3,727 / 1,298;
generated S at 10 s: nothing left out in 8 of 8 seeds, against a chain task left out in
each of seeds 0-3 without.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable

from models.prepare import Prepared
from models.records import PreparedItem
from solver.greedy import Best, Placements, greedy
from solver.greedy_order import flexible_order, predecessors_first
from solver.objective import late_minutes, schedule_objective
from solver.schedule import Schedule

STEP = 0.1
"""How far a left-out item moves up, as a share of the order's length (times a random factor
of 0.5-1.5, so that rounds differ). Generated M, 15 s from the greedy's 210,006 points:
53,517 with 0.1, 54,035 with 0.05, 87,599 with 0.2."""
LATE_DAYS_FOR_FULL_STEP = 4
"""A late item moves a fifth of a step, and a fifth more for each day late it is up to this
many days: lateness costs far less than leaving work out."""


def squeaky_wheel(
    prepared: Prepared,
    first: Best,
    prefer: Placements | None,
    rng: random.Random,
    *,
    until: float | None = None,
    rounds: int | None = None,
    report: Callable[[float], None] | None = None,
) -> Schedule:
    """The best plan of rounds of the greedy with ``first``'s rule, from ``first``'s plan on,
    until the clock reaches ``until`` (no round starts that would likely end after it) or for
    ``rounds`` rounds (deterministic runs). ``report`` hears the first plan's objective and
    each better one."""
    rule = first.rule
    order = flexible_order(prepared, rule.by_slack, rule.tight)
    best = schedule = first.schedule
    value = schedule_objective(prepared, best)
    if report is not None:  # the first plan, at once: the rounds may take a while
        report(value)
    started, done = time.perf_counter(), 0
    while value > 0 and _another_round(done, rounds, until, started, first.run_seconds):
        order = _moved_up(prepared, order, schedule, rng)
        schedule = greedy(prepared, prefer, **rule._asdict(), order=order)
        done += 1
        objective = schedule_objective(prepared, schedule)
        if objective < value:
            best, value = schedule, objective
            if report is not None:
                report(value)
    return best


def _another_round(
    done: int, rounds: int | None, until: float | None, started: float, run_seconds: float
) -> bool:
    if rounds is not None:
        return done < rounds
    assert until is not None
    per_round = (time.perf_counter() - started) / done if done else run_seconds
    return time.perf_counter() + per_round <= until


def _moved_up(
    prepared: Prepared, order: list[PreparedItem], schedule: Schedule, rng: random.Random
) -> list[PreparedItem]:
    """The order with the left-out and late items of ``schedule`` and their chains' earlier
    tasks moved forward (``STEP``); the others keep their places."""
    position = {item.index: k for k, item in enumerate(order)}
    rank: dict[int, float] = dict(position)
    for item in order:
        blame = _blame(item, schedule)
        if blame:
            step = STEP * len(order) * blame * rng.uniform(0.5, 1.5)
            for index in prepared.ancestors(item) | {item.index}:
                rank[index] = min(rank[index], position[index] - step)
    return predecessors_first(prepared, lambda item: (rank[item.index], item.index))


def _blame(item: PreparedItem, schedule: Schedule) -> float:
    """1 for a left-out item; for a late one, from 0.2 up to 1 when four days late or more."""
    if item.index not in schedule.placed:
        return 1.0
    late_days = late_minutes(item, schedule) / 1440
    if not late_days:
        return 0.0
    return min(1.0, (1 + late_days) / (1 + LATE_DAYS_FOR_FULL_STEP))

"""Erlang B / C / A in ``solver.queueing``: published figures, pyworkforce, chains, simulation.

pyworkforce (a test-only dependency) is the independent Erlang C reference; Erlang A is
checked against the exact birth-death chain and a seeded FIFO simulation with abandonment.
"""

from __future__ import annotations

import heapq
import itertools
import math
import time
from collections.abc import Callable

import numpy as np
import pytest
from pyworkforce.queuing import ErlangC

from solver.queueing import (
    Queue,
    erlang_b,
    erlang_c,
    log_erlang_b,
    mean_wait,
    occupancy,
    performance,
    positions_for,
    required_agents,
    service_level,
    wait_probability,
)


def test_published_vector() -> None:
    """pyworkforce's README: 100 calls / 30 min, AHT 3 min, 20 s, SL 0.8, shrinkage 0.3."""
    staffing = required_agents(Queue(100 / 30, 3), 20 / 60, 0.8, max_occupancy=0.85, shrinkage=0.3)
    assert (staffing.raw, staffing.positions) == (14, 20)
    assert staffing.performance.service_level == pytest.approx(0.888, abs=1e-3)
    assert staffing.performance.wait_probability == pytest.approx(0.174, abs=1e-3)
    assert staffing.performance.occupancy == pytest.approx(10 / 14)


# (transactions per interval, aht, asa, interval, shrinkage, service level, max occupancy);
# chosen away from two pyworkforce quirks: its search starts at round(A + 1), one above the
# smallest stable count when A has a fraction >= .5, and ceil(21 / 0.7) gives 31.
CASES = [
    (100, 3, 20 / 60, 30, 0.3, 0.8, 0.85),
    (100, 3, 20 / 60, 30, 0.0, 0.8, 1.0),
    (300, 4, 0.5, 60, 0.25, 0.9, 0.9),
    (12, 45, 30, 60, 0.2, 0.8, 1.0),
    (50, 6, 1, 60, 0.1, 0.95, 0.8),
    (2400, 5, 1 / 3, 60, 0.35, 0.8, 0.95),
    (4, 60, 30, 60, 0.3, 0.8, 1.0),
]


@pytest.mark.parametrize("case", CASES)
def test_required_agents_match_pyworkforce(case: tuple[float, ...]) -> None:
    transactions, aht, asa, interval, shrinkage, level, max_occupancy = case
    reference = ErlangC(
        transactions=transactions, aht=aht, asa=asa, interval=interval, shrinkage=shrinkage
    ).required_positions(service_level=level, max_occupancy=max_occupancy)
    staffing = required_agents(
        Queue(transactions / interval, aht),
        asa,
        level,
        max_occupancy=max_occupancy,
        shrinkage=shrinkage,
    )
    assert staffing.raw == reference["raw_positions"]
    assert staffing.positions == reference["positions"]
    found = staffing.performance
    assert found.service_level == pytest.approx(reference["service_level"], abs=1e-3)
    assert found.wait_probability == pytest.approx(reference["waiting_probability"], abs=1e-3)
    assert found.occupancy == pytest.approx(reference["occupancy"], abs=1e-3)


@pytest.mark.parametrize(
    ("per_interval", "aht", "asa"), [(100, 3, 1 / 3), (30, 20, 5), (7, 50, 15)]
)
def test_measures_match_pyworkforce_for_every_stable_count(
    per_interval: float, aht: float, asa: float
) -> None:
    reference = ErlangC(transactions=per_interval, aht=aht, asa=asa, interval=60)
    queue = Queue(per_interval / 60, aht)
    for agents in range(math.floor(queue.traffic) + 1, math.floor(queue.traffic) + 25):
        assert wait_probability(queue, agents) == pytest.approx(
            reference.waiting_probability(agents), abs=1e-9
        )
        assert service_level(queue, agents, asa) == pytest.approx(
            reference.service_level(agents), abs=1e-9
        )
        assert occupancy(queue, agents) == pytest.approx(reference.achieved_occupancy(agents))


def test_erlang_b_table_values() -> None:
    assert erlang_b(10, 5) == pytest.approx(0.018385, abs=1e-6)
    assert erlang_b(1, 3) == pytest.approx(3 / 4)
    assert erlang_b(0, 3) == 1
    assert erlang_b(5, 0) == 0


@pytest.mark.parametrize(("agents", "traffic"), [(3, 2.5), (40, 31.7), (170, 150.0)])
def test_log_erlang_b_matches_the_closed_form(agents: int, traffic: float) -> None:
    logs = [k * math.log(traffic) - math.lgamma(k + 1) for k in range(agents + 1)]
    peak = max(logs)
    expected = logs[-1] - (peak + math.log(sum(math.exp(v - peak) for v in logs)))
    assert log_erlang_b(agents, traffic) == pytest.approx(expected, rel=1e-10)


def test_large_traffic_is_finite_and_fast() -> None:
    started = time.perf_counter()
    assert 0 < erlang_b(20_000, 19_500) < 1
    assert erlang_b(5_000, 10.0) == 0  # underflows to 0, no overflow or nan
    # sum_k A^k / k! is e^A to float precision here
    assert log_erlang_b(5_000, 10.0) == pytest.approx(
        5_000 * math.log(10) - math.lgamma(5_001) - 10
    )
    staffing = required_agents(Queue(20_000 / 60, 30), 0.5, 0.8)
    assert 10_000 < staffing.raw < 10_300
    assert 0.8 <= staffing.performance.service_level < 0.81
    assert time.perf_counter() - started < 5


def test_unstable_erlang_c_queue() -> None:
    queue = Queue(10 / 60, 60)  # 10 Erlangs
    found = performance(queue, 10, 30)
    assert (found.service_level, found.wait_probability, found.mean_wait) == (0, 1, math.inf)
    assert erlang_c(9, 10) == 1


def test_mean_wait_is_erlang_c_asa() -> None:
    queue = Queue(100 / 30, 3)
    assert mean_wait(queue, 14) == pytest.approx(erlang_c(14, 10) * 3 / (14 - 10))


def test_positions_ignore_float_noise() -> None:
    assert positions_for(21, 0.3) == 30  # 21 / 0.7 = 30.000000000000004
    assert positions_for(14, 0.3) == 20
    assert positions_for(15, 0.3) == 22
    assert positions_for(7, 0.0) == 7


@pytest.mark.parametrize(
    "call",
    [
        lambda: required_agents(Queue(1, 3), 1, 1.0),
        lambda: required_agents(Queue(1, 3), 1, 0.8, shrinkage=1.0),
        lambda: required_agents(Queue(1, 3), 1, 0.8, max_occupancy=0),
        lambda: required_agents(Queue(1e12, 3), 1, 0.8),
        lambda: Queue(-1, 3),
        lambda: Queue(1, 0),
        lambda: Queue(1, 3, patience=0),
        lambda: Queue(math.nan, 3),
        lambda: performance(Queue(1, 3), 0, 1),
    ],
)
def test_bad_input_is_a_value_error(call: Callable[[], object]) -> None:
    with pytest.raises(ValueError, match=r"\S"):
        call()


# -- Erlang A -----------------------------------------------------------------------------------
def _exact_chain(queue: Queue, agents: int, states: int = 4000) -> np.ndarray:
    """Stationary distribution of the M/M/N+M birth-death chain, truncated far out."""
    assert queue.patience is not None
    log_p = np.zeros(states)
    for n in range(1, states):
        death = min(n, agents) / queue.handling + max(0, n - agents) / queue.patience
        log_p[n] = log_p[n - 1] + math.log(queue.per_minute / death)
    p = np.exp(log_p - log_p.max())
    return p / p.sum()


@pytest.mark.parametrize(
    ("per_minute", "handling", "patience", "agents"),
    [(100 / 30, 3, 1, 12), (1 / 10, 45, 30, 4), (2, 10, 5, 15), (2, 10, 5, 25), (0.5, 6, 60, 2)],
)
def test_erlang_a_matches_the_exact_chain(
    per_minute: float, handling: float, patience: float, agents: int
) -> None:
    queue = Queue(per_minute, handling, patience)
    p = _exact_chain(queue, agents)
    queued = np.clip(np.arange(len(p)) - agents, 0, None)
    abandonment = float((p * queued).sum()) / patience / per_minute  # theta E[Q] / lambda
    found = performance(queue, agents, 5)
    assert found.wait_probability == pytest.approx(float(p[agents:].sum()), abs=1e-9)
    assert found.abandonment == pytest.approx(abandonment, abs=1e-9)
    assert found.mean_wait == pytest.approx(float((p * queued).sum()) / per_minute, abs=1e-9)
    busy = float((p * np.minimum(np.arange(len(p)), agents)).sum())
    assert found.occupancy == pytest.approx(busy / agents, abs=1e-9)


def _simulated_service_level(queue: Queue, agents: int, target: float, n: int) -> float:
    """FIFO with abandonment: each arrival takes the first free agent unless it gives up first."""
    assert queue.patience is not None
    rng = np.random.default_rng(7)
    arrivals = np.cumsum(rng.exponential(1 / queue.per_minute, n))
    services = rng.exponential(queue.handling, n)
    patience = rng.exponential(queue.patience, n)
    free = [0.0] * agents
    in_time = 0
    for arrival, service, wait_limit in zip(arrivals, services, patience, strict=True):
        wait = max(0.0, free[0] - arrival)
        if wait <= wait_limit:
            heapq.heapreplace(free, arrival + wait + service)
            in_time += wait <= target
    return in_time / n


@pytest.mark.parametrize(
    ("per_minute", "handling", "patience", "agents", "target"),
    [(2, 10, 5, 18, 1), (2, 10, 5, 20, 0.5), (1 / 10, 45, 30, 5, 10)],
)
def test_erlang_a_service_level_matches_a_simulation(
    per_minute: float, handling: float, patience: float, agents: int, target: float
) -> None:
    queue = Queue(per_minute, handling, patience)
    simulated = _simulated_service_level(queue, agents, target, 200_000)
    assert service_level(queue, agents, target) == pytest.approx(simulated, abs=0.01)


def test_erlang_a_tends_to_erlang_c_with_endless_patience() -> None:
    patient, classic = Queue(100 / 30, 3, 1e7), Queue(100 / 30, 3)
    for agents in (11, 12, 14, 20):
        a, c = performance(patient, agents, 1 / 3), performance(classic, agents, 1 / 3)
        assert a.service_level == pytest.approx(c.service_level, abs=1e-5)
        assert a.wait_probability == pytest.approx(c.wait_probability, abs=1e-5)
        assert a.mean_wait == pytest.approx(c.mean_wait, rel=1e-4)


def test_erlang_a_is_monotone_and_copes_with_overload() -> None:
    queue = Queue(10, 6, 2)  # 60 Erlangs
    levels = [service_level(queue, agents, 0.5) for agents in range(1, 90)]
    assert all(b >= a - 1e-12 for a, b in itertools.pairwise(levels))
    overloaded = performance(queue, 30, 0.5)
    assert 0 <= overloaded.service_level <= 30 / 60
    assert overloaded.abandonment == pytest.approx(0.5, abs=0.05)
    staffing = required_agents(queue, 0.5, 0.8)
    assert staffing.performance.service_level >= 0.8
    assert performance(queue, staffing.raw - 1, 0.5).service_level < 0.8


def test_patience_lowers_the_agents_needed() -> None:
    classic = required_agents(Queue(100 / 30, 3), 1 / 3, 0.8)
    patient = required_agents(Queue(100 / 30, 3, 2), 1 / 3, 0.8)
    assert patient.raw <= classic.raw


@pytest.mark.parametrize("patience", [0.5, 5, 60, 10_000])
@pytest.mark.parametrize("max_occupancy", [1.0, 0.8])
def test_erlang_a_staffing_is_the_smallest(patience: float, max_occupancy: float) -> None:
    queue = Queue(3, 8, patience)  # 24 Erlangs
    staffing = required_agents(queue, 1, 0.9, max_occupancy=max_occupancy)
    found = staffing.performance
    assert found.service_level >= 0.9
    assert found.occupancy <= max_occupancy
    fewer = performance(queue, staffing.raw - 1, 1)
    assert fewer.service_level < 0.9 or fewer.occupancy > max_occupancy

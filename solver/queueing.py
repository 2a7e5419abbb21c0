"""Queueing formulas for the incident buffer: Erlang B, Erlang C and Erlang A.

Erlang C (M/M/N) assumes every incident waits until a technician takes it; Erlang A
(M/M/N+M) lets a waiting incident be given up after an exponential patience (the customer
escalates, fixes it himself, or calls again later). All times are minutes.

Erlang B is computed by its recursion in log space, so no factorial is ever formed and
thousands of agents at thousands of Erlangs stay finite. The Erlang A sums are evaluated
in log space too (see ``_log_series``).

Erlang A, with ``x = N mu / theta`` and ``y = lambda / theta`` (``theta`` = 1 / patience)::

    G(x, y) = sum_j>=0 y^j / ((x+1)(x+2)...(x+j))         # states with all N busy, / pi_N
    P(wait) = G B / (1 + (G - 1) B)                        # B = Erlang B(N, A)
    P(served, waited <= t) = pi_N (x / y) ((G(x, y) - 1) - w^x e^(y (1-w)) (G(x, y w) - 1))

with ``w = exp(-theta t)`` and ``pi_N = B / (1 - B + G B)``; the last line follows from the
offered wait behind ``j`` queued incidents being a pure-death time with rates
``theta (x + i)`` (Mandelbaum & Zeltyn's M/M/n+M summary gives the same measures).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

MAX_AGENTS = 1_000_000
"""Searches for a staffing level give up beyond this many agents (the input is absurd)."""
_TINY = 1e-18
MAX_TERMS = 10_000_000
"""Longest Erlang A series summed; only patience millions of times the handling gets there."""
"""Series terms below this share of the largest term no longer change a float sum."""


@dataclass(frozen=True)
class Queue:
    """A stream of incidents: arrivals per minute, mean handling and (optional) patience.

    Parameters
    ----------
    per_minute : float
        Mean arrivals per minute (Poisson), at least 0.
    handling : float
        Mean handling time in minutes (exponential), more than 0.
    patience : float or None
        Mean patience in minutes (exponential), more than 0; ``None`` waits forever
        (Erlang C).
    """

    per_minute: float
    handling: float
    patience: float | None = None

    def __post_init__(self) -> None:
        if not (math.isfinite(self.per_minute) and self.per_minute >= 0):
            raise ValueError(f"arrival rate must be finite and >= 0, got {self.per_minute}")
        if not (math.isfinite(self.handling) and self.handling > 0):
            raise ValueError(f"handling time must be finite and > 0, got {self.handling}")
        if self.patience is not None and not (math.isfinite(self.patience) and self.patience > 0):
            raise ValueError(f"patience must be finite and > 0, got {self.patience}")

    @property
    def traffic(self) -> float:
        """Offered load in Erlangs: arrivals per minute times handling minutes."""
        return self.per_minute * self.handling


@dataclass(frozen=True)
class Performance:
    """What a queue achieves with a given number of agents.

    Attributes
    ----------
    agents : int
        Agents taking incidents (raw, after shrinkage).
    service_level : float
        Share of all arrivals answered within the target.
    wait_probability : float
        Share of arrivals that find every agent busy.
    mean_wait : float
        Mean wait in minutes over all arrivals (ASA; ``inf`` for an unstable Erlang C queue).
    occupancy : float
        Share of the agents' time spent handling incidents.
    abandonment : float
        Share of arrivals that give up waiting (0 for Erlang C).
    """

    agents: int
    service_level: float
    wait_probability: float
    mean_wait: float
    occupancy: float
    abandonment: float


@dataclass(frozen=True)
class Staffing:
    """Agents needed for a target: ``raw`` working agents and ``positions`` to roster.

    Attributes
    ----------
    raw : int
        Smallest number of agents meeting service level and maximum occupancy.
    positions : int
        ``ceil(raw / (1 - shrinkage))``: agents to roster so that ``raw`` are available.
    performance : Performance
        The queue's measures with ``raw`` agents.
    """

    raw: int
    positions: int
    performance: Performance


def log_erlang_b(agents: int, traffic: float) -> float:
    """Natural log of Erlang B, the blocking probability of ``agents`` servers.

    Parameters
    ----------
    agents : int
        Number of servers, at least 0.
    traffic : float
        Offered load in Erlangs, at least 0.

    Returns
    -------
    float
        ``log B(agents, traffic)``; ``-inf`` when there is no traffic but there are servers.
    """
    if agents < 0 or traffic < 0:
        raise ValueError("agents and traffic must not be negative")
    if traffic == 0:
        return 0.0 if agents == 0 else -math.inf
    log_b, log_a = 0.0, math.log(traffic)
    for n in range(1, agents + 1):  # B(n) = A B(n-1) / (n + A B(n-1)), in logs
        log_b = log_a + log_b - math.log(n + traffic * math.exp(log_b))
    return log_b


def erlang_b(agents: int, traffic: float) -> float:
    """Erlang B: probability that an arrival finds all ``agents`` busy in a loss system."""
    return math.exp(log_erlang_b(agents, traffic))


def erlang_c(agents: int, traffic: float) -> float:
    """Erlang C: probability that an arrival has to wait (1 if ``agents <= traffic``)."""
    return _erlang_c_from(agents, traffic, log_erlang_b(agents, traffic))


def _erlang_c_from(agents: int, traffic: float, log_b: float) -> float:
    if traffic == 0:
        return 0.0
    if agents <= traffic:
        return 1.0
    b = math.exp(log_b)
    return agents * b / (agents - traffic * (1 - b))


def performance(queue: Queue, agents: int, target: float) -> Performance:
    """Service level, wait probability, ASA, occupancy and abandonment with ``agents``.

    Parameters
    ----------
    queue : Queue
        The incident stream.
    agents : int
        Agents taking incidents, at least 1.
    target : float
        Response target in minutes: an incident counts as answered in time if a technician
        takes it within this many minutes.

    Returns
    -------
    Performance
    """
    if agents < 1:
        raise ValueError(f"agents must be at least 1, got {agents}")
    if target < 0:
        raise ValueError(f"target must not be negative, got {target}")
    return _performance_from(queue, agents, target, log_erlang_b(agents, queue.traffic))


def service_level(queue: Queue, agents: int, target: float) -> float:
    """Share of arrivals answered within ``target`` minutes (see `performance`)."""
    return performance(queue, agents, target).service_level


def wait_probability(queue: Queue, agents: int) -> float:
    """Share of arrivals that find all ``agents`` busy (see `performance`)."""
    return performance(queue, agents, 0.0).wait_probability


def mean_wait(queue: Queue, agents: int) -> float:
    """Average speed of answer in minutes over all arrivals (see `performance`)."""
    return performance(queue, agents, 0.0).mean_wait


def occupancy(queue: Queue, agents: int) -> float:
    """Share of the agents' time spent handling incidents (see `performance`)."""
    return performance(queue, agents, 0.0).occupancy


def positions_for(raw: int, shrinkage: float) -> int:
    """Agents to roster so that ``raw`` are available: ``ceil(raw / (1 - shrinkage))``.

    A relative tolerance keeps float noise (21 / 0.7 = 30.000000000000004) from adding one.
    """
    if not 0 <= shrinkage < 1:
        raise ValueError(f"shrinkage must lie in [0, 1), got {shrinkage}")
    exact = raw / (1 - shrinkage)
    return math.ceil(exact * (1 - 1e-12))


def required_agents(
    queue: Queue,
    target: float,
    level: float,
    *,
    max_occupancy: float = 1.0,
    shrinkage: float = 0.0,
) -> Staffing:
    """Smallest staffing that answers ``level`` of arrivals within ``target`` minutes.

    Parameters
    ----------
    queue : Queue
        The incident stream.
    target : float
        Response target in minutes.
    level : float
        Required service level, in (0, 1).
    max_occupancy : float
        Highest acceptable occupancy, in (0, 1].
    shrinkage : float
        Share of rostered time not available for incidents (meetings, training), in [0, 1).

    Returns
    -------
    Staffing
        ``raw`` agents meeting both service level and maximum occupancy, and the
        ``positions`` to roster once shrinkage is added.
    """
    if not 0 < level < 1:
        raise ValueError(f"service level must lie in (0, 1), got {level}")
    if not 0 < max_occupancy <= 1:
        raise ValueError(f"max occupancy must lie in (0, 1], got {max_occupancy}")
    positions_for(0, shrinkage)  # validates shrinkage before the search
    traffic = queue.traffic
    if traffic * level > MAX_AGENTS:
        raise ValueError(f"{traffic:.3g} Erlangs need more than {MAX_AGENTS} agents")

    def meets(found: Performance) -> bool:
        return found.service_level >= level and found.occupancy <= max_occupancy

    if queue.patience is None:
        found = _erlang_c_search(queue, target, meets, max_occupancy)
    else:
        found = _erlang_a_search(queue, target, meets, level)
    return Staffing(found.agents, positions_for(found.agents, shrinkage), found)


def _erlang_c_search(
    queue: Queue, target: float, meets: Callable[[Performance], bool], max_occupancy: float
) -> Performance:
    """Count up from the first stable count meeting the occupancy, Erlang B one step a count."""
    traffic = queue.traffic
    agents = max(1, math.floor(traffic) + 1, math.ceil(traffic / max_occupancy * (1 - 1e-12)))
    log_b = log_erlang_b(agents, traffic)
    while agents <= MAX_AGENTS:
        found = _erlang_c_performance(queue, agents, target, log_b)
        if meets(found):
            return found
        agents += 1
        log_b = _next_log_b(log_b, agents, traffic)
    raise ValueError(f"more than {MAX_AGENTS} agents needed; check the inputs")


def _erlang_a_search(
    queue: Queue, target: float, meets: Callable[[Performance], bool], level: float
) -> Performance:
    """Gallop up, then bisect: service level rises and occupancy falls with each agent.

    With abandonment at most N / A of the arrivals are served, so N >= level A; below
    ``hopeless`` more than MAX_TERMS / 2 incidents queue and none is answered in time.
    """
    assert queue.patience is not None
    hopeless = (queue.per_minute - MAX_TERMS / 2 / queue.patience) * queue.handling
    low = max(1, math.floor(level * queue.traffic), math.floor(hopeless))
    seen: dict[int, Performance] = {}

    def at(agents: int) -> Performance:
        if agents not in seen:
            log_b = log_erlang_b(agents, queue.traffic)
            seen[agents] = _erlang_a_performance(queue, agents, target, log_b)
        return seen[agents]

    high, step = low, 1
    while not meets(at(high)):  # every count below `low` fails
        low, high, step = high + 1, high + step, step * 2
        if high > MAX_AGENTS:
            raise ValueError(f"more than {MAX_AGENTS} agents needed; check the inputs")
    while low < high:
        middle = (low + high) // 2
        low, high = (low, middle) if meets(at(middle)) else (middle + 1, high)
    return at(high)


def _next_log_b(log_b: float, agents: int, traffic: float) -> float:
    """``log B(agents)`` from ``log B(agents - 1)``: one step of the Erlang B recursion."""
    if traffic == 0:
        return -math.inf
    return math.log(traffic) + log_b - math.log(agents + traffic * math.exp(log_b))


def _performance_from(queue: Queue, agents: int, target: float, log_b: float) -> Performance:
    """The measures of either model, given ``log B(agents, traffic)``."""
    if queue.patience is None:
        return _erlang_c_performance(queue, agents, target, log_b)
    return _erlang_a_performance(queue, agents, target, log_b)


def _erlang_c_performance(queue: Queue, agents: int, target: float, log_b: float) -> Performance:
    traffic = queue.traffic
    wait = _erlang_c_from(agents, traffic, log_b)
    if agents <= traffic and traffic > 0:  # unstable: the queue grows without bound
        return Performance(agents, 0.0, 1.0, math.inf, 1.0, 0.0)
    spare = agents - traffic
    level = 1 - wait * math.exp(-spare * target / queue.handling)
    asa = wait * queue.handling / spare
    return Performance(agents, max(0.0, level), wait, asa, traffic / agents, 0.0)


def _erlang_a_performance(queue: Queue, agents: int, target: float, log_b: float) -> Performance:
    assert queue.patience is not None
    if queue.per_minute == 0:
        return Performance(agents, 1.0, 0.0, 0.0, 0.0, 0.0)
    theta = 1 / queue.patience
    x, y = agents / queue.handling / theta, queue.per_minute / theta
    log_g1 = _log_series(x, y)  # log (G(x, y) - 1)
    log_gb = float(np.logaddexp(0.0, log_g1)) + log_b  # log (G B)
    not_blocked = -math.expm1(log_b)  # 1 - B, exact for tiny B
    log_not_blocked = math.log(not_blocked) if not_blocked > 0 else -math.inf
    log_pi = log_b - float(np.logaddexp(log_not_blocked, log_gb))
    wait = 1 / (1 + not_blocked * math.exp(-log_gb))
    served_waiting = math.exp(log_pi + math.log(x / y) + log_g1)
    w = math.exp(-theta * target)
    log_late = log_pi + math.log(x / y) - agents * target / queue.handling + y * (1 - w)
    late = math.exp(log_late + _log_series(x, y * w)) if w > 0 else 0.0
    abandonment = max(0.0, wait - served_waiting)
    level = min(1.0, max(0.0, 1 - wait + served_waiting - late))
    carried = queue.traffic * (1 - abandonment)
    return Performance(
        agents, level, wait, abandonment * queue.patience, carried / agents, abandonment
    )


def _log_series(x: float, y: float) -> float:
    """``log(G(x, y) - 1) = log sum_{j>=1} y^j / ((x+1)...(x+j))``, in log space.

    The terms grow while ``x + j < y`` and then fall faster than geometrically; they are
    summed in chunks, relative to the largest so far, until the newest is negligible.
    """
    if y <= 0:
        return -math.inf
    log_y, chunk = math.log(y), int(max(64, 4 * math.sqrt(y) + 64))
    start, offset, peak, total = 1, 0.0, -math.inf, 0.0  # total = sum exp(term - peak)
    while not (x + start > y and offset < peak + math.log(_TINY)):
        if start > MAX_TERMS:
            raise ValueError("patience too long against handling for Erlang A; leave it out")
        terms = offset + np.cumsum(log_y - np.log(x + np.arange(start, start + chunk)))
        top = float(terms.max())
        if top > peak:
            total, peak = total * math.exp(peak - top), top
        total += float(np.exp(terms - peak).sum())
        offset, start = float(terms[-1]), start + chunk
    return peak + math.log(total)

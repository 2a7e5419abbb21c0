"""Monte Carlo simulation of a plan: what the forecast incidents do to it, run by run.

Incidents arrive by the forecast: a Poisson count for each local hour of each day of the
horizon (``models.forecast.hourly_arrivals``; the hour a daylight-saving change skips brings
none, the doubled hour its mean once over 120 minutes), spread uniformly inside the hour; a
class by its share; a handling time that is log-normal with exactly the given mean and cv
(cv 0: always the mean), or exponential with the given mean (``distribution="exponential"``).
Replication ``r`` draws from ``numpy.random.default_rng([seed, r])`` in a fixed order (counts,
offsets, classes, handling), so its incident stream depends on the seed, ``r`` and the
forecast and the horizon only: every plan or buffer compared sees the same incidents (common
random numbers).

Dispatch. Incidents need no skill. A technician takes incidents only while *present* (inside
an ``available`` segment); once taken, an incident is handled to its end, past the segment if
need be. A present technician who is neither on an incident nor doing planned work (idle or in
a reserve block) takes a new incident at once; among several, the one whose free stretch of
the plan lasts longest (then the first listed). Otherwise the incident waits: most urgent class
first (shortest response target), first come first served within a class. When its response
target passes (``elapsed_minutes(response)`` after arrival) and it still waits, it takes the
next present technician not on an incident at once, interrupting planned work (recurring blocks
included): the lowest-priority piece in progress (highest priority number, then the first
technician listed). An answer at the target counts as in time.

Planned work is displaced, never dropped. A technician works through the plan's pieces in
planned order: a piece starts at its planned start or, when the technician is still busy
(incident, or earlier planned work), as soon as he is free, pushing the later pieces. Planned
work runs only inside the technician's *scheduled time* (available segments plus planned
after-hours work) and, for spill-over, in an overtime window of ``overtime_cap`` minutes
(default 120) after the end of the day's last scheduled time; what does not fit pauses until
the next scheduled time (the next day), ahead of that day's own plan. Breaks, absences and
holidays are never worked through (the overtime window excludes them too). Work left at the
horizon end runs straight after it ("carried over"). Precedence between items of different
technicians is not re-checked.

Per replication: share of each class answered in time (unanswered at the horizon end count as
missed), share that had to wait, mean and 95th percentile wait of answered incidents (minutes),
planned hours displaced (planned minutes done outside their planned interval), items with a
due date that finish late but were on time in the plan, overtime hours (minutes worked outside
scheduled time, incidents included), carried-over hours, interruptions, and utilisation
(incident plus planned minutes over available minutes). ``summary()`` gives each as mean with
a 95 % normal interval over replications, mean +/- 1.96 sd / sqrt(n).
"""

from __future__ import annotations

import bisect
import itertools
import math
import os
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from functools import partial
from multiprocessing import get_context
from typing import Any, Literal

import numpy as np

from models.forecast import elapsed_minutes, hourly_arrivals
from models.intervals import Interval, merge, subtract
from models.plan import Plan
from models.prepare import Prepared
from models.records import PreparedTechnician
from models.scenario_incidents import Incidents

Distribution = Literal["lognormal", "exponential"]
OVERTIME_CAP = 120
"""Minutes per technician and day that displaced planned work may run past scheduled time."""
Z95 = 1.959963984540054
_EPS = 1e-9
_INF = math.inf


@dataclass(frozen=True, eq=False)
class IncidentStream:
    """One replication's incidents, in order of arrival."""

    arrival: np.ndarray
    """Minutes from the horizon start (float)."""
    priority: np.ndarray
    """Index into ``incidents.priorities``."""
    handling: np.ndarray
    """Handling minutes (float)."""


@dataclass(frozen=True, eq=False)
class _Forecast:
    """The forecast on the horizon's hour grid, built once per simulation."""

    start: np.ndarray
    length: np.ndarray
    mean: np.ndarray
    cumulative: np.ndarray
    handling: float
    cv: float
    distribution: Distribution


def _forecast(prepared: Prepared, incidents: Incidents, distribution: Distribution) -> _Forecast:
    starts, lengths, means = [], [], []
    for day in prepared.days:
        midnight = datetime.combine(day.date, time())
        edges = [prepared.minute(midnight + timedelta(hours=h)) for h in range(24)] + [day.end]
        hourly = hourly_arrivals(incidents, day.date.weekday(), day.working)
        for h in range(24):
            starts.append(edges[h])
            lengths.append(edges[h + 1] - edges[h])
            means.append(hourly[h] if edges[h + 1] > edges[h] else 0.0)
    shares = np.array([p.share for p in incidents.priorities], dtype=float)
    total = shares.sum()
    shares = shares / total if total > 0 else np.full(len(shares), 1 / len(shares))
    return _Forecast(
        start=np.array(starts, dtype=float),
        length=np.array(lengths, dtype=float),
        mean=np.array(means, dtype=float),
        cumulative=np.cumsum(shares),
        handling=elapsed_minutes(incidents.handling.mean),
        cv=incidents.handling.cv,
        distribution=distribution,
    )


def _draw(forecast: _Forecast, rng: np.random.Generator) -> IncidentStream:
    counts = rng.poisson(forecast.mean)
    n = int(counts.sum())
    offsets = rng.random(n) * np.repeat(forecast.length, counts)
    arrival = np.sort(np.repeat(forecast.start, counts) + offsets)
    last = len(forecast.cumulative) - 1
    priority = np.minimum(np.searchsorted(forecast.cumulative, rng.random(n), side="right"), last)
    mean = forecast.handling
    if forecast.distribution == "exponential":
        handling = mean * rng.standard_exponential(n)
    else:  # log-normal with E = mean, sd = cv * mean: sigma^2 = ln(1 + cv^2), mu = ln mean - s^2/2
        sigma = math.sqrt(math.log1p(forecast.cv**2))
        handling = mean * np.exp(sigma * rng.standard_normal(n) - sigma**2 / 2)
    return IncidentStream(arrival, priority, handling)


def incident_stream(
    prepared: Prepared,
    incidents: Incidents,
    rng: np.random.Generator,
    distribution: Distribution = "lognormal",
) -> IncidentStream:
    """Draw one replication's incidents over the horizon from the forecast.

    Parameters
    ----------
    prepared : Prepared
        The prepared scenario (days, working days, daylight-saving changes).
    incidents : Incidents
        The forecast: volume, profile, handling and classes.
    rng : numpy.random.Generator
        Source of randomness; ``default_rng([seed, r])`` reproduces replication ``r``.
    distribution : {"lognormal", "exponential"}
        Handling time law; both keep the forecast's mean, log-normal also its cv.

    Returns
    -------
    IncidentStream
    """
    return _draw(_forecast(prepared, incidents, distribution), rng)


# -- the plan as data -------------------------------------------------------------------------
@dataclass(frozen=True)
class _Technician:
    """One technician's calendars (sorted starts and ends) and planned pieces, in minutes."""

    seg_s: list[int]
    seg_e: list[int]
    free_s: list[int]
    free_e: list[int]
    sched_s: list[int]
    sched_e: list[int]
    win_s: list[float]
    win_e: list[float]
    ps: list[int]
    pe: list[int]
    pp: list[int]
    pid: list[int]


@dataclass(frozen=True, eq=False)
class _Model:
    techs: tuple[_Technician, ...]
    horizon_end: int
    piece_end: np.ndarray
    piece_item: np.ndarray
    due: np.ndarray
    planned_late: np.ndarray
    planned_minutes: float
    available_minutes: float
    targets: list[float]
    ranks: list[int]
    staffed: tuple[np.ndarray, np.ndarray]
    """Starts and ends of the times when at least one technician is present."""


def _split(intervals: list[Interval]) -> tuple[list[int], list[int]]:
    return [s for s, _ in intervals], [e for _, e in intervals]


Piece = tuple[int, int, int, int]
"""(start, end, item index, item priority) of one planned assignment, in minutes."""


def _pieces(prepared: Prepared, plan: Plan) -> dict[int, list[Piece]]:
    """Technician index -> its planned pieces in planned order."""
    pieces: dict[int, list[Piece]] = {}
    for a in plan.assignments:
        if a.technician not in prepared.technician_index or a.item not in prepared.item_index:
            raise ValueError(f"assignment {a.item} ({a.technician}): unknown item or technician")
        item = prepared.item_index[a.item]
        start, end = prepared.minute(a.start), prepared.minute(a.end)
        entry = (start, end, item, prepared.items[item].priority)
        pieces.setdefault(prepared.technician_index[a.technician], []).append(entry)
    return {tech: sorted(own) for tech, own in sorted(pieces.items())}


def _technician(
    prepared: Prepared, tech: PreparedTechnician, own: list[Piece], first: int, cap: int
) -> _Technician:
    """Calendars of one technician; ``first`` numbers its first piece among all pieces."""
    horizon = prepared.horizon_end
    planned = [(s, e) for s, e, _, _ in own]
    sched = merge(tech.available + planned)
    last_end: dict[int, int] = {}  # day -> end of its last scheduled time
    for s, e in tech.available + planned:
        day = prepared.day_of(s).index
        last_end[day] = max(last_end.get(day, e), e)
    overtime = [(e, min(e + cap, horizon)) for e in last_end.values() if e < horizon]
    overtime = subtract(overtime, [iv for iv, _ in tech.absences] + prepared.holiday_intervals)
    windows = [(float(s), float(e)) for s, e in merge(sched + overtime)]
    windows.append((float(max([horizon] + [e for _, e in windows])), _INF))  # carried over
    return _Technician(
        *_split(tech.available),
        *_split(subtract(tech.available, planned)),
        *_split(sched),
        [s for s, _ in windows],
        [e for _, e in windows],
        [p[0] for p in own],
        [p[1] for p in own],
        [p[3] for p in own],
        list(range(first, first + len(own))),
    )


def _model(prepared: Prepared, plan: Plan, incidents: Incidents, cap: int) -> _Model:
    pieces = _pieces(prepared, plan)
    techs, first = [], 0
    for tech in prepared.technicians:
        own = pieces.get(tech.index, [])
        techs.append(_technician(prepared, tech, own, first, cap))
        first += len(own)
    order = [p for tech in prepared.technicians for p in pieces.get(tech.index, [])]
    items = sorted({item for _, _, item, _ in order})
    slot = {item: k for k, item in enumerate(items)}
    piece_end = np.array([e for _, e, _, _ in order], dtype=float)
    piece_item = np.array([slot[item] for _, _, item, _ in order], dtype=np.intp)
    due = np.array([_due(prepared.items[i].due) for i in items], dtype=float)
    targets = [elapsed_minutes(p.response) for p in incidents.priorities]
    urgency = sorted(range(len(targets)), key=lambda c: (targets[c], c))
    return _Model(
        techs=tuple(techs),
        horizon_end=prepared.horizon_end,
        piece_end=piece_end,
        piece_item=piece_item,
        due=due,
        planned_late=_item_finish(piece_end, piece_item, len(items)) > due + _EPS,
        planned_minutes=float(sum(e - s for s, e, _, _ in order)),
        available_minutes=float(sum(prepared.capacity(t) for t in prepared.technicians)),
        targets=targets,
        ranks=[urgency.index(c) for c in range(len(targets))],
        staffed=_staffed(prepared),
    )


def _staffed(prepared: Prepared) -> tuple[np.ndarray, np.ndarray]:
    union = merge([iv for tech in prepared.technicians for iv in tech.available])
    return np.array([s for s, _ in union], dtype=float), np.array(
        [e for _, e in union], dtype=float
    )


def _due(due: int | None) -> float:
    return _INF if due is None else float(due)


def _item_finish(piece_end: np.ndarray, piece_item: np.ndarray, items: int) -> np.ndarray:
    finish = np.full(items, -_INF)
    np.maximum.at(finish, piece_item, piece_end)
    return finish


def _overlap(starts: list[int], ends: list[int], a: float, b: float) -> float:
    """Minutes of [a, b) inside the sorted, disjoint intervals."""
    total, i = 0.0, bisect.bisect_right(ends, a)
    while i < len(starts) and starts[i] < b:
        total += min(ends[i], b) - max(starts[i], a)
        i += 1
    return total


def _first_at_or_after(starts: list[int], ends: list[int], t: float) -> float:
    """Earliest moment >= t inside the sorted, disjoint intervals (inf: none)."""
    i = bisect.bisect_right(ends, t)
    if i == len(starts):
        return _INF
    return max(t, starts[i])


# -- one replication ---------------------------------------------------------------------------
class _Run:
    """What one replication accumulates."""

    __slots__ = (
        "carried",
        "displaced",
        "finish",
        "horizon",
        "incident",
        "interruptions",
        "overtime",
    )

    def __init__(self, horizon: int) -> None:
        self.horizon = horizon
        self.displaced = self.overtime = self.carried = self.incident = 0.0
        self.interruptions = 0
        self.finish: dict[int, float] = {}
        """Piece -> actual end, for pieces that did not end as planned."""


class _Tech:
    """A technician's state. In sync, planned work follows the plan exactly (nothing stored);
    out of sync, piece ``k`` has ``rem`` minutes left and the state is valid at ``cursor``."""

    __slots__ = ("busy", "cursor", "k", "rem", "s", "started", "sync")

    def __init__(self, static: _Technician) -> None:
        self.s = static
        self.busy = -_INF
        self.sync = True
        self.cursor = self.rem = 0.0
        self.k = 0
        self.started = False

    def present(self, t: float) -> bool:
        s = self.s
        i = bisect.bisect_right(s.seg_s, t) - 1
        return i >= 0 and t < s.seg_e[i]

    def free_until(self, t: float) -> float:
        """End of the free stretch (present, no incident, no planned work) holding t; -1: busy."""
        if not self.sync or self.busy > t:
            return -1.0
        s = self.s
        i = bisect.bisect_right(s.free_s, t) - 1
        return s.free_e[i] if i >= 0 and t < s.free_e[i] else -1.0

    def planned_priority(self, t: float) -> int:
        """Priority of the planned piece in progress at t (the technician is present and busy)."""
        if self.sync:
            return self.s.pp[bisect.bisect_right(self.s.ps, t) - 1]
        return self.s.pp[self.k]

    def advance(self, t: float, run: _Run) -> None:
        """Work off displaced planned work up to t; back in sync once nothing is behind."""
        if self.sync:
            return
        s = self.s
        ps, n = s.ps, len(s.ps)
        now = max(self.cursor, self.busy)
        k, rem, started = self.k, self.rem, self.started
        while True:
            if k == n or (not started and ps[k] >= now):
                self.sync = True
                return
            w = bisect.bisect_right(s.win_e, now)
            start = max(now, s.win_s[w])
            if start >= t:
                break
            stop = min(s.win_e[w], t, start + rem)
            self._record(k, start, stop, run)
            rem -= stop - start
            started, now = True, stop
            if rem <= _EPS:
                run.finish[s.pid[k]] = now
                k += 1
                rem, started = (s.pe[k] - ps[k] if k < n else 0.0), False
            elif now >= t:
                break
        self.cursor, self.k, self.rem, self.started = now, k, rem, started

    def _record(self, k: int, start: float, stop: float, run: _Run) -> None:
        s = self.s
        on_plan = max(0.0, min(stop, s.pe[k]) - max(start, s.ps[k]))
        run.displaced += stop - start - on_plan
        end = min(stop, run.horizon)
        if end > start:
            run.overtime += end - start - _overlap(s.sched_s, s.sched_e, start, end)
        if stop > run.horizon:
            run.carried += stop - max(start, run.horizon)

    def take(self, t: float, handling: float, run: _Run) -> None:
        """Take an incident at t (advanced to t, present, not on an incident)."""
        s = self.s
        if self.sync:
            k = bisect.bisect_right(s.pe, t)
            n = len(s.ps)
            self.started = k < n and s.ps[k] < t
            self.rem = (s.pe[k] - max(t, s.ps[k])) if k < n else 0.0
            self.k, self.cursor, self.sync = k, t, False
            run.interruptions += self.started
        elif self.k < len(s.ps):
            run.interruptions += 1  # out of sync and present: displaced work was in progress
        self.busy = t + handling
        run.incident += handling
        end = min(self.busy, run.horizon)
        if end > t:
            run.overtime += end - t - _overlap(s.sched_s, s.sched_e, t, end)

    def next_change(self, t: float, any_present: bool) -> float:
        """Earliest moment after t at which this technician may take a waiting incident:
        when free, or (``any_present``: an escalated incident waits) when present, not on one."""
        s = self.s
        after = max(t, self.busy)
        if any_present:
            return _first_at_or_after(s.seg_s, s.seg_e, after)
        if self.sync:
            return _first_at_or_after(s.free_s, s.free_e, after)
        if self.busy > t:
            return self.busy
        w = bisect.bisect_right(s.win_e, self.cursor)
        return min(s.win_e[w], max(self.cursor, s.win_s[w]) + self.rem)


def _replicate(model: _Model, stream: IncidentStream) -> tuple[np.ndarray, _Run]:
    """Dispatch one incident stream against the plan; the start of each incident (nan: none)."""
    techs = [_Tech(s) for s in model.techs]
    run = _Run(model.horizon_end)
    arrival = stream.arrival.tolist()
    handling = stream.handling.tolist()
    deadline = (stream.arrival + np.asarray(model.targets)[stream.priority]).tolist()
    rank = [model.ranks[c] for c in stream.priority.tolist()]
    taken = [math.nan] * len(arrival)
    waiting: list[tuple[int, float, int]] = []  # (rank, arrival, incident), kept sorted
    i, n, t = 0, len(arrival), 0.0
    while True:
        if waiting:
            soonest = _next_event(t, arrival[i] if i < n else _INF, waiting, deadline, techs)
            if soonest == _INF:
                break
            if soonest <= t:
                raise RuntimeError(f"simulation stalled at minute {t}")  # a bug, never input
            t = soonest
        elif i < n:
            t = arrival[i]
        else:
            break
        while i < n and arrival[i] <= t:
            bisect.insort(waiting, (rank[i], arrival[i], i))
            i += 1
        _dispatch(t, waiting, techs, run, handling, deadline, taken)
    for tech in techs:
        tech.advance(_INF, run)
    return np.array(taken, dtype=float), run


def _next_event(
    t: float,
    arrival: float,
    waiting: list[tuple[int, float, int]],
    deadline: list[float],
    techs: list[_Tech],
) -> float:
    """The next moment something can change for the waiting incidents."""
    soonest, escalated = arrival, False
    for _, _, k in waiting:
        if deadline[k] > t:
            soonest = min(soonest, deadline[k])
        else:
            escalated = True
    for tech in techs:
        soonest = min(soonest, tech.next_change(t, escalated))
    return soonest


def _dispatch(
    t: float,
    waiting: list[tuple[int, float, int]],
    techs: list[_Tech],
    run: _Run,
    handling: list[float],
    deadline: list[float],
    taken: list[float],
) -> None:
    """Free technicians take the most urgent waiting incidents; overdue ones interrupt."""
    free = []
    for tech in techs:
        if not tech.sync:
            tech.advance(t, run)
        elif tech.busy > t:
            continue
        until = tech.free_until(t)
        if until >= 0:
            free.append((until, tech))
    while waiting and free:
        k = waiting.pop(0)[2]
        best = max(range(len(free)), key=lambda j: free[j][0]) if len(free) > 1 else 0
        free.pop(best)[1].take(t, handling[k], run)
        taken[k] = t
    j = 0
    while j < len(waiting):
        k = waiting[j][2]
        if deadline[k] > t:
            j += 1
            continue
        present = [tech for tech in techs if tech.busy <= t and tech.present(t)]
        if not present:
            return
        max(present, key=lambda tech: tech.planned_priority(t)).take(t, handling[k], run)
        taken[k] = t
        waiting.pop(j)


# -- results -----------------------------------------------------------------------------------
@dataclass(frozen=True, eq=False)
class SimulationResult:
    """Per-replication figures of a simulated plan (one row per replication).

    Attributes
    ----------
    seed : int
        The seed; replication ``r`` drew from ``default_rng([seed, r])``.
    classes : tuple of str
        Incident class names, in the forecast's order (columns of the class arrays).
    incidents : ndarray, shape (runs, classes)
        Incidents that arrived.
    in_time_staffed : ndarray, shape (runs, classes)
        The same for incidents that arrive while at least one technician is present: what a
        buffer can change (night and weekend incidents wait for the morning whatever it is).
    in_time : ndarray, shape (runs, classes)
        Share answered within the response target (nan: no incident of the class).
    unanswered : ndarray
        Incidents still waiting at the horizon end.
    wait_probability : ndarray
        Share of incidents that found no free technician.
    mean_wait, p95_wait : ndarray
        Minutes from arrival to being taken, over answered incidents (nan: none answered).
    displaced_hours, overtime_hours, carried_over_hours : ndarray
        Planned hours done outside their planned interval; hours worked outside scheduled
        time; planned hours pushed past the horizon end.
    newly_late_items : ndarray
        Items that finish after their due date but did not in the plan.
    interruptions : ndarray
        Planned pieces interrupted by an incident.
    utilisation : ndarray
        Incident plus planned minutes over available minutes (nan: none available).
    """

    seed: int
    classes: tuple[str, ...]
    incidents: np.ndarray
    in_time: np.ndarray
    in_time_staffed: np.ndarray
    unanswered: np.ndarray
    wait_probability: np.ndarray
    mean_wait: np.ndarray
    p95_wait: np.ndarray
    displaced_hours: np.ndarray
    overtime_hours: np.ndarray
    carried_over_hours: np.ndarray
    newly_late_items: np.ndarray
    interruptions: np.ndarray
    utilisation: np.ndarray

    @property
    def runs(self) -> int:
        return len(self.unanswered)

    def summary(self) -> dict[str, Any]:
        """JSON-friendly aggregates: per figure mean, 95 % interval bounds and replications used.

        The interval is mean +/- 1.96 sd / sqrt(n) over the replications that have the
        figure (a class without incidents in a replication has no in-time share there);
        ``None`` where it is undefined.
        """
        figures = {
            name: _interval(getattr(self, name))
            for name in (
                "unanswered",
                "wait_probability",
                "mean_wait",
                "p95_wait",
                "displaced_hours",
                "overtime_hours",
                "carried_over_hours",
                "newly_late_items",
                "interruptions",
                "utilisation",
            )
        }
        return {
            "runs": self.runs,
            "seed": self.seed,
            "interval": "95 % normal: mean +/- 1.96 sd / sqrt(n) over replications",
            "incidents": {c: _interval(self.incidents[:, j]) for j, c in enumerate(self.classes)},
            "in_time": {c: _interval(self.in_time[:, j]) for j, c in enumerate(self.classes)},
            "in_time_staffed": {
                c: _interval(self.in_time_staffed[:, j]) for j, c in enumerate(self.classes)
            },
            **figures,
        }


def _interval(values: np.ndarray) -> dict[str, float | int | None]:
    data = np.asarray(values, dtype=float)
    data = data[~np.isnan(data)]
    n = len(data)
    if n == 0:
        return {"mean": None, "low": None, "high": None, "n": 0}
    mean = float(data.mean())
    if n == 1:
        return {"mean": mean, "low": None, "high": None, "n": 1}
    half = Z95 * float(data.std(ddof=1)) / math.sqrt(n)
    return {"mean": mean, "low": mean - half, "high": mean + half, "n": n}


def _measure(model: _Model, stream: IncidentStream) -> tuple[Any, ...]:
    """One replication's figures, in the order of SimulationResult's arrays."""
    taken, run = _replicate(model, stream)
    classes = len(model.targets)
    wait = taken - stream.arrival
    answered = ~np.isnan(wait)
    with np.errstate(invalid="ignore"):
        on_time = wait <= np.asarray(model.targets)[stream.priority] + _EPS
    counts = np.bincount(stream.priority, minlength=classes).astype(float)
    hits = np.bincount(stream.priority, weights=on_time, minlength=classes)
    with np.errstate(invalid="ignore", divide="ignore"):
        in_time = np.where(counts > 0, hits / np.maximum(counts, 1), np.nan)
    starts, ends = model.staffed
    slot = np.searchsorted(starts, stream.arrival, side="right") - 1
    if len(starts):
        staffed = (slot >= 0) & (stream.arrival < ends[np.maximum(slot, 0)])
    else:
        staffed = np.zeros(len(stream.arrival), dtype=bool)
    counts_staffed = np.bincount(stream.priority[staffed], minlength=classes).astype(float)
    hits_staffed = np.bincount(
        stream.priority[staffed], weights=on_time[staffed], minlength=classes
    )
    with np.errstate(invalid="ignore", divide="ignore"):
        in_time_staffed = np.where(
            counts_staffed > 0, hits_staffed / np.maximum(counts_staffed, 1), np.nan
        )
    waits = wait[answered]
    piece_end = model.piece_end.copy()
    if run.finish:
        piece_end[list(run.finish)] = list(run.finish.values())
    finish = _item_finish(piece_end, model.piece_item, len(model.due))
    late = int(np.sum((finish > model.due + _EPS) & ~model.planned_late))
    available = model.available_minutes
    return (
        counts,
        in_time,
        in_time_staffed,
        float(len(wait) - answered.sum()),
        float(np.mean(~(wait <= _EPS))) if len(wait) else math.nan,
        float(waits.mean()) if len(waits) else math.nan,
        float(np.percentile(waits, 95)) if len(waits) else math.nan,
        run.displaced / 60,
        run.overtime / 60,
        run.carried / 60,
        float(late),
        float(run.interruptions),
        (run.incident + model.planned_minutes) / available if available else math.nan,
    )


def _replications(
    model: _Model, forecast: _Forecast, seed: int, runs: range
) -> list[tuple[Any, ...]]:
    return [_measure(model, _draw(forecast, np.random.default_rng([seed, r]))) for r in runs]


def simulate(
    prepared: Prepared,
    plan: Plan,
    runs: int = 100,
    seed: int = 0,
    incidents: Incidents | None = None,
    *,
    distribution: Distribution = "lognormal",
    overtime_cap: int = OVERTIME_CAP,
    workers: int = 1,
) -> SimulationResult:
    """Simulate ``runs`` replications of the forecast incidents against a plan.

    Parameters
    ----------
    prepared : Prepared
        The prepared scenario the plan was made for.
    plan : Plan
        The plan; its assignments are the planned work (reserve is simply unplanned time).
    runs : int
        Replications, at least 1.
    seed : int
        Non-negative seed; the same seed gives identical results, for any ``workers``.
    incidents : Incidents or None
        The forecast; ``None`` takes the scenario's.
    distribution : {"lognormal", "exponential"}
        Handling time law (exponential: for checks against M/M/c queueing formulas).
    overtime_cap : int
        Minutes per technician and day that displaced planned work may run past the end of
        the day's scheduled time; the rest moves to the next scheduled time.
    workers : int
        Processes over replications (spawned, as in ``solver.sweep``); 0: one per core.
        Results do not depend on it: replication r always draws from ``[seed, r]``.

    Returns
    -------
    SimulationResult
    """
    if incidents is None:
        incidents = prepared.scenario.incidents
    if incidents is None:
        raise ValueError("the scenario has no incident forecast (incidents:) to simulate")
    if runs < 1 or seed < 0 or overtime_cap < 0:
        raise ValueError("runs must be at least 1; seed and overtime_cap must not be negative")
    if distribution not in ("lognormal", "exponential"):
        raise ValueError(f"unknown distribution {distribution!r} (lognormal or exponential)")
    model = _model(prepared, plan, incidents, overtime_cap)
    forecast = _forecast(prepared, incidents, distribution)
    workers = min(workers or os.cpu_count() or 1, runs)
    if workers <= 1:
        rows = _replications(model, forecast, seed, range(runs))
    else:
        bounds = np.linspace(0, runs, workers + 1).astype(int)
        chunks = [range(lo, hi) for lo, hi in itertools.pairwise(bounds.tolist())]
        with ProcessPoolExecutor(workers, mp_context=get_context("spawn")) as pool:
            parts = pool.map(partial(_replications, model, forecast, seed), chunks)
            rows = [row for part in parts for row in part]
    columns = [np.array(column) for column in zip(*rows, strict=True)]
    return SimulationResult(seed, tuple(p.name for p in incidents.priorities), *columns)

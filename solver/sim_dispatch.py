"""One replication: an incident stream dispatched to the technicians, the plan displaced.

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
"""

from __future__ import annotations

import bisect
import math

import numpy as np

from solver.sim_model import EPS, Model, TechCalendar
from solver.sim_stream import IncidentStream

_INF = math.inf


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

    def __init__(self, static: TechCalendar) -> None:
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
            if rem <= EPS:
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


def replicate(model: Model, stream: IncidentStream) -> tuple[np.ndarray, _Run]:
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

"""The plan as the simulation sees it: each technician's calendars and planned pieces, in minutes.

Built once per simulation and shared by every replication (and worker process), so that a
replication only bisects sorted lists. Per technician: the available segments (when it takes
incidents), the free stretches (available, no planned work), the scheduled time (available
segments plus planned after-hours work) and the windows where planned work may run (scheduled
time, an overtime window of ``overtime_cap`` minutes after each day's last scheduled time
outside absences and holidays, and everything after the horizon end: carried over). For the
whole plan: the pieces' planned ends and items, the items' due dates and which were late
already in the plan, the response target and urgency of each incident class, and the times
when anyone is present.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from models.forecast import elapsed_minutes
from models.intervals import Interval, merge, subtract
from models.plan import Plan
from models.prepare import Prepared
from models.records import PreparedTechnician
from models.scenario_incidents import Incidents

EPS = 1e-9
"""Tolerance of the simulation's comparisons of (float) minutes."""
_INF = math.inf


@dataclass(frozen=True)
class TechCalendar:
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
class Model:
    """The plan as data, shared by every replication (see the module docstring)."""

    techs: tuple[TechCalendar, ...]
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
) -> TechCalendar:
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
    return TechCalendar(
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


def build_model(prepared: Prepared, plan: Plan, incidents: Incidents, cap: int) -> Model:
    """The plan as data; ``cap`` is the overtime cap in minutes per technician and day."""
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
    return Model(
        techs=tuple(techs),
        horizon_end=prepared.horizon_end,
        piece_end=piece_end,
        piece_item=piece_item,
        due=due,
        planned_late=item_finish(piece_end, piece_item, len(items)) > due + EPS,
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


def item_finish(piece_end: np.ndarray, piece_item: np.ndarray, items: int) -> np.ndarray:
    """Per item, the latest end of its pieces (-inf: none)."""
    finish = np.full(items, -_INF)
    np.maximum.at(finish, piece_item, piece_end)
    return finish

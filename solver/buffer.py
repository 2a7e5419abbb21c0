"""The incident buffer as data both engines share: which blocks to keep free, and where.

``percent``: each technician keeps one block of ``percent`` of each day's available minutes
(rounded up to the slot) free, inside one available segment of that day, at a staggered
time (see ``percent_blocks``). Where no segment is long enough, one block per segment,
each of ``percent`` of that segment.
``duty``: on each working day, ``duty`` present technicians take no planned work; the block
spans the technician's available time of that day.
``forecast``: in every local hour, as many technicians as Erlang C asks for stay free of
planned work: the forecast's arrivals of that hour (all classes: every incident occupies a
technician), its mean handling time, and the response target of each of the two most urgent
classes at the scenario's service level; the larger of the two counts, at most the number
of technicians present for the whole hour.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from models.forecast import elapsed_minutes, hourly_arrivals, urgent_classes
from models.intervals import Interval, clip, merge, subtract
from models.prepare import Prepared
from models.records import Day, PreparedTechnician
from models.replan import KeepFree
from solver.queueing import Queue, required_agents

STAGGER_SLACK = 90
"""Minutes a percent reserve block may move either way from its staggered place."""


@dataclass(frozen=True)
class ReserveBlock:
    """A block of ``length`` minutes that must lie inside one interval of ``domain``."""

    tech: int
    day: int
    length: int
    domain: tuple[Interval, ...]


@dataclass(frozen=True)
class DutyDay:
    """A working day on which ``count`` of the ``spans``' technicians are on duty."""

    day: int
    count: int
    spans: dict[int, Interval]
    """Technician -> first to last available minute of that day (the reserve entry)."""
    whole: Interval
    """The whole day: a technician on duty takes no planned work in it, after hours neither."""


def _fits(domain: list[Interval], length: int) -> tuple[Interval, ...]:
    return tuple((s, e) for s, e in domain if e - s >= length)


def percent_blocks(prepared: Prepared, percent: float) -> list[ReserveBlock]:
    """Reserve blocks of the ``percent`` policy, one per technician and day (or per segment),
    staggered: the team holds its blocks at evenly spread times of the day, in an order that
    turns day by day, so that some reserve is there all day long. The place depends only on
    the technician's place in the whole team, so a part of the team gets the same blocks.

    Where work only this technician can do at a fixed time (a recurring block nobody else
    has the skills for, frozen work of a replan) leaves no room for the block near its
    staggered place, the block may lie anywhere in the day: DESIGN asks for the minutes, the
    stagger is ours, and it must not cost planned work (measured on the generated S
    scenario: a patch block left out for it, 8,000 points)."""
    blocks = []
    forced = _forced_work(prepared)
    for tech in prepared.technicians:
        rank, size = tech.team_rank
        for day in prepared.days:
            fraction = ((rank + day.index) % size) / size
            must = forced.get((tech.index, day.index), [])
            blocks += _day_blocks(prepared, tech, day, percent, fraction, must)
    return blocks


def _forced_work(prepared: Prepared) -> dict[tuple[int, int], list[Interval]]:
    """(technician, day) -> intervals of fixed-time work that only this technician can do."""
    found: dict[tuple[int, int], list[Interval]] = {}
    for item in prepared.items:
        if item.pinned is not None and item.technician is not None:
            tech, starts = item.technician, item.pinned
        elif item.fixed is not None and len(item.eligible) == 1:
            tech, starts = item.eligible[0], (item.fixed[0],)
        else:
            continue
        for start, length in zip(starts, item.parts, strict=True):
            key = (tech, prepared.day_of(start).index)
            found.setdefault(key, []).append((start, start + length))
    return found


def _day_blocks(
    prepared: Prepared,
    tech: PreparedTechnician,
    day: Day,
    percent: float,
    fraction: float,
    forced: list[Interval],
) -> list[ReserveBlock]:
    segments = tech.available_on(day)
    length = prepared.reserve_share(sum(e - s for s, e in segments), percent)
    if not segments or length == 0:
        return []
    domain = _fits(segments, length)
    if domain:
        near = _at(prepared, domain, length, fraction)
        if _fits(subtract(list(near), merge(sorted(forced))), length):
            domain = near
        return [ReserveBlock(tech.index, day.index, length, domain)]
    blocks = []
    for s, e in segments:
        share = prepared.reserve_share(e - s, percent)
        if share:
            blocks.append(
                ReserveBlock(
                    tech.index, day.index, share, _at(prepared, ((s, e),), share, fraction)
                )
            )
    return blocks


def _at(
    prepared: Prepared, domain: tuple[Interval, ...], length: int, fraction: float
) -> tuple[Interval, ...]:
    """Where the block may lie: within STAGGER_SLACK of the start ``fraction`` of the way
    through the possible starts in ``domain`` (slack, so fixed work can still be planned)."""
    spans = [(lo, hi - length) for lo, hi in domain]
    left = fraction * sum(hi - lo for lo, hi in spans)
    start = spans[-1][1]
    for lo, hi in spans:
        if left <= hi - lo:
            start = max(lo, prepared.snap_down(lo + int(left)))
            break
        left -= hi - lo
    near = clip(list(domain), start - STAGGER_SLACK, start + length + STAGGER_SLACK)
    return _fits(near, length)


def duty_days(prepared: Prepared, duty: int) -> list[DutyDay]:
    """Working days with the technicians who could be on duty, and how many must be."""
    found = []
    for day in prepared.days:
        if not day.working:
            continue
        spans = {}
        for tech in prepared.technicians:
            segments = tech.available_on(day)
            if segments:
                spans[tech.index] = (segments[0][0], segments[-1][1])
        count = min(duty, len(spans))
        if count:
            found.append(DutyDay(day.index, count, spans, (day.start, day.end)))
    return found


@dataclass(frozen=True)
class ForecastPeriod:
    """An hour in which ``count`` of the ``present`` technicians keep free of planned work."""

    start: int
    end: int
    count: int
    present: tuple[int, ...]


def forecast_periods(prepared: Prepared, service_level: float) -> list[ForecastPeriod]:
    """The reserve profile of the ``forecast`` policy, hour by hour."""
    incidents = prepared.scenario.incidents
    if incidents is None or service_level <= 0:
        return []
    handling = elapsed_minutes(incidents.handling.mean)
    targets = tuple(elapsed_minutes(p.response) for p in urgent_classes(incidents))
    arrivals: dict[tuple[int, bool], list[float]] = {}
    found = []
    for day, hour, (start, end) in prepared.hours:
        key = (day.date.weekday(), day.working)
        if key not in arrivals:
            arrivals[key] = hourly_arrivals(incidents, *key)
        present = tuple(
            t.index
            for t in prepared.technicians
            if any(s <= start and end <= e for s, e in t.available_on(day))
        )
        if not present or arrivals[key][hour] <= 0 or handling <= 0:
            continue
        needed = _technicians_needed(arrivals[key][hour] / 60, handling, targets, service_level)
        found.append(ForecastPeriod(start, end, min(needed, len(present)), present))
    return found


@lru_cache(maxsize=4096)
def _technicians_needed(
    per_minute: float, handling: float, targets: tuple[float, ...], level: float
) -> int:
    queue = Queue(per_minute=per_minute, handling=handling)
    return max(required_agents(queue, target, level).raw for target in targets)


def buffer_level(prepared: Prepared) -> tuple[str | None, float]:
    """The scenario's buffer policy and its level (0 without a buffer)."""
    buffer = prepared.scenario.buffer
    if buffer is None:
        return None, 0
    if buffer.policy == "percent":
        return "percent", buffer.percent or 0
    if buffer.policy == "duty":
        return "duty", buffer.duty or 0
    return buffer.policy, buffer.service_level or 0


def reserve_needs(prepared: Prepared) -> list[KeepFree]:
    """Periods in which some present technicians must be free of planned work (duty days,
    forecast hours), for a replan's frozen work to leave room (``models.replan.anchor``)."""
    policy, level = buffer_level(prepared)
    if policy == "duty":
        return [
            (*day.whole, day.count, tuple(sorted(day.spans)))
            for day in duty_days(prepared, int(level))
        ]
    if policy == "forecast":
        return [
            (period.start, period.end, period.count, tuple(sorted(period.present)))
            for period in forecast_periods(prepared, level)
        ]
    return []

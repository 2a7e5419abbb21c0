"""The greedy's reserve: who keeps incident duty, forecast hours and percent blocks free, when.

``solver.buffer`` says how much reserve the policy asks for and where it may lie; these
functions put it on the greedy's calendars. Duty and forecast hours come before any planned
work; percent blocks are held pending while the work is placed (it must leave room for them)
and placed last, late in their day, so that mornings stay open for work.
"""

from __future__ import annotations

import dataclasses
from collections import Counter
from functools import partial

from models.plan import DUTY_REASON, FORECAST_REASON, RESERVE_REASON
from models.prepare import Prepared
from solver.buffer import (
    ReserveBlock,
    buffer_level,
    duty_days,
    forecast_periods,
    percent_blocks,
)
from solver.greedy_state import GreedyState


def place_duty(state: GreedyState, duty: int) -> None:
    """Rotate duty fairly: each day the present technicians with the fewest duty days so far."""
    served: Counter[int] = Counter()
    for day in duty_days(state.prepared, duty):
        chosen = sorted(
            day.spans,
            key=lambda t: (
                not state.busy[t].is_free(*day.whole),  # frozen work that day (replans)
                served[t],
                len(state.prepared.technicians[t].skills),
                t,
            ),
        )
        for tech in chosen[: day.count]:
            start, end = day.spans[tech]
            served[tech] += 1
            state.occupy(tech, *day.whole, work=False)
            state.schedule.reserve.append((tech, start, end, DUTY_REASON))


def place_forecast(state: GreedyState, service_level: float) -> None:
    """Keep each hour's technicians free: stay with the same ones for up to 2 h, then hand
    over to those with the least reserve so far (few skills first: they are least missed)."""
    prepared = state.prepared
    reserved: Counter[int] = Counter()
    today: Counter[int] = Counter()
    previous: set[int] = set()
    current_day = -1
    for period in forecast_periods(prepared, service_level):
        day = prepared.day_of(period.start).index
        if day != current_day:
            today, previous, current_day = Counter(), set(), day

        free = [t for t in period.present if state.busy[t].is_free(period.start, period.end)]
        chosen = sorted(free, key=partial(_handover, prepared, today, previous, reserved))
        chosen = chosen[: period.count]
        for t in chosen:
            length = period.end - period.start
            reserved[t] += length
            today[t] += length
            state.occupy(t, period.start, period.end, work=False)
            state.schedule.reserve.append((t, period.start, period.end, FORECAST_REASON))
        previous = set(chosen)


def _handover(
    prepared: Prepared, today: Counter[int], previous: set[int], reserved: Counter[int], t: int
) -> tuple[bool, int, int, int, int]:
    staying = t in previous and today[t] < 120
    return (not staying, today[t], len(prepared.technicians[t].skills), reserved[t], t)


def hold_percent_reserve(state: GreedyState) -> None:
    """The ``percent`` policy's reserve blocks, pending: work placed from now on leaves room
    for each in its domain, and ``place_reserve`` puts them there."""
    policy, level = buffer_level(state.prepared)
    if policy == "percent":
        held: dict[tuple[int, int], list[ReserveBlock]] = {}
        for block in percent_blocks(state.prepared, level):
            held.setdefault((block.tech, block.day), []).append(block)
        for (tech, day), blocks in held.items():
            state.hold(tech, day, blocks)


def free_crowded_blocks(state: GreedyState) -> None:
    """Pending percent blocks with no room left in their domain may lie anywhere in their
    day: DESIGN asks only for the minutes, the staggered place is ours. ``place_reserve``
    calls this, and so do the polish passes on the plan they start from (so that the room
    they leave for the blocks is checked where the blocks can go): a plan with work all
    over a block's staggered place (the hard rules allow it) does not stop them. Generated
    M with 20 % more work than the team can carry once crashed there ("no room for the
    reserve of technician 32 on day 17", 1 of 11 runs of 60 s; the plan that led there was
    not kept, and the cause is not known)."""
    prepared = state.prepared
    for (tech, day), blocks in list(state.pending.items()):
        crowded = [state.busy[tech].latest(b.domain, b.length) is None for b in blocks]
        if not any(crowded):
            continue
        segments = prepared.technicians[tech].available_on(prepared.days[day])
        anywhere = [
            dataclasses.replace(b, domain=tuple((s, e) for s, e in segments if e - s >= b.length))
            if no_room
            else b
            for b, no_room in zip(blocks, crowded, strict=True)
        ]
        state.hold(tech, day, anywhere)


def place_reserve(state: GreedyState) -> None:
    """Reserve blocks at the latest free spot of their day (mornings stay open for work)."""
    free_crowded_blocks(state)
    for (tech, _), blocks in state.pending.items():
        for block in blocks:
            at = state.busy[tech].latest(block.domain, block.length)
            if at is None:  # cannot happen: work leaves room, or the block has all its day
                raise RuntimeError(
                    f"no room for the reserve of technician {tech} on day {block.day}"
                )
            state.occupy(tech, at, at + block.length, work=False)
            state.schedule.reserve.append((tech, at, at + block.length, RESERVE_REASON))
    state.pending = {}

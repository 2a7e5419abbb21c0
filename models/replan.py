"""Replanning: read a previous plan into the prepared view, and freeze the start of it.

Planners replan every week without shuffling what technicians were already told. ``anchor``
remembers where the previous plan put each item (``Prepared.previous``: the change penalty
and the warm start use it) and pins every item whose first part starts inside the frozen
period: same technician, same times, must stay planned. A task's later parts stay with it,
since a task stays with one technician. A pin that is now impossible (the technician is
absent or gone, the item changed or is gone, its times are off the planning grid, a
predecessor was released, the day is now over its cap or leaves the percent reserve no
room, too few technicians stay free for duty days or forecast hours) is released and
reported with the reason.

The rules here define what stays frozen; the engines obey them and ``models.check``
verifies that every pin is in the new plan exactly as it was.
"""

from __future__ import annotations

import dataclasses
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from models.intervals import Interval, intersect, merge, subtract
from models.plan import Plan, Released
from models.prepare import Prepared
from models.records import PreparedItem
from models.units import parse_duration


@dataclass(frozen=True)
class Replan:
    prepared: Prepared
    """The prepared view with ``previous`` placements and pinned items."""
    frozen_until: int
    """End of the frozen period, minutes from the horizon start (0: nothing frozen)."""
    pinned: list[str]
    released: list[Released]


def freeze_end(prepared: Prepared, text: str) -> int:
    """Minutes from the horizon start to the end of the frozen period.

    ``2d`` freezes the first two working days (technicians were told their days, and a
    weekend should not use up the freeze); ``36h`` or ``90m`` freeze that much elapsed time.
    Raises ``ValueError`` with a readable message on a bad duration.
    """
    duration = parse_duration(text)
    if duration.days:
        if duration.seconds:
            raise ValueError(f"give whole working days (2d) or a time (36h), not {text!r}")
        working = [day for day in prepared.days if day.working]
        if not working:
            return 0
        return working[min(duration.days, len(working)) - 1].end
    return min(prepared.horizon_end, round(duration.seconds / 60))


KeepFree = tuple[int, int, int, tuple[int, ...]]
"""(start, end, count, present technicians): in [start, end) at least ``count`` of the present
technicians must be free of planned work (incident duty days, forecast reserve hours); the
engines know these (``solver.buffer.reserve_needs``), frozen work must leave them room."""


def anchor(
    prepared: Prepared,
    previous: Plan,
    frozen_until: int = 0,
    keep_free: Sequence[KeepFree] = (),
) -> Replan:
    """The prepared view with the previous plan read in; items starting before
    ``frozen_until`` pinned, or released with a reason."""
    placements, unusable = _read(prepared, previous)
    frozen = sorted(
        (index for index, (_, starts) in placements.items() if 0 <= starts[0] < frozen_until),
        key=lambda index: placements[index][1][0],
    )
    released = [
        Released(item=item, technician=tech, reason=reason)
        for item, tech, first, reason in unusable
        if 0 <= first < frozen_until
    ]
    pins: dict[int, tuple[int, tuple[int, ...]]] = {}
    reasons: dict[int, str] = {}
    for index in frozen:
        tech, starts = placements[index]
        reason = _why_not(prepared, prepared.items[index], tech, starts, pins)
        if reason is None:
            pins[index] = (tech, starts)
        else:
            reasons[index] = reason
    reasons |= _leave_room(prepared, pins, [n for n in keep_free if n[0] < frozen_until])
    released += [
        Released(item=prepared.items[i].id, technician=prepared.technicians[t].id,
                 reason=reasons[i])
        for i, (t, _) in sorted(placements.items(), key=lambda p: p[1][1][0])
        if i in reasons
    ]
    items = [_pinned(item, *pins[item.index]) if item.index in pins else item
             for item in prepared.items]
    anchored = dataclasses.replace(prepared, items=items, previous=placements)
    return Replan(anchored, frozen_until, [prepared.items[i].id for i in pins], released)


def _leave_room(
    prepared: Prepared, pins: dict[int, tuple[int, tuple[int, ...]]], needs: list[KeepFree]
) -> dict[int, str]:
    """Release pins (removing them from ``pins``) until every need has its free technicians:
    in each short period, the frozen work of those with the least of it there goes; then
    what followed released work goes too. Item -> reason of each release."""
    released: dict[int, str] = {}
    changed = True
    while changed:
        changed = False
        for start, end, count, present in needs:
            held: Counter[int] = Counter()
            for i, (t, starts) in pins.items():
                for s, e in _intervals(prepared.items[i], starts):
                    if t in present and s < end and start < e:
                        held[t] += min(e, end) - max(s, start)
            short = count - sum(t not in held for t in present)
            for tech in sorted(held, key=lambda t: (held[t], t))[: max(0, short)]:
                when = prepared.moment(start).strftime("%a %Y-%m-%d %H:%M")
                for i in [i for i, (t, _) in pins.items() if t == tech]:
                    if any(s < end and start < e
                           for s, e in _intervals(prepared.items[i], pins[i][1])):
                        del pins[i]
                        released[i] = (
                            f"{count} technician(s) must stay free for incidents from {when}"
                        )
                        changed = True
        for i in [i for i in pins if any(b not in pins for b in prepared.items[i].after)]:
            del pins[i]
            released[i] = "a predecessor is no longer frozen"
            changed = True
    return released


Placement = tuple[int, tuple[int, ...]]
"""(technician index, part starts in minutes)."""


def previous_placements(prepared: Prepared, plan: Plan) -> dict[int, Placement]:
    """Item -> where the plan had it, for items that can stay where they were: the item and
    its technician still exist, its parts are the same, its times lie on the planning grid
    and inside this horizon (a weekly replan starts after the old plan did)."""
    return _read(prepared, plan)[0]


def _read(
    prepared: Prepared, plan: Plan
) -> tuple[dict[int, Placement], list[tuple[str, str, int, str]]]:
    """The plan's placements, and (item, technician, first minute, reason) of the others."""
    placements: dict[int, Placement] = {}
    unusable = []
    for item_id, parts in _parts_by_item(plan).items():
        minutes = _minutes(prepared, parts)
        tech_id, first = parts[0][0], minutes[0][1]
        index = prepared.item_index.get(item_id)
        tech = prepared.technician_index.get(tech_id)
        if index is None:
            reason = "the item is no longer in the scenario"
        elif tech is None:
            reason = f"{tech_id} is no longer in the team"
        elif any(t != tech_id for t, _, _ in parts) or tuple(
            e - s for _, s, e in minutes
        ) != prepared.items[index].parts:
            reason = "its effort or parts changed"
        elif any(m % prepared.slot for _, s, e in minutes for m in (s, e)):
            reason = f"its times are off the {prepared.slot}-minute planning grid"
        elif first < 0:  # before this horizon: past work, nothing to keep or to move
            continue
        else:
            placements[index] = (tech, tuple(s for _, s, _ in minutes))
            continue
        unusable.append((item_id, tech_id, first, reason))
    return placements, unusable


PlanPart = tuple[str, datetime, datetime]
"""(technician id, start, end) of one assignment."""


def _parts_by_item(plan: Plan) -> dict[str, list[PlanPart]]:
    parts: dict[str, list[PlanPart]] = defaultdict(list)
    for a in sorted(plan.assignments, key=lambda a: (a.item, a.part)):
        parts[a.item].append((a.technician, a.start, a.end))
    return parts


def _minutes(prepared: Prepared, parts: list[PlanPart]) -> list[tuple[str, int, int]]:
    return [(t, prepared.minute(s), prepared.minute(e)) for t, s, e in parts]


def _why_not(
    prepared: Prepared,
    item: PreparedItem,
    tech: int,
    starts: tuple[int, ...],
    pins: dict[int, tuple[int, tuple[int, ...]]],
) -> str | None:
    """Why the item cannot stay pinned where it was, or None when it can."""
    who = prepared.technicians[tech]
    if tech not in item.eligible:
        return f"{who.id} can no longer do it (skills or named technician changed)"
    if not prepared.may_work_at(item, who, starts):
        return f"{who.id} is no longer available then (absence, working hours or window)"
    if any(before not in pins for before in item.after):
        return "a predecessor is no longer frozen"
    if any(pins[b][1][-1] + prepared.items[b].parts[-1] > starts[0] for b in item.after):
        return "it would start before a predecessor ends"
    intervals = _intervals(item, starts)
    taken = [
        iv for i, (t, s) in pins.items() if t == tech for iv in _intervals(prepared.items[i], s)
    ]
    if any(s < te and ts < e for s, e in intervals for ts, te in taken):
        return f"{who.id} has other frozen work then"
    return _over_a_day(prepared, tech, merge(taken + intervals))


def _over_a_day(prepared: Prepared, tech: int, work: list[Interval]) -> str | None:
    """Why this frozen work is too much for one of the technician's days, or None: more than
    its max hours, or more of its working hours than the percent buffer leaves."""
    who = prepared.technicians[tech]
    cap = who.max_minutes_per_day
    if cap is not None and max(_by_day(prepared, work).values(), default=0) > cap:
        return f"{who.id} would work more than {cap / 60:g} h a day"
    buffer = prepared.scenario.buffer
    if buffer is None or buffer.policy != "percent" or buffer.percent is None:
        return None
    for day, minutes in _by_day(prepared, intersect(work, who.available)).items():
        segments = who.available_on(prepared.days[day])
        available = sum(e - s for s, e in segments)
        if minutes > (100 - buffer.percent) / 100 * available + 1e-9 or not _reserve_fits(
            prepared, segments, work, buffer.percent
        ):
            return f"{who.id}'s incident buffer on {prepared.days[day].date} needs the time"
    return None


def _reserve_fits(
    prepared: Prepared, segments: list[Interval], work: list[Interval], percent: float
) -> bool:
    """The day's reserve block still fits between the frozen work: one block in one stretch
    of the day, or, where no stretch is long enough, one per stretch (as the engines keep it,
    ``solver.buffer.percent_blocks``)."""
    whole = prepared.reserve_share(sum(e - s for s, e in segments), percent)
    if any(e - s >= whole for s, e in segments):
        return any(e - s >= whole for s, e in subtract(segments, work))
    return all(
        any(e - s >= share for s, e in subtract([(lo, hi)], work))
        for lo, hi in segments
        if (share := prepared.reserve_share(hi - lo, percent))
    )


def _intervals(item: PreparedItem, starts: tuple[int, ...]) -> list[Interval]:
    return [(s, s + n) for s, n in zip(starts, item.parts, strict=True)]


def _by_day(prepared: Prepared, intervals: list[Interval]) -> Counter[int]:
    found: Counter[int] = Counter()
    for start, end in intervals:
        for day in {prepared.day_of(start), prepared.day_of(end - 1)}:
            found[day.index] += max(0, min(end, day.end) - max(start, day.start))
    return found


def _pinned(item: PreparedItem, tech: int, starts: tuple[int, ...]) -> PreparedItem:
    return dataclasses.replace(
        item, technician=tech, eligible=(tech,), pinned=starts, required=True
    )


def annotate(plan: Plan, replan: Replan) -> Plan:
    """The plan with the frozen period and the released pins written in."""
    return plan.model_copy(
        update={
            "frozen_until": replan.prepared.moment(replan.frozen_until),
            "released": replan.released,
        }
    )

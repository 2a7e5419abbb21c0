"""The greedy's working state: who is busy when, minutes worked per day, reserve yet to place.

The greedy and the passes that polish a plan (``solver.moves``, ``solver.repair``,
``solver.room``, ``solver.aside``) place and take back work through one ``GreedyState``, so
the hard rules it keeps (free time, the daily cap, room for pending reserve blocks) are
checked in one place.
"""

from __future__ import annotations

from collections import Counter

from models.prepare import Prepared
from models.records import PreparedItem
from models.replan import Placement
from solver.buffer import ReserveBlock
from solver.schedule import BusyCalendar, Schedule


class GreedyState:
    """Busy calendars and per-day minutes of every technician while the greedy builds."""

    def __init__(self, prepared: Prepared) -> None:
        self.prepared = prepared
        self.busy = [BusyCalendar() for _ in prepared.technicians]
        self.worked: list[Counter[int]] = [Counter() for _ in prepared.technicians]
        self.schedule = Schedule()
        self.items_of: list[set[int]] = [set() for _ in prepared.technicians]
        """Per technician, the items placed on it."""
        self.pending: dict[tuple[int, int], list[ReserveBlock]] = {}
        """Reserve blocks not yet placed, by technician and day; work must leave room for
        them."""
        self.rarity: list[float] = []
        """Per technician, how rare its skills are (empty: pick by earliest finish alone)."""
        self.known_parts: dict[tuple, tuple[tuple[int, ...] | None, float]] = {}
        """Searches for an item's earliest parts on a technician (``solver.greedy``), by
        all they depend on; forgotten when the reserve they leave room for changes."""

    def hold(self, tech: int, day: int, blocks: list[ReserveBlock]) -> None:
        """Keep room for the percent reserve ``blocks`` on the technician's day (pending,
        in place of those held there before)."""
        self.pending[tech, day] = blocks
        self.known_parts.clear()

    def spare_rare_skills(self) -> None:
        """Among technicians finishing an item the same day, prefer those whose skills many
        others have, so that scarce skills stay free for the work only they can do."""
        holders = Counter(skill for tech in self.prepared.technicians for skill in tech.skills)
        self.rarity = [
            # sorted: a set of names iterates in another order in every process (hash seed)
            # and float sums then differ in the last bit, which would break ties differently
            sum(1 / holders[skill] for skill in sorted(tech.skills))
            for tech in self.prepared.technicians
        ]

    def occupy(self, tech: int, start: int, end: int, *, work: bool) -> None:
        self.busy[tech].add(start, end)
        if work:
            for day, minutes in self.day_minutes(start, end).items():
                self.worked[tech][day] += minutes
        else:  # the same intervals now hold less work: the searches remembered may not hold
            self.known_parts.clear()

    def vacate(self, tech: int, start: int, end: int) -> None:
        """Undo ``occupy`` of planned work."""
        self.busy[tech].remove(start, end)
        for day, minutes in self.day_minutes(start, end).items():
            self.worked[tech][day] -= minutes

    def place(self, item: PreparedItem, placement: Placement) -> None:
        """Plan ``item`` on (technician, part starts)."""
        tech, starts = placement
        for start, length in zip(starts, item.parts, strict=True):
            self.occupy(tech, start, start + length, work=True)
        self.record(item, placement)

    def record(self, item: PreparedItem, placement: Placement) -> None:
        """Plan ``item`` on (technician, part starts) whose parts it already occupies."""
        self.schedule.placed[item.index] = placement
        self.items_of[placement[0]].add(item.index)

    def unplace(self, item: PreparedItem) -> Placement:
        """Undo ``place``; the placement the item had."""
        placement = self.schedule.placed.pop(item.index)
        tech, starts = placement
        self.items_of[tech].discard(item.index)
        for start, length in zip(starts, item.parts, strict=True):
            self.vacate(tech, start, start + length)
        return placement

    def day_minutes(self, start: int, end: int) -> dict[int, int]:
        """Day index -> minutes of [start, end) on that day (a part spans at most two)."""
        first = self.prepared.day_of(start)
        if first.start <= start < end <= first.end:  # most work lies within one day
            return {first.index: end - start}
        last = self.prepared.day_of(end - 1)
        found = {}
        for day in (first,) if first is last else (first, last):
            overlap = min(end, day.end) - max(start, day.start)
            if overlap > 0:
                found[day.index] = overlap
        return found

    def within_cap(self, tech: int, start: int, end: int) -> bool:
        cap = self.prepared.technicians[tech].max_minutes_per_day
        if cap is None:
            return True
        return all(
            self.worked[tech][day] + minutes <= cap
            for day, minutes in self.day_minutes(start, end).items()
        )

    def leaves_reserve_room(self, tech: int, start: int, end: int) -> bool:
        """Taking [start, end) still leaves room for this technician's pending reserve blocks."""
        return self._blocks_fit(tech, start, end, self._touched(tech, start, end))

    def reserve_room_from(self, tech: int, start: int, end: int) -> int:
        """``start`` if taking [start, end) leaves room for the pending reserve blocks; else a
        later time before which no start of a part as long leaves room either, with the
        calendars as they are. The search for a part's earliest start skips the checks in
        between: stepping a slot at a time, they took 9.4 of 20.4 s of the passes on a saved
        plan of generated M.

        With one block in the way, the part lies in a free stretch of the block's domain,
        and moving it later only shrinks the room after it. So there is room again only once
        the room before it is long enough, from the end of the earliest free stretch of the
        block's length, or once the part is past the domain interval it touches."""
        touched = self._touched(tech, start, end)
        if self._blocks_fit(tech, start, end, touched):
            return start
        if len(touched) > 1:  # which block has no room depends on where the others go
            return start + 1
        (block,) = touched
        first = self.busy[tech].earliest(block.domain, block.length, block.domain[0][0])
        later = [hi for _, hi in block.domain if hi > start]
        if first is not None:
            later.append(first + block.length)
        return max(start + 1, min(later))

    def _touched(self, tech: int, start: int, end: int) -> list[ReserveBlock]:
        """The technician's pending reserve blocks whose domain [start, end) overlaps."""
        if not self.pending:  # the greedy places its flexible work after the reserve
            return []
        days = self.day_minutes(start, end)  # the days it touches (blocks lie within theirs)
        return [
            b for day in days for b in self.pending.get((tech, day), ()) if _touches(b, start, end)
        ]

    def _blocks_fit(self, tech: int, start: int, end: int, blocks: list[ReserveBlock]) -> bool:
        """Each of ``blocks`` still finds room with [start, end) taken."""
        if not blocks:
            return True
        busy = self.busy[tech]
        busy.add(start, end)
        placed: list[tuple[int, int]] = []
        fits = True
        for block in blocks:  # a day's blocks lie in disjoint segments; place them in turn
            at = busy.latest(block.domain, block.length)
            if at is None:
                fits = False
                break
            busy.add(at, at + block.length)
            placed.append((at, at + block.length))
        for s, e in [*placed, (start, end)]:
            busy.remove(s, e)
        return fits


def _touches(block: ReserveBlock, start: int, end: int) -> bool:
    return any(s < end and start < e for s, e in block.domain)

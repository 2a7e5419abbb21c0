"""A schedule in minutes, as both engines produce it, and the technicians' busy calendars."""

from __future__ import annotations

import bisect
import itertools
from collections.abc import Sequence
from dataclasses import dataclass, field

from models.intervals import Interval
from models.records import PreparedItem


@dataclass
class Schedule:
    """Which technician does each placed item, and when its parts start (minutes)."""

    placed: dict[int, tuple[int, tuple[int, ...]]] = field(default_factory=dict)
    """Item index -> (technician index, start of each part)."""
    reserve: list[tuple[int, int, int, str]] = field(default_factory=list)
    """(technician index, start, end, reason) of each block kept free for incidents."""

    def part_intervals(self, item: PreparedItem) -> list[Interval]:
        _, starts = self.placed[item.index]
        return [(s, s + length) for s, length in zip(starts, item.parts, strict=True)]

    def end(self, item: PreparedItem) -> int:
        """End of the item's last part."""
        _, starts = self.placed[item.index]
        return starts[-1] + item.parts[-1]

    def ready(self, item: PreparedItem, items: list[PreparedItem]) -> int:
        """The item's earliest start, or when its last predecessor ends (all planned) if
        that is later; ``items``: the prepared items, by index."""
        return max([item.earliest] + [self.end(items[b]) for b in item.after])


class BusyCalendar:
    """One technician's busy intervals, sorted and disjoint, with fast earliest-fit search."""

    def __init__(self) -> None:
        self.starts: list[int] = []
        self.ends: list[int] = []
        self.fingerprint = 0
        """The sum of the intervals' hashes: the same for the same intervals, however they
        came there (a key to remember searches on this calendar by; two calendars share one
        only by a collision of 64-bit hashes)."""

    def is_free(self, start: int, end: int) -> bool:
        k = bisect.bisect_right(self.ends, start)
        return k == len(self.starts) or self.starts[k] >= end

    def add(self, start: int, end: int) -> None:
        k = bisect.bisect_left(self.starts, start)
        self.starts.insert(k, start)
        self.ends.insert(k, end)
        self.fingerprint += hash((start, end))

    def remove(self, start: int, end: int) -> None:
        k = bisect.bisect_left(self.starts, start)
        del self.starts[k], self.ends[k]
        self.fingerprint -= hash((start, end))

    def earliest(self, allowed: Sequence[Interval], length: int, not_before: int) -> int | None:
        """Earliest start >= ``not_before`` of a free stretch of ``length`` inside ``allowed``."""
        starts, ends, count = self.starts, self.ends, len(self.starts)  # the passes' hot loop
        first = max(0, bisect.bisect_right(allowed, (not_before, not_before)) - 1)
        for lo, hi in itertools.islice(allowed, first, None):
            start = max(lo, not_before)
            j = bisect.bisect_right(ends, start)  # the first busy interval ending after start
            while start + length <= hi:
                if j == count or starts[j] >= start + length:
                    return start
                start = ends[j]
                j += 1  # ends grow strictly: the next one is the first to end after it
        return None

    def latest(self, allowed: tuple[Interval, ...], length: int) -> int | None:
        """Latest start of a free stretch of ``length`` inside ``allowed``."""
        for lo, hi in reversed(allowed):
            end = hi
            while end - length >= lo:
                j = bisect.bisect_left(self.starts, end) - 1
                if j < 0 or self.ends[j] <= end - length:
                    return end - length
                end = self.starts[j]
        return None

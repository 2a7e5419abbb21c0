"""The records of the prepared view: a day, a technician and an item, in integer minutes.

``models.prepare`` builds them (it alone turns datetimes into minutes); the engines and the
checker only read them. They are plain frozen data without conversions; the rule that splits
an item's effort into parts on the slot grid is kept with the item.
"""

from __future__ import annotations

import bisect
import math
from dataclasses import dataclass
from datetime import date

from models.intervals import Interval

KINDS = ("project", "recurring", "maintenance", "service_request")
MAX_PART_MINUTES = 120
"""Longer work is split into equal parts of at most 2 h, by one technician, in order."""


@dataclass(frozen=True)
class Day:
    index: int
    date: date
    start: int
    end: int
    working: bool
    """Monday to Friday and not a public holiday."""


@dataclass(frozen=True)
class PreparedTechnician:
    index: int
    id: str
    name: str
    skills: frozenset[str]
    available: list[Interval]
    """Working hours minus absences and holidays, sorted, each inside one day."""
    absences: list[tuple[Interval, str]]
    after_hours: bool
    max_minutes_per_day: int | None
    team_rank: tuple[int, int] = (0, 1)
    """(place in the whole team, team size): kept when engines work on part of the team."""

    def available_on(self, day: Day) -> list[Interval]:
        """The available segments that lie in ``day``."""
        lo = bisect.bisect_left(self.available, (day.start, day.start))
        hi = bisect.bisect_left(self.available, (day.end, day.end))
        return self.available[lo:hi]


@dataclass(frozen=True)
class PreparedItem:
    index: int
    id: str
    kind: str
    name: str
    customer: str | None
    priority: int
    skills: frozenset[str]
    effort: int
    """Minutes, rounded up to the slot grid."""
    parts: tuple[int, ...]
    earliest: int
    due: int | None
    """Target or due moment in minutes (may lie outside the horizon); None: no date."""
    fixed: Interval | None = None
    """Recurring occurrences: the one interval they must occupy."""
    technician: int | None = None
    windows: list[Interval] | None = None
    """The customer's maintenance windows, when the item must lie inside them."""
    after: tuple[int, ...] = ()
    eligible: tuple[int, ...] = ()
    """Technicians with every needed skill (only the named one, if fixed)."""
    deadline: int | None = None
    """Hard latest end; only set inside the engines (a successor that stays where it is)."""
    required: bool = False
    """Must be scheduled: set inside the engines (its successor is scheduled) and for pins."""
    pinned: tuple[int, ...] | None = None
    """Its parts start exactly here: frozen by a replan (``models.replan``) or an LNS piece, on
    ``technician``; or, without one, on any of ``eligible`` (``solver.lns._at``: each of them
    may work then)."""

    @property
    def weight(self) -> int:
        """Priority factor: priority 1 weighs 5, priority 5 weighs 1."""
        return 6 - self.priority


def split_effort(effort: int, slot: int) -> tuple[int, ...]:
    """Equal parts of at most MAX_PART_MINUTES on the slot grid, adding up to ``effort``."""
    slots = effort // slot
    count = max(1, math.ceil(effort / MAX_PART_MINUTES))
    base, extra = divmod(slots, count)
    return tuple((base + (k < extra)) * slot for k in range(count))

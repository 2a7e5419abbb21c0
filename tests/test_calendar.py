"""The greedy's calendar primitives against plain minute-by-minute answers: they sit in the
passes' hot loop and are written for speed, so a slip there would quietly move plans."""

from __future__ import annotations

from hypothesis import example, given
from hypothesis import strategies as st

from models.prepare import prepare
from models.scenario import Scenario
from solver.greedy_state import GreedyState
from solver.schedule import BusyCalendar

DAY = 24 * 60


def _disjoint(cuts: list[int]) -> list[tuple[int, int]]:
    """Sorted, disjoint intervals from points: each pair of neighbours, every other pair."""
    points = sorted(set(cuts))
    return [(a, b) for a, b in zip(points[::2], points[1::2], strict=False)]


def _back_to_back(stretches: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """Busy intervals from (gap before, length) pairs: a gap of 0 puts work back to back."""
    intervals, cursor = [], 0
    for gap, length in stretches:
        intervals.append((cursor + gap, cursor + gap + length))
        cursor += gap + length
    return intervals


@example(busy=[(10, 10)], allowed=[0, 60], length=10, not_before=0)  # fits exactly before
@example(busy=[], allowed=[0, 60], length=10, not_before=5)  # from inside a window
@given(
    busy=st.lists(st.tuples(st.integers(0, 12), st.integers(1, 8)), max_size=8),
    allowed=st.lists(st.integers(0, 60), max_size=10),
    length=st.integers(1, 20),
    not_before=st.integers(-5, 65),
)
def test_earliest_is_the_first_free_stretch_minute_by_minute(
    busy: list[tuple[int, int]], allowed: list[int], length: int, not_before: int
) -> None:
    calendar = BusyCalendar()
    for start, end in _back_to_back(busy):
        calendar.add(start, end)
    windows = _disjoint(allowed)
    expected = next(
        (
            s
            for s in range(max(0, not_before), 61)
            if any(lo <= s and s + length <= hi for lo, hi in windows)
            and calendar.is_free(s, s + length)
        ),
        None,
    )
    assert calendar.earliest(windows, length, not_before) == expected


@example(start=DAY - 60, length=61)  # one minute into the next day
@example(start=-30, length=60)  # half before the horizon
@given(start=st.integers(-DAY, 5 * DAY), length=st.integers(1, DAY - 60))
def test_day_minutes_splits_work_at_midnight_over_a_clock_change(start: int, length: int) -> None:
    """Three days around the spring clock change (a 23-hour Sunday); work may start before
    the horizon or run past it, and counts only inside its days. Work is shorter than any
    day (parts are at most 2 h), so it touches two days at most."""
    prepared = prepare(
        Scenario.model_validate(
            {
                "name": "days",
                "horizon": {"start": "2026-03-28", "days": 3},
                "skills": [],
                "technicians": [{"id": "ana", "skills": [], "hours": {"mon": "08:00-16:00"}}],
            }
        )
    )
    assert [day.end - day.start for day in prepared.days] == [DAY, DAY - 60, DAY]
    end = start + length
    expected = {
        day.index: min(end, day.end) - max(start, day.start)
        for day in prepared.days
        if min(end, day.end) > max(start, day.start)
    }
    assert GreedyState(prepared).day_minutes(start, end) == expected

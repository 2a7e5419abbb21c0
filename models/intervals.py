"""Interval arithmetic on sorted, disjoint lists of integer ``(start, end)`` minutes.

Availability, windows, absences and plans are all such lists; one small set of operations
keeps them sorted and disjoint everywhere. It works on integers only, so it does not touch
the rule that ``models.prepare`` alone turns datetimes into minutes.
"""

from __future__ import annotations

import bisect

Interval = tuple[int, int]


def intersect(a: list[Interval], b: list[Interval]) -> list[Interval]:
    """Pairwise intersection of two sorted lists of disjoint intervals."""
    out, i, j = [], 0, 0
    while i < len(a) and j < len(b):
        start, end = max(a[i][0], b[j][0]), min(a[i][1], b[j][1])
        if start < end:
            out.append((start, end))
        if a[i][1] < b[j][1]:
            i += 1
        else:
            j += 1
    return out


def clip(intervals: list[Interval], lo: int, hi: int) -> list[Interval]:
    """The parts of sorted, disjoint ``intervals`` inside [lo, hi)."""
    # a slice: only the first and the last interval can stick out (the bound clips a
    # technician's whole calendar for each task, 280,000 times on generated L)
    k = max(0, bisect.bisect_left(intervals, (lo, lo)) - 1)
    if k < len(intervals) and intervals[k][1] <= lo:
        k += 1
    out = intervals[k : bisect.bisect_left(intervals, (hi, hi), k)]
    if out:
        out[0] = (max(out[0][0], lo), out[0][1])
        out[-1] = (out[-1][0], min(out[-1][1], hi))
    return out


def subtract(a: list[Interval], cuts: list[Interval]) -> list[Interval]:
    """``a`` minus the union of ``cuts`` (any order, may overlap)."""
    out = []
    cuts = sorted(cuts)
    for start, end in a:
        cursor = start
        for cut_start, cut_end in cuts:
            if cut_end <= cursor or cut_start >= end:
                continue
            if cut_start > cursor:
                out.append((cursor, cut_start))
            cursor = max(cursor, cut_end)
        if cursor < end:
            out.append((cursor, end))
    return out


def merge(intervals: list[Interval]) -> list[Interval]:
    """Sorted union of intervals."""
    out: list[Interval] = []
    for start, end in sorted(intervals):
        if out and start <= out[-1][1]:
            out[-1] = (out[-1][0], max(out[-1][1], end))
        else:
            out.append((start, end))
    return out

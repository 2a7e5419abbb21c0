"""The estimates of a ticket fit: arrivals by weekday and hour, handling time, priority class.

Pure functions of values already read (no files, no columns), so that each estimate can be
checked on a few numbers; `models.tickets` reads the export and puts them together.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import date, datetime, timedelta

import numpy as np

from models.scenario_fields import WEEKDAYS

_WORDS = dict.fromkeys(("critical", "kritisch", "urgent", "dringend"), 1)
_WORDS |= dict.fromkeys(("high", "hoch"), 2) | dict.fromkeys(("low", "niedrig"), 4)
_WORDS |= dict.fromkeys(("medium", "moderate", "normal", "mittel"), 3)
_WORDS |= dict.fromkeys(("planning", "planung"), 5)
_LEADING = re.compile(r"\s*(?:p|prio(?:rity|rität)?)?\s*[-:#]?\s*([1-5])(?![0-9])", re.I)
CAP_QUANTILE = 0.95
"""Handling times above this quantile are capped to it (winsorised)."""


def priority_class(label: str) -> str:
    """``"1 - Critical"``, ``"P1"``, ``"Critical"`` -> ``"P1"``; unknown labels stay as written."""
    match = _LEADING.match(label)
    if match:
        return f"P{match[1]}"
    word = label.strip().casefold()
    if word in _WORDS:
        return f"P{_WORDS[word]}"
    return label.strip()[:40]


def handling_estimate(minutes: np.ndarray) -> tuple[float, float]:
    """Mean and coefficient of variation of handling minutes, robust to a long tail.

    Values above the `CAP_QUANTILE` quantile are capped to it (winsorised) before mean and
    cv are taken: a ticket left open for weeks then counts like one at the quantile, so a
    few forgotten tickets cannot dominate the mean, yet a heavy tail still raises cv.
    """
    cap = float(np.quantile(minutes, CAP_QUANTILE))
    capped = np.minimum(minutes, cap)
    mean = float(capped.mean())
    cv = float(capped.std() / mean) if mean > 0 else 0.0
    return mean, cv


def format_minutes(minutes: float) -> str:
    """Whole minutes as a scenario duration without days: 45m, 3h20m, 50h."""
    total = max(1, round(minutes))
    hours, rest = divmod(total, 60)
    return (f"{hours}h" if hours else "") + (f"{rest}m" if rest or not hours else "")


def rounded(value: float) -> float:
    """``value`` to 4 significant digits, as the fitted section shows it."""
    return float(f"{value:.4g}")


def arrival_profile(
    opened: Sequence[datetime], first: date, last: date
) -> tuple[float, dict[str, list[float]]]:
    """``per_day`` and the weekday/hour weights of arrivals observed from ``first`` to ``last``.

    Returns
    -------
    per_day : float
        Arrivals per working day (Mon-Fri) of the period.
    profile : dict
        Weekday -> 24 mean arrivals per hour, scaled so that the mean of the five working
        days' totals is ``per_day``.
    """
    counts = np.zeros((7, 24))
    np.add.at(counts, ([t.weekday() for t in opened], [t.hour for t in opened]), 1)
    days = np.zeros(7)
    for offset in range((last - first).days + 1):
        days[(first + timedelta(days=offset)).weekday()] += 1
    if not days[:5].sum():
        raise ValueError("the period holds no working day (Mon-Fri)")
    per_day = counts[:5].sum() / days[:5].sum()
    mean = counts / np.maximum(days, 1)[:, None]
    working_total = mean[:5].sum(axis=1)[days[:5] > 0].mean()
    if working_total > 0:
        mean *= per_day / working_total
    return float(per_day), {d: [rounded(v) for v in mean[i]] for i, d in enumerate(WEEKDAYS)}

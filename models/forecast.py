"""The incident forecast as numbers: arrivals per hour of a given day, in minutes where timed.

``per_day`` is the mean number of arrivals on a working day. The ``office`` profile puts them
into office hours with a morning peak (the shape measured on the ServiceNow export in
shared/data: 08-11 h busiest, a dip at noon) and gives a weekend day or public holiday 15 %
of a working day's volume; ``flat`` spreads ``per_day`` evenly over all 24 hours of every
day; a custom profile gives 24 weights per weekday, scaled so that the mean working day
(Monday to Friday) has ``per_day`` arrivals, and public holidays take Sunday's weights.
"""

from __future__ import annotations

from models.scenario_fields import WEEKDAYS
from models.scenario_incidents import IncidentPriority, Incidents
from models.units import Duration

OFFICE_DAY = (
    0.2,
    0.1,
    0.1,
    0.1,
    0.2,
    0.4,
    0.9,
    2.2,  # 00-07
    3.6,
    4.0,
    3.8,
    3.3,
    2.4,
    2.9,
    3.0,
    2.8,  # 08-15
    2.5,
    1.9,
    1.1,
    0.7,
    0.5,
    0.4,
    0.3,
    0.2,  # 16-23
)
OFFICE_QUIET_DAY_SHARE = 0.15
"""A weekend day or public holiday brings this share of a working day's incidents."""


def elapsed_minutes(duration: Duration) -> float:
    """A response or handling time in minutes; its days are calendar days."""
    return duration.days * 1440 + duration.seconds / 60


def hourly_arrivals(incidents: Incidents, weekday: int, working: bool) -> list[float]:
    """Mean arrivals in each hour (0..23) of a day; ``weekday`` 0 is Monday."""
    profile = incidents.profile
    if profile == "flat":
        return [incidents.per_day / 24] * 24
    if profile == "office":
        scale = incidents.per_day / sum(OFFICE_DAY)
        if not working:
            scale *= OFFICE_QUIET_DAY_SHARE
        return [weight * scale for weight in OFFICE_DAY]
    weights_of: dict[str, list[float]] = {str(day): weights for day, weights in profile.items()}
    mean = sum(sum(weights_of.get(day, [])) for day in WEEKDAYS[:5]) / 5
    day = WEEKDAYS[weekday] if working or weekday >= 5 else "sun"
    weights = weights_of.get(day, [0.0] * 24)
    return [w * incidents.per_day / mean for w in weights] if mean else [0.0] * 24


def urgent_classes(incidents: Incidents) -> list[IncidentPriority]:
    """The two classes with the shortest response targets (P1 and P2 in the usual scheme)."""
    return sorted(incidents.priorities, key=lambda p: elapsed_minutes(p.response))[:2]

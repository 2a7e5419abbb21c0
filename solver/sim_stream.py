"""Incident streams for the simulation: one replication's arrivals, classes and handling times.

Incidents arrive by the forecast: a Poisson count for each local hour of each day of the
horizon (``models.forecast.hourly_arrivals``; the hour a daylight-saving change skips brings
none, the doubled hour its mean once over 120 minutes), spread uniformly inside the hour; a
class by its share; a handling time that is log-normal with exactly the given mean and cv
(cv 0: always the mean), or exponential with the given mean (``distribution="exponential"``).
Replication ``r`` draws from ``numpy.random.default_rng([seed, r])`` in a fixed order (counts,
offsets, classes, handling), so its incident stream depends on the seed, ``r`` and the
forecast and the horizon only: every plan or buffer compared sees the same incidents (common
random numbers).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from typing import Literal

import numpy as np

from models.forecast import elapsed_minutes, hourly_arrivals
from models.prepare import Prepared
from models.scenario_incidents import Incidents

Distribution = Literal["lognormal", "exponential"]


@dataclass(frozen=True, eq=False)
class IncidentStream:
    """One replication's incidents, in order of arrival."""

    arrival: np.ndarray
    """Minutes from the horizon start (float)."""
    priority: np.ndarray
    """Index into ``incidents.priorities``."""
    handling: np.ndarray
    """Handling minutes (float)."""


@dataclass(frozen=True, eq=False)
class Forecast:
    """The forecast on the horizon's hour grid, built once per simulation."""

    start: np.ndarray
    length: np.ndarray
    mean: np.ndarray
    cumulative: np.ndarray
    handling: float
    cv: float
    distribution: Distribution


def build_forecast(
    prepared: Prepared, incidents: Incidents, distribution: Distribution
) -> Forecast:
    """Each local hour's start, length and mean arrivals; the class shares; the handling law."""
    starts, lengths, means = [], [], []
    for day in prepared.days:
        midnight = datetime.combine(day.date, time())
        edges = [prepared.minute(midnight + timedelta(hours=h)) for h in range(24)] + [day.end]
        hourly = hourly_arrivals(incidents, day.date.weekday(), day.working)
        for h in range(24):
            starts.append(edges[h])
            lengths.append(edges[h + 1] - edges[h])
            means.append(hourly[h] if edges[h + 1] > edges[h] else 0.0)
    shares = np.array([p.share for p in incidents.priorities], dtype=float)
    total = shares.sum()
    shares = shares / total if total > 0 else np.full(len(shares), 1 / len(shares))
    return Forecast(
        start=np.array(starts, dtype=float),
        length=np.array(lengths, dtype=float),
        mean=np.array(means, dtype=float),
        cumulative=np.cumsum(shares),
        handling=elapsed_minutes(incidents.handling.mean),
        cv=incidents.handling.cv,
        distribution=distribution,
    )


def draw(forecast: Forecast, rng: np.random.Generator) -> IncidentStream:
    """One replication's incidents from ``rng``: counts, offsets, classes, handling, in turn."""
    counts = rng.poisson(forecast.mean)
    n = int(counts.sum())
    offsets = rng.random(n) * np.repeat(forecast.length, counts)
    arrival = np.sort(np.repeat(forecast.start, counts) + offsets)
    last = len(forecast.cumulative) - 1
    priority = np.minimum(np.searchsorted(forecast.cumulative, rng.random(n), side="right"), last)
    mean = forecast.handling
    if forecast.distribution == "exponential":
        handling = mean * rng.standard_exponential(n)
    else:  # log-normal with E = mean, sd = cv * mean: sigma^2 = ln(1 + cv^2), mu = ln mean - s^2/2
        sigma = math.sqrt(math.log1p(forecast.cv**2))
        handling = mean * np.exp(sigma * rng.standard_normal(n) - sigma**2 / 2)
    return IncidentStream(arrival, priority, handling)


def incident_stream(
    prepared: Prepared,
    incidents: Incidents,
    rng: np.random.Generator,
    distribution: Distribution = "lognormal",
) -> IncidentStream:
    """Draw one replication's incidents over the horizon from the forecast.

    Parameters
    ----------
    prepared : Prepared
        The prepared scenario (days, working days, daylight-saving changes).
    incidents : Incidents
        The forecast: volume, profile, handling and classes.
    rng : numpy.random.Generator
        Source of randomness; ``default_rng([seed, r])`` reproduces replication ``r``.
    distribution : {"lognormal", "exponential"}
        Handling time law; both keep the forecast's mean, log-normal also its cv.

    Returns
    -------
    IncidentStream
    """
    return draw(build_forecast(prepared, incidents, distribution), rng)

"""Unplanned work: the incident forecast and the buffer of capacity kept free for it.

Incidents are not planned item by item; the forecast (arrivals, hourly profile, handling time,
priority classes) sizes the reserve that the buffer policy keeps free of planned work, in the
engines (``solver.buffer``, ``solver.queueing``) and in the simulation that tests it.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, field_validator, model_validator

from models.scenario_fields import DurationField, Model, Weekday


class IncidentPriority(Model):
    name: str = Field(description="Priority class, e.g. P1.")
    share: float = Field(ge=0, le=1, description="Share of incidents in this class.")
    response: DurationField = Field(description="Response target, e.g. 30m.")


class Handling(Model):
    mean: DurationField = Field(description="Mean handling time of one incident.")
    cv: float = Field(1.0, ge=0, description="Coefficient of variation of handling time.")


HourWeights = Annotated[list[Annotated[float, Field(ge=0)]], Field(min_length=24, max_length=24)]


class Incidents(Model):
    per_day: float = Field(ge=0, description="Mean arrivals on a working day.")
    profile: Literal["office", "flat"] | dict[Weekday, HourWeights] = Field(
        "office", description="Hourly shape: office, flat, or 24 weights per weekday."
    )
    handling: Handling = Field(description="Handling time distribution.")
    priorities: list[IncidentPriority] = Field(min_length=1, description="Classes with shares.")

    @field_validator("priorities")
    @classmethod
    def shares_sum_to_one(cls, priorities: list[IncidentPriority]) -> list[IncidentPriority]:
        total = sum(p.share for p in priorities)
        if abs(total - 1) > 0.01:
            raise ValueError(f"the shares add up to {total:g}, not 1")
        return priorities


class Buffer(Model):
    policy: Literal["percent", "duty", "forecast"] = Field(description="How the reserve is sized.")
    percent: float | None = Field(
        None, ge=0, lt=100, description="percent: share of each day kept free."
    )
    duty: int | None = Field(None, ge=0, description="duty: technicians per working day on duty.")
    service_level: float | None = Field(
        None, gt=0, lt=1, description="forecast: share of P1/P2 answered within response target."
    )

    @model_validator(mode="after")
    def policy_has_its_level(self) -> Buffer:
        level = {"percent": self.percent, "duty": self.duty, "forecast": self.service_level}
        if level[self.policy] is None:
            field = {"forecast": "service_level"}.get(self.policy, self.policy)
            raise ValueError(f"policy '{self.policy}' needs the field '{field}'")
        return self

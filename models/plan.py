"""The plan: what the engines produce, in the JSON format of DESIGN.md (a contract)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

Status = Literal["optimal", "feasible", "infeasible", "unknown"]

RESERVE_REASON = "incident reserve"
"""percent policy: a block of the day kept free."""
DUTY_REASON = "incident duty"
"""duty policy: the technician takes no planned work that day."""
FORECAST_REASON = "incident reserve (forecast)"
"""forecast policy: hours kept free by the reserve profile."""
Kind = Literal["project", "recurring", "maintenance", "service_request"]


class PlanModel(BaseModel):
    """Plans are read back from files, so unknown fields are errors here too."""

    model_config = ConfigDict(frozen=True, extra="forbid")


def _sane(moment: datetime) -> datetime:
    if moment.tzinfo is None:
        raise ValueError(f"{moment} has no UTC offset (write it like 2026-03-02T08:00:00+01:00)")
    if not 1900 <= moment.year <= 2200:
        raise ValueError(f"{moment} lies outside the years 1900..2200")
    return moment


Moment = Annotated[datetime, AfterValidator(_sane)]


class Assignment(PlanModel):
    item: str = Field(description="Item id; recurring occurrences are <id>@<YYYY-MM-DD>.")
    part: int = Field(1, ge=1, description="Part number, from 1, for work split into parts.")
    kind: Kind = Field(description="Kind of work.")
    technician: str = Field(description="Technician id.")
    start: Moment = Field(description="Aware local start.")
    end: Moment = Field(description="Aware local end.")


class Reserve(PlanModel):
    technician: str = Field(description="Technician id.")
    start: Moment = Field(description="Aware local start.")
    end: Moment = Field(description="Aware local end.")
    reason: str = Field(description="e.g. incident duty, incident reserve.")


class Unscheduled(PlanModel):
    item: str = Field(description="Item id.")
    reason: str = Field(description="Why it is not planned, in a planner's words.")


class Released(PlanModel):
    item: str = Field(description="Item id.")
    technician: str = Field(description="Technician it was frozen on.")
    reason: str = Field(description="Why it could not stay as it was.")


class ReservePeriod(PlanModel):
    start: Moment = Field(description="Aware local start.")
    end: Moment = Field(description="Aware local end.")
    technicians: int = Field(ge=0, description="Technicians kept free of planned work.")


class Plan(PlanModel):
    scenario: str = Field(description="Scenario name.")
    status: Status = Field(description="optimal | feasible | infeasible | unknown")
    method: str = Field("cpsat", description="Engine that made the plan: cpsat or greedy.")
    objective: float | None = Field(None, description="Objective recomputed by the checker.")
    best_bound: float | None = Field(None, description="Proven lower bound on the objective.")
    solve_seconds: float = Field(0.0, description="Wall time of the solve.")
    objective_terms: dict[str, float] = Field(
        default_factory=dict, description="Objective by named term."
    )
    assignments: list[Assignment] = Field(default_factory=list, description="Planned work.")
    reserve: list[Reserve] = Field(default_factory=list, description="Capacity kept free.")
    reserve_profile: list[ReservePeriod] = Field(
        default_factory=list, description="forecast policy: technicians kept free per period."
    )
    unscheduled: list[Unscheduled] = Field(default_factory=list, description="Not planned.")
    frozen_until: Moment | None = Field(
        None, description="Replans: end of the frozen period; earlier work stayed as it was."
    )
    released: list[Released] = Field(
        default_factory=list, description="Replans: frozen work that could not stay."
    )
    kpis: dict[str, Any] = Field(default_factory=dict, description="Key figures.")

    @property
    def gap(self) -> float | None:
        """Relative gap between objective and bound, or None without both."""
        if self.objective is None or self.best_bound is None:
            return None
        return (self.objective - self.best_bound) / max(abs(self.objective), 1e-9)

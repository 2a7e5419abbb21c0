"""The scenario: everything a planner knows before planning, as validated, frozen pydantic models.

Field names are the public file format of DESIGN.md: extend, never rename. Structural
rules live on the fields; rules that relate entities live in ``models.crosscheck``, run by
``Scenario.cross_checks``, each returning messages of the form ``path.to.field: what is
wrong``. This module holds the top level; its parts live in ``models.scenario_fields`` (base
model and field types), ``models.scenario_calendar`` (horizon, holidays, technicians,
customers), ``models.scenario_work`` (the items to plan) and ``models.scenario_incidents``
(incident forecast and buffer).
"""

from __future__ import annotations

from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from pydantic import Field, field_validator, model_validator

from models.scenario_calendar import Customer, Holidays, Horizon, Technician
from models.scenario_fields import Model, closest
from models.scenario_incidents import Buffer, Incidents
from models.scenario_work import Maintenance, Project, Recurring, ServiceRequest, WorkItem
from models.units import shown


class Weights(Model):
    unscheduled: int = Field(1000, ge=0, description="Per hour of unscheduled work.")
    late_per_day: int = Field(50, ge=0, description="Per day an item finishes late.")
    balance: int = Field(1, ge=0, description="Per percentage point of load spread.")
    change: int = Field(
        20, ge=0, description="Replans: per item moved or given to another technician."
    )


class Scenario(Model):
    name: str = Field(description="Scenario name, shown in plans and calendars.")
    timezone: str = Field("Europe/Berlin", description="IANA zone of all local times.")
    horizon: Horizon = Field(description="First day and length of the plan.")
    slot_minutes: int = Field(15, ge=1, le=60, description="Planning grid; divides 60.")
    holidays: Holidays | None = Field(None, description="Public holidays: nobody works.")
    skills: list[str] = Field(default_factory=list, description="The skill catalogue.")
    technicians: list[Technician] = Field(default_factory=list, description="The team.")
    customers: list[Customer] = Field(default_factory=list, description="Customers.")
    projects: list[Project] = Field(default_factory=list, description="Projects with tasks.")
    recurring: list[Recurring] = Field(default_factory=list, description="Recurring blocks.")
    maintenance: list[Maintenance] = Field(default_factory=list, description="Maintenance.")
    service_requests: list[ServiceRequest] = Field(
        default_factory=list, description="Service requests."
    )
    incidents: Incidents | None = Field(None, description="Forecast of unplanned work.")
    buffer: Buffer | None = Field(None, description="Capacity reserved for incidents.")
    weights: Weights = Field(default_factory=Weights, description="Objective weights.")

    @field_validator("timezone")
    @classmethod
    def known_timezone(cls, zone: str) -> str:
        try:
            ZoneInfo(zone)
        except (ZoneInfoNotFoundError, ValueError, OSError):
            hint = closest(zone, sorted(available_timezones())) if len(zone) < 100 else None
            raise ValueError(
                f"unknown IANA time zone {shown(zone)} "
                + (f"(did you mean '{hint}'?)" if hint else "(e.g. Europe/Berlin)")
            ) from None
        return zone

    @field_validator("slot_minutes")
    @classmethod
    def slot_divides_hour(cls, minutes: int) -> int:
        if 60 % minutes:
            raise ValueError(f"slot_minutes {minutes} does not divide 60 (use 5, 10, 15, 30, 60)")
        return minutes

    @model_validator(mode="after")
    def cross_checks(self) -> Scenario:
        from models.crosscheck import cross_check_problems

        problems = cross_check_problems(self)
        if problems:
            raise ValueError("\n".join(problems))
        return self

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    def items(self) -> list[tuple[str, WorkItem]]:
        """Every plannable item with the path of its entry, tasks included."""
        found: list[tuple[str, WorkItem]] = []
        for p, project in enumerate(self.projects):
            found += [(f"projects[{p}].tasks[{t}]", task) for t, task in enumerate(project.tasks)]
        for field in ("recurring", "maintenance", "service_requests"):
            found += [(f"{field}[{i}]", item) for i, item in enumerate(getattr(self, field))]
        return found

"""The work to plan: project tasks, recurring blocks, maintenance and service requests.

Each kind of work item has its own fields in the file (a project's tasks wait for each other,
a recurring block repeats at a fixed time, a service request is due after a lead time), so
each is its own frozen pydantic model; ``WorkItem`` is any of them.
"""

from __future__ import annotations

from pydantic import Field, field_validator

from models.scenario_fields import (
    DayOrMoment,
    DurationField,
    EffortField,
    HoursSpan,
    Id,
    LocalDate,
    LocalDateTime,
    Model,
    Priority,
)
from models.units import rrule_problem, shown


class Task(Model):
    id: Id = Field(description="Unique item id.")
    name: str | None = Field(None, description="Display name; defaults to the id.")
    effort: EffortField = Field(description="Working time, e.g. 6h or 1h30m.")
    skills: list[str] = Field(default_factory=list, description="All needed by one technician.")
    after: list[str] = Field(default_factory=list, description="Tasks that must finish first.")
    earliest: LocalDate | None = Field(None, description="No part starts before this day.")


class Project(Model):
    id: Id = Field(description="Unique project id.")
    name: str | None = Field(None, description="Display name; defaults to the id.")
    customer: str | None = Field(None, description="Customer id; none for internal work.")
    target: LocalDate | None = Field(None, description="Target date (end of day); lateness costs.")
    earliest: LocalDate | None = Field(None, description="No task starts before this day.")
    priority: Priority = 3
    tasks: list[Task] = Field(min_length=1, description="The project's tasks.")


class Recurring(Model):
    id: Id = Field(description="Unique id; occurrences are <id>@<YYYY-MM-DD>.")
    name: str | None = Field(None, description="Display name; defaults to the id.")
    customer: str | None = Field(None, description="Customer id; none for internal work.")
    rule: str = Field(description="RFC 5545 RRULE, e.g. FREQ=WEEKLY;BYDAY=TU.")
    time: HoursSpan = Field(description="Fixed local time span of each occurrence.")
    skills: list[str] = Field(default_factory=list, description="Needed skills.")
    technician: str | None = Field(None, description="Fixed technician; else the solver picks.")
    priority: Priority = 2

    @field_validator("rule")
    @classmethod
    def valid_rrule(cls, rule: str) -> str:
        text = rule.strip()
        text = text[len("RRULE:") :] if text.upper().startswith("RRULE:") else text
        problem = rrule_problem(text)
        if problem:
            raise ValueError(f"invalid RRULE {shown(rule)}: {problem}")
        return text


class Maintenance(Model):
    id: Id = Field(description="Unique item id.")
    name: str | None = Field(None, description="Display name; defaults to the id.")
    customer: str | None = Field(None, description="Customer id; none for internal work.")
    effort: EffortField = Field(description="Working time.")
    skills: list[str] = Field(default_factory=list, description="Needed skills.")
    in_window: bool = Field(False, description="Only inside the customer's maintenance windows.")
    earliest: LocalDate | None = Field(None, description="Not before this day.")
    due: LocalDate | None = Field(None, description="Due date (end of day); lateness costs.")
    priority: Priority = 3


class ServiceRequest(Model):
    id: Id = Field(description="Unique item id.")
    name: str | None = Field(None, description="Display name; defaults to the id.")
    customer: str | None = Field(None, description="Customer id; none for internal work.")
    received: LocalDateTime = Field(description="When the request came in (local time).")
    effort: EffortField = Field(description="Standard effort.")
    skills: list[str] = Field(default_factory=list, description="Needed skills.")
    lead_time: DurationField | None = Field(
        None, description="Working days (2d) or hours (4h) after receipt; due = received + this."
    )
    due: DayOrMoment | None = Field(None, description="Explicit due; overrides lead_time.")
    priority: Priority = 3


WorkItem = Task | Recurring | Maintenance | ServiceRequest

"""Rules that relate entities of a scenario to each other.

Each check returns messages ``path.to.field: what is wrong``; ``Scenario`` runs them all and
reports every problem at once, so a planner can fix a file in one go.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable, Iterable
from datetime import datetime
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from models.scenario import Scenario


def _known(names: Iterable[str], limit: int = 8) -> str:
    names = sorted(names)
    shown = ", ".join(names[:limit])
    return shown + (", ..." if len(names) > limit else "")


def _hint(name: str, names: Iterable[str]) -> str:
    close = difflib.get_close_matches(name, list(names), n=1)
    return f"did you mean '{close[0]}'?" if close else f"known: {_known(names)}"


def check_skills(scenario: Scenario) -> list[str]:
    """Every skill named anywhere is in the top-level catalogue."""
    catalogue = set(scenario.skills)
    owners = [(f"technicians[{i}]", t) for i, t in enumerate(scenario.technicians)]
    owners += scenario.items()
    problems = []
    for path, owner in owners:
        for s, skill in enumerate(owner.skills):  # type: ignore[attr-defined]
            if skill not in catalogue:
                problems.append(
                    f"{path}.skills[{s}]: unknown skill '{skill}' ({_hint(skill, catalogue)})"
                    if catalogue
                    else f"{path}.skills[{s}]: unknown skill '{skill}' (the skills catalogue is empty)"
                )
    return problems


def check_unique_ids(scenario: Scenario) -> list[str]:
    """Ids are unique: technicians among themselves, customers likewise, all work items together."""
    groups: list[list[tuple[str, str]]] = [
        [(f"technicians[{i}]", t.id) for i, t in enumerate(scenario.technicians)],
        [(f"customers[{i}]", c.id) for i, c in enumerate(scenario.customers)],
        [(f"projects[{i}]", p.id) for i, p in enumerate(scenario.projects)]
        + [(path, item.id) for path, item in scenario.items()],  # type: ignore[attr-defined]
    ]
    problems = []
    for group in groups:
        first_seen: dict[str, str] = {}
        for path, ident in group:
            if ident in first_seen:
                problems.append(f"{path}.id: duplicate id '{ident}' (also at {first_seen[ident]})")
            else:
                first_seen[ident] = path
    return problems


def check_references(scenario: Scenario) -> list[str]:
    """Customers, fixed technicians and predecessors that are named exist."""
    customers = {c.id for c in scenario.customers}
    technicians = {t.id for t in scenario.technicians}
    tasks = {task.id for project in scenario.projects for task in project.tasks}
    problems = []
    owners = [(f"projects[{i}]", p) for i, p in enumerate(scenario.projects)]
    owners += [(path, item) for path, item in scenario.items() if hasattr(item, "customer")]
    for path, owner in owners:
        customer = owner.customer  # type: ignore[attr-defined]
        if customer is not None and customer not in customers:
            problems.append(
                f"{path}.customer: unknown customer '{customer}' ({_hint(customer, customers)})"
            )
    for i, block in enumerate(scenario.recurring):
        if block.technician is not None and block.technician not in technicians:
            problems.append(
                f"recurring[{i}].technician: unknown technician '{block.technician}' "
                f"({_hint(block.technician, technicians)})"
            )
    for p, project in enumerate(scenario.projects):
        for t, task in enumerate(project.tasks):
            for a, before in enumerate(task.after):
                if before not in tasks:
                    problems.append(
                        f"projects[{p}].tasks[{t}].after[{a}]: unknown predecessor task "
                        f"'{before}' ({_hint(before, tasks)})"
                    )
    return problems


def check_after_cycles(scenario: Scenario) -> list[str]:
    """Predecessors form no cycle; a cycle is named task by task."""
    after = {task.id: task.after for project in scenario.projects for task in project.tasks}
    paths = {
        task.id: f"projects[{p}].tasks[{t}].after"
        for p, project in enumerate(scenario.projects)
        for t, task in enumerate(project.tasks)
    }
    state: dict[str, int] = {}  # 1 = on the current path, 2 = done
    problems = []

    def visit(task: str, trail: list[str]) -> None:
        state[task] = 1
        for before in after.get(task, []):
            if before not in after:
                continue
            if state.get(before) == 1:
                cycle = [*trail[trail.index(before) :], before]
                problems.append(f"{paths[before]}: cycle in 'after': {' -> '.join(cycle)}")
            elif before not in state:
                visit(before, [*trail, before])
        state[task] = 2

    for task in after:
        if task not in state:
            visit(task, [task])
    return problems


def check_maintenance_windows(scenario: Scenario) -> list[str]:
    """In-window maintenance names a customer (whose windows it must use)."""
    return [
        f"maintenance[{i}].customer: in_window maintenance needs a customer with maintenance windows"
        for i, item in enumerate(scenario.maintenance)
        if item.in_window and item.customer is None
    ]


def check_service_request_due(scenario: Scenario) -> list[str]:
    """A service request is not due before it is received."""
    problems = []
    for i, request in enumerate(scenario.service_requests):
        due = request.due
        received = request.received.replace(tzinfo=None)
        too_early = (
            due.replace(tzinfo=None) < received
            if isinstance(due, datetime)
            else due is not None and due < received.date()
        )
        if too_early:
            problems.append(f"service_requests[{i}].due: due {due} is before received {received}")
    return problems


CHECKS: tuple[Callable[[Scenario], list[str]], ...] = (
    check_skills,
    check_unique_ids,
    check_references,
    check_after_cycles,
    check_maintenance_windows,
    check_service_request_due,
)


def cross_check_problems(scenario: Scenario) -> list[str]:
    """All problems found by all cross-entity checks, in file order per check."""
    return [problem for check in CHECKS for problem in check(scenario)]

"""Rules that relate entities of a scenario to each other.

Each check yields messages ``path.to.field: what is wrong``; ``Scenario`` runs them all and
reports every problem at once, so a planner can fix a file in one go.

The checks also run on a *salvaged* scenario (see ``models.io``): one built from a file whose
structure is broken, where an unreadable entry or field is ``None``. So they skip ``None``
and only call a name unknown when every name it could refer to was readable.
"""

from __future__ import annotations

import difflib
import itertools
import logging
import types
import typing
from collections.abc import Callable, Iterable, Iterator
from datetime import datetime
from functools import lru_cache
from typing import TYPE_CHECKING, Any, TypeVar, Union, get_args, get_origin

from pydantic import BaseModel, TypeAdapter, ValidationError

from models.units import shown

if TYPE_CHECKING:
    from models.scenario import Scenario

log = logging.getLogger(__name__)
T = TypeVar("T")
M = TypeVar("M", bound=BaseModel)
MAX_PER_CHECK = 100
"""A check stops after this many problems: nobody reads more, and hints cost time."""


def _entries(values: Iterable[T | None] | None) -> Iterator[tuple[int, T]]:
    """Index and entry of every readable entry of a list (a salvaged list may hold None)."""
    for i, value in enumerate(values or ()):
        if value is not None:
            yield i, value


def _known_ids(entries: Iterable[Any] | None) -> set[str] | None:
    """The ids of a list, or None when some entry or id could not be read."""
    if entries is None:
        return None
    ids = set()
    for entry in entries:
        if entry is None or entry.id is None:
            return None
        ids.add(entry.id)
    return ids


def _task_ids(scenario: Scenario) -> set[str] | None:
    """All task ids, or None when some project or task could not be read."""
    if scenario.projects is None or any(p is None for p in scenario.projects):
        return None
    found: set[str] = set()
    for project in scenario.projects:
        ids = _known_ids(project.tasks)
        if ids is None:
            return None
        found |= ids
    return found


def _work_items(scenario: Scenario) -> Iterator[tuple[str, Any]]:
    """Every readable work item (tasks, recurring, maintenance, requests) with its path."""
    for p, project in _entries(scenario.projects):
        for t, task in _entries(project.tasks):
            yield f"projects[{p}].tasks[{t}]", task
    for field in ("recurring", "maintenance", "service_requests"):
        for i, item in _entries(getattr(scenario, field)):
            yield f"{field}[{i}]", item


def _known(names: Iterable[str], limit: int = 8) -> str:
    ordered = sorted(names)
    shown_names = ", ".join(ordered[:limit])
    return shown_names + (", ..." if len(ordered) > limit else "")


def _hint(name: str, names: Iterable[str]) -> str:
    names = list(names)
    if not names:
        return "none are defined"
    close = difflib.get_close_matches(name, names, n=1) if len(name) <= 100 else []
    return f"did you mean '{close[0]}'?" if close else f"known: {_known(names)}"


def check_skills(scenario: Scenario) -> Iterator[str]:
    """Every skill named anywhere is in the top-level catalogue."""
    if scenario.skills is None or any(s is None for s in scenario.skills):
        return
    catalogue = set(scenario.skills)
    owners = [(f"technicians[{i}]", t) for i, t in _entries(scenario.technicians)]
    for path, owner in itertools.chain(owners, _work_items(scenario)):
        for s, skill in _entries(owner.skills):
            if skill not in catalogue:
                hint = _hint(skill, catalogue) if catalogue else "the skills catalogue is empty"
                yield f"{path}.skills[{s}]: unknown skill {shown(skill)} ({hint})"


def check_unique_ids(scenario: Scenario) -> Iterator[str]:
    """Ids are unique: technicians among themselves, customers likewise, all work together.

    Projects, tasks, recurring blocks, maintenance and service requests share one namespace.
    """
    groups: list[Iterable[tuple[str, Any]]] = [
        ((f"technicians[{i}]", t) for i, t in _entries(scenario.technicians)),
        ((f"customers[{i}]", c) for i, c in _entries(scenario.customers)),
        itertools.chain(
            ((f"projects[{i}]", p) for i, p in _entries(scenario.projects)),
            _work_items(scenario),
        ),
    ]
    for group in groups:
        first_seen: dict[str, str] = {}
        for path, entry in group:
            if entry.id is None:
                continue
            if entry.id in first_seen:
                yield f"{path}.id: duplicate id {shown(entry.id)} (also at {first_seen[entry.id]})"
            else:
                first_seen[entry.id] = path


def check_references(scenario: Scenario) -> Iterator[str]:
    """Customers, fixed technicians and predecessors that are named exist."""
    customers = _known_ids(scenario.customers)
    owners = [(f"projects[{i}]", p) for i, p in _entries(scenario.projects)]
    owners += [(path, item) for path, item in _work_items(scenario) if hasattr(item, "customer")]
    for path, owner in owners:
        name = owner.customer
        if customers is not None and name is not None and name not in customers:
            yield f"{path}.customer: unknown customer {shown(name)} ({_hint(name, customers)})"
    technicians = _known_ids(scenario.technicians)
    for i, block in _entries(scenario.recurring):
        name = block.technician
        if technicians is not None and name is not None and name not in technicians:
            yield (
                f"recurring[{i}].technician: unknown technician {shown(name)} "
                f"({_hint(name, technicians)})"
            )
    tasks = _task_ids(scenario)
    if tasks is None:
        return
    for p, project in _entries(scenario.projects):
        for t, task in _entries(project.tasks):
            for a, before in _entries(task.after):
                if before not in tasks:
                    yield (
                        f"projects[{p}].tasks[{t}].after[{a}]: unknown predecessor task "
                        f"{shown(before)} ({_hint(before, tasks)})"
                    )


def check_after_cycles(scenario: Scenario) -> Iterator[str]:
    """Predecessors form no cycle; a cycle is named task by task (``a -> b``: a waits for b)."""
    after: dict[str, list[tuple[str, str]]] = {}
    for p, project in _entries(scenario.projects):
        for t, task in _entries(project.tasks):
            if task.id is not None:
                after[task.id] = [
                    (before, f"projects[{p}].tasks[{t}].after[{a}]")
                    for a, before in _entries(task.after)
                ]
    state: dict[str, int] = {}  # 1 = on the current trail, 2 = done
    for root in after:
        if root in state:
            continue
        # Iterative depth-first search: a long chain of tasks must not exhaust the stack.
        trail, pending = [root], [iter(after[root])]
        state[root] = 1
        while pending:
            step = next(pending[-1], None)
            if step is None:
                state[trail.pop()] = 2
                pending.pop()
                continue
            before, path = step
            if before not in after:
                continue
            if state.get(before) == 1:
                cycle = [*trail[trail.index(before) :], before]
                yield (
                    f"{path}: cycle in 'after': {' -> '.join(cycle)} "
                    "(each task waits for the next, so none of them can start)"
                )
            elif before not in state:
                state[before] = 1
                trail.append(before)
                pending.append(iter(after[before]))


def check_maintenance_windows(scenario: Scenario) -> Iterator[str]:
    """In-window maintenance names a customer (whose windows it must use).

    A customer without windows is allowed: the item then stays unscheduled with a reason.
    """
    for i, item in _entries(scenario.maintenance):
        if item.in_window and item.customer is None:
            yield (
                f"maintenance[{i}].customer: in_window maintenance needs a customer "
                "(whose maintenance windows it must use)"
            )


def check_service_request_due(scenario: Scenario) -> Iterator[str]:
    """A service request is not due before it is received."""
    for i, request in _entries(scenario.service_requests):
        due, received = request.due, request.received
        if due is None or received is None:
            continue
        received = received.replace(tzinfo=None)
        too_early = (
            due.replace(tzinfo=None) < received
            if isinstance(due, datetime)
            else due < received.date()
        )
        if too_early:
            yield f"service_requests[{i}].due: due {due} is before received {received}"


CHECKS: tuple[Callable[[Scenario], Iterator[str]], ...] = (
    check_skills,
    check_unique_ids,
    check_references,
    check_after_cycles,
    check_maintenance_windows,
    check_service_request_due,
)


def cross_check_problems(scenario: Scenario) -> list[str]:
    """All problems found by all cross-entity checks, in file order per check."""
    return [
        problem for check in CHECKS for problem in itertools.islice(check(scenario), MAX_PER_CHECK)
    ]


# -- salvage: what can be read of a broken scenario ----------------------------------------------
def salvaged_problems(data: dict[str, Any]) -> list[str]:
    """Cross-entity problems of a structurally broken scenario, from what can be read of it.

    Best effort: the structural problems are the real report, so a failure here is logged.
    """
    from models.scenario import Scenario

    try:
        salvaged = salvage(Scenario, data, whole=False)
        return [] if salvaged is None else cross_check_problems(salvaged)
    except Exception:  # never let the extra report hide the real one
        log.debug("cross-checks on a broken scenario failed", exc_info=True)
        return []


def salvage(model: type[M], data: Any, *, whole: bool = True) -> M | None:
    """``model`` built from ``data`` field by field; what cannot be read becomes None.

    Entries of lists are salvaged one by one, so a bad entry keeps its index. The result
    skips all validators (``whole=False`` skips even the model's own, e.g. cross-checks).
    """
    if not isinstance(data, dict):
        return None
    if whole:
        try:
            return model.model_validate(data)
        except ValidationError:
            pass
    values = {}
    for name, info in model.model_fields.items():
        if name in data:
            values[name] = _salvage_value(info.annotation, data[name], _field_adapter(model, name))
        else:
            values[name] = None if info.is_required() else info.get_default(
                call_default_factory=True
            )
    return model.model_construct(**values)


def _salvage_value(annotation: Any, value: Any, adapter: TypeAdapter[Any]) -> Any:
    try:
        return adapter.validate_python(value)
    except ValidationError:
        pass
    for option in annotation_options(annotation):
        if get_origin(option) is list and isinstance(value, list):
            inner = get_args(option)[0]
            return [_salvage_value(inner, v, _item_adapter(inner)) for v in value]
        if isinstance(option, type) and issubclass(option, BaseModel) and isinstance(value, dict):
            return salvage(option, value)
    return None


@lru_cache(maxsize=256)
def _field_adapter(model: type[BaseModel], name: str) -> TypeAdapter[Any]:
    info = model.model_fields[name]
    if not info.metadata:
        return TypeAdapter(info.annotation)  # type: ignore[arg-type]
    return TypeAdapter(typing.Annotated[info.annotation, *info.metadata])  # type: ignore[arg-type]


def _item_adapter(annotation: Any) -> TypeAdapter[Any]:
    try:
        return _cached_adapter(annotation)
    except TypeError:  # an unhashable annotation cannot be cached
        return TypeAdapter(annotation)


@lru_cache(maxsize=256)
def _cached_adapter(annotation: Any) -> TypeAdapter[Any]:
    return TypeAdapter(annotation)


def annotation_options(annotation: Any) -> list[Any]:
    """The alternatives an annotation allows, Annotated and Optional peeled off."""
    origin = get_origin(annotation)
    if origin is typing.Annotated:
        return annotation_options(get_args(annotation)[0])
    if origin is Union or origin is types.UnionType:
        return [alt for arg in get_args(annotation) for alt in annotation_options(arg)]
    return [annotation]

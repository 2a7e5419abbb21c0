"""What-if variants: a base scenario plus a short list of changes a manager thinks about.

"Hire a network technician", "Anna on parental leave", "20 % more incidents", "a new
customer": each is a small file that names its base scenario and lists changes, so the
variant stays readable and follows every later edit of the base instead of being a stale
copy of it::

    name: hire network technician
    base: ../demo.yaml                 # relative to this file; optional on the command line
    changes:
      - add_technician: {like: deniz, id: nina, name: Nina Roth}
      - incident_factor: 1.2

The changes are applied in order to the base's data, and after each one the result is
validated by the normal scenario rules, so a problem is reported at the change that caused
it (``v1.yaml: changes[1].remove_technician: no technician 'zoe' (known: anna, ...)``).
A change that fails is skipped and the others are still checked: one run lists every problem.
Examples are in ``scenarios/variants`` (variants, not scenarios: scenario lists skip them).
"""

from __future__ import annotations

import copy
import difflib
import math
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from models.io import read_text, scenario_from_data
from models.parsing import parse_document
from models.problems import ScenarioError, kind_of
from models.scenario import Scenario
from models.units import shown

VARIANT_FIELDS = ("name", "base", "description", "changes")
CUSTOMER_LISTS = ("projects", "maintenance", "recurring", "service_requests")
MAX_INCIDENT_FACTOR = 10.0
"""Incident volume a what-if may ask about; the simulation's cost grows with it."""
LIKE_SKIPS = ("id", "name", "absences", "absences_ics")
"""Fields ``add_technician: {like: ...}`` does not copy: a new person has own name and leave."""


@dataclass(frozen=True)
class Variant:
    """A parsed variant file: its name, its base file (if it names one) and its changes."""

    name: str
    source: str
    """The variant file as given; every message about it starts with it."""
    base: Path | None
    """The base scenario named in the file, relative to the file's folder already resolved."""
    changes: tuple[tuple[int, str, Any], ...]
    """(position in the file's list, kind, value) of each readable change, in file order."""
    description: str = ""
    problems: tuple[tuple[int, str], ...] = ()
    """(position, message) of entries that are no change: reported with the changes' own
    problems when the variant is applied, so one run lists them all."""


@dataclass(frozen=True)
class VariantScenario:
    """A variant applied: the validated scenario and what a planner should know about it."""

    variant: Variant
    scenario: Scenario
    notes: tuple[str, ...] = ()


class ChangeProblem(ValueError):
    """A change cannot be applied; ``place`` is the part of the change it is about."""

    def __init__(self, message: str, place: str = "") -> None:
        super().__init__(message)
        self.place = place


@dataclass
class _Step:
    """One change being applied: the data it edits and how to name its problems."""

    data: dict[str, Any]
    where: str
    """``changes[k].<kind>``"""
    notes: list[str] = field(default_factory=list)
    renames: dict[str, str] = field(default_factory=dict)
    """Place in the scenario -> place in the change, so validation messages name the change."""


# -- reading a variant file ------------------------------------------------------------------
def load_variant(path: str | Path) -> Variant:
    """Read a variant file (YAML or JSON); a ScenarioError names every structural problem."""
    path = Path(path)
    data = parse_document(read_text(path), str(path))
    return variant_from_data(data, str(path), folder=path.parent, stem=path.stem)


def variant_from_data(data: Any, source: str, *, folder: Path, stem: str = "variant") -> Variant:
    """The variant in ``data`` (parsed from ``source``); its ``base`` resolved from ``folder``."""
    if not isinstance(data, dict):
        raise ScenarioError(
            source, [f"a variant file holds name:, base: and changes:, not {kind_of(data)}"]
        )
    problems = [
        f"unknown field {shown(key)} ({_hint(str(key), VARIANT_FIELDS)})"
        for key in data
        if key not in VARIANT_FIELDS
    ]
    for key in ("name", "base", "description"):
        if data.get(key) is not None and not (isinstance(data[key], str) and data[key].strip()):
            problems.append(f"{key}: should be text, got {shown(data[key])}")
    raw = data.get("changes")
    if not isinstance(raw, list):
        problems.append(
            "changes: required field is missing"
            if raw is None
            else f"changes: should be a list of changes, got {kind_of(raw)}"
        )
        raw = []
    changes, unreadable = [], []
    for k, entry in enumerate(raw):
        try:
            changes.append((k, *_change_kind(entry)))
        except ChangeProblem as problem:
            unreadable.append((k, f"changes[{k}]: {problem}"))
    if problems:
        raise ScenarioError(source, problems + [message for _, message in unreadable])
    base = data.get("base")
    return Variant(
        name=str(data.get("name") or stem).strip(),
        source=source,
        base=None if base is None else folder / base,
        changes=tuple(changes),
        description=str(data.get("description") or ""),
        problems=tuple(unreadable),
    )


def _change_kind(entry: Any) -> tuple[str, Any]:
    """``{kind: value}`` as (kind, value); one kind per entry, a known one."""
    example = "a mapping with one change, e.g. 'remove_technician: anna'"
    if not isinstance(entry, dict) or len(entry) != 1:
        got = f"{len(entry)} keys" if isinstance(entry, dict) else kind_of(entry)
        raise ChangeProblem(f"should be {example}, got {got}")
    [(kind, value)] = entry.items()
    if kind not in CHANGES:
        raise ChangeProblem(f"unknown change {shown(str(kind))} ({_hint(str(kind), CHANGES)})")
    return str(kind), value


def _hint(name: str, known: Any) -> str:
    close = difflib.get_close_matches(name, list(known), n=1)
    names = f"known: {', '.join(known)}"
    return f"did you mean '{close[0]}'? {names}" if close else names


# -- applying it -----------------------------------------------------------------------------
def resolve_base(variant: Variant, given: Path | None) -> Path:
    """The base scenario file of ``variant``: its own ``base``, which must be ``given`` when
    both exist (a comparison has one base; variants of another base would mislead)."""
    if variant.base is None and given is None:
        raise ScenarioError(
            variant.source, ["base: no base scenario (name it, e.g. base: ../demo.yaml)"]
        )
    if variant.base is None:
        assert given is not None
        return given
    if given is not None and not _same_file(variant.base, given):
        raise ScenarioError(
            variant.source,
            [
                f"base: names {variant.base}, but the comparison's base is {given}; "
                "compare variants of one base, or drop base: from the variant"
            ],
        )
    return variant.base


def _same_file(first: Path, second: Path) -> bool:
    if first.exists() and second.exists():
        return first.samefile(second)
    return first.resolve() == second.resolve()


def load_variant_scenario(path: str | Path, base: Path | None = None) -> VariantScenario:
    """Read a variant file and apply it to its base (``base`` when the file names none)."""
    variant = load_variant(path)
    base_path = resolve_base(variant, base)
    base_data = parse_document(read_text(base_path), str(base_path))
    scenario_from_data(base_data, str(base_path), folder=base_path.parent)  # the base's problems
    return apply_variant(variant, base_data, folder=base_path.parent)


def apply_variant(
    variant: Variant, base_data: dict[str, Any], *, folder: Path | None = None
) -> VariantScenario:
    """Apply the changes to a copy of the base's (valid) data; validate after each change.

    Raises ScenarioError naming the variant file, the change and the rule for every change
    that cannot be applied or leaves an invalid scenario.
    """
    data = copy.deepcopy(base_data)
    data["name"] = f"{data.get('name', 'scenario')} / {variant.name}"
    problems = list(variant.problems)
    notes: list[str] = []
    for k, kind, value in variant.changes:
        step = _Step(copy.deepcopy(data), f"changes[{k}].{kind}")
        try:
            CHANGES[kind](step, value)
        except ChangeProblem as problem:
            problems.append((k, f"{_joined(step.where, problem.place)}: {problem}"))
            continue
        found = _validation_problems(step, variant.source, folder)
        if found:
            problems += [(k, message) for message in found]
            continue
        data, notes = step.data, notes + step.notes
    if problems:
        problems.sort(key=lambda found: found[0])  # stable: a change's problems stay in order
        raise ScenarioError(variant.source, [message for _, message in problems])
    scenario = scenario_from_data(data, variant.source, folder=folder)
    return VariantScenario(variant, scenario, tuple(notes))


def _validation_problems(step: _Step, source: str, folder: Path | None) -> list[str]:
    """The scenario rules the changed data breaks, each named at the change."""
    try:
        scenario_from_data(step.data, source, folder=folder)
    except ScenarioError as error:
        return [_renamed(problem, step) for problem in error.problems]
    return []


def _renamed(problem: str, step: _Step) -> str:
    """``technicians[12].skills[0]: ...`` -> ``changes[1].add_technician.skills[0]: ...``."""
    for place, change in step.renames.items():
        rest = problem[len(place) :]
        if problem.startswith(place) and rest[:1] in (".", ":"):
            return change + rest
    return f"{step.where}: {problem}"


def _joined(where: str, place: str) -> str:
    if not place:
        return where
    return f"{where}{place}" if place.startswith("[") else f"{where}.{place}"


# -- the changes -----------------------------------------------------------------------------
def _technicians(step: _Step) -> list[dict[str, Any]]:
    technicians = step.data.setdefault("technicians", [])
    return technicians if isinstance(technicians, list) else []


def _find_technician(step: _Step, name: Any, place: str = "") -> tuple[int, dict[str, Any]]:
    """Index and data of the technician called ``name``, or a problem listing the known ones."""
    for index, tech in enumerate(_technicians(step)):
        if isinstance(tech, dict) and tech.get("id") == name:
            return index, tech
    ids = ", ".join(str(t.get("id")) for t in _technicians(step) if isinstance(t, dict))
    ids = ids or "none"
    raise ChangeProblem(f"no technician {shown(name)} (known: {ids})", place)


def _mapping(value: Any, what: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise ChangeProblem(f"should be {what}, got {kind_of(value)}")
    return value


def add_technician(step: _Step, value: Any) -> None:
    """A new technician: a full spec, or ``{like: id, id: new, name: ...}`` copying skills,
    hours, after-hours and the daily cap of ``like`` (not its absences: leave is personal)."""
    spec = dict(_mapping(value, "a technician (id:, skills:, hours:) or {like: anna, id: new}"))
    if "like" in spec:
        _, model = _find_technician(step, spec.pop("like"), "like")
        copied = {k: copy.deepcopy(v) for k, v in model.items() if k not in LIKE_SKIPS}
        spec = copied | spec
    technicians = _technicians(step)
    step.renames[f"technicians[{len(technicians)}]"] = step.where
    technicians.append(spec)


def remove_technician(step: _Step, value: Any) -> None:
    """The technician leaves; recurring blocks fixed to them go to any skilled technician."""
    index, _ = _find_technician(step, value)
    del _technicians(step)[index]
    for block in step.data.get("recurring") or []:
        if isinstance(block, dict) and block.get("technician") == value:
            del block["technician"]
            skills = ", ".join(block.get("skills") or []) or "none needed"
            step.notes.append(
                f"{step.where}: recurring {shown(block.get('id'))} was fixed to {value}; "
                f"now any technician with its skills ({skills}) may take it"
            )


def add_absence(step: _Step, value: Any) -> None:
    """An absence (``{technician, start, end, reason}``) added to that technician."""
    spec = dict(_mapping(value, "{technician: id, start: date, end: date, reason: text}"))
    if "technician" not in spec:
        raise ChangeProblem("required field is missing", "technician")
    index, tech = _find_technician(step, spec.pop("technician"), "technician")
    absences = tech.setdefault("absences", [])
    if not isinstance(absences, list):
        raise ChangeProblem(f"technician {tech.get('id')}'s absences are not a list")
    step.renames[f"technicians[{index}].absences[{len(absences)}]"] = step.where
    absences.append(spec)


def incident_factor(step: _Step, value: Any) -> None:
    """Incidents per working day times ``value`` (the hourly shape stays)."""
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise ChangeProblem(f"should be a number like 1.2, got {shown(value)}")
    if not 0 < value <= MAX_INCIDENT_FACTOR:
        raise ChangeProblem(
            f"should lie in (0, {MAX_INCIDENT_FACTOR:g}], got {value:g} (more is another "
            "forecast, not a what-if: set incidents: in a scenario)"
        )
    incidents = step.data.get("incidents")
    if not isinstance(incidents, dict):
        raise ChangeProblem("the scenario has no incidents: forecast to scale")
    before = incidents["per_day"]
    incidents["per_day"] = round(before * value, 6)
    step.notes.append(
        f"{step.where}: incidents per working day {before:g} -> {incidents['per_day']:g}; "
        "this variant's simulation draws from its own forecast, so it meets other incidents "
        "than the base (by design; the other variants share the base's stream)"
    )


def add_customer(step: _Step, value: Any) -> None:
    """A new customer with its work; items without ``customer`` belong to the new customer."""
    spec = _mapping(value, "{customer: {...}, projects: [...], maintenance: [...], ...}")
    known = ("customer", *CUSTOMER_LISTS)
    for key in spec:
        if key not in known:
            raise ChangeProblem(f"unknown field {shown(str(key))} ({_hint(str(key), known)})")
    customer = spec.get("customer")
    if not isinstance(customer, dict):
        raise ChangeProblem(
            f"should be the customer's fields (id:, name:), got {kind_of(customer)}", "customer"
        )
    customers = step.data.setdefault("customers", [])
    step.renames[f"customers[{len(customers)}]"] = f"{step.where}.customer"
    customers.append(copy.deepcopy(customer))
    for name in CUSTOMER_LISTS:
        entries = spec.get(name) or []
        if not isinstance(entries, list):
            raise ChangeProblem(f"should be a list, got {kind_of(entries)}", name)
        target = step.data.setdefault(name, [])
        for j, entry in enumerate(entries):
            step.renames[f"{name}[{len(target)}]"] = f"{step.where}.{name}[{j}]"
            if isinstance(entry, dict) and "customer" not in entry:
                entry = {**entry, "customer": customer.get("id")}
            target.append(copy.deepcopy(entry))


def set_buffer(step: _Step, value: Any) -> None:
    """The buffer replaced (``null``: no reserve at all)."""
    if value is not None:
        _mapping(value, "a buffer like {policy: percent, percent: 20}")
    step.data["buffer"] = copy.deepcopy(value)
    step.renames["buffer"] = step.where


def merge_weights(step: _Step, value: Any) -> None:
    """Objective weights merged: the ones named change, the others stay."""
    weights = _mapping(value, "weights like {unscheduled: 1000, late_per_day: 50}")
    current = step.data.get("weights") or {}
    step.data["weights"] = {**current, **weights}
    step.renames["weights"] = step.where


CHANGES: dict[str, Callable[[_Step, Any], None]] = {
    "add_technician": add_technician,
    "remove_technician": remove_technician,
    "absence": add_absence,
    "incident_factor": incident_factor,
    "add_customer": add_customer,
    "buffer": set_buffer,
    "weights": merge_weights,
}
"""Change kinds of a variant file, in the order they are documented."""

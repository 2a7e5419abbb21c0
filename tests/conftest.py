"""Shared fixtures: the design example as data, as a file and solved; a way to run ``validate``."""

from __future__ import annotations

import copy
import io
from collections.abc import Callable
from contextlib import redirect_stderr, redirect_stdout
from pathlib import Path
from typing import Any, NamedTuple

import pytest
import yaml

from models.io import load_scenario
from models.plan import Plan
from models.prepare import Prepared, prepare
from solver.schedule import Schedule
from solver.solve import SolveParams, solve

ROOT = Path(__file__).resolve().parent.parent
TINY_SCENARIOS = ROOT / "scenarios" / "tiny"
EXAMPLE = TINY_SCENARIOS / "design_example.yaml"
_EXAMPLE_DATA = yaml.safe_load(EXAMPLE.read_text(encoding="utf-8"))


class Run(NamedTuple):
    """Exit code and output of one ``mspplan`` command."""

    code: int
    out: str
    err: str


def run_cli(*argv: str) -> Run:
    """Run ``mspplan`` in-process and capture what it prints (usable inside hypothesis)."""
    from ui.cli import main

    out, err = io.StringIO(), io.StringIO()
    with redirect_stdout(out), redirect_stderr(err):
        code = main(list(argv))
    return Run(code, out.getvalue(), err.getvalue())


@pytest.fixture
def example_path() -> Path:
    """The design example scenario file (valid, every field of the format once)."""
    return EXAMPLE


@pytest.fixture
def example() -> dict[str, Any]:
    """A fresh, mutable copy of the design example as parsed YAML data."""
    return copy.deepcopy(_EXAMPLE_DATA)


@pytest.fixture
def write_scenario(tmp_path: Path) -> Callable[..., Path]:
    """Write data (as YAML or JSON), text or bytes to a file in tmp_path; return its path."""
    import json

    def write(content: Any, name: str = "scenario.yaml") -> Path:
        path = tmp_path / name
        if isinstance(content, bytes):
            path.write_bytes(content)
        elif isinstance(content, str):
            path.write_text(content, encoding="utf-8")
        elif name.endswith(".json"):
            path.write_text(json.dumps(content, default=str), encoding="utf-8")
        else:
            path.write_text(yaml.safe_dump(content, sort_keys=False), encoding="utf-8")
        return path

    return write


@pytest.fixture(scope="session")
def cli() -> Callable[..., Run]:
    """Run ``mspplan`` with arguments in-process; returns exit code, stdout and stderr."""
    return run_cli


@pytest.fixture(scope="session")
def validate() -> Callable[[Path | str], Run]:
    """Run ``mspplan validate FILE`` in-process; returns exit code, stdout and stderr."""
    return lambda path: run_cli("validate", str(path))


def _solved(name: str) -> tuple[Prepared, Plan]:
    prepared = prepare(load_scenario(TINY_SCENARIOS / f"{name}.yaml"))
    return prepared, solve(prepared, SolveParams(time_limit=2, workers=2)).plan


@pytest.fixture(scope="session")
def solved_example() -> tuple[Prepared, Plan]:
    """The design example, prepared and solved (has a percent reserve)."""
    return _solved("design_example")


@pytest.fixture(scope="session")
def solved_dst() -> tuple[Prepared, Plan]:
    """The DST scenario (Europe/Berlin springs forward on 2026-03-29), prepared and solved."""
    return _solved("dst")


def checked_terms(prepared: Prepared, schedule: Schedule) -> dict[str, float]:
    """The checker's terms of an engine's schedule, after asserting it keeps every hard rule."""
    from models.check import evaluate
    from solver.solve import to_plan

    plan = to_plan(prepared, schedule, status="feasible", method="greedy", seconds=0)
    evaluation = evaluate(prepared, plan)
    assert evaluation.violations == []
    return evaluation.terms


def monday_team(
    technicians: list[dict],
    requests: list[dict],
    projects: list[dict] = (),
    recurring: list[dict] = (),
    days: int = 1,
    buffer: dict | None = None,
    windows: list[dict] = (),
):
    """A scenario from Monday (technicians work 08:00-16:00 unless they say otherwise) for
    small planner tests; ``windows``: Keller's maintenance windows."""
    from models.scenario import Scenario

    skills = sorted({skill for tech in technicians for skill in tech["skills"]})
    return prepare(
        Scenario.model_validate(
            {
                "name": "Making room",
                "timezone": "Europe/Berlin",
                "horizon": {"start": "2026-03-02", "days": days},
                "skills": skills,
                "technicians": [{"hours": {"mon": "08:00-16:00"}, **tech} for tech in technicians],
                "customers": [
                    {"id": "keller", "name": "Autohaus Keller", "maintenance_windows": windows}
                ],
                "service_requests": requests,
                "projects": list(projects),
                "recurring": list(recurring),
            }
            | ({"buffer": buffer} if buffer else {})
        )
    )


def monday_request(name: str, skill: str, effort: str = "8h", received: str = "08:00") -> dict:
    return {
        "id": name,
        "name": name,
        "customer": "keller",
        "skills": [skill],
        "effort": effort,
        "received": f"2026-03-02T{received}",
        "due": "2026-03-02T16:00",
    }

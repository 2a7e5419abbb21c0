"""What the app's pages share, in ``st.session_state``: the loaded scenario, its tables, the
solved plan, the background jobs. Every key is named here and initialised in one place.

The pages read and change the state only through these helpers, so a page never meets a
half-set state (a plan of another scenario, tables of another file).
"""

from __future__ import annotations

import os
import re
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd
import streamlit as st

from models.io import read_text, scenario_from_data
from models.parsing import parse_document
from models.prepare import Prepared, prepare
from models.problems import ScenarioError
from models.scenario import Scenario
from solver.solve import PlanResult
from ui.app_jobs import Job
from ui.app_tables import Table, build_tables

ROOT = Path(__file__).resolve().parent.parent
SCENARIO_DIR = ROOT / "scenarios"
DEMO = SCENARIO_DIR / "demo.yaml"
SAVED_DIR = ROOT / "out" / "scenarios"
"""Where "save as" writes (git-ignored); its files are offered with the shipped ones."""
SCENARIO_ENV = "MSPPLAN_SCENARIO"
"""Environment variable: the scenario file the app opens first (else the demo)."""
SCENARIO_PARAM = "scenario"
"""Query parameter: a file below ``scenarios/`` to open first, e.g. ``tiny/dst.yaml``."""

LOADED = "loaded"
PLAN = "plan"
SOLVE_JOB = "solve_job"
BUFFERS = "buffers"
BUFFERS_JOB = "buffers_job"
WHATIF = "whatif"
WHATIF_JOB = "whatif_job"
VARIANTS = "variants"
"""The staffing variants the manager composed: kept when the scenario's tables are edited
(a variant that no longer applies is named at Compare), dropped when another file is opened
(its technicians are others)."""
CALENDARS = "calendars"
EDITOR_VERSION = "editor_version"


@dataclass
class Loaded:
    """A scenario as the planner has it now: file, data, validated scenario or its problems."""

    source: str
    """File name shown to the planner."""
    folder: Path | None
    """The file's folder (``absences_ics`` are read from it); None for an upload."""
    data: Any
    """Parsed file content, with the planner's table edits; None if the file did not parse."""
    original: Any
    """Parsed file content as loaded (the tables' starting point)."""
    tables: dict[str, Table] = field(default_factory=dict)
    frames: dict[str, pd.DataFrame] = field(default_factory=dict)
    """The tables as last edited (kept while the planner is on other pages)."""
    bases: dict[str, pd.DataFrame] = field(default_factory=dict)
    """What each table editor was started with (its edits are kept relative to it)."""
    scenario: Scenario | None = None
    problems: list[str] = field(default_factory=list)
    """One ``place: message`` per problem; empty when ``scenario`` is set."""
    table_problems: list[str] = field(default_factory=list)
    """Problems of the edited tables themselves (e.g. an absence of an unknown technician)."""
    prepared: Prepared | None = None


# -- loading ---------------------------------------------------------------------------------
def validate(data: Any, source: str, folder: Path | None) -> tuple[Scenario | None, list[str]]:
    """The validated scenario, or None and its problems (``place: message``)."""
    try:
        return scenario_from_data(data, source, folder=folder), []
    except ScenarioError as error:
        return None, error.problems
    except (ValueError, OSError) as error:  # not expected: still a message, not a traceback
        return None, [str(error)]


def _loaded(source: str, folder: Path | None, data: Any, problems: list[str]) -> Loaded:
    tables = build_tables(data)
    frames = {name: table.frame for name, table in tables.items()}
    loaded = Loaded(source, folder, data, data, tables, frames, dict(frames), problems=problems)
    if not problems:
        loaded.scenario, loaded.problems = validate(data, source, folder)
    return loaded


def load_file(path: Path) -> Loaded:
    """Read a scenario file; problems are kept, never raised."""
    try:
        data = parse_document(read_text(path), str(path))
    except ScenarioError as error:
        return _loaded(path.name, path.parent, None, error.problems)
    return _loaded(path.name, path.parent, data, [])


def load_upload(name: str, raw: bytes) -> Loaded:
    """Read an uploaded scenario (name and bytes) with the same checks as a file."""
    name = Path(name).name
    name = name if name not in ("", ".", "..") else "upload.yaml"
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "upload"  # the planner's name is only shown, never a path here
        path.write_bytes(raw)
        try:
            text = read_text(path)  # size, encoding and binary checks of models.io
            data = parse_document(text, name)
        except ScenarioError as error:
            return _loaded(name, None, None, error.problems)
    return _loaded(name, None, data, [])


def scenario_files() -> list[Path]:
    """Scenario files the planner can open: the demo, the tiny cases, the saved ones."""
    shipped = [DEMO, *sorted((SCENARIO_DIR / "tiny").glob("*.yaml"))]
    saved = sorted(SAVED_DIR.glob("*.yaml")) + sorted(SAVED_DIR.glob("*.json"))
    return [path for path in [*shipped, *saved] if path.is_file()]


def shown_path(path: Path) -> str:
    """A file's path relative to the project, for lists and messages."""
    try:
        return str(path.resolve().relative_to(ROOT))
    except ValueError:
        return str(path)


def first_scenario(query: dict[str, str], environ: dict[str, str]) -> Path:
    """The file to open first: the query parameter (inside ``scenarios/``), the environment
    variable, else the demo."""
    name = query.get(SCENARIO_PARAM)
    if name:
        path = (SCENARIO_DIR / name).resolve()
        if path.is_relative_to(SCENARIO_DIR.resolve()) and path.is_file():
            return path
    named = environ.get(SCENARIO_ENV)
    return Path(named) if named else DEMO


_SAFE_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9 _.-]{0,99}")


def save_target(name: str) -> tuple[Path | None, str | None]:
    """Where "save as" writes ``name`` (in ``SAVED_DIR``, as YAML), or why it cannot."""
    name = name.strip()
    if not _SAFE_NAME.fullmatch(name):
        return None, ("Give a file name of letters, digits, spaces, _ . and - "
                      "(no folders), e.g. my-scenario.yaml.")
    if Path(name).suffix.lower() not in (".yaml", ".yml"):
        name += ".yaml"
    return SAVED_DIR / name, None


# -- session state ---------------------------------------------------------------------------
def init() -> None:
    """Set every key once per session; open the first scenario."""
    state = st.session_state
    state.setdefault(EDITOR_VERSION, 0)
    for key in (PLAN, SOLVE_JOB, BUFFERS, BUFFERS_JOB, CALENDARS, WHATIF, WHATIF_JOB):
        state.setdefault(key, None)
    state.setdefault(VARIANTS, [])
    if LOADED not in state:
        query = {key: st.query_params[key] for key in st.query_params}
        set_loaded(load_file(first_scenario(query, dict(os.environ))))


def loaded() -> Loaded:
    return st.session_state[LOADED]


def set_loaded(new: Loaded) -> None:
    """Make ``new`` the scenario; fresh tables, and what was solved or composed for the old
    one (plans, comparisons, staffing variants) is gone."""
    st.session_state[LOADED] = new
    st.session_state[EDITOR_VERSION] = st.session_state.get(EDITOR_VERSION, 0) + 1
    st.session_state[VARIANTS] = []
    forget_results()


def set_data(data: Any, table_problems: list[str]) -> None:
    """The planner edited the tables: validate again; results of the old data are gone."""
    current = loaded()
    current.data, current.table_problems = data, table_problems
    current.prepared = None
    current.scenario, current.problems = validate(data, current.source, current.folder)
    if table_problems:
        current.scenario, current.problems = None, [*table_problems, *current.problems]
    forget_results()


def forget_results() -> None:
    """Plan, calendars and buffer comparison belong to one scenario: drop them."""
    for key in (PLAN, CALENDARS, BUFFERS, WHATIF):
        st.session_state[key] = None
    for key in (SOLVE_JOB, BUFFERS_JOB, WHATIF_JOB):
        job: Job | None = st.session_state.get(key)
        if job is not None:
            job.cancel()
        st.session_state[key] = None


def clear_plan() -> None:
    """A new solve starts: the old plan and its calendars are gone."""
    st.session_state[PLAN] = None
    st.session_state[CALENDARS] = None


def scenario() -> Scenario | None:
    """The valid scenario, or None (nothing loaded or it has problems)."""
    return loaded().scenario


def prepared() -> Prepared | None:
    """The valid scenario prepared for planning (computed once)."""
    current = loaded()
    if current.scenario is None:
        return None
    if current.prepared is None:
        current.prepared = prepare(current.scenario)
    return current.prepared


def plan() -> PlanResult | None:
    """The solved plan of the current scenario; a finished solve is picked up here."""
    job: Job | None = st.session_state[SOLVE_JOB]
    if job is not None and job.status == "done" and not job.collected:
        job.collected = True
        st.session_state[PLAN] = job.result
        st.session_state[CALENDARS] = None
    return st.session_state[PLAN]


def job(key: str) -> Job | None:
    return st.session_state[key]


def start_job(key: str, new: Job) -> None:
    """Run ``new`` in place of the job under ``key`` (an older one is cancelled)."""
    old = job(key)
    if old is not None:
        old.cancel()
    st.session_state[key] = new

"""Scenario and plan files: reading with one clear message per problem, writing atomically.

Reading is defensive: a file is bounded in size and must be UTF-8 text, its YAML or JSON is
parsed with bounded nesting and alias expansion and no duplicate keys (``models.parsing``),
and every problem is reported as ``FILE: place: message`` (``models.problems``), never as a
traceback.
"""

from __future__ import annotations

import codecs
import json
import os
import tempfile
from datetime import timedelta
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from models.crosscheck import salvaged_problems
from models.parsing import parse_document, too_deep
from models.problems import ScenarioError, describe_errors, kind_of
from models.scenario import Scenario
from models.units import shown

MAX_BYTES = 20 * 1024 * 1024
"""Largest scenario file read; generated benchmark scenarios stay far below."""
MAX_PROBLEMS = 100
"""Problems listed per file; more are counted, not shown."""


def read_bytes(
    path: Path, *, wanted: str = "a file", limit: int = MAX_BYTES, too_large: str = ""
) -> bytes:
    """The file's bytes, or a ScenarioError that says why it cannot be read."""
    source = str(path)
    if not path.exists():
        raise ScenarioError(source, ["file not found"])
    if path.is_dir():
        raise ScenarioError(source, [f"is a directory, not {wanted}"])
    if not path.is_file():
        raise ScenarioError(source, ["is not a regular file"])
    try:
        with path.open("rb") as stream:
            raw = stream.read(limit + 1)
    except OSError as error:
        raise ScenarioError(source, [f"cannot be read: {error.strerror}"]) from None
    if len(raw) > limit:
        raise ScenarioError(source, [f"is larger than {limit // 2**20} MB{too_large}"])
    return raw


def read_text(path: Path) -> str:
    """The file's text, or a ScenarioError that says why it cannot be read."""
    source = str(path)
    raw = read_bytes(path, too_large="; not a scenario")
    if raw.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        raise ScenarioError(source, ["is UTF-16 (or UTF-32) text; save it as UTF-8"])
    if b"\x00" in raw:
        raise ScenarioError(source, ["is a binary file, not YAML or JSON"])
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise ScenarioError(
            source, [f"is not UTF-8 text (byte {error.start}); save it as UTF-8"]
        ) from None


# -- validation ------------------------------------------------------------------------------
def scenario_from_data(data: Any, source: str, *, folder: Path | None = None) -> Scenario:
    """Validate parsed data into a Scenario, or raise ScenarioError with every problem.

    ``folder`` is where the data's file lies: technicians' ``absences_ics`` files are read
    relative to it. Data without a folder (an upload) may not name such files.
    """
    return with_calendar_absences(_validated(data, source), source, folder)


def _validated(data: Any, source: str) -> Scenario:
    if data is None:
        raise ScenarioError(source, ["the file is empty"])
    if not isinstance(data, dict):
        raise ScenarioError(
            source,
            [
                f"the file must hold the scenario's fields (name:, horizon:, technicians:, ...), "
                f"not {kind_of(data)}"
            ],
        )
    try:
        return Scenario.model_validate(data)
    except ValidationError as error:
        problems = describe_errors(error)
        if not any(detail["loc"] == () for detail in error.errors(include_url=False)):
            # The cross-entity checks did not run: run them on what can be read.
            problems += [p for p in salvaged_problems(data) if p not in problems]
        raise ScenarioError(source, _capped(problems)) from None
    except RecursionError:
        raise ScenarioError(source, [too_deep()]) from None


def _capped(problems: list[str]) -> list[str]:
    if len(problems) <= MAX_PROBLEMS:
        return problems
    return [*problems[:MAX_PROBLEMS], "... and more problems; fix the ones above first"]


def load_scenario(path: str | Path) -> Scenario:
    """Read and validate a scenario file (YAML or JSON), absences from ICS files included."""
    path = Path(path)
    data = parse_document(read_text(path), str(path))
    return scenario_from_data(data, str(path), folder=path.parent)


def with_calendar_absences(scenario: Scenario, source: str, folder: Path | None) -> Scenario:
    """The scenario with each technician's ``absences_ics`` events appended to its absences.

    Every file that cannot be used is one problem ``technicians[k].absences_ics: ...``.
    """
    named = [(k, t) for k, t in enumerate(scenario.technicians) if t.absences_ics is not None]
    if not named:
        return scenario
    from models.absence_ics import read_absences  # only then: it loads recurring-ical-events

    first = scenario.horizon.start
    last = first + timedelta(days=scenario.horizon.days - 1)
    technicians = list(scenario.technicians)
    problems = []
    for k, tech in named:
        where, name = f"technicians[{k}].absences_ics", str(tech.absences_ics)
        if folder is None:
            problems.append(
                f"{where}: absences_ics needs a scenario file "
                "(relative paths are read from its folder)"
            )
            continue
        try:
            found = read_absences(folder / name, scenario.zone, first, last)
        except ValueError as error:
            problems.append(f"{where}: cannot read {shown(name)}: {error}")
            continue
        technicians[k] = tech.model_copy(update={"absences": [*tech.absences, *found]})
    if problems:
        raise ScenarioError(source, _capped(problems))
    return scenario.model_copy(update={"technicians": technicians})


# -- writing ---------------------------------------------------------------------------------
def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def write_atomic(path: str | Path, text: str | bytes) -> None:
    """Write a file so that readers see the old or the new content, never a half-written one."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    data = text.encode("utf-8") if isinstance(text, str) else text
    handle, temp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(handle, "wb") as stream:
            stream.write(data)
            stream.flush()
            os.fsync(stream.fileno())
        os.chmod(temp, 0o666 & ~_umask())  # mkstemp makes 0600; others may read like any file
        os.replace(temp, path)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise


def write_json(path: str | Path, data: Any) -> None:
    """Pretty JSON, atomically."""
    write_atomic(path, json.dumps(data, indent=2, ensure_ascii=False) + "\n")

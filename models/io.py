"""Scenario and plan files: reading with one clear message per problem, writing atomically."""

from __future__ import annotations

import difflib
import json
import os
import tempfile
import types
import typing
from pathlib import Path
from typing import Any, Union, get_args, get_origin

import yaml
from pydantic import BaseModel, ValidationError

from models.scenario import Scenario


class ScenarioError(Exception):
    """A scenario file could not be used; ``problems`` holds one ``place: message`` each."""

    def __init__(self, source: str, problems: list[str]) -> None:
        super().__init__("\n".join(f"{source}: {p}" for p in problems))
        self.source = source
        self.problems = problems


def read_text(path: Path) -> str:
    """The file's text, or a ScenarioError that says why it cannot be read."""
    source = str(path)
    if not path.exists():
        raise ScenarioError(source, ["file not found"])
    if path.is_dir():
        raise ScenarioError(source, ["is a directory, not a file"])
    try:
        raw = path.read_bytes()
    except OSError as error:
        raise ScenarioError(source, [f"cannot be read: {error.strerror}"]) from None
    if b"\x00" in raw:
        raise ScenarioError(source, ["is a binary file, not YAML or JSON"])
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise ScenarioError(
            source, [f"is not UTF-8 text (byte {error.start}); save it as UTF-8"]
        ) from None


def parse_document(text: str, source: str) -> Any:
    """Parse YAML (JSON is YAML too); syntax errors name line and column."""
    try:
        return yaml.safe_load(text)
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark
        where = f"line {mark.line + 1}, column {mark.column + 1}" if mark else "somewhere"
        raise ScenarioError(source, [f"{where}: YAML syntax error: {error.problem}"]) from None
    except yaml.YAMLError as error:
        raise ScenarioError(source, [f"YAML error: {error}"]) from None


def scenario_from_data(data: Any, source: str) -> Scenario:
    """Validate parsed data into a Scenario, or raise ScenarioError with every problem."""
    if data is None:
        raise ScenarioError(source, ["the file is empty"])
    if not isinstance(data, dict):
        raise ScenarioError(
            source, [f"the top level must be a mapping of fields, not {type(data).__name__}"]
        )
    try:
        return Scenario.model_validate(data)
    except ValidationError as error:
        raise ScenarioError(source, describe_errors(error)) from None
    except RecursionError:
        raise ScenarioError(source, ["the document is nested too deeply"]) from None


def load_scenario(path: str | Path) -> Scenario:
    """Read and validate a scenario file (YAML or JSON)."""
    path = Path(path)
    return scenario_from_data(parse_document(read_text(path), str(path)), str(path))


def describe_errors(error: ValidationError, model: type[BaseModel] = Scenario) -> list[str]:
    """Pydantic errors as ``path: message`` lines, union alternatives merged, hints added."""
    messages: dict[str, list[str]] = {}
    for detail in error.errors(include_url=False):
        for line in _describe(detail, model):
            path, _, message = line.partition(": ")
            bucket = messages.setdefault(path, [])
            if message not in bucket:
                bucket.append(message)
    return [f"{path}: {' or '.join(found)}" if path else " or ".join(found)
            for path, found in messages.items()]


def _describe(detail: Any, model: type[BaseModel]) -> list[str]:
    path, parent = _walk(model, detail["loc"])
    kind = detail["type"]
    if kind == "value_error":
        text = str(detail["ctx"]["error"])
        if not path:  # cross-entity checks already name their places
            return text.splitlines()
        return [f"{path}: {line}" for line in text.splitlines()]
    if kind == "extra_forbidden":
        name = str(detail["loc"][-1])
        known = list(parent.model_fields) if parent else []
        close = difflib.get_close_matches(name, known, n=1)
        hint = f"did you mean '{close[0]}'?" if close else f"known: {', '.join(known)}"
        return [f"{path}: unknown field '{name}' ({hint})"]
    if kind == "missing":
        return [f"{path}: required field is missing"]
    shown = repr(detail["input"])
    shown = shown if len(shown) <= 60 else shown[:57] + "..."
    return [f"{path}: {detail['msg'][0].lower()}{detail['msg'][1:]}, got {shown}"]


def _walk(model: type[BaseModel], loc: tuple[Any, ...]) -> tuple[str, type[BaseModel] | None]:
    """Turn a pydantic location into ``a[1].b`` and the model class that holds the last field.

    Pydantic adds the names of union members and validators to locations; they are dropped.
    """
    path = ""
    current: Any = model
    holder: type[BaseModel] | None = None
    for step in loc:
        options = _unwrap(current)
        if isinstance(step, int):
            lists = [get_args(o)[0] for o in options if get_origin(o) is list]
            if lists:
                path += f"[{step}]"
                current = lists[0]
            continue
        models = [o for o in options if isinstance(o, type) and issubclass(o, BaseModel)]
        owner = next((m for m in models if step in m.model_fields), None)
        if owner is not None:
            holder = owner
            path += f".{step}" if path else step
            current = owner.model_fields[step].annotation
        elif models:  # an unknown field of a model: name it, keep the model as holder
            holder = models[0]
            path += f".{step}" if path else step
            current = None
        elif any(get_origin(o) is dict for o in options):
            path += f".{step}"
            current = next(get_args(o)[1] for o in options if get_origin(o) is dict)
    return path, holder


def _unwrap(annotation: Any) -> list[Any]:
    """The alternatives an annotation allows, with Annotated and Optional peeled off."""
    origin = get_origin(annotation)
    if origin is typing.Annotated:
        return _unwrap(get_args(annotation)[0])
    if origin is Union or origin is types.UnionType:
        return [alt for arg in get_args(annotation) for alt in _unwrap(arg)]
    return [annotation]


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
        os.replace(temp, path)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise


def write_json(path: str | Path, data: Any) -> None:
    """Pretty JSON, atomically."""
    write_atomic(path, json.dumps(data, indent=2, ensure_ascii=False) + "\n")

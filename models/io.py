"""Scenario and plan files: reading with one clear message per problem, writing atomically.

Reading is defensive: a file is bounded in size, nesting and alias expansion (a YAML
"billion laughs" fails fast), duplicate keys are errors (the second would silently win),
and every problem is reported as ``FILE: place: message``, never as a traceback.
"""

from __future__ import annotations

import codecs
import difflib
import json
import os
import re
import tempfile
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any, Literal, get_args, get_origin

import yaml
from pydantic import BaseModel, ValidationError
from yaml.constructor import ConstructorError
from yaml.nodes import MappingNode, Node, SequenceNode

from models.crosscheck import annotation_options, salvaged_problems
from models.scenario import Scenario
from models.units import shown

MAX_BYTES = 20 * 1024 * 1024
"""Largest scenario file read; generated benchmark scenarios stay far below."""
MAX_DEPTH = 40
"""Deepest nesting of values; a scenario needs about 8 levels."""
MAX_VALUES = 2_000_000
"""Most values a YAML document may expand to through aliases (``&a`` ... ``*a``)."""
MAX_PROBLEMS = 100
"""Problems listed per file; more are counted, not shown."""


class ScenarioError(Exception):
    """A scenario file could not be used; ``problems`` holds one ``place: message`` each."""

    def __init__(self, source: str, problems: list[str]) -> None:
        # One problem, one line: control characters a file may smuggle in are shown escaped.
        problems = ["".join(c if c.isprintable() else repr(c)[1:-1] for c in p) for p in problems]
        super().__init__("\n".join(f"{source}: {p}" for p in problems))
        self.source = source
        self.problems = problems


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


def parse_document(text: str, source: str) -> Any:
    """Parse JSON (``.json`` files) or YAML; syntax errors name line and column."""
    if Path(source).suffix.lower() == ".json":
        return _parse_json(text, source)
    return _parse_yaml(text, source)


# -- JSON ------------------------------------------------------------------------------------
class _DuplicateKeyError(ValueError):
    pass


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    found: dict[str, Any] = {}
    for key, value in pairs:
        if key in found:
            raise _DuplicateKeyError(f"key {shown(key)} appears twice in one object")
        found[key] = value
    return found


def _parse_json(text: str, source: str) -> Any:
    try:
        data = json.loads(text, object_pairs_hook=_unique_keys)
    except json.JSONDecodeError as error:
        where = f"line {error.lineno}, column {error.colno}"
        raise ScenarioError(source, [f"{where}: JSON syntax error: {error.msg}"]) from None
    except RecursionError:
        raise ScenarioError(source, [_too_deep()]) from None
    except ValueError as error:  # duplicate keys, numbers with thousands of digits
        raise ScenarioError(source, [f"JSON error: {error}"]) from None
    if _depth(data) > MAX_DEPTH:
        raise ScenarioError(source, [_too_deep()])
    return data


def _depth(data: Any) -> int:
    """Nesting depth of parsed JSON, without recursion."""
    deepest, stack = 0, [(data, 1)]
    while stack:
        value, level = stack.pop()
        deepest = max(deepest, level)
        if level <= MAX_DEPTH:
            children = value.values() if isinstance(value, dict) else value
            if isinstance(value, dict | list):
                stack += [(child, level + 1) for child in children]
    return deepest


def _too_deep() -> str:
    return f"values are nested more than {MAX_DEPTH} levels deep; not a scenario"


# -- YAML ------------------------------------------------------------------------------------
class _Loader(yaml.SafeLoader):
    """The safe loader with a nesting limit, duplicate-key errors and marked value errors."""

    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self.level = 0

    def compose_node(self, parent: Node | None, index: Any) -> Node | None:
        self.level += 1
        try:
            if self.level > MAX_DEPTH:
                raise yaml.composer.ComposerError(
                    None, None, _too_deep(), self.peek_event().start_mark
                )
            return super().compose_node(parent, index)
        finally:
            self.level -= 1

    def compose_mapping_node(self, anchor: Any) -> MappingNode:
        node = super().compose_mapping_node(anchor)
        seen: set[tuple[str, Any]] = set()
        for key, _ in node.value:
            if not isinstance(key.value, str) or key.value == "<<":
                continue
            if (key.tag, key.value) in seen:
                raise yaml.composer.ComposerError(
                    None,
                    None,
                    f"key {shown(key.value)} appears twice in the same mapping",
                    key.start_mark,
                )
            seen.add((key.tag, key.value))
        return node

    def construct_object(self, node: Node, deep: bool = False) -> Any:
        try:
            return super().construct_object(node, deep)
        except (ValueError, OverflowError) as error:  # e.g. 2026-02-30, a 5000-digit number
            reason = "too many digits" if "digits" in str(error) else str(error)
            raise ConstructorError(
                None, None, f"{shown(node.value)} cannot be read ({reason})", node.start_mark
            ) from None


def _parse_yaml(text: str, source: str) -> Any:
    try:
        loader = _Loader(text)  # checks the characters
    except yaml.reader.ReaderError as error:
        line = text.count("\n", 0, error.position) + 1
        column = error.position - text.rfind("\n", 0, error.position)
        raise ScenarioError(
            source,
            [
                f"line {line}, column {column}: character #x{error.character:04x} is not allowed "
                "in YAML (a control character; remove it)"
            ],
        ) from None
    try:
        node = loader.get_single_node()
        if node is None:
            return None
        _measure(node, 1, {}, set())
        return loader.construct_document(node)
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark
        where = f"line {mark.line + 1}, column {mark.column + 1}" if mark else "somewhere"
        text = str(error.problem).removeprefix("but ")
        text += f" ({error.context})" if error.context else ""
        raise ScenarioError(source, [f"{where}: YAML error: {text}"]) from None
    except yaml.YAMLError as error:
        raise ScenarioError(source, [f"YAML error: {error}"]) from None
    except RecursionError:
        raise ScenarioError(source, [_too_deep()]) from None
    finally:
        loader.dispose()


def _measure(node: Node, level: int, memo: dict[int, tuple[int, int]], active: set[int]) -> int:
    """Height of ``node`` once aliases are expanded; raise if it is cyclic, too deep or too big.

    Shared nodes are measured once (``memo``: values, height), so a "billion laughs"
    document is rejected after a few thousand steps instead of expanding it.
    """
    key = id(node)
    if key not in memo:
        if key in active:
            raise _marked(node, "an alias refers to a value that contains it (a loop)")
        if level > MAX_DEPTH:
            raise _marked(node, _too_deep())
        children: list[Node] = []
        if isinstance(node, SequenceNode):
            children = node.value
        elif isinstance(node, MappingNode):
            children = [part for pair in node.value for part in pair]
        active.add(key)
        count, height = 1, 0
        for child in children:
            height = max(height, _measure(child, level + 1, memo, active) + 1)
            count += memo[id(child)][0]
            if count > MAX_VALUES:
                raise _marked(
                    node,
                    f"holds more than {MAX_VALUES:,} values (counting each repeat of an alias "
                    "*name); not a scenario",
                )
        active.discard(key)
        memo[key] = (count, height)
    height = memo[key][1]
    if level + height > MAX_DEPTH:
        raise _marked(node, _too_deep())
    return height


def _marked(node: Node, message: str) -> yaml.MarkedYAMLError:
    return yaml.composer.ComposerError(None, None, message, node.start_mark)


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
        raise ScenarioError(source, [_too_deep()]) from None


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


# -- messages --------------------------------------------------------------------------------
def kind_of(value: Any) -> str:
    """What a value is, in a planner's words."""
    kinds: list[tuple[type | tuple[type, ...], str]] = [
        (bool, "true/false"),
        ((int, float), "a number"),
        (str, "text"),
        (list, "a list"),
        (dict, "a mapping"),
        (datetime, "a date and time"),
        (date, "a date"),
    ]
    return next((word for kind, word in kinds if isinstance(value, kind)), "empty")


_SHOULD_BE = {
    "model_type": "a mapping of fields (name: value)",
    "model_attributes_type": "a mapping of fields (name: value)",
    "dict_type": "a mapping (key: value)",
    "list_type": "a list",
    "string_type": "text",
    "int_type": "a whole number",
    "int_parsing": "a whole number",
    "int_parsing_size": "a whole number of sensible size",
    "int_from_float": "a whole number",
    "float_type": "a number",
    "float_parsing": "a number",
    "finite_number": "a finite number",
    "bool_type": "true or false",
    "bool_parsing": "true or false",
    "date_type": "a date like 2026-03-02",
    "date_parsing": "a date like 2026-03-02",
    "date_from_datetime_parsing": "a date like 2026-03-02",
    "date_from_datetime_inexact": "a date like 2026-03-02 (without a time)",
    "datetime_type": "a date and time like 2026-03-02T09:00",
    "datetime_parsing": "a date and time like 2026-03-02T09:00",
    "datetime_from_date_parsing": "a date and time like 2026-03-02T09:00",
    "datetime_object_invalid": "a date and time like 2026-03-02T09:00",
}
_BOUNDS = {
    "greater_than_equal": ("ge", "at least"),
    "greater_than": ("gt", "more than"),
    "less_than_equal": ("le", "at most"),
    "less_than": ("lt", "less than"),
}
_PLAIN_KEY = re.compile(r"[A-Za-z0-9_-]{1,40}")
_QUOTE_HINT = " (YAML reads yes/no/on/off as true/false: put such text in quotes, e.g. 'NO')"


def describe_errors(error: ValidationError, model: type[BaseModel] = Scenario) -> list[str]:
    """Pydantic errors as ``path: message`` lines, union alternatives merged, hints added."""
    described = []  # (path, message, ", got ...", path of the union passed or None)
    for detail in error.errors(include_url=False):
        path, parent, union = _walk(model, detail["loc"])
        described += [(*line, union) for line in _lines(detail, path, parent)]
    # A union member that got further (e.g. profile as a mapping with a wrong weekday) tells
    # more than the members that failed at once ("should be 'office' or 'flat'"): drop those.
    further = {union for path, _, _, union in described if union is not None and union != path}
    found: dict[str, list[str]] = {}  # path -> messages, in the order pydantic found them
    alternatives: dict[str, list[str]] = {}  # path -> what it "should be", merged to one line
    got: dict[str, str] = {}
    for path, message, value, union in described:
        if union == path and path in further:
            continue
        messages = found.setdefault(path, [])
        if message.startswith("should be "):
            if path not in alternatives:
                alternatives[path], got[path] = [], value
                messages.append("")  # the place of the merged line
            alternatives[path].append(message.removeprefix("should be "))
        elif message + value not in messages:
            messages.append(message + value)
    lines = []
    for path, messages in found.items():
        for message in messages:
            if not message:
                merged = " or ".join(dict.fromkeys(alternatives[path]))
                message = f"should be {merged}{got[path]}"
            lines.append(f"{path}: {message}" if path else message)
    return lines


def _lines(detail: Any, path: str, parent: type[BaseModel] | None) -> list[tuple[str, str, str]]:
    kind, value = detail["type"], detail.get("input")
    if kind == "value_error":
        text = str(detail["ctx"]["error"])
        if path:
            return [(path, " ".join(text.splitlines()), "")]
        # the cross-entity checks: one problem a line, each naming its place
        parts = [line.partition(": ") for line in text.split("\n")]
        return [(place, message, "") for place, _, message in parts]
    if kind == "extra_forbidden":
        name = str(detail["loc"][-1])
        known = list(parent.model_fields) if parent else []
        close = difflib.get_close_matches(name, known, n=1) if len(name) <= 100 else []
        hint = f"did you mean '{close[0]}'?" if close else f"known: {', '.join(known)}"
        return [(path, f"unknown field {shown(name)} ({hint})", "")]
    if kind == "missing":
        return [(path, "required field is missing", "")]
    ctx = detail.get("ctx") or {}
    if kind in _SHOULD_BE:
        message = f"should be {_SHOULD_BE[kind]}"
        if kind == "string_type" and isinstance(value, bool):
            message += _QUOTE_HINT
        elif kind == "string_type" and isinstance(value, int | float):
            message += f" (to use the number as text, put it in quotes: '{value}')"
    elif kind in _BOUNDS:
        key, words = _BOUNDS[kind]
        message = f"should be {words} {ctx.get(key)}"
    elif kind in ("too_short", "too_long"):
        words = "at least" if kind == "too_short" else "at most"
        count = ctx.get("min_length" if kind == "too_short" else "max_length")
        message = f"should have {words} {count} {'entry' if count == 1 else 'entries'}"
    else:
        message = detail["msg"].replace("Input should", "should", 1)
        message = message[0].lower() + message[1:]
    return [(path, message, f", got {shown(value)}")]


def _walk(
    model: type[BaseModel], loc: tuple[Any, ...]
) -> tuple[str, type[BaseModel] | None, str | None]:
    """A pydantic location as ``a[1].b``, the model that holds the last field, and the path
    of the (first) union the location passes.

    Pydantic adds the names of union members (``literal[...]``, ``date``) and ``[key]`` to
    locations; they are dropped.
    """
    path = ""
    current: Any = model
    holder: type[BaseModel] | None = None
    union: str | None = None
    for step in loc:
        options = [o for o in annotation_options(current) if o is not type(None)]
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
        elif step == "[key]":
            continue
        elif len(options) > 1:  # the name of a union member: follow it, do not show it
            union = path if union is None else union
            current = next((o for o in options if _tag(o) == step.split("[")[0]), current)
        elif models:  # an unknown field of a model: name it, keep the model as holder
            holder = models[0]
            path += f".{_key(step)}" if path else _key(step)
            current = None
        elif any(get_origin(o) is dict for o in options):
            path += f".{_key(step)}"
            current = next(get_args(o)[1] for o in options if get_origin(o) is dict)
    return path, holder, union


def _key(step: Any) -> str:
    """A key of the user's file as part of a path: quoted unless it is a plain name."""
    text = str(step)
    return text if _PLAIN_KEY.fullmatch(text) else shown(text)


def _tag(annotation: Any) -> str:
    """How pydantic names a union member in a location, up to the first ``[``."""
    origin = get_origin(annotation)
    if origin is Literal:
        return "literal"
    if origin is not None:
        return getattr(origin, "__name__", str(origin))
    return getattr(annotation, "__name__", str(annotation))


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

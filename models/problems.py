"""Problems with input files in a planner's words: ScenarioError, and pydantic errors as lines.

A planner fixes a file from the messages alone, so each ``path: message`` line names its
place, says what should be there and what was found, merges a union's alternatives into one
line and adds hints (a misspelt field name, YAML reading ``no`` as false). Every reader of
scenarios, plans, variants and ticket exports raises ScenarioError.
"""

from __future__ import annotations

import difflib
import re
from datetime import date, datetime
from typing import Any, Literal, get_args, get_origin

from pydantic import BaseModel, ValidationError

from models.crosscheck import annotation_options
from models.scenario import Scenario
from models.units import shown


class ScenarioError(Exception):
    """A scenario file could not be used; ``problems`` holds one ``place: message`` each."""

    def __init__(self, source: str, problems: list[str]) -> None:
        # One problem, one line: control characters a file may smuggle in are shown escaped.
        problems = ["".join(c if c.isprintable() else repr(c)[1:-1] for c in p) for p in problems]
        super().__init__("\n".join(f"{source}: {p}" for p in problems))
        self.source = source
        self.problems = problems


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


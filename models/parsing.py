"""Guarded YAML and JSON parsing: text to plain data, with one clear message per problem.

A file is untrusted input: nesting and alias expansion are bounded (a YAML "billion laughs"
fails fast), duplicate keys are errors (the second would silently win), and every problem is
a ScenarioError that names line and column where the parser knows them, never a traceback.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import yaml
from yaml.constructor import ConstructorError
from yaml.nodes import MappingNode, Node, SequenceNode

from models.problems import ScenarioError
from models.units import shown

MAX_DEPTH = 40
"""Deepest nesting of values; a scenario needs about 8 levels."""
MAX_VALUES = 2_000_000
"""Most values a YAML document may expand to through aliases (``&a`` ... ``*a``)."""


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
        raise ScenarioError(source, [too_deep()]) from None
    except ValueError as error:  # duplicate keys, numbers with thousands of digits
        raise ScenarioError(source, [f"JSON error: {error}"]) from None
    if _depth(data) > MAX_DEPTH:
        raise ScenarioError(source, [too_deep()])
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


def too_deep() -> str:
    """The message for values nested deeper than MAX_DEPTH."""
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
                    None, None, too_deep(), self.peek_event().start_mark
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
        raise ScenarioError(source, [too_deep()]) from None
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
            raise _marked(node, too_deep())
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
        raise _marked(node, too_deep())
    return height


def _marked(node: Node, message: str) -> yaml.MarkedYAMLError:
    return yaml.composer.ComposerError(None, None, message, node.start_mark)


"""``mspplan validate FILE``: exit 0 with a summary, or exit 2 with ``FILE: place: message`` lines.

Whatever the file holds, the command never ends in a traceback.
"""

from __future__ import annotations

import copy
import json
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml
from conftest import Run
from test_validation import CASES

Data = dict[str, Any]
Writer = Callable[..., Path]
Validate = Callable[[Path | str], Run]

LAUGHS = "lol: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]\n" + "".join(
    f"l{k}: &a{k} [" + ", ".join([f"*a{k - 1}"] * 10) + "]\n" for k in range(1, 10)
)


def assert_rejected(run: Run, path: Path | str, *fragments: str) -> list[str]:
    """Exit 2, every stderr line is ``FILE: ...``, no traceback, each fragment in some line."""
    lines = run.err.splitlines()
    assert run.code == 2, run
    assert lines, "no message on stderr"
    assert "Traceback" not in run.err
    assert all(line.startswith(f"{path}: ") for line in lines), lines
    for fragment in fragments:
        assert any(fragment in line for line in lines), (fragment, lines)
    return lines


def test_valid_file_is_summarised(example_path: Path, validate: Validate) -> None:
    run = validate(example_path)
    assert run.code == 0, run.err
    assert run.err == ""
    assert "Scenario   Design example" in run.out
    assert "28 days" in run.out


def test_timing_option(example_path: Path, cli: Callable[..., Run]) -> None:
    run = cli("validate", str(example_path), "--timing")
    assert run.code == 0
    assert "Timing     load" in run.out


def test_valid_json_file_is_summarised(
    example: Data, write_scenario: Writer, validate: Validate
) -> None:
    run = validate(write_scenario(example, "scenario.json"))
    assert run.code == 0, run.err
    assert "Scenario   Design example" in run.out


@pytest.mark.parametrize(
    ("mutate", "place", "fragment"), [c[1:] for c in CASES], ids=[c[0] for c in CASES]
)
def test_each_broken_field_gets_exit_2(
    example: Data, write_scenario: Writer, validate: Validate,
    mutate: Callable[[Data], None], place: str, fragment: str,
) -> None:
    mutate(example)
    path = write_scenario(example)
    assert_rejected(validate(path), path, f"{path}: {place}: ")
    assert any(fragment in line for line in validate(path).err.splitlines())


def test_message_format_of_the_issue(
    example: Data, write_scenario: Writer, validate: Validate
) -> None:
    template = example["technicians"][1]
    example["technicians"] += [
        {**copy.deepcopy(template), "id": "carl"},
        {**copy.deepcopy(template), "id": "dora", "skills": ["network", "fw"]},
    ]
    path = write_scenario(example)
    lines = assert_rejected(validate(path), path)
    assert lines == [
        f"{path}: technicians[3].skills[1]: unknown skill 'fw' "
        "(known: datev, firewall, m365, network, onboarding, security, server)"
    ]


def test_every_problem_is_listed(example: Data, write_scenario: Writer, validate: Validate) -> None:
    example["slot_minutes"] = 7
    example["timezone"] = "Mars/Base"
    example["technicians"][0]["skills"].append("fw")
    example["maintenance"][0]["effort"] = "-2h"
    path = write_scenario(example)
    lines = assert_rejected(validate(path), path, "slot_minutes: ", "timezone: ",
                            "technicians[0].skills[2]: ", "maintenance[0].effort: ")
    assert len(lines) == 4


FILES: list[tuple[str, str | bytes, str, str]] = [
    # (id, file content, file name, fragment of the message)
    ("yaml syntax", "name: x\nhorizon: {start: 2026-03-02, days: 7\nskills: [a]\n",
     "s.yaml", "line 3, column 7: YAML error"),
    ("yaml bad indent", "name: x\n  horizon: 1\n bad\n", "s.yaml", "line 2, column"),
    ("yaml tab", "name: x\n\thorizon: 1\n", "s.yaml", "line 2, column 1: YAML error"),
    ("json syntax", '{"name": "x",\n "horizon": }', "s.json",
     "line 2, column 13: JSON syntax error"),
    ("json trailing comma", '{"name": "x",}', "s.json", "JSON syntax error"),
    ("empty", "", "s.yaml", "the file is empty"),
    ("only comments", "# nothing yet\n\n   \n", "s.yaml", "the file is empty"),
    ("empty json", "", "s.json", "JSON syntax error"),
    ("binary", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "s.yaml", "is a binary file"),
    ("latin-1", "name: M\xfcller GmbH\n".encode("latin-1"), "s.yaml", "is not UTF-8 text (byte 7)"),
    ("utf-16", "name: x\n".encode("utf-16"), "s.yaml", "is UTF-16 (or UTF-32) text"),
    ("top-level list", "- name: x\n- name: y\n", "s.yaml", "not a list"),
    ("top-level text", "just some words\n", "s.yaml", "not text"),
    ("top-level number", "42\n", "s.yaml", "not a number"),
    ("json list", "[1, 2]", "s.json", "not a list"),
    ("deep yaml", "name: " + "[" * 200 + "]" * 200 + "\n", "s.yaml", "nested more than 40"),
    ("deep yaml mappings", "name: " + "{a: " * 100 + "1" + "}" * 100, "s.yaml",
     "nested more than 40"),
    ("deep json", '{"name": ' + "[" * 5000 + "]" * 5000 + "}", "s.json", "nested more than 40"),
    ("deep json moderate", '{"name": ' + "[" * 60 + "]" * 60 + "}", "s.json",
     "nested more than 40"),
    ("huge number", "name: x\nslot_minutes: " + "9" * 5000 + "\n", "s.yaml",
     "line 2, column 15: YAML error: '999"),
    ("huge json number", '{"slot_minutes": ' + "9" * 5000 + "}", "s.json", "JSON error"),
    ("billion laughs", LAUGHS, "s.yaml", "holds more than 2,000,000 values"),
    ("billion laughs in a field", LAUGHS + "name: x\nskills: *a9\n", "s.yaml",
     "holds more than 2,000,000 values"),
    ("self alias", "name: &n [*n]\n", "s.yaml", "an alias refers to a value that contains it"),
    ("undefined alias", "name: *nope\n", "s.yaml", "found undefined alias"),
    ("duplicate key", "name: a\nskills: [x]\nname: b\n", "s.yaml",
     "line 3, column 1: YAML error: key 'name' appears twice"),
    ("duplicate nested key", "horizon: {start: 2026-03-02, start: 2026-03-09}\n", "s.yaml",
     "key 'start' appears twice"),
    ("duplicate json key", '{"name": "a", "name": "b"}', "s.json", "key 'name' appears twice"),
    ("two documents", "name: a\n---\nname: b\n", "s.yaml", "expected a single document"),
    ("control character", "name: a\x07b\n", "s.yaml", "line 1, column 8: character #x0007"),
    ("impossible date", "name: x\nhorizon: {start: 2026-02-30, days: 7}\n", "s.yaml",
     "line 2, column 18: YAML error: '2026-02-30' cannot be read (day is out of range"),
    ("python tag", "name: !!python/object/apply:os.system [ls]\n", "s.yaml",
     "could not determine a constructor"),
    ("unhashable key", "? [a, b]\n: c\n", "s.yaml", "found unhashable key"),
    ("odd characters in keys", 'name: x\n"a\\x1eb": 1\n"\\r": 2\n', "s.yaml",
     "'\\r': unknown field '\\r'"),
    ("merge key misuse", "name: x\nhorizon: {<<: 5}\n", "s.yaml", "YAML error"),
]


@pytest.mark.parametrize(
    ("content", "name", "fragment"), [c[1:] for c in FILES], ids=[c[0] for c in FILES]
)
def test_unusable_file_gets_exit_2(
    write_scenario: Writer, validate: Validate, content: str | bytes, name: str, fragment: str
) -> None:
    path = write_scenario(content, name)
    started = time.perf_counter()
    run = validate(path)
    assert time.perf_counter() - started < 2, "must fail fast"
    assert_rejected(run, path, fragment)


def test_missing_file(tmp_path: Path, validate: Validate) -> None:
    path = tmp_path / "nope.yaml"
    assert_rejected(validate(path), path, "file not found")


def test_directory(tmp_path: Path, validate: Validate) -> None:
    assert_rejected(validate(tmp_path), tmp_path, "is a directory, not a file")


def test_huge_file(tmp_path: Path, validate: Validate) -> None:
    path = tmp_path / "huge.yaml"
    path.write_text("name: " + "x" * (21 * 2**20) + "\n")
    assert_rejected(validate(path), path, "is larger than 20 MB")


def test_unreadable_file(
    tmp_path: Path, validate: Validate, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Permissions do not bind root (CI runs as root), so the refusal is simulated."""
    path = tmp_path / "secret.yaml"
    path.write_text("name: x\n")

    real_open = Path.open

    def refuse(self: Path, *args: object, **kwargs: object):  # type: ignore[no-untyped-def]
        if self == path:
            raise PermissionError(13, "Permission denied", str(self))
        return real_open(self, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(Path, "open", refuse)
    assert_rejected(validate(path), path, "cannot be read")


def test_yaml_anchors_within_limits_are_fine(
    example: Data, write_scenario: Writer, validate: Validate
) -> None:
    """Anchors are a convenience planners may use (shared hours); only bombs are refused."""
    text = yaml.safe_dump(example, sort_keys=False)
    text = text.replace("hours:\n", "hours: &std\n", 1)
    path = write_scenario(text)
    assert validate(path).code == 0


def test_json_with_yaml_suffix_is_read(
    example: Data, write_scenario: Writer, validate: Validate
) -> None:
    path = write_scenario(json.dumps(example, default=str, indent=2), "scenario.yaml")
    assert validate(path).code == 0


@pytest.mark.parametrize(
    ("buffer"),
    [{"policy": "duty", "duty": 1}, {"policy": "forecast", "service_level": 0.9}],
    ids=["duty", "forecast"],
)
def test_validate_summarises_every_buffer_policy(
    example: Data, write_scenario: Writer, validate: Validate, buffer: Data
) -> None:
    """Regression: the summary formatted ``percent`` for every policy (TypeError on None)."""
    example["buffer"] = buffer
    run = validate(write_scenario(example))
    assert run.code == 0
    assert f"Buffer     {buffer['policy']}" in run.out


def test_generated_scenario_is_valid(tmp_path: Path, cli: Callable[..., Run]) -> None:
    path = tmp_path / "generated.yaml"
    assert cli("generate", "--technicians", "4", "--weeks", "2", "--out", str(path)).code == 0
    run = cli("validate", str(path))
    assert run.code == 0, run.err

"""Property: a mutated scenario either loads, or ``validate`` exits 2 with messages; never a crash.

The design example is mutated at random places, deep ones included: fields dropped, renamed
or given values of another type, lists shuffled or with duplicated entries, values nested
deeply, and the file text itself damaged. Written as YAML or JSON.
"""

from __future__ import annotations

import copy
import json
import tempfile
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import yaml
from conftest import EXAMPLE, run_cli
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from models.crosscheck import cross_check_problems, salvage
from models.scenario import Scenario

BASE = yaml.safe_load(EXAMPLE.read_text(encoding="utf-8"))
Path_ = tuple[Any, ...]

INTERESTING = [
    "anna", "ben", "mueller", "p-m365-1", "p-m365-2", "sr-1001", "fw", "m365", "firewall",
    "25:00-26:00", "08:00-16:30", "22:00-02:00", "24:00-01:00", "08:00", "-2h", "1h30m", "0m",
    "2d", "PT1H", "P-1D", "99999999d", "FREQ=DAILY", "FREQ=HOURLY", "FREQ=WEEKLY;INTERVAL=0",
    "FREQ=DAILY;BYMONTH=2;BYMONTHDAY=30", "2026-03-29", "2026-03-29T02:30", "2026-02-30",
    "9999-12-31", "0001-01-01", "Europe/Berlin", "Mars/Base", "DE", "BY", "XX", "", " ", "NO",
    "yes", "1e999", ".nan", "percent", "duty", "forecast", "office", "mon", "sat", "a\nb",
]
SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(10**6), max_value=10**6),
    st.integers(),
    st.floats(),
    st.text(max_size=12),
    st.sampled_from(INTERESTING),
    st.dates(),
    st.datetimes(timezones=st.sampled_from([None, UTC, timezone(timedelta(hours=14))])),
)
VALUES = st.recursive(
    SCALARS,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner,
                                                               max_size=4),
    max_leaves=8,
)


def paths(node: Any, prefix: Path_ = ()) -> Iterator[Path_]:
    """Every place in the document: mapping keys and list indices, deep ones included."""
    if isinstance(node, dict):
        for key, value in node.items():
            yield (*prefix, key)
            yield from paths(value, (*prefix, key))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield (*prefix, index)
            yield from paths(value, (*prefix, index))


def parent_of(doc: Any, path: Path_) -> Any:
    for step in path[:-1]:
        doc = doc[step]
    return doc


def mutate(doc: dict[str, Any], data: st.DataObject) -> None:
    """Apply one random mutation at a random place."""
    places = list(paths(doc))
    if not places:
        doc[data.draw(st.text(max_size=8))] = data.draw(VALUES)
        return
    path = data.draw(st.sampled_from(places), label="place")
    parent, last = parent_of(doc, path), path[-1]
    action = data.draw(st.sampled_from(
        ["drop", "rename", "retype", "interesting", "shuffle", "duplicate", "nest", "swap"]
    ), label="action")
    if action == "drop":
        del parent[last]
    elif action == "rename" and isinstance(parent, dict):
        new = data.draw(st.sampled_from([str(last)[:-1], str(last) + "s", str(last).upper()])
                        | st.text(max_size=8))
        parent[new] = parent.pop(last)
    elif action == "interesting":
        parent[last] = data.draw(st.sampled_from(INTERESTING))
    elif action == "shuffle" and isinstance(parent[last], list):
        parent[last] = data.draw(st.permutations(parent[last]))
    elif action == "duplicate" and isinstance(parent, list):
        parent.append(copy.deepcopy(parent[last]))
    elif action == "nest":
        depth = data.draw(st.integers(min_value=1, max_value=60))
        value = parent[last]
        for _ in range(depth):
            value = [value] if data.draw(st.booleans()) else {"x": value}
        parent[last] = value
    elif action == "swap":
        other = data.draw(st.sampled_from(places))
        try:
            other_parent = parent_of(doc, other)
            parent[last], other_parent[other[-1]] = other_parent[other[-1]], parent[last]
        except (KeyError, IndexError, TypeError):  # the other place moved with the first
            pass
    else:
        parent[last] = data.draw(VALUES)


def damage(text: str, data: st.DataObject) -> str:
    """Insert or delete a few characters of the file text."""
    at = data.draw(st.integers(min_value=0, max_value=len(text)))
    if data.draw(st.booleans()):
        noise = st.text(alphabet=":-[]{}&*!|>'\"#,\t\n ?%@`\\abc019", max_size=4)
        return text[:at] + data.draw(noise) + text[at:]
    return text[:at] + text[at + data.draw(st.integers(min_value=1, max_value=8)):]


def render(doc: dict[str, Any], data: st.DataObject) -> tuple[str, str]:
    """The document as file text and suffix."""
    if data.draw(st.booleans(), label="json"):
        return json.dumps(doc, default=str, ensure_ascii=data.draw(st.booleans())), ".json"
    return yaml.safe_dump(doc, sort_keys=False, allow_unicode=True), ".yaml"


@settings(
    max_examples=400,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(data=st.data())
def test_mutated_scenario_loads_or_is_rejected_cleanly(data: st.DataObject) -> None:
    doc = copy.deepcopy(BASE)
    for _ in range(data.draw(st.integers(min_value=1, max_value=4), label="mutations")):
        mutate(doc, data)
    # The cross-checks on what can be read of a broken scenario must not fail either.
    salvaged = salvage(Scenario, copy.deepcopy(doc), whole=False)
    assert salvaged is not None
    cross_check_problems(salvaged)
    text, suffix = render(doc, data)
    if data.draw(st.integers(min_value=0, max_value=5), label="damage") == 0:
        text = damage(text, data)
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / f"scenario{suffix}"
        path.write_text(text, encoding="utf-8")
        run = run_cli("validate", str(path))  # an uncaught exception fails the test
    assert run.code in (0, 2), run
    assert "Traceback" not in run.err
    if run.code == 0:
        assert run.out.startswith("Scenario   "), run
        assert run.err == ""
    else:
        lines = run.err.splitlines()
        assert lines, "exit 2 without a message"
        assert all(line.startswith(f"{path}: ") and len(line) > len(f"{path}: ")
                   for line in lines), lines


def test_mutation_helpers_reach_deep_places() -> None:
    deepest = max(len(p) for p in paths(BASE))
    assert deepest >= 5  # e.g. technicians, 0, absences, 0, start
    assert ("technicians", 1, "hours", "mon", 1) in set(paths(BASE))


def test_dates_in_base_are_dates() -> None:
    assert isinstance(BASE["horizon"]["start"], date)
    assert not isinstance(BASE["horizon"]["start"], datetime)

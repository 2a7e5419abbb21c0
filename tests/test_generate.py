"""The seeded scenario generator: deterministic, valid, realistic in mix and load, and fast
enough to make benchmark sizes on the fly."""

from __future__ import annotations

import random
from collections import Counter
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from models.io import load_scenario
from models.prepare import Prepared, prepare
from models.scenario import Scenario
from scenarios.generate import generate_scenario, item_target, write_generated
from ui.cli import main


def _prepared(technicians: int, weeks: int, seed: int = 1) -> Prepared:
    return prepare(Scenario.model_validate(generate_scenario(technicians, weeks, seed)))


def _load(prepared: Prepared) -> float:
    """Planned work as a share of the capacity left after the 20 % buffer."""
    capacity = 0.8 * sum(prepared.capacity(t) for t in prepared.technicians)
    return sum(item.effort for item in prepared.items) / capacity


@pytest.fixture(scope="module")
def medium() -> Prepared:
    """The M benchmark size: 50 technicians, 4 weeks."""
    return _prepared(50, 4)


@pytest.fixture(scope="module")
def large() -> Prepared:
    """The L benchmark size: 200 technicians, 8 weeks."""
    return _prepared(200, 8)


# -- determinism -------------------------------------------------------------------------------
def test_same_seed_same_file(tmp_path: Path) -> None:
    first, second, other = tmp_path / "a.yaml", tmp_path / "b.yaml", tmp_path / "c.yaml"
    write_generated(first, technicians=10, weeks=2, seed=7)
    write_generated(second, technicians=10, weeks=2, seed=7)
    write_generated(other, technicians=10, weeks=2, seed=8)
    assert first.read_bytes() == second.read_bytes()
    assert first.read_bytes() != other.read_bytes()


def test_global_random_is_neither_used_nor_touched() -> None:
    random.seed(1)
    state = random.getstate()
    first = generate_scenario(5, 2, seed=3)
    assert random.getstate() == state
    random.seed(2)
    assert generate_scenario(5, 2, seed=3) == first


def test_written_file_is_the_generated_scenario(tmp_path: Path) -> None:
    path = tmp_path / "s.yaml"
    write_generated(path, technicians=5, weeks=1, seed=4)
    assert load_scenario(path) == Scenario.model_validate(generate_scenario(5, 1, 4))
    assert not [p for p in tmp_path.iterdir() if p.name != "s.yaml"], "no temporary files left"


def test_bad_sizes_are_refused() -> None:
    with pytest.raises(ValueError, match="at least 1"):
        generate_scenario(0, 2, seed=1)
    with pytest.raises(ValueError, match="at least 1"):
        generate_scenario(3, 0, seed=1)


# -- size and mix ------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("technicians", "weeks", "items"),
    [(5, 1, 25), (5, 2, 50), (10, 2, 100), (50, 4, 1000), (100, 4, 2000), (200, 8, 5000)],
)
def test_item_target(technicians: int, weeks: int, items: int) -> None:
    assert item_target(technicians, weeks) == items


@pytest.mark.parametrize(("technicians", "weeks"), [(5, 1), (5, 2), (10, 2), (12, 6)])
def test_small_sizes_hit_the_target(technicians: int, weeks: int) -> None:
    prepared = _prepared(technicians, weeks)
    assert abs(len(prepared.items) - item_target(technicians, weeks)) <= 2
    assert len(prepared.technicians) == technicians


@pytest.mark.parametrize("size", ["medium", "large"])
def test_benchmark_sizes_have_the_documented_mix(size: str, request: pytest.FixtureRequest) -> None:
    prepared: Prepared = request.getfixturevalue(size)
    scenario = prepared.scenario
    n = len(prepared.technicians)
    target = item_target(n, scenario.horizon.days // 7)
    assert abs(len(prepared.items) - target) <= 0.02 * target
    share = {kind: count / len(prepared.items)
             for kind, count in Counter(item.kind for item in prepared.items).items()}
    assert 0.33 <= share["project"] <= 0.37
    assert 0.13 <= share["maintenance"] <= 0.17
    assert 0.40 <= share["service_request"] <= 0.50
    assert 0.01 <= share["recurring"] <= 0.08
    assert len(scenario.recurring) == round(n / 5)
    assert len(scenario.customers) == round(n / 1.5)
    assert all(any(task.after for task in p.tasks) for p in scenario.projects if len(p.tasks) > 1)
    assert 0.3 <= sum(m.in_window for m in scenario.maintenance) / len(scenario.maintenance) <= 0.6


@pytest.mark.parametrize("size", ["medium", "large"])
def test_benchmark_sizes_have_a_realistic_team(size: str, request: pytest.FixtureRequest) -> None:
    prepared: Prepared = request.getfixturevalue(size)
    team = prepared.scenario.technicians
    assert all(2 <= len(t.skills) <= 4 for t in team)
    weekly = [sum(s.end - s.start for d in range(7) for s in t.hours.spans(d)) / 60 for t in team]
    assert 0.05 <= sum(hours <= 24 for hours in weekly) / len(team) <= 0.25, "part-timers"
    assert 0.05 <= sum(t.after_hours for t in team) / len(team) <= 0.2
    assert all(t.max_hours_per_day for t in team if t.after_hours)
    vacation = sum(any(a.reason == "vacation" for a in t.absences) for t in team) / len(team)
    assert 0.05 <= vacation <= 0.25
    assert all(c.maintenance_windows for c in prepared.scenario.customers)


@pytest.mark.parametrize("size", ["medium", "large"])
def test_load_is_high_but_feasible(size: str, request: pytest.FixtureRequest) -> None:
    assert 0.70 <= _load(request.getfixturevalue(size)) <= 0.85


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_load_of_the_small_size(seed: int) -> None:
    assert 0.70 <= _load(_prepared(10, 2, seed)) <= 0.85


@pytest.mark.parametrize("load", [0.5, 1.2, 1.5])
def test_load_can_be_chosen(load: float) -> None:
    prepared = prepare(Scenario.model_validate(generate_scenario(10, 2, seed=1, load=load)))
    assert _load(prepared) == pytest.approx(load, abs=0.08)
    assert f"load {load:.0%}" in prepared.scenario.name


def test_the_default_load_keeps_file_and_name_as_they_were(tmp_path: Path) -> None:
    default, chosen = tmp_path / "a.yaml", tmp_path / "b.yaml"
    write_generated(default, technicians=5, weeks=1, seed=2)
    write_generated(chosen, technicians=5, weeks=1, seed=2, load=1.2)
    assert default.read_text().splitlines()[0].endswith("seed=2")
    assert chosen.read_text().splitlines()[0].endswith("seed=2, load=1.2")
    assert load_scenario(default).name == "Generated MSP (5 technicians, 1 weeks, seed 2)"


@pytest.mark.parametrize("load", [0, -1, 3.5, float("nan")])
def test_a_load_out_of_range_is_refused(load: float) -> None:
    with pytest.raises(ValueError, match="load must lie in"):
        generate_scenario(5, 1, seed=1, load=load)


@pytest.mark.parametrize("size", ["medium", "large"])
def test_every_item_has_a_skilled_technician(size: str, request: pytest.FixtureRequest) -> None:
    prepared: Prepared = request.getfixturevalue(size)
    assert all(item.eligible for item in prepared.items)
    assert all(len(item.skills) <= 2 for item in prepared.items)


def test_every_item_fits_somewhere() -> None:
    prepared = _prepared(10, 2, seed=5)
    for item in prepared.items:
        assert any(
            free and max(e - s for s, e in free) >= max(item.parts)
            for free in (prepared.allowed(item, prepared.technicians[t]) for t in item.eligible)
        ), item.id


@settings(max_examples=25, deadline=None)
@given(
    technicians=st.integers(min_value=1, max_value=15),
    weeks=st.integers(min_value=1, max_value=6),
    seed=st.integers(min_value=0, max_value=2**32),
)
def test_any_size_and_seed_gives_a_valid_scenario(technicians: int, weeks: int, seed: int) -> None:
    prepared = _prepared(technicians, weeks, seed)
    assert len(prepared.technicians) == technicians
    assert all(item.eligible for item in prepared.items)
    assert all(item.earliest < prepared.horizon_end for item in prepared.items)
    assert 0.5 <= _load(prepared) <= 0.9, "tiny teams miss the 78 % aim a little"


# -- the command line --------------------------------------------------------------------------
def test_cli_generate_writes_a_valid_file(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    out = tmp_path / "gen" / "s.yaml"
    code = main(["generate", "--technicians", "6", "--weeks", "2", "--seed", "3",
                 "--out", str(out)])
    assert code == 0
    assert "wrote" in capsys.readouterr().out
    scenario = load_scenario(out)
    assert len(scenario.technicians) == 6
    assert scenario.horizon.days == 14


def test_cli_generate_refuses_no_technicians(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    out = tmp_path / "s.yaml"
    code = main(["generate", "--technicians", "0", "--weeks", "2", "--out", str(out)])
    assert code == 2
    assert "--technicians" in capsys.readouterr().err
    assert not out.exists()


@pytest.mark.parametrize("load", ["0", "4", "nan"])
def test_cli_generate_refuses_a_load_out_of_range(
    tmp_path: Path, capsys: pytest.CaptureFixture, load: str
) -> None:
    out = tmp_path / "s.yaml"
    code = main(["generate", "--technicians", "3", "--weeks", "1", "--load", load,
                 "--out", str(out)])
    assert code == 2
    assert "--load must lie in (0, 3]" in capsys.readouterr().err
    assert not out.exists()

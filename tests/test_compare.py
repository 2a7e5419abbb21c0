"""`mspplan compare`: staffing changes move unscheduled work the right way; the side-by-side
table, files and deltas are consistent; checker violations are never hidden."""

from __future__ import annotations

import csv
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from models.check import evaluate
from models.io import load_scenario
from models.plan import Plan
from models.prepare import prepare
from models.variant import load_variant_scenario
from solver.whatif import BASE, Case, CompareParams, Comparison, compare_variants, compared_keys

ROOT = Path(__file__).resolve().parents[1]
DEMO = ROOT / "scenarios" / "demo.yaml"
OVERLOAD = ROOT / "scenarios" / "tiny" / "overload.yaml"
FORECAST = ROOT / "scenarios" / "tiny" / "forecast.yaml"
VARIANTS = ROOT / "scenarios" / "variants"


def write_variant(folder: Path, name: str, *changes: Any) -> Path:
    path = folder / f"{name}.yaml"
    path.write_text(yaml.safe_dump({"name": name, "changes": list(changes)}), encoding="utf-8")
    return path


def cases(base: Path, *variants: Path) -> tuple[Case, list[Case]]:
    applied = [load_variant_scenario(path, base) for path in variants]
    return Case(BASE, load_scenario(base)), [
        Case(v.variant.name, v.scenario, v.notes) for v in applied
    ]


def by_name(comparison: Comparison) -> dict[str, dict[str, Any]]:
    return {row["variant"]: row for row in comparison.rows}


def assert_staffing_monotone(rows: dict[str, dict[str, Any]], hire: str, lose: str) -> None:
    """More people never leave more work undone; fewer never leave less."""
    base = rows[BASE]
    assert rows[hire]["unscheduled_hours"] <= base["unscheduled_hours"]
    assert rows[hire]["unscheduled_items"] <= base["unscheduled_items"]
    assert rows[lose]["unscheduled_hours"] >= base["unscheduled_hours"]
    assert rows[lose]["unscheduled_items"] >= base["unscheduled_items"]
    assert all(row["checker_violations"] == 0 for row in rows.values())


def test_staffing_moves_unscheduled_work_on_an_overloaded_team(tmp_path: Path) -> None:
    base, variants = cases(
        OVERLOAD,
        write_variant(tmp_path, "hire", {"add_technician": {"like": "gus", "id": "ida"}}),
        write_variant(tmp_path, "lose", {"remove_technician": "hel"}),
    )
    params = CompareParams(time_limit=1, runs=0, deterministic=True)
    rows = by_name(compare_variants(base, variants, params))
    assert rows[BASE]["unscheduled_hours"] > 0  # else the test could not fail
    assert_staffing_monotone(rows, "hire", "lose")
    assert rows["lose"]["unscheduled_hours"] > rows[BASE]["unscheduled_hours"]
    assert rows["hire"]["unscheduled_hours"] < rows[BASE]["unscheduled_hours"]
    assert rows["lose"]["utilisation_hel"] is None
    assert rows["hire"]["utilisation_ida"] is not None


def test_staffing_moves_unscheduled_work_on_the_demo() -> None:
    base, variants = cases(DEMO, VARIANTS / "hire_network.yaml", VARIANTS / "ines_leaves.yaml")
    # in this process, one after another: the demo's solves are CPU-bound, spawning costs
    params = CompareParams(time_limit=0.1, runs=0, deterministic=True, processes=1)
    comparison = compare_variants(base, variants, params)
    rows = by_name(comparison)
    assert_staffing_monotone(rows, variants[0].name, variants[1].name)
    assert any("'vuln-scan' was fixed to ines" in n for n in comparison.notes[variants[1].name])


def test_compare_writes_consistent_files(cli: Callable[..., Any], tmp_path: Path) -> None:
    hire = write_variant(tmp_path, "hire", {"add_technician": {"like": "dan", "id": "eli"}})
    lose = write_variant(tmp_path, "lose", {"remove_technician": "cem"})
    out = tmp_path / "out"
    run = cli(
        "compare",
        str(FORECAST),
        "--variant",
        str(hire),
        "--variant",
        str(lose),
        "--time-limit",
        "1",
        "--runs",
        "10",
        "--deterministic",
        "--out",
        str(out),
    )
    assert run.code == 0, run.err
    result = json.loads((out / "compare.json").read_text())
    rows = {row["variant"]: row for row in result["rows"]}
    assert list(rows) == [BASE, "hire", "lose"]
    for found in result["deltas"]:
        row = rows[found["variant"]]
        for key in compared_keys(result["rows"]):
            value, base = row.get(key), rows[BASE].get(key)
            if isinstance(value, int | float) and isinstance(base, int | float):
                assert found[key] == pytest.approx(value - base, abs=1e-6), key
            else:
                assert found[key] is None, key
    assert rows["lose"]["utilisation_cem"] is None
    assert result["deltas"][1]["utilisation_cem"] is None
    for row in rows.values():
        assert row["sim_runs"] == 10
        assert 0 <= row["sim_urgent_in_time"] <= 1
        assert row["checker_violations"] == 0
    with (out / "compare.csv").open(encoding="utf-8") as stream:
        table = {line[0]: line for line in csv.reader(stream)}
    assert table["kpi"] == ["kpi", BASE, "hire", "hire delta", "lose", "lose delta"]
    delta = float(table["unscheduled_hours"][5])
    assert delta == pytest.approx(result["deltas"][1]["unscheduled_hours"])
    assert (out / "compare.png").read_bytes().startswith(b"\x89PNG")
    for name in (BASE, "hire", "lose"):
        plan = Plan.model_validate_json((out / "plans" / f"{name}.json").read_text())
        assert plan.kpis["planned_hours"] == rows[name]["planned_hours"]
    lose_scenario = load_variant_scenario(lose, FORECAST).scenario
    lose_plan = Plan.model_validate_json((out / "plans" / "lose.json").read_text())
    assert evaluate(prepare(lose_scenario), lose_plan).ok
    assert "unscheduled h" in run.out
    assert "util eli" in run.out


def test_compare_grid_has_a_row_per_variant_level_and_seed(
    cli: Callable[..., Any], tmp_path: Path
) -> None:
    hire = write_variant(tmp_path, "hire", {"add_technician": {"like": "gus", "id": "ida"}})
    out = tmp_path / "out"
    run = cli(
        "compare",
        str(OVERLOAD),
        "--variant",
        str(hire),
        "--policy",
        "percent",
        "--levels",
        "0,25",
        "--seeds",
        "0,1",
        "--time-limit",
        "0.5",
        "--runs",
        "0",
        "--out",
        str(out),
    )
    assert run.code == 0, run.err
    result = json.loads((out / "sweep.json").read_text())
    cells = [(row["variant"], row["level"], row["seed"]) for row in result["rows"]]
    assert cells == [
        (name, level, seed) for name in (BASE, "hire") for level in (0, 25) for seed in (0, 1)
    ]
    base = {(row["level"], row["seed"]): row for row in result["rows"][:4]}
    for found, row in zip(result["deltas"], result["rows"][4:], strict=True):
        expected = row["planned_hours"] - base[row["level"], row["seed"]]["planned_hours"]
        assert found["planned_hours"] == pytest.approx(expected)
    lines = list(csv.DictReader((out / "sweep.csv").open(encoding="utf-8")))
    assert len(lines) == 8
    assert "delta_unscheduled_hours" in lines[0]
    assert (out / "sweep.png").read_bytes().startswith(b"\x89PNG")


def test_checker_violations_are_reported(
    cli: Callable[..., Any], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A broken plan (here: a stand-in comparison) is printed and makes the exit code 1."""
    row = {
        "variant": BASE,
        "level": None,
        "seed": 0,
        "planned_hours": 1.0,
        "sim_runs": 0,
        "checker_violations": 1,
    }
    broken = Comparison(
        rows=[row, row | {"variant": "v"}],
        deltas=[{"variant": "v", "level": None, "seed": 0, "planned_hours": 0.0}],
        plans={},
        violations={"v": ["rule 3: ben does two things at once"]},
    )
    monkeypatch.setattr("ui.commands_whatif.compare_variants", lambda *a, **k: broken)
    variant = write_variant(tmp_path, "v", {"weights": {"balance": 2}})
    run = cli("compare", str(OVERLOAD), "--variant", str(variant), "--out", str(tmp_path / "o"))
    assert run.code == 1
    assert "VIOLATION (v): rule 3: ben does two things at once" in run.out
    saved = json.loads((tmp_path / "o" / "compare.json").read_text())
    assert saved["violations"] == {"v": ["rule 3: ben does two things at once"]}


@pytest.mark.parametrize(
    ("flags", "words"),
    [
        (["--policy", "percent"], "--policy and --levels go together"),
        (["--seed", "1", "--seeds", "1,2"], "give --seed or --seeds"),
        (["--seeds", "a,b"], "--seeds: 'a,b' is not"),
        (["--policy", "duty", "--levels", "0.5"], "duty levels are whole numbers"),
        (["--time-limit", "0"], "--time-limit positive"),
        (["--scheduler", "http://x"], "--scheduler: 'http://x' is not a scheduler address"),
    ],
)
def test_compare_refuses_bad_options(
    cli: Callable[..., Any], tmp_path: Path, flags: list[str], words: str
) -> None:
    variant = write_variant(tmp_path, "v", {"weights": {"balance": 2}})
    run = cli(
        "compare", str(OVERLOAD), "--variant", str(variant), "--out", str(tmp_path / "o"), *flags
    )
    assert run.code == 2
    assert words in run.err

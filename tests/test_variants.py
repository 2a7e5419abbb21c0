"""What-if variant files: each change kind applied to its base, bad files refused with the file
and the change named (exit 2 on the command line, before anything is solved)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from models.io import load_scenario
from models.problems import ScenarioError
from models.variant import CHANGES, VariantScenario, load_variant, load_variant_scenario

ROOT = Path(__file__).resolve().parents[1]
DEMO = ROOT / "scenarios" / "demo.yaml"
EXAMPLE = ROOT / "scenarios" / "tiny" / "design_example.yaml"
OVERLOAD = ROOT / "scenarios" / "tiny" / "overload.yaml"
VARIANTS = sorted((ROOT / "scenarios" / "variants").glob("*.yaml"))


@pytest.fixture
def variant(tmp_path: Path) -> Callable[..., Path]:
    """Write a variant file (base: the design example unless given) and return its path."""

    def write(*changes: Any, base: Path | None = EXAMPLE, name: str = "v1.yaml") -> Path:
        data: dict[str, Any] = {"name": Path(name).stem, "changes": list(changes)}
        if base is not None:
            data["base"] = str(base)
        path = tmp_path / name
        path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
        return path

    return write


def applied(path: Path) -> VariantScenario:
    return load_variant_scenario(path)


def problems(path: Path, base: Path | None = None) -> str:
    with pytest.raises(ScenarioError) as caught:
        load_variant_scenario(path, base)
    return str(caught.value)


# -- the shipped examples ----------------------------------------------------------------------
def test_examples_validate_against_the_demo() -> None:
    assert len(VARIANTS) >= 3
    demo = load_scenario(DEMO)
    for path in VARIANTS:
        loaded = load_variant(path)
        assert loaded.base is not None
        assert loaded.base.resolve() == DEMO.resolve()
        result = load_variant_scenario(path)
        assert result.scenario.name == f"{demo.name} / {loaded.name}"
        assert result.scenario != demo


# -- each change kind --------------------------------------------------------------------------
def test_add_technician_full_spec(variant: Callable[..., Path]) -> None:
    spec = {"id": "cem", "skills": ["network"], "hours": {"mon": "08:00-12:00"}}
    scenario = applied(variant({"add_technician": spec})).scenario
    added = scenario.technicians[-1]
    assert (added.id, added.skills, len(added.hours.mon)) == ("cem", ["network"], 1)


def test_add_technician_like_copies_all_but_name_and_absences(
    variant: Callable[..., Path],
) -> None:
    change = {"add_technician": {"like": "anna", "id": "nora", "name": "Nora Frei"}}
    scenario = applied(variant(change)).scenario
    anna, nora = scenario.technicians[0], scenario.technicians[-1]
    assert anna.absences  # the model has leave, the copy must not inherit it
    assert nora.absences == []
    assert (nora.id, nora.name) == ("nora", "Nora Frei")
    assert nora.skills == anna.skills
    assert nora.hours == anna.hours
    assert nora.after_hours == anna.after_hours
    assert nora.max_hours_per_day == anna.max_hours_per_day == 9


def test_remove_technician_frees_fixed_recurring_work_with_a_note(
    variant: Callable[..., Path],
) -> None:
    result = applied(variant({"remove_technician": "ben"}))
    assert [t.id for t in result.scenario.technicians] == ["anna"]
    assert result.scenario.recurring[0].technician is None
    assert len(result.notes) == 1
    assert "'patch-mueller' was fixed to ben" in result.notes[0]
    assert result.notes[0].startswith("changes[0].remove_technician:")


def test_absence_is_added_to_the_technician(variant: Callable[..., Path]) -> None:
    change = {"absence": {"technician": "ben", "start": "2026-03-09", "end": "2026-03-13"}}
    scenario = applied(variant(change, {"absence": {**change["absence"], "reason": "x"}}))
    absences = scenario.scenario.technicians[1].absences
    assert [str(a.start) for a in absences] == ["2026-03-09", "2026-03-09"]
    assert absences[0].reason == "absence"  # the format's default
    assert absences[1].reason == "x"


def test_incident_factor_scales_arrivals_and_says_streams_differ(
    variant: Callable[..., Path],
) -> None:
    result = applied(variant({"incident_factor": 1.2}))
    assert result.scenario.incidents is not None
    assert result.scenario.incidents.per_day == pytest.approx(6.5 * 1.2)
    assert "meets other incidents than the base" in result.notes[0]


def test_add_customer_with_its_work(variant: Callable[..., Path]) -> None:
    change = {
        "add_customer": {
            "customer": {"id": "lab", "name": "Dental lab"},
            "projects": [
                {"id": "p-lab", "tasks": [{"id": "p-lab-1", "effort": "4h", "skills": ["m365"]}]}
            ],
            "maintenance": [{"id": "m-lab", "effort": "1h", "customer": "mueller"}],
            "service_requests": [
                {"id": "sr-lab", "received": "2026-03-03T09:00", "effort": "1h", "lead_time": "2d"}
            ],
        }
    }
    scenario = applied(variant(change)).scenario
    assert scenario.customers[-1].id == "lab"
    assert scenario.projects[-1].customer == "lab"  # no customer given: the new one
    assert scenario.maintenance[-1].customer == "mueller"  # given: kept
    assert scenario.service_requests[-1].customer == "lab"


def test_buffer_replaced_and_removed(variant: Callable[..., Path]) -> None:
    duty = applied(variant({"buffer": {"policy": "duty", "duty": 1}})).scenario
    assert duty.buffer is not None
    assert (duty.buffer.policy, duty.buffer.duty, duty.buffer.percent) == ("duty", 1, None)
    none = applied(variant({"buffer": None}, name="v2.yaml")).scenario
    assert none.buffer is None


def test_weights_are_merged(variant: Callable[..., Path]) -> None:
    scenario = applied(variant({"weights": {"late_per_day": 7}})).scenario
    assert (scenario.weights.late_per_day, scenario.weights.unscheduled) == (7, 1000)


def test_changes_apply_in_order(variant: Callable[..., Path]) -> None:
    path = variant(
        {"add_technician": {"like": "ben", "id": "cem"}},
        {"absence": {"technician": "cem", "start": "2026-03-02", "end": "2026-03-03"}},
        {"remove_technician": "ben"},
    )
    scenario = applied(path).scenario
    assert [t.id for t in scenario.technicians] == ["anna", "cem"]
    assert len(scenario.technicians[1].absences) == 1


def test_base_from_the_command_line_when_the_file_names_none(
    variant: Callable[..., Path],
) -> None:
    path = variant({"remove_technician": "hel"}, base=None)
    assert [t.id for t in load_variant_scenario(path, OVERLOAD).scenario.technicians] == ["gus"]
    assert "base: no base scenario" in problems(path)


# -- bad variants: the file, the change and the rule ------------------------------------------
def test_unknown_technician_lists_the_known(variant: Callable[..., Path]) -> None:
    path = variant({"weights": {"balance": 2}}, {"remove_technician": "zoe"})
    assert f"{path}: changes[1].remove_technician: no technician 'zoe' (known: anna, ben)" in (
        problems(path)
    )


def test_unknown_change_kind_lists_the_known_ones(variant: Callable[..., Path]) -> None:
    message = problems(variant({"hire": {"id": "x"}}))
    assert "changes[0]: unknown change 'hire'" in message
    assert f"known: {', '.join(CHANGES)}" in message


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (
            {"add_technician": {"like": "anna", "id": "nora", "skils": ["m365"]}},
            "changes[0].add_technician.skils: unknown field 'skils' (did you mean 'skills'?)",
        ),
        (
            {"add_technician": {"like": "anna", "id": "nora", "skills": ["fw"]}},
            "changes[0].add_technician.skills[0]: unknown skill 'fw'",
        ),
        (
            {"add_technician": {"like": "anna", "id": "ben"}},
            "changes[0].add_technician.id: duplicate id 'ben'",
        ),
        (
            {"add_technician": {"like": "zoe", "id": "nora"}},
            "changes[0].add_technician.like: no technician 'zoe' (known: anna, ben)",
        ),
        (
            {"absence": {"technician": "anna", "start": "2026-02-30", "end": "2026-03-02"}},
            "changes[0].absence.start: ",
        ),
        (
            {"absence": {"technician": "zoe", "start": "2026-03-02", "end": "2026-03-03"}},
            "changes[0].absence.technician: no technician 'zoe'",
        ),
        ({"incident_factor": -1}, "changes[0].incident_factor: should lie in (0, 10], got -1"),
        ({"incident_factor": 500}, "changes[0].incident_factor: should lie in (0, 10], got 500"),
        ({"incident_factor": "lots"}, "changes[0].incident_factor: should be a number"),
        (
            {"buffer": {"policy": "duty"}},
            "changes[0].buffer: policy 'duty' needs the field 'duty'",
        ),
        ({"weights": {"late": 3}}, "changes[0].weights.late: unknown field 'late'"),
        (
            {"add_customer": {"customer": {"id": "lab"}, "tickets": []}},
            "changes[0].add_customer: unknown field 'tickets'",
        ),
        (
            {"add_customer": {"customer": {"id": "mueller"}}},
            "changes[0].add_customer.customer.id: duplicate id 'mueller'",
        ),
        ({"remove_technician": "anna", "absence": {}}, "changes[0]: should be a mapping with one"),
        ("remove_technician anna", "changes[0]: should be a mapping with one change"),
    ],
)
def test_bad_change_names_file_and_change(
    variant: Callable[..., Path], change: Any, expected: str
) -> None:
    path = variant(change)
    message = problems(path)
    assert message.startswith(f"{path}: ")
    assert expected in message


def test_incident_factor_needs_incidents(variant: Callable[..., Path]) -> None:
    path = variant({"incident_factor": 1.2}, base=OVERLOAD)
    assert "changes[0].incident_factor: the scenario has no incidents" in problems(path)


def test_every_bad_change_is_reported_at_once(variant: Callable[..., Path]) -> None:
    path = variant({"remove_technician": "zoe"}, {"weights": {"balance": 2}}, {"hire": 1})
    message = problems(path)
    assert "changes[0].remove_technician" in message
    assert "changes[2]: unknown change 'hire'" in message
    assert "changes[1]" not in message


def test_bad_top_level_fields(tmp_path: Path) -> None:
    path = tmp_path / "v.yaml"
    path.write_text("name: x\nchange: []\n", encoding="utf-8")
    message = problems(path, EXAMPLE)
    assert "unknown field 'change' (did you mean 'changes'?" in message
    assert "changes: required field is missing" in message


# -- the command line --------------------------------------------------------------------------
def compare(cli: Callable[..., Any], base: Path, tmp_path: Path, *variants: Path) -> Any:
    flags = [arg for path in variants for arg in ("--variant", str(path))]
    return cli("compare", str(base), *flags, "--out", str(tmp_path / "out"), "--runs", "0")


def test_cli_refuses_a_bad_variant_before_solving(
    cli: Callable[..., Any], variant: Callable[..., Path], tmp_path: Path
) -> None:
    path = variant({"remove_technician": "zoe"})
    run = compare(cli, EXAMPLE, tmp_path, path)
    assert run.code == 2
    assert f"{path}: changes[0].remove_technician: no technician 'zoe'" in run.err
    assert "Traceback" not in run.err
    assert not (tmp_path / "out").exists()


def test_cli_reports_every_bad_variant_file(
    cli: Callable[..., Any], variant: Callable[..., Path], tmp_path: Path
) -> None:
    first = variant({"remove_technician": "zoe"}, name="v1.yaml")
    second = variant({"fire": "ben"}, name="v2.yaml")
    run = compare(cli, EXAMPLE, tmp_path, first, second)
    assert run.code == 2
    assert f"{first}: changes[0].remove_technician" in run.err
    assert f"{second}: changes[0]: unknown change 'fire'" in run.err
    assert "2 variant files cannot be used" in run.err


def test_cli_refuses_a_variant_of_another_base(
    cli: Callable[..., Any], variant: Callable[..., Path], tmp_path: Path
) -> None:
    path = variant({"remove_technician": "ben"}, base=EXAMPLE)
    run = compare(cli, OVERLOAD, tmp_path, path)
    assert run.code == 2
    assert f"{path}: base: names {EXAMPLE}, but the comparison's base is {OVERLOAD}" in run.err


def test_cli_refuses_twin_variant_names(
    cli: Callable[..., Any], variant: Callable[..., Path], tmp_path: Path
) -> None:
    path = variant({"weights": {"balance": 2}}, name="base.yaml")
    run = compare(cli, EXAMPLE, tmp_path, path)
    assert run.code == 2
    assert "variant names must differ" in run.err

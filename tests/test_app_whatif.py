"""The Staffing what-if page (AppTest) and its pure helpers."""

from __future__ import annotations

import math
from datetime import date
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
import yaml
from streamlit.testing.v1 import AppTest
from test_app import DEMO, _app, _texts, _until

from models.problems import ScenarioError
from solver.whatif import BASE, Case, Comparison
from ui import app_state, app_whatif

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "scenarios" / "tiny" / "design_example.yaml"
VARIANTS = ROOT / "scenarios" / "variants"


def _whatif_page(monkeypatch: pytest.MonkeyPatch) -> AppTest:
    at = _app(monkeypatch).run()
    at.switch_page("app_pages/whatif.py").run()
    assert not at.exception
    return at


def _add(at: AppTest, kind: str, name: str) -> None:
    at.selectbox(key="whatif_kind").set_value(kind).run()
    at.text_input(key="whatif_name").set_value(name)
    _click_add(at)


def _click_add(at: AppTest) -> None:
    next(b for b in at.button if b.label == "Add variant").click().run()
    assert not at.exception


def _add_button(at: AppTest) -> Any:
    return next(b for b in at.button if b.label == "Add variant")


def _field(at: AppTest, label: str) -> Any:
    return next(w for w in at.text_input if w.label == label)


def _upload(at: AppTest, name: str, text: str) -> AppTest:
    """A variant file in the page's uploader (the "file" kind of change)."""
    at.selectbox(key="whatif_kind").set_value("file").run()
    at.file_uploader(key="whatif_file").set_value((name, text.encode(), "application/yaml"))
    at.run()
    assert not at.exception
    return at


def _variants_of(at: AppTest) -> list[dict[str, Any]]:
    variants: list[dict[str, Any]] = at.session_state[app_state.VARIANTS]
    return variants


def test_whatif_page_compares_two_staffing_variants_with_the_base(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    at = _whatif_page(monkeypatch)
    assert "Nothing compared yet" in _texts(at.info)
    _add(at, "hire", "Hire one")
    _add(at, "leave", "Ben leaves")
    at.selectbox(key="whatif_kind").set_value("leave").run()
    listed = _texts(at.markdown)
    assert "Hire one" in listed
    assert "Ben leaves" in listed
    at.number_input(key="whatif_time_limit").set_value(1)
    at.number_input(key="whatif_runs").set_value(10)
    next(b for b in at.button if b.label == "Compare").click().run()
    _until(at, lambda a: bool(a.dataframe) or bool(a.error), seconds=90)
    assert not at.error, _texts(at.error)
    assert len(at.get("plotly_chart")) == 1
    table = at.dataframe[0].value
    assert list(table.columns)[:2] == ["Key figure", BASE]
    assert {"Hire one", "Hire one (change)", "Ben leaves", "Ben leaves (change)"} <= set(table)
    planned = table[table["Key figure"] == "planned h"].iloc[0]
    base, hired = float(planned[BASE].replace(",", "")), float(planned["Hire one"].replace(",", ""))
    assert float(planned["Hire one (change)"].replace(",", "")) == pytest.approx(hired - base)


def test_whatif_page_names_the_variant_that_cannot_be_applied(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    at = _whatif_page(monkeypatch)
    at.selectbox(key="whatif_kind").set_value("absence").run()
    at.date_input(key="whatif_from").set_value(date(2026, 3, 10))
    at.date_input(key="whatif_to").set_value(date(2026, 3, 5))  # ends before it starts
    _add(at, "absence", "Backwards")
    next(b for b in at.button if b.label == "Compare").click().run()
    assert not at.exception
    errors = _texts(at.error)
    assert "Some variants cannot be applied" in errors
    assert "Backwards" in errors
    assert at.session_state[app_state.WHATIF_JOB] is None


def test_a_new_technician_gets_a_unique_id_from_the_name() -> None:
    assert app_whatif.new_id("Nina Roth", ["anna", "nina-roth"]) == "nina-roth-2"
    assert app_whatif.new_id("***", []) == "new"


def test_changes_become_variants_of_the_open_scenario() -> None:
    data = yaml.safe_load(EXAMPLE.read_text())
    hire = app_whatif.hire("anna", "Nina Roth", ["anna", "ben"])
    case = app_whatif.case_of({"name": "hire", "changes": [hire]}, data, EXAMPLE.parent)
    assert [t.id for t in case.scenario.technicians] == ["anna", "ben", "nina-roth"]
    assert case.scenario.technicians[2].skills == case.scenario.technicians[0].skills
    with pytest.raises(ScenarioError, match="zoe"):
        app_whatif.case_of({"name": "gone", "changes": [app_whatif.leave("zoe")]}, data, None)


def test_variant_files_give_their_changes_and_bad_ones_a_message() -> None:
    path = VARIANTS / "new_customer.yaml"
    demo = yaml.safe_load(DEMO.read_text())
    name, changes = app_whatif.file_changes(path.name, path.read_bytes(), demo, DEMO.parent)
    assert name == "new customer dental lab"
    assert [next(iter(c)) for c in changes] == ["add_customer"]
    assert app_whatif.describe(changes[0]) == "new customer Dentallabor Gruber"
    with pytest.raises(ScenarioError, match="unknown change"):
        app_whatif.file_changes("bad.yaml", b"name: x\nchanges: [{hire_someone: 1}]\n", demo,
                                None)
    with pytest.raises(ScenarioError, match="UTF-8"):
        app_whatif.file_changes("binary.yaml", b"\xff\xfe\x00", demo, None)


def test_comparison_table_shows_values_and_signed_changes() -> None:
    rows = [
        {"variant": BASE, "level": None, "seed": 0, "planned_hours": 100.0, "late_items": 2},
        {"variant": "more", "level": None, "seed": 0, "planned_hours": 112.5, "late_items": 1},
    ]
    deltas = [{"variant": "more", "level": None, "seed": 0, "planned_hours": 12.5,
               "late_items": -1}]
    table = app_whatif.comparison_table(Comparison(rows=rows, deltas=deltas, plans={}))
    planned = table[table["Key figure"] == "planned h"].iloc[0]
    assert (planned[BASE], planned["more"], planned["more (change)"]) == (
        "100.0", "112.5", "+12.5")
    late = table[table["Key figure"] == "late items"].iloc[0]
    assert late["more (change)"] == "-1"
    figure = app_whatif.comparison_figure(Comparison(rows=rows, deltas=deltas, plans={}))
    assert [trace.y for trace in figure.data] == [(100.0, 112.5), (2, 1)]


def test_case_is_what_the_comparison_takes() -> None:
    data = yaml.safe_load(EXAMPLE.read_text())
    case = app_whatif.case_of({"name": "more incidents",
                               "changes": [app_whatif.incidents(1.5)]}, data, EXAMPLE.parent)
    assert isinstance(case, Case)
    assert case.scenario.incidents is not None
    assert case.scenario.incidents.per_day == pytest.approx(1.5 * data["incidents"]["per_day"])


# -- regressions -----------------------------------------------------------------------------
MALFORMED = {
    "absence: {technician: anna, start: 2026-03-10}": "changes[0].absence",
    "incident_factor: lots": "changes[0].incident_factor",
    "add_technician: nina": "changes[0].add_technician",
    "buffer: 20": "changes[0].buffer",
    "remove_technician: zoe": "changes[0].remove_technician",
}


@pytest.mark.parametrize("change", list(MALFORMED))
def test_a_variant_file_is_checked_against_the_open_scenario_on_upload(
    monkeypatch: pytest.MonkeyPatch, change: str
) -> None:
    at = _upload(_whatif_page(monkeypatch), "odd.yaml", f"name: odd\nchanges:\n  - {change}\n")
    shown = _texts(at.error)
    assert "odd.yaml cannot be used" in shown
    assert MALFORMED[change] in shown  # the change is named
    assert _add_button(at).disabled
    assert _variants_of(at) == []


def test_a_variant_file_without_a_buffer_is_accepted_and_one_without_changes_refused(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    at = _upload(_whatif_page(monkeypatch), "none.yaml", "name: no reserve\nchanges:\n"
                 "  - buffer: null\n")
    assert not at.error
    assert "no incident buffer" in _texts(at.caption)
    _click_add(at)
    assert _variants_of(at) == [{"name": "no reserve", "changes": [{"buffer": None}]}]
    assert "no reserve" in _texts(at.markdown)

    _upload(at, "empty.yaml", "name: nothing\nchanges: []\n")
    assert "nothing to compare" in _texts(at.error)
    assert _add_button(at).disabled
    assert [v["name"] for v in _variants_of(at)] == ["no reserve"]


def test_describe_never_raises_whatever_a_file_holds() -> None:
    odd: list[Any] = [None, "", "x", 0, -1, 2.5, math.nan, math.inf, True, [], [1, "a"], {},
                      {"a": None}, {"name": None, "like": None}, {"technician": None},
                      {"policy": None}, {"policy": "duty"}, {"policy": "x", "x": [1]},
                      {"customer": "acme"}, {"customer": {"name": None}}, date(2026, 3, 2)]
    kinds = ["add_technician", "remove_technician", "absence", "incident_factor", "buffer",
             "add_customer", "weights", "what_is_this"]
    for kind in kinds:
        for value in odd:
            said = app_whatif.describe({kind: value})
            assert isinstance(said, str)
            assert said
            assert "None" not in said, (kind, value, said)
    assert app_whatif.describe({"buffer": None}) == "no incident buffer"
    assert app_whatif.describe({"incident_factor": "lots"}) == "incident factor"
    assert app_whatif.describe({"absence": {"technician": "anna", "start": date(2026, 3, 10)}}) \
        == "anna away from 2026-03-10"
    assert app_whatif.describe({"a": 1, "b": 2}) == "change"
    assert app_whatif.describe("buffer") == "change"


def test_a_new_technician_without_a_name_is_known_by_the_id() -> None:
    change = app_whatif.hire("anna", "  ", ["anna"])
    assert change == {"add_technician": {"like": "anna", "id": "new"}}
    assert app_whatif.describe(change) == "hire new (like anna)"
    assert app_whatif.describe({"add_technician": {"like": "anna"}}) == \
        "hire a technician (like anna)"


def test_the_add_button_takes_the_fields_as_typed_in_this_run(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    at = _whatif_page(monkeypatch)
    at.selectbox(key="whatif_kind").set_value("hire").run()
    _field(at, "Name of the new technician").set_value("Nina Roth")
    _click_add(at)  # no run between typing and the click
    [hired] = _variants_of(at)
    assert hired["changes"] == [{"add_technician": {"like": "anna", "id": "nina-roth",
                                                    "name": "Nina Roth"}}]
    assert hired["name"] == "hire Nina Roth (like anna)"

    at.selectbox(key="whatif_kind").set_value("absence").run()
    _field(at, "Reason").set_value("parental leave")
    at.date_input(key="whatif_to").set_value(date(2026, 3, 20))
    at.text_input(key="whatif_name").set_value("Anna away")
    _click_add(at)
    away = _variants_of(at)[1]
    assert away["name"] == "Anna away"
    assert away["changes"][0]["absence"] | {"start": None} == {
        "technician": "anna", "start": None, "end": "2026-03-20", "reason": "parental leave"}
    assert at.text_input(key="whatif_name").value == ""  # emptied for the next variant
    assert "Anna away" in _texts(at.markdown)

    at.text_input(key="whatif_name").set_value("Anna away")
    _click_add(at)
    assert "exists already" in _texts(at.warning)
    assert len(_variants_of(at)) == 2


def test_opening_another_file_drops_the_variants(monkeypatch: pytest.MonkeyPatch) -> None:
    at = _whatif_page(monkeypatch)
    _add(at, "leave", "Ben leaves")
    assert len(_variants_of(at)) == 1
    at.switch_page("app_pages/scenario.py").run()
    at.selectbox(key="scenario_choice").set_value("scenarios/demo.yaml").run()
    next(b for b in at.button if b.label == "Open this file").click().run()
    assert not at.exception
    assert at.session_state[app_state.LOADED].source == "demo.yaml"
    assert _variants_of(at) == []
    at.switch_page("app_pages/whatif.py").run()
    assert "Ben leaves" not in _texts(at.markdown)


def test_editing_the_tables_keeps_the_variants_and_loading_drops_them(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    state: dict[str, Any] = {}
    monkeypatch.setattr(app_state, "st", SimpleNamespace(session_state=state))
    app_state.set_loaded(app_state.load_file(EXAMPLE))
    variants = state[app_state.VARIANTS]
    variants.append({"name": "Ben leaves", "changes": [app_whatif.leave("ben")]})
    data = yaml.safe_load(EXAMPLE.read_text())
    data["technicians"] = data["technicians"][:1]  # an edit: Ben is gone from the table
    app_state.set_data(data, [])
    assert state[app_state.VARIANTS] == [{"name": "Ben leaves",
                                          "changes": [{"remove_technician": "ben"}]}]
    app_state.set_loaded(app_state.load_file(DEMO))
    assert state[app_state.VARIANTS] == []


def test_variant_names_cannot_collide_with_the_table_columns() -> None:
    change = [app_whatif.leave("ben")]
    assert app_whatif.variant_name(" A ", change, []) == ("A", None)
    for bad in ("A (change)", "a (Change)", BASE, "Key figure"):
        name, problem = app_whatif.variant_name(bad, change, [])
        assert name is None
        assert problem
    assert app_whatif.variant_name("A", change, ["A"])[0] is None
    assert app_whatif.variant_name("", change, [], "from file") == ("from file", None)
    assert app_whatif.variant_name("", change, []) == ("ben leaves", None)
    name, problem = app_whatif.variant_name("", [], [])
    assert name is None
    assert problem is not None
    assert "nothing to compare" in problem
    rows = [{"variant": BASE, "late_items": 2}, {"variant": "A", "late_items": 1},
            {"variant": "A: change", "late_items": 0}]
    deltas = [{"variant": "A", "late_items": -1}, {"variant": "A: change", "late_items": -2}]
    table = app_whatif.comparison_table(Comparison(rows=rows, deltas=deltas, plans={}))
    assert list(table.columns) == ["Key figure", BASE, "A", "A (change)", "A: change",
                                   "A: change (change)"]
    assert list(table.iloc[0]) == ["late items", "2", "1", "-1", "0", "-2"]


def test_technicians_on_duty_are_whole_numbers(monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(ValueError, match="whole number"):
        app_whatif.buffer("duty", 2.7)
    assert app_whatif.buffer("duty", 2.0) == {"buffer": {"policy": "duty", "duty": 2}}
    at = _whatif_page(monkeypatch)
    at.selectbox(key="whatif_kind").set_value("buffer").run()
    next(s for s in at.selectbox if s.label == "Buffer policy").set_value("duty").run()
    duty = at.number_input(key="whatif_duty")
    assert isinstance(duty.value, int)
    assert duty.step == 1
    duty.set_value(2)
    _click_add(at)
    assert _variants_of(at)[0]["changes"] == [{"buffer": {"policy": "duty", "duty": 2}}]

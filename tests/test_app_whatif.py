"""The Staffing what-if page (AppTest) and its pure helpers."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
import yaml
from streamlit.testing.v1 import AppTest
from test_app import _app, _texts, _until

from models.io import ScenarioError
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
    next(b for b in at.button if b.label == "Add variant").click().run()
    assert not at.exception


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
    assert {"Hire one", "Hire one: change", "Ben leaves", "Ben leaves: change"} <= set(table)
    planned = table[table["Key figure"] == "planned h"].iloc[0]
    base, hired = float(planned[BASE].replace(",", "")), float(planned["Hire one"].replace(",", ""))
    assert float(planned["Hire one: change"].replace(",", "")) == pytest.approx(hired - base)


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


def test_a_variant_name_is_used_once() -> None:
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
    changes = app_whatif.file_changes(path.name, path.read_bytes())
    assert [next(iter(c)) for c in changes] == ["add_customer"]
    with pytest.raises(ScenarioError, match="unknown change"):
        app_whatif.file_changes("bad.yaml", b"name: x\nchanges: [{hire_someone: 1}]\n")
    with pytest.raises(ScenarioError, match="UTF-8"):
        app_whatif.file_changes("binary.yaml", b"\xff\xfe\x00")


def test_comparison_table_shows_values_and_signed_changes() -> None:
    rows = [
        {"variant": BASE, "level": None, "seed": 0, "planned_hours": 100.0, "late_items": 2},
        {"variant": "more", "level": None, "seed": 0, "planned_hours": 112.5, "late_items": 1},
    ]
    deltas = [{"variant": "more", "level": None, "seed": 0, "planned_hours": 12.5,
               "late_items": -1}]
    table = app_whatif.comparison_table(Comparison(rows=rows, deltas=deltas, plans={}))
    planned = table[table["Key figure"] == "planned h"].iloc[0]
    assert (planned[BASE], planned["more"], planned["more: change"]) == ("100.0", "112.5", "+12.5")
    late = table[table["Key figure"] == "late items"].iloc[0]
    assert late["more: change"] == "-1"
    figure = app_whatif.comparison_figure(Comparison(rows=rows, deltas=deltas, plans={}))
    assert [trace.y for trace in figure.data] == [(100.0, 112.5), (2, 1)]


def test_case_is_what_the_comparison_takes() -> None:
    data = yaml.safe_load(EXAMPLE.read_text())
    case = app_whatif.case_of({"name": "more incidents",
                               "changes": [app_whatif.incidents(1.5)]}, data, EXAMPLE.parent)
    assert isinstance(case, Case)
    assert case.scenario.incidents is not None
    assert case.scenario.incidents.per_day == pytest.approx(1.5 * data["incidents"]["per_day"])

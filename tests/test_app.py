"""The Streamlit app: each page run headless with ``AppTest``, and its pure helpers alone
(tables, charts, state, background jobs)."""

from __future__ import annotations

import dataclasses
import re
import time
from collections.abc import Callable
from datetime import timedelta
from functools import partial
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from models.io import load_scenario, read_text, scenario_from_data
from models.parsing import parse_document
from models.plan import Plan, Unscheduled
from models.prepare import Prepared, prepare
from solver.solve import PlanResult, SolveParams, solve
from ui import app_charts, app_jobs, app_state, app_tables
from ui.app_charts import zip_of

ROOT = Path(__file__).resolve().parent.parent
APP = str(ROOT / "ui" / "streamlit_app.py")
EXAMPLE = ROOT / "scenarios" / "tiny" / "design_example.yaml"
DEMO = ROOT / "scenarios" / "demo.yaml"
BROKEN = b"""name: Broken
horizon: {start: 2026-03-02, days: 5}
skills: [firewall]
technicians:
  - id: anna
    skills: [fw]
    hours: {mon: "08:00-16:00"}
"""


def _app(monkeypatch: pytest.MonkeyPatch, scenario: Path = EXAMPLE) -> AppTest:
    monkeypatch.setenv(app_state.SCENARIO_ENV, str(scenario))
    return AppTest.from_file(APP, default_timeout=30)


def _until(at: AppTest, done: Callable[[AppTest], bool], seconds: float = 40) -> AppTest:
    """Rerun the app (as the page's polling fragment would) until ``done`` or time is up."""
    deadline = time.monotonic() + seconds
    while not done(at):
        assert time.monotonic() < deadline, "the app did not get there in time"
        time.sleep(0.3)
        at.run()
    return at


def _texts(elements: Any) -> str:
    """The elements' Markdown as text (escapes undone)."""
    return re.sub(r"\\(.)", r"\1", "\n".join(str(e.value) for e in elements))


@pytest.fixture(scope="module")
def example_result() -> PlanResult:
    """The design example solved in-process (as the Plan page's job would)."""
    return solve(load_scenario(EXAMPLE), SolveParams(time_limit=2, workers=2))


# -- pages -----------------------------------------------------------------------------------
def test_scenario_page_shows_the_scenario_ready_to_plan(monkeypatch: pytest.MonkeyPatch) -> None:
    at = _app(monkeypatch).run()
    assert not at.exception
    assert "ready to plan" in _texts(at.success)
    assert "Design example" in _texts(at.code)
    assert [tab.label for tab in at.tabs] == [
        "Technicians", "Absences", "Service requests", "Maintenance"]
    assert "Save" in [b.label for b in at.button]


def test_scenario_page_shows_problems_of_an_upload_with_their_place(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # AppTest cannot drive st.file_uploader: load as the uploader does, then show the page.
    at = _app(monkeypatch)
    at.session_state[app_state.LOADED] = app_state.load_upload("broken.yaml", BROKEN)
    at.run()
    assert not at.exception
    shown = _texts(at.error)
    assert "broken.yaml" in shown
    assert "`technicians[0].skills[0]`" in shown
    assert "unknown skill" in shown
    assert not at.success
    save = next(b for b in at.button if b.label == "Save")
    assert save.disabled  # only a scenario that can be planned is saved


def test_save_as_writes_a_new_file_and_replaces_one_only_when_asked(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setattr(app_state, "SAVED_DIR", tmp_path)
    at = _app(monkeypatch).run()
    at.text_input[0].set_value("copy").run()
    assert not at.checkbox  # a new name: nothing to confirm
    next(b for b in at.button if b.label == "Save").click().run()
    assert not at.exception
    assert "Saved" in _texts(at.success)
    saved = tmp_path / "copy.yaml"
    assert load_scenario(saved) == load_scenario(EXAMPLE)
    saved.write_text("# planner's own notes\n", encoding="utf-8")
    at.run()
    save = next(b for b in at.button if b.label == "Save")
    assert save.disabled  # the file exists: not without asking
    at.checkbox[0].check().run()
    next(b for b in at.button if b.label == "Save").click().run()
    assert load_scenario(saved) == load_scenario(EXAMPLE)
    at.text_input[0].set_value("../outside").run()
    assert "no folders" in _texts(at.error)


def test_load_upload_runs_the_file_checks() -> None:
    broken = app_state.load_upload("broken.yaml", BROKEN)
    assert broken.scenario is None
    assert any(p.startswith("technicians[0].skills[0]: unknown skill 'fw'")
               for p in broken.problems)
    assert broken.tables["technicians"].frame.loc[0, "skills"] == "fw"  # can be fixed in place
    binary = app_state.load_upload("x.yaml", b"name: x\x00\x01")
    assert binary.data is None
    assert binary.problems == ["is a binary file, not YAML or JSON"]
    syntax = app_state.load_upload("x.json", b'{"name": ')
    assert "JSON syntax error" in syntax.problems[0]
    assert app_state.load_upload("..", b"name: x").source == "upload.yaml"
    good = app_state.load_upload("../../etc/example.yaml", EXAMPLE.read_bytes())
    assert good.source == "example.yaml"
    assert good.problems == []
    assert good.scenario is not None


def test_plan_page_solves_with_progress_and_shows_kpis_and_charts(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    at = _app(monkeypatch).run()
    at.switch_page("app_pages/plan.py").run()
    assert "Nothing planned yet" in _texts(at.info)
    at.number_input(key="plan_time_limit").set_value(2)
    next(b for b in at.button if b.label == "Make the plan").click().run()
    assert not at.exception
    cancel = next(b for b in at.button if b.label == "Cancel")
    job = at.session_state[app_state.SOLVE_JOB]
    assert job.running or job.status == "done"
    assert job.running == (not cancel.disabled)
    _until(at, lambda a: "Plan ready" in _texts(a.success))
    assert not at.exception
    metrics = {m.label: m.value for m in at.metric}
    assert list(metrics) == ["Planned work", "Utilisation", "Unscheduled", "Late", "Buffer kept"]
    prepared = prepare(load_scenario(EXAMPLE))
    work = sum(item.effort for item in prepared.items) / 60
    # the design example has room for all its work, so all of it is planned
    assert metrics["Planned work"] == f"{work:,.1f} h"
    assert metrics["Unscheduled"] == "0 items"
    assert metrics["Buffer kept"] != "0.0 h"
    assert len(at.get("plotly_chart")) == 2  # the team's plan and one technician's week


def test_plan_page_cancel_stops_the_solve(monkeypatch: pytest.MonkeyPatch) -> None:
    at = _app(monkeypatch, DEMO).run()
    at.switch_page("app_pages/plan.py").run()
    at.number_input(key="plan_time_limit").set_value(60)
    next(b for b in at.button if b.label == "Make the plan").click().run()
    job = at.session_state[app_state.SOLVE_JOB]
    assert job.running
    next(b for b in at.button if b.label == "Cancel").click().run()
    assert not at.exception
    assert job.status == "cancelled"
    assert not job._process.is_alive()
    assert "cancelled" in _texts(at.warning)
    assert not at.metric


def test_plan_page_shows_a_failed_solve_as_a_message(monkeypatch: pytest.MonkeyPatch) -> None:
    at = _app(monkeypatch).run()
    failed = app_jobs.Job(_fails, time_limit=2)
    _wait(failed)
    at.session_state[app_state.SOLVE_JOB] = failed
    at.switch_page("app_pages/plan.py").run()
    assert not at.exception
    assert _texts(at.error) == "Planning failed: the scenario has no technicians"
    assert not at.metric
    assert not next(b for b in at.button if b.label == "Make the plan").disabled


def test_plan_page_without_a_valid_scenario_says_where_to_fix_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    at = _app(monkeypatch)
    at.session_state[app_state.LOADED] = app_state.load_upload("broken.yaml", BROKEN)
    at.run()
    at.switch_page("app_pages/plan.py").run()
    assert not at.exception
    assert "has problems" in _texts(at.warning)
    assert not [b for b in at.button if b.label == "Make the plan"]


def test_buffers_page_compares_levels_and_marks_the_smallest_meeting_the_target(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    at = _app(monkeypatch).run()
    at.switch_page("app_pages/buffers.py").run()
    assert "Nothing compared yet" in _texts(at.info)
    at.text_input(key="buffers_levels_percent").set_value("0, 20")
    at.number_input(key="buffers_runs").set_value(20)
    at.number_input(key="buffers_time_limit").set_value(1)
    at.number_input(key="buffers_target").set_value(0.5)
    next(b for b in at.button if b.label == "Compare buffers").click().run()
    assert not at.exception
    _until(at, lambda a: bool(a.success) or bool(a.warning) or bool(a.error), seconds=60)
    assert not at.error
    assert "Smallest percent buffer" in _texts(at.success)  # a target of 50 % is met
    assert len(at.get("plotly_chart")) == 1
    table = at.dataframe[0].value
    assert list(table["Buffer level"]) == [0, 20]
    assert (table["Meets target"] == "yes (smallest)").sum() == 1


def test_buffers_page_rejects_levels_that_are_not_numbers(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    at = _app(monkeypatch).run()
    at.switch_page("app_pages/buffers.py").run()
    at.text_input(key="buffers_levels_percent").set_value("ten, twenty")
    next(b for b in at.button if b.label == "Compare buffers").click().run()
    assert not at.exception
    assert "not a comma-separated list of numbers" in _texts(at.error)
    assert at.session_state[app_state.BUFFERS_JOB] is None


def test_export_page_needs_a_plan_then_offers_every_calendar(
    monkeypatch: pytest.MonkeyPatch, example_result: PlanResult
) -> None:
    at = _app(monkeypatch).run()
    at.switch_page("app_pages/export.py").run()
    assert not at.exception
    assert "Nothing planned yet" in _texts(at.info)
    at.session_state[app_state.PLAN] = example_result
    at.run()
    assert not at.exception
    labels = [b.label for b in at.get("download_button")]
    assert labels[0] == "Download Anna Berg's calendar"
    assert any(label.startswith("Download the team calendar") for label in labels)
    assert "Download all calendars (zip)" in labels


def test_export_page_shows_a_server_that_cannot_be_reached_as_a_message(
    monkeypatch: pytest.MonkeyPatch, example_result: PlanResult
) -> None:
    at = _app(monkeypatch).run()
    at.session_state[app_state.PLAN] = example_result
    at.switch_page("app_pages/export.py").run()
    at.text_input[0].set_value("http://127.0.0.1:1/")  # nothing listens on port 1
    at.text_input[1].set_value("anna")
    at.text_input[2].set_value("secret")
    next(b for b in at.button if b.label == "Publish").click().run()
    assert not at.exception
    shown = _texts(at.error)
    assert shown.startswith("Publishing failed:")
    assert "secret" not in shown
    at.text_input[0].set_value("ftp://example.com/")
    next(b for b in at.button if b.label == "Publish").click().run()
    assert "must be an http:// or https:// address" in _texts(at.error)


# -- state -----------------------------------------------------------------------------------
def test_first_scenario_takes_the_query_inside_scenarios_then_the_environment() -> None:
    tiny = app_state.SCENARIO_DIR / "tiny" / "dst.yaml"
    assert app_state.first_scenario({"scenario": "tiny/dst.yaml"}, {}) == tiny.resolve()
    assert app_state.first_scenario({"scenario": "../pyproject.toml"}, {}) == app_state.DEMO
    assert app_state.first_scenario({}, {"MSPPLAN_SCENARIO": "x.yaml"}) == Path("x.yaml")
    assert app_state.first_scenario({}, {}) == app_state.DEMO


def test_save_target_stays_in_the_saved_folder_and_writes_yaml() -> None:
    assert app_state.save_target("mine") == (app_state.SAVED_DIR / "mine.yaml", None)
    assert app_state.save_target("mine.yml")[0] == app_state.SAVED_DIR / "mine.yml"
    for bad in ("../mine.yaml", "a/b.yaml", ".hidden", ""):
        target, problem = app_state.save_target(bad)
        assert target is None
        assert problem is not None


# -- tables ----------------------------------------------------------------------------------
def _data(path: Path) -> Any:
    return parse_document(read_text(path), str(path))


def _frames(tables: dict[str, app_tables.Table]) -> dict[str, pd.DataFrame]:
    return {name: table.frame.copy() for name, table in tables.items()}


SHIPPED = [DEMO, *sorted((ROOT / "scenarios" / "tiny").glob("*.yaml"))]


@pytest.mark.parametrize("path", SHIPPED, ids=[path.stem for path in SHIPPED])
def test_tables_written_back_give_the_same_scenario(path: Path, tmp_path: Path) -> None:
    data = _data(path)
    tables = app_tables.build_tables(data)
    assert all(table.blocked is None for table in tables.values())
    frames = _frames(tables)
    assert app_tables.apply_tables(data, tables, frames) == (data, [])  # untouched: same data
    for frame in frames.values():  # an edit that changes nothing, so every section is rewritten
        if not frame.empty:
            frame.iloc[0, 0] = f"  {frame.iloc[0, 0]} "
    edited, problems = app_tables.apply_tables(data, tables, frames)
    assert problems == []
    assert edited is not data
    assert scenario_from_data(edited, "x") == scenario_from_data(data, "x")
    saved = tmp_path / "saved.yaml"
    saved.write_text(app_tables.scenario_yaml(edited), encoding="utf-8")
    assert load_scenario(saved) == load_scenario(path)


def test_a_renamed_technician_keeps_absences_and_the_rest_of_the_scenario() -> None:
    data = _data(EXAMPLE)
    tables = app_tables.build_tables(data)
    frames = _frames(tables)
    frames["technicians"].loc[0, "name"] = "Renamed"
    edited, problems = app_tables.apply_tables(data, tables, frames)
    assert problems == []
    original, changed = scenario_from_data(data, "x"), scenario_from_data(edited, "x")
    assert changed.technicians[0].name == "Renamed"
    assert changed.technicians[0].absences == original.technicians[0].absences
    assert changed.technicians[1:] == original.technicians[1:]
    assert edited["service_requests"] is not data["service_requests"]  # a copy, not shared
    assert edited["service_requests"] == data["service_requests"]  # untouched sections stay


def test_table_edits_add_rows_and_report_absences_of_unknown_technicians() -> None:
    data = _data(EXAMPLE)
    tables = app_tables.build_tables(data)
    frames = _frames(tables)
    new_request = {"id": "sr-2000", "name": "Printer", "received": "2026-03-03T10:00",
                   "effort": "45m", "skills": "onboarding, m365", "priority": 2.0}
    frames["service_requests"] = pd.concat(
        [frames["service_requests"], pd.DataFrame([new_request])], ignore_index=True)
    frames["absences"].loc[0, "technician"] = "nobody"
    edited, problems = app_tables.apply_tables(data, tables, frames)
    assert problems == ["absences table, row 1: the technician id is not in the technicians table"]
    added = edited["service_requests"][-1]
    assert added == {"id": "sr-2000", "name": "Printer", "received": "2026-03-03T10:00",
                     "effort": "45m", "skills": ["onboarding", "m365"], "priority": 2}


def test_editor_changes_apply_as_streamlit_keeps_them() -> None:
    tables = app_tables.build_tables(_data(EXAMPLE))
    table = tables["technicians"]
    changes = {"edited_rows": {0: {"name": "Anna B.", "after_hours": True}},
               "deleted_rows": [1],
               "added_rows": [{"id": "cara", "mon": "09:00-13:00"}]}
    frame = app_tables.edited_frame(table, table.frame, changes)
    assert frame["id"].tolist() == ["anna", "cara"]
    assert frame["name"].tolist()[0] == "Anna B."
    assert frame["after_hours"].tolist() == [True, False]
    assert frame["max_hours_per_day"].tolist()[0] == 9.0
    assert pd.isna(frame["max_hours_per_day"].tolist()[1])
    entries = app_tables.entries_from_frame(table, frame)
    assert entries[1] == {"id": "cara", "mon": "09:00-13:00"}
    assert app_tables.same_rows(app_tables.edited_frame(table, table.frame, {}), table.frame)


def test_tables_keep_unknown_fields_and_refuse_shapes_they_cannot_show() -> None:
    data = _data(EXAMPLE)
    data["maintenance"][0]["windoww"] = True  # a typo the validation names; kept, not lost
    tables = app_tables.build_tables(data)
    assert "windoww" in tables["maintenance"].frame.columns
    frames = _frames(tables)
    frames["maintenance"].loc[0, "name"] = "Firmware"
    edited, _ = app_tables.apply_tables(data, tables, frames)
    assert edited["maintenance"][0]["windoww"] == "True"
    data["technicians"][0]["hours"] = "always"
    blocked = app_tables.build_tables(data)
    assert blocked["technicians"].blocked is not None
    assert blocked["absences"].blocked is not None  # written back with the technicians


# -- charts ----------------------------------------------------------------------------------
def test_plan_bars_cover_work_reserve_and_absences(
    solved_example: tuple[Prepared, Plan],
) -> None:
    prepared, plan = solved_example
    bars = app_charts.plan_bars(prepared, plan)
    work = bars[~bars["kind"].isin(app_charts.SHADED)]
    assert len(work) == len(plan.assignments)
    assert (bars["kind"] == app_charts.RESERVE).sum() == len(plan.reserve)
    absences = bars[bars["kind"] == app_charts.ABSENCE]
    assert set(absences["technician"]) == {"Anna Berg"}
    assert (bars["end"] > bars["start"]).all()
    assert bars["start"].min().tzinfo is None  # local wall-clock times
    figure = app_charts.gantt_figure(bars, [prepared.days[17].date])
    assert {trace.name for trace in figure.data} >= {"Project", app_charts.RESERVE}
    assert len(figure.layout.shapes) == 1  # the holiday band
    only_ben = app_charts.filter_bars(bars, technicians=["ben"], customers=["Mueller GmbH"])
    assert set(only_ben["technician_id"]) == {"ben"}
    assert set(only_ben["customer"]) <= {"Mueller GmbH", ""}
    assert app_charts.filter_bars(bars, kinds=["Maintenance"])["item"].tolist() == [
        "m-fw-mueller"]


def test_week_view_splits_bars_at_midnight_onto_their_days(
    solved_example: tuple[Prepared, Plan],
) -> None:
    prepared, plan = solved_example
    bars = app_charts.plan_bars(prepared, plan)
    monday = app_charts.week_starts(prepared)[0]
    late_night = bars.iloc[:1].assign(
        technician_id="ben", start=pd.Timestamp("2026-03-03 22:00"),
        end=pd.Timestamp("2026-03-04 01:00"))
    week = app_charts.week_bars(late_night, "ben", pd.Timestamp(monday).date())
    assert week["day"].tolist() == ["Tue 03.03.", "Wed 04.03."]
    assert [(t - f) for f, t in zip(week["from"], week["to"], strict=True)] == [
        timedelta(hours=2), timedelta(hours=1)]
    figure = app_charts.week_figure(app_charts.week_bars(bars, "anna", monday), monday, "Anna")
    assert figure.layout.title.text == "Anna"


def test_unscheduled_and_late_tables_say_why(solved_example: tuple[Prepared, Plan]) -> None:
    prepared, plan = solved_example
    # Move the firewall update (due 2026-03-14) two days past its due date, drop the request.
    moved = [a.model_copy(update={"start": a.start + timedelta(days=14),
                                  "end": a.end + timedelta(days=14)})
             if a.item == "m-fw-mueller" else a
             for a in plan.assignments if a.item != "sr-1001"]
    changed = plan.model_copy(update={
        "assignments": moved,
        "unscheduled": [Unscheduled(item="sr-1001", reason="no technician is free")]})
    unscheduled = app_charts.unscheduled_table(prepared, changed)
    assert unscheduled.to_dict("records") == [{
        "Item": "sr-1001", "Name": "Onboarding J. Schmidt", "Kind": "Service request",
        "Customer": "Mueller GmbH", "Priority": 3, "Effort (h)": 1.5,
        "Why": "no technician is free"}]
    late = app_charts.late_table(prepared, changed)
    assert late["Item"].tolist() == ["m-fw-mueller"]
    assert late.loc[0, "Days late"] > 0
    assert "technician" in late.loc[0, "Why"]
    assert app_charts.late_table(prepared, plan).empty


def test_kpi_cards_read_the_plan_figures(solved_example: tuple[Prepared, Plan]) -> None:
    _, plan = solved_example
    cards = dict((label, value) for label, value, _ in app_charts.kpi_cards(plan.kpis))
    assert cards["Planned work"] == f"{plan.kpis['planned_hours']:,.1f} h"
    assert cards["Buffer kept"] == f"{plan.kpis['reserve_hours']:,.1f} h"


def _row(level: float, in_time: float, displaced: float) -> dict[str, Any]:
    return {"level": level, "planned_hours": 100 - level, "scheduled_items": 10,
            "late_items": 0, "sim_displaced_hours": displaced,
            "sim_displaced_hours_low": displaced - 1, "sim_displaced_hours_high": displaced + 1,
            "sim_overtime_hours": 2.0, "sim_in_time_staffed_P1": in_time,
            "sim_in_time_staffed_P1_low": in_time - 0.05,
            "sim_in_time_staffed_P1_high": in_time + 0.05}


def test_tradeoff_figure_marks_the_smallest_level_that_meets_the_target() -> None:
    rows = [_row(0, 0.7, 9.0), _row(10, 0.92, 6.0), _row(20, 0.95, 5.0)]
    figure = app_charts.tradeoff_figure(rows, "percent", 10, 0.9)
    assert [trace.name for trace in figure.data] == ["planned work", "P1", "displaced"]
    lines = [s for s in figure.layout.shapes if s.line.color == "green"]
    assert {(s.x0, s.x1) for s in lines} == {(10, 10)}
    assert len(lines) == 3
    assert "10" in figure.layout.title.text
    table = app_charts.buffers_table(rows, 10)
    assert table["Meets target"].tolist() == ["", "yes (smallest)", ""]
    assert table["P1 in time"].tolist() == ["70.0%", "92.0%", "95.0%"]
    assert "none" in app_charts.tradeoff_figure(rows, "percent", None, 0.99).layout.title.text


def test_zip_of_all_calendars_holds_every_file(example_result: PlanResult) -> None:
    import io
    import zipfile

    from models.ics import export_calendars

    prepared = prepare(load_scenario(EXAMPLE))
    files = export_calendars(prepared, example_result.plan)
    with zipfile.ZipFile(io.BytesIO(zip_of(files))) as archive:
        assert sorted(archive.namelist()) == ["anna.ics", "ben.ics", "team.ics"]
        assert archive.read("team.ics") == files[-1].data


# -- background jobs -------------------------------------------------------------------------
def _fails(report: Callable[..., None]) -> None:
    report(1)
    raise ValueError("the scenario has no technicians")


def _counts(report: Callable[..., None], n: int) -> int:
    for k in range(n):
        report(k + 1, n)
    return n


def _wait(job: app_jobs.Job, seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while job.running and time.monotonic() < deadline:
        time.sleep(0.05)


def test_job_reports_progress_result_and_failure_without_a_traceback() -> None:
    done = app_jobs.Job(partial(_counts, n=3))
    failed = app_jobs.Job(_fails)
    _wait(done)
    _wait(failed)
    assert (done.status, done.result, done.progress) == ("done", 3, (3, 3))
    assert failed.status == "failed"
    assert failed.error == "the scenario has no technicians"
    assert app_jobs.readable(RuntimeError("boom")) == "unexpected RuntimeError: boom"


def test_a_late_item_that_no_plan_could_finish_in_time_says_so(
    solved_example: tuple[Prepared, Plan],
) -> None:
    """Due an hour after it may start, the firewall update is late in any plan: the table
    says so, with the soonest it could end, instead of blaming the technicians' load."""
    prepared, plan = solved_example
    items = [
        dataclasses.replace(item, due=item.earliest + 60) if item.id == "m-fw-mueller" else item
        for item in prepared.items
    ]
    late = app_charts.late_table(dataclasses.replace(prepared, items=items), plan)
    assert late["Item"].tolist() == ["m-fw-mueller"]
    why = late.loc[0, "Why"]
    assert why.startswith("late in any plan: its earliest start")
    assert "maintenance windows" in why
    assert "technicians with the skills" not in why

"""Staffing what-if page: derive variants of the open scenario, plan and simulate them all,
and compare their key figures with the base side by side."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import streamlit as st

from models.problems import ScenarioError
from solver.sweep import POLICIES
from solver.whatif import BASE, Case, CompareParams, Comparison
from ui import app_jobs, app_state, app_whatif
from ui.app_views import cancel_button, counted_progress, needs_scenario, plain, problem_lines

MAX_VARIANTS = 6
NAME, KIND, CLEAR_NAME = "whatif_name", "whatif_kind", "whatif_clear_name"
TIME_LIMIT, RUNS = "whatif_time_limit", "whatif_runs"
Changes = tuple[list[dict[str, Any]], str]
"""A complete change form: its changes and a name to suggest ("" to describe the changes)."""


def _variants() -> list[dict[str, Any]]:
    variants: list[dict[str, Any]] = st.session_state[app_state.VARIANTS]
    return variants


def _change_form() -> Changes | None:
    """The fields of the chosen kind of change; its changes once they are complete."""
    scenario = app_state.scenario()
    assert scenario is not None
    team = {t.id: t.name or t.id for t in scenario.technicians}
    kind = st.selectbox("What changes", list(app_whatif.KINDS), key=KIND,
                        format_func=lambda k: app_whatif.KINDS[k])
    left, right = st.columns(2)
    if kind in ("hire", "leave", "absence") and not team:
        st.info("The scenario has no technicians yet.")
        return None
    if kind == "hire":
        like = _technician(left, "Same skills and hours as", team)
        name = right.text_input("Name of the new technician", value="New technician")
        return [app_whatif.hire(like, name, list(team))], ""
    if kind == "leave":
        return [app_whatif.leave(_technician(left, "Who leaves", team))], ""
    if kind == "absence":
        who = _technician(left, "Who is away", team)
        reason = right.text_input("Reason", value="long absence")
        start = scenario.horizon.start
        first, last = st.columns(2)
        begin = first.date_input("From", value=start, key="whatif_from")
        end = last.date_input("To (inclusive)", value=start + timedelta(days=13), key="whatif_to")
        return [app_whatif.absence(who, begin, end, reason)], ""
    if kind == "incidents":
        factor = left.number_input("Incidents x", min_value=0.1, max_value=10.0, value=1.2,
                                   step=0.1, help="1.2: 20 % more incidents than the forecast")
        return [app_whatif.incidents(factor)], ""
    if kind == "buffer":
        policy = left.selectbox("Buffer policy", POLICIES)
        return [app_whatif.buffer(policy, _buffer_level(right, policy))], ""
    return _file_changes()


def _buffer_level(column: Any, policy: str) -> float:
    """The level of the buffer ``policy``, in its own unit (technicians are whole ones)."""
    if policy == "duty":
        duty: int = column.number_input("Technicians on duty per working day", min_value=0,
                                        max_value=50, value=1, step=1, key="whatif_duty")
        return duty
    if policy == "percent":
        percent: float = column.number_input("Share of each day kept free (percent)",
                                             min_value=0.0, max_value=99.0, value=30.0,
                                             step=5.0, key="whatif_percent")
        return percent
    level: float = column.number_input("Service level (share of urgent incidents answered "
                                       "in time)", min_value=0.01, max_value=0.99, value=0.9,
                                       step=0.05, key="whatif_service_level")
    return level


def _technician(column: Any, label: str, team: dict[str, str]) -> str:
    """A technician's id, chosen by name."""
    ids = list(team)
    chosen = column.selectbox(label, ids, format_func=lambda t: team[t])
    return str(chosen if chosen is not None else ids[0])


def _file_changes() -> Changes | None:
    """The changes of an uploaded variant file once they apply to the open scenario."""
    upload = st.file_uploader("Variant file (YAML or JSON with changes:)",
                              type=["yaml", "yml", "json"], key="whatif_file")
    if upload is None:
        return None
    current = app_state.loaded()
    try:
        name, changes = app_whatif.file_changes(upload.name, upload.getvalue(), current.data,
                                                current.folder)
    except ScenarioError as error:
        st.error(f"{plain(upload.name)} cannot be used with {plain(current.source)}:\n\n"
                 f"{problem_lines(error.problems)}")
        return None
    count = f"{len(changes)} change{'s' if len(changes) != 1 else ''}"
    st.caption(f"{plain(name)}: {count}: " + plain("; ".join(map(app_whatif.describe, changes))))
    return changes, name


def _add_button(form: Changes | None, running: bool) -> None:
    """The name field and the button; a click adds the variant of this run's fields."""
    if st.session_state.pop(CLEAR_NAME, False):  # before the field exists: it may be set
        st.session_state[NAME] = ""
    left, right = st.columns([3, 1], vertical_alignment="bottom")
    typed = left.text_input("Variant name (optional)", key=NAME,
                            placeholder="e.g. Hire a network admin")
    full = len(_variants()) >= MAX_VARIANTS
    clicked = right.button("Add variant", disabled=form is None or full or running,
                           width="stretch", help=f"At most {MAX_VARIANTS} variants at a time.")
    if not clicked or form is None:
        return
    changes, suggested = form
    name, problem = app_whatif.variant_name(typed, changes, [v["name"] for v in _variants()],
                                            suggested)
    if name is None:
        st.warning(plain(problem or "The variant cannot be added."))
        return
    _variants().append({"name": name, "changes": changes})
    st.session_state[CLEAR_NAME] = True  # emptied at the top of the next run
    st.rerun()  # the list above shows the new variant


def _variant_list(running: bool) -> None:
    for k, variant in enumerate(_variants()):
        text, remove = st.columns([5, 1], vertical_alignment="center")
        described = "; ".join(map(app_whatif.describe, variant["changes"]))
        said = "" if described == variant["name"] else f": {plain(described)}"
        text.markdown(f"**{plain(variant['name'])}**{said}")
        if remove.button("Remove", key=f"whatif_remove_{k}", disabled=running):
            del _variants()[k]
            st.rerun()


def _cases() -> tuple[Case, list[Case]] | None:
    """The base and the variants applied to it, or None after showing what is wrong."""
    current = app_state.loaded()
    assert current.scenario is not None
    cases, problems = [], []
    for spec in _variants():
        try:
            cases.append(app_whatif.case_of(spec, current.data, current.folder))
        except ScenarioError as error:
            problems += [f"{spec['name']}: {p}" for p in error.problems]
    if problems:
        st.session_state[app_state.WHATIF] = {"problems": problems}
        return None
    return Case(BASE, current.scenario), cases


def _start() -> None:
    found = _cases()
    if found is None:
        return
    base, variants = found
    params = CompareParams(time_limit=float(st.session_state[TIME_LIMIT]),
                           runs=int(st.session_state[RUNS]))
    st.session_state[app_state.WHATIF] = None
    app_state.start_job(app_state.WHATIF_JOB, app_jobs.whatif_job(base, variants, params))


def _run_controls(running: bool) -> None:
    limit, runs = st.columns(2)
    limit.number_input("Time limit per plan (seconds)", min_value=1, max_value=600, value=10,
                       key=TIME_LIMIT)
    runs.number_input("Simulation runs per plan", min_value=10, max_value=2000, value=100,
                      step=10, key=RUNS, help="Incidents simulated on each plan; every plan "
                      "meets the same incidents.")
    start, stop = st.columns(2)
    start.button("Compare", type="primary", on_click=_start, disabled=running or not _variants(),
                 width="stretch")
    cancel_button(stop, app_state.WHATIF_JOB, running)


def _collect() -> dict[str, Any] | None:
    job = app_state.job(app_state.WHATIF_JOB)
    if job is not None and job.status == "done" and not job.collected:
        job.collected = True
        st.session_state[app_state.WHATIF] = {"comparison": job.result}
    found: dict[str, Any] | None = st.session_state[app_state.WHATIF]
    return found


def _results(comparison: Comparison) -> None:
    for name, messages in comparison.violations.items():
        st.error(f"The plan of {plain(name)} breaks {len(messages)} rules; its figures are not "
                 "to be trusted:\n\n" + problem_lines(messages))
    for name, notes in comparison.notes.items():
        st.info(f"{plain(name)}: " + plain("; ".join(notes)))
    st.plotly_chart(app_whatif.comparison_figure(comparison), width="stretch")
    st.dataframe(app_whatif.comparison_table(comparison), hide_index=True, width="stretch")
    st.caption("Each variant is planned starting from the base plan and meets the same simulated "
               "incidents (a variant with more incidents meets its own, larger stream). "
               "Intervals of the simulated figures are in the CLI's compare.json.")


def render() -> None:
    st.title("Staffing what-if")
    st.write("What if we hire one, lose one, someone is away for weeks, incidents grow, or the "
             "buffer changes? Add variants of the open scenario, then compare them with it.")
    if not needs_scenario():
        return
    job = app_state.job(app_state.WHATIF_JOB)
    running = job is not None and job.running
    st.subheader("Variants")
    _variant_list(running)
    with st.expander("Add a variant", expanded=not _variants()):
        _add_button(_change_form(), running)
    st.subheader("Compare")
    _run_controls(running)
    if running:
        counted_progress(app_state.WHATIF_JOB, "plans made and simulated")
        return
    found = _collect()
    if found is not None and "problems" in found:
        st.error("Some variants cannot be applied:\n\n" + problem_lines(found["problems"]))
    elif job is not None and job.status == "failed":
        st.error(f"The comparison failed: {plain(job.error or 'no reason given')}")
    elif job is not None and job.status == "cancelled":
        st.warning("The comparison was cancelled.")
    elif found is None:
        st.info("Nothing compared yet. Add one or more variants and press **Compare**.")
    else:
        _results(found["comparison"])


if __name__ == "__main__":  # Streamlit runs each page as __main__
    render()

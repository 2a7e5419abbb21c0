"""Plan page: make the plan (live progress, cancel), then its key figures, chart and gaps."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from models.prepare import Prepared
from solver.solve import PlanResult
from ui import app_charts, app_jobs, app_state
from ui.app_views import cancel_button, needs_scenario, plain
from ui.solve_view import bound_text

TIME_LIMIT = "plan_time_limit"


def _start() -> None:
    scenario = app_state.scenario()
    if scenario is not None:
        app_state.clear_plan()  # the new plan replaces it, or nothing does
        app_state.start_job(app_state.SOLVE_JOB,
                            app_jobs.solve_job(scenario, float(st.session_state[TIME_LIMIT])))


def _controls(solving: bool) -> None:
    left, middle, right = st.columns([2, 1, 1], vertical_alignment="bottom")
    left.number_input("Time limit (seconds)", min_value=1, max_value=3600, value=10, step=1,
                      key=TIME_LIMIT, help="The planner stops here with the best plan it found.")
    middle.button("Make the plan", type="primary", on_click=_start, disabled=solving,
                  width="stretch")
    cancel_button(right, app_state.SOLVE_JOB, solving)


@st.fragment(run_every=0.5)
def _progress() -> None:
    """Live figures of the running solve; the whole page reruns once it ends."""
    job = app_state.job(app_state.SOLVE_JOB)
    if job is None or not job.running:
        st.rerun()
        return
    snap = job.snapshot()
    limit = job.meta["time_limit"]
    st.progress(min(1.0, snap.elapsed / limit),
                text=f"Planning: {snap.elapsed:.0f} s of at most {limit:g} s")
    elapsed, objective, bound = st.columns(3)
    elapsed.metric("Elapsed", f"{snap.elapsed:.1f} s")
    if snap.progress is None:
        objective.metric("Best plan so far (cost points)", "none yet")
        bound.metric("Lower bound", "-")
    else:
        _, cost, low = snap.progress
        objective.metric("Best plan so far (cost points)", f"{cost:,.1f}",
                         help="Objective: unscheduled and late work, uneven load; lower is better")
        bound.metric("Lower bound", bound_text(low), help="No plan can cost less than this")


def _state_note(job: app_jobs.Job | None, result: PlanResult | None) -> None:
    if job is not None and job.status == "failed":
        st.error(f"Planning failed: {plain(job.error or 'no reason given')}")
    elif job is not None and job.status == "cancelled":
        st.warning("Planning was cancelled. Nothing is planned; press Make the plan to start "
                   "again.")
    elif result is None:
        st.info("Nothing planned yet. Choose a time limit and press **Make the plan**.")


def _headline(result: PlanResult) -> None:
    plan = result.plan
    took = "under 0.1 s" if result.runtime < 0.1 else f"{result.runtime:.1f} s"
    st.success(f"Plan ready: {plan.status} ({plan.method}), found in {took}; "
               f"cost {result.objective:,.1f} points.")
    if result.violations:
        listed = "\n".join(f"- {plain(v.message)}" for v in result.violations[:10])
        st.error(f"The plan breaks {len(result.violations)} rules; do not publish it.\n\n"
                 + listed)
    for column, (label, value, explain) in zip(
        st.columns(5), app_charts.kpi_cards(plan.kpis), strict=True
    ):
        column.metric(label, value, help=explain)


def _gantt(prepared: Prepared, result: PlanResult) -> None:
    bars = app_charts.plan_bars(prepared, result.plan)
    names = {t.id: t.name for t in prepared.technicians}
    techs, customers, kinds = st.columns(3)
    chosen_techs = techs.multiselect("Technicians", list(names), format_func=names.__getitem__,
                                     placeholder="all technicians")
    work = bars[~bars["kind"].isin(app_charts.SHADED)]
    chosen_customers = customers.multiselect("Customers", sorted(set(work["customer"])),
                                             placeholder="all customers")
    chosen_kinds = kinds.multiselect("Kinds", list(app_charts.KIND_COLOURS),
                                     placeholder="all kinds")
    shown = app_charts.filter_bars(bars, chosen_techs or None, chosen_customers or None,
                                   chosen_kinds or None)
    if shown.empty:
        st.info("Nothing planned for this choice.")
        return
    holidays = [d for d in prepared.holidays if prepared.days[0].date <= d
                <= prepared.days[-1].date]
    st.plotly_chart(app_charts.gantt_figure(shown, holidays), width="stretch")
    _week(prepared, shown, names)


def _week(prepared: Prepared, bars: pd.DataFrame, names: dict[str, str]) -> None:
    st.subheader("A technician's week")
    who, when = st.columns(2)
    tech = who.selectbox("Technician", list(names), format_func=names.__getitem__)
    mondays = app_charts.week_starts(prepared)
    monday = when.selectbox("Week", mondays, format_func=lambda d: f"week from {d:%a %d.%m.%Y}")
    if tech is None or monday is None:
        return
    week = app_charts.week_bars(bars, tech, monday)
    if week.empty:
        st.info(f"{plain(names[tech])} has nothing planned that week (for this choice).")
        return
    st.plotly_chart(app_charts.week_figure(week, monday, f"{names[tech]}, week from "
                                           f"{monday:%d.%m.%Y}"), width="stretch")


def _gaps(prepared: Prepared, result: PlanResult) -> None:
    unscheduled = app_charts.unscheduled_table(prepared, result.plan)
    late = app_charts.late_table(prepared, result.plan)
    st.subheader(f"Unscheduled work ({len(unscheduled)})")
    if unscheduled.empty:
        st.write("Every item has its place in the plan.")
    else:
        st.dataframe(unscheduled, hide_index=True, width="stretch")
    st.subheader(f"Late work ({len(late)})")
    if late.empty:
        st.write("Nothing ends after its due or target date.")
    else:
        st.dataframe(late, hide_index=True, width="stretch")


def render() -> None:
    st.title("Plan")
    if not needs_scenario():
        return
    prepared = app_state.prepared()
    assert prepared is not None
    st.caption(f"Scenario: {plain(prepared.scenario.name)}")
    job = app_state.job(app_state.SOLVE_JOB)
    solving = job is not None and job.running
    _controls(solving)
    if solving:
        _progress()
        return
    result = app_state.plan()
    _state_note(job, result)
    if result is not None:
        _headline(result)
        _gantt(prepared, result)
        _gaps(prepared, result)


if __name__ == "__main__":  # Streamlit runs each page as __main__
    render()

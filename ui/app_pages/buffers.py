"""Buffers page: compare incident buffer sizes (planned work done vs. incidents in time)."""

from __future__ import annotations

from typing import Any

import streamlit as st

from models.scenario import Scenario
from solver.sweep import POLICIES, SweepParams, smallest_meeting
from ui import app_charts, app_jobs, app_state
from ui.app_views import cancel_button, counted_progress, needs_scenario, plain
from ui.cli import UsageError
from ui.commands_buffers import parse_levels

POLICY, LEVELS, RUNS, TIME_LIMIT, TARGET = (
    "buffers_policy", "buffers_levels", "buffers_runs", "buffers_time_limit", "buffers_target")
DEFAULT_LEVELS = {"percent": "0, 10, 20, 30", "duty": "0, 1, 2", "forecast": "0.7, 0.8, 0.9"}
POLICY_WORDS = {
    "percent": "percent: share of each day kept free",
    "duty": "duty: technicians a day on incident duty",
    "forecast": "forecast: service level the reserve is sized for",
}


def _start(scenario: Scenario) -> None:
    policy = st.session_state[POLICY]
    try:
        levels = parse_levels(st.session_state[f"{LEVELS}_{policy}"], policy)
    except UsageError as error:
        message = str(error).replace("--levels: ", "").replace("--levels ", "")
        st.session_state[app_state.BUFFERS] = {"error": f"Levels to compare: {message}"}
        return
    params = SweepParams(policy, levels, runs=int(st.session_state[RUNS]),
                         time_limit=float(st.session_state[TIME_LIMIT]))
    st.session_state[app_state.BUFFERS] = None
    app_state.start_job(app_state.BUFFERS_JOB,
                        app_jobs.buffers_job(scenario, params, float(st.session_state[TARGET])))


def _form(scenario: Scenario, running: bool) -> None:
    own = scenario.buffer.policy if scenario.buffer else "percent"
    target = (scenario.buffer.service_level if scenario.buffer else None) or 0.9
    target = min(max(target, 0.5), 0.999)  # the field's range
    left, right = st.columns(2)
    policy = left.selectbox("Buffer policy", POLICIES, index=POLICIES.index(own), key=POLICY,
                            format_func=POLICY_WORDS.__getitem__)
    right.text_input("Levels to compare (comma-separated)", value=DEFAULT_LEVELS[policy],
                     key=f"{LEVELS}_{policy}")
    runs, limit, goal = st.columns(3)
    runs.number_input("Simulation runs per level", min_value=10, max_value=5000, value=200,
                      step=10, key=RUNS, help="More runs give narrower intervals, take longer.")
    limit.number_input("Time limit per plan (seconds)", min_value=1, max_value=600, value=10,
                       key=TIME_LIMIT)
    goal.number_input("Target: share of urgent incidents answered in time", min_value=0.5,
                      max_value=0.999, value=float(target), step=0.01, format="%.3f",
                      key=TARGET)
    start, stop = st.columns(2)
    start.button("Compare buffers", type="primary", on_click=_start, args=(scenario,),
                 disabled=running, width="stretch")
    cancel_button(stop, app_state.BUFFERS_JOB, running)


def _collect(scenario: Scenario) -> dict[str, Any] | None:
    """The finished comparison, picked up from its job once."""
    job = app_state.job(app_state.BUFFERS_JOB)
    if job is not None and job.status == "done" and not job.collected:
        job.collected = True
        params, target = job.meta["params"], job.meta["target"]
        st.session_state[app_state.BUFFERS] = {
            "rows": job.result, "policy": params.policy, "target": target,
            "best": smallest_meeting(job.result, scenario, target),
        }
    return st.session_state[app_state.BUFFERS]


def _results(found: dict[str, Any]) -> None:
    best, target, policy = found["best"], found["target"], found["policy"]
    if best is None:
        st.warning(f"No level answers the urgent incidents in time at {target:.0%}.")
    else:
        st.success(f"Smallest {policy} buffer that answers the urgent incidents in time at "
                   f"{target:.0%}: **{best:g}**.")
    st.plotly_chart(app_charts.tradeoff_figure(found["rows"], policy, best, target),
                    width="stretch")
    st.dataframe(app_charts.buffers_table(found["rows"], best), hide_index=True,
                 width="stretch")
    st.caption("In time counts incidents that arrive while someone is at work; intervals are "
               "95 %. Every level meets the same simulated incidents.")


def render() -> None:
    st.title("Buffers")
    st.write("How big should the incident buffer be? Each level is planned, then the horizon's "
             "incidents are simulated on the plan many times.")
    if not needs_scenario():
        return
    scenario = app_state.scenario()
    assert scenario is not None
    if scenario.incidents is None:
        st.info("This scenario has no incident forecast (incidents:), so there is nothing to "
                "simulate. Add one to the scenario file to compare buffers.")
        return
    job = app_state.job(app_state.BUFFERS_JOB)
    running = job is not None and job.running
    _form(scenario, running)
    if running:
        counted_progress(app_state.BUFFERS_JOB, "levels planned and simulated")
        return
    found = _collect(scenario)
    if found is not None and "error" in found:
        st.error(plain(found["error"]))
    elif job is not None and job.status == "failed":
        st.error(f"The comparison failed: {plain(job.error or 'no reason given')}")
    elif job is not None and job.status == "cancelled":
        st.warning("The comparison was cancelled.")
    elif found is None:
        st.info("Nothing compared yet. Choose the levels and press **Compare buffers**.")
    else:
        _results(found)


if __name__ == "__main__":  # Streamlit runs each page as __main__
    render()

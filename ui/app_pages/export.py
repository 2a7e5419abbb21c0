"""Export page: the plan as calendars (each technician, the team, all as a zip) and CalDAV."""

from __future__ import annotations

import json

import streamlit as st

from models.ics import TEAM, CalendarFile, export_calendars, plan_problems
from models.prepare import Prepared
from models.publish import PublishError, publish, shown_url, url_problem
from solver.solve import PlanResult
from ui import app_charts, app_state
from ui.app_views import needs_plan, plain

ICS = "text/calendar"


def _calendars(prepared: Prepared, result: PlanResult) -> list[CalendarFile] | None:
    """The plan's calendars, made once per plan; None (and a message) if they cannot be."""
    cached = st.session_state[app_state.CALENDARS]
    if cached is not None:
        return cached
    clash = [t.id for t in prepared.technicians if t.id.casefold() == TEAM]
    problems = plan_problems(prepared, result.plan)
    if clash:
        problems.append(f"technician id '{clash[0]}' is also the name of the team calendar; "
                        "rename the technician")
    if problems:
        st.error("The calendars cannot be made:\n\n"
                 + "\n".join(f"- {plain(p)}" for p in problems))
        return None
    files = export_calendars(prepared, result.plan)
    st.session_state[app_state.CALENDARS] = files
    return files


def _downloads(files: list[CalendarFile], result: PlanResult) -> None:
    st.subheader("Calendars (ICS)")
    st.write("Import them in Outlook, Google or Apple Calendar, or subscribe to them.")
    technicians = {f.name: f for f in files if f.name != f"{TEAM}.ics"}
    team = next(f for f in files if f.name == f"{TEAM}.ics")
    pick, one = st.columns([2, 1], vertical_alignment="bottom")
    name = pick.selectbox("Technician", list(technicians),
                          format_func=lambda n: f"{technicians[n].title} "
                          f"({technicians[n].events} events)")
    if name is not None:
        chosen = technicians[name]
        one.download_button(f"Download {chosen.title}'s calendar", chosen.data,
                            file_name=chosen.name, mime=ICS, on_click="ignore",
                            width="stretch")
    team_col, all_col, plan_col = st.columns(3)
    team_col.download_button(f"Download the team calendar ({team.events} events)", team.data,
                             file_name=team.name, mime=ICS, on_click="ignore",
                             width="stretch")
    all_col.download_button("Download all calendars (zip)", app_charts.zip_of(files),
                            file_name="calendars.zip", mime="application/zip",
                            on_click="ignore", width="stretch")
    plan_json = json.dumps(result.plan.model_dump(mode="json"), indent=2, ensure_ascii=False)
    plan_col.download_button("Download the plan (JSON)", plan_json, file_name="plan.json",
                             mime="application/json", on_click="ignore",
                             width="stretch")


def _publish(prepared: Prepared, result: PlanResult) -> None:
    st.subheader("Publish to a CalDAV server")
    st.write("Each technician gets a calendar mspplan-<id> on the server; events the plan no "
             "longer has are removed, events added by hand stay.")
    with st.form("publish"):
        url = st.text_input("Server address", placeholder="https://dav.example.com/")
        user = st.text_input("User")
        password = st.text_input("Password", type="password")
        sent = st.form_submit_button("Publish")
    if not sent:
        return
    problem = url_problem(url.strip(), "the password field") if url.strip() else \
        "is missing: give the server's address"
    if problem:
        st.error(f"Server address {plain(shown_url(url.strip()))} {plain(problem)}")
        return
    try:
        with st.spinner("Publishing ..."):
            outcomes = publish(prepared, result.plan, url=url.strip(), username=user,
                               password=password)
    except PublishError as error:
        hint = " Check the user and the password." if error.login_refused else ""
        st.error(f"Publishing failed: {plain(str(error))}.{hint}")
        if error.done:
            st.write("Done before the failure:")
            st.dataframe(app_charts.outcome_table(error.done), hide_index=True)
        return
    except (OSError, ValueError) as error:  # the server's answer could not be understood
        st.error(f"Publishing failed: {plain(str(error))}")
        return
    st.success(f"Published {len(outcomes)} calendars to {plain(shown_url(url.strip()))}.")
    st.dataframe(app_charts.outcome_table(outcomes), hide_index=True, width="stretch")


def render() -> None:
    st.title("Export")
    if not needs_plan():
        return
    prepared, result = app_state.prepared(), app_state.plan()
    assert prepared is not None
    assert result is not None
    if result.violations:
        st.warning(f"This plan breaks {len(result.violations)} rules (see the Plan page).")
    files = _calendars(prepared, result)
    if files is None:
        return
    _downloads(files, result)
    _publish(prepared, result)


if __name__ == "__main__":  # Streamlit runs each page as __main__
    render()

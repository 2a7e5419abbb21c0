"""Small pieces of page that several pages show: problems, "nothing here yet" notes."""

from __future__ import annotations

import re
from typing import Any

import streamlit as st

from ui import app_state

SCENARIO_PAGE = "app_pages/scenario.py"
PLAN_PAGE = "app_pages/plan.py"
_MARKDOWN = re.compile(r"([\\`*_\[\]<>|~$])")
"""Characters that change Markdown inside a line (lines never start with user text here)."""


def plain(text: str) -> str:
    """User text (names, messages) shown literally, not as Markdown."""
    return _MARKDOWN.sub(r"\\\1", text)


def problem_lines(problems: list[str], shown: int = 30) -> str:
    """Problems as a Markdown list, each with its place in the file set apart."""
    lines = []
    for problem in problems[:shown]:
        place, colon, message = problem.partition(": ")
        if colon and " " not in place:
            lines.append(f"- `{place}`: {plain(message)}")
        else:
            lines.append(f"- {plain(problem)}")
    if len(problems) > shown:
        lines.append(f"- ... and {len(problems) - shown} more")
    return "\n".join(lines)


def show_problems(source: str, problems: list[str]) -> None:
    count = f"{len(problems)} problem{'s' if len(problems) != 1 else ''}"
    st.error(f"**{plain(source)}** cannot be planned yet: {count}.\n\n{problem_lines(problems)}")


def needs_scenario() -> bool:
    """Say why a page cannot work yet; True when a valid scenario is loaded."""
    current = app_state.loaded()
    if current.scenario is not None:
        return True
    st.warning(f"The scenario **{plain(current.source)}** has problems, so nothing can be "
               "planned. Fix them on the Scenario page.")
    st.page_link(SCENARIO_PAGE, label="Go to the Scenario page", icon=":material/description:")
    return False


def needs_plan() -> bool:
    """Say why a page cannot work yet; True when a plan of the current scenario exists."""
    if not needs_scenario():
        return False
    if app_state.plan() is not None:
        return True
    solving = app_state.job(app_state.SOLVE_JOB)
    if solving is not None and solving.running:
        st.info("The plan is being made. Its calendars can be downloaded once it is ready.")
    else:
        st.info("Nothing planned yet: make a plan on the Plan page first.")
    st.page_link(PLAN_PAGE, label="Go to the Plan page", icon=":material/calendar_month:")
    return False


def cancel_job(key: str) -> None:
    """Button callback: stop the background job under ``key``, if any."""
    job = app_state.job(key)
    if job is not None:
        job.cancel()


def cancel_button(column: Any, key: str, running: bool) -> None:
    """The Cancel button of the background job under ``key``."""
    column.button("Cancel", on_click=cancel_job, args=(key,), disabled=not running,
                  width="stretch")


@st.fragment(run_every=0.5)
def counted_progress(key: str, what: str) -> None:
    """A bar for a job that reports (done, total); the whole page reruns once it ends."""
    job = app_state.job(key)
    if job is None or not job.running:
        st.rerun()
        return
    snap = job.snapshot()
    done, total = snap.progress if snap.progress else (0, job.meta["total"])
    st.progress(done / total, text=f"{done} of {total} {what} ({snap.elapsed:.0f} s)")

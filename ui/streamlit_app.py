"""The mspplan app: ``make ui``, or ``streamlit run ui/streamlit_app.py``.

It opens the demo scenario, or the file named by ``MSPPLAN_SCENARIO`` (or the query parameter
``?scenario=tiny/dst.yaml``, a file below ``scenarios/``). Pages only render; what they share
lives in ``ui.app_state``, the planning itself in ``models`` and ``solver``.
"""

from __future__ import annotations

import streamlit as st

from ui import app_state
from ui.app_views import plain


def main() -> None:
    """Shared state first, then the navigation; the chosen page renders itself."""
    st.set_page_config(page_title="mspplan", page_icon=":material/calendar_month:", layout="wide")
    app_state.init()

    pages = [
        st.Page("app_pages/scenario.py", title="Scenario", icon=":material/description:",
                default=True),
        st.Page("app_pages/plan.py", title="Plan", icon=":material/calendar_month:"),
        st.Page("app_pages/whatif.py", title="Staffing what-if", icon=":material/groups:"),
        st.Page("app_pages/buffers.py", title="Buffers", icon=":material/shield:"),
        st.Page("app_pages/export.py", title="Export", icon=":material/download:"),
    ]
    navigation = st.navigation(pages)

    current = app_state.loaded()
    verdict = "ready to plan" if current.scenario is not None else "has problems"
    st.sidebar.caption(f"Scenario: **{plain(current.source)}** ({verdict})")
    navigation.run()


if __name__ == "__main__":  # Streamlit runs the app as __main__; an import must not
    main()

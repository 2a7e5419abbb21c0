"""Scenario page: open or upload a scenario, see its problems, edit its tables, save a copy."""

from __future__ import annotations

import streamlit as st

from models.io import write_atomic
from ui import app_state
from ui.app_tables import apply_tables, column_config, edited_frame, scenario_yaml
from ui.app_views import plain, show_problems
from ui.cli import summary_lines

CHOICE = "scenario_choice"
UPLOADER = "scenario_upload"


def _open_chosen() -> None:
    files = {app_state.shown_path(path): path for path in app_state.scenario_files()}
    chosen = files.get(st.session_state[CHOICE])
    if chosen is not None:
        app_state.set_loaded(app_state.load_file(chosen))


def _open_upload() -> None:
    upload = st.session_state[UPLOADER]
    if upload is not None:  # None: the planner removed the file; keep what is open
        app_state.set_loaded(app_state.load_upload(upload.name, upload.getvalue()))


def _choose() -> None:
    # Callbacks, not code after the widgets: they run before the sidebar shows the scenario.
    files = [app_state.shown_path(path) for path in app_state.scenario_files()]
    current = app_state.loaded().source
    index = next((k for k, name in enumerate(files) if name.endswith(f"/{current}")), 0)
    left, right = st.columns(2)
    with left:
        st.selectbox("Scenario file", files, index=index, key=CHOICE)
        st.button("Open this file", on_click=_open_chosen, type="primary")
    with right:
        st.file_uploader("... or upload a scenario file (YAML or JSON)",
                         type=["yaml", "yml", "json"], key=UPLOADER, on_change=_open_upload)


def _status(current: app_state.Loaded) -> None:
    if current.data is not current.original:
        st.info("Changed in the tables below and not saved yet: planning uses the changes. "
                "Save as a new file to keep them.")
    if current.problems:
        show_problems(current.source, current.problems)
        return
    prepared = app_state.prepared()
    if prepared is not None:
        st.success(f"**{plain(current.source)}** is ready to plan.")
        st.code("\n".join(summary_lines(prepared)), language=None)


def _edit_tables(current: app_state.Loaded) -> None:
    """The editable tables; edits are validated at once (problems show above)."""
    if not isinstance(current.data, dict):
        st.info("The tables show once the file can be read. Fix the file and open it again.")
        return
    version = st.session_state[app_state.EDITOR_VERSION]
    tabs = st.tabs([table.spec.title for table in current.tables.values()])
    for tab, (name, table) in zip(tabs, current.tables.items(), strict=True):
        with tab:
            if table.blocked is not None:
                st.warning(f"This table cannot be shown: {plain(table.blocked)}. "
                           "Fix it in the file.")
                continue
            key = f"table-{name}-{version}"
            if key not in st.session_state:
                # A new editor (first visit, or back from another page, which drops the
                # editor's state): it starts from the tables as last edited.
                current.bases[name] = current.frames[name]
            st.data_editor(
                current.bases[name], key=key, num_rows="dynamic", hide_index=True,
                width="stretch", column_config=column_config(table),
                on_change=_table_edited, args=(name, key),
            )
    st.caption("Lists (skills, several working-hour spans a day) are separated by commas. "
               "Dates are written 2026-03-02, times 2026-03-02T09:00, efforts 1h30m.")


def _table_edited(name: str, key: str) -> None:
    """Take a table edit into the scenario and validate it again.

    A callback, not code after the editor: it runs before anything else on the next run, so
    an edit is kept even when the planner goes to another page right after typing.
    """
    current = app_state.loaded()
    changes = st.session_state[key]
    current.frames[name] = edited_frame(current.tables[name], current.bases[name], changes)
    data, problems = apply_tables(current.original, current.tables, current.frames)
    if data != current.data or problems != current.table_problems:
        app_state.set_data(data, problems)


def _save(current: app_state.Loaded) -> None:
    st.subheader("Save as")
    stem = current.source.rsplit(".", 1)[0]
    name = st.text_input("File name", value=f"{stem}-edited.yaml",
                         help=f"Saved in {app_state.shown_path(app_state.SAVED_DIR)}; "
                         "the file list above offers it next time.")
    target, problem = app_state.save_target(name)
    if target is None:
        st.error(problem)
        return
    replace = target.exists() and st.checkbox(
        f"{app_state.shown_path(target)} exists: replace it")
    if current.scenario is None:
        st.caption("Fix the problems above first: only a scenario that can be planned is saved.")
    blocked = current.scenario is None or (target.exists() and not replace)
    if st.button("Save", disabled=blocked):
        try:
            write_atomic(target, scenario_yaml(current.data))
        except OSError as error:
            st.error(f"Could not save {app_state.shown_path(target)}: {error.strerror}")
            return
        check = app_state.load_file(target)
        if check.problems:
            show_problems(check.source, check.problems)
        else:
            st.success(f"Saved {app_state.shown_path(target)}.")


def render() -> None:
    st.title("Scenario")
    _choose()
    current = app_state.loaded()
    _status(current)
    st.subheader("Team and work")
    _edit_tables(current)
    _save(current)


if __name__ == "__main__":  # Streamlit runs each page as __main__
    render()

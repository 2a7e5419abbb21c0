"""Editable tables of a scenario (technicians, absences, service requests, maintenance).

Pure helpers: scenario data (as read from the file) in, pandas DataFrames out, and edited
DataFrames back into scenario data. The app validates the result with ``models.io``; nothing
here decides whether a value is valid. A cell holds what the file holds, as text where the
file's values are not all of one simple type, so nothing the file says is lost on the way.
"""

from __future__ import annotations

import copy
import math
import re
from dataclasses import dataclass, field
from typing import Any, Literal

import pandas as pd
import yaml

from models.scenario_fields import WEEKDAYS

Kind = Literal["text", "list", "bool", "number"]

_NUMBER = re.compile(r"[0-9]+(\.[0-9]+)?")


@dataclass(frozen=True)
class TableSpec:
    """Which fields of a scenario section a table shows, and of what kind they are."""

    title: str
    section: str
    columns: tuple[str, ...]
    labels: dict[str, str]
    kinds: dict[str, Kind] = field(default_factory=dict)
    """Columns that are not plain text; every other column is text."""
    durations: frozenset[str] = frozenset()
    """Text columns where a bare number means minutes: kept as a number."""


HOURS_COLUMNS = WEEKDAYS
"""The technicians table shows working hours as one column per weekday."""

TECHNICIANS = TableSpec(
    title="Technicians",
    section="technicians",
    columns=("id", "name", "skills", *HOURS_COLUMNS, "after_hours", "max_hours_per_day",
             "absences_ics"),
    labels={"id": "Id", "name": "Name", "skills": "Skills",
            **{day: day.capitalize() for day in HOURS_COLUMNS},
            "after_hours": "Works after hours", "max_hours_per_day": "Max hours a day",
            "absences_ics": "Absences calendar (ICS)"},
    kinds={"skills": "list", **dict.fromkeys(HOURS_COLUMNS, "list"), "after_hours": "bool",
           "max_hours_per_day": "number"},
)
ABSENCES = TableSpec(
    title="Absences",
    section="absences",
    columns=("technician", "start", "end", "reason"),
    labels={"technician": "Technician id", "start": "From", "end": "To (inclusive)",
            "reason": "Reason"},
)
SERVICE_REQUESTS = TableSpec(
    title="Service requests",
    section="service_requests",
    columns=("id", "name", "customer", "received", "effort", "skills", "lead_time", "due",
             "priority"),
    labels={"id": "Id", "name": "Name", "customer": "Customer", "received": "Received",
            "effort": "Effort", "skills": "Skills", "lead_time": "Lead time", "due": "Due",
            "priority": "Priority (1 highest)"},
    kinds={"skills": "list", "priority": "number"},
    durations=frozenset({"effort", "lead_time"}),
)
MAINTENANCE = TableSpec(
    title="Maintenance",
    section="maintenance",
    columns=("id", "name", "customer", "effort", "skills", "in_window", "earliest", "due",
             "priority"),
    labels={"id": "Id", "name": "Name", "customer": "Customer", "effort": "Effort",
            "skills": "Skills", "in_window": "Only in customer window",
            "earliest": "Earliest", "due": "Due", "priority": "Priority (1 highest)"},
    kinds={"skills": "list", "in_window": "bool", "priority": "number"},
    durations=frozenset({"effort"}),
)
SPECS = (TECHNICIANS, ABSENCES, SERVICE_REQUESTS, MAINTENANCE)


@dataclass(frozen=True)
class Table:
    """A table as first shown: the frame, the kind of each column, or why it cannot be shown."""

    spec: TableSpec
    frame: pd.DataFrame
    kinds: dict[str, Kind]
    blocked: str | None = None
    """Why this part of the file cannot be edited as a table (then ``frame`` is empty)."""


# -- data -> tables --------------------------------------------------------------------------
def build_tables(data: Any) -> dict[str, Table]:
    """The four tables of a scenario's data, keyed by section name."""
    data = data if isinstance(data, dict) else {}
    technicians = _entries(data, "technicians")
    absences, blocked = _absence_rows(technicians)
    # Technicians are written back with their absences: one table cannot be edited alone.
    tech_rows = None if blocked else _technician_rows(technicians)
    if tech_rows is None:
        blocked = blocked or "some technician's working hours are not one entry per weekday"
    return {
        "technicians": _table(TECHNICIANS, tech_rows, blocked),
        "absences": _table(ABSENCES, None if blocked else absences, blocked),
        "service_requests": _table(SERVICE_REQUESTS, _entries(data, "service_requests")),
        "maintenance": _table(MAINTENANCE, _entries(data, "maintenance")),
    }


def _entries(data: dict[str, Any], section: str) -> list[dict[str, Any]] | None:
    """The section's entries, or None when it is not a list of mappings (not a table)."""
    entries = data.get(section)
    if entries is None:
        return []
    if not isinstance(entries, list) or not all(isinstance(e, dict) for e in entries):
        return None
    return entries


def _technician_rows(technicians: list[dict[str, Any]] | None) -> list[dict[str, Any]] | None:
    if technicians is None:
        return None
    rows = []
    for tech in technicians:
        hours = tech.get("hours", {})
        if not isinstance(hours, dict) or not set(hours) <= set(HOURS_COLUMNS):
            return None
        row = {key: value for key, value in tech.items() if key not in ("hours", "absences")}
        rows.append(row | {day: hours[day] for day in HOURS_COLUMNS if day in hours})
    return rows


def _absence_rows(
    technicians: list[dict[str, Any]] | None,
) -> tuple[list[dict[str, Any]], str | None]:
    if technicians is None:
        return [], "the technicians section is not a list of technicians"
    rows = []
    for tech in technicians:
        absences = tech.get("absences", [])
        if not isinstance(absences, list) or not all(isinstance(a, dict) for a in absences):
            return [], f"the absences of technician {tech.get('id')!r} are not a list"
        rows += [{"technician": tech.get("id"), **absence} for absence in absences]
    return rows, None


def _table(spec: TableSpec, rows: list[dict[str, Any]] | None, blocked: str | None = None
           ) -> Table:
    if rows is None:
        blocked = blocked or f"the {spec.section} section is not a list of entries"
        return Table(spec, pd.DataFrame(columns=list(spec.columns)), {}, blocked)
    extras = [key for row in rows for key in row if key not in spec.columns]
    columns = [*spec.columns, *dict.fromkeys(extras)]
    kinds = {column: _column_kind(spec, column, [row.get(column) for row in rows])
             for column in columns}
    cells = [{column: _cell(kinds[column], row.get(column)) for column in columns}
             for row in rows]
    frame = pd.DataFrame(cells, columns=columns)
    for column, kind in kinds.items():
        if kind == "bool":
            frame[column] = frame[column].astype(bool)
        elif kind == "number":
            frame[column] = frame[column].astype(float)
        else:
            frame[column] = frame[column].astype(object)
    return Table(spec, frame, kinds)


def _column_kind(spec: TableSpec, column: str, values: list[Any]) -> Kind:
    """The declared kind where every value fits it, else text (so no value is lost)."""
    kind = spec.kinds.get(column, "text")
    present = [v for v in values if v is not None]
    fits = {
        "bool": all(isinstance(v, bool) for v in present),
        "number": all(isinstance(v, int | float) and not isinstance(v, bool) for v in present),
        "list": all(isinstance(v, list | str) for v in present),
        "text": True,
    }
    return kind if fits[kind] else "text"


def _cell(kind: Kind, value: Any) -> Any:
    if kind == "bool":
        return bool(value)
    if kind == "number":
        return math.nan if value is None else float(value)
    if value is None:
        return None
    if kind == "list" and isinstance(value, list):
        return ", ".join(str(v) for v in value)
    if isinstance(value, list | dict):
        return yaml.safe_dump(value, default_flow_style=True).strip()
    return value.isoformat() if hasattr(value, "isoformat") else str(value)


# -- tables -> data --------------------------------------------------------------------------
def is_blank(cell: Any) -> bool:
    """An empty cell: nothing, NaN, NaT or only spaces."""
    if cell is None:
        return True
    if isinstance(cell, str):
        return not cell.strip()
    try:
        return bool(pd.isna(cell))
    except (TypeError, ValueError):
        return False


def _rows(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """The frame's rows with blank cells as None (an edited row may hold NaN where it had None)."""
    return [{column: None if is_blank(cell) else cell for column, cell in row.items()}
            for row in frame.to_dict("records")]


def same_rows(a: pd.DataFrame, b: pd.DataFrame) -> bool:
    """Whether two frames hold the same cells (dtypes and blank spellings aside)."""
    return list(a.columns) == list(b.columns) and _rows(a) == _rows(b)


def edited_frame(table: Table, base: pd.DataFrame, changes: dict[str, Any]) -> pd.DataFrame:
    """``base`` with a table editor's changes, as ``st.data_editor`` keeps them in the session
    state: cell edits by row position, then deleted row positions, then added rows."""
    frame = base.astype(object).reset_index(drop=True)
    for row, cells in (changes.get("edited_rows") or {}).items():
        for column, value in cells.items():
            if column in frame.columns:
                frame.iat[int(row), frame.columns.get_loc(column)] = value
    deleted = [int(row) for row in changes.get("deleted_rows") or [] if int(row) < len(frame)]
    frame = frame.drop(index=frame.index[deleted])
    added = [{k: v for k, v in row.items() if k in frame.columns}
             for row in changes.get("added_rows") or []]
    if added:
        frame = pd.concat([frame, pd.DataFrame(added, columns=frame.columns, dtype=object)])
    frame = frame.reset_index(drop=True)
    for column, kind in table.kinds.items():
        if kind == "bool":
            frame[column] = frame[column].map(lambda cell: not is_blank(cell) and bool(cell))
        elif kind == "number":
            frame[column] = pd.to_numeric(frame[column], errors="coerce").astype(float)
    return frame


def _value(table: Table, column: str, cell: Any) -> Any:
    """A cell as the file's value; None where the field is left out."""
    kind = table.kinds.get(column, "text")
    if kind == "bool":
        return True if bool(cell) else None  # false is every such field's default
    if is_blank(cell):
        return None
    if kind == "number":
        number = float(cell)
        return int(number) if number.is_integer() else number
    text = str(cell).strip()
    if kind == "list":
        parts = [part.strip() for part in text.split(",") if part.strip()]
        return parts if column not in HOURS_COLUMNS or len(parts) != 1 else parts[0]
    if column in table.spec.durations and _NUMBER.fullmatch(text):
        return float(text) if "." in text else int(text)  # a bare number means minutes
    return text


def entries_from_frame(table: Table, frame: pd.DataFrame) -> list[dict[str, Any]]:
    """The section's entries from an edited frame; blank rows are dropped."""
    entries = []
    for row in _rows(frame):
        entry = {column: _value(table, column, cell) for column, cell in row.items()}
        entry = {key: value for key, value in entry.items() if value is not None}
        if entry:
            entries.append(entry)
    return entries


def _technicians(
    tables: dict[str, Table], frames: dict[str, pd.DataFrame]
) -> tuple[list[dict[str, Any]], list[str]]:
    """Technician entries with their absences; a problem for each absence of an unknown id."""
    technicians = []
    for entry in entries_from_frame(tables["technicians"], frames["technicians"]):
        hours = {day: entry.pop(day) for day in HOURS_COLUMNS if day in entry}
        technicians.append(_ordered(entry, hours))
    by_id = {str(tech.get("id")): tech for tech in technicians}
    problems = []
    for k, absence in enumerate(entries_from_frame(tables["absences"], frames["absences"])):
        owner = by_id.get(str(absence.pop("technician", None)))
        if owner is None:
            problems.append(f"absences table, row {k + 1}: the technician id is not in the "
                            "technicians table")
            continue
        owner.setdefault("absences", []).append(absence)
    return technicians, problems


def _ordered(entry: dict[str, Any], hours: dict[str, Any]) -> dict[str, Any]:
    """A technician's fields in the file's usual order: hours after the skills."""
    head = {key: entry[key] for key in ("id", "name", "skills") if key in entry}
    rest = {key: value for key, value in entry.items() if key not in head}
    return head | ({"hours": hours} if hours else {}) | rest


def apply_tables(
    data: Any, tables: dict[str, Table], frames: dict[str, pd.DataFrame]
) -> tuple[Any, list[str]]:
    """The scenario data with the edited tables written in, and problems of the tables.

    Only sections whose tables changed are rewritten, so an untouched section keeps the
    file's spelling. ``data`` itself is not changed.
    """
    changed = {name for name, table in tables.items()
               if table.blocked is None and not same_rows(frames[name], table.frame)}
    if not changed or not isinstance(data, dict):
        return data, []
    result = copy.deepcopy(data)
    problems: list[str] = []
    if changed & {"technicians", "absences"}:
        result["technicians"], problems = _technicians(tables, frames)
    for name in ("service_requests", "maintenance"):
        if name in changed:
            result[name] = entries_from_frame(tables[name], frames[name])
    return result, problems


def scenario_yaml(data: Any) -> str:
    """Scenario data as YAML text; short lists and mappings on one line, as in the examples."""
    return yaml.safe_dump(data, sort_keys=False, allow_unicode=True, default_flow_style=None,
                          width=100)


def column_config(table: Table) -> dict[str, Any]:
    """Streamlit column settings: the spec's labels, checkboxes and number fields by kind."""
    import streamlit as st

    config: dict[str, Any] = {}
    for column, kind in table.kinds.items():
        label = table.spec.labels.get(column, column)
        if kind == "bool":
            config[column] = st.column_config.CheckboxColumn(label, default=False)
        elif kind == "number":
            config[column] = st.column_config.NumberColumn(label)
        else:
            hint = "comma-separated" if kind == "list" else None
            config[column] = st.column_config.TextColumn(label, help=hint)
    return config

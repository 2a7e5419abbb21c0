"""Pure helpers of the Staffing what-if page: a manager's choices as variant changes (the
format of ``models.variant``), and a comparison as a table and a chart."""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path
from typing import Any

import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from models.io import ScenarioError, parse_document
from models.variant import apply_variant, variant_from_data
from solver.whatif import BASE, Case, Comparison
from ui.commands_whatif import table_keys

KINDS = {
    "hire": "Hire a technician like someone on the team",
    "leave": "A technician leaves",
    "absence": "A long absence",
    "incidents": "More or fewer incidents",
    "buffer": "Another incident buffer",
    "file": "Changes from a variant file (e.g. a new customer with its work)",
}
BUFFER_FIELDS = {"percent": "percent", "duty": "duty", "forecast": "service_level"}
CHART_FIGURES = (
    ("planned_hours", "Planned work (h)"),
    ("utilisation", "Utilisation"),
    ("unscheduled_hours", "Work left out (h)"),
    ("late_items", "Late items"),
    ("sim_urgent_in_time", "Urgent incidents in time"),
    ("sim_displaced_hours", "Planned hours displaced"),
)
"""What the chart compares: the figures a manager decides on."""


# -- the manager's choices as changes ---------------------------------------------------------
def new_id(name: str, taken: list[str]) -> str:
    """An id for a new technician from the name: lower case, letters and digits, unique."""
    stem = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-") or "new"
    found, n = stem, 2
    while found in taken:
        found, n = f"{stem}-{n}", n + 1
    return found


def hire(like: str, name: str, taken: list[str]) -> dict[str, Any]:
    return {"add_technician": {"like": like, "id": new_id(name, taken), "name": name}}


def leave(technician: str) -> dict[str, Any]:
    return {"remove_technician": technician}


def absence(technician: str, start: date, end: date, reason: str) -> dict[str, Any]:
    return {"absence": {"technician": technician, "start": start.isoformat(),
                        "end": end.isoformat(), "reason": reason or "absence"}}


def incidents(factor: float) -> dict[str, Any]:
    return {"incident_factor": factor}


def buffer(policy: str, level: float) -> dict[str, Any]:
    value: float | int = int(level) if policy == "duty" else level
    return {"buffer": {"policy": policy, BUFFER_FIELDS[policy]: value}}


def file_changes(name: str, raw: bytes) -> list[dict[str, Any]]:
    """The changes of an uploaded variant file (its ``base`` is ignored: the app compares
    against the scenario open now). Raises ScenarioError naming the file and the problem."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise ScenarioError(name, ["the file is not UTF-8 text"]) from None
    variant = variant_from_data(parse_document(text, name), name, folder=Path.cwd())
    if variant.problems:
        raise ScenarioError(name, [message for _, message in variant.problems])
    return [{kind: value} for _, kind, value in variant.changes]


def describe(change: dict[str, Any]) -> str:
    """One change in a manager's words."""
    (kind, value), = change.items()
    if kind == "add_technician":
        return f"hire {value.get('name')} (like {value.get('like', 'a new profile')})"
    if kind == "remove_technician":
        return f"{value} leaves"
    if kind == "absence":
        return f"{value['technician']} away {value['start']} to {value['end']}"
    if kind == "incident_factor":
        return f"incidents x {value:g}"
    if kind == "buffer":
        policy = value.get("policy")
        return f"buffer {policy} {value.get(BUFFER_FIELDS.get(policy, 'percent'))}"
    return kind.replace("_", " ")


def case_of(spec: dict[str, Any], base_data: dict[str, Any], folder: Path | None) -> Case:
    """The variant ``{name, changes}`` applied to the open scenario; ScenarioError names the
    variant and the change that cannot be applied."""
    source = f"variant '{spec['name']}'"
    variant = variant_from_data(spec, source, folder=folder or Path.cwd())
    applied = apply_variant(variant, base_data, folder=folder)
    return Case(variant.name, applied.scenario, applied.notes)


# -- the comparison ---------------------------------------------------------------------------
def comparison_table(comparison: Comparison) -> pd.DataFrame:
    """Key figures down; the base, then each variant and its change against the base."""
    rows = comparison.rows
    deltas = {d["variant"]: d for d in comparison.deltas}
    lines = []
    for key, title in table_keys(comparison):
        line: dict[str, Any] = {"Key figure": title.strip(), BASE: _value(rows[0].get(key))}
        for row in rows[1:]:
            name = row["variant"]
            line[name] = _value(row.get(key))
            line[f"{name}: change"] = _value(deltas[name].get(key), signed=True)
        lines.append(line)
    return pd.DataFrame(lines)


def _value(value: Any, signed: bool = False) -> str:
    sign = "+" if signed else ""
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:{sign},.1f}" if abs(value) >= 10 else f"{value:{sign},.3f}"
    if isinstance(value, int) and not isinstance(value, bool):
        return f"{value:{sign},d}"
    return str(value)


def comparison_figure(comparison: Comparison) -> go.Figure:
    """One small bar chart per key figure: the base and each variant side by side."""
    figures = [(key, title) for key, title in CHART_FIGURES
               if any(row.get(key) is not None for row in comparison.rows)]
    columns = 3
    rows = -(-len(figures) // columns)
    chart = make_subplots(rows=rows, cols=columns, subplot_titles=[t for _, t in figures],
                          vertical_spacing=0.3)
    names = [row["variant"] for row in comparison.rows]
    colours = ["#9e9e9e"] + [f"hsl({(47 * k) % 360}, 60%, 45%)" for k in range(1, len(names))]
    for k, (key, _) in enumerate(figures):
        at = {"row": k // columns + 1, "col": k % columns + 1}
        chart.add_trace(
            go.Bar(x=names, y=[row.get(key) for row in comparison.rows],
                   marker_color=colours, showlegend=False,
                   hovertemplate="%{x}: %{y:,.3g}<extra></extra>"),
            **at,
        )
        if key in ("utilisation", "sim_urgent_in_time"):
            chart.update_yaxes(tickformat=".0%", **at)
    chart.update_xaxes(tickangle=-20)
    chart.update_yaxes(rangemode="tozero")  # a figure that is 0 everywhere shows as 0
    chart.update_layout(height=330 * rows, margin={"l": 10, "r": 10, "t": 40, "b": 10})
    return chart

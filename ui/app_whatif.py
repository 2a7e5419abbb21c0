"""Pure helpers of the Staffing what-if page: a manager's choices as variant changes (the
format of ``models.variant``), and a comparison as a table and a chart."""

from __future__ import annotations

import math
import re
from datetime import date
from pathlib import Path
from typing import Any

import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from models.parsing import parse_document
from models.problems import ScenarioError
from models.variant import Variant, VariantScenario, apply_variant, variant_from_data
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
KEY_FIGURE = "Key figure"
CHANGE = " (change)"
"""Suffix of a variant's change column in the table (a variant's name may not end in it)."""


# -- the manager's choices as changes ---------------------------------------------------------
def new_id(name: str, taken: list[str]) -> str:
    """An id for a new technician from the name: lower case, letters and digits, unique."""
    stem = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-") or "new"
    found, n = stem, 2
    while found in taken:
        found, n = f"{stem}-{n}", n + 1
    return found


def hire(like: str, name: str, taken: list[str]) -> dict[str, Any]:
    """A technician like ``like``; without a name the new one is known by its id."""
    name = name.strip()
    spec = {"like": like, "id": new_id(name, taken)}
    return {"add_technician": (spec | {"name": name}) if name else spec}


def leave(technician: str) -> dict[str, Any]:
    return {"remove_technician": technician}


def absence(technician: str, start: date, end: date, reason: str) -> dict[str, Any]:
    return {"absence": {"technician": technician, "start": start.isoformat(),
                        "end": end.isoformat(), "reason": reason.strip() or "absence"}}


def incidents(factor: float) -> dict[str, Any]:
    return {"incident_factor": factor}


def buffer(policy: str, level: float) -> dict[str, Any]:
    """The buffer ``policy`` at ``level``; technicians on duty are a whole number (ValueError
    otherwise: 2.7 is not silently 2)."""
    value: float | int = level
    if policy == "duty":
        if not float(level).is_integer():
            raise ValueError(f"technicians on duty should be a whole number, got {level:g}")
        value = int(level)
    return {"buffer": {"policy": policy, BUFFER_FIELDS[policy]: value}}


def file_changes(name: str, raw: bytes, base_data: dict[str, Any],
                 folder: Path | None) -> tuple[str, list[dict[str, Any]]]:
    """The name and changes of an uploaded variant file, checked against the open scenario
    (``base_data``, read from ``folder``; the file's own ``base`` is ignored). Raises
    ScenarioError naming the file and each change that cannot be applied."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise ScenarioError(name, ["the file is not UTF-8 text"]) from None
    variant = variant_from_data(parse_document(text, name), name, folder=Path.cwd(),
                                stem=Path(name).stem)
    if not variant.changes and not variant.problems:
        raise ScenarioError(name, ["changes: the list is empty, so there is nothing to compare"])
    _applied(variant, base_data, folder)
    return variant.name, [{kind: value} for _, kind, value in variant.changes]


def variant_name(typed: str, changes: list[dict[str, Any]], taken: list[str],
                 suggested: str = "") -> tuple[str | None, str | None]:
    """The name of a new variant (typed, else ``suggested``, else its changes described) and
    None, or None and why there is no such variant."""
    if not changes:
        return None, "The variant has no changes, so there is nothing to compare."
    name = typed.strip() or suggested.strip() or "; ".join(map(describe, changes))
    if name in (BASE, KEY_FIGURE):
        return None, f"'{name}' names a column of the comparison; give the variant another name."
    if name in taken:
        return None, f"A variant named '{name}' exists already."
    if name.casefold().endswith(CHANGE.strip()):
        return None, (f"A variant name may not end in '{CHANGE.strip()}': the table names "
                      "each variant's change column so.")
    return name, None


def describe(change: Any) -> str:
    """One change in a manager's words; any value (a file may hold anything) is described,
    at worst by the kind of change."""
    if not isinstance(change, dict) or len(change) != 1:
        return "change"
    (kind, value), = change.items()
    said = _described(str(kind), value)
    return said if said is not None else str(kind).replace("_", " ")


def _described(kind: str, value: Any) -> str | None:
    """``value`` of a ``kind`` change in words; None when it is not the expected shape."""
    if kind == "add_technician" and isinstance(value, dict):
        who = _scalar(value.get("name")) or _scalar(value.get("id")) or "a technician"
        like = _scalar(value.get("like"))
        return f"hire {who} (like {like})" if like else f"hire {who}"
    if kind == "remove_technician" and _scalar(value):
        return f"{_scalar(value)} leaves"
    if kind == "absence" and isinstance(value, dict) and _scalar(value.get("technician")):
        start, end = _scalar(value.get("start")), _scalar(value.get("end"))
        when = f" {start} to {end}" if start and end else f" from {start}" if start else ""
        return f"{_scalar(value['technician'])} away{when}"
    if kind == "incident_factor" and _number(value):
        return f"incidents x {value:g}"
    if kind == "buffer":
        return _described_buffer(value)
    if kind == "add_customer" and isinstance(value, dict) and isinstance(value.get("customer"),
                                                                        dict):
        customer = value["customer"]
        who = _scalar(customer.get("name")) or _scalar(customer.get("id"))
        return f"new customer {who}" if who else "new customer"
    return None


def _described_buffer(value: Any) -> str | None:
    if value is None:
        return "no incident buffer"
    if not isinstance(value, dict) or not _scalar(value.get("policy")):
        return None
    policy = _scalar(value["policy"])
    level = _scalar(value.get(BUFFER_FIELDS.get(policy, policy)))
    return f"buffer {policy} {level}" if level else f"buffer {policy}"


def _scalar(value: Any) -> str:
    """A name, date or number from a file as text; "" for nothing, a list or a mapping."""
    if value is None or isinstance(value, dict | list | tuple | set):
        return ""
    return str(value).strip()


def _number(value: Any) -> bool:
    return (isinstance(value, int | float) and not isinstance(value, bool)
            and math.isfinite(value))


def case_of(spec: dict[str, Any], base_data: dict[str, Any], folder: Path | None) -> Case:
    """The variant ``{name, changes}`` applied to the open scenario; ScenarioError names the
    variant and the change that cannot be applied."""
    source = f"variant '{spec['name']}'"
    variant = variant_from_data(spec, source, folder=folder or Path.cwd())
    applied = _applied(variant, base_data, folder)
    return Case(variant.name, applied.scenario, applied.notes)


def _applied(variant: Variant, base_data: dict[str, Any], folder: Path | None) -> VariantScenario:
    """``apply_variant``; an error its checks did not expect is still a ScenarioError."""
    try:
        return apply_variant(variant, base_data, folder=folder)
    except ScenarioError:
        raise
    except (ValueError, TypeError, KeyError, OSError) as error:
        raise ScenarioError(variant.source, [f"cannot be applied: {error}"]) from error


# -- the comparison ---------------------------------------------------------------------------
def comparison_table(comparison: Comparison) -> pd.DataFrame:
    """Key figures down; the base, then each variant and its change against the base (the
    column ``<variant> (change)``; ``variant_name`` keeps names from colliding with it)."""
    rows = comparison.rows
    deltas = {d["variant"]: d for d in comparison.deltas}
    lines = []
    for key, title in table_keys(comparison):
        line: dict[str, Any] = {KEY_FIGURE: title.strip(), BASE: _value(rows[0].get(key))}
        for row in rows[1:]:
            name = row["variant"]
            line[name] = _value(row.get(key))
            line[f"{name}{CHANGE}"] = _value(deltas[name].get(key), signed=True)
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

"""Figures and tables of the app: plan and scenario in, plotly figures and DataFrames out.

Pure helpers (no Streamlit), so each can be tested alone. Times are shown as local wall-clock
times of the scenario's zone (plotly draws naive datetimes as they are).
"""

from __future__ import annotations

import io
import math
import zipfile
from collections.abc import Iterable
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Any

import pandas as pd
import plotly.express as px
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from models.ics import KIND_LABELS, CalendarFile
from models.plan import Plan
from models.prepare import Prepared
from models.records import PreparedItem
from solver.bound import EarliestFinish

if TYPE_CHECKING:
    from models.publish import Outcome

RESERVE = "Incident reserve"
ABSENCE = "Absence"
SHADED = (RESERVE, ABSENCE)
"""Bars that are not work: drawn pale, behind the colours of the work."""
KIND_COLOURS = {
    KIND_LABELS["project"]: "#1f77b4",
    KIND_LABELS["recurring"]: "#9467bd",
    KIND_LABELS["maintenance"]: "#ff7f0e",
    KIND_LABELS["service_request"]: "#2ca02c",
    RESERVE: "#c7c7c7",
    ABSENCE: "#e8b4b4",
}
INTERNAL = "(internal)"
"""Customer column of work without a customer."""
BAR_COLUMNS = ["technician", "technician_id", "item", "title", "kind", "customer", "start",
               "end"]
_DAY = timedelta(days=1)
_CLOCK_DAY = datetime(2000, 1, 3)
"""The day a week view draws every day on, so bars line up by time of day."""


# -- KPIs ------------------------------------------------------------------------------------
def kpi_cards(kpis: dict[str, Any]) -> list[tuple[str, str, str]]:
    """(label, value, explanation) of the key figures a planner looks at first."""
    return [
        ("Planned work", f"{kpis['planned_hours']:,.1f} h",
         f"of {kpis['capacity_hours']:,.1f} h the team is present"),
        ("Utilisation", f"{kpis['utilisation']:.0%}", "planned work / capacity"),
        ("Unscheduled", _items(kpis["unscheduled_items"]),
         f"{kpis['unscheduled_hours']:,.1f} h of work found no place"),
        ("Late", _items(kpis["late_items"]),
         f"{kpis['late_days']:,.1f} days after their due dates in all"),
        ("Buffer kept", f"{kpis['reserve_hours']:,.1f} h", "hours kept free for incidents"),
    ]


def _items(count: int) -> str:
    return f"{count} item" if count == 1 else f"{count} items"


# -- plan as bars ----------------------------------------------------------------------------
def _local(prepared: Prepared, moment: datetime) -> datetime:
    return moment.astimezone(prepared.zone).replace(tzinfo=None)


def _customer_names(prepared: Prepared) -> dict[str | None, str]:
    names: dict[str | None, str] = {c.id: c.label for c in prepared.scenario.customers}
    return names | {None: INTERNAL}


def plan_bars(prepared: Prepared, plan: Plan) -> pd.DataFrame:
    """One row per planned part, reserve block and absence: who, what, when (local)."""
    techs = {t.id: t.name for t in prepared.technicians}
    items = {item.id: item for item in prepared.items}
    customers = _customer_names(prepared)
    rows = []
    for a in plan.assignments:
        item = items.get(a.item)
        name = item.name if item else a.item
        parts = len(item.parts) if item else 1
        rows.append({
            "technician": techs.get(a.technician, a.technician), "technician_id": a.technician,
            "item": a.item, "title": name + (f" (part {a.part} of {parts})" if parts > 1 else ""),
            "kind": KIND_LABELS[a.kind],
            "customer": customers.get(item.customer if item else None, INTERNAL),
            "start": _local(prepared, a.start), "end": _local(prepared, a.end),
        })
    for r in plan.reserve:
        rows.append(_shaded(techs, r.technician, r.reason, RESERVE,
                            _local(prepared, r.start), _local(prepared, r.end)))
    rows += _absence_rows(prepared)
    return pd.DataFrame(rows, columns=BAR_COLUMNS)


def _shaded(techs: dict[str, str], tech: str, title: str, kind: str, start: datetime,
            end: datetime) -> dict[str, Any]:
    return {"technician": techs.get(tech, tech), "technician_id": tech, "item": "",
            "title": title, "kind": kind, "customer": "", "start": start, "end": end}


def _absence_rows(prepared: Prepared) -> list[dict[str, Any]]:
    """Absences inside the horizon (they may reach beyond it)."""
    techs = {t.id: t.name for t in prepared.technicians}
    rows = []
    for tech in prepared.technicians:
        for (start, end), reason in tech.absences:
            start, end = max(start, 0), min(end, prepared.horizon_end)
            if start < end:
                rows.append(_shaded(techs, tech.id, reason, ABSENCE,
                                    _local(prepared, prepared.moment(start)),
                                    _local(prepared, prepared.moment(end))))
    return rows


def filter_bars(
    bars: pd.DataFrame,
    technicians: Iterable[str] | None = None,
    customers: Iterable[str] | None = None,
    kinds: Iterable[str] | None = None,
) -> pd.DataFrame:
    """The bars of the chosen technicians, customers and kinds (None: all).

    The customer filter leaves reserve and absences in place: they belong to no customer and
    show when the chosen customer's work could not have been done.
    """
    keep = pd.Series(True, index=bars.index)
    if technicians is not None:
        keep &= bars["technician_id"].isin(list(technicians))
    if customers is not None:
        keep &= bars["customer"].isin(list(customers)) | bars["kind"].isin(SHADED)
    if kinds is not None:
        keep &= bars["kind"].isin(list(kinds))
    return bars[keep]


def _style(figure: go.Figure) -> go.Figure:
    for trace in figure.data:
        if trace.name in SHADED:
            trace.marker.opacity = 0.55
    figure.update_layout(legend={"title_text": "", "orientation": "h", "y": 1.0,
                                 "yanchor": "bottom", "x": 0},
                         margin={"l": 10, "r": 10, "t": 70, "b": 10})
    return figure


def gantt_figure(bars: pd.DataFrame, holidays: Iterable[date] = ()) -> go.Figure:
    """A timeline per technician, coloured by kind; public holidays as grey bands."""
    order = list(dict.fromkeys(bars.sort_values("technician")["technician"]))
    figure = px.timeline(
        bars, x_start="start", x_end="end", y="technician", color="kind",
        color_discrete_map=KIND_COLOURS, hover_name="title",
        hover_data={"customer": True, "item": True, "technician": False, "kind": True},
        category_orders={"technician": order, "kind": list(KIND_COLOURS)},
        title="Plan per technician",
    )
    for day in holidays:
        figure.add_vrect(x0=datetime.combine(day, datetime.min.time()),
                         x1=datetime.combine(day + _DAY, datetime.min.time()),
                         fillcolor="grey", opacity=0.15, line_width=0)
    figure.update_yaxes(title="")
    figure.update_layout(height=max(300, 160 + 34 * len(order)))
    return _style(figure)


# -- a technician's week ---------------------------------------------------------------------
def week_starts(prepared: Prepared) -> list[date]:
    """The Mondays of the weeks the horizon touches."""
    first, last = prepared.days[0].date, prepared.days[-1].date
    monday = first - timedelta(days=first.weekday())
    return [monday + timedelta(weeks=k) for k in range((last - monday).days // 7 + 1)]


def week_bars(bars: pd.DataFrame, technician_id: str, monday: date) -> pd.DataFrame:
    """The technician's bars in the week from ``monday``, one row per day and bar, each drawn
    on the same clock day (columns ``day``, ``from``, ``to``); bars over midnight are split."""
    mine = bars[bars["technician_id"] == technician_id]
    rows = []
    for row in mine.to_dict("records"):
        for day in range(7):
            start = datetime.combine(monday + timedelta(days=day), datetime.min.time())
            lo, hi = max(row["start"], start), min(row["end"], start + _DAY)
            if lo < hi:
                rows.append(row | {"day": f"{start:%a %d.%m.}",
                                   "from": _CLOCK_DAY + (lo - start),
                                   "to": _CLOCK_DAY + (hi - start)})
    return pd.DataFrame(rows, columns=[*BAR_COLUMNS, "day", "from", "to"])


def week_figure(week: pd.DataFrame, monday: date, title: str) -> go.Figure:
    """A week as seven rows (Monday on top), the hours of the day across."""
    days = [f"{monday + timedelta(days=k):%a %d.%m.}" for k in range(7)]
    figure = px.timeline(
        week, x_start="from", x_end="to", y="day", color="kind",
        color_discrete_map=KIND_COLOURS, hover_name="title",
        hover_data={"customer": True, "item": True, "day": False, "from": False, "to": False},
        category_orders={"day": days, "kind": list(KIND_COLOURS)}, title=title,
    )
    figure.update_yaxes(title="")
    figure.update_xaxes(tickformat="%H:%M", title="",
                        range=[_CLOCK_DAY + timedelta(hours=6), _CLOCK_DAY + timedelta(hours=22)])
    figure.update_layout(height=380)
    return _style(figure)


# -- what did not go to plan -----------------------------------------------------------------
def unscheduled_table(prepared: Prepared, plan: Plan) -> pd.DataFrame:
    """Items without a place in the plan, with the reason the planner gave."""
    items = {item.id: item for item in prepared.items}
    customers = _customer_names(prepared)
    rows = []
    for entry in plan.unscheduled:
        item = items.get(entry.item)
        rows.append({
            "Item": entry.item,
            "Name": item.name if item else "",
            "Kind": KIND_LABELS.get(item.kind, item.kind) if item else "",
            "Customer": customers.get(item.customer, INTERNAL) if item else "",
            "Priority": item.priority if item else None,
            "Effort (h)": round(item.effort / 60, 2) if item else None,
            "Why": entry.reason,
        })
    return pd.DataFrame(rows, columns=["Item", "Name", "Kind", "Customer", "Priority",
                                       "Effort (h)", "Why"])


def late_table(prepared: Prepared, plan: Plan) -> pd.DataFrame:
    """Scheduled items that end after their due or target date, latest first, with why."""
    ends: dict[str, datetime] = {}
    for a in plan.assignments:
        ends[a.item] = max(ends.get(a.item, a.end), a.end)
    items = {item.id: item for item in prepared.items}
    earliest_finish = EarliestFinish(prepared)
    rows = []
    for item_id, end in ends.items():
        item = items.get(item_id)
        if item is None or item.due is None:
            continue
        late = prepared.minute(end) - item.due
        if late > 0:
            rows.append({
                "Item": item.id, "Name": item.name, "Kind": KIND_LABELS[item.kind],
                "Due": f"{prepared.moment(item.due):%a %d.%m. %H:%M}",
                "Done": f"{_local(prepared, end):%a %d.%m. %H:%M}",
                "Days late": round(late / 1440, 2),
                "Why": _late_reason(prepared, item, ends, earliest_finish(item)),
            })
    frame = pd.DataFrame(rows, columns=["Item", "Name", "Kind", "Due", "Done", "Days late",
                                        "Why"])
    return frame.sort_values("Days late", ascending=False, ignore_index=True)


def _late_reason(
    prepared: Prepared, item: PreparedItem, ends: dict[str, datetime], earliest: float
) -> str:
    """The plainest cause a planner can check: late in any plan (``earliest``, the soonest it
    could end: ``solver.bound.EarliestFinish``), a late predecessor, or load."""
    assert item.due is not None
    if earliest > item.due:
        limits = ["its earliest start"]
        if item.after:
            limits.append("its predecessors")
        if item.windows is not None:
            limits.append("the customer's maintenance windows")
        return (f"late in any plan: {', '.join(limits)} and the skilled technicians' hours "
                f"let it end {prepared.moment(math.ceil(earliest)):%d.%m. %H:%M} at the soonest")
    for index in item.after:
        before = prepared.items[index]
        end = ends.get(before.id)
        if end is not None and prepared.minute(end) + item.effort > item.due:
            return f"waits for {before.name} ({before.id}), done {_local(prepared, end):%d.%m.}"
    skilled = len(item.eligible)
    who = "the one technician" if skilled == 1 else f"the {skilled} technicians"
    return f"{who} with the skills had no earlier free time (after reserve and other work)"


# -- buffer comparison -----------------------------------------------------------------------
def in_time_keys(rows: list[dict[str, Any]]) -> list[str]:
    """Row keys of the share of incidents answered in time per class (staffed hours)."""
    prefix = "sim_in_time_staffed_"
    return sorted(key for key in rows[0]
                  if key.startswith(prefix) and not key.endswith(("_low", "_high")))


def buffers_table(rows: list[dict[str, Any]], best: float | None) -> pd.DataFrame:
    """The comparison as a table, one row per level; the level that meets the target marked."""
    records = []
    for row in rows:
        record = {
            "Buffer level": row["level"],
            "Planned work (h)": row["planned_hours"],
            "Items done": row["scheduled_items"],
            "Late items": row["late_items"],
            "Displaced by incidents (h)": _rounded(row.get("sim_displaced_hours")),
            "Overtime (h)": _rounded(row.get("sim_overtime_hours")),
        }
        for key in in_time_keys(rows):
            record[f"{key.removeprefix('sim_in_time_staffed_')} in time"] = _share(row.get(key))
        record["Meets target"] = "yes (smallest)" if row["level"] == best else ""
        records.append(record)
    return pd.DataFrame(records)


def _rounded(value: float | None) -> float | None:
    return None if value is None else round(value, 1)


def _share(value: float | None) -> str:
    return "-" if value is None else f"{value:.1%}"


def _band(rows: list[dict[str, Any]], key: str, name: str) -> go.Scatter:
    """A line with its 95 % interval as error bars."""
    means = [row.get(key) for row in rows]
    high = [(row.get(f"{key}_high") or m or 0) - (m or 0) for row, m in zip(rows, means,
                                                                              strict=True)]
    low = [(m or 0) - (row.get(f"{key}_low") or m or 0) for row, m in zip(rows, means,
                                                                           strict=True)]
    return go.Scatter(x=[row["level"] for row in rows], y=means, name=name, mode="lines+markers",
                      error_y={"type": "data", "array": high, "arrayminus": low})


def tradeoff_figure(
    rows: list[dict[str, Any]], policy: str, best: float | None, target: float
) -> go.Figure:
    """Planned work done, incidents answered in time and planned hours displaced, over the
    buffer level; the smallest level that meets the target marked in green."""
    figure = make_subplots(rows=1, cols=3, subplot_titles=(
        "Planned work done (h)", "Incidents answered in time", "Planned hours displaced"))
    levels = [row["level"] for row in rows]
    figure.add_trace(go.Scatter(x=levels, y=[row["planned_hours"] for row in rows],
                                name="planned work", mode="lines+markers"), row=1, col=1)
    for key in in_time_keys(rows):
        figure.add_trace(_band(rows, key, key.removeprefix("sim_in_time_staffed_")),
                         row=1, col=2)
    figure.add_trace(_band(rows, "sim_displaced_hours", "displaced"), row=1, col=3)
    figure.add_hline(y=target, line_dash="dot", line_color="grey", row=1, col=2,
                     annotation_text=f"target {target:.0%}")
    figure.update_yaxes(tickformat=".0%", row=1, col=2)
    if best is not None:
        for col in (1, 2, 3):
            figure.add_vline(x=best, line_dash="dash", line_color="green", row=1, col=col)
    figure.update_xaxes(title=f"buffer ({policy})")
    figure.update_layout(height=420, margin={"l": 10, "r": 10, "t": 60, "b": 10},
                         title="Smallest level meeting the target: "
                         + ("none" if best is None else f"{best:g}") + " (green line)")
    return figure


# -- export ----------------------------------------------------------------------------------
def zip_of(files: list[CalendarFile]) -> bytes:
    """All calendars in one zip file."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for calendar in files:
            archive.writestr(calendar.name, calendar.data)
    return buffer.getvalue()


def outcome_table(outcomes: list[Outcome]) -> pd.DataFrame:
    """What publishing did, one row per technician's calendar."""
    return pd.DataFrame(
        [{"Technician": o.technician, "Calendar": o.collection,
          "New calendar": "yes" if o.new_collection else "", "Created": o.created,
          "Updated": o.updated, "Deleted": o.deleted, "Unchanged": o.unchanged}
         for o in outcomes],
        columns=["Technician", "Calendar", "New calendar", "Created", "Updated", "Deleted",
                 "Unchanged"])

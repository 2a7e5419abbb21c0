"""Ticket exports (CSV from a PSA or ITSM tool) fitted to the scenario's ``incidents:`` section.

Reading is forgiving row by row and strict about the file: ragged rows, missing values and
unparsable dates are counted and reported, never fatal unless no row is usable; a missing,
binary or unknown-column file is a `ScenarioError` naming the problem.

What the fit estimates, from the rows' opened time (local wall clock as exported):

- ``per_day``: mean arrivals on a working day (Mon-Fri) over the observed days;
- ``profile``: mean arrivals in each hour of each weekday, scaled so that the mean of the
  five working days' totals equals ``per_day`` (public holidays are not known and count as
  ordinary days);
- ``handling``: from resolved - opened (see `models.ticket_stats.handling_estimate`);
- ``priorities``: shares of the priority labels, mapped to P1..P5
  (see `models.ticket_stats.priority_class`).
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path

import numpy as np

from models.problems import ScenarioError
from models.scenario_incidents import Incidents
from models.ticket_csv import date_reader, find_column, is_missing, read_table
from models.ticket_stats import (
    arrival_profile,
    format_minutes,
    handling_estimate,
    priority_class,
    rounded,
)

# fmt: off
OPENED = (
    "opened_at", "opened", "opened on", "open date", "created", "created at", "created on",
    "created date", "creation date", "create date", "date created", "date opened",
    "date entered", "sys_created_on", "submitted", "reported", "erstellt", "erstellt am",
    "angelegt", "angelegt am", "eröffnet",
)
# fmt: on
"""Column names tried for the opened time, in order (case, spaces, ``_`` and ``-`` ignored)."""
PRIORITY = ("priority", "prio", "priority level", "priorität", "severity")
# fmt: off
RESOLVED = (
    "resolved_at", "resolved", "resolved on", "resolved date", "date resolved",
    "resolution date", "completed", "completed date", "date completed", "gelöst", "gelöst am",
    "erledigt", "erledigt am", "closed_at", "closed", "date closed", "geschlossen",
)
# fmt: on
"""Resolved before closed: ServiceNow closes resolved incidents days later automatically."""
RESPONSE = {"P1": "30m", "P2": "2h", "P3": "8h", "P4": "24h", "P5": "72h"}
"""Default response targets: P1 critical 30m, P2 high 2h, P3 normal 8h (a working day),
P4 low 24h, P5 planning 72h. Hours, not ``d``: in the scenario format ``d`` means working
days (lead times) and is not part of a duration's minutes."""
OTHER_RESPONSE = "8h"
"""Response target of a priority label that maps to no P1..P5."""
MAX_OTHER_LABELS = 12
"""More distinct unmapped labels than this: the column is not a priority."""
LONG_HANDLING = 8 * 60
"""A median resolved - opened time above this many minutes is flagged as elapsed time."""


@dataclass(frozen=True)
class FitOptions:
    """How to read the export: column names (None: try the usual names), date format, window.

    Attributes
    ----------
    opened, priority, resolved : str or None
        Column names; ``None`` tries `OPENED`, `PRIORITY`, `RESOLVED`.
    date_format : str or None
        A ``strptime`` format; ``None`` detects one (day-first when ambiguous).
    scale_per_day : float or None
        Rescale arrivals so that ``per_day`` equals this, keeping the shape.
    start, end : date or None
        Use only tickets opened on these days (inclusive); they also bound the observed days.
    max_handling : float or None
        Minutes; longer resolved - opened times are dropped from the handling estimate.
    """

    opened: str | None = None
    priority: str | None = None
    resolved: str | None = None
    date_format: str | None = None
    scale_per_day: float | None = None
    start: date | None = None
    end: date | None = None
    max_handling: float | None = None


@dataclass
class TicketFit:
    """The fitted section with what was read, skipped and assumed on the way.

    Attributes
    ----------
    incidents : Incidents
        The validated ``incidents:`` section.
    rows : int
        Data rows in the file.
    used : int
        Rows whose arrival was counted.
    skipped : Counter
        Rows not used, by reason.
    notes : list of str
        Further facts a user should know (defaults taken, values left out).
    first, last : date
        The observed days.
    """

    incidents: Incidents
    rows: int
    used: int
    skipped: Counter[str]
    notes: list[str] = field(default_factory=list)
    first: date = date.min
    last: date = date.min


# -- the fit ---------------------------------------------------------------------------------
def _shares(labels: Counter[str]) -> list[dict[str, object]]:
    total = sum(labels.values())
    names = sorted(labels, key=lambda n: (not re.fullmatch(r"P[1-5]", n), n))
    shares = [round(labels[n] / total, 4) for n in names]
    largest = shares.index(max(shares))
    shares[largest] = round(1 - sum(shares) + shares[largest], 4)  # the sum is exactly 1
    return [
        {"name": n, "share": s, "response": RESPONSE.get(n, OTHER_RESPONSE)}
        for n, s in zip(names, shares, strict=True)
    ]


@dataclass
class _Rows:
    """The usable rows' columns, and the rows left out by reason (with a first example)."""

    opened: list[datetime] = field(default_factory=list)
    resolved: list[str] = field(default_factory=list)
    priority: list[str] = field(default_factory=list)
    skipped: Counter[str] = field(default_factory=Counter)
    examples: dict[str, str] = field(default_factory=dict)

    def skip(self, reason: str, example: str = "") -> None:
        self.skipped[reason] += 1
        if example:
            self.examples.setdefault(reason, example)


def fit_tickets(path: Path, options: FitOptions | None = None) -> TicketFit:
    """Read a ticket export and fit the ``incidents:`` section to it.

    Parameters
    ----------
    path : Path
        The CSV export, one row per ticket.
    options : FitOptions, optional
        Columns, date format, window, scaling.

    Returns
    -------
    TicketFit

    Raises
    ------
    ScenarioError
        The file cannot be read, a named column does not exist, or no row is usable.
    """
    options = options or FitOptions()
    source = str(path)
    header, table = read_table(path)
    if not table:
        raise ScenarioError(source, ["has a header row but no tickets"])
    columns = [
        find_column(header, options.opened, OPENED, "--opened", source),
        find_column(header, options.priority, PRIORITY, "--priority", source),
        find_column(header, options.resolved, RESOLVED, "--resolved", source),
    ]
    if columns[0] is None:
        raise ScenarioError(source, [_no_opened(header)])
    rows = _usable_rows(table, len(header), columns, options)
    if not rows.opened:
        given = f" with --date-format '{options.date_format}'" if options.date_format else ""
        raise ScenarioError(source, [f"no usable rows{given}: {_reasons(rows)}"])
    first = options.start or min(rows.opened).date()
    last = options.end or max(rows.opened).date()
    try:
        per_day, profile = arrival_profile(rows.opened, first, last)
    except ValueError as error:
        raise ScenarioError(source, [f"{error} ({first} .. {last})"]) from None
    notes: list[str] = []
    if options.scale_per_day is not None:
        per_day, profile = _scaled(per_day, profile, options.scale_per_day, notes, source)
    handling = _handling(rows, header, columns[2], options, notes)
    priorities = _priorities(rows, header, columns[1], notes, source)
    if all(t.hour == 0 and t.minute == 0 for t in rows.opened):
        notes.append("every opened time is 00:00 (dates only): the hourly shape is meaningless")
    incidents = Incidents.model_validate(
        {
            "per_day": rounded(per_day),
            "profile": profile,
            "handling": handling,
            "priorities": priorities,
        }
    )
    return TicketFit(
        incidents, len(table), len(rows.opened), rows.skipped, notes, first=first, last=last
    )


def _no_opened(header: Sequence[str]) -> str:
    return (
        "no column with the opened time found (tried opened_at, created, ...); name it with "
        f"--opened; columns: {', '.join(header)}"
    )


def _usable_rows(
    table: list[list[str]], width: int, columns: list[int | None], options: FitOptions
) -> _Rows:
    """Rows with a parsable opened time inside the window; the others counted by reason."""
    opened_at, priority_at, resolved_at = columns
    assert opened_at is not None
    rows, kept = _Rows(), []
    for row in table:
        if not any(cell.strip() for cell in row):
            rows.skip("empty")
        elif len(row) != width:
            rows.skip("ragged", f"{len(row)} fields, header has {width}")
        elif is_missing(row[opened_at]):
            rows.skip("missing opened date")
        else:
            kept.append(row)
    parse = date_reader([row[opened_at] for row in kept], options.date_format)
    for row in kept:
        opened = parse(row[opened_at])
        if opened is None:
            rows.skip("unparsable opened date", row[opened_at].strip())
        elif (options.start and opened.date() < options.start) or (
            options.end and opened.date() > options.end
        ):
            rows.skip("outside --from/--to")
        else:
            rows.opened.append(opened)
            rows.resolved.append(row[resolved_at] if resolved_at is not None else "")
            rows.priority.append(row[priority_at] if priority_at is not None else "")
    return rows


def _reasons(rows: _Rows) -> str:
    parts = []
    for reason, count in rows.skipped.most_common():
        example = rows.examples.get(reason)
        parts.append(f"{count} {reason}" + (f" (e.g. '{example[:40]}')" if example else ""))
    return ", ".join(parts)


def skipped_message(fit: TicketFit) -> str | None:
    """``"skipped 12 rows: 10 unparsable opened date, 2 ragged"``, or None if none was."""
    total = sum(fit.skipped.values())
    if not total:
        return None
    reasons = sorted(fit.skipped.items(), key=lambda item: (-item[1], item[0]))
    parts = ", ".join(f"{count} {reason}" for reason, count in reasons)
    return f"skipped {total} {'row' if total == 1 else 'rows'}: {parts}"


def _scaled(
    per_day: float, profile: dict[str, list[float]], target: float, notes: list[str], source: str
) -> tuple[float, dict[str, list[float]]]:
    if per_day <= 0:
        raise ScenarioError(source, ["no arrivals on working days: nothing to scale"])
    factor = target / per_day
    notes.append(f"scaled arrivals by {factor:.4g} (from {per_day:.1f} to {target:g} per day)")
    scaled = {day: [rounded(w * factor) for w in weights] for day, weights in profile.items()}
    return target, scaled


def _handling(
    rows: _Rows,
    header: Sequence[str],
    resolved_at: int | None,
    options: FitOptions,
    notes: list[str],
) -> dict[str, object]:
    """Handling mean and cv from resolved - opened; a default if no time is usable."""
    default = {"mean": "45m", "cv": 1.0}
    if resolved_at is None:
        notes.append("no resolved column: handling set to the default 45m, cv 1.0")
        return default
    present = [v for v in rows.resolved if not is_missing(v)]
    parse = date_reader(present, options.date_format)
    minutes, dropped = [], Counter[str]()
    for opened, text in zip(rows.opened, rows.resolved, strict=True):
        resolved = None if is_missing(text) else parse(text)
        if resolved is None:
            dropped["no resolved date" if is_missing(text) else "unparsable resolved date"] += 1
            continue
        span = (resolved - opened).total_seconds() / 60
        if span < 0:
            dropped["resolved before opened"] += 1
        elif options.max_handling is not None and span > options.max_handling:
            dropped["longer than --max-handling"] += 1
        else:
            minutes.append(span)
    if dropped:
        parts = ", ".join(f"{n} {why}" for why, n in dropped.most_common())
        notes.append(f"handling time from {len(minutes)} tickets; left out {parts}")
    if not minutes:
        notes.append(f"no usable {header[resolved_at]}: handling set to the default 45m, cv 1.0")
        return default
    mean, cv = handling_estimate(np.asarray(minutes))
    median = float(np.median(minutes))
    if median > LONG_HANDLING:
        notes.append(
            f"median resolved - opened is {format_minutes(median)}: that is elapsed time "
            "(waiting, nights, weekends), not effort; try --max-handling or set handling by hand"
        )
    return {"mean": format_minutes(mean), "cv": round(cv, 2)}


def _priorities(
    rows: _Rows, header: Sequence[str], priority_at: int | None, notes: list[str], source: str
) -> list[dict[str, object]]:
    """Shares of the priority classes; one class P3 if the column is missing or empty."""
    labels = Counter(priority_class(v) for v in rows.priority if not is_missing(v))
    if priority_at is None or not labels:
        why = "no priority column" if priority_at is None else f"{header[priority_at]} is empty"
        notes.append(f"{why}: all incidents are one class P3")
        return [{"name": "P3", "share": 1.0, "response": RESPONSE["P3"]}]
    other = sorted(n for n in labels if not re.fullmatch(r"P[1-5]", n))
    if len(other) > MAX_OTHER_LABELS:
        raise ScenarioError(
            source,
            [
                f"column '{header[priority_at]}' does not look like a priority ({len(labels)} "
                "distinct values); name the right one with --priority"
            ],
        )
    if other:
        notes.append(
            f"priority labels kept as written (response {OTHER_RESPONSE}): " + ", ".join(other)
        )
    missing = len(rows.priority) - sum(labels.values())
    if missing:
        notes.append(f"{missing} tickets without priority left out of the shares")
    return _shares(labels)

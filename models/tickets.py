"""Ticket exports (CSV from a PSA or ITSM tool) fitted to the scenario's ``incidents:`` section.

Reading is forgiving row by row and strict about the file: ragged rows, missing values and
unparsable dates are counted and reported, never fatal unless no row is usable; a missing,
binary or unknown-column file is a `ScenarioError` naming the problem.

What the fit estimates, from the rows' opened time (local wall clock as exported):

- ``per_day``: mean arrivals on a working day (Mon-Fri) over the observed days;
- ``profile``: mean arrivals in each hour of each weekday, scaled so that the mean of the
  five working days' totals equals ``per_day`` (public holidays are not known and count as
  ordinary days);
- ``handling``: from resolved - opened (see `handling_estimate`);
- ``priorities``: shares of the priority labels, mapped to P1..P5 (see `priority_class`).
"""

from __future__ import annotations

import csv
import difflib
import io
import re
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path

import numpy as np
from dateutil import parser as date_parser

from models.io import read_bytes
from models.problems import ScenarioError
from models.scenario import WEEKDAYS, Incidents

MAX_BYTES = 512 * 1024 * 1024
"""Largest export read; a year of a big ITSM instance stays far below."""
MISSING = frozenset({"", "?", "-", "n/a", "na", "null", "none", "nan", "#n/a"})
"""Cell values that mean "no value" (compared lower-case)."""
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
_WORDS = dict.fromkeys(("critical", "kritisch", "urgent", "dringend"), 1)
_WORDS |= dict.fromkeys(("high", "hoch"), 2) | dict.fromkeys(("low", "niedrig"), 4)
_WORDS |= dict.fromkeys(("medium", "moderate", "normal", "mittel"), 3)
_WORDS |= dict.fromkeys(("planning", "planung"), 5)
_LEADING = re.compile(r"\s*(?:p|prio(?:rity|rität)?)?\s*[-:#]?\s*([1-5])(?![0-9])", re.I)
MAX_OTHER_LABELS = 12
"""More distinct unmapped labels than this: the column is not a priority."""
# fmt: off
FORMATS = (
    "%d/%m/%Y %H:%M", "%d/%m/%Y %H:%M:%S", "%d.%m.%Y %H:%M", "%d.%m.%Y %H:%M:%S",
    "%d-%m-%Y %H:%M", "%d-%m-%Y %H:%M:%S", "iso", "%Y/%m/%d %H:%M:%S", "%Y/%m/%d %H:%M",
    "%m/%d/%Y %H:%M", "%m/%d/%Y %H:%M:%S", "%m/%d/%Y %I:%M %p", "%m/%d/%Y %I:%M:%S %p",
    "%d/%m/%y %H:%M", "%d.%m.%y %H:%M", "%d/%m/%Y", "%d.%m.%Y", "%m/%d/%Y",
)
# fmt: on
"""Explicit formats tried on a sample, day-first first; the best one parses the column."""
_DATE_LIKE = re.compile(r"[0-9]{4}|[0-9]{1,2}[./-][0-9]{1,2}[./-][0-9]{2}")
SAMPLE = 500
"""Values of a column tried against each of `FORMATS`."""
CAP_QUANTILE = 0.95
"""Handling times above this quantile are capped to it (winsorised)."""
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


# -- reading ---------------------------------------------------------------------------------
def read_table(path: Path) -> tuple[list[str], list[list[str]]]:
    """Header and rows of a CSV export; delimiter ``,`` ``;`` tab or ``|`` from the header.

    Raises
    ------
    ScenarioError
        The file is missing, a directory, binary, empty or not text.
    """
    source = str(path)
    raw = _read_bytes(path)
    if b"\x00" in raw[:65536]:
        hint = " (an Excel workbook?)" if raw.startswith(b"PK\x03\x04") else ""
        raise ScenarioError(source, [f"is a binary file{hint}, not CSV; export it as CSV"])
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise ScenarioError(
            source, [f"is not UTF-8 text (byte {error.start}); export it as UTF-8 CSV"]
        ) from None
    first_line = text.lstrip("\r\n").split("\n", 1)[0]
    if not first_line.strip():
        raise ScenarioError(source, ["is empty; expected a CSV export with a header row"])
    delimiter = max(",;\t|", key=first_line.count)
    limit = csv.field_size_limit(MAX_BYTES)  # long ticket descriptions are no error
    try:
        table = list(csv.reader(io.StringIO(text.lstrip("\r\n")), delimiter=delimiter))
    except csv.Error as error:
        raise ScenarioError(source, [f"is not readable as CSV: {error}"]) from None
    finally:
        csv.field_size_limit(limit)
    header = [name.strip() for name in table[0]]
    return header, table[1:]


def _read_bytes(path: Path) -> bytes:
    return read_bytes(path, wanted="a ticket export (CSV)", limit=MAX_BYTES)


def _plain(name: str) -> str:
    return re.sub(r"[\s_\-]+", "", name.casefold())


def find_column(
    header: Sequence[str], wanted: str | None, candidates: Sequence[str], role: str, source: str
) -> int | None:
    """Index of the column ``wanted`` (or the first candidate present); None if no candidate.

    Raises
    ------
    ScenarioError
        ``wanted`` names no column: the message lists the columns and the nearest name.
    """
    plain = [_plain(name) for name in header]
    if wanted is None:
        for candidate in candidates:
            if _plain(candidate) in plain:
                return plain.index(_plain(candidate))
        return None
    if wanted in header:
        return header.index(wanted)
    if _plain(wanted) in plain:
        return plain.index(_plain(wanted))
    close = difflib.get_close_matches(wanted, list(header), n=1, cutoff=0.5)
    hint = f" (did you mean '{close[0]}'?)" if close else ""
    raise ScenarioError(
        source, [f"no column '{wanted}' for {role}{hint}; columns: {', '.join(header)}"]
    )


def is_missing(value: str) -> bool:
    """True for an empty cell or a placeholder such as ``?``, ``N/A``, ``NULL``."""
    return value.strip().casefold() in MISSING


# -- dates -----------------------------------------------------------------------------------
def _parse_with(fmt: str) -> Callable[[str], datetime]:
    if fmt == "iso":
        return datetime.fromisoformat
    return lambda value: datetime.strptime(value, fmt)


def detect_format(values: Sequence[str]) -> str | None:
    """The format of `FORMATS` that parses most of ``values`` (first wins ties); None if none."""
    sample = [v.strip() for v in values[:SAMPLE]]
    best, best_count = None, 0
    for fmt in FORMATS:
        parse, count = _parse_with(fmt), 0
        for value in sample:
            try:
                parse(value)
                count += 1
            except ValueError:
                pass
        if count > best_count:
            best, best_count = fmt, count
    return best


def date_reader(values: Sequence[str], fmt: str | None) -> Callable[[str], datetime | None]:
    """A parser for one column: ``fmt`` only if given; else the detected format, then dateutil.

    The parser returns None for an unparsable value and drops time zones (the hour of
    the day is read as written).
    """
    if fmt is not None:
        return _strict(_parse_with(fmt))
    detected = detect_format(values)
    fast = _parse_with(detected) if detected else None

    def parse(value: str) -> datetime | None:
        text = value.strip()
        if fast is not None:
            try:
                return fast(text).replace(tzinfo=None)
            except ValueError:
                pass
        if not _DATE_LIKE.search(text):
            return None
        try:
            return date_parser.parse(text, dayfirst=True).replace(tzinfo=None)
        except (ValueError, OverflowError):
            return None

    return parse


def _strict(parse: Callable[[str], datetime]) -> Callable[[str], datetime | None]:
    def strict(value: str) -> datetime | None:
        try:
            return parse(value.strip()).replace(tzinfo=None)
        except ValueError:
            return None

    return strict


# -- the fit ---------------------------------------------------------------------------------
def priority_class(label: str) -> str:
    """``"1 - Critical"``, ``"P1"``, ``"Critical"`` -> ``"P1"``; unknown labels stay as written."""
    match = _LEADING.match(label)
    if match:
        return f"P{match[1]}"
    word = label.strip().casefold()
    if word in _WORDS:
        return f"P{_WORDS[word]}"
    return label.strip()[:40]


def handling_estimate(minutes: np.ndarray) -> tuple[float, float]:
    """Mean and coefficient of variation of handling minutes, robust to a long tail.

    Values above the `CAP_QUANTILE` quantile are capped to it (winsorised) before mean and
    cv are taken: a ticket left open for weeks then counts like one at the quantile, so a
    few forgotten tickets cannot dominate the mean, yet a heavy tail still raises cv.
    """
    cap = float(np.quantile(minutes, CAP_QUANTILE))
    capped = np.minimum(minutes, cap)
    mean = float(capped.mean())
    cv = float(capped.std() / mean) if mean > 0 else 0.0
    return mean, cv


def format_minutes(minutes: float) -> str:
    """Whole minutes as a scenario duration without days: 45m, 3h20m, 50h."""
    total = max(1, round(minutes))
    hours, rest = divmod(total, 60)
    return (f"{hours}h" if hours else "") + (f"{rest}m" if rest or not hours else "")


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


def _rounded(value: float) -> float:
    return float(f"{value:.4g}")


def arrival_profile(
    opened: Sequence[datetime], first: date, last: date
) -> tuple[float, dict[str, list[float]]]:
    """``per_day`` and the weekday/hour weights of arrivals observed from ``first`` to ``last``.

    Returns
    -------
    per_day : float
        Arrivals per working day (Mon-Fri) of the period.
    profile : dict
        Weekday -> 24 mean arrivals per hour, scaled so that the mean of the five working
        days' totals is ``per_day``.
    """
    counts = np.zeros((7, 24))
    np.add.at(counts, ([t.weekday() for t in opened], [t.hour for t in opened]), 1)
    days = np.zeros(7)
    for offset in range((last - first).days + 1):
        days[(first + timedelta(days=offset)).weekday()] += 1
    if not days[:5].sum():
        raise ValueError("the period holds no working day (Mon-Fri)")
    per_day = counts[:5].sum() / days[:5].sum()
    mean = counts / np.maximum(days, 1)[:, None]
    working_total = mean[:5].sum(axis=1)[days[:5] > 0].mean()
    if working_total > 0:
        mean *= per_day / working_total
    return float(per_day), {d: [_rounded(v) for v in mean[i]] for i, d in enumerate(WEEKDAYS)}


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
            "per_day": _rounded(per_day),
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
    scaled = {day: [_rounded(w * factor) for w in weights] for day, weights in profile.items()}
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

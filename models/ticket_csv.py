"""Reading a ticket export: the CSV table, its columns, empty cells and date values.

Kept apart from the fit (`models.tickets`) because it knows only files and cells, never
tickets: which delimiter, which column a name means, whether a cell holds a value, how a
column writes its dates. A missing, binary or non-text file is a `ScenarioError` naming the
problem; an unparsable date is None, for the caller to count.
"""

from __future__ import annotations

import csv
import difflib
import io
import re
from collections.abc import Callable, Sequence
from datetime import datetime
from pathlib import Path

from dateutil import parser as date_parser

from models.io import read_bytes
from models.problems import ScenarioError

MAX_BYTES = 512 * 1024 * 1024
"""Largest export read; a year of a big ITSM instance stays far below."""
MISSING = frozenset({"", "?", "-", "n/a", "na", "null", "none", "nan", "#n/a"})
"""Cell values that mean "no value" (compared lower-case)."""
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

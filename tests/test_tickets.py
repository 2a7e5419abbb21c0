"""Reading ticket exports and fitting the ``incidents:`` section (``models.tickets``,
``models.ticket_csv``, ``models.ticket_stats``).

The real ServiceNow export in ../shared/data must be there: a missing file fails the test.
"""

from __future__ import annotations

import time
from datetime import date
from pathlib import Path

import numpy as np
import pytest

from models.problems import ScenarioError
from models.scenario_fields import WEEKDAYS
from models.scenario_incidents import Incidents
from models.ticket_csv import detect_format
from models.ticket_stats import format_minutes, handling_estimate, priority_class
from models.tickets import FitOptions, TicketFit, fit_tickets, skipped_message

SERVICENOW = Path(__file__).resolve().parents[2] / "shared" / "data" / "servicenow_incidents.csv"


def _weights(incidents: Incidents) -> np.ndarray:
    assert isinstance(incidents.profile, dict)
    profile = {str(day): weights for day, weights in incidents.profile.items()}
    return np.array([profile[day] for day in WEEKDAYS])


@pytest.fixture(scope="module")
def servicenow() -> TicketFit:
    """The ServiceNow export fitted with the defaults (20,769 incidents, 11 weeks)."""
    assert SERVICENOW.is_file(), f"{SERVICENOW} is missing"
    return fit_tickets(SERVICENOW)


def test_servicenow_fits_out_of_the_box(servicenow: TicketFit) -> None:
    assert servicenow.rows == servicenow.used == 20_769
    assert not servicenow.skipped
    assert str(servicenow.first) == "2016-02-29"
    assert str(servicenow.last) == "2016-05-13"
    assert servicenow.incidents.per_day == pytest.approx(19_812 / 55, rel=1e-3)


def test_servicenow_monday_is_the_busiest_weekday(servicenow: TicketFit) -> None:
    totals = _weights(servicenow.incidents).sum(axis=1)
    assert int(np.argmax(totals)) == 0
    assert totals[5:].max() < totals[:5].min() / 3


def test_servicenow_morning_peak(servicenow: TicketFit) -> None:
    working = _weights(servicenow.incidents)[:5].mean(axis=0)
    assert set(np.argsort(working)[-4:]) == {8, 9, 10, 11}


def test_servicenow_priorities_and_handling(servicenow: TicketFit) -> None:
    shares = {p.name: p.share for p in servicenow.incidents.priorities}
    assert list(shares) == ["P1", "P2", "P3", "P4"]
    assert sum(shares.values()) == pytest.approx(1)
    assert shares["P3"] == pytest.approx(19_554 / 20_769, abs=1e-4)
    assert shares["P1"] == pytest.approx(220 / 20_769, abs=1e-4)
    handling = servicenow.incidents.handling
    assert handling.mean.days == 0
    assert 24 * 60 < handling.mean.minutes < 30 * 24 * 60  # elapsed time, not effort
    assert any("1418 no resolved date" in note for note in servicenow.notes)
    assert any("elapsed time" in note for note in servicenow.notes)


def test_profile_total_equals_per_day(servicenow: TicketFit) -> None:
    working_totals = _weights(servicenow.incidents)[:5].sum(axis=1)
    assert working_totals.mean() == pytest.approx(servicenow.incidents.per_day, rel=1e-3)


def test_servicenow_fit_is_fast() -> None:
    started = time.perf_counter()
    fit_tickets(SERVICENOW)
    assert time.perf_counter() - started < 5


def test_scaling_keeps_the_shape(servicenow: TicketFit) -> None:
    scaled = fit_tickets(SERVICENOW, FitOptions(scale_per_day=6.5))
    assert scaled.incidents.per_day == 6.5
    big, small = _weights(servicenow.incidents), _weights(scaled.incidents)
    assert small[:5].sum(axis=1).mean() == pytest.approx(6.5, rel=1e-3)
    assert small == pytest.approx(big * 6.5 / servicenow.incidents.per_day, rel=1e-3, abs=1e-6)


def test_window_limits_the_observed_days() -> None:
    april = fit_tickets(SERVICENOW, FitOptions(start=_day("2016-04-01"), end=_day("2016-04-30")))
    assert (str(april.first), str(april.last)) == ("2016-04-01", "2016-04-30")
    assert april.skipped["outside --from/--to"] == april.rows - april.used > 0


def _day(text: str) -> date:
    return date.fromisoformat(text)


# -- small exports -------------------------------------------------------------------------------
def _write(tmp_path: Path, text: str, name: str = "tickets.csv", bom: bool = False) -> Path:
    path = tmp_path / name
    path.write_bytes((b"\xef\xbb\xbf" if bom else b"") + text.encode("utf-8"))
    return path


GERMAN = """Ticket;Erstellt;Priorität;Gelöst
1;29.02.2016 08:15;P1;29.02.2016 08:45
2;29.02.2016 09:05;P2;29.02.2016 11:05
3;01.03.2016 10:00;P3;01.03.2016 10:45
4;?;P3;01.03.2016 12:00
5;kaputt;P3;
6;02.03.2016 14:30;;02.03.2016 14:00
7;02.03.2016 15:00;P4
8;03.03.2016 16:10;Critical;03.03.2016 16:40
"""


def test_semicolons_bom_german_names_and_bad_rows(tmp_path: Path) -> None:
    fit = fit_tickets(_write(tmp_path, GERMAN, bom=True))
    assert (fit.rows, fit.used) == (8, 5)
    assert fit.skipped == {"missing opened date": 1, "unparsable opened date": 1, "ragged": 1}
    assert skipped_message(fit) == (
        "skipped 3 rows: 1 missing opened date, 1 ragged, 1 unparsable opened date"
    )
    shares = {p.name: p.share for p in fit.incidents.priorities}
    assert shares == {"P1": 0.5, "P2": 0.25, "P3": 0.25}
    assert any("resolved before opened" in note for note in fit.notes)
    assert fit.incidents.handling.mean.minutes > 0
    weights = _weights(fit.incidents)
    assert weights[0, 8:10].tolist() == [1.0, 1.0]  # Monday 29 Feb, 08:15 and 09:05


PSA = """Ticket Number,Created,Priority,Completed Date,Title
T1,2024-03-04 08:10:00,High,2024-03-04 09:10:00,"VPN down, again"
T2,2024-03-04 09:20:00,Medium,2024-03-04 09:50:00,Printer
T3,2024-03-05 13:00:00,Low,2024-03-05 15:00:00,New user
"""


def test_common_psa_names_and_iso_dates(tmp_path: Path) -> None:
    fit = fit_tickets(_write(tmp_path, PSA))
    assert fit.used == 3
    assert [p.name for p in fit.incidents.priorities] == ["P2", "P3", "P4"]
    # 30, 60 and 120 minutes; 120 is capped to the 95th percentile, 114: mean 68
    assert str(fit.incidents.handling.mean) == "1h8m"


def test_month_first_dates_are_detected(tmp_path: Path) -> None:
    text = "opened_at,priority\n02/29/2016 08:15,1\n03/01/2016 13:00,2\n03/14/2016 09:00,3\n"
    fit = fit_tickets(_write(tmp_path, text))
    assert (str(fit.first), str(fit.last)) == ("2016-02-29", "2016-03-14")


def test_explicit_date_format(tmp_path: Path) -> None:
    text = "opened_at\n2016|02|29 08h15\n2016|03|01 13h00\n"
    fit = fit_tickets(_write(tmp_path, text), FitOptions(date_format="%Y|%m|%d %Hh%M"))
    assert fit.used == 2
    with pytest.raises(ScenarioError, match="no usable rows with --date-format"):
        fit_tickets(_write(tmp_path, text), FitOptions(date_format="%d.%m.%Y"))


def test_missing_columns_take_defaults(tmp_path: Path) -> None:
    fit = fit_tickets(_write(tmp_path, "opened\n29/2/2016 08:00\n1/3/2016 09:30\n"))
    assert [(p.name, p.share) for p in fit.incidents.priorities] == [("P3", 1.0)]
    assert str(fit.incidents.handling.mean) == "45m"
    assert any("no priority column" in note for note in fit.notes)
    assert any("no resolved column" in note for note in fit.notes)


def test_unknown_column_names_the_nearest(tmp_path: Path) -> None:
    path = _write(tmp_path, "number,opened_at,priority\nINC1,29/2/2016 08:00,1\n")
    with pytest.raises(ScenarioError) as caught:
        fit_tickets(path, FitOptions(opened="opend_at"))
    message = str(caught.value)
    assert "no column 'opend_at'" in message
    assert "did you mean 'opened_at'?" in message
    assert "columns: number, opened_at, priority" in message


def test_no_opened_column(tmp_path: Path) -> None:
    with pytest.raises(ScenarioError, match="no column with the opened time"):
        fit_tickets(_write(tmp_path, "number,priority\nINC1,1\n"))


def test_a_priority_column_with_ids_is_rejected(tmp_path: Path) -> None:
    rows = "".join(f"INC{i},29/2/2016 08:00\n" for i in range(30))
    path = _write(tmp_path, "number,opened\n" + rows)
    with pytest.raises(ScenarioError, match="does not look like a priority"):
        fit_tickets(path, FitOptions(priority="number"))


@pytest.mark.parametrize(
    ("content", "fragment"),
    [
        (None, "file not found"),
        (b"", "is empty"),
        (b"PK\x03\x04\x00\x00binary", "binary file (an Excel workbook?)"),
        (b"opened_at,priority\n", "no tickets"),
        (b"opened_at\n\xff\xfe29/2/2016\n", "not UTF-8"),
        (b"opened_at\n?\nnot a date\n", "no usable rows: 1 missing opened date"),
    ],
)
def test_unusable_files(tmp_path: Path, content: bytes | None, fragment: str) -> None:
    path = tmp_path / "tickets.csv"
    if content is not None:
        path.write_bytes(content)
    with pytest.raises(ScenarioError) as caught:
        fit_tickets(path)
    assert fragment in str(caught.value)
    assert str(caught.value).startswith(f"{path}: ")


def test_a_directory_is_not_an_export(tmp_path: Path) -> None:
    with pytest.raises(ScenarioError, match="is a directory"):
        fit_tickets(tmp_path)


def test_dates_without_times_are_flagged(tmp_path: Path) -> None:
    fit = fit_tickets(_write(tmp_path, "created\n29.02.2016\n01.03.2016\n"))
    assert any("dates only" in note for note in fit.notes)


# -- small pieces --------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("label", "name"),
    [
        ("1 - Critical", "P1"),
        ("2 - High", "P2"),
        ("3 - Moderate", "P3"),
        ("4 - Low", "P4"),
        ("P2", "P2"),
        ("Priority 3", "P3"),
        ("prio: 1", "P1"),
        ("Critical", "P1"),
        ("Medium", "P3"),
        ("niedrig", "P4"),
        ("Sev A", "Sev A"),
        ("10 - x", "10 - x"),
    ],
)
def test_priority_class(label: str, name: str) -> None:
    assert priority_class(label) == name


@pytest.mark.parametrize(
    ("minutes", "text"),
    [(45, "45m"), (200, "3h20m"), (60, "1h"), (0.2, "1m"), (7465, "124h25m"), (59.6, "1h")],
)
def test_format_minutes(minutes: float, text: str) -> None:
    assert format_minutes(minutes) == text


def test_handling_estimate_caps_the_tail() -> None:
    minutes = np.array([30.0] * 99 + [100_000.0])
    mean, cv = handling_estimate(minutes)
    assert mean == pytest.approx(30)
    assert cv == pytest.approx(0)
    spread = np.array([10.0, 20, 30, 40, 50] * 20)
    mean, cv = handling_estimate(spread)
    assert mean == pytest.approx(30)
    assert cv == pytest.approx(spread.std() / 30)


def test_detect_format_prefers_day_first() -> None:
    assert detect_format(["1/3/2016 08:00", "2/3/2016 09:00"]) == "%d/%m/%Y %H:%M"
    assert detect_format(["3/13/2016 08:00", "3/14/2016 09:00"]) == "%m/%d/%Y %H:%M"
    assert detect_format(["2016-03-01T08:00:00+01:00"]) == "iso"
    assert detect_format(["soon"]) is None


def test_crlf_multiline_and_long_fields(tmp_path: Path) -> None:
    """A 300 kB description (above csv's default field limit) and quoted line breaks."""
    long_text = "x" * 300_000
    text = (
        f'Created;Priority;Description\r\n29.02.2016 08:15;1;"{long_text}"\r\n'
        '01.03.2016 09:00;2;"two\r\nlines; and a delimiter"\r\n'
    )
    fit = fit_tickets(_write(tmp_path, text))
    assert fit.used == 2
    assert not fit.skipped

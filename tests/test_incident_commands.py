"""``mspplan fit-incidents`` and ``mspplan erlang``: output that validates, exit 2 on bad input."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml
from conftest import Run, run_cli

from models.scenario import Scenario
from models.scenario_incidents import Incidents

SERVICENOW = Path(__file__).resolve().parents[2] / "shared" / "data" / "servicenow_incidents.csv"


def assert_bad_input(run: Run, *fragments: str) -> None:
    """Exit 2, a message on stderr naming each fragment, nothing on stdout, no traceback."""
    assert run.code == 2, run
    assert run.out == ""
    assert "Traceback" not in run.err
    for fragment in fragments:
        assert fragment in run.err, (fragment, run.err)


@pytest.fixture(scope="module")
def fitted() -> Run:
    """``mspplan fit-incidents`` on the ServiceNow export, printed to stdout."""
    return run_cli("fit-incidents", str(SERVICENOW))


def test_fit_prints_a_valid_incidents_section(fitted: Run) -> None:
    assert fitted.code == 0, fitted.err
    assert fitted.out.startswith("# fitted by mspplan fit-incidents from servicenow_incidents")
    data = yaml.safe_load(fitted.out)
    assert list(data) == ["incidents"]
    incidents = Incidents.model_validate(data["incidents"])
    assert incidents.per_day == pytest.approx(360.2)
    assert isinstance(incidents.profile, dict)
    assert list(incidents.profile) == ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]


def test_fit_summary_on_stderr(fitted: Run) -> None:
    assert "busiest weekday mon" in fitted.err
    assert "peak hours 08, 09, 10, 11" in fitted.err
    assert "left out 1418 no resolved date" in fitted.err
    assert "skipped" not in fitted.err


def test_fitted_section_fits_into_a_scenario(fitted: Run, example: dict[str, Any]) -> None:
    example["incidents"] = yaml.safe_load(fitted.out)["incidents"]
    scenario = Scenario.model_validate(example)
    assert scenario.incidents is not None
    assert [p.name for p in scenario.incidents.priorities] == ["P1", "P2", "P3", "P4"]


def test_fit_writes_out_file(tmp_path: Path) -> None:
    target = tmp_path / "fit" / "incidents.yaml"
    run = run_cli("fit-incidents", str(SERVICENOW), "--scale-per-day", "6.5", "--out", str(target))
    assert run.code == 0, run.err
    assert run.out == f"wrote {target}\n"
    incidents = Incidents.model_validate(yaml.safe_load(target.read_text())["incidents"])
    assert incidents.per_day == 6.5
    assert "scaled arrivals by" in run.err
    assert [p.name for p in tmp_path.joinpath("fit").iterdir()] == ["incidents.yaml"]


def test_fit_reports_skipped_rows(tmp_path: Path) -> None:
    path = tmp_path / "tickets.csv"
    path.write_text(
        "opened_at,priority\n29/2/2016 08:00,1\nbroken,2\n1/3/2016 09:00,3,extra\n1/3/2016 10:00\n"
    )
    run = run_cli("fit-incidents", str(path))
    assert run.code == 0, run.err
    assert "skipped 3 rows: 2 ragged, 1 unparsable opened date" in run.err
    Incidents.model_validate(yaml.safe_load(run.out)["incidents"])


@pytest.mark.parametrize(
    ("options", "fragments"),
    [
        (["--opened", "opend_at"], ["no column 'opend_at'", "did you mean 'opened_at'?", "number"]),
        (["--priority", "prioity"], ["did you mean 'priority'?"]),
        (["--resolved", "resolve_time"], ["did you mean 'resolved_at'?"]),
        (["--date-format", "%Y"], ["no usable rows with --date-format '%Y'", "29/2/2016 01:16"]),
        (["--from", "2016-13-01"], ["--from '2016-13-01' is not a date"]),
        (["--from", "2016-05-01", "--to", "2016-04-01"], ["lies after --to"]),
        (["--from", "2017-01-01"], ["no usable rows: 20769 outside --from/--to"]),
        (["--scale-per-day", "0"], ["--scale-per-day must be a positive number"]),
        (["--scale-per-day", "nan"], ["--scale-per-day must be a positive number"]),
        (["--max-handling", "soon"], ["--max-handling: 'soon' is not a duration"]),
    ],
)
def test_fit_bad_options(options: list[str], fragments: list[str]) -> None:
    assert_bad_input(run_cli("fit-incidents", str(SERVICENOW), *options), *fragments)


def test_column_names_ignore_case_spaces_and_underscores() -> None:
    run = run_cli(
        "fit-incidents", str(SERVICENOW), "--opened", "Opened At", "--priority", "PRIORITY"
    )
    assert run.code == 0, run.err


def test_fit_bad_files(tmp_path: Path) -> None:
    assert_bad_input(run_cli("fit-incidents", str(tmp_path / "nope.csv")), "file not found")
    assert_bad_input(run_cli("fit-incidents", str(tmp_path)), "is a directory")
    binary = tmp_path / "tickets.xlsx"
    binary.write_bytes(b"PK\x03\x04" + bytes(range(256)))
    assert_bad_input(run_cli("fit-incidents", str(binary)), "binary file")
    out = tmp_path / "out"
    out.mkdir()
    run = run_cli("fit-incidents", str(SERVICENOW), "--out", str(out))
    assert_bad_input(run, "is a directory; name a file")


def test_max_handling_keeps_short_tickets() -> None:
    run = run_cli("fit-incidents", str(SERVICENOW), "--max-handling", "8h")
    assert run.code == 0, run.err
    handling = Incidents.model_validate(yaml.safe_load(run.out)["incidents"]).handling
    assert 0 < handling.mean.minutes <= 8 * 60
    assert "longer than --max-handling" in run.err


# -- erlang ------------------------------------------------------------------------------------
PUBLISHED = ["--per-hour", "200", "--handling", "3m", "--target", "20s", "--service-level", "0.8"]
PUBLISHED += ["--shrinkage", "0.3", "--max-occupancy", "0.85"]


def test_erlang_text() -> None:
    run = run_cli("erlang", *PUBLISHED)
    assert run.code == 0, run.err
    lines = run.out.splitlines()
    assert "raw agents     14" in lines
    assert "positions      20 (with shrinkage)" in lines
    assert "service level  88.8% answered within 20.0s" in lines
    assert "P(wait)        17.4%" in lines
    assert "occupancy      71.4%" in lines


def test_erlang_json() -> None:
    run = run_cli("erlang", *PUBLISHED, "--json")
    assert run.code == 0, run.err
    data = json.loads(run.out)
    assert data["model"] == "erlang_c"
    assert (data["raw_agents"], data["positions"]) == (14, 20)
    assert data["service_level"] == pytest.approx(0.888, abs=1e-3)
    assert data["wait_probability"] == pytest.approx(0.174, abs=1e-3)
    assert data["traffic_erlangs"] == pytest.approx(10)


def test_erlang_with_patience() -> None:
    args = ["--per-hour", "6", "--handling", "60m", "--target", "30m", "--json"]
    classic = json.loads(run_cli("erlang", *args).out)
    patient = json.loads(run_cli("erlang", *args, "--patience", "10m").out)
    assert patient["model"] == "erlang_a"
    assert patient["raw_agents"] <= classic["raw_agents"]
    assert 0 < patient["abandonment"] < 1
    assert patient["service_level"] >= 0.8


@pytest.mark.parametrize(
    ("options", "fragment"),
    [
        (["--per-hour", "-1"], "--per-hour must be a number at least 0"),
        (["--per-hour", "nan"], "--per-hour must be a number at least 0"),
        (["--handling", "2d"], "give hours"),
        (["--handling", "0m"], "--handling must be longer than zero"),
        (["--target", "soon"], "--target: 'soon' is not a duration"),
        (["--service-level", "1"], "--service-level must be a number in (0, 1)"),
        (["--shrinkage", "1"], "--shrinkage must be below 1"),
        (["--max-occupancy", "0"], "--max-occupancy must be above 0"),
        (["--max-occupancy", "1.5"], "--max-occupancy must be a number in [0, 1]"),
        (["--patience", "0"], "--patience must be longer than zero"),
        (["--per-hour", "1e15"], "need more than"),
    ],
)
def test_erlang_bad_input(options: list[str], fragment: str) -> None:
    args = {"--per-hour": "10", "--handling": "45m", "--target": "30m"}
    args.update(zip(options[::2], options[1::2], strict=True))
    argv = [part for pair in args.items() for part in pair]
    assert_bad_input(run_cli("erlang", *argv), "mspplan erlang: ", fragment)


def test_erlang_missing_option_is_an_argparse_error() -> None:
    with pytest.raises(SystemExit) as caught:
        run_cli("erlang", "--per-hour", "10")
    assert caught.value.code == 2

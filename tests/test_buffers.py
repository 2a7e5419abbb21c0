"""`mspplan buffers`: one row per level, files written, the met level named, bad input refused."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ui.cli import main

TINY = Path(__file__).resolve().parents[1] / "scenarios" / "tiny"


def test_buffers_compares_levels_and_writes_files(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    args = [
        "buffers",
        str(TINY / "forecast.yaml"),
        "--policy",
        "percent",
        "--levels",
        "0,30",
        "--runs",
        "20",
        "--time-limit",
        "2",
        "--out",
        str(tmp_path),
    ]
    assert main(args) == 0
    result = json.loads((tmp_path / "buffers.json").read_text())
    assert [row["level"] for row in result["levels"]] == [0, 30]
    for row in result["levels"]:
        assert row["checker_violations"] == 0
        assert row["runs"] == 20
        assert 0 <= row["sim_in_time_P1"] <= 1
        assert 0 <= row["sim_in_time_staffed_P1"] <= 1
    assert (tmp_path / "buffers.png").read_bytes().startswith(b"\x89PNG")
    assert (tmp_path / "buffers.csv").read_text().startswith("level,")
    assert "level" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("policy", "levels", "words"),
    [
        ("percent", "0,120", "percent levels lie in [0, 100)"),
        ("duty", "0,1.5", "duty levels are whole numbers"),
        ("forecast", "0.5,1", "service levels in (0, 1)"),
        ("percent", "ten", "not a comma-separated list"),
    ],
)
def test_buffers_refuses_bad_levels(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], policy: str, levels: str, words: str
) -> None:
    args = [
        "buffers",
        str(TINY / "forecast.yaml"),
        "--policy",
        policy,
        "--levels",
        levels,
        "--out",
        str(tmp_path),
    ]
    assert main(args) == 2
    assert words in capsys.readouterr().err


def test_buffers_needs_an_incident_forecast(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    args = [
        "buffers",
        str(TINY / "absence.yaml"),
        "--policy",
        "duty",
        "--levels",
        "0,1",
        "--out",
        str(tmp_path),
    ]
    assert main(args) == 2
    assert "no incidents" in capsys.readouterr().err

"""Two searches at once (``solver.portfolio``): the better result wins; a second search that
fails or is late leaves the first one's, and says why. On a large scenario, ``solve`` runs
its first search twice and goes on from the better plan."""

from __future__ import annotations

import logging
import multiprocessing
import re
import time

import pytest

from models.prepare import prepare
from models.scenario import Scenario
from scenarios.generate import generate_scenario
from solver import portfolio
from solver.portfolio import best_of_two
from solver.solve import SolveParams, by_pieces, solve


def test_the_result_with_the_lower_score_wins() -> None:
    assert best_of_two(lambda: 5, abs, (-3,), score=float, wait=60) == 3
    assert best_of_two(lambda: 2, abs, (-3,), score=float, wait=60) == 2


def test_on_a_tie_the_result_here_wins() -> None:
    assert best_of_two(lambda: "here", str, ("there",), score=len, wait=60) == "here"


def test_a_second_search_that_fails_leaves_the_first_ones_result_and_says_why(
    caplog: pytest.LogCaptureFixture,
) -> None:
    with caplog.at_level(logging.WARNING, logger="solver.portfolio"):
        assert best_of_two(lambda: 7, int, ("seven",), score=float, wait=60) == 7
    assert "ValueError: invalid literal for int() with base 10: 'seven'" in caplog.text


def test_a_late_second_search_is_stopped_and_the_first_ones_result_kept(
    caplog: pytest.LogCaptureFixture,
) -> None:
    with caplog.at_level(logging.WARNING, logger="solver.portfolio"):
        assert best_of_two(lambda: 1.0, time.sleep, (600,), score=float, wait=0) == 1.0
    assert f"no result within {portfolio.GRACE_SECONDS:.0f} s" in caplog.text
    assert multiprocessing.active_children() == []


def test_a_daemonic_process_runs_the_search_here_alone(monkeypatch: pytest.MonkeyPatch) -> None:
    """A Dask worker's process may not start children: no second search there."""

    class Daemon:
        daemon = True

    monkeypatch.setattr(portfolio, "current_process", Daemon)
    assert best_of_two(lambda: 5, abs, (-3,), score=float, wait=60) == 5


def test_a_large_scenario_goes_on_from_the_better_of_two_first_searches(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Generated M (50 technicians, 4 weeks): both first searches end with a plan, and the
    final plan, checked, is no worse than the better of them."""
    prepared = prepare(Scenario.model_validate(generate_scenario(50, 4, seed=1)))
    assert by_pieces(prepared)
    with caplog.at_level(logging.INFO, logger="solver.portfolio"):
        result = solve(prepared, SolveParams(time_limit=12, workers=2))
    found = re.search(r"two searches: ([\d.]+) here, ([\d.]+) there", caplog.text)
    assert found is not None, caplog.text
    assert result.violations == []
    assert result.objective <= min(map(float, found.groups())) + 0.05  # the log rounds to 0.1

"""Scale-out: jobs come back in order on a local pool and on a Dask cluster, with the same
numbers; cores are never oversubscribed; a bad or unreachable scheduler is a clear exit 2."""

from __future__ import annotations

import json
import operator
import socket
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from models.io import load_scenario
from models.variant import load_variant_scenario
from solver import scaleout
from solver.scaleout import ScaleOutError, local_shape, run_jobs, scheduler_address
from solver.whatif import BASE, Case, CompareParams, compare_variants

ROOT = Path(__file__).resolve().parents[1]
FORECAST = ROOT / "scenarios" / "tiny" / "forecast.yaml"
WALL_CLOCK = ("solve_seconds",)


@pytest.fixture(scope="module")
def cluster() -> Iterator[Any]:
    """A local Dask cluster of two single-threaded worker processes on 127.0.0.1."""
    from distributed import LocalCluster

    with LocalCluster(
        n_workers=2,
        threads_per_worker=1,
        processes=True,
        host="127.0.0.1",
        dashboard_address=None,
    ) as started:
        yield started


def closed_port() -> int:
    """A port on 127.0.0.1 that nothing listens on."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_local_shape_never_oversubscribes_cores() -> None:
    for cores in (1, 2, 3, 8):
        for jobs in (1, 2, 5, 20):
            for asked in (0, 1, 3, 16):
                processes, workers = local_shape(jobs, asked, cores)
                assert 1 <= processes <= min(jobs, cores)
                assert processes * workers <= cores
    assert local_shape(1, 0, 2) == (1, 2)  # one job gets every core
    assert local_shape(12, 0, 2) == (2, 1)


def test_local_jobs_come_back_in_order_with_progress() -> None:
    seen: list[tuple[int, int]] = []
    jobs = [5, 1, 4, 2, 3]
    results = run_jobs(operator.mul, jobs, progress=lambda done, total: seen.append((done, total)))
    _, workers = local_shape(len(jobs))
    assert results == [job * workers for job in jobs]
    assert seen == [(k, len(jobs)) for k in range(1, len(jobs) + 1)]
    assert run_jobs(operator.mul, []) == []


@pytest.mark.parametrize(
    ("text", "address"),
    [
        ("tcp://10.0.0.5:8786", "tcp://10.0.0.5:8786"),
        ("scheduler.local:8786", "tcp://scheduler.local:8786"),
        ("tls://[::1]:8786", "tls://[::1]:8786"),
    ],
)
def test_scheduler_addresses(text: str, address: str) -> None:
    assert scheduler_address(text) == address


@pytest.mark.parametrize("text", ["http://x:8786", "tcp://host", "tcp://host:0", "host:99999", ""])
def test_bad_scheduler_addresses(text: str) -> None:
    with pytest.raises(ScaleOutError, match="is not a scheduler address"):
        scheduler_address(text)


def test_unreachable_scheduler_fails_fast(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(scaleout, "CONNECT_TIMEOUT", 0.5)
    address = f"tcp://127.0.0.1:{closed_port()}"
    with pytest.raises(ScaleOutError, match=f"cannot reach the Dask scheduler at {address}"):
        run_jobs(operator.mul, [1], scheduler=address)


@pytest.mark.parametrize("command", ["compare", "buffers"])
def test_cli_unreachable_scheduler_is_exit_2(
    cli: Callable[..., Any], tmp_path: Path, monkeypatch: pytest.MonkeyPatch, command: str
) -> None:
    monkeypatch.setattr(scaleout, "CONNECT_TIMEOUT", 0.5)
    address = f"tcp://127.0.0.1:{closed_port()}"
    variant = tmp_path / "v.yaml"
    variant.write_text("changes: [{weights: {balance: 2}}]\n", encoding="utf-8")
    which = ["--variant", str(variant)] if command == "compare" else ["--policy", "percent"]
    which += ["--levels", "0,10"] if command == "buffers" else []
    run = cli(command, str(FORECAST), *which, "--scheduler", address, "--out", str(tmp_path))
    assert run.code == 2
    assert f"--scheduler: cannot reach the Dask scheduler at {address}" in run.err
    assert "Traceback" not in run.err


def sweep(tmp_path: Path, scheduler: str | None) -> list[dict[str, Any]]:
    """Base + one hire, 2 percent levels x 3 seeds: 12 deterministic solves and simulations."""
    path = tmp_path / "hire.yaml"
    path.write_text(
        yaml.safe_dump(
            {"name": "hire", "changes": [{"add_technician": {"like": "dan", "id": "e"}}]}
        ),
        encoding="utf-8",
    )
    hire = load_variant_scenario(path, FORECAST)
    params = CompareParams(
        time_limit=1,
        runs=5,
        seeds=(0, 1, 2),
        policy="percent",
        levels=(10, 20),
        deterministic=True,
        scheduler=scheduler,
    )
    base = Case(BASE, load_scenario(FORECAST))
    comparison = compare_variants(base, [Case("hire", hire.scenario)], params)
    return [
        {k: v for k, v in row.items() if k not in WALL_CLOCK} for row in comparison.rows
    ] + comparison.deltas


def test_sweep_gives_the_same_numbers_on_a_pool_and_on_dask(tmp_path: Path, cluster: Any) -> None:
    from distributed import Client, get_task_stream

    local = sweep(tmp_path, None)
    with Client(cluster, set_as_default=False) as client, get_task_stream(client) as stream:
        on_dask = sweep(tmp_path, cluster.scheduler_address)
    assert len(local) == 12 + 6  # rows, then the hire's deltas
    assert on_dask == local
    assert [(r["variant"], r["level"], r["seed"]) for r in local[:12]] == [
        (name, level, seed) for name in (BASE, "hire") for level in (10, 20) for seed in (0, 1, 2)
    ]
    assert all(row["sim_runs"] == 5 for row in local[:12])
    assert len({row["sim_displaced_hours"] for row in local[:3]}) > 1  # seeds matter
    ran = {task["key"] for task in stream.data if "run_case" in str(task["key"])}
    assert len(ran) == 12  # every solve ran on the cluster's workers


def test_buffers_command_runs_on_dask(
    cli: Callable[..., Any], tmp_path: Path, cluster: Any
) -> None:
    run = cli(
        "buffers",
        str(FORECAST),
        "--policy",
        "percent",
        "--levels",
        "0,30",
        "--runs",
        "5",
        "--time-limit",
        "1",
        "--deterministic",
        "--scheduler",
        cluster.scheduler_address,
        "--out",
        str(tmp_path),
    )
    assert run.code == 0, run.err
    rows = json.loads((tmp_path / "buffers.json").read_text())["levels"]
    assert [row["level"] for row in rows] == [0, 30]
    assert all(row["checker_violations"] == 0 for row in rows)

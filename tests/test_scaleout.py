"""Scale-out: jobs come back in order on a local pool and on a Dask cluster, with the same
numbers; cores are never oversubscribed; a bad or unreachable scheduler is a clear exit 2."""

from __future__ import annotations

import contextlib
import json
import operator
import socket
import socketserver
import struct
import subprocess
import sys
import threading
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
GUARD = 30.0
"""Seconds a failing connect may take in these tests before it counts as a hang (the
timeouts are 1 s here, 5 s in use)."""


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


class _Service(socketserver.ThreadingTCPServer):
    """A TCP service on 127.0.0.1 that is not Dask: it never answers (``silent``, like a web
    server waiting for a request line) or answers at once with an HTTP error (``http``)."""

    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, answer: bytes | None) -> None:
        self.answer = answer
        self.connections: list[socket.socket] = []
        super().__init__(("127.0.0.1", 0), _ServiceHandler)

    @property
    def address(self) -> str:
        return f"tcp://127.0.0.1:{self.server_address[1]}"

    def stop(self) -> None:
        """Stop serving and cut every connection (a client still waiting then gets EOF)."""
        self.shutdown()
        self.server_close()
        for connection in list(self.connections):
            with contextlib.suppress(OSError):  # already closed by the client
                connection.shutdown(socket.SHUT_RDWR)


class _ServiceHandler(socketserver.BaseRequestHandler):
    server: _Service

    def handle(self) -> None:
        self.server.connections.append(self.request)
        if self.server.answer is not None:
            self.request.sendall(self.server.answer)
        while self.request.recv(65536):  # read and ignore until the client hangs up
            pass


HTTP_ANSWER = b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"


@pytest.fixture(params=["silent", "http"])
def service(request: pytest.FixtureRequest) -> Iterator[_Service]:
    """A non-Dask TCP service on 127.0.0.1, served from a thread."""
    started = _Service(None if request.param == "silent" else HTTP_ANSWER)
    threading.Thread(target=started.serve_forever, daemon=True).start()
    yield started
    started.stop()


@pytest.fixture
def silent_service() -> Iterator[_Service]:
    """A TCP service on 127.0.0.1 that accepts connections and never answers."""
    started = _Service(None)
    threading.Thread(target=started.serve_forever, daemon=True).start()
    yield started
    started.stop()


def within(seconds: float, call: Callable[[], Any]) -> Any:
    """``call()``'s result, or the exception it raised, returned (not raised); fails the test
    if the call is still running after ``seconds`` (a hang) instead of waiting for it."""
    outcome: list[Any] = []

    def target() -> None:
        try:
            outcome.append(call())
        except BaseException as error:
            outcome.append(error)

    thread = threading.Thread(target=target, daemon=True)
    thread.start()
    thread.join(seconds)
    assert not thread.is_alive(), f"still waiting after {seconds:g} s: it hangs"
    return outcome[0]


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
        ("[::1]:8786", "tcp://[::1]:8786"),
        (" tcp://[::1]:8786 ", "tcp://[::1]:8786"),
    ],
)
def test_scheduler_addresses(text: str, address: str) -> None:
    assert scheduler_address(text) == address


@pytest.mark.parametrize("text", ["http://x:8786", "tcp://host", "tcp://host:0", "host:99999", ""])
def test_bad_scheduler_addresses(text: str) -> None:
    with pytest.raises(ScaleOutError, match="is not a scheduler address"):
        scheduler_address(text)


@pytest.mark.parametrize("text", ["tls://[::1]:8786", "tls://127.0.0.1:8786", "tls://h:1"])
def test_tls_scheduler_is_refused_up_front(text: str) -> None:
    with pytest.raises(ScaleOutError, match="tls:// needs certificates") as raised:
        scheduler_address(text)
    assert "use tcp://" in str(raised.value)


def test_cli_tls_scheduler_is_exit_2_without_traceback(
    cli: Callable[..., Any], tmp_path: Path
) -> None:
    args = ["--policy", "percent", "--levels", "0,10", "--out", str(tmp_path)]
    run = within(
        GUARD, lambda: cli("buffers", str(FORECAST), *args, "--scheduler", "tls://127.0.0.1:8786")
    )
    assert run.code == 2
    assert "--scheduler: 'tls://127.0.0.1:8786': tls:// needs certificates" in run.err
    assert "Traceback" not in run.err
    assert "TypeError" not in run.err
    assert not (tmp_path / "buffers.json").exists()


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


def test_non_dask_service_is_a_clear_error_not_a_hang(
    service: _Service, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A web server (or anything else) on the port: distributed's Client() would wait forever
    for a silent one, and read an HTTP answer as an exabyte frame (MemoryError)."""
    monkeypatch.setattr(scaleout, "CONNECT_TIMEOUT", 1.0)
    result = within(GUARD, lambda: run_jobs(operator.mul, [1], scheduler=service.address))
    assert isinstance(result, ScaleOutError), repr(result)
    message = str(result)
    assert message.startswith(f"cannot reach the Dask scheduler at {service.address}: ")
    if service.answer is None:
        assert "no Dask scheduler answered within 1 s" in message
    else:
        assert "what answered is not a Dask scheduler" in message
    assert len(message) < 300
    assert "\n" not in message


@pytest.mark.parametrize("command", ["compare", "buffers"])
def test_cli_non_dask_service_is_exit_2(
    cli: Callable[..., Any],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    service: _Service,
    command: str,
) -> None:
    monkeypatch.setattr(scaleout, "CONNECT_TIMEOUT", 1.0)
    variant = tmp_path / "v.yaml"
    variant.write_text("changes: [{weights: {balance: 2}}]\n", encoding="utf-8")
    which = ["--variant", str(variant)] if command == "compare" else ["--policy", "percent"]
    which += ["--levels", "0,10"] if command == "buffers" else []
    args = [command, str(FORECAST), *which, "--scheduler", service.address, "--out", str(tmp_path)]
    run = within(GUARD, lambda: cli(*args))
    assert run.code == 2
    assert f"--scheduler: cannot reach the Dask scheduler at {service.address}: " in run.err
    assert "Traceback" not in run.err


def test_client_that_never_starts_is_given_up(
    silent_service: _Service, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Were the handshake probe passed, Client() itself is still bounded (daemon thread), and
    its thread ends once the peer hangs up."""
    monkeypatch.setattr(scaleout, "CONNECT_TIMEOUT", 1.0)
    monkeypatch.setattr(scaleout, "_probe", lambda address: None)
    result = within(GUARD, lambda: scaleout._connect(silent_service.address))
    assert isinstance(result, ScaleOutError), repr(result)
    assert "no Dask scheduler answered within 1 s" in str(result)
    left = [t for t in threading.enumerate() if t.name == "mspplan-scheduler-client"]
    assert left  # given up while Client() still waits...
    assert all(thread.daemon for thread in left)  # ...in a thread that cannot keep us alive
    silent_service.stop()
    for thread in left:
        thread.join(GUARD)
        assert not thread.is_alive()


@pytest.mark.parametrize("patched", ["none", "probe skipped"])
def test_cli_process_exits_2_at_a_silent_service(
    silent_service: _Service, tmp_path: Path, patched: str
) -> None:
    """The real command line, in its own process: exit 2 in about 5 s; nothing the abandoned
    connect left behind keeps the process alive."""
    setup = "from solver import scaleout; "
    if patched == "probe skipped":  # the Client() backstop thread is what gives up
        setup += "scaleout.CONNECT_TIMEOUT = 1.0; scaleout._probe = lambda address: None; "
    code = f"import sys; {setup}from ui.cli import main; sys.exit(main(sys.argv[1:]))"
    args = ["buffers", str(FORECAST), "--policy", "percent", "--levels", "0,10", "--runs", "10"]
    args += ["--time-limit", "1", "--out", str(tmp_path), "--scheduler", silent_service.address]
    run = subprocess.run(
        [sys.executable, "-c", code, *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=GUARD,  # TimeoutExpired (kills the child) fails the test: a hang
        check=False,
    )
    assert run.returncode == 2, run.stderr
    assert f"cannot reach the Dask scheduler at {silent_service.address}: " in run.stderr
    assert "no Dask scheduler answered within" in run.stderr
    assert "Traceback" not in run.stderr


def _raise(error: BaseException) -> Callable[..., Any]:
    def fail(*args: Any, **kwargs: Any) -> Any:
        raise error

    return fail


@pytest.mark.parametrize(
    "error",
    [
        MemoryError("Unable to allocate 3.07 EiB for an array with shape (3543824036068086856,)"),
        RuntimeError("x" * 5000),
        KeyError("op"),
        AssertionError(),
        struct.error("unpack requires a buffer of 8 bytes"),
    ],
    ids=["MemoryError", "long RuntimeError", "KeyError", "AssertionError", "struct.error"],
)
@pytest.mark.parametrize("step", ["probe", "client"])
def test_any_connect_failure_is_a_short_scaleout_error(
    monkeypatch: pytest.MonkeyPatch, step: str, error: BaseException
) -> None:
    import distributed
    import distributed.comm

    if step == "probe":
        monkeypatch.setattr(distributed.comm, "connect", _raise(error))
    else:
        monkeypatch.setattr(scaleout, "_probe", lambda address: None)
        monkeypatch.setattr(distributed, "Client", _raise(error))
    address = "tcp://127.0.0.1:9"  # never contacted: both steps are patched to fail first
    result = within(GUARD, lambda: run_jobs(operator.mul, [1], scheduler=address))
    assert isinstance(result, ScaleOutError), repr(result)
    message = str(result)
    assert message.startswith(f"cannot reach the Dask scheduler at {address}: ")
    assert len(message) < 300
    assert "\n" not in message
    assert message.rstrip() != f"cannot reach the Dask scheduler at {address}:"
    if isinstance(error, MemoryError):
        assert "what answered is not a Dask scheduler" in message


def test_cli_memory_error_on_connect_is_exit_2(
    cli: Callable[..., Any], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import distributed.comm

    monkeypatch.setattr(distributed.comm, "connect", _raise(MemoryError("Unable to allocate")))
    args = ["--policy", "percent", "--levels", "0,10", "--out", str(tmp_path)]
    run = within(GUARD, lambda: cli("buffers", str(FORECAST), *args, "--scheduler", "127.0.0.1:9"))
    assert run.code == 2
    assert "cannot reach the Dask scheduler at tcp://127.0.0.1:9: what answered is not" in run.err
    assert "Traceback" not in run.err


def test_scheduler_without_workers_is_a_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    from distributed import LocalCluster

    monkeypatch.setattr(scaleout, "CONNECT_TIMEOUT", 1.0)
    with LocalCluster(
        n_workers=0, processes=False, protocol="tcp://", host="127.0.0.1", dashboard_address=None
    ) as empty:
        address = empty.scheduler_address
        result = within(GUARD, lambda: run_jobs(operator.mul, [1], scheduler=address))
    assert isinstance(result, ScaleOutError), repr(result)
    assert str(result).startswith(f"the Dask scheduler at {address} has no workers")


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

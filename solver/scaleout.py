"""Run independent jobs in parallel: on this machine's cores, or on a Dask cluster.

Sweeps (buffer levels, what-if variants, seeds) are many independent solves. On one machine
they run in spawned processes (ortools is not fork-safe), and processes x CP-SAT workers
never exceed the cores: more threads than cores only make every solve slower and its result
depend on the load. Given a scheduler address (``tcp://HOST:PORT``), the same jobs go to a
Dask cluster (``dask.distributed``); its workers need mspplan installed. Results come back
in job order either way, so a sweep's rows do not depend on where it ran; with deterministic
solves (``SolveParams.deterministic``) they are the same numbers.

A job is a picklable value; the function, a module-level function ``function(job, workers)``,
gets the CP-SAT workers it may use besides the job.

Reaching the scheduler never hangs: ``distributed`` waits for the scheduler's greeting without
a timeout, so any other service on the port (a web server, say) would keep ``Client()`` waiting
forever. A bounded handshake (``_probe``) comes first, and the client is made in a daemon
thread that is given up after a deadline; every failure is a ScaleOutError.
"""

from __future__ import annotations

import asyncio
import logging
import os
import re
import threading
from collections import Counter
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from multiprocessing import get_context
from types import TracebackType
from typing import Any, TypeVar

log = logging.getLogger(__name__)

J = TypeVar("J")
R = TypeVar("R")
Progress = Callable[[int, int], None]
"""Called with (jobs done, jobs in all) after each job."""

CONNECT_TIMEOUT = 5.0
"""Seconds to reach a scheduler (and for it to have a worker): a typo should fail fast."""
_GRACE = 2.0
"""Seconds beyond ``CONNECT_TIMEOUT`` for ``Client()`` to give up by itself before we do."""
_ADDRESS = re.compile(r"(?:(tcp|tls)://)?(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9_.-]+):([0-9]{1,5})")


class ScaleOutError(Exception):
    """The jobs cannot be sent where they were asked to go (a bad or unreachable scheduler)."""


def scheduler_address(text: str) -> str:
    """``tcp://HOST:PORT`` checked and normalised (``HOST:PORT`` means tcp); else ScaleOutError.

    ``tls://`` is refused: it needs certificates (``distributed.Security``) mspplan has no
    options for.
    """
    match = _ADDRESS.fullmatch(text.strip())
    if match is None or not 0 < int(match.group(3)) < 65536:
        raise ScaleOutError(
            f"'{text}' is not a scheduler address; write it like tcp://10.0.0.5:8786"
        )
    scheme, host, port = match.groups()
    if scheme == "tls":
        raise ScaleOutError(
            f"'{text}': tls:// needs certificates, which mspplan does not configure; use "
            f"tcp://{host}:{port} (on a private network or through an SSH tunnel)"
        )
    return f"tcp://{host}:{port}"


def local_shape(jobs: int, processes: int = 0, cores: int | None = None) -> tuple[int, int]:
    """(processes, CP-SAT workers per process) for ``jobs`` on this machine.

    ``processes`` 0 means one per core; never more processes than jobs or cores, and
    processes x workers <= cores.
    """
    cores = cores or os.cpu_count() or 1
    processes = max(1, min(processes or cores, jobs, cores))
    return processes, max(1, cores // processes)


class JobRunner:
    """Where jobs run: a local process pool (default) or a Dask cluster (``scheduler``).

    Use it as a context manager to keep one cluster connection for several batches
    (e.g. the base plans first, then the variants warm-started from them).
    """

    def __init__(self, scheduler: str | None = None, processes: int = 0) -> None:
        self.address = None if scheduler is None else scheduler_address(scheduler)
        self.processes = processes
        self._client: Any = None

    def __enter__(self) -> JobRunner:
        if self.address is not None:
            self._client = _connect(self.address)
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        if self._client is not None:
            self._client.close()
            self._client = None

    @property
    def where(self) -> str:
        """Where the jobs run, in words."""
        if self.address is not None:
            return f"the Dask cluster at {self.address}"
        cores = os.cpu_count() or 1
        return f"local processes ({cores} cores, processes x CP-SAT workers <= cores)"

    def run(
        self,
        function: Callable[[J, int], R],
        jobs: Sequence[J],
        progress: Progress | None = None,
    ) -> list[R]:
        """``function(job, workers)`` for every job; results in job order."""
        if not jobs:
            return []
        if self.address is None:
            return _run_local(function, jobs, self.processes, progress)
        if self._client is None:
            with self:
                return _run_dask(self._client, function, jobs, progress)
        return _run_dask(self._client, function, jobs, progress)


def run_jobs(
    function: Callable[[J, int], R],
    jobs: Sequence[J],
    *,
    scheduler: str | None = None,
    processes: int = 0,
    progress: Progress | None = None,
) -> list[R]:
    """Run ``function(job, workers)`` for every job, locally or on a Dask cluster; results
    in job order; ``progress(done, total)`` after each job."""
    return JobRunner(scheduler, processes).run(function, jobs, progress)


def _run_local(
    function: Callable[[J, int], R],
    jobs: Sequence[J],
    processes: int,
    progress: Progress | None,
) -> list[R]:
    processes, workers = local_shape(len(jobs), processes)
    results: list[Any] = [None] * len(jobs)
    if processes == 1:  # no pool to start: one job (or one core) runs here
        for done, (index, job) in enumerate(enumerate(jobs), 1):
            results[index] = function(job, workers)
            if progress:
                progress(done, len(jobs))
        return results
    with ProcessPoolExecutor(processes, mp_context=get_context("spawn")) as pool:
        futures = {pool.submit(function, job, workers): index for index, job in enumerate(jobs)}
        for done, future in enumerate(as_completed(futures), 1):
            results[futures[future]] = future.result()
            if progress:
                progress(done, len(jobs))
    return results


# -- Dask ------------------------------------------------------------------------------------
def _connect(address: str) -> Any:
    """A client of the scheduler at ``address`` with at least one worker, or ScaleOutError.

    Each step is bounded (about ``CONNECT_TIMEOUT`` s), and any exception on the way (refused,
    timed out, a non-Dask service answering garbage, which may even be a MemoryError) becomes
    a ScaleOutError with a short reason.
    """
    _probe(address)
    client = _make_client(address)
    try:
        client.wait_for_workers(1, timeout=CONNECT_TIMEOUT)
    except Exception:
        _close_quietly(client)
        raise ScaleOutError(
            f"the Dask scheduler at {address} has no workers (start some with "
            f"'dask worker {address}')"
        ) from None
    return client


def _unreachable(address: str, error: BaseException) -> ScaleOutError:
    if isinstance(error, MemoryError):  # a non-Dask answer ("HTTP/1.1") read as a frame size
        reason = f"what answered is not a Dask scheduler ({_reason(error, 80)})"
    else:
        reason = _reason(error)
    return ScaleOutError(f"cannot reach the Dask scheduler at {address}: {reason}")


def _silent(address: str) -> ScaleOutError:
    return ScaleOutError(
        f"cannot reach the Dask scheduler at {address}: no Dask scheduler answered within "
        f"{CONNECT_TIMEOUT:g} s (is another service listening on that port?)"
    )


def _reason(error: BaseException, limit: int = 160) -> str:
    """The error in one short line: its message (or type), clipped to ``limit`` characters."""
    text = " ".join(str(error).split()) or type(error).__name__
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _probe(address: str) -> None:
    """Connect and exchange ``distributed``'s handshake, all within ``CONNECT_TIMEOUT`` s, in a
    private event loop: a silent peer is cancelled cleanly (no socket or thread left behind)."""
    from distributed.comm import connect

    async def handshake() -> None:
        comm = await asyncio.wait_for(
            connect(address, timeout=CONNECT_TIMEOUT), timeout=CONNECT_TIMEOUT
        )
        await comm.close()

    try:
        _in_thread(lambda: asyncio.run(handshake()), CONNECT_TIMEOUT + _GRACE, "probe")
    except (TimeoutError, _Abandoned):
        raise _silent(address) from None
    except Exception as error:
        raise _unreachable(address, error) from None


def _make_client(address: str) -> Any:
    """``distributed.Client(address)``, given up after ``CONNECT_TIMEOUT`` + ``_GRACE`` s;
    a client that comes too late is closed by the thread that made it."""
    from distributed import Client

    def make() -> Any:
        return Client(address, timeout=CONNECT_TIMEOUT, set_as_default=False)

    try:
        return _in_thread(make, CONNECT_TIMEOUT + _GRACE, "client", late=_close_quietly)
    except _Abandoned:
        raise _silent(address) from None
    except Exception as error:
        raise _unreachable(address, error) from None


class _Abandoned(Exception):
    """The work in ``_in_thread`` did not finish in time; its thread is left to itself."""


def _in_thread(
    work: Callable[[], R],
    seconds: float,
    name: str,
    late: Callable[[R], object] | None = None,
) -> R:
    """``work()`` in a daemon thread (it cannot keep the process alive), waiting at most
    ``seconds``: its result or exception, or ``_Abandoned``; a result that comes after that
    is handed to ``late`` (e.g. to close it) by the thread itself."""
    lock = threading.Lock()
    outcome: list[tuple[bool, Any]] = []
    abandoned = False

    def target() -> None:
        try:
            result: tuple[bool, Any] = (True, work())
        except BaseException as error:  # handed to the waiting thread, which raises it
            result = (False, error)
        with lock:
            if not abandoned:
                outcome.append(result)
                return
        if result[0] and late is not None:
            late(result[1])

    thread = threading.Thread(target=target, name=f"mspplan-scheduler-{name}", daemon=True)
    thread.start()
    thread.join(seconds)
    with lock:
        if not outcome:
            abandoned = True
            raise _Abandoned
    ok, value = outcome[0]
    if ok:
        return value
    raise value


def _close_quietly(client: Any) -> None:
    try:
        client.close(timeout=CONNECT_TIMEOUT)
    except Exception as error:
        log.debug("closing the Dask client failed: %s", _reason(error))


def cluster_workers_per_job(client: Any) -> int:
    """CP-SAT workers per job so that no host of the cluster runs more threads than cores:
    its cores over the job threads (Dask worker threads) it hosts, the smallest over hosts."""
    workers = client.scheduler_info()["workers"]
    cores = client.run(os.cpu_count)  # worker address -> cores of its machine
    threads: Counter[str] = Counter()
    host_cores: dict[str, int] = {}
    for address, worker in workers.items():
        threads[worker["host"]] += worker["nthreads"]
        host_cores[worker["host"]] = cores.get(address) or 1
    return max(1, min(host_cores[host] // threads[host] for host in threads))


def _run_dask(
    client: Any,
    function: Callable[[J, int], R],
    jobs: Sequence[J],
    progress: Progress | None,
) -> list[R]:
    from distributed import as_completed as completed

    workers = cluster_workers_per_job(client)
    log.info(
        "%d jobs on %s, %d CP-SAT worker(s) each", len(jobs), client.scheduler.address, workers
    )
    futures = [client.submit(function, job, workers, pure=False) for job in jobs]
    index = {future.key: k for k, future in enumerate(futures)}
    results: list[Any] = [None] * len(jobs)
    try:
        for done, future in enumerate(completed(futures, loop=client.loop), 1):
            results[index[future.key]] = future.result()
            if progress:
                progress(done, len(jobs))
    except ImportError as error:  # raised on a worker: its Python has no (or another) mspplan
        raise ScaleOutError(
            f"the Dask workers cannot run mspplan's jobs ({error}); install mspplan "
            "into the workers' Python environment"
        ) from None
    finally:
        client.cancel(futures)  # after an error or Ctrl-C, the cluster stops working for us
    return results

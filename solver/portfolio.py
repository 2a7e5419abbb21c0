"""Two searches at once: one here, one in a spawned process on the other core; the better
result wins.

Where a search's result depends more on its luck than on its time, two searches with other
seeds, one per core, find a good plan more often than one search with both cores
(``solver.solve._first_search_twice``). The other search runs in a spawned process
(ortools is not fork-safe) and sends its result back through a queue; when it fails or is
late, the search here is the result, and the log says why.
"""

from __future__ import annotations

import logging
import sys
import threading
import types
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from multiprocessing import current_process, get_context
from queue import Empty
from typing import Any, TypeVar

log = logging.getLogger(__name__)

T = TypeVar("T")

GRACE_SECONDS = 5.0
"""How long past ``wait`` the other result may still come, and the other process then has to
end: a search looks at the clock only between its moves (on generated L, 200 technicians,
runs of 60 s end 4-6 s late)."""


def best_of_two(
    here: Callable[[], T],
    there: Callable[..., T],
    args: tuple[Any, ...],
    score: Callable[[T], float],
    wait: float,
) -> T:
    """``here()`` in this process while ``there(*args)`` runs in a spawned one (``there``
    module-level, ``args`` picklable); the result with the lower ``score`` (here's on a tie).
    After ``here`` ends, the other result is awaited ``wait`` seconds (and GRACE_SECONDS)
    at most; without it, the other process is stopped at once. A daemonic
    process (a Dask worker's, say) may not start children: there, ``here()`` alone."""
    if current_process().daemon:
        return here()
    context = get_context("spawn")
    queue = context.Queue()
    process = context.Process(target=_send, args=(queue, there, args), daemon=True)
    with no_main_script():
        process.start()
    try:
        mine = here()
        try:
            kind, theirs = queue.get(timeout=wait + GRACE_SECONDS)
        except Empty:
            kind, theirs = "failed", f"no result within {wait + GRACE_SECONDS:.0f} s"
        process.join(GRACE_SECONDS)
    finally:
        if process.is_alive():
            process.terminate()
            process.join()
    if kind == "failed":
        log.warning("the second search gave no plan (%s); the first one's is used", theirs)
        return mine
    mine_score, their_score = score(mine), score(theirs)
    log.info("two searches: %.1f here, %.1f there", mine_score, their_score)
    return theirs if their_score < mine_score else mine


def _send(queue: Any, there: Callable[..., Any], args: tuple[Any, ...]) -> None:
    try:
        queue.put(("done", there(*args)))
    except Exception as error:  # the parent says so and goes on with its own result
        queue.put(("failed", f"{type(error).__name__}: {error}"))


_MAIN_SWAP = threading.Lock()


@contextmanager
def no_main_script() -> Iterator[None]:
    """Start children without the parent's ``__main__`` script.

    A spawned child first re-runs the parent's ``__main__`` file; under Streamlit that is the
    page being shown, which the child must not run (and which would cost seconds of imports).
    A ``__main__`` without a file makes ``multiprocessing`` skip that step.
    """
    with _MAIN_SWAP:
        main = sys.modules.get("__main__")
        sys.modules["__main__"] = types.ModuleType("__main__")
        try:
            yield
        finally:
            if main is not None:
                sys.modules["__main__"] = main

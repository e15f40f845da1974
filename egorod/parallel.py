"""Work spread over forked processes: loading content files, rendering pages and e-mails.

The workers are forked, so they see everything the parent has built (the site model, the
Jinja environment, the staged output) without pickling any of it; only each batch's
result travels back. Batches interleave the items (0, 16, 32, ...) so that the slow ones
(long practices, big listings) are shared out evenly.
"""
from __future__ import annotations

import ctypes
import gc
import os
import signal
import sys
from typing import Any, Callable, Iterator

BATCHES_PER_WORKER = 8
PR_SET_PDEATHSIG = 1        # prctl option, from <linux/prctl.h>


def process_count(requested: int | None = None) -> int:
    """The processes to use: as requested, else one per core."""
    return requested or os.cpu_count() or 1


def die_with_parent(parent: int) -> None:
    """Worker initializer: the worker ends when the build ends, even when the build is killed
    with SIGKILL (its pool can then not stop the workers, which would run on for nothing)."""
    if sys.platform == "linux":
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
    if os.getppid() != parent:      # the build died before the line above took effect
        os._exit(1)


_TASK: dict[str, Callable[[list[int]], Any]] = {}


def _run(batch: list[int]) -> Any:
    return _TASK["function"](batch)


def forked_batches(function: Callable[[list[int]], Any], count: int, workers: int) -> Iterator[Any]:
    """``function(batch)`` for batches of the indices ``range(count)``, in ``workers`` processes.

    Results arrive in the order the batches finish. ``function`` may be a closure: the
    workers are forked from this process and find it here.
    """
    # (Imported here: a rebuild that renders a few pages needs none of it.)
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor, as_completed
    slots = workers * BATCHES_PER_WORKER
    batches = [batch for batch in (list(range(i, count, slots)) for i in range(slots)) if batch]
    _TASK["function"] = function
    # What the parent holds (the site model, templates) is no garbage of the workers: frozen,
    # their collections do not walk it, nor write to its memory pages, which stay shared.
    gc.freeze()
    # Unlike multiprocessing.Pool, the executor raises BrokenProcessPool when a worker dies
    # (killed for memory, say) instead of waiting for it forever.
    pool = ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("fork"),
                               initializer=die_with_parent, initargs=(os.getpid(),))
    try:
        for done in as_completed([pool.submit(_run, batch) for batch in batches]):
            yield done.result()
    finally:
        pool.shutdown(wait=True, cancel_futures=True)
        gc.unfreeze()
        _TASK.clear()

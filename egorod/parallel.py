"""Work spread over forked processes: loading content files, rendering pages and e-mails.

The workers are forked, so they see everything the parent has built (the site model, the
Jinja environment, the staged output) without pickling any of it; only each batch's
result travels back. Batches interleave the items (0, 16, 32, ...) so that the slow ones
(long practices, big listings) are shared out evenly.
"""
from __future__ import annotations

from typing import Any, Callable, Iterator

BATCHES_PER_WORKER = 8
_TASK: dict[str, Callable[[list[int]], Any]] = {}


def _run(batch: list[int]) -> Any:
    return _TASK["function"](batch)


def forked_batches(function: Callable[[list[int]], Any], count: int, workers: int) -> Iterator[Any]:
    """``function(batch)`` for batches of the indices ``range(count)``, in ``workers`` processes.

    Results arrive in the order the batches finish. ``function`` may be a closure: the
    workers are forked from this process and find it here.
    """
    import multiprocessing          # (not needed by a rebuild that renders a few pages)
    slots = workers * BATCHES_PER_WORKER
    batches = [batch for batch in (list(range(i, count, slots)) for i in range(slots)) if batch]
    _TASK["function"] = function
    try:
        with multiprocessing.get_context("fork").Pool(workers) as pool:
            yield from pool.imap_unordered(_run, batches)
    finally:
        _TASK.clear()

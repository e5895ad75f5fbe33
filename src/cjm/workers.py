"""Many files, one function: in order, in forked worker processes when there are enough of them.

Used by ``cjm validate`` and ``cjm lint``. Workers are forked, so they start with everything
already imported; each item's result (a verdict, a list of diagnostics), not its map, comes
back, so memory stays flat however many files there are. Where fork is not available, or a
worker dies, or none can start, the remaining items are done here, one by one.
"""

from __future__ import annotations

import os
from typing import Callable, Iterator, Sequence, TypeVar

Item = TypeVar("Item")
Result = TypeVar("Result")

PARALLEL_FROM = 64  # fewer files than this are done faster than worker processes start


def available_cpus() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not on Linux
        return os.cpu_count() or 1


def map_in_workers(work: Callable[[Item], Result], items: Sequence[Item], jobs: int = 0) -> Iterator[Result]:
    """``work(item)`` for every item, yielded in order. ``jobs`` 0: one worker per available CPU.

    ``work`` and the items are pickled to the workers: a module-level function (or a
    ``functools.partial`` of one) and plain data.
    """
    jobs = jobs or available_cpus()
    done = 0
    if jobs > 1 and len(items) >= PARALLEL_FROM:
        import multiprocessing

        if "fork" in multiprocessing.get_all_start_methods():
            from concurrent.futures import ProcessPoolExecutor
            from concurrent.futures.process import BrokenProcessPool

            chunk = max(1, len(items) // (jobs * 8))
            try:
                with ProcessPoolExecutor(max_workers=jobs, mp_context=multiprocessing.get_context("fork")) as pool:
                    for result in pool.map(work, items, chunksize=chunk):
                        yield result
                        done += 1
            except (BrokenProcessPool, OSError):  # a worker was killed, or none could start
                pass
    for item in items[done:]:
        yield work(item)

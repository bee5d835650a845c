"""Threads for the largest daily choices: the deciders are cut into contiguous spans, one per thread.

Every choice is a function of one decider's own rows and of counter-based draws keyed on (time, agent,
alternative), so a span computes exactly what the whole would have computed for its deciders; the spans' results
are concatenated in order. Threads therefore never change a result, only the wall time. NumPy releases the GIL in
its ufuncs, takes and sorts, which is where these choices spend their time (Île-de-France: about 1.5x on 2 cores).
"""

from __future__ import annotations

import functools
import os
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

MIN_ROWS = 30_000  # fewer deciders per thread than this are not split: starting a span and merging cost more


def resolve_threads(requested: int | None) -> int:
    """The threads a run uses: ``requested``, or (None) the cores this process may use, at most 4."""
    if requested is not None:
        return int(requested)
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        cores = os.cpu_count() or 1
    return max(1, min(cores, 4))


def spans(n: int, threads: int, min_rows: int | None = None) -> list[slice]:
    """``range(n)`` cut into at most ``threads`` contiguous spans of at least ``min_rows`` rows (default
    :data:`MIN_ROWS`; one span if fewer), of sizes differing by at most one."""
    least = MIN_ROWS if min_rows is None else min_rows
    k = max(1, min(threads, n // max(least, 1)))
    edges = [n * i // k for i in range(k + 1)]
    return [slice(edges[i], edges[i + 1]) for i in range(k)]


@functools.cache
def _pool(threads: int) -> ThreadPoolExecutor:
    return ThreadPoolExecutor(threads, thread_name_prefix="lieux")


def map_spans[T](fn: Callable[[slice], T], n: int, threads: int, min_rows: int | None = None) -> list[T]:
    """``fn`` over the spans of ``range(n)``, in threads when there are several; results in span order.

    An exception in any span is raised here, as it would be without threads.
    """
    parts = spans(n, threads, min_rows)
    if len(parts) == 1:
        return [fn(parts[0])]
    return list(_pool(len(parts)).map(fn, parts))

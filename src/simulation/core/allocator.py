"""Keep freed memory in the process: large temporary arrays without the kernel's page faults (Linux, glibc).

A day of a large territory allocates and frees hundreds of arrays of tens of MB (the workers' utilities, the
residents' plans). glibc's ``malloc`` serves such sizes by ``mmap`` and gives them back by ``munmap`` when freed,
so every new array is fresh pages that the kernel must zero on first touch: on the Rhône (1.5 M adults) a quarter
of the run's time was system time, page faults. :func:`keep_freed_memory` raises glibc's thresholds so that those
arrays come from the heap and freed memory is kept for the next one (``mallopt``: M_MMAP_THRESHOLD, M_TRIM_THRESHOLD,
M_TOP_PAD). The process's peak memory is unchanged (the memory is reused, not added); its resident memory no longer
falls back after a peak, which is what a simulation process wants. Elsewhere (macOS, Windows, musl) it does
nothing. Measured by ``benchmarks/bench_scale.py``.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import sys

# mallopt parameters (malloc.h)
_M_TRIM_THRESHOLD = -1
_M_TOP_PAD = -2
_M_MMAP_THRESHOLD = -3

MMAP_THRESHOLD_BYTES = (
    1 << 30
)  # blocks below 1 GiB come from the heap (glibc's default is 128 KiB, adaptive to 32 MiB)
TRIM_THRESHOLD_BYTES = (
    1 << 31
) - 1  # free memory at the heap's top is kept up to 2 GiB (mallopt takes an int)
TOP_PAD_BYTES = 64 << 20  # the heap grows by at least 64 MiB at a time

_done = False


def keep_freed_memory() -> bool:
    """Tune glibc's malloc as the module docstring says; once per process.

    Returns:
        whether the thresholds are set (False off glibc, e.g. macOS or musl).
    """
    global _done
    if _done:
        return True
    if not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        mallopt = libc.mallopt
    except (OSError, AttributeError):
        return False
    mallopt.argtypes = [ctypes.c_int, ctypes.c_int]
    mallopt.restype = ctypes.c_int
    ok = all(
        mallopt(param, value) == 1
        for param, value in (
            (_M_MMAP_THRESHOLD, MMAP_THRESHOLD_BYTES),
            (_M_TRIM_THRESHOLD, TRIM_THRESHOLD_BYTES),
            (_M_TOP_PAD, TOP_PAD_BYTES),
        )
    )
    _done = ok
    return ok

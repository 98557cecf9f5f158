"""The one thread pool of the CPU kernels.

A parallel kernel is a serial ``nogil`` kernel over a range of its work (samples, planes, rows of
a product). ``split`` cuts the work into a few chunks per thread; the calling thread and the pool's
threads take chunks until none are left, so a thread that wakes late (or that the system
deschedules, on a busy 2-core machine) leaves its share to the others instead of holding them
up. Threads rather than Numba's ``prange``: a ``parallel=True`` kernel recompiles everything it
calls (~6 s for one convolution pass per dtype), and OpenMP's threads spin after each region,
taking a core from anything else that runs (measured: 2-3x slowdowns next to other pools on 2
cores). BLAS runs single-threaded inside the chunks (see _blas.py), so this is the only pool. Its
size is ``numba.get_num_threads()`` (``NUMBA_NUM_THREADS``, ``numba.set_num_threads``).
"""
import os
from collections import deque
from concurrent.futures import ThreadPoolExecutor

import numba

CHUNKS = 2                       # chunks per thread
_POOL = []                       # the worker threads, made on first use
os.register_at_fork(after_in_child=_POOL.clear)    # a forked child has none of them


def threads_for(work, minimum, limit):
    """How many threads to give ``work`` (any unit) when each must get at least ``minimum`` of
    it, and at most ``limit`` (the number of pieces it can be cut into)."""
    return max(1, min(numba.get_num_threads(), limit, int(work // max(minimum, 1))))


def ranges(n, parts):
    """``parts`` consecutive ranges (lo, hi) covering range(n)."""
    return [(t * n // parts, (t + 1) * n // parts) for t in range(parts)]


def split(task, n, threads):
    """task(t, lo, hi) over chunks [lo, hi) of range(n) on ``threads`` threads; t < threads names
    the thread running it (0: the caller), for per-thread scratch. ``task`` must release the GIL
    while it works (a ``nogil`` kernel)."""
    if threads <= 1:
        task(0, 0, n)
        return
    if not _POOL:
        _POOL.append(ThreadPoolExecutor(max(1, numba.config.NUMBA_NUM_THREADS - 1),
                                        thread_name_prefix="nbtorch"))
    chunks = deque(ranges(n, min(n, threads * CHUNKS)))

    def drain(t):
        while True:
            try:
                lo, hi = chunks.popleft()
            except IndexError:
                return
            task(t, lo, hi)
    jobs = [_POOL[0].submit(drain, t) for t in range(1, threads)]
    try:
        drain(0)
    except BaseException:
        chunks.clear()
        raise
    finally:
        for job in jobs:
            job.result()

"""Block-wide reductions for row kernels (one block per loss row or normalization segment, looping
over rows when there are more rows than blocks): each thread folds its strided share of the row into
a register, then the block combines the partials by a tree in shared memory, in float64.

A kernel that reduces takes ``buf = block_buffer()`` once and passes it to ``block_sum``,
``block_sum2``, ``block_max`` (through its device functions); it is launched with
``row_grid(rows, n)``, so its block size is a power of two, at most ``ROW_THREADS``; every thread of
the block makes the same calls (the reductions synchronize the block).
"""
from numba import cuda, float64

from ._array import MAX_BLOCKS, SIMULATOR

ROW_THREADS = 8 if SIMULATOR else 256       # each simulated thread is a Python thread
_MIN_THREADS = min(32, ROW_THREADS)          # a warp
_SUM, _MAX = 0, 1


def row_grid(rows, n):
    """(blocks, threads) for ``rows`` rows of ``n`` items: threads a power of two, from a warp up
    to ROW_THREADS, no more than the row needs."""
    threads = min(ROW_THREADS, max(_MIN_THREADS, 1 << max(n - 1, 0).bit_length()))
    return max(1, min(rows, MAX_BLOCKS)), threads


@cuda.jit(device=True, inline="always")
def block_buffer():
    """The shared memory the reductions work in: call it in the kernel itself (inlined there), and
    pass it down. NVVM rejects a shared array declared in a device function that a kernel reaches
    along two call paths."""
    return cuda.shared.array((2, ROW_THREADS), float64)


@cuda.jit(device=True)
def _tree(a, b, op, buf):
    """(op over the block of a, sum over the block of b), op being a sum or a max."""
    t = cuda.threadIdx.x
    buf[0, t] = a
    buf[1, t] = b
    cuda.syncthreads()
    s = cuda.blockDim.x // 2
    while s > 0:
        if t < s:
            if op == _SUM:
                buf[0, t] += buf[0, t + s]
            elif buf[0, t + s] > buf[0, t]:
                buf[0, t] = buf[0, t + s]
            buf[1, t] += buf[1, t + s]
        cuda.syncthreads()
        s //= 2
    ra = buf[0, 0]
    rb = buf[1, 0]
    cuda.syncthreads()            # everyone has read the results before the next reduction writes
    return ra, rb


@cuda.jit(device=True)
def block_sum(v, buf):
    """The sum of ``v`` over the block's threads, returned to all of them."""
    return _tree(v, 0.0, _SUM, buf)[0]


@cuda.jit(device=True)
def block_sum2(a, b, buf):
    """The sums of ``a`` and of ``b`` over the block's threads, in one pass."""
    return _tree(a, b, _SUM, buf)


@cuda.jit(device=True)
def block_max(v, buf):
    """The max of ``v`` over the block's threads (a thread with nothing to offer passes -inf)."""
    return _tree(v, 0.0, _MAX, buf)[0]

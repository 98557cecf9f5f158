"""Line kernels on CUDA: the block layout and shared-memory tree shared by reductions and softmax.

As on the CPU, an array is seen as (outer, n, inner) lines x[o, :, i]. A block of BLOCK threads
takes a tile of lines at a time, ``ty`` threads ("lanes") per line, ``ty`` a power of two chosen by
``plan``: lane k0 visits k = k0, k0 + ty, ... and the lanes then combine their partial results by a
tree in shared memory. When lines are contiguous (inner == 1) neighbouring threads share a line, so
they read neighbouring elements; otherwise they take neighbouring lines (neighbouring i), which are
neighbours in memory too. Blocks stride over the tiles, and every thread of a block runs the same
tiles, so the tree's barriers are safe::

    for tile in range(cuda.blockIdx.x, tiles(ty, outer, inner), cuda.gridDim.x):
        ln = line(tile, ty, outer, inner)
        total = some_fold(x, y, p, ln, ty, sm, init)

A thread whose tile runs past the last line gets the last line again with ``ok`` False: it joins
the barriers and reads valid memory, but must not write.
"""
from numba import cuda

from ._array import CudaArray, MAX_BLOCKS, SIMULATOR, dev

BLOCK = 8 if SIMULATOR else 256     # threads per block (the size of a shared-memory tree)
WIDE = 2 if SIMULATOR else 32       # neighbouring lines per block when lines are strided


def plan(outer, n, inner):
    """(blocks, ty) for a line kernel over (outer, n, inner)."""
    cap = BLOCK
    while cap > 1 and inner > 1 and BLOCK // cap < min(inner, WIDE):
        cap //= 2
    ty = 1
    while ty < min(n, cap):
        ty *= 2
    return max(1, min(-(-outer * inner // (BLOCK // ty)), MAX_BLOCKS)), ty


def launch(kernel, shape, *args):
    """kernel[plan](*args, ty) over (outer, n, inner) ``shape``; CudaArray args go as device
    arrays."""
    blocks, ty = plan(*shape)
    kernel[blocks, BLOCK](*(dev(a) if isinstance(a, CudaArray) else a for a in args), ty)


@cuda.jit(device=True)
def tiles(ty, outer, inner):
    tx = cuda.blockDim.x // ty
    return (outer * inner + tx - 1) // tx


@cuda.jit(device=True)
def line(tile, ty, outer, inner):
    """(o, i, k0, at, ok): this thread's line and lane, where the line's ty slots start in shared
    memory, and whether the line is real (not a repeat of the last one)."""
    t = cuda.threadIdx.x
    tx = cuda.blockDim.x // ty
    if inner == 1:
        lane, k0 = t // ty, t % ty
    else:
        lane, k0 = t % tx, t // tx
    ln = tile * tx + lane
    ok = ln < outer * inner
    if not ok:
        ln = outer * inner - 1
    return ln // inner, ln % inner, k0, lane * ty, ok


def fold(term, combine):
    """A device function ``(x, y, p, ln, ty, sm, init) -> total``: the fold by ``combine(a, b, x, o,
    i, p)``, from ``init``, of ``term(x, y, o, k, i, p)`` over k along line ``ln``, its lanes
    combining their parts by a tree in ``sm`` (BLOCK slots); every lane gets the total. Every thread
    of the block must call it (it has barriers)."""
    @cuda.jit(device=True)
    def run(x, y, p, ln, ty, sm, init):
        o, i, k0, at, ok = ln
        a = init
        for k in range(k0, x.shape[1], ty):
            a = combine(a, term(x, y, o, k, i, p), x, o, i, p)
        sm[at + k0] = a
        s = ty // 2
        while s > 0:
            cuda.syncthreads()
            if k0 < s:
                sm[at + k0] = combine(sm[at + k0], sm[at + k0 + s], x, o, i, p)
            s //= 2
        cuda.syncthreads()
        a = sm[at]
        cuda.syncthreads()          # everyone has read it before sm is reused
        return a
    return run


# --- terms and combines that several families use ---

@cuda.jit(device=True)
def value(x, y, o, k, i, p):
    return x[o, k, i]


@cuda.jit(device=True)
def add(a, b, x, o, i, p):
    return a + b


@cuda.jit(device=True)
def larger(a, b, x, o, i, p):
    return b if b > a else a

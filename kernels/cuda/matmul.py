"""Matrix products on CUDA: one shared-memory tiled GEMM serves mm, bmm, addmm and the convolutions.

``gemm`` works on 4-D operands (B1, B2, rows, cols): every (B1, B2) pair is one product, so a
batch may be two-level (conv: sample x group) and an operand may be broadcast over it (stride 0).
A block computes a BM x BN tile of the output: it stages BK-deep slices of op(a) and op(b) in
shared memory (loads coalesced along each operand's contiguous dimension, whichever ``ta``/``tb``
say), and each thread keeps a TM x TN register block of results, rows ty + i*DY and columns
tx + j*DX, so that shared-memory reads and output writes are consecutive across a warp.
Accumulation runs in the output dtype, as the CPU's (integers wrap the same way); results leave
through an epilogue compiled into the kernel: ``store``, ``scale`` (addmm's beta/alpha, the conv
bias) or ``accumulate`` (atomic adds, for a reduction split over several blocks)."""
import functools

import numba
from numba import cuda

from ..registry import register
from ._array import SIMULATOR, dev

DX, DY, TM, TN, BK = (2, 2, 8, 8, 16) if SIMULATOR else (16, 16, 4, 4, 16)
BM, BN = DY * TM, DX * TN
# shared tiles of op(a) and op(b), one column wider so that a tile column, which a load writes
# across threads, spreads over the memory banks instead of hitting one
TILE_A, TILE_B = (BK, BM + 1), (BK, BN + 1)
MAX_GRID = 65535                 # grid y and z limits; the kernel loops over what lies beyond


@cuda.jit(device=True)
def store(out, i1, i2, r, c, v, bias, beta, alpha):
    out[i1, i2, r, c] = v


@cuda.jit(device=True)
def scale(out, i1, i2, r, c, v, bias, beta, alpha):
    """beta * bias + alpha * v in float64, as the CPU's addmm; the bias ignored when beta == 0."""
    if beta == 0:
        out[i1, i2, r, c] = alpha * v
    else:
        out[i1, i2, r, c] = beta * bias[i1, i2, r, c] + alpha * v


@cuda.jit(device=True)
def accumulate(out, i1, i2, r, c, v, bias, beta, alpha):
    """out += v atomically: for products summed into one output (out broadcast, stride 0)."""
    cuda.atomic.add(out, (i1, i2, r, c), v)


@functools.cache
def _kernel(dtype, epilogue):
    """The GEMM kernel for one dtype and epilogue (shared and local arrays need the dtype at
    compile time)."""
    nbtype = numba.from_dtype(dtype)

    @cuda.jit
    def kernel(a, b, out, bias, ta, tb, beta, alpha):
        B2, M, N = out.shape[1], out.shape[2], out.shape[3]
        K = a.shape[2] if ta else a.shape[3]
        tx, ty = cuda.threadIdx.x, cuda.threadIdx.y
        tid = ty * DX + tx
        sa = cuda.shared.array(TILE_A, nbtype)
        sb = cuda.shared.array(TILE_B, nbtype)
        acc = cuda.local.array((TM, TN), nbtype)
        ra = cuda.local.array(TM, nbtype)
        rb = cuda.local.array(TN, nbtype)
        col0 = cuda.blockIdx.x * BN
        for z in range(cuda.blockIdx.z, out.shape[0] * B2, cuda.gridDim.z):
            i1, i2 = z // B2, z % B2
            for row0 in range(cuda.blockIdx.y * BM, M, cuda.gridDim.y * BM):
                for i in range(TM):
                    for j in range(TN):
                        acc[i, j] = 0
                for k0 in range(0, K, BK):
                    for e in range(tid, BM * BK, DX * DY):
                        p, r = (e // BM, e % BM) if ta else (e % BK, e // BK)
                        if row0 + r < M and k0 + p < K:
                            sa[p, r] = (a[i1, i2, k0 + p, row0 + r] if ta
                                        else a[i1, i2, row0 + r, k0 + p])
                        else:
                            sa[p, r] = 0
                    for e in range(tid, BN * BK, DX * DY):
                        p, c = (e % BK, e // BK) if tb else (e // BN, e % BN)
                        if col0 + c < N and k0 + p < K:
                            sb[p, c] = (b[i1, i2, col0 + c, k0 + p] if tb
                                        else b[i1, i2, k0 + p, col0 + c])
                        else:
                            sb[p, c] = 0
                    cuda.syncthreads()
                    for p in range(BK):
                        for i in range(TM):
                            ra[i] = sa[p, ty + i * DY]
                        for j in range(TN):
                            rb[j] = sb[p, tx + j * DX]
                        for i in range(TM):
                            for j in range(TN):
                                acc[i, j] += ra[i] * rb[j]
                    cuda.syncthreads()
                for i in range(TM):
                    r = row0 + ty + i * DY
                    for j in range(TN):
                        c = col0 + tx + j * DX
                        if r < M and c < N:
                            epilogue(out, i1, i2, r, c, acc[i, j], bias, beta, alpha)
    return kernel


def gemm(a, b, out, ta=False, tb=False, epilogue=store, bias=None, beta=1.0, alpha=1.0):
    """Over 4-D CudaArrays (any of them broadcast views), each product op(a[i, j]) @ op(b[i, j])
    goes through ``epilogue`` into out[i, j]: ``store``; ``scale`` (beta * bias + alpha * product,
    ``bias`` broadcast to out's shape); ``accumulate`` (atomic +=)."""
    B1, B2, M, N = out.shape
    if out.size == 0:
        return
    blocks = (-(-N // BN), min(-(-M // BM), MAX_GRID), min(B1 * B2, MAX_GRID))
    d_out = dev(out)
    _kernel(out.dtype, epilogue)[blocks, (DX, DY)](
        dev(a), dev(b), d_out, d_out if bias is None else dev(bias), ta, tb, float(beta),
        float(alpha))


def _batch(x):
    """A 2-D matrix as a (1, 1, rows, cols) view, a 3-D batch as (1, batch, rows, cols)."""
    return x[(None,) * (4 - x.ndim)]


@register("mm_forward", "cuda")
@register("bmm_forward", "cuda")
def mm_forward(a, b, out, ta=False, tb=False):
    """out = op(a) @ op(b) for matrices, or for each matrix of a 3-D batch."""
    gemm(_batch(a), _batch(b), _batch(out), ta, tb)


@register("addmm_forward", "cuda")
def addmm_forward(bias, a, b, out, beta=1.0, alpha=1.0, ta=False, tb=False):
    gemm(_batch(a), _batch(b), _batch(out), ta, tb, scale, _batch(bias.broadcast_to(out.shape)),
         beta, alpha)

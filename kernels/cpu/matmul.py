"""Matrix products. Float GEMMs go to BLAS through numba's ``np.dot`` (one BLAS for all of nbtorch);
other dtypes run a plain loop. Operands arrive C-contiguous; ``ta``/``tb`` say that the product uses
an operand's transpose: a transposed view is passed as its C-contiguous transpose, so BLAS reads it
in place instead of a copy. Every launcher writes into its preallocated ``out``."""
import numpy as np
from numba import njit, types
from numba.extending import overload

from ..registry import register


def gemm(a, b, out, ta, tb):
    """out = op(a) @ op(b), op(x) = x.T when its flag is set (typed by the overload below)."""


@njit(cache=True, inline="always")
def _blas(a, b, out, ta, tb):
    if ta:
        if tb:
            np.dot(a.T, b.T, out)
        else:
            np.dot(a.T, b, out)
    elif tb:
        np.dot(a, b.T, out)
    else:
        np.dot(a, b, out)


@njit(cache=True, inline="always")
def _loop(a, b, out, ta, tb):
    x = a.T if ta else a
    y = b.T if tb else b
    out[:] = 0
    for i in range(out.shape[0]):
        for p in range(x.shape[1]):
            v = x[i, p]
            for j in range(out.shape[1]):
                out[i, j] += v * y[p, j]


@overload(gemm, inline="always")
def _gemm(a, b, out, ta, tb):
    if isinstance(a.dtype, types.Float) and a.dtype.bitwidth >= 32:
        return lambda a, b, out, ta, tb: _blas(a, b, out, ta, tb)
    return lambda a, b, out, ta, tb: _loop(a, b, out, ta, tb)


@njit(cache=True)
def _mm(a, b, out, ta, tb):
    gemm(a, b, out, ta, tb)


@njit(cache=True)
def _bmm(a, b, out, ta, tb):
    for i in range(out.shape[0]):
        gemm(a[i], b[i], out[i], ta, tb)


@njit(cache=True)
def _addmm(bias, a, b, out, beta, alpha, ta, tb):
    gemm(a, b, out, ta, tb)
    step = 1 if bias.shape[0] > 1 else 0
    for i in range(out.shape[0]):
        row = bias[i * step]
        o = out[i]
        if beta == 0:
            for j in range(o.size):
                o[j] = alpha * o[j]
        else:
            for j in range(o.size):
                o[j] = beta * row[j] + alpha * o[j]


@register("mm_forward", "cpu")
def mm_forward(a, b, out, ta=False, tb=False):
    """out (m, n) = op(a) @ op(b); vectors go in as (1, k) / (k, 1) matrices (BLAS dot/gemv)."""
    _mm(a, b, out, ta, tb)


@register("bmm_forward", "cpu")
def bmm_forward(a, b, out, ta=False, tb=False):
    """out[i] = op(a[i]) @ op(b[i]) for 3-D operands with equal batch sizes."""
    _bmm(a, b, out, ta, tb)


@register("addmm_forward", "cpu")
def addmm_forward(bias, a, b, out, beta=1.0, alpha=1.0, ta=False, tb=False):
    """out = beta * bias + alpha * op(a) @ op(b); ``bias`` is (1, n) (one row for every output row,
    as in Linear) or (m, n). With beta == 0 the bias is ignored, NaNs included."""
    _addmm(bias, a, b, out, float(beta), float(alpha), ta, tb)

"""Matrix products. Float GEMMs go to BLAS through ``_blas`` (one BLAS for all of nbtorch, split
over Numba's threads when large); other dtypes run a plain loop. Operands arrive C-contiguous;
``ta``/``tb`` say that the product uses an operand's transpose: a transposed view is passed as its
C-contiguous transpose, so BLAS reads it in place instead of a copy. Every launcher writes into its
preallocated ``out``."""
from numba import njit, types
from numba.extending import overload

from ..registry import register
from . import _blas


def gemm(a, b, out, ta, tb):
    """out = op(a) @ op(b), op(x) = x.T when its flag is set (typed by the overload below)."""


@njit(cache=True, inline="always")
def _loop(a, b, out, ta, tb):
    x = a.T if ta else a
    y = b.T if tb else b
    out[:] = 0
    for i in range(out.shape[0]):
        o = out[i]
        for p in range(x.shape[1]):
            v = x[i, p]
            for j in range(o.size):
                o[j] += v * y[p, j]


@overload(gemm, inline="always")
def _gemm(a, b, out, ta, tb):
    if isinstance(a.dtype, types.Float) and a.dtype.bitwidth >= 32:
        return lambda a, b, out, ta, tb: _blas.gemm(a, b, out, ta, tb, 1.0, 0.0)
    return lambda a, b, out, ta, tb: _loop(a, b, out, ta, tb)


@njit(cache=True)
def _mm(a, b, out, ta, tb):
    gemm(a, b, out, ta, tb)


@njit(cache=True)
def _bmm(a, b, out, ta, tb):
    for i in range(out.shape[0]):
        gemm(a[i], b[i], out[i], ta, tb)


@njit(cache=True, inline="always")
def _bias_row(bias, i):
    """The bias row of output row i: bias's one row (Linear's), or its row i."""
    return bias[i if bias.shape[0] > 1 else 0]


@njit(cache=True)
def _rows(bias, out):
    """Every row of out = its bias row."""
    for i in range(out.shape[0]):
        row, o = _bias_row(bias, i), out[i]
        for j in range(o.size):
            o[j] = row[j]


@njit(cache=True)
def _addmm_int(bias, a, b, out, beta, alpha, ta, tb):
    """The exact integer product, then beta * bias + alpha * product rounded once."""
    _loop(a, b, out, ta, tb)
    for i in range(out.shape[0]):
        row, o = _bias_row(bias, i), out[i]
        for j in range(o.size):
            o[j] = alpha * o[j] if beta == 0 else beta * row[j] + alpha * o[j]


def _float(out):
    return out.dtype.kind == "f"


@register("mm_forward", "cpu")
def mm_forward(a, b, out, ta=False, tb=False):
    """out (m, n) = op(a) @ op(b); vectors go in as (1, k) / (k, 1) matrices (BLAS dot/gemv)."""
    if _float(out):
        _blas.matmul(a, b, out, ta, tb)
    else:
        _mm(a, b, out, ta, tb)


@register("bmm_forward", "cpu")
def bmm_forward(a, b, out, ta=False, tb=False):
    """out[i] = op(a[i]) @ op(b[i]) for 3-D operands with equal batch sizes."""
    _bmm(a, b, out, ta, tb)


@register("addmm_forward", "cpu")
def addmm_forward(bias, a, b, out, beta=1.0, alpha=1.0, ta=False, tb=False):
    """out = beta * bias + alpha * op(a) @ op(b); ``bias`` is (1, n) (one row for every output row,
    as in Linear) or (m, n). With beta == 0 the bias is ignored, NaNs included."""
    if _float(out):
        if beta != 0:
            _rows(bias, out)
        _blas.matmul(a, b, out, ta, tb, float(alpha), float(beta))
    else:
        _addmm_int(bias, a, b, out, float(beta), float(alpha), ta, tb)

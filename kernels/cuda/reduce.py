"""Reductions, scans, sorts and their backward kernels on CUDA: the twins of kernels/cpu/reduce.py,
same launchers, same (outer, n, inner) lines, same accumulator dtypes (float64 for floats, else the
input's own).

Reductions and the backward kernels that need a per-line value (a mean, a count of ties, a product)
run a block per tile of lines with a shared-memory tree (``_lines``). Ties resolve as on the CPU:
max/min keep the first extremum (the first NaN if any), ties and lanes merging by index. Scans run
in tiles of ``ty`` elements, a Hillis-Steele scan in shared memory plus the carry of the tiles
before. Sorts are stable: each element's place is counted, not found by swapping
(``_rank_kernel``), which gives exactly the CPU's stable merge-sort order. Scatters and histograms
add atomically into an output zeroed first.
"""
import functools
import math

import numpy as np
from numba import cuda, from_dtype, int64

from ..cpu.reduce import (_add, _and, _before, _gt, _hit, _lt, _mul, _norm_grad, _or,
                          _prod_grad)
from ..registry import register
from . import _array
from ._array import dev, grid
from ._lines import BLOCK, add, fold, launch, line, tiles, value
from .copy import fill

# --- terms (what a line folds) and combines (how two partial results merge) ----------------------


@cuda.jit(device=True)
def _index(x, y, o, k, i, p):
    return k


@cuda.jit(device=True)
def _sq_dev(x, y, o, k, i, mean):
    d = x[o, k, i] - mean
    return d * d


@cuda.jit(device=True)
def _is_zero(x, y, o, k, i, p):
    return 1.0 if x[o, k, i] == 0 else 0.0


@cuda.jit(device=True)
def _nonzero(x, y, o, k, i, p):
    v = x[o, k, i]
    return np.float64(1.0) if v == 0 else np.float64(v)


@cuda.jit(device=True)
def _ties(x, y, o, k, i, extremum):
    return 1.0 if _hit(x[o, k, i], extremum) else 0.0


@cuda.jit(device=True)
def _abs_ties(x, y, o, k, i, norm):
    return 1.0 if _hit(abs(x[o, k, i]), norm) else 0.0


@cuda.jit(device=True)
def _norm_term(x, y, o, k, i, p):
    """|v|^p for the p-norm; |v| for the inf-norms, (v != 0) for p = 0."""
    v = abs(np.float64(x[o, k, i]))
    if p == 2.0:
        return v * v
    if p == 1.0 or p == np.inf or p == -np.inf:
        return v
    if p == 0.0:
        return 1.0 if v != 0.0 else 0.0
    return v ** p


def _combine(step):
    """A fold's combine from the CPU's step(a, v, p)."""
    @cuda.jit(device=True)
    def combine(a, b, x, o, i, p):
        return step(a, b, p)
    return combine


@cuda.jit(device=True)
def _norm_combine(a, b, x, o, i, p):
    """Sum, or for the inf-norms the max/min; NaN wins."""
    if p == np.inf:
        return b if (b > a or b != b) else a
    if p == -np.inf:
        return b if (b < a or b != b) else a
    return a + b


def _first_best(better):
    """Combine for indices k (-1 for none): the better x[o, k, i], the smaller k among equals."""
    @cuda.jit(device=True)
    def combine(a, b, x, o, i, p):
        if a < 0:
            return b
        if b < 0:
            return a
        u, v = x[o, a, i], x[o, b, i]
        return b if better(v, u) or (not better(u, v) and b < a) else a
    return combine


# --- forward folds: out[o, i] = finish(fold of the line) ---------------------------------------

@cuda.jit(device=True)
def _same(a, p):
    return a


@cuda.jit(device=True)
def _scaled(a, p):
    return a * p


@cuda.jit(device=True)
def _norm_finish(a, p):
    if p == 2.0:
        return math.sqrt(a)
    if p == 1.0 or p == 0.0 or p == np.inf or p == -np.inf:
        return a
    return a ** (1.0 / p)


_FOLDS = {     # op: (term, combine, finish)
    "sum": (value, add, _same),
    "mean": (value, add, _scaled),
    "prod": (value, _combine(_mul), _same),
    "all": (value, _combine(_and), _same),
    "any": (value, _combine(_or), _same),
    "norm": (_norm_term, _norm_combine, _norm_finish),
}


@functools.cache
def _fold_kernel(op, acc):
    """The kernel of a forward fold with a shared-memory tree of dtype ``acc``."""
    term, combine, finish = _FOLDS[op]
    run = fold(term, combine)
    acc = from_dtype(acc)

    @cuda.jit
    def kernel(x, out, init, p, ty):
        sm = cuda.shared.array(BLOCK, acc)
        outer, n, inner = x.shape
        for tile in range(cuda.blockIdx.x, tiles(ty, outer, inner), cuda.gridDim.x):
            ln = line(tile, ty, outer, inner)
            a = run(x, x, p, ln, ty, sm, init)
            o, i, k0, at, ok = ln
            if ok and k0 == 0:
                out[o, i] = finish(a, p)
    return kernel


def _acc(dtype):
    """The accumulator dtype for ``dtype``: float64 for floats, else its own."""
    return np.dtype(np.float64) if dtype.kind == "f" else dtype


def _fold(op, x, out, init, p=0.0):
    if out.size:
        acc = _acc(x.dtype)
        launch(_fold_kernel(op, acc), x.shape, x, out, acc.type(init), float(p))


@register("sum_forward", "cuda")
def sum_forward(x, out):
    _fold("sum", x, out, 0)


@register("mean_forward", "cuda")
def mean_forward(x, out):
    _fold("mean", x, out, 0, 1.0 / x.shape[1] if x.shape[1] else math.inf)


@register("prod_forward", "cuda")
def prod_forward(x, out):
    _fold("prod", x, out, 1)


@register("all_forward", "cuda")
def all_forward(x, out):
    _fold("all", x, out, True)


@register("any_forward", "cuda")
def any_forward(x, out):
    _fold("any", x, out, False)


@register("norm_forward", "cuda")
def norm_forward(x, out, p):
    _fold("norm", x, out, math.inf if p == -math.inf else 0.0, p)


# --- var, std --------------------------------------------------------------------------------

_sum = fold(value, add)
_sum_sq_dev = fold(_sq_dev, add)


@cuda.jit(device=True)
def _mean(x, ln, ty, sm):
    return _sum(x, x, 0.0, ln, ty, sm, 0.0) / x.shape[1]


@cuda.jit
def _var(x, out, correction, root, ty):
    """Two passes, as on the CPU: the mean, then the sum of squared deviations (float64)."""
    sm = cuda.shared.array(BLOCK, np.float64)
    outer, n, inner = x.shape
    for tile in range(cuda.blockIdx.x, tiles(ty, outer, inner), cuda.gridDim.x):
        ln = line(tile, ty, outer, inner)
        s = _sum_sq_dev(x, x, _mean(x, ln, ty, sm), ln, ty, sm, 0.0) / max(0.0, n - correction)
        o, i, k0, at, ok = ln
        if ok and k0 == 0:
            out[o, i] = math.sqrt(s) if root else s


@register("var_forward", "cuda")
def var_forward(x, out, correction):
    if out.size:
        launch(_var, x.shape, x, out, float(correction), False)


@register("std_forward", "cuda")
def std_forward(x, out, correction):
    if out.size:
        launch(_var, x.shape, x, out, float(correction), True)


# --- max, min, amax, amin, argmax, argmin: a tree over indices ---------------------------------

def _select_kernel(better):
    run = fold(_index, _first_best(better))

    @cuda.jit
    def kernel(x, vals, idx, ty):
        sm = cuda.shared.array(BLOCK, int64)
        outer, n, inner = x.shape
        for tile in range(cuda.blockIdx.x, tiles(ty, outer, inner), cuda.gridDim.x):
            ln = line(tile, ty, outer, inner)
            k = run(x, x, 0.0, ln, ty, sm, -1)
            o, i, k0, at, ok = ln
            if ok and k0 == 0:
                vals[o, i] = x[o, k, i]
                idx[o, i] = k
    return kernel


_max = _select_kernel(_gt)
_min = _select_kernel(_lt)


def _select(kernel, x, vals=None, idx=None):
    """vals and idx of the best per line; the one not asked for goes to scratch."""
    shape = (x.shape[0], x.shape[2])
    vals = _array.empty(shape, x.dtype) if vals is None else vals
    idx = _array.empty(shape, np.int64) if idx is None else idx
    if idx.size:
        launch(kernel, x.shape, x, vals, idx)


@register("max_forward", "cuda")
def max_forward(x, values, indices):
    _select(_max, x, values, indices)


@register("min_forward", "cuda")
def min_forward(x, values, indices):
    _select(_min, x, values, indices)


@register("amax_forward", "cuda")
def amax_forward(x, out):
    _select(_max, x, vals=out)


@register("amin_forward", "cuda")
def amin_forward(x, out):
    _select(_min, x, vals=out)


@register("argmax_forward", "cuda")
def argmax_forward(x, indices):
    _select(_max, x, idx=indices)


@register("argmin_forward", "cuda")
def argmin_forward(x, indices):
    _select(_min, x, idx=indices)


# --- cumsum, cumprod --------------------------------------------------------------------------

@functools.cache
def _scan_kernel(step, acc):
    """Inclusive scan along every line (from the end when ``reverse``) in tiles of ty elements:
    a Hillis-Steele scan of the tile in shared memory, then the carry of the tiles before."""
    acc = from_dtype(acc)

    @cuda.jit
    def kernel(x, out, init, reverse, ty):
        sm = cuda.shared.array(BLOCK, acc)
        outer, n, inner = x.shape
        for tile in range(cuda.blockIdx.x, tiles(ty, outer, inner), cuda.gridDim.x):
            o, i, k0, at, ok = line(tile, ty, outer, inner)
            carry = init
            for start in range(0, n, ty):
                inside = start + k0 < n
                k = n - 1 - start - k0 if reverse else start + k0
                sm[at + k0] = x[o, k, i] if inside else init
                d = 1
                while d < ty:
                    cuda.syncthreads()
                    a = sm[at + k0 - d] if k0 >= d else init
                    cuda.syncthreads()
                    sm[at + k0] = step(a, sm[at + k0], 0.0)
                    d *= 2
                cuda.syncthreads()
                if ok and inside:
                    out[o, k, i] = step(carry, sm[at + k0], 0.0)
                carry = step(carry, sm[at + ty - 1], 0.0)
                cuda.syncthreads()
    return kernel


def _scan(step, init, x, out, reverse):
    if out.size:
        acc = _acc(x.dtype)
        launch(_scan_kernel(step, acc), x.shape, x, out, acc.type(init), reverse)


@register("cumsum_forward", "cuda")
def cumsum_forward(x, out):
    _scan(_add, 0, x, out, False)


@register("cumprod_forward", "cuda")
def cumprod_forward(x, out):
    _scan(_mul, 1, x, out, False)


@register("cumsum_backward", "cuda")
def cumsum_backward(grad, grad_input):
    """A cumsum from the end: grad and grad_input (outer, n, inner)."""
    _scan(_add, 0, grad, grad_input, True)


# --- sort, topk: the rank of each element in the stable order ----------------------------------

@functools.cache
def _rank_kernel(before):
    @cuda.jit
    def kernel(x, vals, idx):
        """x[o, k, i] goes to place r = #(elements before it) + #(equal ones at j < k) if r < m."""
        outer, n, inner = x.shape
        m = vals.shape[1]
        for t in range(cuda.grid(1), x.size, cuda.gridsize(1)):
            o, k, i = t // (n * inner), t // inner % n, t % inner
            v = x[o, k, i]
            r = 0
            for j in range(n):
                u = x[o, j, i]
                if before(u, v) or (j < k and not before(v, u)):
                    r += 1
            if r < m:
                vals[o, r, i] = v
                idx[o, r, i] = k
    return kernel


@register("sort_forward", "cuda")
def sort_forward(x, values, indices, descending):
    """Stable sort of every line; NaN counts as the largest value, like PyTorch."""
    if values.size:
        _rank_kernel(_gt if descending else _before)[grid(x.size)](dev(x), dev(values),
                                                                   dev(indices))


@register("topk_forward", "cuda")
def topk_forward(x, values, indices, largest):
    """The k = values.shape[1] largest (smallest) of every line, in sorted order."""
    sort_forward(x, values, indices, largest)


@cuda.jit
def _histc(x, out, lo, hi, bins):
    last = out.shape[0] - 1
    for t in range(cuda.grid(1), x.shape[0], cuda.gridsize(1)):
        v = x[t]
        if v >= lo and v <= hi:
            cuda.atomic.add(out, min(int((v - lo) * bins / (hi - lo)), last), 1)


@register("histc_forward", "cuda")
def histc_forward(x, out, lo, hi):
    """x: 1-D; out: (bins,) of x's dtype; binning in x's dtype, like the CPU."""
    fill(out, 0)
    if x.size:
        t = x.dtype.type
        _histc[grid(x.size)](dev(x), dev(out), t(lo), t(hi), t(out.shape[0]))


# --- backward kernels: gx[o, k, i] from x's line and a few per-line values -----------------------

_count_ties = fold(_ties, add)
_count_abs_ties = fold(_abs_ties, add)
_count_zeros = fold(_is_zero, add)
_nonzero_prod = fold(_nonzero, _combine(_mul))


@cuda.jit
def _extremum_bwd(x, value, g, gx, ty):
    sm = cuda.shared.array(BLOCK, np.float64)
    outer, n, inner = x.shape
    for tile in range(cuda.blockIdx.x, tiles(ty, outer, inner), cuda.gridDim.x):
        ln = line(tile, ty, outer, inner)
        o, i, k0, at, ok = ln
        v = value[o, i]
        count = _count_ties(x, x, v, ln, ty, sm, 0.0)
        if ok:
            for k in range(k0, n, ty):
                gx[o, k, i] = g[o, i] / count if _hit(x[o, k, i], v) else 0.0


@cuda.jit
def _moment_bwd(x, std, g, gx, correction, root, ty):
    """var: gx = 2 g (x - mean) / dof; std: g (x - mean) / (std dof), 0 where std is 0."""
    sm = cuda.shared.array(BLOCK, np.float64)
    outer, n, inner = x.shape
    dof = max(0.0, n - correction)
    for tile in range(cuda.blockIdx.x, tiles(ty, outer, inner), cuda.gridDim.x):
        ln = line(tile, ty, outer, inner)
        mean = _mean(x, ln, ty, sm)
        o, i, k0, at, ok = ln
        if root:
            scale = 0.0 if std[o, i] == 0 else g[o, i] / (std[o, i] * dof)
        else:
            scale = 2.0 * g[o, i] / dof
        if ok:
            for k in range(k0, n, ty):
                gx[o, k, i] = scale * (x[o, k, i] - mean)


@cuda.jit
def _prod_bwd(x, g, gx, ty):
    """d prod / dx[k] = product of the others: exact with zeros (one zero, or several)."""
    sm = cuda.shared.array(BLOCK, np.float64)
    outer, n, inner = x.shape
    for tile in range(cuda.blockIdx.x, tiles(ty, outer, inner), cuda.gridDim.x):
        ln = line(tile, ty, outer, inner)
        zeros = _count_zeros(x, x, 0.0, ln, ty, sm, 0.0)
        rest = _nonzero_prod(x, x, 0.0, ln, ty, sm, 1.0)
        o, i, k0, at, ok = ln
        if ok:
            for k in range(k0, n, ty):
                gx[o, k, i] = _prod_grad(x[o, k, i], g[o, i], rest, zeros)


@cuda.jit
def _norm_bwd(x, norm, g, gx, p, ty):
    sm = cuda.shared.array(BLOCK, np.float64)
    outer, n, inner = x.shape
    for tile in range(cuda.blockIdx.x, tiles(ty, outer, inner), cuda.gridDim.x):
        ln = line(tile, ty, outer, inner)
        o, i, k0, at, ok = ln
        count = 0.0
        if p == np.inf or p == -np.inf:
            count = _count_abs_ties(x, x, norm[o, i], ln, ty, sm, 0.0)
        if ok:
            for k in range(k0, n, ty):
                gx[o, k, i] = _norm_grad(x[o, k, i], norm[o, i], g[o, i], p, count)


@cuda.jit
def _scatter_add(g, idx, gx):
    outer, m, inner = g.shape
    for t in range(cuda.grid(1), g.size, cuda.gridsize(1)):
        o, k, i = t // (m * inner), t // inner % m, t % inner
        cuda.atomic.add(gx, (o, idx[o, k, i], i), g[o, k, i])


@cuda.jit
def _cumprod_bwd(x, out, g, gx):
    """One thread per line, as on the CPU: gx[j] = sum_{k>=j} g[k] prod_{m<=k, m!=j} x[m], exact
    with zeros: before the first zero z it is (reverse cumsum of g*out)[j] / x[j]; at z a running
    product of the entries after z; after z zero."""
    outer, n, inner = x.shape
    for t in range(cuda.grid(1), outer * inner, cuda.gridsize(1)):
        o, i = t // inner, t % inner
        z = n
        for k in range(n):
            if x[o, k, i] == 0:
                z = k
                break
        tail = np.float64(0.0)
        for k in range(n - 1, -1, -1):
            tail += g[o, k, i] * out[o, k, i]
            if k < z:
                gx[o, k, i] = tail / x[o, k, i]
        if z < n:
            run = np.float64(out[o, z - 1, i]) if z > 0 else np.float64(1.0)
            total = np.float64(0.0)
            for k in range(z, n):
                if k > z:
                    run *= x[o, k, i]
                total += g[o, k, i] * run
            gx[o, z, i] = total
            for k in range(z + 1, n):
                gx[o, k, i] = 0.0


@register("extremum_backward", "cuda")
def extremum_backward(x, value, grad, grad_input):
    """max/min over whole lines (global, amax, amin): ties share the gradient evenly."""
    if grad_input.size:
        launch(_extremum_bwd, x.shape, x, value, grad, grad_input)


@register("take_along_dim_backward", "cuda")
def take_along_dim_backward(grad, indices, grad_input):
    """max/min with dim, sort, topk: grad and indices (outer, m, inner) scatter-add into
    grad_input (outer, n, inner)."""
    fill(grad_input, 0)
    if grad.size:
        _scatter_add[grid(grad.size)](dev(grad), dev(indices), dev(grad_input))


@register("var_backward", "cuda")
def var_backward(x, grad, grad_input, correction):
    if grad_input.size:
        launch(_moment_bwd, x.shape, x, grad, grad, grad_input, float(correction), False)


@register("std_backward", "cuda")
def std_backward(x, std, grad, grad_input, correction):
    if grad_input.size:
        launch(_moment_bwd, x.shape, x, std, grad, grad_input, float(correction), True)


@register("prod_backward", "cuda")
def prod_backward(x, grad, grad_input):
    if grad_input.size:
        launch(_prod_bwd, x.shape, x, grad, grad_input)


@register("norm_backward", "cuda")
def norm_backward(x, norm, grad, grad_input, p):
    if grad_input.size:
        launch(_norm_bwd, x.shape, x, norm, grad, grad_input, float(p))


@register("cumprod_backward", "cuda")
def cumprod_backward(x, out, grad, grad_input):
    """x, out (the forward's result), grad, grad_input: all (outer, n, inner)."""
    if grad_input.size:
        lines = x.shape[0] * x.shape[2]
        _cumprod_bwd[grid(lines)](dev(x), dev(out), dev(grad), dev(grad_input))

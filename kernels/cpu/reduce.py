"""Reductions, scans, sorts and their backward kernels on the CPU.

Every launcher sees its input as a C-contiguous array of shape (outer, n, inner) and works along
the middle axis; reduced outputs have shape (outer, inner). The op layer makes the input
contiguous, merges the dims before/after the reduced one(s), and casts bool/int32 to int64 (or
bool for all/any). Float32 accumulates in float64, int64 in int64.

The loop nests are written once (``_fold``, ``_select``, ``_scan``, ``_sort_lines``,
``_lines``) as inline functions taking an njit scalar function; each kernel is a two-line
top-level function passing a global one, so every kernel caches across processes.
"""
import numpy as np
from numba import njit

from ..registry import register

_inline = njit(cache=True, inline="always")
_REASSOC = {"reassoc"}      # lets LLVM vectorize float folds; NaN and inf keep their meaning


# --- loop nests ------------------------------------------------------------------------------

@_inline
def _fold(step, finish, x, out, acc, init, p):
    """out[o, i] = finish(step(...step(init, x[o, 0, i], p)..., x[o, n-1, i], p), p).
    acc: (inner,) in the accumulator's dtype. Contiguous lines (inner == 1) fold into a scalar,
    which LLVM vectorizes when the kernel allows reassociation."""
    outer, n, inner = x.shape
    if inner == 1:
        flat = x.reshape(x.size)
        acc[0] = init
        for o in range(outer):
            a = acc[0]
            base = max(o * n, 0)        # >= 0 already; saying so lets the loop vectorize
            for k in range(n):
                a = step(a, flat[base + k], p)
            out[o, 0] = finish(a, p)
        return
    for o in range(outer):
        acc[:] = init
        for k in range(n):
            for i in range(inner):
                acc[i] = step(acc[i], x[o, k, i], p)
        for i in range(inner):
            out[o, i] = finish(acc[i], p)


@_inline
def _select(better, x, vals, idx):
    """vals/idx[o, i]: the first x[o, k, i] that no later element is ``better`` than."""
    outer, n, inner = x.shape
    for o in range(outer):
        for i in range(inner):
            vals[o, i] = x[o, 0, i]
            idx[o, i] = 0
        for k in range(1, n):
            for i in range(inner):
                if better(x[o, k, i], vals[o, i]):
                    vals[o, i] = x[o, k, i]
                    idx[o, i] = k


@_inline
def _scan(step, init, x, out, acc, reverse):
    """Inclusive scan along the middle axis (from the end when ``reverse``); acc: (inner,)."""
    outer, n, inner = x.shape
    for o in range(outer):
        acc[:] = init
        for j in range(n):
            k = n - 1 - j if reverse else j
            for i in range(inner):
                acc[i] = step(acc[i], x[o, k, i], 0.0)
                out[o, k, i] = acc[i]


@_inline
def _sort_lines(before, x, vals, idx, perm, tmp):
    """Stable merge sort of every line x[o, :, i]; the first m = vals.shape[1] go out."""
    outer, n, inner = x.shape
    m = vals.shape[1]
    for o in range(outer):
        for i in range(inner):
            line = x[o, :, i]
            src, dst = perm, tmp
            for k in range(n):
                src[k] = k
            width = 1
            while width < n:
                for lo in range(0, n, 2 * width):
                    a, mid = lo, min(lo + width, n)
                    b, hi = mid, min(lo + 2 * width, n)
                    for t in range(lo, hi):
                        if b < hi and (a >= mid or before(line[src[b]], line[src[a]])):
                            dst[t] = src[b]
                            b += 1
                        else:
                            dst[t] = src[a]
                            a += 1
                src, dst = dst, src
                width *= 2
            for k in range(m):
                idx[o, k, i] = src[k]
                vals[o, k, i] = line[src[k]]


@_inline
def _lines(grad_of, x, r, g, gx, p):
    """Backward, one line at a time: grad_of(x[o, :, i], r[o, i], g[o, i], p, gx[o, :, i]),
    where r is the forward's result (or any per-line value) and g the incoming gradient."""
    outer, n, inner = x.shape
    for o in range(outer):
        for i in range(inner):
            grad_of(x[o, :, i], r[o, i], g[o, i], p, gx[o, :, i])


# --- scalar functions ----------------------------------------------------------------------

@_inline
def _add(a, v, p):
    return a + v


@_inline
def _mul(a, v, p):
    return a * v


@_inline
def _and(a, v, p):
    return a and v


@_inline
def _or(a, v, p):
    return a or v


@_inline
def _same(a, p):
    return a


@_inline
def _scaled(a, p):
    return a * p


@_inline
def _gt(v, cur):            # max: larger, or the first NaN
    return v > cur or (v != v and cur == cur)


@_inline
def _lt(v, cur):            # min: smaller, or the first NaN
    return v < cur or (v != v and cur == cur)


@_inline
def _before(a, b):          # ascending sort order: NaN counts as the largest value
    return a < b or (b != b and a == a)


@_inline
def _norm_step(a, v, p):
    v = abs(float(v))
    if p == 2.0:
        return a + v * v
    if p == 1.0:
        return a + v
    if p == np.inf:
        return v if (v > a or v != v) else a
    if p == -np.inf:
        return v if (v < a or v != v) else a
    if p == 0.0:
        return a + (1.0 if v != 0.0 else 0.0)
    return a + v ** p


@_inline
def _norm_finish(a, p):
    if p == 2.0:
        return np.sqrt(a)
    if p == 1.0 or p == 0.0 or p == np.inf or p == -np.inf:
        return a
    return a ** (1.0 / p)


# --- backward of one line: (x line, per-line value r, incoming grad g, param p, gx line) ---------

@_inline
def _hit(v, value):         # v is the extremum (NaN counts when the extremum is NaN)
    return v == value or (v != v and value != value)


@_inline
def _even_line(x, value, g, p, gx):
    """max/min/amax/amin: the gradient is split evenly among the ties, like PyTorch."""
    count = 0
    for v in x:
        count += _hit(v, value)
    for k in range(x.shape[0]):
        gx[k] = g / count if _hit(x[k], value) else 0.0


@_inline
def _centered(x, scale, gx):
    """gx = scale * (x - mean(x))."""
    mean = 0.0
    for v in x:
        mean += v
    mean /= x.shape[0]
    for k in range(x.shape[0]):
        gx[k] = scale * (x[k] - mean)


@_inline
def _var_line(x, var, g, correction, gx):
    _centered(x, 2.0 * g / max(0.0, x.shape[0] - correction), gx)


@_inline
def _std_line(x, std, g, correction, gx):
    _centered(x, 0.0 if std == 0 else g / (std * max(0.0, x.shape[0] - correction)), gx)


@_inline
def _prod_grad(v, g, rest, zeros):
    """d prod / dv = the product of the others, from the product ``rest`` of the line's non-zero
    entries and its count of ``zeros``: exact with zeros (one, or several). CUDA's too."""
    if zeros == 0:
        return g * rest / v
    if zeros == 1 and v == 0:
        return g * rest
    return 0.0


@_inline
def _prod_line(x, unused, g, p, gx):
    zeros = 0
    rest = 1.0                      # product of the non-zero entries
    for v in x:
        if v == 0:
            zeros += 1
        else:
            rest *= v
    for k in range(x.shape[0]):
        gx[k] = _prod_grad(x[k], g, rest, zeros)


@_inline
def _norm_grad(v, norm, g, p, count):
    """PyTorch's vector-norm gradient at v: g sign(v) |v|^(p-1) / norm^(p-1); ``count`` ties
    share an inf-norm. CUDA's too."""
    v = float(v)
    sign = (v > 0) - (v < 0)
    if p == 0.0 or (norm == 0 and p >= 1.0) or (v == 0 and p < 1.0):
        return 0.0
    if p == 1.0:
        return g * sign
    if p == 2.0:
        return g * v / norm
    if count > 0:
        return g * sign / count if _hit(abs(v), norm) else 0.0
    return g * sign * (abs(v) / norm) ** (p - 1.0)


@_inline
def _norm_line(x, norm, g, p, gx):
    count = 0
    if p == np.inf or p == -np.inf:
        for v in x:
            count += _hit(abs(v), norm)
    for k in range(x.shape[0]):
        gx[k] = _norm_grad(x[k], norm, g, p, count)


# --- forward kernels -----------------------------------------------------------------------

@njit(cache=True, error_model="numpy", fastmath=_REASSOC)
def _sum(x, out, acc):
    _fold(_add, _same, x, out, acc, 0, 0.0)


@njit(cache=True, error_model="numpy", fastmath=_REASSOC)
def _mean(x, out, acc):
    _fold(_add, _scaled, x, out, acc, 0, 1.0 / x.shape[1])


@njit(cache=True, error_model="numpy", fastmath=_REASSOC)
def _prod(x, out, acc):
    _fold(_mul, _same, x, out, acc, 1, 0.0)


@njit(cache=True)
def _all(x, out, acc):
    _fold(_and, _same, x, out, acc, True, 0.0)


@njit(cache=True)
def _any(x, out, acc):
    _fold(_or, _same, x, out, acc, False, 0.0)


@njit(cache=True, error_model="numpy", fastmath=_REASSOC)
def _norm(x, out, acc, p):
    _fold(_norm_step, _norm_finish, x, out, acc, np.inf if p == -np.inf else 0.0, p)


@njit(cache=True)
def _max(x, vals, idx):
    _select(_gt, x, vals, idx)


@njit(cache=True)
def _min(x, vals, idx):
    _select(_lt, x, vals, idx)


@njit(cache=True)
def _cumsum(x, out, acc, reverse):
    _scan(_add, 0, x, out, acc, reverse)


@njit(cache=True)
def _cumprod(x, out, acc, reverse):
    _scan(_mul, 1, x, out, acc, reverse)


@njit(cache=True)
def _sort_ascending(x, vals, idx, perm, tmp):
    _sort_lines(_before, x, vals, idx, perm, tmp)


@njit(cache=True)
def _sort_descending(x, vals, idx, perm, tmp):
    _sort_lines(_gt, x, vals, idx, perm, tmp)


@njit(cache=True, error_model="numpy", fastmath=_REASSOC)
def _var(x, out, mean, acc, correction, root):
    """Two-pass variance: the mean first, then the sum of squared deviations (float64)."""
    outer, n, inner = x.shape
    _fold(_add, _scaled, x, mean, acc, 0, 1.0 / n)
    dof = max(0.0, n - correction)
    flat = x.reshape(x.size)
    for o in range(outer):
        if inner == 1:                          # a contiguous line: a scalar sum
            m, s = mean[o, 0], 0.0
            for k in range(o * n, o * n + n):
                s += (flat[k] - m) * (flat[k] - m)
            acc[0] = s
        else:
            acc[:] = 0.0
            for k in range(n):
                for i in range(inner):
                    d = x[o, k, i] - mean[o, i]
                    acc[i] += d * d
        for i in range(inner):
            out[o, i] = np.sqrt(acc[i] / dof) if root else acc[i] / dof


@njit(cache=True)
def _histc(x, out, lo, hi, bins):
    """PyTorch's linear binning, in x's dtype; the last bin is closed, NaN and outliers skipped."""
    out[:] = 0
    last = out.shape[0] - 1
    for v in x:
        if v >= lo and v <= hi:
            b = int((v - lo) * bins / (hi - lo))
            out[min(b, last)] += 1


# --- backward kernels ----------------------------------------------------------------------

@njit(cache=True, error_model="numpy")
def _extremum_bwd(x, value, g, gx):
    _lines(_even_line, x, value, g, gx, 0.0)


@njit(cache=True, error_model="numpy")
def _var_bwd(x, g, gx, correction):
    _lines(_var_line, x, g, g, gx, correction)


@njit(cache=True, error_model="numpy")
def _std_bwd(x, std, g, gx, correction):
    _lines(_std_line, x, std, g, gx, correction)


@njit(cache=True, error_model="numpy")
def _prod_bwd(x, g, gx):
    _lines(_prod_line, x, g, g, gx, 0.0)


@njit(cache=True, error_model="numpy")
def _norm_bwd(x, norm, g, gx, p):
    _lines(_norm_line, x, norm, g, gx, p)


@njit(cache=True)
def _take_along_bwd(g, idx, gx):
    """gx = 0, then gx[o, idx[o, k, i], i] += g[o, k, i]."""
    gx[:] = 0
    outer, m, inner = g.shape
    for o in range(outer):
        for k in range(m):
            for i in range(inner):
                gx[o, idx[o, k, i], i] += g[o, k, i]


@njit(cache=True, error_model="numpy")
def _cumprod_bwd(x, out, g, gx, acc):
    """gx[j] = sum_{k>=j} g[k] * prod_{m<=k, m!=j} x[m], in O(n) per line, exact with zeros:
    before the first zero z it is (reverse cumsum of g*out)[j] / x[j]; at z a running
    product of the entries after z; after z zero."""
    outer, n, inner = x.shape
    for o in range(outer):
        for i in range(inner):
            z = n
            for k in range(n):
                if x[o, k, i] == 0:
                    z = k
                    break
            tail = 0.0
            for k in range(n - 1, -1, -1):
                tail += g[o, k, i] * out[o, k, i]
                acc[k] = tail
            for k in range(z):
                gx[o, k, i] = acc[k] / x[o, k, i]
            if z < n:
                run = out[o, z - 1, i] if z > 0 else 1.0
                total = 0.0
                for k in range(z, n):
                    if k > z:
                        run *= x[o, k, i]
                    total += g[o, k, i] * run
                gx[o, z, i] = total
                for k in range(z + 1, n):
                    gx[o, k, i] = 0.0


def _acc(x, inner):
    """The accumulator row for x's dtype: float64 for floats, else x's own dtype."""
    return np.empty(inner, np.float64 if x.dtype.kind == "f" else x.dtype)


@register("sum_forward", "cpu")
def sum_forward(x, out):
    _sum(x, out, _acc(x, x.shape[2]))


@register("mean_forward", "cpu")
def mean_forward(x, out):
    _mean(x, out, _acc(x, x.shape[2]))


@register("prod_forward", "cpu")
def prod_forward(x, out):
    _prod(x, out, _acc(x, x.shape[2]))


@register("all_forward", "cpu")
def all_forward(x, out):
    _all(x, out, _acc(x, x.shape[2]))


@register("any_forward", "cpu")
def any_forward(x, out):
    _any(x, out, _acc(x, x.shape[2]))


@register("norm_forward", "cpu")
def norm_forward(x, out, p):
    _norm(x, out, _acc(x, x.shape[2]), float(p))


@register("var_forward", "cpu")
def var_forward(x, out, correction):
    _var(x, out, np.empty(out.shape), _acc(x, x.shape[2]), float(correction), False)


@register("std_forward", "cpu")
def std_forward(x, out, correction):
    _var(x, out, np.empty(out.shape), _acc(x, x.shape[2]), float(correction), True)


@register("max_forward", "cpu")
def max_forward(x, values, indices):
    _max(x, values, indices)


@register("min_forward", "cpu")
def min_forward(x, values, indices):
    _min(x, values, indices)


@register("amax_forward", "cpu")
def amax_forward(x, out):
    _max(x, out, np.empty(out.shape, np.int64))


@register("amin_forward", "cpu")
def amin_forward(x, out):
    _min(x, out, np.empty(out.shape, np.int64))


@register("argmax_forward", "cpu")
def argmax_forward(x, indices):
    _max(x, np.empty(indices.shape, x.dtype), indices)


@register("argmin_forward", "cpu")
def argmin_forward(x, indices):
    _min(x, np.empty(indices.shape, x.dtype), indices)


@register("cumsum_forward", "cpu")
def cumsum_forward(x, out):
    _cumsum(x, out, _acc(x, x.shape[2]), False)


@register("cumprod_forward", "cpu")
def cumprod_forward(x, out):
    _cumprod(x, out, _acc(x, x.shape[2]), False)


@register("sort_forward", "cpu")
def sort_forward(x, values, indices, descending):
    """Stable sort of every line; NaN counts as the largest value, like PyTorch."""
    kernel = _sort_descending if descending else _sort_ascending
    n = x.shape[1]
    kernel(x, values, indices, np.empty(n, np.int64), np.empty(n, np.int64))


@register("topk_forward", "cpu")
def topk_forward(x, values, indices, largest):
    """The k = values.shape[1] largest (smallest) of every line, in sorted order."""
    sort_forward(x, values, indices, largest)


@register("histc_forward", "cpu")
def histc_forward(x, out, lo, hi):
    """x: 1-D; out: (bins,) of x's dtype; lo < hi finite, chosen by the op layer."""
    t = x.dtype.type
    _histc(x, out, t(lo), t(hi), t(out.shape[0]))


# --- backward launchers: grad/result arrays are (outer, inner) unless said otherwise -------------

@register("extremum_backward", "cpu")
def extremum_backward(x, value, grad, grad_input):
    """max/min over whole lines (global, amax, amin): ties share the gradient evenly."""
    _extremum_bwd(x, value, grad, grad_input)


@register("take_along_dim_backward", "cpu")
def take_along_dim_backward(grad, indices, grad_input):
    """max/min with dim, sort, topk: grad and indices (outer, m, inner) scatter-add into
    grad_input (outer, n, inner)."""
    _take_along_bwd(grad, indices, grad_input)


@register("var_backward", "cpu")
def var_backward(x, grad, grad_input, correction):
    _var_bwd(x, grad, grad_input, float(correction))


@register("std_backward", "cpu")
def std_backward(x, std, grad, grad_input, correction):
    _std_bwd(x, std, grad, grad_input, float(correction))


@register("prod_backward", "cpu")
def prod_backward(x, grad, grad_input):
    _prod_bwd(x, grad, grad_input)


@register("norm_backward", "cpu")
def norm_backward(x, norm, grad, grad_input, p):
    _norm_bwd(x, norm, grad, grad_input, float(p))


@register("cumsum_backward", "cpu")
def cumsum_backward(grad, grad_input):
    """A cumsum from the end: grad and grad_input (outer, n, inner)."""
    _cumsum(grad, grad_input, _acc(grad, grad.shape[2]), True)


@register("cumprod_backward", "cpu")
def cumprod_backward(x, out, grad, grad_input):
    """x, out (the forward's result), grad, grad_input: all (outer, n, inner)."""
    _cumprod_bwd(x, out, grad, grad_input, np.empty(x.shape[1]))

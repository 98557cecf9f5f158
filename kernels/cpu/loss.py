"""Cross-entropy (log-softmax and NLL fused in one pass per row) and NLL, forward and backward.

Inputs are (N, C) or (N, C, d1, ...), seen as (N, C, inner) with one row of C classes per (n, i).
Cross-entropy works on contiguous rows: for inner > 1 the launcher copies x (and a probability
target, or the forward's probs) into (N * inner, C) scratch first. Rows' max/log-sum-exp use
softmax.py's vectorized row helpers; totals are accumulated in float64. With class-index targets the
forward also writes the softmax ``probs``, which the backward reads instead of recomputing it (as
PyTorch does); ignored rows of probs are 0. ``weight`` is always given (ones when the user gave
none).

Launchers (x, weight, out, probs, grad_input: C-contiguous, one float dtype, probs and grad_input
shaped like x; target: int64 class indices, each in [0, C) or == ignore_index, checked by the
caller; reduction: "none", "mean" or "sum", with out (and grad) of shape (N, d1, ...) for "none"
and () otherwise):
  cross_entropy_forward(x, target, weight, out, probs, ignore_index, label_smoothing, reduction)
  cross_entropy_backward(grad, probs, target, weight, grad_input, ignore_index, label_smoothing,
                         reduction)
      loss per row: (1 - eps) * -w[t] log p[t] + eps / C * -sum_c w[c] log p[c] (0 when ignored);
      "mean" divides the total by the sum of w[t] over the rows not ignored (PyTorch's rule).
  cross_entropy_prob_forward(x, target, weight, out, label_smoothing, reduction)
  cross_entropy_prob_backward(grad, x, target, weight, grad_input, label_smoothing, reduction)
      target: probabilities shaped like x; loss per row: -sum_c w[c] q[c] log p[c] with
      q = (1 - eps) target + eps / C; "mean" divides by the number of rows.
  nll_loss_forward(x, target, weight, out, ignore_index, reduction)      x: log-probabilities
  nll_loss_backward(grad, target, weight, grad_input, ignore_index, reduction)
"""
import math

import numpy as np
from numba import njit

from ..registry import register
from . import _math, _threads
from .softmax import exp_sum, row_max, row_sum

_PARALLEL_MIN = 1 << 16         # elements per thread from which the rows are split
_PARALLEL_MIN_BWD = 1 << 19     # the same for ce_bwd_k, a multiply-add per element (measured on
                                # 2 cores: (256, 1000) 70 us on 1 thread, 120-160 us on 2)

_NONE, _MEAN, _SUM = 0, 1, 2
_REDUCTIONS = {"none": _NONE, "mean": _MEAN, "sum": _SUM}


@njit(cache=True, inline="always")
def _weighted_shift(x, w, m):
    return w * (x - m)


@njit(cache=True, inline="always")
def _log_sum_exp(xr, scratch):
    """(m, log(sum(exp(xr - m)))) with m = max(xr): log p = (x - m) - the second.
    scratch: C values."""
    m = row_max(xr)
    return m, _math.log(exp_sum(xr, m, scratch))


@njit(cache=True, inline="always")
def _finish(out, total, count, reduction):
    if reduction == _MEAN:
        out[0] = np.divide(total, count)    # 0 / 0 is nan, like PyTorch
    elif reduction == _SUM:
        out[0] = total


@njit(cache=True, inline="always")
def _weight_total(t, w, ignore):
    total = 0.0
    for k in t:
        if k != ignore:
            total += w[k]
    return total


@njit(cache=True, inline="always")
def _smoothed(q, eps, C):
    """The target probability after label smoothing."""
    return (1.0 - eps) * q + eps / C


@njit(cache=True, inline="always")
def _row_grad(g, reduction, r, count):
    if reduction == _NONE:
        return g[r]
    if reduction == _MEAN:
        return np.divide(g[0], count)
    return g[0]


# --- cross-entropy, class indices: row kernels over rows [lo, hi), split over the threads ---
@njit(cache=True, nogil=True)
def ce_fwd_k(x, t, w, losses, p, ignore, eps, lo, hi):
    """losses[r] = the loss of row r (0 where ignored), in float64; p[r] = softmax(x[r]) from one
    exp pass: exp(x - max) is stored in p[r], then scaled by 1 / its sum."""
    C = x.shape[1]
    w_all = w.sum()
    one = x.dtype.type(1)
    for r in range(lo, hi):
        k = t[r]
        pr = p[r]
        if k == ignore:
            losses[r] = 0
            pr[:] = 0
            continue
        xr = x[r]
        m = row_max(xr)
        total = exp_sum(xr, m, pr)
        ls = _math.log(total)
        loss = -(1.0 - eps) * w[k] * ((xr[k] - m) - ls)
        if eps > 0:
            loss -= eps / C * (row_sum(_weighted_shift, xr, w, m) - w_all * ls)
        losses[r] = loss
        inv = one / total
        for c in range(C):
            pr[c] *= inv


@njit(cache=True)
def ce_total(losses, t, w, out, ignore, reduction):
    """out = the losses (reduction "none") or their total / mean, summed in row order."""
    if reduction == _NONE:
        for r in range(losses.size):
            out[r] = losses[r]
        return
    total = 0.0
    for r in range(losses.size):
        total += losses[r]
    _finish(out, total, _weight_total(t, w, ignore), reduction)


@njit(cache=True, nogil=True)
def ce_bwd_k(g, p, t, w, gx, ignore, eps, reduction, lo, hi):
    """Each row's gradient p * (its weights) - (the smoothed one-hot target), in one pass over the
    forward's softmax p."""
    C = p.shape[1]
    w_all = w.sum()
    count = _weight_total(t, w, ignore) if reduction == _MEAN else 1.0
    for r in range(lo, hi):
        k = t[r]
        gxr = gx[r]
        if k == ignore:
            gxr[:] = 0
            continue
        pr = p[r]
        gr = _row_grad(g, reduction, r, count)
        a = p.dtype.type(gr * ((1.0 - eps) * w[k] + eps / C * w_all))
        b = p.dtype.type(gr * eps / C)
        for c in range(C):
            gxr[c] = a * pr[c] - b * w[c]
        gxr[k] -= gr * (1.0 - eps) * w[k]


# --- cross-entropy, class probabilities ---
@njit(cache=True)
def ce_prob_fwd_k(x, q, w, out, eps, reduction, scratch):
    rows, C = x.shape
    total = 0.0
    for r in range(rows):
        xr = x[r]
        qr = q[r]
        m, ls = _log_sum_exp(xr, scratch)
        wq = 0.0            # sum of w q'
        wqx = 0.0           # sum of w q' (x - m)
        for c in range(C):
            s = w[c] * _smoothed(qr[c], eps, C)
            wq += s
            wqx += s * (xr[c] - m)
        loss = wq * ls - wqx
        if reduction == _NONE:
            out[r] = loss
        total += loss
    _finish(out, total, rows, reduction)


@njit(cache=True)
def ce_prob_bwd_k(g, x, q, w, gx, eps, reduction, scratch):
    rows, C = x.shape
    for r in range(rows):
        xr = x[r]
        qr = q[r]
        gxr = gx[r]
        m, ls = _log_sum_exp(xr, scratch)
        gr = _row_grad(g, reduction, r, rows)
        wq = 0.0
        for c in range(C):
            wq += w[c] * _smoothed(qr[c], eps, C)
        for c in range(C):
            p = _math.exp((xr[c] - m) - ls)
            gxr[c] = gr * (p * wq - w[c] * _smoothed(qr[c], eps, C))


# --- NLL on (N, C, inner) log-probabilities ---
@njit(cache=True)
def nll_fwd_k(x, t, w, out, ignore, reduction):
    N, C, inner = x.shape
    total = 0.0
    for n in range(N):
        for i in range(inner):
            k = t[n * inner + i]
            loss = 0.0 if k == ignore else -w[k] * x[n, k, i]
            if reduction == _NONE:
                out[n * inner + i] = loss
            total += loss
    _finish(out, total, _weight_total(t, w, ignore), reduction)


@njit(cache=True)
def nll_bwd_k(g, t, w, gx, ignore, reduction):
    N, C, inner = gx.shape
    count = _weight_total(t, w, ignore) if reduction == _MEAN else 1.0
    gx[:] = 0
    for n in range(N):
        for i in range(inner):
            k = t[n * inner + i]
            if k != ignore:
                gx[n, k, i] = -w[k] * _row_grad(g, reduction, n * inner + i, count)


# --- launchers ---
def _view(a, C):
    """(N, C, *d) (or unbatched (C,)) as (N, C, inner)."""
    N = a.shape[0] if a.ndim > 1 else 1
    return a.reshape(N, C, math.prod(a.shape[2:]))


def _rows(a, C):
    """(N, C, *d) as contiguous (N * inner, C) rows: a view when inner == 1, else a copy."""
    v = _view(a, C)
    if v.shape[2] == 1:
        return v.reshape(-1, C)
    return np.ascontiguousarray(v.transpose(0, 2, 1)).reshape(-1, C)


def _grad_rows(grad_input, C):
    """Where a kernel writes the (N * inner, C) rows of grad_input (or probs): itself if
    inner == 1, else scratch for _store_rows."""
    v = _view(grad_input, C)
    if v.shape[2] == 1:
        return v.reshape(-1, C)
    return np.empty((v.shape[0] * v.shape[2], C), v.dtype)


def _store_rows(rows, grad_input, C):
    v = _view(grad_input, C)
    if v.shape[2] != 1:
        v[...] = rows.reshape(v.shape[0], v.shape[2], C).transpose(0, 2, 1)


def _scratch(x, C):
    return np.empty(C, x.dtype)


def _split_rows(kernel, rows, *args, minimum=_PARALLEL_MIN):
    """kernel(*args, lo, hi) over the rows (N * inner, C), split over the threads (``minimum``
    elements each at least)."""
    n = rows.shape[0]
    _threads.split(lambda t, lo, hi: kernel(*args, lo, hi), n,
                   _threads.threads_for(rows.size, minimum, n))


@register("cross_entropy_forward", "cpu")
def cross_entropy_forward(x, target, weight, out, probs, ignore_index, label_smoothing,
                          reduction):
    C = weight.shape[0]
    rows, p, t = _rows(x, C), _grad_rows(probs, C), target.reshape(-1)
    losses = np.empty(rows.shape[0])
    _split_rows(ce_fwd_k, rows, rows, t, weight, losses, p, ignore_index, float(label_smoothing))
    _store_rows(p, probs, C)
    ce_total(losses, t, weight, out.reshape(-1), ignore_index, _REDUCTIONS[reduction])


@register("cross_entropy_backward", "cpu")
def cross_entropy_backward(grad, probs, target, weight, grad_input, ignore_index,
                           label_smoothing, reduction):
    C = weight.shape[0]
    gx, p = _grad_rows(grad_input, C), _rows(probs, C)
    _split_rows(ce_bwd_k, p, grad.reshape(-1), p, target.reshape(-1), weight, gx,
                ignore_index, float(label_smoothing), _REDUCTIONS[reduction],
                minimum=_PARALLEL_MIN_BWD)
    _store_rows(gx, grad_input, C)


@register("cross_entropy_prob_forward", "cpu")
def cross_entropy_prob_forward(x, target, weight, out, label_smoothing, reduction):
    C = weight.shape[0]
    ce_prob_fwd_k(_rows(x, C), _rows(target, C), weight, out.reshape(-1),
                  float(label_smoothing), _REDUCTIONS[reduction], _scratch(x, C))


@register("cross_entropy_prob_backward", "cpu")
def cross_entropy_prob_backward(grad, x, target, weight, grad_input, label_smoothing, reduction):
    C = weight.shape[0]
    gx = _grad_rows(grad_input, C)
    ce_prob_bwd_k(grad.reshape(-1), _rows(x, C), _rows(target, C), weight, gx,
                  float(label_smoothing), _REDUCTIONS[reduction], _scratch(x, C))
    _store_rows(gx, grad_input, C)


@register("nll_loss_forward", "cpu")
def nll_loss_forward(x, target, weight, out, ignore_index, reduction):
    nll_fwd_k(_view(x, weight.shape[0]), target.reshape(-1), weight, out.reshape(-1),
              ignore_index, _REDUCTIONS[reduction])


@register("nll_loss_backward", "cpu")
def nll_loss_backward(grad, target, weight, grad_input, ignore_index, reduction):
    nll_bwd_k(grad.reshape(-1), target.reshape(-1), weight, _view(grad_input, weight.shape[0]),
              ignore_index, _REDUCTIONS[reduction])

"""Cross-entropy and NLL on CUDA, with the launchers of kernels/cpu/loss.py (same arguments, same
rules for weight, ignore_index, label_smoothing and reduction).

Inputs (N, C, d1, ...) are indexed as (N, C, inner): one row of C classes per (n, i). Cross-entropy
runs a block per row (looping over rows when there are more rows than blocks); the row's max, sum of
exps and weighted sums are block reductions (_block.py), with exp in the input's dtype and sums in
float64. With class indices the forward also writes the softmax ``probs``, so that the backward,
like NLL's, needs no reduction over classes: a thread per gradient element (NLL's forward: a thread
per row). For "mean"/"sum" the row kernels write each row's loss to a float64 scratch vector that
one block sums (``_finish``); "mean" divides by ``count``, computed first: the sum of w[t] over the
rows not ignored (``_weight_total``), or the number of rows for probability targets.
"""
import math

import numpy as np
from numba import cuda

from ..cpu.loss import _MEAN, _NONE, _REDUCTIONS, _SUM, _smoothed, _weighted_shift
from ..registry import register
from . import _array
from ._array import contiguous, dev, flat, grid
from ._block import ROW_THREADS, block_buffer, block_max, block_sum, block_sum2, row_grid


# --- per-row pieces, called by every thread of the row's block ---
@cuda.jit(device=True)
def _log_sum_exp(x, n, i, buf):
    """(m, log(sum_c exp(x[n, c, i] - m))) with m the row's max, in x's dtype."""
    m = -math.inf
    for c in range(cuda.threadIdx.x, x.shape[1], cuda.blockDim.x):
        m = max(m, x[n, c, i])
    m = x.dtype.type(block_max(m, buf))
    s = 0.0
    for c in range(cuda.threadIdx.x, x.shape[1], cuda.blockDim.x):
        s += math.exp(x[n, c, i] - m)
    return m, math.log(block_sum(s, buf))


@cuda.jit(device=True)
def _class_sums(x, w, n, i, m, buf):
    """(sum_c w[c] (x[n, c, i] - m), sum_c w[c])."""
    s = 0.0
    w_all = 0.0
    for c in range(cuda.threadIdx.x, x.shape[1], cuda.blockDim.x):
        s += _weighted_shift(x[n, c, i], w[c], m)
        w_all += w[c]
    return block_sum2(s, w_all, buf)


@cuda.jit(device=True)
def _target_sums(x, q, w, n, i, m, eps, buf):
    """(sum_c w[c] q'[c], sum_c w[c] q'[c] (x[n, c, i] - m)), q' the smoothed target."""
    C = x.shape[1]
    wq = 0.0
    wqx = 0.0
    for c in range(cuda.threadIdx.x, C, cuda.blockDim.x):
        s = w[c] * _smoothed(q[n, c, i], eps, C)
        wq += s
        wqx += s * (x[n, c, i] - m)
    return block_sum2(wq, wqx, buf)


@cuda.jit(device=True)
def _element(e, C, inner):
    """(n, c, i, r) of element e of an (N, C, inner) array, r = n * inner + i its row."""
    n, c, i = e // (C * inner), (e // inner) % C, e % inner
    return n, c, i, n * inner + i


@cuda.jit(device=True)
def _row_grad(g, reduction, r, count):
    """The gradient reaching row ``r``'s loss."""
    if reduction == _NONE:
        return g[r]
    if reduction == _MEAN:
        return g[0] / count[0]
    return g[0]


# --- cross-entropy, class indices: a block per row ---
@cuda.jit
def _ce_fwd(x, t, w, losses, p, ignore, eps):
    """Each row's loss, and its softmax p (0 where ignored)."""
    buf = block_buffer()
    N, C, inner = x.shape
    for r in range(cuda.blockIdx.x, N * inner, cuda.gridDim.x):
        n, i = r // inner, r % inner
        k = t[r]
        loss = 0.0
        if k == ignore:
            for c in range(cuda.threadIdx.x, C, cuda.blockDim.x):
                p[n, c, i] = 0
        else:
            m, ls = _log_sum_exp(x, n, i, buf)
            loss = -(1.0 - eps) * w[k] * ((x[n, k, i] - m) - ls)
            if eps > 0:
                shifted, w_all = _class_sums(x, w, n, i, m, buf)
                loss -= eps / C * (shifted - w_all * ls)
            for c in range(cuda.threadIdx.x, C, cuda.blockDim.x):
                p[n, c, i] = math.exp((x[n, c, i] - m) - ls)
        if cuda.threadIdx.x == 0:
            losses[r] = loss


# --- cross-entropy backward from the forward's softmax p: a thread per element ---
@cuda.jit
def _ce_bwd(g, p, t, w, gx, ignore, eps, reduction, count, w_all):
    N, C, inner = p.shape
    for e in range(cuda.grid(1), N * C * inner, cuda.gridsize(1)):
        n, c, i, r = _element(e, C, inner)
        k = t[r]
        v = 0.0
        if k != ignore:
            gr = _row_grad(g, reduction, r, count)
            a = gr * ((1.0 - eps) * w[k] + eps / C * w_all[0])    # times p[c]
            b = gr * eps / C                                        # times -w[c]
            v = a * p[n, c, i] - b * w[c]
            if c == k:
                v -= gr * (1.0 - eps) * w[k]
        gx[n, c, i] = v


# --- cross-entropy, class probabilities: a block per row ---
@cuda.jit
def _ce_prob_fwd(x, q, w, losses, eps):
    buf = block_buffer()
    N, C, inner = x.shape
    for r in range(cuda.blockIdx.x, N * inner, cuda.gridDim.x):
        n, i = r // inner, r % inner
        m, ls = _log_sum_exp(x, n, i, buf)
        wq, wqx = _target_sums(x, q, w, n, i, m, eps, buf)
        if cuda.threadIdx.x == 0:
            losses[r] = wq * ls - wqx


@cuda.jit
def _ce_prob_bwd(g, x, q, w, gx, eps, reduction, count):
    buf = block_buffer()
    N, C, inner = x.shape
    for r in range(cuda.blockIdx.x, N * inner, cuda.gridDim.x):
        n, i = r // inner, r % inner
        m, ls = _log_sum_exp(x, n, i, buf)
        wq = _target_sums(x, q, w, n, i, m, eps, buf)[0]
        gr = _row_grad(g, reduction, r, count)
        for c in range(cuda.threadIdx.x, C, cuda.blockDim.x):
            p = math.exp((x[n, c, i] - m) - ls)
            gx[n, c, i] = gr * (p * wq - w[c] * _smoothed(q[n, c, i], eps, C))


# --- NLL: a thread per row / per gradient element ---
@cuda.jit
def _nll_fwd(x, t, w, losses, ignore):
    N, C, inner = x.shape
    for r in range(cuda.grid(1), N * inner, cuda.gridsize(1)):
        k = t[r]
        losses[r] = 0.0 if k == ignore else -w[k] * x[r // inner, k, r % inner]


@cuda.jit
def _nll_bwd(g, t, w, gx, ignore, reduction, count):
    N, C, inner = gx.shape
    for e in range(cuda.grid(1), N * C * inner, cuda.gridsize(1)):
        n, c, i, r = _element(e, C, inner)
        k = t[r]
        gx[n, c, i] = -w[k] * _row_grad(g, reduction, r, count) if k == c and k != ignore else 0


# --- totals: one block ---
@cuda.jit
def _weight_total(t, w, ignore, count):
    s = 0.0
    for r in range(cuda.threadIdx.x, t.size, cuda.blockDim.x):
        if t[r] != ignore:
            s += w[t[r]]
    s = block_sum(s, block_buffer())
    if cuda.threadIdx.x == 0:
        count[0] = s


@cuda.jit
def _finish(losses, count, out, reduction):
    s = 0.0
    for r in range(cuda.threadIdx.x, losses.size, cuda.blockDim.x):
        s += losses[r]
    s = block_sum(s, block_buffer())
    if cuda.threadIdx.x == 0:
        out[0] = s / count[0] if reduction == _MEAN else s


# --- launchers ---
def _view(a, C):
    """(N, C, *d) (or unbatched (C,)) as an (N, C, inner) device array over the same memory."""
    N = a.shape[0] if a.ndim > 1 else 1
    return dev(a.reshape(N, C, math.prod(a.shape[2:])))


def _rows(x, C):
    """The number of rows of C classes (N * inner)."""
    return x.size // C if C else 0


def _losses(out, rows, reduction):
    """Where row losses go: ``out`` itself for "none", else float64 scratch for ``_finish``."""
    if reduction == "none":
        return dev(out.reshape(rows))
    return dev(_array.empty((rows,), np.float64))


def _finish_into(losses, count, out, reduction):
    if reduction != "none":
        _finish[1, ROW_THREADS](losses, count, flat(out), _REDUCTIONS[reduction])


def _count(target, weight, ignore_index, reduction):
    """(1,) float64 on the device: the divisor of a "mean" (unset for other reductions)."""
    count = dev(_array.empty((1,), np.float64))
    if reduction == "mean":
        _weight_total[1, ROW_THREADS](flat(target), dev(weight), ignore_index, count)
    return count


def _class_total(weight):
    """(1,) float64 on the device: the sum of the weights (_finish's "sum" of them)."""
    total = dev(_array.empty((1,), np.float64))
    _finish[1, ROW_THREADS](dev(weight), total, total, _SUM)
    return total


def _row_count(rows):
    """(1,) float64 on the device: the divisor of a "mean" over probability targets."""
    return dev(_array.from_host(np.array([rows], np.float64)))


@register("cross_entropy_forward", "cuda")
def cross_entropy_forward(x, target, weight, out, probs, ignore_index, label_smoothing,
                          reduction):
    C = weight.shape[0]
    rows = _rows(x, C)
    losses = _losses(out, rows, reduction)
    if rows:
        _ce_fwd[row_grid(rows, C)](_view(contiguous(x), C), flat(target), dev(weight), losses,
                                   _view(probs, C), ignore_index, float(label_smoothing))
    _finish_into(losses, _count(target, weight, ignore_index, reduction), out, reduction)


@register("cross_entropy_backward", "cuda")
def cross_entropy_backward(grad, probs, target, weight, grad_input, ignore_index,
                           label_smoothing, reduction):
    C = weight.shape[0]
    if grad_input.size:
        _ce_bwd[grid(grad_input.size)](flat(contiguous(grad)), _view(contiguous(probs), C),
                                       flat(target), dev(weight), _view(grad_input, C),
                                       ignore_index, float(label_smoothing),
                                       _REDUCTIONS[reduction],
                                       _count(target, weight, ignore_index, reduction),
                                       _class_total(weight))


@register("cross_entropy_prob_forward", "cuda")
def cross_entropy_prob_forward(x, target, weight, out, label_smoothing, reduction):
    C = weight.shape[0]
    rows = _rows(x, C)
    losses = _losses(out, rows, reduction)
    if rows:
        _ce_prob_fwd[row_grid(rows, C)](_view(contiguous(x), C), _view(contiguous(target), C),
                                        dev(weight), losses, float(label_smoothing))
    _finish_into(losses, _row_count(rows), out, reduction)


@register("cross_entropy_prob_backward", "cuda")
def cross_entropy_prob_backward(grad, x, target, weight, grad_input, label_smoothing, reduction):
    C = weight.shape[0]
    rows = _rows(x, C)
    if rows:
        _ce_prob_bwd[row_grid(rows, C)](flat(contiguous(grad)), _view(contiguous(x), C),
                                        _view(contiguous(target), C), dev(weight),
                                        _view(grad_input, C), float(label_smoothing),
                                        _REDUCTIONS[reduction], _row_count(rows))


@register("nll_loss_forward", "cuda")
def nll_loss_forward(x, target, weight, out, ignore_index, reduction):
    C = weight.shape[0]
    rows = _rows(x, C)
    losses = _losses(out, rows, reduction)
    if rows:
        _nll_fwd[grid(rows)](_view(contiguous(x), C), flat(target), dev(weight), losses,
                             ignore_index)
    _finish_into(losses, _count(target, weight, ignore_index, reduction), out, reduction)


@register("nll_loss_backward", "cuda")
def nll_loss_backward(grad, target, weight, grad_input, ignore_index, reduction):
    if grad_input.size:
        _nll_bwd[grid(grad_input.size)](flat(contiguous(grad)), flat(target), dev(weight),
                                        _view(grad_input, weight.shape[0]), ignore_index,
                                        _REDUCTIONS[reduction],
                                        _count(target, weight, ignore_index, reduction))

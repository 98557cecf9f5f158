"""Pooling kernels on the CPU: max, average, adaptive max and adaptive average 2d, forward and
backward, over the N*C planes of an (N, C, H, W) array (or any (..., H, W); 1-d pooling is the
2-d case with H = 1).

Every pooling op reduces windows. Along each dim a window table ``(lo, taps, div)`` says that
output ``o`` reads the ``taps[o]`` inputs ``lo[o] + t * dilation`` (already clipped to the input)
and that an average divides by ``div_rows[oh] * div_cols[ow]``. The tables come from kernel, stride,
padding and dilation, or from the size ratio for adaptive pooling, so one max kernel and one
average kernel (with their backwards) serve both kinds.

Launchers (arrays C-contiguous, one float dtype; ``indices`` int64; outputs preallocated; int
pairs are (H, W) tuples; ``divisor_override`` is None or a nonzero int):
  maxpool2d_forward(x, out, indices, kernel, stride, padding, dilation)
  maxpool2d_backward(grad, indices, grad_input)
  avgpool2d_forward(x, out, kernel, stride, padding, count_include_pad, divisor_override)
  avgpool2d_backward(grad, grad_input, kernel, stride, padding, count_include_pad, divisor_override)
  adaptive_maxpool2d_forward(x, out, indices)
  adaptive_maxpool2d_backward(grad, indices, grad_input)
  adaptive_avgpool2d_forward(x, out), adaptive_avgpool2d_backward(grad, grad_input)
``indices`` holds PyTorch's flat position h * W + w of each maximum inside its plane (the first
maximum; a NaN wins), or -1 for a window that covers no input element (possible only with dilation;
PyTorch returns a position outside the plane there; backward skips it).

A row of outputs is done tap by tap: for each input row its windows read, every tap of the
"interior" columns (whose whole window lies inside the input, ``_interior``) runs as one
vectorized loop over the row (``_run``); the border columns walk their clipped windows from the
tables. Each output still meets its taps in PyTorch's order, row by row, left to right. The
2x2 windows at stride 2 (LeNet's, VGG's) have straight-line kernels of their own (``_max2``,
``_avg2``, ``_avg2_grad``). Every kernel works on a range of planes; the planes are split over the
threads (_threads.py) when there are enough elements.
"""
import math

import numpy as np
from numba import njit

from ..registry import register
from . import _threads

_PARALLEL_MIN = 1 << 17     # input elements per thread from which the planes are split
MAX, ADD, SPREAD = (np.int64(i) for i in range(3))      # what a run does (see _run)


# --- window tables -----------------------------------------------------------------------------

@njit(cache=True)
def sliding_windows(size, n_out, k, s, p, d, count_include_pad, divisor):
    """Windows of kernel ``k``, stride ``s``, padding ``p``, dilation ``d`` along a dim of ``size``:
    the first tap inside the input, the number of taps inside it, and the average's divisor:
    ``divisor`` when nonzero, else the window's length counting the padding (as far as the padded
    input reaches) or not."""
    lo = np.empty(n_out, np.int64)
    taps = np.empty(n_out, np.int64)
    div = np.empty(n_out, np.float64)
    for o in range(n_out):
        start = o * s - p
        lo[o] = start + (max(-start, 0) + d - 1) // d * d
        taps[o] = max((min(start + (k - 1) * d + 1, size) - lo[o] + d - 1) // d, 0)
        if divisor:
            div[o] = divisor
        elif count_include_pad:
            div[o] = min(start + k, size + p) - start
        else:
            div[o] = taps[o]
    return lo, taps, div


@njit(cache=True)
def adaptive_windows(size, n_out):
    """PyTorch's adaptive windows: floor(o * size / n_out) <= i < ceil((o + 1) * size / n_out)."""
    lo = np.empty(n_out, np.int64)
    taps = np.empty(n_out, np.int64)
    div = np.empty(n_out, np.float64)
    for o in range(n_out):
        lo[o] = o * size // n_out
        taps[o] = ((o + 1) * size + n_out - 1) // n_out - lo[o]
        div[o] = taps[o]
    return lo, taps, div


# --- the loops -------------------------------------------------------------------------------

@njit(cache=True, inline="always")
def _run(mode, xr, c0, s, o, ix, o0, n, pos):
    """Outputs o[o0 + i], i < n, meet inputs xr[c0 + i * s]. MAX: PyTorch's max rule (a greater
    value or a NaN replaces), ix keeping the position pos + column; ADD: o += x; SPREAD: x += o.
    c0, o0 >= 0 and s >= 1 already: saying so lets LLVM drop numba's negative-index test, and the
    loops vectorize."""
    c0, s, o0 = max(c0, 0), max(s, 1), max(o0, 0)
    if mode == MAX:
        for i in range(n):
            v, m = xr[c0 + i * s], o[o0 + i]
            take = (v > m) | (v != v)
            o[o0 + i] = v if take else m
            ix[o0 + i] = pos + c0 + i * s if take else ix[o0 + i]
    elif mode == ADD:
        for i in range(n):
            o[o0 + i] += xr[c0 + i * s]
    else:
        for i in range(n):
            xr[c0 + i * s] += o[o0 + i]


@njit(cache=True, inline="always")
def _row(mode, xr, o, ix, ws, nw, dw, win, pos):
    """Every tap of one input row for one row of outputs: the interior columns as runs, the
    others one by one along their clipped windows."""
    kw, sw, pw, c0, c1 = win
    for t in range(kw):
        _run(mode, xr, c0 * sw + t * dw - pw, sw, o, ix, c0, c1 - c0, pos)
    for ow in range(o.size):
        if c0 <= ow < c1:
            continue
        for t in range(nw[ow]):
            _run(mode, xr, ws[ow] + t * dw, 1, o, ix, ow, 1, pos)


@njit(cache=True, nogil=True)
def _max(x, out, idx, rows, cols, dh, dw, win, lo, hi):
    hs, nh, _ = rows
    ws, nw, _ = cols
    W = x.shape[2]
    for p in range(lo, hi):
        for oh in range(out.shape[1]):
            o, ix = out[p, oh], idx[p, oh]
            for ow in range(o.size):
                o[ow] = -np.inf
                ix[ow] = hs[oh] * W + ws[ow] if nh[oh] > 0 and nw[ow] > 0 else -1
            for t in range(nh[oh]):
                h = hs[oh] + t * dh
                _row(MAX, x[p, h], o, ix, ws, nw, dw, win, h * W)


@njit(cache=True, nogil=True)
def _avg(x, out, rows, cols, win, lo, hi):
    hs, nh, div_h = rows
    ws, nw, div_w = cols
    for p in range(lo, hi):
        for oh in range(out.shape[1]):
            o = out[p, oh]
            o[:] = 0
            for h in range(hs[oh], hs[oh] + nh[oh]):
                _row(ADD, x[p, h], o, o, ws, nw, 1, win, 0)
            for ow in range(o.size):
                o[ow] /= div_h[oh] * div_w[ow]


@njit(cache=True, nogil=True)
def _avg_grad(grad, grad_input, rows, cols, win, scaled, lo, hi):
    """scaled: scratch for one row of gradients divided by their windows' sizes."""
    hs, nh, div_h = rows
    ws, nw, div_w = cols
    for p in range(lo, hi):
        grad_input[p] = 0
        for oh in range(grad.shape[1]):
            for ow in range(scaled.size):
                scaled[ow] = grad[p, oh, ow] / (div_h[oh] * div_w[ow])
            for h in range(hs[oh], hs[oh] + nh[oh]):
                _row(SPREAD, grad_input[p, h], scaled, scaled, ws, nw, 1, win, 0)


# --- 2x2 windows at stride 2 without padding (LeNet's, VGG's): straight-line, branch-free ---
# A data-dependent branch per tap mispredicts on real data: measured 6x slower than these.

@njit(cache=True, nogil=True)
def _max2(x, out, idx, lo, hi):
    """The max by value first, then the first position holding it by integer arithmetic; a row
    with a NaN is redone by PyTorch's rule (the last NaN wins)."""
    W = x.shape[2]
    for p in range(lo, hi):
        for oh in range(out.shape[1]):
            r0, r1, o, ix = x[p, 2 * oh], x[p, 2 * oh + 1], out[p, oh], idx[p, oh]
            nan = False
            for ow in range(o.size):
                a, b, c, d = r0[2 * ow], r0[2 * ow + 1], r1[2 * ow], r1[2 * ow + 1]
                o[ow] = max(max(a, b), max(c, d))
                nan |= (a != a) | (b != b) | (c != c) | (d != d)
            for ow in range(o.size):
                m = o[ow]
                e0, e1, e2 = (np.int64(r0[2 * ow] == m), np.int64(r0[2 * ow + 1] == m),
                              np.int64(r1[2 * ow] == m))
                ix[ow] = 2 * (oh * W + ow) + (1 - e0) * (1 + (1 - e1) * (W - 1 + (1 - e2)))
            if nan:
                ix[:] = 2 * oh * W
                o[:] = -np.inf
                _run(MAX, r0, 0, 2, o, ix, 0, o.size, 2 * oh * W)
                _run(MAX, r0, 1, 2, o, ix, 0, o.size, 2 * oh * W)
                _run(MAX, r1, 0, 2, o, ix, 0, o.size, (2 * oh + 1) * W)
                _run(MAX, r1, 1, 2, o, ix, 0, o.size, (2 * oh + 1) * W)


@njit(cache=True, nogil=True)
def _avg2(x, out, rows, cols, lo, hi):
    div_h, div_w = rows[2], cols[2]
    for p in range(lo, hi):
        for oh in range(out.shape[1]):
            r0, r1, o = x[p, 2 * oh], x[p, 2 * oh + 1], out[p, oh]
            for ow in range(o.size):
                o[ow] = (r0[2 * ow] + r0[2 * ow + 1] + r1[2 * ow] + r1[2 * ow + 1]) / (
                    div_h[oh] * div_w[ow])


@njit(cache=True, nogil=True)
def _avg2_grad(grad, grad_input, rows, cols, lo, hi):
    """Each input gets its one window's share, written (not added); zeros first only where the
    windows leave a last row or column uncovered."""
    div_h, div_w = rows[2], cols[2]
    OH, OW = grad.shape[1], grad.shape[2]
    for p in range(lo, hi):
        if 2 * OH != grad_input.shape[1] or 2 * OW != grad_input.shape[2]:
            grad_input[p] = 0
        for oh in range(OH):
            g, r0, r1 = grad[p, oh], grad_input[p, 2 * oh], grad_input[p, 2 * oh + 1]
            for ow in range(OW):
                v = g[ow] / (div_h[oh] * div_w[ow])
                r0[2 * ow] = r0[2 * ow + 1] = r1[2 * ow] = r1[2 * ow + 1] = v


@njit(cache=True, nogil=True)
def _scatter(grad, idx, grad_input, lo, hi):
    """grad_input = 0, then each output's gradient added at its argmax (flat planes)."""
    for p in range(lo, hi):
        grad_input[p] = 0
        for i in range(grad.shape[1]):
            j = idx[p, i]
            if j >= 0:
                grad_input[p, j] += grad[p, i]


# --- launchers ---------------------------------------------------------------------------------

def _planes(a):
    """``a`` (..., H, W) as (planes, H, W), sharing memory."""
    return a.reshape(math.prod(a.shape[:-2]), *a.shape[-2:])


def _flat_planes(a):
    return a.reshape(math.prod(a.shape[:-2]), a.shape[-2] * a.shape[-1])


def _split(kernel, elements, planes, *args):
    """kernel(*args, lo, hi) over the planes, split over the threads when they are big enough."""
    _threads.split(lambda t, lo, hi: kernel(*args, lo, hi), planes,
                   _threads.threads_for(elements, _PARALLEL_MIN, planes))


def _two_by_two(in_shape, out_shape, kernel, stride, padding, dilation=(1, 1)):
    """Whether every window is a whole 2x2 block at stride 2 (the fast kernels apply)."""
    return (tuple(kernel) == tuple(stride) == (2, 2) and tuple(padding) == (0, 0)
            and tuple(dilation) == (1, 1) and 2 * out_shape[-2] <= in_shape[-2]
            and 2 * out_shape[-1] <= in_shape[-1])


def _interior(size, n_out, k, s, p, d):
    """(k, s, p, first, end): the outputs [first, end) whose k taps o * s - p + t * d all lie
    inside [0, size)."""
    first = min(-(-p // s), n_out)
    end = min((size - 1 + p - (k - 1) * d) // s + 1, n_out)
    return k, s, p, first, max(end, first)


_NO_INTERIOR = (0, 1, 0, 0, 0)          # adaptive windows: every column walks its own window


def _sliding(in_shape, out_shape, kernel, stride, padding, dilation=(1, 1), count_include_pad=True,
             divisor_override=None):
    """(rows, cols) window tables; an override divides each window by divisor_override * 1."""
    divisors = (divisor_override, 1) if divisor_override else (0, 0)
    return tuple(sliding_windows(in_shape[d - 2], out_shape[d - 2], kernel[d], stride[d],
                                 padding[d], dilation[d], count_include_pad, divisors[d])
                 for d in range(2))


def _adaptive(in_shape, out_shape):
    return tuple(adaptive_windows(in_shape[d - 2], out_shape[d - 2]) for d in range(2))


@register("maxpool2d_forward", "cpu")
def maxpool2d_forward(x, out, indices, kernel, stride, padding, dilation):
    xp = _planes(x)
    if _two_by_two(x.shape, out.shape, kernel, stride, padding, dilation):
        _split(_max2, x.size, xp.shape[0], xp, _planes(out), _planes(indices))
        return
    rows, cols = _sliding(x.shape, out.shape, kernel, stride, padding, dilation)
    win = _interior(x.shape[-1], out.shape[-1], kernel[1], stride[1], padding[1], dilation[1])
    _split(_max, x.size, xp.shape[0], xp, _planes(out), _planes(indices), rows, cols,
           dilation[0], dilation[1], win)


@register("adaptive_maxpool2d_forward", "cpu")
def adaptive_maxpool2d_forward(x, out, indices):
    rows, cols = _adaptive(x.shape, out.shape)
    xp = _planes(x)
    _split(_max, x.size, xp.shape[0], xp, _planes(out), _planes(indices), rows, cols, 1, 1,
           _NO_INTERIOR)


@register("maxpool2d_backward", "cpu")
@register("adaptive_maxpool2d_backward", "cpu")
def maxpool2d_backward(grad, indices, grad_input):
    gp = _flat_planes(grad_input)
    _split(_scatter, grad_input.size, gp.shape[0], _flat_planes(grad), _flat_planes(indices), gp)


@register("avgpool2d_forward", "cpu")
def avgpool2d_forward(x, out, kernel, stride, padding, count_include_pad, divisor_override):
    rows, cols = _sliding(x.shape, out.shape, kernel, stride, padding, (1, 1), count_include_pad,
                          divisor_override)
    xp = _planes(x)
    if _two_by_two(x.shape, out.shape, kernel, stride, padding):
        _split(_avg2, x.size, xp.shape[0], xp, _planes(out), rows, cols)
        return
    win = _interior(x.shape[-1], out.shape[-1], kernel[1], stride[1], padding[1], 1)
    _split(_avg, x.size, xp.shape[0], xp, _planes(out), rows, cols, win)


@register("avgpool2d_backward", "cpu")
def avgpool2d_backward(grad, grad_input, kernel, stride, padding, count_include_pad,
                       divisor_override):
    rows, cols = _sliding(grad_input.shape, grad.shape, kernel, stride, padding, (1, 1),
                          count_include_pad, divisor_override)
    if _two_by_two(grad_input.shape, grad.shape, kernel, stride, padding):
        gp = _planes(grad_input)
        _split(_avg2_grad, grad_input.size, gp.shape[0], _planes(grad), gp, rows, cols)
        return
    win = _interior(grad_input.shape[-1], grad.shape[-1], kernel[1], stride[1], padding[1], 1)
    _avg_backward(grad, grad_input, rows, cols, win)


@register("adaptive_avgpool2d_forward", "cpu")
def adaptive_avgpool2d_forward(x, out):
    rows, cols = _adaptive(x.shape, out.shape)
    xp = _planes(x)
    _split(_avg, x.size, xp.shape[0], xp, _planes(out), rows, cols, _NO_INTERIOR)


@register("adaptive_avgpool2d_backward", "cpu")
def adaptive_avgpool2d_backward(grad, grad_input):
    _avg_backward(grad, grad_input, *_adaptive(grad_input.shape, grad.shape), _NO_INTERIOR)


def _avg_backward(grad, grad_input, rows, cols, win):
    gp = _planes(grad_input)
    threads = _threads.threads_for(grad_input.size, _PARALLEL_MIN, gp.shape[0])
    scratch = np.empty((threads, grad.shape[-1]), grad.dtype)     # one row per thread
    gr = _planes(grad)
    _threads.split(lambda t, lo, hi: _avg_grad(gr, gp, rows, cols, win, scratch[t], lo, hi),
                   gp.shape[0], threads)

"""Pooling kernels on the CPU: max, average, adaptive max and adaptive average 2d, forward and
backward, over the N*C planes of an (N, C, H, W) array (or any (..., H, W); 1-d pooling is the
2-d case with H = 1).

Every pooling op reduces windows. Along each dim a window table ``(lo, taps, div)`` says that
output ``o`` reads the ``taps[o]`` inputs ``lo[o] + t * dilation`` (already clipped to the input)
and that an average divides by ``div_rows[oh] * div_cols[ow]``. The tables come from kernel, stride,
padding and dilation, or from the size ratio for adaptive pooling, so one max kernel and one
average kernel (with their backwards) serve both kinds. The plane bodies are written once; each
kernel runs them as a prange over planes when the input is big, serially otherwise.

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
"""
import math

import numpy as np
from numba import njit, prange

from ..registry import register

_PARALLEL_MIN = 1 << 15     # input elements from which the planes run in parallel


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


# --- plane bodies ------------------------------------------------------------------------------

@njit(cache=True, inline="always")
def _max_plane(p, x, out, idx, rows, cols, dh, dw):
    """PyTorch's rule: start from the window's first tap, take any greater value or a NaN."""
    hs, nh, _ = rows
    ws, nw, _ = cols
    width = x.shape[2]
    for oh in range(out.shape[1]):
        for ow in range(out.shape[2]):
            if nh[oh] == 0 or nw[ow] == 0:
                out[p, oh, ow] = -np.inf
                idx[p, oh, ow] = -1
                continue
            h = hs[oh]
            m = x[p, h, ws[ow]]
            best = h * width + ws[ow]
            for _ in range(nh[oh]):
                w = ws[ow]
                for _ in range(nw[ow]):
                    v = x[p, h, w]
                    if v > m or v != v:
                        m = v
                        best = h * width + w
                    w += dw
                h += dh
            out[p, oh, ow] = m
            idx[p, oh, ow] = best


@njit(cache=True, inline="always")
def _scatter_plane(p, grad, idx, grad_input):
    """grad_input[p] = 0, then each output's gradient added at its argmax (flat planes)."""
    grad_input[p] = 0
    for i in range(grad.shape[1]):
        j = idx[p, i]
        if j >= 0:
            grad_input[p, j] += grad[p, i]


@njit(cache=True, inline="always")
def _avg_plane(p, x, out, rows, cols):
    hs, nh, div_h = rows
    ws, nw, div_w = cols
    for oh in range(out.shape[1]):
        for ow in range(out.shape[2]):
            s = 0.0
            for h in range(hs[oh], hs[oh] + nh[oh]):
                for w in range(ws[ow], ws[ow] + nw[ow]):
                    s += x[p, h, w]
            out[p, oh, ow] = s / (div_h[oh] * div_w[ow])


@njit(cache=True, inline="always")
def _avg_grad_plane(p, grad, grad_input, rows, cols):
    hs, nh, div_h = rows
    ws, nw, div_w = cols
    grad_input[p] = 0
    for oh in range(grad.shape[1]):
        for ow in range(grad.shape[2]):
            g = grad[p, oh, ow] / (div_h[oh] * div_w[ow])
            for h in range(hs[oh], hs[oh] + nh[oh]):
                for w in range(ws[ow], ws[ow] + nw[ow]):
                    grad_input[p, h, w] += g


# --- kernels: parallel over planes, and serial ---------------------------------------------------

@njit(cache=True, parallel=True)
def max_par(x, out, idx, rows, cols, dh, dw):
    for p in prange(x.shape[0]):
        _max_plane(p, x, out, idx, rows, cols, dh, dw)


@njit(cache=True)
def max_ser(x, out, idx, rows, cols, dh, dw):
    for p in range(x.shape[0]):
        _max_plane(p, x, out, idx, rows, cols, dh, dw)


@njit(cache=True, parallel=True)
def scatter_par(grad, idx, grad_input):
    for p in prange(grad.shape[0]):
        _scatter_plane(p, grad, idx, grad_input)


@njit(cache=True)
def scatter_ser(grad, idx, grad_input):
    for p in range(grad.shape[0]):
        _scatter_plane(p, grad, idx, grad_input)


@njit(cache=True, parallel=True)
def avg_par(x, out, rows, cols):
    for p in prange(x.shape[0]):
        _avg_plane(p, x, out, rows, cols)


@njit(cache=True)
def avg_ser(x, out, rows, cols):
    for p in range(x.shape[0]):
        _avg_plane(p, x, out, rows, cols)


@njit(cache=True, parallel=True)
def avg_grad_par(grad, grad_input, rows, cols):
    for p in prange(grad.shape[0]):
        _avg_grad_plane(p, grad, grad_input, rows, cols)


@njit(cache=True)
def avg_grad_ser(grad, grad_input, rows, cols):
    for p in range(grad.shape[0]):
        _avg_grad_plane(p, grad, grad_input, rows, cols)


# --- launchers ---------------------------------------------------------------------------------

def _planes(a):
    """``a`` (..., H, W) as (planes, H, W), sharing memory."""
    return a.reshape(math.prod(a.shape[:-2]), *a.shape[-2:])


def _flat_planes(a):
    return a.reshape(math.prod(a.shape[:-2]), a.shape[-2] * a.shape[-1])


def _pick(size, par, ser):
    return par if size >= _PARALLEL_MIN else ser


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
    rows, cols = _sliding(x.shape, out.shape, kernel, stride, padding, dilation)
    _pick(x.size, max_par, max_ser)(_planes(x), _planes(out), _planes(indices), rows, cols,
                                    dilation[0], dilation[1])


@register("adaptive_maxpool2d_forward", "cpu")
def adaptive_maxpool2d_forward(x, out, indices):
    rows, cols = _adaptive(x.shape, out.shape)
    _pick(x.size, max_par, max_ser)(_planes(x), _planes(out), _planes(indices), rows, cols, 1, 1)


@register("maxpool2d_backward", "cpu")
@register("adaptive_maxpool2d_backward", "cpu")
def maxpool2d_backward(grad, indices, grad_input):
    _pick(grad_input.size, scatter_par, scatter_ser)(
        _flat_planes(grad), _flat_planes(indices), _flat_planes(grad_input))


@register("avgpool2d_forward", "cpu")
def avgpool2d_forward(x, out, kernel, stride, padding, count_include_pad, divisor_override):
    rows, cols = _sliding(x.shape, out.shape, kernel, stride, padding, (1, 1), count_include_pad,
                          divisor_override)
    _pick(x.size, avg_par, avg_ser)(_planes(x), _planes(out), rows, cols)


@register("avgpool2d_backward", "cpu")
def avgpool2d_backward(grad, grad_input, kernel, stride, padding, count_include_pad,
                       divisor_override):
    rows, cols = _sliding(grad_input.shape, grad.shape, kernel, stride, padding, (1, 1),
                          count_include_pad, divisor_override)
    _pick(grad_input.size, avg_grad_par, avg_grad_ser)(_planes(grad), _planes(grad_input), rows,
                                                       cols)


@register("adaptive_avgpool2d_forward", "cpu")
def adaptive_avgpool2d_forward(x, out):
    rows, cols = _adaptive(x.shape, out.shape)
    _pick(x.size, avg_par, avg_ser)(_planes(x), _planes(out), rows, cols)


@register("adaptive_avgpool2d_backward", "cpu")
def adaptive_avgpool2d_backward(grad, grad_input):
    rows, cols = _adaptive(grad_input.shape, grad.shape)
    _pick(grad_input.size, avg_grad_par, avg_grad_ser)(_planes(grad), _planes(grad_input), rows,
                                                       cols)

"""Pooling on CUDA: max, average, adaptive max and adaptive average 2d, forward and backward, over
the planes of (..., H, W) arrays, with the CPU launchers' signatures and index conventions (read
kernels/cpu/pool.py).

The windows are the CPU's own tables (``sliding_windows`` / ``adaptive_windows``, computed on
the host and copied over): output o along a dim reads the ``taps[o]`` inputs lo[o] + t * dilation
and an average divides by div_rows[oh] * div_cols[ow]. Forward kernels run one thread per output
with the CPU's arithmetic (float64 sums, the same max rule), so results match it exactly. The
average's backward gathers: each input sums the outputs whose windows hold it, in the CPU's order;
those windows form a range [first, end) per dim, since window starts and ends never decrease. The
max backward, whose launcher gets no window sizes, scatters each gradient to its argmax with an
atomic add (exact where windows do not overlap)."""
import math

import numpy as np
from numba import cuda

from ..cpu.pool import _adaptive, _flat_planes, _planes, _sliding
from ..registry import register
from ._array import contiguous, dev, grid
from .copy import fill


# --- window tables, as the CPU's, packed for the device ---------------------------------------

def _tables(rows, cols):
    """The tables on the device: (2, 2, n) int64 [rows, cols] x [lo, taps], (2, n) divisors."""
    n = max(len(rows[0]), len(cols[0]))
    win, div = np.zeros((2, 2, n), np.int64), np.ones((2, n))
    for d, (lo, taps, dv) in enumerate((rows, cols)):
        win[d, 0, :len(lo)], win[d, 1, :len(lo)], div[d, :len(lo)] = lo, taps, dv
    return cuda.to_device(win), cuda.to_device(div)


def _inverse(rows, cols, size):
    """(2, 2, max(H, W)) int64 on the device: for each input row (and column) of the (H, W)
    ``size``, the first and the end of the windows that hold it."""
    inv = np.zeros((2, 2, max(size)), np.int64)
    for d, (lo, taps, _) in enumerate((rows, cols)):
        at = np.arange(size[d])
        inv[d, 0, :size[d]] = np.searchsorted(lo + taps, at, "right")
        inv[d, 1, :size[d]] = np.searchsorted(lo, at, "right")
    return cuda.to_device(inv)


# --- kernels ----------------------------------------------------------------------------------

@cuda.jit
def _max(x, out, idx, win, dh, dw, n):
    """PyTorch's rule, as the CPU's: start from the window's first tap, take any greater value or
    a NaN; an empty window gives -inf and index -1."""
    OH, OW, W = out.shape[1], out.shape[2], x.shape[2]
    for i in range(cuda.grid(1), n, cuda.gridsize(1)):
        ow, t = i % OW, i // OW
        oh, p = t % OH, t // OH
        h0, nh, w0, nw = win[0, 0, oh], win[0, 1, oh], win[1, 0, ow], win[1, 1, ow]
        if nh == 0 or nw == 0:
            out[p, oh, ow] = -math.inf
            idx[p, oh, ow] = -1
            continue
        m = x[p, h0, w0]
        best = h0 * W + w0
        for a in range(nh):
            h = h0 + a * dh
            for c in range(nw):
                w = w0 + c * dw
                v = x[p, h, w]
                if v > m or v != v:
                    m = v
                    best = h * W + w
        out[p, oh, ow] = m
        idx[p, oh, ow] = best


@cuda.jit
def _scatter(grad, idx, grad_input, n):
    """grad_input[p, idx[p, i]] += grad[p, i] over flat planes (grad_input zeroed before)."""
    L = grad.shape[1]
    for i in range(cuda.grid(1), n, cuda.gridsize(1)):
        p, o = i // L, i % L
        j = idx[p, o]
        if j >= 0:
            cuda.atomic.add(grad_input, (p, j), grad[p, o])


@cuda.jit
def _avg(x, out, win, div, n):
    OH, OW = out.shape[1], out.shape[2]
    for i in range(cuda.grid(1), n, cuda.gridsize(1)):
        ow, t = i % OW, i // OW
        oh, p = t % OH, t // OH
        s = 0.0
        for h in range(win[0, 0, oh], win[0, 0, oh] + win[0, 1, oh]):
            for w in range(win[1, 0, ow], win[1, 0, ow] + win[1, 1, ow]):
                s += x[p, h, w]
        out[p, oh, ow] = s / (div[0, oh] * div[1, ow])


@cuda.jit
def _avg_grad(grad, grad_input, div, inv, n):
    """grad_input[p, h, w] = the sum of grad / divisor over the windows that hold (h, w), added
    into the element itself so that each step rounds to its dtype, as on the CPU."""
    H, W = grad_input.shape[1], grad_input.shape[2]
    for i in range(cuda.grid(1), n, cuda.gridsize(1)):
        w, t = i % W, i // W
        h, p = t % H, t // H
        grad_input[p, h, w] = 0
        for oh in range(inv[0, 0, h], inv[0, 1, h]):
            for ow in range(inv[1, 0, w], inv[1, 1, w]):
                grad_input[p, h, w] += grad[p, oh, ow] / (div[0, oh] * div[1, ow])


# --- launchers --------------------------------------------------------------------------------

def _max_forward(x, out, indices, rows, cols, dilation):
    if out.size == 0:
        return
    win, _ = _tables(rows, cols)
    _max[grid(out.size)](dev(_planes(contiguous(x))), dev(_planes(out)), dev(_planes(indices)),
                         win, dilation[0], dilation[1], out.size)


def _avg_forward(x, out, rows, cols):
    if out.size == 0:
        return
    win, div = _tables(rows, cols)
    _avg[grid(out.size)](dev(_planes(contiguous(x))), dev(_planes(out)), win, div, out.size)


def _avg_backward(grad, grad_input, rows, cols):
    if grad_input.size == 0:
        return
    _, div = _tables(rows, cols)
    inv = _inverse(rows, cols, grad_input.shape[-2:])
    _avg_grad[grid(grad_input.size)](dev(_planes(contiguous(grad))), dev(_planes(grad_input)),
                                     div, inv, grad_input.size)


@register("maxpool2d_forward", "cuda")
def maxpool2d_forward(x, out, indices, kernel, stride, padding, dilation):
    _max_forward(x, out, indices, *_sliding(x.shape, out.shape, kernel, stride, padding,
                                            dilation), dilation)


@register("adaptive_maxpool2d_forward", "cuda")
def adaptive_maxpool2d_forward(x, out, indices):
    _max_forward(x, out, indices, *_adaptive(x.shape, out.shape), (1, 1))


@register("maxpool2d_backward", "cuda")
@register("adaptive_maxpool2d_backward", "cuda")
def maxpool2d_backward(grad, indices, grad_input):
    if grad_input.size == 0:
        return
    fill(grad_input, 0)
    if grad.size == 0:
        return
    _scatter[grid(grad.size)](dev(_flat_planes(contiguous(grad))),
                              dev(_flat_planes(contiguous(indices))),
                              dev(_flat_planes(grad_input)), grad.size)


@register("avgpool2d_forward", "cuda")
def avgpool2d_forward(x, out, kernel, stride, padding, count_include_pad, divisor_override):
    _avg_forward(x, out, *_sliding(x.shape, out.shape, kernel, stride, padding, (1, 1),
                                   count_include_pad, divisor_override))


@register("avgpool2d_backward", "cuda")
def avgpool2d_backward(grad, grad_input, kernel, stride, padding, count_include_pad,
                       divisor_override):
    _avg_backward(grad, grad_input, *_sliding(grad_input.shape, grad.shape, kernel, stride,
                                              padding, (1, 1), count_include_pad,
                                              divisor_override))


@register("adaptive_avgpool2d_forward", "cuda")
def adaptive_avgpool2d_forward(x, out):
    _avg_forward(x, out, *_adaptive(x.shape, out.shape))


@register("adaptive_avgpool2d_backward", "cuda")
def adaptive_avgpool2d_backward(grad, grad_input):
    _avg_backward(grad, grad_input, *_adaptive(grad_input.shape, grad.shape))

"""Softmax and log-softmax over one dimension on CUDA, forward and backward: the twins of
kernels/cpu/softmax.py, same launchers.

The array and dimension are seen as (outer, n, inner) lines, as on the CPU; a block takes a tile of
lines and reduces each line's max and sum by a shared-memory tree (``_lines``), then writes the
line. Sums and the max are kept in the input's dtype, like the CPU kernels.
"""
import functools
import math

import numpy as np
from numba import cuda, from_dtype

from ..cpu.softmax import split
from ..registry import register
from ._array import contiguous
from ._lines import BLOCK, add, fold, larger, launch, line, tiles, value


@cuda.jit(device=True)
def _exp_shifted(x, y, o, k, i, m):
    return math.exp(x[o, k, i] - m)


@cuda.jit(device=True)
def _product(g, y, o, k, i, p):
    return g[o, k, i] * y[o, k, i]


@cuda.jit(device=True)
def _keep(s):
    return s


@cuda.jit(device=True)
def _log(s):
    return math.log(s)


@cuda.jit(device=True)
def _softmax(x, m, s):
    return math.exp(x - m) / s


@cuda.jit(device=True)
def _log_softmax(x, m, log_s):
    return (x - m) - log_s


@cuda.jit(device=True)
def _softmax_grad(g, y, s):
    return y * (g - s)


@cuda.jit(device=True)
def _log_softmax_grad(g, y, s):
    return g - math.exp(y) * s


_max = fold(value, larger)
_exp_sum = fold(_exp_shifted, add)
_SUMS = {"softmax": fold(_product, add), "log_softmax": fold(value, add)}
_FORWARD = {"softmax": (_keep, _softmax), "log_softmax": (_log, _log_softmax)}
_BACKWARD = {"softmax": _softmax_grad, "log_softmax": _log_softmax_grad}


@functools.cache
def _forward(op, dtype):
    """out = fin(x, m, post(sum of exp(x - m))) with m the line's max."""
    post, fin = _FORWARD[op]
    lowest, zero, acc = dtype.type(-np.inf), dtype.type(0), from_dtype(dtype)

    @cuda.jit
    def kernel(x, out, ty):
        sm = cuda.shared.array(BLOCK, acc)
        outer, n, inner = x.shape
        for tile in range(cuda.blockIdx.x, tiles(ty, outer, inner), cuda.gridDim.x):
            ln = line(tile, ty, outer, inner)
            m = _max(x, x, zero, ln, ty, sm, lowest)
            s = post(_exp_sum(x, x, m, ln, ty, sm, zero))
            o, i, k0, at, ok = ln
            if ok:
                for k in range(k0, n, ty):
                    out[o, k, i] = fin(x[o, k, i], m, s)
    return kernel


@functools.cache
def _backward(op, dtype):
    """gx = fin(g, y, s) with s the line's sum of g*y (softmax) or of g (log_softmax)."""
    total, fin = _SUMS[op], _BACKWARD[op]
    zero, acc = dtype.type(0), from_dtype(dtype)

    @cuda.jit
    def kernel(g, y, gx, ty):
        sm = cuda.shared.array(BLOCK, acc)
        outer, n, inner = g.shape
        for tile in range(cuda.blockIdx.x, tiles(ty, outer, inner), cuda.gridDim.x):
            ln = line(tile, ty, outer, inner)
            s = total(g, y, zero, ln, ty, sm, zero)
            o, i, k0, at, ok = ln
            if ok:
                for k in range(k0, n, ty):
                    gx[o, k, i] = fin(g[o, k, i], y[o, k, i], s)
    return kernel


def _launch(kernel, dim, *arrays):
    """Inputs (all but the last array) as contiguous lines; the output written in place."""
    if arrays[-1].size == 0:
        return
    shape = split(arrays[0].shape, dim)
    lines = [contiguous(a).reshape(shape) for a in arrays[:-1]] + [arrays[-1].reshape(shape)]
    launch(kernel(arrays[0].dtype), shape, *lines)


@register("softmax_forward", "cuda")
def softmax_forward(x, out, dim):
    _launch(functools.partial(_forward, "softmax"), dim, x, out)


@register("log_softmax_forward", "cuda")
def log_softmax_forward(x, out, dim):
    _launch(functools.partial(_forward, "log_softmax"), dim, x, out)


@register("softmax_backward", "cuda")
def softmax_backward(grad, out, grad_input, dim):
    _launch(functools.partial(_backward, "softmax"), dim, grad, out, grad_input)


@register("log_softmax_backward", "cuda")
def log_softmax_backward(grad, out, grad_input, dim):
    _launch(functools.partial(_backward, "log_softmax"), dim, grad, out, grad_input)

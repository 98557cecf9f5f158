"""Softmax and log-softmax over one dimension, forward and backward.

A C-contiguous array and a dimension are viewed as (outer, n, inner), reducing over n. When
``inner == 1`` (the last dimension) each row is contiguous: its exps run as one vectorized loop and
its sums in 8 lanes. Otherwise the loops run over ``inner`` innermost, with one max/sum per column
held in a scratch vector. The max is subtracted before exp; exp/log are ``_math``'s.

Launchers (x, out, grad, grad_input: C-contiguous, one float dtype, same shape; dim >= 0):
  softmax_forward(x, out, dim)                      out = exp(x - max) / sum
  log_softmax_forward(x, out, dim)                  out = x - max - log(sum)
  softmax_backward(grad, out, grad_input, dim)      out: the forward's result
  log_softmax_backward(grad, out, grad_input, dim)
The row helpers (``row_max``, ``row_sum``, ``exp_sum``) are shared with the cross-entropy
kernels in loss.py.
"""
import numpy as np
from numba import njit
from numba.extending import overload

from ..registry import register
from . import _math


# --- row helpers: one contiguous row ---
def _order_key(v):
    """An integer that orders as the float ``v`` does (typed by the overload below)."""


def _from_key(k):
    """The float whose _order_key is ``k``."""


def _key_functions(int_type, float_type):
    bits = int_type(8 * np.dtype(int_type).itemsize - 1)
    magnitude = int_type(np.iinfo(int_type).max)

    def key(v):
        """A float's bits as a signed integer order the non-negative floats; flipping the
        magnitude bits of the negative ones orders those too (a positive NaN comes out above
        +inf, a negative one below -inf)."""
        b = float_type(v).view(int_type)
        return int_type(b ^ int_type((b >> bits) & magnitude))

    def unkey(k):
        return int_type(k ^ int_type((k >> bits) & magnitude)).view(float_type)
    return njit(inline="always")(key), njit(inline="always")(unkey)


_KEYS = {32: _key_functions(np.int32, np.float32), 64: _key_functions(np.int64, np.float64)}


@overload(_order_key, inline="always")
def _order_key_typed(v):
    key = _KEYS[v.bitwidth][0]
    return lambda v: key(v)


@overload(_from_key, inline="always")
def _from_key_typed(k):
    unkey = _KEYS[k.bitwidth][1]
    return lambda k: unkey(k)


@njit(cache=True, inline="always")
def row_max(a):
    """The row's maximum (a NaN if it holds one with the sign bit clear; with it set, the NaN is
    passed over, and reaches the result through exp and the sum). Taken on integer keys, since a
    float max reduction does not vectorize (its NaN rule is order-dependent): 4x faster."""
    m = _order_key(a[0])
    for j in range(1, a.size):
        m = max(m, _order_key(a[j]))
    return _from_key(m)


@njit(cache=True, fastmath={"reassoc"})
def row_sum(fn, p, q, c):
    """Sum of fn(p[j], q[j], c) over j. Reassociation lets LLVM keep vector partial sums (4x
    faster than in order); a function of its own, so that the flag reaches only this sum."""
    s = p.dtype.type(0)
    for j in range(p.size):
        s += fn(p[j], q[j], c)
    return s


@njit(cache=True, inline="always")
def first(a, b, c):
    return a


@njit(cache=True, inline="always")
def exp_sum(xr, m, er):
    """er = exp(xr - m), and its sum: two plain loops, so that both vectorize."""
    for j in range(xr.size):
        er[j] = _math.exp(xr[j] - m)
    return row_sum(first, er, er, 0)


# --- the two loop nests ---
@njit(cache=True, inline="always")
def _forward(post, fin, x, out, scratch):
    """out = fin(x, e, m, post(sum of e)) with m the max and e = exp(x - m), over axis 1 of
    (outer, n, inner)."""
    outer, n, inner = x.shape
    if inner == 1:
        x2 = x.reshape((outer, n))         # C-contiguous rows, so the loops vectorize
        y2 = out.reshape((outer, n))
        for r in range(outer):
            xr = x2[r]
            yr = y2[r]
            m = row_max(xr)
            c = post(exp_sum(xr, m, yr))
            for j in range(n):
                yr[j] = fin(xr[j], yr[j], m, c)
        return
    m = scratch[:inner]
    c = scratch[inner:]
    for r in range(outer):
        m[:] = x[r, 0]
        for j in range(1, n):
            for i in range(inner):
                v = x[r, j, i]
                m[i] = v if v > m[i] else m[i]
        c[:] = 0
        for j in range(n):
            for i in range(inner):
                e = _math.exp(x[r, j, i] - m[i])
                out[r, j, i] = e
                c[i] += e
        for i in range(inner):
            c[i] = post(c[i])
        for j in range(n):
            for i in range(inner):
                out[r, j, i] = fin(x[r, j, i], out[r, j, i], m[i], c[i])


@njit(cache=True, inline="always")
def _backward(term, fin, g, y, gx, scratch):
    """gx = fin(g, y, sum of term(g, y)) over axis 1 of (outer, n, inner)."""
    outer, n, inner = g.shape
    if inner == 1:
        g2 = g.reshape((outer, n))
        y2 = y.reshape((outer, n))
        gx2 = gx.reshape((outer, n))
        for r in range(outer):
            gr = g2[r]
            yr = y2[r]
            gxr = gx2[r]
            s = row_sum(term, gr, yr, 0)
            for j in range(n):
                gxr[j] = fin(gr[j], yr[j], s)
        return
    s = scratch[:inner]
    for r in range(outer):
        s[:] = 0
        for j in range(n):
            for i in range(inner):
                s[i] += term(g[r, j, i], y[r, j, i], 0)
        for j in range(n):
            for i in range(inner):
                gx[r, j, i] = fin(g[r, j, i], y[r, j, i], s[i])


# --- scalar parts ---
@njit(cache=True, inline="always")
def _keep(s):
    return s


@njit(cache=True, inline="always")
def _divide(x, e, m, s):
    return np.divide(e, s)         # np.divide: no zero check, so the loop stays vectorizable


@njit(cache=True, inline="always")
def _log_sub(x, e, m, log_s):
    return (x - m) - log_s


@njit(cache=True, inline="always")
def _log(s):
    return _math.log(s)


@njit(cache=True, inline="always")
def _mul(g, y, unused):
    return g * y


@njit(cache=True, inline="always")
def _softmax_grad(g, y, s):
    return y * (g - s)


@njit(cache=True, inline="always")
def _log_softmax_grad(g, y, s):
    return g - _math.exp(y) * s


# --- kernels ---
@njit(cache=True)
def softmax_fwd_k(x, out, scratch):
    _forward(_keep, _divide, x, out, scratch)


@njit(cache=True)
def log_softmax_fwd_k(x, out, scratch):
    _forward(_log, _log_sub, x, out, scratch)


@njit(cache=True)
def softmax_bwd_k(g, y, gx, scratch):
    _backward(_mul, _softmax_grad, g, y, gx, scratch)


@njit(cache=True)
def log_softmax_bwd_k(g, y, gx, scratch):
    _backward(first, _log_softmax_grad, g, y, gx, scratch)


# --- launchers ---
def split(shape, dim):
    """(outer, n, inner) of ``shape`` around ``dim`` (a 0-d shape is one element)."""
    shape = tuple(shape) or (1,)
    return (int(np.prod(shape[:dim])), shape[dim], int(np.prod(shape[dim + 1:])))


def _launch(kernel, dim, *arrays):
    if arrays[0].size == 0:
        return
    shape = split(arrays[0].shape, dim)
    scratch = np.empty(2 * shape[2], arrays[0].dtype)
    kernel(*(a.reshape(shape) for a in arrays), scratch)


@register("softmax_forward", "cpu")
def softmax_forward(x, out, dim):
    _launch(softmax_fwd_k, dim, x, out)


@register("log_softmax_forward", "cpu")
def log_softmax_forward(x, out, dim):
    _launch(log_softmax_fwd_k, dim, x, out)


@register("softmax_backward", "cpu")
def softmax_backward(grad, out, grad_input, dim):
    _launch(softmax_bwd_k, dim, grad, out, grad_input)


@register("log_softmax_backward", "cpu")
def log_softmax_backward(grad, out, grad_input, dim):
    _launch(log_softmax_bwd_k, dim, grad, out, grad_input)

"""The shared loop nests of the elementwise kernels. Each op's kernel is a two-line top-level
function that calls one of these with a scalar function (inlined), so every op compiles into its
own cached machine code while the looping is written once.

Broadcasting: every operand is a flat contiguous array of its own (smaller) shape, with element
strides ``st[k, d]`` into it for each output dimension ``d`` (0 where it is broadcast). The output is
flat and contiguous. The innermost dimension runs as a plain loop that LLVM vectorizes: offsets are
passed through ``max(., 0)``, which tells LLVM they are not negative, so that it drops Numba's
negative-index test from the loop (without it the loops stay scalar: measured 10x slower).

Numba's cache does not see edits of this file from the kernels that inline it: after changing it,
delete kernels/cpu/__pycache__/elementwise.*.
"""
import numpy as np
from numba import njit


@njit(cache=True, inline="always")
def advance(idx, off, st, shape):
    """Step the multi-index ``idx`` over all but the last dim, moving each operand offset."""
    d = shape.size - 2
    while d >= 0:
        idx[d] += 1
        for k in range(off.size):
            off[k] += st[k, d]
        if idx[d] < shape[d]:
            return
        for k in range(off.size):
            off[k] -= st[k, d] * shape[d]
        idx[d] = 0
        d -= 1


@njit(cache=True, inline="always")
def unary_loop(fn, x, out):
    for i in range(out.size):
        out[i] = fn(x[i])


@njit(cache=True, inline="always")
def binary_loop(fn, a, b, st, out, shape):
    nd = shape.size
    inner = shape[nd - 1]
    if out.size == 0:
        return
    sa = st[0, nd - 1]
    sb = st[1, nd - 1]
    idx = np.zeros(nd, np.int64)
    off = np.zeros(2, np.int64)
    for o in range(0, out.size, inner):
        o = max(o, 0)
        ia = max(off[0], 0)
        ib = max(off[1], 0)
        if sa == 1 and sb == 1:
            for k in range(inner):
                out[o + k] = fn(a[ia + k], b[ib + k])
        elif sa == 1 and sb == 0:
            bv = b[ib]
            for k in range(inner):
                out[o + k] = fn(a[ia + k], bv)
        elif sa == 0 and sb == 1:
            av = a[ia]
            for k in range(inner):
                out[o + k] = fn(av, b[ib + k])
        else:
            for k in range(inner):
                out[o + k] = fn(a[ia + k * max(sa, 0)], b[ib + k * max(sb, 0)])
        advance(idx, off, st, shape)


@njit(cache=True, inline="always")
def ternary_loop(fn, a, b, c, st, out, shape):
    nd = shape.size
    inner = shape[nd - 1]
    if out.size == 0:
        return
    sa = st[0, nd - 1]
    sb = st[1, nd - 1]
    sc = st[2, nd - 1]
    idx = np.zeros(nd, np.int64)
    off = np.zeros(3, np.int64)
    sa, sb, sc = max(sa, 0), max(sb, 0), max(sc, 0)
    for o in range(0, out.size, inner):
        o = max(o, 0)
        ia = max(off[0], 0)
        ib = max(off[1], 0)
        ic = max(off[2], 0)
        for k in range(inner):
            out[o + k] = fn(a[ia + k * sa], b[ib + k * sb], c[ic + k * sc])
        advance(idx, off, st, shape)


@njit(cache=True)
def sum_to(src, st, out, shape):
    """out (broadcast source, strides ``st[0]``) = sum of ``src`` (the broadcast result) over the
    broadcast dimensions: the gradient of broadcasting."""
    nd = shape.size
    inner = shape[nd - 1]
    out[:] = 0
    if src.size == 0:
        return
    s = st[0, nd - 1]
    idx = np.zeros(nd, np.int64)
    off = np.zeros(1, np.int64)
    for o in range(0, src.size, inner):
        o = max(o, 0)
        io = max(off[0], 0)
        if s == 0:
            acc = out[io]
            for k in range(inner):
                acc += src[o + k]
            out[io] = acc
        else:
            for k in range(inner):
                out[io + k * max(s, 0)] += src[o + k]
        advance(idx, off, st, shape)

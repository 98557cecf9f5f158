"""Elementwise kernels on CUDA: one grid-stride kernel per arity over strided, broadcast operands,
specialised per op with the same scalar functions as the CPU kernels (they compile for both targets).
Where a CPU scalar function relies on a CPU-only routine (NumPy ufuncs, the vectorizable _math
polynomials), a CUDA one from ``math`` replaces it."""
import math

import numpy as np
from numba import cuda, njit

from ..cpu import elementwise as cpu
from ..registry import register
from ._array import flat, grid, layout, offset


def _unary(fn):
    @cuda.jit
    def kernel(x, sx, out, so, shape, n):
        for i in range(cuda.grid(1), n, cuda.gridsize(1)):
            out[offset(i, shape, so)] = fn(x[offset(i, shape, sx)])

    def launch(x, out):
        if out.size:
            shape, (sx, so) = layout(out.shape, (x, out))
            kernel[grid(out.size)](flat(x), sx, flat(out), so, shape, out.size)
    return launch


def _binary(fn):
    @cuda.jit
    def kernel(a, sa, b, sb, out, so, shape, n):
        for i in range(cuda.grid(1), n, cuda.gridsize(1)):
            out[offset(i, shape, so)] = fn(a[offset(i, shape, sa)], b[offset(i, shape, sb)])

    def launch(a, b, out):
        if out.size:
            shape, (sa, sb, so) = layout(out.shape, (a, b, out))
            kernel[grid(out.size)](flat(a), sa, flat(b), sb, flat(out), so, shape, out.size)
    return launch


def _ternary(fn):
    @cuda.jit
    def kernel(a, sa, b, sb, c, sc, out, so, shape, n):
        for i in range(cuda.grid(1), n, cuda.gridsize(1)):
            out[offset(i, shape, so)] = fn(a[offset(i, shape, sa)], b[offset(i, shape, sb)],
                                           c[offset(i, shape, sc)])

    def launch(a, b, c, out):
        if out.size:
            shape, (sa, sb, sc, so) = layout(out.shape, (a, b, c, out))
            kernel[grid(out.size)](flat(a), sa, flat(b), sb, flat(c), sc, flat(out), so, shape,
                                   out.size)
    return launch


@njit(inline="always")
def _floor(x):
    """floor without the float -> int round trip of math.floor (inf and nan stay)."""
    return x - x % 1.0 if math.isfinite(x) else x


@njit(inline="always")
def _round(x):
    """Round half to even, like torch.round."""
    r = _floor(x + 0.5)
    return r - 1.0 if r - x == 0.5 and r % 2.0 != 0.0 else r


@cuda.jit(device=True, inline=True)
def _fmod(a, b):
    """math.fmod, which CPU Numba lacks (the simulator runs this as Python: no zero or inf
    dividends reach Python's math.fmod, which raises on them where C returns nan)."""
    return math.fmod(a, b) if b != 0 and not math.isinf(a) else math.nan


SCALAR = {
    "exp": njit(inline="always")(lambda x: math.exp(x)),
    "log": njit(inline="always")(lambda x: math.log(x)),
    "log2": njit(inline="always")(lambda x: math.log2(x)),
    "log10": njit(inline="always")(lambda x: math.log10(x)),
    "sqrt": njit(inline="always")(lambda x: math.sqrt(x)),
    "rsqrt": njit(inline="always")(lambda x: 1.0 / math.sqrt(x)),
    "isinf": njit(inline="always")(lambda x: math.isinf(x)),
    "isfinite": njit(inline="always")(lambda x: math.isfinite(x)),
    "floor": _floor,
    "ceil": njit(inline="always")(lambda x: -_floor(-x)),
    "trunc": njit(inline="always")(lambda x: _floor(x) if x >= 0 else -_floor(-x)),
    "round": _round,
    "fmod": _fmod,
}

_ARITY = {2: _unary, 5: _binary, 6: _ternary}
for _name, _k in vars(cpu).items():
    if _name.endswith("_k") and not _name.startswith("_"):
        _op = _name[:-2]
        _fn = SCALAR.get(_op) or getattr(cpu, "_" + _op)
        register(_op, "cuda")(_ARITY[_k.py_func.__code__.co_argcount](_fn))
for _op, _other in cpu.SWAPPED.items():
    register(_op, "cuda")(cpu.swapped(_binary(getattr(cpu, "_" + _other))))


@cuda.jit
def _sum_to(src, kept, ks, ko, red, rs, out, n, r, zero):
    for j in range(cuda.grid(1), n, cuda.gridsize(1)):
        base = offset(j, kept, ks)
        acc = zero
        for k in range(r):
            acc += src[base + offset(k, red, rs)]
        out[offset(j, kept, ko)] = acc


@register("sum_to", "cuda")
def sum_to(src, out):
    """out = src summed down to out's (broadcastable) shape: one thread per output element."""
    if out.size == 0:
        return
    lead = src.ndim - out.ndim
    out_shape = (1,) * lead + out.shape
    kept = [d for d in range(src.ndim) if out_shape[d] != 1 or src.shape[d] == 1]
    red = [d for d in range(src.ndim) if d not in kept]
    kshape, (ks, ko) = layout(tuple(src.shape[d] for d in kept),
                              (_dims(src, kept), _dims(out.reshape(out_shape), kept)))
    rshape, (rs,) = layout(tuple(src.shape[d] for d in red), (_dims(src, red),))
    r = math.prod(src.shape[d] for d in red)
    zero = np.zeros((), out.dtype)[()]
    _sum_to[grid(out.size)](flat(src), kshape, ks, ko, rshape, rs, flat(out), out.size, r, zero)


def _dims(a, dims):
    """The view of ``a`` keeping only ``dims`` (the others indexed at 0)."""
    return a._view([a.shape[d] for d in dims], [a.strides[d] for d in dims])

"""Data movement on CUDA: allocation, host transfers, strided/broadcast/casting copies and fills."""
import numpy as np
from numba import cuda

from ..registry import register
from . import _array
from ._array import flat, grid, layout, offset

register("empty", "cuda")(_array.empty)
register("to_host", "cuda")(_array.to_host)
register("from_host", "cuda")(_array.from_host)


@cuda.jit
def _copy(src, ss, dst, ds, shape, n):
    for i in range(cuda.grid(1), n, cuda.gridsize(1)):
        dst[offset(i, shape, ds)] = src[offset(i, shape, ss)]


@cuda.jit
def _fill(dst, ds, shape, value, n):
    for i in range(cuda.grid(1), n, cuda.gridsize(1)):
        dst[offset(i, shape, ds)] = value


@register("copy", "cuda")
def copy(src, dst):
    """dst[...] = src, broadcasting ``src`` and casting to ``dst``'s dtype (either may be a
    strided view)."""
    if dst.size == 0:
        return
    if not isinstance(src, _array.CudaArray):        # a CPU scalar/array mixed in by the ops
        src = _array.from_host(np.asarray(src))
    shape, (ss, ds) = layout(dst.shape, (src, dst))
    _copy[grid(dst.size)](flat(src), ss, flat(dst), ds, shape, dst.size)


@register("fill", "cuda")
def fill(dst, value):
    if dst.size == 0:
        return
    shape, (ds,) = layout(dst.shape, (dst,))
    _fill[grid(dst.size)](flat(dst), ds, shape, np.array(value).astype(dst.dtype)[()], dst.size)

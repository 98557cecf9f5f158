"""Data movement on the CPU: strided/broadcast/casting copies and fills. These move bytes rather
than compute, so NumPy's copy loops serve (they are as fast as a compiled loop can be)."""
import numpy as np

from ..registry import register

register("empty", "cpu")(np.empty)
register("to_host", "cpu")(lambda arr: arr)
register("from_host", "cpu")(lambda arr: arr)


@register("copy", "cpu")
def copy(src, dst):
    """dst[...] = src, broadcasting ``src`` and casting to ``dst``'s dtype."""
    np.copyto(dst, src, casting="unsafe")


@register("fill", "cpu")
def fill(dst, value):
    dst.fill(value)

"""Helpers shared by the ops: device checks, broadcasting shapes, operand preparation."""
import numpy as np

from .. import _dtype
from .._storage import empty as alloc, from_host
from .._tensor import Tensor
from ..autograd.function import common_device
from ..kernels.registry import lookup


def device_of(*operands):
    """The one device of the tensor operands (PyTorch's error when they differ)."""
    return common_device(operands, Tensor)


def broadcast_shapes(*shapes):
    nd = max((len(s) for s in shapes), default=0)
    out = [1] * nd
    for i, s in enumerate(shapes):
        for d in range(1, len(s) + 1):
            n = s[-d]
            if n != 1:
                if out[-d] != 1 and out[-d] != n:
                    raise RuntimeError(
                        f"The size of tensor a ({out[-d]}) must match the size of tensor b ({n}) "
                        f"at non-singleton dimension {nd - d}")
                out[-d] = n
    return tuple(out)


def operand(x, dtype, device):
    """``x`` (Tensor or Python number) as an array of ``dtype`` on ``device``."""
    if isinstance(x, Tensor):
        if x._device != device:                     # a 0-dim CPU tensor joining another device
            return from_host(x._data.astype(dtype.np), device)
        if x._data.dtype == dtype.np:
            return x._data
        out = alloc(x._data.shape, dtype.np, device)
        lookup("copy", device.type)(x._data, out)
        return out
    return from_host(np.array(x).astype(dtype.np), device)   # ints wrap, as in PyTorch


def new(shape, dtype, device):
    return Tensor._wrap(alloc(shape, dtype.np, device), device)


def cast(t, dtype):
    """``t`` as ``dtype`` (itself when it already is); no autograd."""
    if t.dtype is dtype:
        return t
    out = new(t._data.shape, dtype, t._device)
    lookup("copy", t._device.type)(t._data, out._data)
    return out


def float_dtype(dtype):
    """The dtype a float-only op computes in: the default float dtype for ints and bools."""
    return dtype if dtype.is_floating_point else _dtype.get_default_dtype()

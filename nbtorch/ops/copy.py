"""Copies: clone, copy_, and moves across dtypes/devices with ``to``."""
from .. import _dtype
from .._device import as_device, device as Device
from .._storage import from_host, to_host
from .._tensor import Tensor
from ..autograd.function import Function
from ..kernels.registry import lookup
from ._util import new


class Clone(Function):
    node_name = "CloneBackward0"

    @staticmethod
    def forward(ctx, x):
        out = new(x._data.shape, x.dtype, x._device)
        lookup("copy", x._device.type)(x._data, out._data)
        return out

    @staticmethod
    def backward(ctx, g):
        return g


class ToCopy(Function):
    node_name = "ToCopyBackward0"

    @staticmethod
    def forward(ctx, x, dtype, device):
        ctx.src = (x.dtype, x._device)
        if device != x._device:
            host = to_host(x._data, x._device)
            if host.dtype != dtype.np:
                host = host.astype(dtype.np)
            return Tensor._wrap(from_host(host, device), device)
        out = new(x._data.shape, dtype, device)
        lookup("copy", device.type)(x._data, out._data)
        return out

    @staticmethod
    def backward(ctx, g):
        dtype, device = ctx.src
        return ToCopy.apply(g, dtype, device), None, None


def clone(x, memory_format=None):
    return Clone.apply(x)


def _parse_to(args, kwargs):
    dtype, device = _dtype.as_dtype(kwargs.get("dtype"), "to"), kwargs.get("device")
    for a in args:
        if isinstance(a, (_dtype.dtype, type)):
            dtype = _dtype.as_dtype(a)
        elif isinstance(a, Tensor):
            dtype, device = a.dtype, a.device
        elif isinstance(a, (str, Device)):
            device = a
        elif a is not None:
            raise TypeError(f"to() received an invalid combination of arguments - got "
                            f"({type(a).__name__})")
    return dtype, device


def to(x, *args, copy=False, non_blocking=False, **kwargs):
    dtype, device = _parse_to(args, kwargs)
    dtype = dtype or x.dtype
    device = x._device if device is None else as_device(device)
    if device.type == "cuda":
        from ..cuda import _require
        _require()
    if dtype is x.dtype and device == x._device and not copy:
        return x
    return ToCopy.apply(x, dtype, device)


def copy_(dst, src):
    """dst[...] = src (broadcast, cast, across devices), in place, recorded for autograd."""
    from .elementwise import inplace
    return inplace(dst, lambda d: _copied_like(d, src))


def _copied_like(dst, src):
    src = to(src, dtype=dst.dtype, device=dst.device)
    return src.expand(dst.shape) if src.shape != dst.shape else src


METHODS = {}
FUNCTIONS = {"clone": clone}

"""The only place that allocates device arrays and moves them between host and device."""
from .kernels.registry import lookup

_READY = {"cpu"}


def _ready(device):
    """The device type, after checking (once) that it can run: a clear error for CUDA without a GPU."""
    if device.type not in _READY:
        from .cuda import _require
        _require()
        _READY.add(device.type)
    return device.type


def empty(shape, np_dtype, device):
    return lookup("empty", _ready(device))(tuple(shape), np_dtype)


def to_host(arr, device):
    """A NumPy array with the values of ``arr`` (``arr`` itself on the CPU)."""
    return lookup("to_host", device.type)(arr)


def from_host(arr, device):
    """``arr`` (NumPy) placed on ``device``; shares it on the CPU."""
    return lookup("from_host", _ready(device))(arr)

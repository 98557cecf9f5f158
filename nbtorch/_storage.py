"""The only place that allocates device arrays and moves them between host and device."""
import numpy as np

from .kernels.registry import lookup


def empty(shape, np_dtype, device):
    if device.type == "cpu":
        return np.empty(shape, np_dtype)
    return lookup("empty", device.type)(tuple(shape), np_dtype)


def to_host(arr, device):
    """A NumPy array with the values of ``arr`` (``arr`` itself on the CPU)."""
    if device.type == "cpu":
        return arr
    return lookup("to_host", device.type)(arr)


def from_host(arr, device):
    """``arr`` (NumPy) placed on ``device``; shares it on the CPU."""
    if device.type == "cpu":
        return arr
    return lookup("from_host", device.type)(np.ascontiguousarray(arr))

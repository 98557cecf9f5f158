"""torch.autocast as PyTorch behaves where the low-precision dtype is unavailable.

nbtorch has no float16 or bfloat16 kernels, so it supports no autocast dtype on any device: an
enabled autocast warns with PyTorch's words and disables itself (as PyTorch does when asked for a
dtype a device can't autocast to), and ops run in their inputs' dtypes (float32). Code written
for mixed precision thus runs unchanged, in full precision."""
import functools
import warnings

from .. import cuda
from .._device import device as _device


def is_autocast_available(device_type):
    """Whether ``device_type`` has an autocast context: the CPU and CUDA, as in PyTorch (even if
    the context then disables itself)."""
    return _device(device_type).type in ("cpu", "cuda")


def is_autocast_enabled(device_type=None):
    """Always False: no autocast can be enabled in nbtorch (see the module's docstring). A
    ``device_type`` is still checked."""
    if device_type is not None:
        _device(device_type)
    return False


def _disabled_warning(device_type):
    if device_type == "cuda" and not cuda.is_available():
        return "CUDA is not available or torch_xla is imported. Disabling autocast."
    name = device_type.upper()
    return (f"In {name} autocast, but the target dtype is not supported. Disabling autocast.\n"
            f"{name} Autocast in nbtorch supports no dtype: nbtorch has no float16 or bfloat16 "
            "kernels, so ops run in their inputs' dtypes.")


class autocast:
    """``with torch.autocast("cuda"):`` or ``@torch.autocast("cpu")``. ``dtype=None`` means
    PyTorch's default (float16 on CUDA, bfloat16 on the CPU)."""

    def __init__(self, device_type, dtype=None, enabled=True, cache_enabled=None):
        if not isinstance(device_type, str):
            raise ValueError(f"Expected `device_type` of type `str`, got: `{type(device_type)}`")
        kind = _device(device_type).type          # PyTorch's error for an unknown device type
        self.device = device_type
        self.fast_dtype = dtype
        self._cache_enabled = cache_enabled
        if enabled:
            warnings.warn(_disabled_warning(kind), stacklevel=2)
        self._enabled = False

    def __enter__(self):
        return self

    def __exit__(self, exc_type, exc_val, exc_tb):
        return False

    def __call__(self, func):
        if not callable(func):
            raise TypeError(
                f"autocast()(func) requires a callable, but got {type(func).__name__}. "
                f"Did you mean to use autocast as a context manager? For example:\n"
                f"    with torch.autocast(device_type=...):\n"
                f"        output = model(input)")

        @functools.wraps(func)
        def decorate_autocast(*args, **kwargs):
            with self:
                return func(*args, **kwargs)
        return decorate_autocast

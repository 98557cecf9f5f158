"""Tensor creation: empty zeros ones full arange linspace eye rand randn randint randperm tensor
from_numpy as_tensor and the *_like forms. Values are made on the host and placed once."""
import math
import numbers

import numpy as np

from . import _dtype
from ._device import as_device
from ._random import rng
from ._storage import empty as _alloc, from_host
from ._tensor import Tensor
from .kernels.registry import lookup


def _size_args(size):
    """``(2, 3)`` from ``zeros(2, 3)`` or ``zeros((2, 3))``."""
    if len(size) == 1 and not isinstance(size[0], numbers.Integral):
        size = tuple(size[0])
    return tuple(int(s) for s in size)


def _size(size):
    size = _size_args(size)
    for s in size:
        if s < 0:
            raise RuntimeError(f"Trying to create tensor with negative dimension {s}: {list(size)}")
    return size


def _finish(data, device, requires_grad):
    t = Tensor._wrap(data, device)
    return _require_grad(t) if requires_grad else t


def _require_grad(t):
    if not t.dtype.is_floating_point:
        raise RuntimeError("Only Tensors of floating point and complex dtype can require gradients")
    t._requires_grad = True
    return t


def _place(host, dtype, device, requires_grad):
    dtype, device = _dtype.as_dtype(dtype), as_device(device)
    return _finish(from_host(np.asarray(host, dtype.np), device), device, requires_grad)


def empty(*size, dtype=None, device=None, requires_grad=False, out=None, **_):
    dtype = _dtype.as_dtype(dtype, "empty") or _dtype.get_default_dtype()
    device = as_device(device)
    return _finish(_alloc(_size(size), dtype.np, device), device, requires_grad)


def full(size, fill_value, *, dtype=None, device=None, requires_grad=False, out=None, **_):
    dtype = _dtype.as_dtype(dtype, "full") or _dtype.scalar_dtype(fill_value)
    t = empty(*_size((size,)), dtype=dtype, device=device)
    lookup("fill", t.device.type)(t._data, fill_value)
    return _require_grad(t) if requires_grad else t


def zeros(*size, dtype=None, device=None, requires_grad=False, out=None, **_):
    if any(s < 0 for s in _size_args(size)):
        raise RuntimeError("zeros: Dimension size must be non-negative.")
    dtype = _dtype.as_dtype(dtype, "zeros") or _dtype.get_default_dtype()
    return full(_size(size), 0, dtype=dtype, device=device, requires_grad=requires_grad)


def ones(*size, dtype=None, device=None, requires_grad=False, out=None, **_):
    dtype = _dtype.as_dtype(dtype, "ones") or _dtype.get_default_dtype()
    return full(_size(size), 1, dtype=dtype, device=device, requires_grad=requires_grad)


def _like(fn, t, dtype, device, requires_grad, *args):
    return fn(t.shape, *args, dtype=dtype or t.dtype, device=device or t.device,
              requires_grad=requires_grad)


def empty_like(input, *, dtype=None, device=None, requires_grad=False, **_):
    return _like(empty, input, dtype, device, requires_grad)


def zeros_like(input, *, dtype=None, device=None, requires_grad=False, **_):
    return _like(zeros, input, dtype, device, requires_grad)


def ones_like(input, *, dtype=None, device=None, requires_grad=False, **_):
    return _like(ones, input, dtype, device, requires_grad)


def full_like(input, fill_value, *, dtype=None, device=None, requires_grad=False, **_):
    return full(input.shape, fill_value, dtype=dtype or input.dtype, device=device or input.device,
                requires_grad=requires_grad)


def arange(start, end=None, step=1, *, dtype=None, device=None, requires_grad=False, **_):
    if end is None:
        start, end = 0, start
    if step == 0:
        raise RuntimeError("step must be nonzero")
    if (end - start) * step < 0:
        raise RuntimeError("upper bound and lower bound inconsistent with step sign")
    dtype = _dtype.as_dtype(dtype, "arange") or _dtype.result_type([start, end, step])
    n = max(0, math.ceil((end - start) / step))
    return _place(start + np.arange(n, dtype=np.float64 if dtype.is_floating_point else np.int64)
                  * step, dtype, device, requires_grad)


def range_(start, end, step=1, *, dtype=None, device=None, requires_grad=False):
    """Deprecated in PyTorch: like arange but includes ``end``."""
    import warnings
    warnings.warn("torch.range is deprecated and will be removed in a future release because its "
                  "behavior is inconsistent with Python's range builtin. Instead, use torch.arange, "
                  "which produces values in [start, end).", UserWarning, stacklevel=2)
    n = int(math.floor((end - start) / step)) + 1
    return _place(start + np.arange(n) * step, dtype or _dtype.get_default_dtype(), device,
                  requires_grad)


def linspace(start, end, steps, *, dtype=None, device=None, requires_grad=False, **_):
    if steps < 0:
        raise RuntimeError("number of steps must be non-negative")
    return _place(np.linspace(start, end, steps), dtype or _dtype.get_default_dtype(), device,
                  requires_grad)


def logspace(start, end, steps, base=10.0, *, dtype=None, device=None, requires_grad=False):
    return _place(np.logspace(start, end, steps, base=base), dtype or _dtype.get_default_dtype(),
                  device, requires_grad)


def eye(n, m=None, *, dtype=None, device=None, requires_grad=False, **_):
    return _place(np.eye(n, n if m is None else m), dtype or _dtype.get_default_dtype(), device,
                  requires_grad)


def rand(*size, generator=None, dtype=None, device=None, requires_grad=False, **_):
    dtype = _dtype.as_dtype(dtype, "rand") or _dtype.get_default_dtype()
    return _place(rng(generator).random(_size(size), dtype=np.float64).astype(dtype.np), dtype,
                  device, requires_grad)


def randn(*size, generator=None, dtype=None, device=None, requires_grad=False, **_):
    dtype = _dtype.as_dtype(dtype, "randn") or _dtype.get_default_dtype()
    return _place(rng(generator).standard_normal(_size(size)), dtype, device, requires_grad)


def randint(low, high=None, size=None, *, generator=None, dtype=None, device=None,
            requires_grad=False, **_):
    if size is None:
        low, high, size = 0, low, high
    if high is None:
        low, high = 0, low
    if low >= high:
        raise RuntimeError(f"random_ expects 'from' to be less than 'to', but got from={low} >= "
                           f"to={high}")
    return _place(rng(generator).integers(low, high, _size((size,))), dtype or _dtype.int64,
                  device, requires_grad)


def randperm(n, *, generator=None, dtype=None, device=None, requires_grad=False, **_):
    return _place(rng(generator).permutation(n), dtype or _dtype.int64, device, requires_grad)


def rand_like(input, *, dtype=None, device=None, requires_grad=False, **_):
    return rand(input.shape, dtype=dtype or input.dtype, device=device or input.device,
                requires_grad=requires_grad)


def randn_like(input, *, dtype=None, device=None, requires_grad=False, **_):
    return randn(input.shape, dtype=dtype or input.dtype, device=device or input.device,
                 requires_grad=requires_grad)


def randint_like(input, low, high=None, *, dtype=None, device=None, requires_grad=False):
    return randint(low, high, input.shape, dtype=dtype or input.dtype,
                   device=device or input.device, requires_grad=requires_grad)


def normal(mean=0.0, std=1.0, size=None, *, generator=None, dtype=None, device=None,
           requires_grad=False, **_):
    """torch.normal(mean, std, size) with float arguments, or tensor mean/std (elementwise)."""
    if isinstance(mean, Tensor) or isinstance(std, Tensor):
        ref = mean if isinstance(mean, Tensor) else std
        m = np.asarray(mean._host() if isinstance(mean, Tensor) else mean, np.float64)
        s = np.asarray(std._host() if isinstance(std, Tensor) else std, np.float64)
        return _place(rng(generator).normal(m, s), ref.dtype, ref.device, requires_grad)
    if size is None:
        raise TypeError("normal() received an invalid combination of arguments - got (float, float)"
                        ", but expected a size")
    return _place(rng(generator).normal(mean, std, _size((size,))),
                  dtype or _dtype.get_default_dtype(), device, requires_grad)


def _infer_dtype(data, arr):
    if isinstance(data, np.ndarray) or isinstance(data, np.generic):
        return _dtype.from_numpy_dtype(arr.dtype)
    if arr.dtype == np.bool_:
        return _dtype.bool_
    if arr.dtype.kind in "iu":
        return _dtype.int64
    if arr.dtype.kind == "f":
        return _dtype.get_default_dtype()
    if arr.dtype.kind in "US":
        raise TypeError("new(): invalid data type 'str'")
    raise RuntimeError(f"Could not infer dtype of {type(_first_leaf(data)).__name__}")


def _first_leaf(data):
    """The first element of ``data`` that is not a number or a sequence (what PyTorch names)."""
    if isinstance(data, (list, tuple)):
        for d in data:
            leaf = _first_leaf(d)
            if leaf is not None:
                return leaf
        return None
    return None if isinstance(data, (numbers.Number, np.generic)) else data


def _check_ragged(data, shape, dim=0):
    """PyTorch's ValueError for nested sequences of unequal lengths."""
    if dim < len(shape) and isinstance(data, (list, tuple)):
        if len(data) != shape[dim]:
            raise ValueError(f"expected sequence of length {shape[dim]} at dim {dim} (got "
                             f"{len(data)})")
        for d in data:
            _check_ragged(d, shape, dim + 1)


def _nested_shape(data):
    shape = []
    while isinstance(data, (list, tuple)):
        shape.append(len(data))
        data = data[0] if data else None
    return shape


def _to_host_values(data):
    if isinstance(data, Tensor):
        return data._host()
    if isinstance(data, (list, tuple)):
        return [_to_host_values(d) for d in data]
    return data


def tensor(data, *, dtype=None, device=None, requires_grad=False, pin_memory=False):
    dtype = _dtype.as_dtype(dtype)
    if isinstance(data, Tensor):
        import warnings
        warnings.warn("To copy construct from a tensor, it is recommended to use "
                      "sourceTensor.detach().clone() or sourceTensor.detach().clone()."
                      "requires_grad_(True), rather than torch.tensor(sourceTensor).",
                      UserWarning, stacklevel=2)
        dtype = dtype or data.dtype
    host = _to_host_values(data)
    try:
        arr = np.array(host)
    except ValueError:
        _check_ragged(host, _nested_shape(host))
        raise
    if dtype is None:   # an empty list is of the default dtype; an empty ndarray keeps its own
        empty_list = not arr.size and arr.dtype == np.float64 and not isinstance(data, np.ndarray)
        dtype = _dtype.get_default_dtype() if empty_list else _infer_dtype(data, arr)
    return _place(np.array(arr, dtype.np), dtype, device, requires_grad)


def as_tensor(data, dtype=None, device=None):
    dtype = _dtype.as_dtype(dtype, "as_tensor")
    if isinstance(data, Tensor):
        return data.to(device=device or data.device, dtype=dtype or data.dtype)
    if isinstance(data, np.ndarray) and (dtype is None or dtype.np == data.dtype) and \
            as_device(device).type == "cpu":
        return from_numpy(data)
    return tensor(data, dtype=dtype, device=device)


def from_numpy(ndarray):
    if not isinstance(ndarray, np.ndarray):
        raise TypeError(f"expected np.ndarray (got {type(ndarray).__name__})")
    _dtype.from_numpy_dtype(ndarray.dtype)
    if any(s < 0 for s in ndarray.strides):
        raise ValueError("At least one stride in the given numpy array is negative, and tensors "
                         "with negative strides are not currently supported. (You can probably "
                         "work around this by making a copy of your array  with array.copy().) ")
    return Tensor._wrap(ndarray)


class tensortype(type):
    """The type of the legacy tensor types (``torch.FloatTensor``, ...), as in PyTorch: calling one
    builds a tensor of its dtype, and ``isinstance(t, torch.FloatTensor)`` asks whether ``t`` is a
    CPU float32 tensor."""

    def __instancecheck__(cls, obj):
        return isinstance(obj, Tensor) and obj.dtype is cls.dtype and obj.device.type == "cpu"

    def __call__(cls, *args, device=None):
        if len(args) == 1 and not isinstance(args[0], numbers.Integral):
            if isinstance(args[0], Tensor):
                return args[0].to(cls.dtype)
            return tensor(args[0], dtype=cls.dtype, device=device)
        return empty(*(args or (0,)), dtype=cls.dtype, device=device)  # no size: 1-D of size 0


def _legacy(name, dtype):
    return tensortype(name, (), {"dtype": dtype, "is_cuda": False, "__module__": "torch"})


FloatTensor = _legacy("FloatTensor", _dtype.float32)
DoubleTensor = _legacy("DoubleTensor", _dtype.float64)
HalfTensor = _legacy("HalfTensor", _dtype.float16)
LongTensor = _legacy("LongTensor", _dtype.int64)
IntTensor = _legacy("IntTensor", _dtype.int32)
ShortTensor = _legacy("ShortTensor", _dtype.int16)
CharTensor = _legacy("CharTensor", _dtype.int8)
BoolTensor = _legacy("BoolTensor", _dtype.bool_)
ByteTensor = _legacy("ByteTensor", _dtype.uint8)

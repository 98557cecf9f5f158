"""Softmax and log-softmax over one dimension: autograd Functions over the registered kernels, the
tensor functions/methods (``torch.softmax(x, dim)``, ``x.log_softmax(dim)``) and the
nn.functional forms (``dim=None`` picks PyTorch's implicit dimension, with its warning)."""
import warnings

from .activation import _Pointwise
from .elementwise import _type_name
from .shape import numpy_kwargs


# the kernels take ``dim`` as their one parameter; the backward reads the saved output
class Softmax(_Pointwise):
    node_name, op, saves_output = "SoftmaxBackward0", "softmax", True


class LogSoftmax(_Pointwise):
    node_name, op, saves_output = "LogSoftmaxBackward0", "log_softmax", True


def _apply(fn, input, dim, dtype):
    if dtype is not None:
        input = input.to(dtype)
    dim = input._dim(dim)
    if not input.dtype.is_floating_point:
        last = "_lastdim" if dim == max(input.ndim - 1, 0) else ""
        raise NotImplementedError(f"\"{fn.op}{last}_kernel_impl\" not implemented for "
                                  f"'{_type_name(input.dtype)}'")
    return fn.apply(input, dim)


# --- tensor functions and methods: dim required ---
def softmax(input, dim, dtype=None):
    return _apply(Softmax, input, dim, dtype)


def log_softmax(input, dim, dtype=None):
    return _apply(LogSoftmax, input, dim, dtype)


# --- nn.functional ---
def _implicit_dim(name, input, stacklevel):
    warnings.warn(f"Implicit dimension choice for {name} has been deprecated. Change the call to "
                  "include dim=X as an argument.", stacklevel=stacklevel)
    return 0 if input.ndim in (0, 1, 3) else 1


def functional_softmax(input, dim=None, _stacklevel=3, dtype=None):
    if dim is None:
        dim = _implicit_dim("softmax", input, _stacklevel)
    return softmax(input, dim, dtype)


def functional_log_softmax(input, dim=None, _stacklevel=3, dtype=None):
    if dim is None:
        dim = _implicit_dim("log_softmax", input, _stacklevel)
    return log_softmax(input, dim, dtype)


functional_softmax.__name__ = functional_softmax.__qualname__ = "softmax"
functional_log_softmax.__name__ = functional_log_softmax.__qualname__ = "log_softmax"

METHODS = {"softmax": numpy_kwargs(softmax), "log_softmax": numpy_kwargs(log_softmax)}
FUNCTIONS = dict(METHODS)

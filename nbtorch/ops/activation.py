"""Activation ops: one autograd Function per activation over the registered kernels, and the
nn.functional forms (argument checks with PyTorch's words, ``inplace=``)."""
import math

import numpy as np

from ..autograd.function import Function
from ..kernels.registry import lookup
from ._util import cast, float_dtype, new
from .elementwise import (_type_name, _write_out, abs, clamp, exp, expm1, inplace, log1p,
                          minimum, where)
from .shape import cat, chunk


class _Pointwise(Function):
    """``y = f(x, *params)`` by the kernel ``<op>_forward``; the gradient by ``<op>_backward`` from
    the saved output (``saves_output``) or the saved input."""
    op = None
    saves_output = False

    @classmethod
    def forward(cls, ctx, x, *params):
        x = x.contiguous()
        out = new(x._data.shape, x.dtype, x._device)
        lookup(f"{cls.op}_forward", x._device.type)(x._data, out._data, *params)
        ctx.save_for_backward(out if cls.saves_output else x)
        ctx.params = params
        return out

    @classmethod
    def backward(cls, ctx, grad):
        (saved,) = ctx.saved_tensors
        grad = grad.contiguous()
        gx = new(grad._data.shape, grad.dtype, grad._device)
        lookup(f"{cls.op}_backward", grad._device.type)(grad._data, saved._data, gx._data,
                                                        *ctx.params)
        return (gx,) + (None,) * len(ctx.params)


class Relu(_Pointwise):
    node_name, op, saves_output = "ReluBackward0", "relu", True


class LeakyRelu(_Pointwise):
    node_name, op = "LeakyReluBackward0", "leaky_relu"


class Elu(_Pointwise):
    node_name, op = "EluBackward0", "elu"


class Gelu(_Pointwise):
    node_name, op = "GeluBackward0", "gelu"


class Silu(_Pointwise):
    node_name, op = "SiluBackward0", "silu"


class Sigmoid(_Pointwise):
    node_name, op, saves_output = "SigmoidBackward0", "sigmoid", True


class Tanh(_Pointwise):
    node_name, op, saves_output = "TanhBackward0", "tanh", True


class Softplus(_Pointwise):
    node_name, op = "SoftplusBackward0", "softplus"


class Hardtanh(_Pointwise):
    node_name, op = "HardtanhBackward0", "hardtanh"


def _apply(fn, input, *params, kernel_name=None, inplace_=False):
    """``fn`` on a floating input; PyTorch's NotImplementedError naming its kernel otherwise."""
    if not input.dtype.is_floating_point:
        raise NotImplementedError(f"\"{kernel_name}\" not implemented for "
                                  f"'{_type_name(input.dtype)}'")
    if inplace_:
        return inplace(input, lambda s: fn.apply(s, *params))
    return fn.apply(input, *params)


def _inplace_or(fn, input, inplace_, *args):
    return inplace(input, lambda s: fn(s, *args)) if inplace_ else fn(input, *args)


# --- tensor functions and methods (torch.relu, x.sigmoid(), ...) ---
def relu(input, inplace=False):
    if not input.dtype.is_floating_point:
        return _inplace_or(clamp, input, inplace, 0)
    return _apply(Relu, input, inplace_=inplace)


def _float_input(input):
    return cast(input, float_dtype(input.dtype))


def sigmoid(input, *, out=None):
    result = Sigmoid.apply(_float_input(input))
    return result if out is None else _write_out(result, out, "sigmoid")


def tanh(input, *, out=None):
    result = Tanh.apply(_float_input(input))
    return result if out is None else _write_out(result, out, "tanh")


# --- nn.functional ---
def relu6(input, inplace=False):
    return hardtanh(input, 0.0, 6.0, inplace)


def leaky_relu(input, negative_slope=0.01, inplace=False):
    return _apply(LeakyRelu, input, negative_slope, kernel_name="leaky_relu_cpu", inplace_=inplace)


def elu(input, alpha=1.0, inplace=False):
    return _apply(Elu, input, alpha, kernel_name="elu_cpu", inplace_=inplace)


def gelu(input, approximate="none"):
    if approximate not in ("none", "tanh"):
        raise RuntimeError("approximate argument must be either none or tanh.")
    return _apply(Gelu, input, approximate, kernel_name="GeluKernelImpl")


def silu(input, inplace=False):
    return _apply(Silu, input, kernel_name="silu_cpu", inplace_=inplace)


def softplus(input, beta=1.0, threshold=20.0):
    return _apply(Softplus, input, beta, threshold, kernel_name="softplus_cpu")


def hardtanh(input, min_val=-1.0, max_val=1.0, inplace=False):
    if min_val > max_val:
        raise ValueError("min_val cannot be greater than max_val")
    if not input.dtype.is_floating_point:
        return _inplace_or(clamp, input, inplace, min_val, max_val)
    return _apply(Hardtanh, input, min_val, max_val, inplace_=inplace)


# --- activations composed of other ops (no kernel of their own: each would cost a compile) ---
class _Composite(Function):
    """``y = f(x, *params)`` from other ops; the gradient ``grad(x, y, g, *params)``."""

    @classmethod
    def forward(cls, ctx, x, *params):
        out = cls.f(x, *params)
        ctx.save_for_backward(x, out)
        ctx.params = params
        return out

    @classmethod
    def backward(cls, ctx, g):
        x, y = ctx.saved_tensors
        return (cls.grad(x, y, g, *ctx.params),) + (None,) * len(ctx.params)


def _composite(node_name, f, grad):
    return type(node_name[:-len("Backward0")], (_Composite,), {
        "node_name": node_name, "f": staticmethod(f), "grad": staticmethod(grad)})


Hardswish = _composite(
    "HardswishBackward0", lambda x: x * clamp(x + 3, 0, 6) / 6,
    lambda x, y, g: where(x <= -3, 0.0, where(x < 3, g * (x / 3 + 0.5), g)))
Hardsigmoid = _composite(
    "HardsigmoidBackward0", lambda x: clamp(x + 3, 0, 6) / 6,
    lambda x, y, g: where((x > -3) & (x < 3), g / 6, 0.0))


def _mish_grad(x, y, g):
    t = tanh(softplus(x))
    return g * (t + x * sigmoid(x) * (1 - t * t))


Mish = _composite("MishBackward0", lambda x: x * tanh(softplus(x)), _mish_grad)
LogSigmoid = _composite("LogSigmoidBackward0",
                        lambda x: minimum(x, x.new_zeros(())) - log1p(exp(-abs(x))),
                        lambda x, y, g: g * sigmoid(-x))
Celu = _composite("CeluBackward0", lambda x, a: where(x > 0, x, expm1(x / a) * a),
                  lambda x, y, g, a: where(x > 0, g, g * exp(x / a)))


def _inside(x, lo, hi):
    """lo <= x <= hi; False for NaN, so NaNs pass through the shrinks, as in PyTorch."""
    return (x >= lo) & (x <= hi)


Softshrink = _composite("SoftshrinkBackward0", lambda x, l: x - clamp(x, -l, l),
                        lambda x, y, g, l: where(_inside(x, -l, l), 0.0, g))
Hardshrink = _composite("HardshrinkBackward0", lambda x, l: where(_inside(x, -l, l), 0.0, x),
                        lambda x, y, g, l: where(_inside(x, -l, l), 0.0, g))
Threshold = _composite("ThresholdBackward0", lambda x, t, v: where(x <= t, v, x),
                       lambda x, y, g, t, v: where(x <= t, 0.0, g))
Rrelu = _composite("RreluWithNoiseBackward0", lambda x, noise: x * noise,
                   lambda x, y, g, noise: g * noise)
_SELU_ALPHA, _SELU_SCALE = 1.6732632423543772848170429916717, 1.0507009873554804934193349852946


class Selu(Elu):
    """scale * elu(x, alpha): PyTorch records it as an EluBackward0 too."""

    @classmethod
    def forward(cls, ctx, x):
        return super().forward(ctx, x, _SELU_ALPHA) * _SELU_SCALE

    @classmethod
    def backward(cls, ctx, grad):
        return super().backward(ctx, grad * _SELU_SCALE)[:1]


class Glu(Function):
    node_name = "GluBackward0"

    @staticmethod
    def forward(ctx, x, dim):
        a, b = chunk(x, 2, dim)
        ctx.save_for_backward(a, b)
        ctx.dim = dim
        return a * sigmoid(b)

    @staticmethod
    def backward(ctx, g):
        a, b = ctx.saved_tensors
        s = sigmoid(b)
        return cat([g * s, g * a * s * (1 - s)], ctx.dim), None


def hardswish(input, inplace=False):
    return _apply(Hardswish, input, kernel_name="hardswish_cpu", inplace_=inplace)


def hardsigmoid(input, inplace=False):
    return _apply(Hardsigmoid, input, kernel_name="hardsigmoid_cpu", inplace_=inplace)


def mish(input, inplace=False):
    return _apply(Mish, input, kernel_name="mish_cpu", inplace_=inplace)


def selu(input, inplace=False):
    return _apply(Selu, input, kernel_name="elu_cpu", inplace_=inplace)


def celu(input, alpha=1.0, inplace=False):
    if alpha == 0:
        raise RuntimeError("ZeroDivisionError: alpha cannot be 0 for CELU")
    return _apply(Celu, input, alpha, kernel_name="elu_cpu", inplace_=inplace)


def logsigmoid(input):
    return _apply(LogSigmoid, input, kernel_name="log_sigmoid_cpu")


def softsign(input):
    return input / (input.abs() + 1)


def tanhshrink(input):
    return input - tanh(input)


def _check_lambda(lambd, input):
    top = float(np.finfo(input.dtype.np).max) if input.dtype.is_floating_point else math.inf
    if not 0 <= lambd <= top:
        raise RuntimeError(f"lambda must be in range [0, {top:g}] for input dtype "
                           f"{_type_name(input.dtype)}, but found {lambd:g}")


def softshrink(input, lambd=0.5):
    _check_lambda(lambd, input)
    return _apply(Softshrink, input, lambd, kernel_name="softshrink_cpu")


def hardshrink(input, lambd=0.5):
    return _apply(Hardshrink, input, lambd, kernel_name="hardshrink_cpu")


def threshold(input, threshold, value, inplace=False):
    """Integer inputs too: ``value`` takes the input's dtype."""
    if not input.dtype.is_floating_point:
        value = int(value)
    return _inplace_or(Threshold.apply, input, inplace, threshold, value)


def rrelu(input, lower=1.0 / 8, upper=1.0 / 3, training=False, inplace=False):
    """Negative inputs scaled by a slope drawn from U(lower, upper) per element when training, by
    the mean slope otherwise."""
    if lower > upper:
        raise RuntimeError("Lower bound should be less than or equal to the upper bound")
    if not input.dtype.is_floating_point:
        raise NotImplementedError(f"\"leaky_relu_cpu\" not implemented for "
                                  f"'{_type_name(input.dtype)}'")
    slope = input.new_empty(input.shape).uniform_(lower, upper) if training else \
        (lower + upper) / 2
    noise = where(input > 0, input.new_ones(()), slope)
    return _inplace_or(Rrelu.apply, input, inplace, noise)


def glu(input, dim=-1):
    if input.dim() == 0:
        raise RuntimeError("glu does not support scalars because halving size must be even")
    d = dim + input.dim() if -input.dim() <= dim < 0 else dim
    if not 0 <= d < input.dim():
        raise IndexError(f"Dimension out of range (expected to be in range of "
                         f"[{-input.dim()}, {input.dim() - 1}], but got {dim})")
    if input.shape[d] % 2:
        raise RuntimeError(f"Halving dimension must be even, but dimension {d} is size "
                           f"{input.shape[d]}")
    return Glu.apply(input, d)


def softmin(input, dim=None, _stacklevel=3, dtype=None):
    from .softmax import _implicit_dim, softmax     # softmax imports this module
    if dim is None:
        dim = _implicit_dim("softmin", input, _stacklevel)
    return softmax(-input if dtype is None else -input.to(dtype), dim)


METHODS = {"relu": relu, "relu_": lambda self: relu(self, True),
           "sigmoid": sigmoid, "sigmoid_": lambda self: inplace(self, sigmoid),
           "tanh": tanh, "tanh_": lambda self: inplace(self, tanh)}
FUNCTIONS = {"relu": relu, "relu_": METHODS["relu_"], "sigmoid": sigmoid,
             "sigmoid_": METHODS["sigmoid_"], "tanh": tanh, "tanh_": METHODS["tanh_"]}
def selu_(input):
    return selu(input, True)


def celu_(input, alpha=1.0):
    return celu(input, alpha, True)


def rrelu_(input, lower=1.0 / 8, upper=1.0 / 3, training=False):
    return rrelu(input, lower, upper, training, True)


def threshold_(input, threshold_value, value):
    return threshold(input, threshold_value, value, True)


METHODS["hardshrink"] = hardshrink
FUNCTIONS.update({f.__name__: f for f in (selu, celu, rrelu, threshold, hardshrink, selu_, celu_,
                                          rrelu_, threshold_)})
__all__ = ["relu", "relu6", "leaky_relu", "elu", "gelu", "silu", "sigmoid", "tanh", "softplus",
           "hardtanh", "hardswish", "hardsigmoid", "mish", "selu", "celu", "logsigmoid",
           "softsign", "tanhshrink", "softshrink", "hardshrink", "threshold", "rrelu", "glu",
           "softmin"]

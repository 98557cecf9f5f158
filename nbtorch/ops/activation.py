"""Activation ops: one autograd Function per activation over the registered kernels, and the
nn.functional forms (argument checks with PyTorch's words, ``inplace=``)."""
from ..autograd.function import Function
from ..kernels.registry import lookup
from ._util import cast, float_dtype, new
from .elementwise import _type_name, _write_out, clamp, inplace


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


METHODS = {"relu": relu, "relu_": lambda self: relu(self, True),
           "sigmoid": sigmoid, "sigmoid_": lambda self: inplace(self, sigmoid),
           "tanh": tanh, "tanh_": lambda self: inplace(self, tanh)}
FUNCTIONS = {"relu": relu, "relu_": METHODS["relu_"], "sigmoid": sigmoid,
             "sigmoid_": METHODS["sigmoid_"], "tanh": tanh, "tanh_": METHODS["tanh_"]}
__all__ = ["relu", "relu6", "leaky_relu", "elu", "gelu", "silu", "sigmoid", "tanh", "softplus",
           "hardtanh"]
